#include "hot/tap_io.h"

#include <poll.h>
#include <rte_mbuf.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>

#include "hot/counters.h"

namespace vhost_failover {

// Asked only when the pool is empty: whether that costs a frame a read now.
static bool frame_waiting(int fd) {
  pollfd readable = {fd, POLLIN, 0};
  return poll(&readable, 1, 0) == 1;
}

uint16_t tap_rx_burst(TapQueue &queue, rte_mempool *pool, rte_mbuf **pkts, uint16_t max) {
  uint16_t n = 0;
  uint64_t bytes = 0;
  while (n < max) {
    rte_mbuf *mbuf = rte_pktmbuf_alloc(pool);
    if (!mbuf) {
      if (frame_waiting(queue.fd)) count(queue.rx_nombuf, 1);
      break;
    }
    // The tap's MTU is the group's, which the mbufs are sized for (eal.cc): a frame fits.
    const ssize_t got = read(queue.fd, rte_pktmbuf_mtod(mbuf, void *), rte_pktmbuf_tailroom(mbuf));
    if (got <= 0) {  // EAGAIN: nothing more queued
      rte_pktmbuf_free(mbuf);
      break;
    }
    mbuf->data_len = static_cast<uint16_t>(got);
    mbuf->pkt_len = static_cast<uint32_t>(got);
    bytes += static_cast<uint64_t>(got);
    pkts[n++] = mbuf;
  }
  if (n == 0) return 0;
  count(queue.ipackets, n);
  count(queue.ibytes, bytes);
  return n;
}

// Segments a chained mbuf may have: a guest's frame spans a few at most.
static constexpr uint16_t kMaxSegments = 32;

static ssize_t write_frame(int fd, rte_mbuf *mbuf) {
  if (mbuf->nb_segs == 1) return write(fd, rte_pktmbuf_mtod(mbuf, void *), mbuf->data_len);
  if (mbuf->nb_segs > kMaxSegments) {
    errno = EMSGSIZE;
    return -1;
  }
  iovec pieces[kMaxSegments];
  int count = 0;
  for (rte_mbuf *segment = mbuf; segment; segment = segment->next)
    pieces[count++] = {rte_pktmbuf_mtod(segment, void *), segment->data_len};
  return writev(fd, pieces, count);
}

// The kernel did not take the frame and may take it later, or the tap is not there to take it:
// its side is down (EIO), or it was deleted (EBADFD).
static bool refused(int error) {
  return error == EAGAIN || error == ENOBUFS || error == EIO || error == EINTR || error == EBADFD;
}

uint16_t tap_tx_burst(TapQueue &queue, rte_mbuf **pkts, uint16_t n) {
  uint16_t taken = 0;
  uint64_t sent = 0, bytes = 0;
  for (; taken < n; taken++) {
    if (write_frame(queue.fd, pkts[taken]) >= 0) {
      sent++;
      bytes += rte_pktmbuf_pkt_len(pkts[taken]);
    } else if (refused(errno)) {
      break;
    }
  }
  if (taken == 0) return 0;
  count(queue.opackets, sent);
  count(queue.obytes, bytes);
  if (sent != taken) count(queue.oerrors, taken - sent);
  rte_pktmbuf_free_bulk(pkts, taken);
  return taken;
}

}  // namespace vhost_failover

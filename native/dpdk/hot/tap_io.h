// A tap uplink's queue as the worker polling it reads and writes it: frames moved between mbufs
// and the queue's fd with one system call each (read, write or writev), as OVS's netdev-linux
// does (netdev_linux_rxq_recv_tap, netdev_linux_tap_batch_send). Counted as an ethdev's driver
// counts, for the port statistics.
#pragma once

#include <rte_common.h>

#include <cstdint>

struct rte_mbuf;
struct rte_mempool;

namespace vhost_failover {

struct alignas(RTE_CACHE_LINE_SIZE) TapQueue {
  int fd = -1;  // nonblocking; set while the uplink is not present (os/tap_device.h)
  // Written by the one worker polling the queue (count()), read by the control threads.
  uint64_t ipackets = 0, ibytes = 0, opackets = 0, obytes = 0;
  uint64_t oerrors = 0;    // frames the kernel took and dropped (malformed, too long)
  uint64_t rx_nombuf = 0;  // reads skipped for want of an mbuf: the frame waits in the kernel
};

// Reads up to `max` frames into mbufs from `pool`; returns how many.
uint16_t tap_rx_burst(TapQueue &queue, rte_mempool *pool, rte_mbuf **pkts, uint16_t max);

// Writes frames in order until the kernel refuses one (EAGAIN, ENOBUFS; EIO while its side is
// down); returns how many it took, and frees those. The refused ones stay the caller's, as with
// rte_eth_tx_burst. A frame the kernel takes but drops counts in oerrors.
uint16_t tap_tx_burst(TapQueue &queue, rte_mbuf **pkts, uint16_t n);

}  // namespace vhost_failover

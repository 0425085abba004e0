#include "control/mbuf_pools.h"

#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace vhost_failover {

static constexpr unsigned kCacheMbufs = 256;
// What a pool holds that no port counts: each lcore's cache, which may grow to 1.5 times its
// size before it flushes, and the announcement rounds' frames.
static unsigned unreserved_mbufs() {
  return rte_lcore_count() * kCacheMbufs * 3 / 2 + 64;
}

void MbufPools::configure(unsigned mtu, unsigned least_mbufs, int default_socket) {
  std::lock_guard<std::mutex> lock(mutex_);
  mtu_ = mtu;
  least_mbufs_ = least_mbufs;
  default_socket_ = default_socket;
}

// Free hugepage memory on a NUMA node, every page size, as sysfs counts it.
static uint64_t free_hugepage_mib(int socket) {
  namespace fs = std::filesystem;
  const fs::path dir = "/sys/devices/system/node/node" + std::to_string(socket) + "/hugepages";
  uint64_t bytes = 0;
  std::error_code error;
  for (const auto &entry : fs::directory_iterator(dir, error)) {
    const std::string name = entry.path().filename();  // hugepages-2048kB
    const uint64_t page_kib = std::strtoull(name.c_str() + name.find('-') + 1, nullptr, 10);
    std::ifstream file(entry.path() / "free_hugepages");
    uint64_t pages = 0;
    file >> pages;
    bytes += pages * page_kib * 1024;
  }
  return bytes >> 20;
}

// The hugepage memory of `mbufs` mbufs of `element_bytes` each, rounded up to a MiB.
static uint64_t pool_mib(unsigned mbufs, unsigned element_bytes) {
  return (uint64_t{mbufs} * rte_mempool_calc_obj_size(element_bytes, 0, nullptr) + (1 << 20) - 1) >>
         20;
}

MbufPools::Pool *MbufPools::make(int socket, unsigned mbufs, std::string *error) {
  const unsigned frame_bytes = mtu_ + RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN + RTE_ETHER_CRC_LEN;
  const unsigned data_room =
      RTE_PKTMBUF_HEADROOM + std::max<unsigned>(frame_bytes, RTE_MBUF_DEFAULT_DATAROOM);
  // A name is never reused: a pool freed and one made later are told apart in the log.
  const std::string name = "vhfo_s" + std::to_string(socket) + "_" + std::to_string(pools_made_);
  rte_mempool *mempool =
      rte_pktmbuf_pool_create(name.c_str(), mbufs, kCacheMbufs, 0, data_room, socket);
  const uint64_t mib = pool_mib(mbufs, sizeof(rte_mbuf) + data_room);
  if (!mempool) {
    const uint64_t free_mib = free_hugepage_mib(socket);
    const std::string node = "node" + std::to_string(socket);
    *error =
        "cannot make an mbuf pool of " + std::to_string(mbufs) + " mbufs (" + std::to_string(mib) +
        " MiB of hugepages) on NUMA socket " + std::to_string(socket) + ": " +
        rte_strerror(rte_errno) + "; " + std::to_string(free_mib) + " MiB of hugepages free on " +
        node +
        (free_mib < mib ? ", " + std::to_string(mib - free_mib) +
                              " MiB missing: reserve more (/sys/devices/system/node/" + node +
                              "/hugepages/hugepages-2048kB/nr_hugepages)"
                        : ", so EAL's own limit refused it (-m, --socket-mem or --socket-limit in "
                          "dataplane.extraEalArgs)") +
        ", or lower the groups' queues or descriptors";
    return nullptr;
  }
  RTE_LOG(NOTICE, USER1, "mbuf pool %s: %u mbufs (%lu MiB) on NUMA socket %d\n", name.c_str(),
          mbufs, static_cast<unsigned long>(mib), socket);
  pools_made_++;
  pools_.push_back(Pool{mempool, socket, mbufs, 0});
  return &pools_.back();
}

rte_mempool *MbufPools::reserve(Owner owner, int socket, unsigned mbufs, std::string *error) {
  std::lock_guard<std::mutex> lock(mutex_);
  unreserve(owner);  // a port started again (a reset) fills its rings afresh
  if (socket == SOCKET_ID_ANY) socket = default_socket_;
  const unsigned unreserved = unreserved_mbufs();
  Pool *pool = nullptr;
  for (Pool &candidate : pools_)
    if (candidate.socket == socket && candidate.reserved + mbufs + unreserved <= candidate.size) {
      pool = &candidate;
      break;
    }
  if (!pool) pool = make(socket, std::max(least_mbufs_, mbufs + unreserved), error);
  if (pool) {
    pool->reserved += mbufs;
    reservations_[owner] = {pool, mbufs};
  }
  free_drained();
  return pool ? pool->mempool : nullptr;
}

void MbufPools::unreserve(Owner owner) {
  const auto reservation = reservations_.find(owner);
  if (reservation == reservations_.end()) return;
  reservation->second.first->reserved -= reservation->second.second;
  reservations_.erase(reservation);
}

void MbufPools::release(Owner owner) {
  std::lock_guard<std::mutex> lock(mutex_);
  unreserve(owner);
  free_drained();
}

void MbufPools::free_drained() {
  for (auto pool = pools_.begin(); pool != pools_.end();) {
    // rte_mempool_full counts the lcores' caches too: every mbuf is in the pool, none in a
    // ring or a worker's burst.
    if (pool->reserved > 0 || !rte_mempool_full(pool->mempool)) {
      ++pool;
      continue;
    }
    RTE_LOG(NOTICE, USER1, "mbuf pool %s freed: %u mbufs (%lu MiB) on NUMA socket %d\n",
            pool->mempool->name, pool->size,
            static_cast<unsigned long>(pool_mib(pool->size, pool->mempool->elt_size)),
            pool->socket);
    rte_mempool_free(pool->mempool);
    pool = pools_.erase(pool);
  }
}

unsigned MbufPools::in_use() const {
  std::lock_guard<std::mutex> lock(mutex_);
  unsigned mbufs = 0;
  for (const Pool &pool : pools_) mbufs += rte_mempool_in_use_count(pool.mempool);
  return mbufs;
}

void MbufPools::free_all() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const Pool &pool : pools_) rte_mempool_free(pool.mempool);
  pools_.clear();
  reservations_.clear();
}

}  // namespace vhost_failover

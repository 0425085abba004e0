// A classic pcap file (microsecond timestamps, Ethernet), as tcpdump -r and Wireshark read it,
// written by one thread. The file is created here, never opened if it exists (O_EXCL,
// O_NOFOLLOW), readable by its owner only: it holds a guest's traffic.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

struct rte_mbuf;

namespace vhost_failover {

constexpr uint32_t kPcapFileHeaderBytes = 24;
constexpr uint32_t kPcapRecordHeaderBytes = 16;

class PcapWriter {
 public:
  PcapWriter() = default;
  PcapWriter(const PcapWriter &) = delete;
  PcapWriter &operator=(const PcapWriter &) = delete;
  ~PcapWriter() { close(); }

  // Creates `path` with the file header; an error text, or "".
  std::string open(const std::string &path, uint32_t snaplen);
  // One record: the frame's bytes as copied (a chain, up to snaplen), its length on the wire.
  std::string write(uint64_t unix_ns, const rte_mbuf *copy, uint32_t wire_length);
  void close();
  uint64_t bytes_written() const { return bytes_; }

 private:
  FILE *file_ = nullptr;
  uint64_t bytes_ = 0;
};

}  // namespace vhost_failover

#include "os/pcap_writer.h"

#include <fcntl.h>
#include <rte_mbuf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vhost_failover {

namespace {

constexpr uint32_t kMagicMicroseconds = 0xa1b2c3d4;
constexpr uint16_t kVersionMajor = 2;
constexpr uint16_t kVersionMinor = 4;
constexpr uint32_t kLinktypeEthernet = 1;

struct FileHeader {
  uint32_t magic;
  uint16_t version_major;
  uint16_t version_minor;
  int32_t thiszone;
  uint32_t sigfigs;
  uint32_t snaplen;
  uint32_t linktype;
};
static_assert(sizeof(FileHeader) == kPcapFileHeaderBytes);

struct RecordHeader {
  uint32_t ts_sec;
  uint32_t ts_usec;
  uint32_t incl_len;
  uint32_t orig_len;
};
static_assert(sizeof(RecordHeader) == kPcapRecordHeaderBytes);

std::string errno_text(const std::string &what) {
  return what + ": " + std::strerror(errno);
}

}  // namespace

std::string PcapWriter::open(const std::string &path, uint32_t snaplen) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return errno_text("cannot create " + path);
  file_ = fdopen(fd, "w");
  if (!file_) {
    ::close(fd);
    return errno_text("cannot write " + path);
  }
  const FileHeader header{kMagicMicroseconds, kVersionMajor, kVersionMinor, 0, 0, snaplen,
                          kLinktypeEthernet};
  if (fwrite(&header, sizeof header, 1, file_) != 1) return errno_text("cannot write " + path);
  bytes_ = sizeof header;
  return "";
}

std::string PcapWriter::write(uint64_t unix_ns, const rte_mbuf *copy, uint32_t wire_length) {
  const RecordHeader header{static_cast<uint32_t>(unix_ns / 1000000000),
                            static_cast<uint32_t>(unix_ns % 1000000000 / 1000),
                            rte_pktmbuf_pkt_len(copy), wire_length};
  if (fwrite(&header, sizeof header, 1, file_) != 1) return errno_text("writing the capture");
  for (const rte_mbuf *segment = copy; segment; segment = segment->next)
    if (segment->data_len != 0 &&
        fwrite(rte_pktmbuf_mtod(segment, const void *), segment->data_len, 1, file_) != 1)
      return errno_text("writing the capture");
  bytes_ += sizeof header + header.incl_len;
  return "";
}

void PcapWriter::close() {
  if (file_) fclose(file_);
  file_ = nullptr;
}

}  // namespace vhost_failover

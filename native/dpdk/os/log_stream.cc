#include "os/log_stream.h"

#include <rte_log.h>

#include <cstdio>

namespace vhost_failover {

static LogSink log_sink;

// fopencookie's write: rte_vlog formats a message and flushes, so each call holds whole lines.
// The message's level is set per thread by rte_vlog just before it writes.
static ssize_t write_lines(void *, const char *buffer, size_t size) {
  const int level = rte_log_cur_msg_loglevel();
  std::string text(buffer, size);
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start && log_sink) log_sink(level, text.substr(start, end - start));
    start = end + 1;
  }
  return static_cast<ssize_t>(size);
}

std::string log_stream_open(LogSink sink) {
  log_sink = std::move(sink);
  cookie_io_functions_t functions = {nullptr, write_lines, nullptr, nullptr};
  FILE *stream = fopencookie(nullptr, "w", functions);
  if (!stream) return "cannot open a log stream for DPDK";
  setvbuf(stream, nullptr, _IOLBF, 0);
  if (rte_openlog_stream(stream) != 0) return "DPDK refused the log stream";
  return "";
}

}  // namespace vhost_failover

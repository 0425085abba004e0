// Wakes a sleeping thread from any other: the link monitor (from an LSC callback, or the worker
// that found the primary dead on a refused send) or a worker asleep on its rx interrupts (from
// a control call that needs a pass). An eventfd: a notify costs one write(2), and notifies
// while the thread is busy coalesce into one wake-up.
#pragma once

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

namespace vhost_failover {

class Wakeup {
 public:
  Wakeup() : fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
  ~Wakeup() {
    if (fd_ >= 0) close(fd_);
  }
  Wakeup(const Wakeup &) = delete;
  Wakeup &operator=(const Wakeup &) = delete;

  int fd() const { return fd_; }
  void notify() const {
    const uint64_t one = 1;
    if (write(fd_, &one, sizeof one) < 0) {
      // EAGAIN only when the counter is full: a wake-up is pending anyway.
    }
  }
  void drain() const {
    uint64_t count;
    if (read(fd_, &count, sizeof count) < 0) {
      // EAGAIN: nothing was pending.
    }
  }

 private:
  const int fd_;
};

}  // namespace vhost_failover

// The DPDK API differences between the releases the addon builds against (Debian 12's 22.11,
// Debian 13's 24.11), each in one place, chosen by the headers' RTE_VERSION. Nothing else in the
// addon tests a DPDK version.
#pragma once

#include <rte_version.h>

#include <cstdint>
#include <string>

#if RTE_VERSION >= RTE_VERSION_NUM(23, 11, 0, 0)
#include <rte_thread.h>
#else
#include <pthread.h>
#include <rte_lcore.h>
#endif

namespace vhost_failover {

// A DPDK control thread: named, on the EAL's control CPU set, off the workers' lcores. 23.11
// replaced rte_ctrl_thread_create (pthread_t, void * result) with rte_thread_create_control
// (rte_thread_t, uint32_t result); 24.11 removed the old call.
#if RTE_VERSION >= RTE_VERSION_NUM(23, 11, 0, 0)
using ControlThread = rte_thread_t;
using ControlThreadResult = uint32_t;

inline int control_thread_create(ControlThread *thread, const char *name,
                                 ControlThreadResult (*run)(void *), void *arg) {
  return rte_thread_create_control(thread, name, run, arg);
}

inline void control_thread_join(ControlThread thread) {
  rte_thread_join(thread, nullptr);
}
#else
using ControlThread = pthread_t;
using ControlThreadResult = void *;

inline int control_thread_create(ControlThread *thread, const char *name,
                                 ControlThreadResult (*run)(void *), void *arg) {
  return rte_ctrl_thread_create(thread, name, nullptr, run, arg);
}

inline void control_thread_join(ControlThread thread) {
  pthread_join(thread, nullptr);
}
#endif

// The DPDK release whose headers this addon was compiled with, in rte_version()'s form
// ("DPDK 22.11.11"), to set beside the one the process loaded.
inline std::string dpdk_built_version() {
  return std::string(RTE_VER_PREFIX) + " " + std::to_string(RTE_VER_YEAR) + "." +
         (RTE_VER_MONTH < 10 ? "0" : "") + std::to_string(RTE_VER_MONTH) + "." +
         std::to_string(RTE_VER_MINOR) + RTE_VER_SUFFIX;
}

}  // namespace vhost_failover

// vf-bench-generator: a rate-controlled frame generator for the bench's zero-loss search.
//
//   vf-bench-generator <EAL args> -- --port 0,src=MAC,dst=MAC [--port 1,...]
//
// Every probed port gets one queue pair; --port says what a port's frames carry. Then it reads
// commands on stdin, one a line, and answers each with one line of JSON on stdout:
//   links <timeout_ms>      waits (bounded) for every link to be up
//   trial id=N rate=PPS seconds=S sizes=SPEC tx=P[,P] [drain_ms=M]
//                           offers rate*seconds frames on each tx port (sizes: size_sequence)
//   quit
// dpdk-testpmd cannot do this: its txonly engine sends as fast as it can, and its per-queue
// rate limit (set port P queue Q rate) is a driver operation that software ports lack.
#include <inttypes.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sstream>
#include <string>
#include <vector>

#include "frames.h"
#include "ports.h"
#include "trial.h"

using namespace bench_generator;

// Frames held at once: every port's two rings full, with room to spare.
constexpr unsigned kPoolMbufs = 16383;

static void reply_error(const std::string &message) {
  printf("{\"error\":\"%s\"}\n", message.c_str());
  fflush(stdout);
}

// "0,src=52:54:00:00:0b:01,dst=02:00:00:00:00:02" into addresses[0].
static bool parse_port(const char *spec, std::vector<PortAddresses> &addresses) {
  char *rest = nullptr;
  const long port = strtol(spec, &rest, 10);
  rte_ether_addr src{}, dst{};
  char src_text[18] = "", dst_text[18] = "";
  if (port < 0 || port >= static_cast<long>(addresses.size()) ||
      sscanf(rest, ",src=%17[0-9a-fA-F:],dst=%17[0-9a-fA-F:]", src_text, dst_text) != 2 ||
      rte_ether_unformat_addr(src_text, &src) != 0 || rte_ether_unformat_addr(dst_text, &dst) != 0)
    return false;
  addresses[port] = PortAddresses{src, dst};
  return true;
}

static bool parse_trial(const std::string &line, uint16_t ports, TrialSpec &spec) {
  std::stringstream words(line);
  std::string word;
  words >> word;  // "trial"
  while (words >> word) {
    const size_t eq = word.find('=');
    if (eq == std::string::npos) return false;
    const std::string key = word.substr(0, eq), value = word.substr(eq + 1);
    if (key == "id")
      spec.id = static_cast<uint16_t>(strtoul(value.c_str(), nullptr, 10));
    else if (key == "rate")
      spec.rate_pps = strtod(value.c_str(), nullptr);
    else if (key == "seconds")
      spec.seconds = strtod(value.c_str(), nullptr);
    else if (key == "sizes")
      spec.sizes = size_sequence(value);
    else if (key == "drain_ms")
      spec.drain_ms = static_cast<unsigned>(strtoul(value.c_str(), nullptr, 10));
    else if (key == "tx") {
      std::stringstream list(value);
      for (std::string port; std::getline(list, port, ',');) {
        const unsigned long p = strtoul(port.c_str(), nullptr, 10);
        if (p >= ports) return false;
        spec.tx_ports.push_back(static_cast<uint16_t>(p));
      }
    } else
      return false;
  }
  return spec.rate_pps > 0 && spec.seconds > 0 && spec.seconds <= 60 && !spec.sizes.empty() &&
         !spec.tx_ports.empty();
}

static void serve(const std::vector<PortAddresses> &addresses, rte_mempool *pool) {
  const uint16_t ports = static_cast<uint16_t>(addresses.size());
  char buffer[512];
  while (fgets(buffer, sizeof buffer, stdin)) {
    const std::string line(buffer, strcspn(buffer, "\r\n"));
    if (line == "quit") return;
    if (line.rfind("links", 0) == 0) {
      printf("%s\n", wait_for_links(ports, static_cast<unsigned>(atoi(line.c_str() + 5))).c_str());
      fflush(stdout);
      continue;
    }
    TrialSpec spec;
    if (line.rfind("trial ", 0) != 0 || !parse_trial(line, ports, spec)) {
      reply_error("not a command: " + line);
      continue;
    }
    printf("%s\n", run_trial(spec, addresses, pool).c_str());
    fflush(stdout);
  }
}

int main(int argc, char **argv) {
  const int eal_args = rte_eal_init(argc, argv);
  if (eal_args < 0) {
    fprintf(stderr, "EAL initialisation failed: %s\n", rte_strerror(rte_errno));
    return 1;
  }
  // The EAL leaves the program's name before the application's arguments.
  argc -= eal_args;
  argv += eal_args;
  const uint16_t ports = rte_eth_dev_count_avail();
  std::vector<PortAddresses> addresses(ports);
  for (int i = 1; i < argc; i += 2) {
    if (strcmp(argv[i], "--port") != 0 || i + 1 >= argc || !parse_port(argv[i + 1], addresses)) {
      fprintf(stderr, "usage: %s <EAL args> -- --port N,src=MAC,dst=MAC ...\n", argv[0]);
      return 2;
    }
  }
  rte_mempool *pool = rte_pktmbuf_pool_create("generator", kPoolMbufs, 256, 0,
                                              RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
  const std::string failure = ports == 0        ? "no port probed"
                              : pool == nullptr ? "no mbuf pool"
                                                : start_ports(ports, pool);
  if (!failure.empty()) {
    reply_error(failure);
    rte_eal_cleanup();
    return 1;
  }
  printf("{\"ready\":true,\"ports\":%u,\"tscHz\":%" PRIu64 "}\n", ports, rte_get_tsc_hz());
  fflush(stdout);
  serve(addresses, pool);
  stop_ports(ports);
  rte_eal_cleanup();
  return 0;
}

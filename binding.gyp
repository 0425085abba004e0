{
  "variables": {
    # node-gyp configure -- -Dsanitize=1 adds the ASan/UBSan build of the addon (scripts/build-sanitized).
    "sanitize%": 0,
    # -Dtests=1 (npm run build:native) adds the native test programs; an install builds the addon only.
    "tests%": 0,
    "addon_sources": [
      "native/dpdk/napi/addon.cc",
      "native/dpdk/hot/announce.cc",
      "native/dpdk/hot/announce_frames.cc",
      "native/dpdk/hot/forward.cc",
      "native/dpdk/hot/guest_addresses.cc",
      "native/dpdk/hot/rx_waiter.cc",
      "native/dpdk/hot/tap_io.cc",
      "native/dpdk/hot/worker.cc",
      "native/dpdk/control/capture.cc",
      "native/dpdk/control/dataplane.cc",
      "native/dpdk/control/dataplane_capture.cc",
      "native/dpdk/control/eal.cc",
      "native/dpdk/control/group_workers.cc",
      "native/dpdk/control/link_monitor.cc",
      "native/dpdk/control/link_source.cc",
      "native/dpdk/control/link_state.cc",
      "native/dpdk/control/mbuf_pools.cc",
      "native/dpdk/control/port.cc",
      "native/dpdk/control/rx_filter.cc",
      "native/dpdk/control/tx_progress.cc",
      "native/dpdk/control/tx_stall_injection.cc",
      "native/dpdk/control/vhost_user.cc",
      "native/dpdk/control/uplink_device.cc",
      "native/dpdk/os/log_stream.cc",
      "native/dpdk/os/netlink_links.cc",
      "native/dpdk/os/pcap_writer.cc",
      "native/dpdk/os/peer_credentials.cc",
      "native/dpdk/os/service_notify.cc",
      "native/dpdk/os/tap_device.cc"
    ]
  },
  "target_defaults": {
    # Includes name a header by its folder: "hot/group.h", "control/port.h" (native/dpdk/README.md).
    "include_dirs": ["native/dpdk"],
    "cflags!": ["-fno-exceptions", "-O2"],
    "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-O2"],
    "cflags": ["<!@(pkg-config --cflags libdpdk)", "-O3", "-Wall", "-Wextra"],
    "cflags_cc": ["<!@(pkg-config --cflags libdpdk)", "-std=gnu++20", "-O3", "-fexceptions", "-Wall", "-Wextra", "-Wno-missing-field-initializers", "-Wno-volatile"],
    "libraries": ["<!@(pkg-config --libs libdpdk)"],
    # Debian 13's node-gyp links addons with libnode when Node is a shared library (its nodejs
    # package): an N-API addon must not, or it ties itself to that one Node and its package.
    "libraries!": ["-lnode"]
  },
  "targets": [
    {
      "target_name": "vhost_failover",
      "sources": ["<@(addon_sources)"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"]
    }
  ],
  "conditions": [
    [
      "tests==1",
      {
        "targets": [
          {
            "target_name": "native_unit_tests",
            "type": "executable",
            "sources": [
              "native/dpdk/hot/announce_frames.cc",
              "native/dpdk/hot/guest_addresses.cc",
              "native/dpdk/control/rx_filter.cc",
              "native/dpdk/os/tap_device.cc",
              "native/dpdk/test/main.cc",
              "native/dpdk/test/announce_frames_test.cc",
              "native/dpdk/test/control_characters_test.cc",
              "native/dpdk/test/guest_frames_test.cc",
              "native/dpdk/test/guest_addresses_test.cc",
              "native/dpdk/test/rx_filter_test.cc",
              "native/dpdk/test/tap_name_test.cc",
              "native/dpdk/test/transmit_path_test.cc",
              "native/dpdk/test/tx_progress_test.cc"
            ]
          },
          {
            # The worker's quiescence protocol under ThreadSanitizer (test/unit/quiescence.test.ts).
            "target_name": "quiescence_stress_tsan",
            "type": "executable",
            "sources": [
              "native/dpdk/hot/worker.cc",
              "native/dpdk/control/group_workers.cc",
              "native/dpdk/hot/rx_waiter.cc",
              "native/dpdk/test/quiescence_stress.cc"
            ],
            "cflags_cc": ["-fsanitize=thread", "-g", "-Wno-tsan"],
            "ldflags": ["-fsanitize=thread"]
          }
        ]
      }
    ],
    [
      "sanitize==1",
      {
        "targets": [
          {
            # The addon with AddressSanitizer and UndefinedBehaviorSanitizer; Node must preload
            # libasan (README, Reliability). -O1 and frame pointers: reports with whole stacks.
            "target_name": "vhost_failover_sanitized",
            "sources": ["<@(addon_sources)"],
            "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
            "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
            "cflags_cc!": ["-O3"],
            "cflags_cc": ["-O1", "-g", "-fno-omit-frame-pointer", "-fsanitize=address,undefined"],
            "ldflags": ["-fsanitize=address,undefined"]
          }
        ]
      }
    ]
  ]
}

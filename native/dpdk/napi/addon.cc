// The only N-API file: converts between JavaScript values and the native data plane, and does
// nothing else. Every operation is a Dataplane method; an error text it returns becomes a thrown
// Error. Events from native threads reach JavaScript through one thread-safe function.
#include <napi.h>
#include <rte_cycles.h>
#include <rte_log.h>
#include <rte_version.h>

#include <atomic>
#include <cctype>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "control/dataplane.h"
#include "control/dpdk_compat.h"
#include "control/mbuf_sizing.h"
#include "napi/control_characters.h"
#include "os/peer_credentials.h"
#include "os/service_notify.h"

namespace {

namespace vhfo = vhost_failover;

std::unique_ptr<vhfo::Dataplane> dataplane;
Napi::ThreadSafeFunction event_callback;
// DPDK's log lines, on a queue of their own with a bound: a flood of driver messages is dropped
// (and counted) rather than held in memory.
Napi::ThreadSafeFunction log_callback;
constexpr size_t kLogQueueLines = 1024;
std::atomic<uint64_t> log_lines_dropped{0};
// DPDK may log from its own threads (the interrupt thread, vhost's) until the very end; once the
// function is released, their lines must not reach it.
std::mutex log_mutex;
bool log_callback_open = false;

struct LogLine {
  int level;
  std::string text;
  uint64_t dropped_before;
};

vhfo::Dataplane &started(const Napi::Env &env) {
  if (!dataplane) throw Napi::Error::New(env, "the data plane is not started");
  return *dataplane;
}

void check(const Napi::Env &env, const std::string &error) {
  if (!error.empty()) throw Napi::Error::New(env, error);
}

// Every string from JavaScript is converted here and nowhere else: a control character, a NUL
// above all, is refused with a thrown Error before native code sees it (control_characters.h).
std::string text(const Napi::Env &env, const Napi::Value &value, const std::string &what) {
  if (!value.IsString()) throw Napi::TypeError::New(env, what + " must be a string");
  std::string out = value.As<Napi::String>();
  const size_t at = vhfo::first_control_character(out);
  if (at != std::string::npos)
    throw Napi::TypeError::New(
        env, what + " holds a control character (byte " + std::to_string(at) + "): refused");
  return out;
}

std::string string_arg(const Napi::CallbackInfo &info, size_t index, const char *what) {
  return text(info.Env(), info[index], what);
}

std::string string_field(const Napi::Object &object, const char *key) {
  return text(object.Env(), object.Get(key), key);
}

Napi::Object object_arg(const Napi::CallbackInfo &info, size_t index, const char *what) {
  if (!info[index].IsObject())
    throw Napi::TypeError::New(info.Env(), std::string(what) + " must be an object");
  return info[index].As<Napi::Object>();
}

std::vector<unsigned> uints(const Napi::Value &value) {
  std::vector<unsigned> out;
  Napi::Array array = value.As<Napi::Array>();
  for (uint32_t i = 0; i < array.Length(); i++)
    out.push_back(array.Get(i).ToNumber().Uint32Value());
  return out;
}

std::vector<std::string> strings(const Napi::Value &value, const char *what) {
  if (!value.IsArray())
    throw Napi::TypeError::New(value.Env(), std::string(what) + " must be an array");
  std::vector<std::string> out;
  Napi::Array array = value.As<Napi::Array>();
  for (uint32_t i = 0; i < array.Length(); i++)
    out.push_back(
        text(value.Env(), array.Get(i), std::string(what) + "[" + std::to_string(i) + "]"));
  return out;
}

unsigned uint_field(const Napi::Object &object, const char *key) {
  return object.Get(key).ToNumber().Uint32Value();
}

// The primary's MAC mode as the control plane names it: "set", "check" or "leave".
vhfo::MacMode mac_mode(const Napi::Value &value) {
  const std::string name = text(value.Env(), value, "primary MAC mode");
  if (name == "set") return vhfo::MacMode::kSet;
  if (name == "check") return vhfo::MacMode::kCheck;
  if (name == "leave") return vhfo::MacMode::kLeave;
  throw Napi::TypeError::New(value.Env(), "primary MAC mode must be set, check or leave");
}

const char *event_type_name(vhfo::EventType type) {
  switch (type) {
    case vhfo::EventType::kLink:
      return "link";
    case vhfo::EventType::kGuest:
      return "guest";
    case vhfo::EventType::kRemoved:
      return "removed";
    case vhfo::EventType::kSwitchGap:
      return "switchGap";
    case vhfo::EventType::kPrimaryFault:
      return "primaryFault";
    default:
      return "pathSwitched";
  }
}

Napi::Object to_js(Napi::Env env, const vhfo::Event &event) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("type", event_type_name(event.type));
  out.Set("group", event.group);
  if (!event.port.empty()) out.Set("port", event.port);
  if (event.type == vhfo::EventType::kLink || event.type == vhfo::EventType::kGuest)
    out.Set("up", event.up);
  if (event.type == vhfo::EventType::kPathSwitched) {
    out.Set("from", event.from);
    out.Set("to", event.to);
  }
  if (event.type == vhfo::EventType::kPathSwitched || event.type == vhfo::EventType::kPrimaryFault)
    out.Set("cause", vhfo::switch_cause_name(event.cause));
  if (event.type == vhfo::EventType::kSwitchGap) out.Set("gapUs", event.gap_us);
  out.Set("reason", event.reason);
  if (event.port_id >= 0) out.Set("portId", event.port_id);
  out.Set("atNs", Napi::BigInt::New(env, event.at_ns));
  return out;
}

void emit_to_js(vhfo::Event &&event) {
  auto *heap = new vhfo::Event(std::move(event));
  napi_status status = event_callback.NonBlockingCall(
      heap, [](Napi::Env env, Napi::Function callback, vhfo::Event *data) {
        std::unique_ptr<vhfo::Event> owned(data);
        if (env != nullptr && callback != nullptr) callback.Call({to_js(env, *owned)});
      });
  if (status != napi_ok) delete heap;
}

void log_to_js(int level, std::string &&text) {
  std::lock_guard<std::mutex> lock(log_mutex);
  if (!log_callback_open) return;
  auto *heap = new LogLine{level, std::move(text), log_lines_dropped.exchange(0)};
  napi_status status =
      log_callback.NonBlockingCall(heap, [](Napi::Env env, Napi::Function callback, LogLine *data) {
        std::unique_ptr<LogLine> owned(data);
        if (env == nullptr || callback == nullptr) return;
        Napi::Object line = Napi::Object::New(env);
        line.Set("level", owned->level);
        line.Set("text", owned->text);
        if (owned->dropped_before > 0)
          line.Set("droppedBefore", static_cast<double>(owned->dropped_before));
        callback.Call({line});
      });
  if (status != napi_ok) {
    log_lines_dropped.fetch_add(1 + heap->dropped_before);
    delete heap;
  }
}

// DPDK's later lines go back to its own stream; none reaches the released function.
void release_log_callback() {
  std::lock_guard<std::mutex> lock(log_mutex);
  if (!log_callback_open) return;
  log_callback_open = false;
  rte_openlog_stream(nullptr);
  log_callback.Release();
}

Napi::Value Start(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (dataplane) throw Napi::Error::New(env, "the data plane is already started");
  Napi::Object options = object_arg(info, 0, "options");
  if (!info[1].IsFunction()) throw Napi::TypeError::New(env, "onEvent must be a function");
  if (!info[2].IsFunction()) throw Napi::TypeError::New(env, "onLog must be a function");
  vhfo::DataplaneOptions parsed;
  parsed.eal_args = strings(options.Get("ealArgs"), "ealArgs");
  parsed.worker_lcores = uints(options.Get("workerLcores"));
  parsed.mbufs = uint_field(options, "mbufs");
  parsed.max_mtu = uint_field(options, "maxMtu");
  parsed.link_poll_interval_us = uint_field(options, "linkPollIntervalUs");
  parsed.idle_sleep_max_us = uint_field(options, "idleSleepMaxUs");
  parsed.rx_interrupts = options.Get("rxInterrupts").ToBoolean();

  event_callback = Napi::ThreadSafeFunction::New(env, info[1].As<Napi::Function>(),
                                                 "vhost-failover events", 0, 1);
  log_callback = Napi::ThreadSafeFunction::New(env, info[2].As<Napi::Function>(),
                                               "vhost-failover DPDK log", kLogQueueLines, 1);
  {
    std::lock_guard<std::mutex> lock(log_mutex);
    log_callback_open = true;
  }
  dataplane = std::make_unique<vhfo::Dataplane>();
  std::string error = dataplane->start(parsed, emit_to_js, log_to_js);
  if (!error.empty()) {
    dataplane->shutdown();
    dataplane.reset();
    event_callback.Release();
    release_log_callback();
    throw Napi::Error::New(env, error);
  }
  return env.Undefined();
}

Napi::Value AddGroup(const Napi::CallbackInfo &info) {
  Napi::Object spec = object_arg(info, 0, "group spec");
  vhfo::GroupSpec parsed;
  parsed.name = string_field(spec, "name");
  parsed.mac = string_field(spec, "mac");
  parsed.mtu = uint_field(spec, "mtu");
  const std::string rx = string_field(spec, "rx");
  if (rx == "failover")
    parsed.rx_mode = vhfo::RxMode::kFailover;
  else if (rx == "both")
    parsed.rx_mode = vhfo::RxMode::kBoth;
  else if (rx == "active")
    parsed.rx_mode = vhfo::RxMode::kActive;
  else
    throw Napi::TypeError::New(info.Env(), "rx must be failover, both or active, not " + rx);
  parsed.rx_grace_ms = uint_field(spec, "rxGraceMs");
  parsed.spoof_check = spec.Get("spoofCheck").ToBoolean();
  parsed.vhost_socket = string_field(spec, "vhostSocket");
  parsed.vhost_client = spec.Get("vhostClient").ToBoolean();
  parsed.primary_devargs = string_field(spec, "primaryDevargs");
  parsed.standby_devargs = string_field(spec, "standbyDevargs");
  parsed.primary_mac_mode = mac_mode(spec.Get("primaryMac"));
  parsed.rx_descriptors = uint_field(spec, "rxDescriptors");
  parsed.tx_descriptors = uint_field(spec, "txDescriptors");
  parsed.garp_max_age_ms = uint_field(spec, "garpMaxAgeMs");
  parsed.queues = uint_field(spec, "queues");
  std::string primary_error;
  check(info.Env(), started(info.Env()).add_group(parsed, &primary_error));
  if (primary_error.empty()) return info.Env().Undefined();
  return Napi::String::New(info.Env(), primary_error);
}

Napi::Value RemoveGroup(const Napi::CallbackInfo &info) {
  check(info.Env(), started(info.Env()).remove_group(string_arg(info, 0, "group")));
  return info.Env().Undefined();
}

Napi::Value DetachPrimary(const Napi::CallbackInfo &info) {
  vhfo::TxDrain drain;
  check(info.Env(), started(info.Env()).detach_primary(string_arg(info, 0, "group"), &drain));
  return Napi::String::New(info.Env(), vhfo::tx_drain_name(drain));
}

Napi::Value AttachPrimary(const Napi::CallbackInfo &info) {
  check(info.Env(), started(info.Env())
                        .attach_primary(string_arg(info, 0, "group"),
                                        string_arg(info, 1, "devargs"), mac_mode(info[2])));
  return info.Env().Undefined();
}

Napi::Value ResetPrimary(const Napi::CallbackInfo &info) {
  check(info.Env(), started(info.Env()).reset_primary(string_arg(info, 0, "group")));
  return info.Env().Undefined();
}

Napi::Value CarryGuestMac(const Napi::CallbackInfo &info) {
  if (!info[1].IsBoolean()) throw Napi::TypeError::New(info.Env(), "carry must be a boolean");
  check(info.Env(),
        started(info.Env())
            .carry_guest_mac(string_arg(info, 0, "group"), info[1].As<Napi::Boolean>().Value()));
  return info.Env().Undefined();
}

// "rmv" (ethdev's removal event) or "device-event" (the kernel's request to release the device).
Napi::Value InjectPrimaryRemoval(const Napi::CallbackInfo &info) {
  const std::string signal = string_arg(info, 1, "signal");
  if (signal != "rmv" && signal != "device-event")
    throw Napi::TypeError::New(info.Env(), "signal must be \"rmv\" or \"device-event\"");
  check(info.Env(),
        started(info.Env())
            .inject_primary_removal(string_arg(info, 0, "group"),
                                    signal == "rmv" ? vhfo::RemovalSignal::kEthdevRmv
                                                    : vhfo::RemovalSignal::kDeviceEvent));
  return info.Env().Undefined();
}

Napi::Value InjectResetRequest(const Napi::CallbackInfo &info) {
  check(info.Env(), started(info.Env()).inject_primary_reset_request(string_arg(info, 0, "group")));
  return info.Env().Undefined();
}

Napi::Value InjectTxStall(const Napi::CallbackInfo &info) {
  check(info.Env(), started(info.Env()).inject_tx_stall(string_arg(info, 0, "group")));
  return info.Env().Undefined();
}

Napi::Value SetGarpMaxAge(const Napi::CallbackInfo &info) {
  check(info.Env(),
        started(info.Env())
            .set_garp_max_age(string_arg(info, 0, "group"), info[1].ToNumber().Uint32Value()));
  return info.Env().Undefined();
}

Napi::Value InjectDriverStall(const Napi::CallbackInfo &info) {
  check(info.Env(),
        started(info.Env())
            .inject_driver_stall(string_arg(info, 0, "group"), info[1].ToNumber().Uint32Value()));
  return info.Env().Undefined();
}

Napi::Value PeerCredentials(const Napi::CallbackInfo &info) {
  if (!info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "fd must be a number");
  vhfo::PeerCredentials peer;
  check(info.Env(), vhfo::peer_credentials(info[0].As<Napi::Number>().Int32Value(), &peer));
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("pid", static_cast<double>(peer.pid));
  out.Set("uid", static_cast<double>(peer.uid));
  out.Set("gid", static_cast<double>(peer.gid));
  Napi::Array groups = Napi::Array::New(info.Env(), peer.groups.size());
  for (size_t i = 0; i < peer.groups.size(); i++)
    groups.Set(static_cast<uint32_t>(i), static_cast<double>(peer.groups[i]));
  out.Set("groups", groups);
  return out;
}

Napi::Value Announce(const Napi::CallbackInfo &info) {
  check(info.Env(), started(info.Env()).announce(string_arg(info, 0, "group")));
  return info.Env().Undefined();
}

// {allMulticast, multicast: ["01:00:5e:..."], vlanFiltering, vlans: [100]}
Napi::Value SetRxFilter(const Napi::CallbackInfo &info) {
  Napi::Object spec = object_arg(info, 1, "filter");
  vhfo::RxFilter filter;
  filter.all_multicast = spec.Get("allMulticast").ToBoolean();
  for (const std::string &address : strings(spec.Get("multicast"), "multicast")) {
    rte_ether_addr mac;
    if (rte_ether_unformat_addr(address.c_str(), &mac) != 0)
      throw Napi::Error::New(info.Env(), "\"" + address + "\" is not a MAC address");
    filter.multicast.push_back(mac);
  }
  filter.vlan_filtering = spec.Get("vlanFiltering").ToBoolean();
  for (unsigned vlan : uints(spec.Get("vlans"))) {
    // VLAN 0 is legal: Linux adds it (priority-tagged frames) when the guest's NIC comes up.
    if (vlan > 4095)
      throw Napi::Error::New(info.Env(), "VLAN " + std::to_string(vlan) + " is not in 0..4095");
    filter.vlans.push_back(static_cast<uint16_t>(vlan));
  }
  check(info.Env(), started(info.Env()).set_rx_filter(string_arg(info, 0, "group"), filter));
  return info.Env().Undefined();
}

vhfo::SwitchCause switch_cause(const Napi::CallbackInfo &info, size_t index) {
  const std::string name = string_arg(info, index, "cause");
  for (int i = 0; i < vhfo::kSwitchCauses; i++)
    if (name == vhfo::kSwitchCauseNames[i]) return static_cast<vhfo::SwitchCause>(i);
  throw Napi::TypeError::New(info.Env(), "unknown switch cause \"" + name + "\"");
}

Napi::Value SetPrimaryEligible(const Napi::CallbackInfo &info) {
  bool applied = false;
  check(info.Env(),
        started(info.Env())
            .set_primary_eligible(string_arg(info, 0, "group"), info[1].ToBoolean(),
                                  switch_cause(info, 2), string_arg(info, 3, "reason"), &applied));
  return Napi::Boolean::New(info.Env(), applied);
}

Napi::Object to_js(Napi::Env env, const vhfo::UplinkReport &uplink) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("devargs", uplink.devargs);
  out.Set("kind", uplink.kind);
  out.Set("portId", uplink.port_id);
  out.Set("present", uplink.present);
  out.Set("linkUp", uplink.link_up);
  Napi::Object filter = Napi::Object::New(env);
  filter.Set("multicast", uplink.rx_filter.multicast);
  filter.Set("vlan", uplink.rx_filter.vlan);
  out.Set("rxFilter", filter);
  return out;
}

Napi::Object to_js(Napi::Env env, const vhfo::GuestAddressReport &address) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("address", address.address);
  out.Set("vlan", address.vlan);
  out.Set("lastSeenMsAgo", static_cast<double>(address.last_seen_ms_ago));
  out.Set("announced", address.announced);
  return out;
}

Napi::Value GroupStatus(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  vhfo::GroupStatusReport report;
  check(env, started(env).group_status(string_arg(info, 0, "group"), &report));
  Napi::Object out = Napi::Object::New(env);
  out.Set("name", report.name);
  out.Set("guestConnected", report.guest_connected);
  out.Set("primary", to_js(env, report.uplinks[vhfo::kPrimary]));
  out.Set("standby", to_js(env, report.uplinks[vhfo::kStandby]));
  out.Set("primaryEligible", report.primary_eligible);
  out.Set("activePath", vhfo::path_name(report.active_path));
  out.Set("announcementPending", report.announcement_pending);
  out.Set("queues", report.queues);
  Napi::Array enabled = Napi::Array::New(env);
  for (unsigned q = 0; q < report.queues; q++)
    if (report.guest_rx_queues_enabled >> q & 1) enabled.Set(enabled.Length(), q);
  out.Set("guestRxQueuesEnabled", enabled);
  out.Set("guestQueuesBeyondGroup", report.guest_queues_beyond);
  Napi::Array addresses = Napi::Array::New(env, report.guest_ipv4.size());
  for (size_t i = 0; i < report.guest_ipv4.size(); i++)
    addresses.Set(static_cast<uint32_t>(i), to_js(env, report.guest_ipv4[i]));
  out.Set("guestIPv4", addresses);
  return out;
}

// counters.def's field as JavaScript names it: tx_dropped_runt is txDroppedRunt.
std::string camel_case(const char *snake) {
  std::string out;
  for (const char *c = snake; *c != '\0'; c++)
    out += *c == '_' && c[1] != '\0' ? static_cast<char>(toupper(*++c)) : *c;
  return out;
}

// A counter's value in JavaScript, shaped by its slots: a number, or one per uplink.
Napi::Value to_js(Napi::Env env, uint64_t value) {
  return Napi::Number::New(env, static_cast<double>(value));
}

Napi::Value to_js(Napi::Env env, const uint64_t (&values)[vhfo::kUplinks]) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("primary", static_cast<double>(values[vhfo::kPrimary]));
  out.Set("standby", static_cast<double>(values[vhfo::kStandby]));
  return out;
}

Napi::Value GroupStats(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  vhfo::GroupStatsReport report;
  check(env, started(env).group_stats(string_arg(info, 0, "group"), &report));
  const vhfo::Counters &sum = report.counters;
  Napi::Object out = Napi::Object::New(env);
#define VHFO_COUNTER(field, ...) out.Set(camel_case(#field), to_js(env, sum.field));
#include "hot/counters.def"
#undef VHFO_COUNTER
  out.Set("lastSwitchGapUs", report.last_switch_gap_us);
  return out;
}

// counters.def as the addon's `counters` export, from which TypeScript's view is checked.
Napi::Array counter_list(Napi::Env env) {
  Napi::Array list = Napi::Array::New(env);
  const auto add = [&](const char *field, bool per_path, const char *direction, const char *metric,
                       const char *reason, const char *label, const char *help) {
    Napi::Object spec = Napi::Object::New(env);
    spec.Set("name", camel_case(field));
    spec.Set("perPath", per_path);
    spec.Set("direction", direction);
    spec.Set("metric", metric);
    spec.Set("reason", reason);
    spec.Set("label", label);
    spec.Set("help", help);
    list.Set(list.Length(), spec);
  };
#define VHFO_COUNTER(field, paths, direction, metric, reason, label, help) \
  add(#field, std::string_view(#paths) == "PER_PATH", #direction, metric, reason, label, help);
#include "hot/counters.def"
#undef VHFO_COUNTER
  return list;
}

Napi::Object to_js(Napi::Env env, const vhfo::PortStatsReport &port) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("present", port.present);
  out.Set("ipackets", static_cast<double>(port.ipackets));
  out.Set("opackets", static_cast<double>(port.opackets));
  out.Set("ibytes", static_cast<double>(port.ibytes));
  out.Set("obytes", static_cast<double>(port.obytes));
  out.Set("imissed", static_cast<double>(port.imissed));
  out.Set("ierrors", static_cast<double>(port.ierrors));
  out.Set("oerrors", static_cast<double>(port.oerrors));
  out.Set("rxNombuf", static_cast<double>(port.rx_nombuf));
  const auto per_queue = [&](const std::vector<uint64_t> &counts) {
    Napi::Array array = Napi::Array::New(env, counts.size());
    for (size_t q = 0; q < counts.size(); q++)
      array.Set(static_cast<uint32_t>(q), static_cast<double>(counts[q]));
    return array;
  };
  out.Set("queueIpackets", per_queue(port.queue_ipackets));
  out.Set("queueOpackets", per_queue(port.queue_opackets));
  return out;
}

Napi::Value GroupPortStats(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  vhfo::GroupPortStats report;
  check(env, started(env).group_port_stats(string_arg(info, 0, "group"), &report));
  Napi::Object out = Napi::Object::New(env);
  out.Set("vhost", to_js(env, report.vhost));
  out.Set("primary", to_js(env, report.uplinks[vhfo::kPrimary]));
  out.Set("standby", to_js(env, report.uplinks[vhfo::kStandby]));
  return out;
}

Napi::Value WorkerPasses(const Napi::CallbackInfo &info) {
  const std::vector<uint64_t> passes = started(info.Env()).worker_passes();
  Napi::Array out = Napi::Array::New(info.Env(), passes.size());
  for (size_t i = 0; i < passes.size(); i++)
    out.Set(static_cast<uint32_t>(i), static_cast<double>(passes[i]));
  return out;
}

Napi::Value port_or_null(Napi::Env env, int port_id) {
  if (port_id < 0) return env.Null();
  return Napi::Number::New(env, port_id);
}

Napi::Object to_js(Napi::Env env, const vhfo::PollUnitReport &unit) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("group", unit.group);
  out.Set("queue", unit.queue);
  Napi::Object ports = Napi::Object::New(env);
  ports.Set("vhost", port_or_null(env, unit.guest_vid));
  ports.Set("primary", port_or_null(env, unit.primary_port));
  ports.Set("standby", port_or_null(env, unit.standby_port));
  out.Set("ports", ports);
  out.Set("frames", static_cast<double>(unit.frames));
  return out;
}

Napi::Object to_js(Napi::Env env, const vhfo::WorkerReport &worker) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("lcore", worker.lcore);
  out.Set("busyCycles", static_cast<double>(worker.busy_tsc));
  out.Set("idleCycles", static_cast<double>(worker.idle_tsc));
  out.Set("asleepCycles", static_cast<double>(worker.asleep_tsc));
  out.Set("frames", static_cast<double>(worker.frames));
  out.Set("passes", static_cast<double>(worker.passes));
  Napi::Array units = Napi::Array::New(env, worker.poll_units.size());
  for (size_t i = 0; i < worker.poll_units.size(); i++)
    units.Set(static_cast<uint32_t>(i), to_js(env, worker.poll_units[i]));
  out.Set("pollUnits", units);
  return out;
}

Napi::Value WorkerStats(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  const std::vector<vhfo::WorkerReport> reports = started(env).worker_reports();
  Napi::Object out = Napi::Object::New(env);
  out.Set("tscHz", static_cast<double>(rte_get_tsc_hz()));
  Napi::Array workers = Napi::Array::New(env, reports.size());
  for (size_t i = 0; i < reports.size(); i++)
    workers.Set(static_cast<uint32_t>(i), to_js(env, reports[i]));
  out.Set("workers", workers);
  return out;
}

vhfo::PortRole port_role(const Napi::CallbackInfo &info, size_t index) {
  const std::string name = string_arg(info, index, "port");
  if (name == "vhost") return vhfo::PortRole::kVhost;
  if (name == "primary") return vhfo::PortRole::kPrimary;
  if (name == "standby") return vhfo::PortRole::kStandby;
  throw Napi::TypeError::New(info.Env(), "port must be vhost, primary or standby");
}

Napi::Value PortXstats(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::vector<vhfo::PortXstat> xstats;
  check(env, started(env).port_xstats(string_arg(info, 0, "group"), port_role(info, 1), &xstats));
  Napi::Array out = Napi::Array::New(env, xstats.size());
  for (size_t i = 0; i < xstats.size(); i++) {
    Napi::Object entry = Napi::Object::New(env);
    entry.Set("name", xstats[i].name);
    entry.Set("value", static_cast<double>(xstats[i].value));
    out.Set(static_cast<uint32_t>(i), entry);
  }
  return out;
}

// capture(group, file, { durationMs, maxBytes, snaplen }): the numbers bounded by the caller.
Napi::Value StartCapture(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  const Napi::Object limits = object_arg(info, 2, "limits");
  vhfo::CaptureLimits parsed;
  parsed.duration_ms = uint_field(limits, "durationMs");
  parsed.max_bytes = static_cast<uint64_t>(limits.Get("maxBytes").ToNumber().Int64Value());
  parsed.snaplen = uint_field(limits, "snaplen");
  check(env, started(env).start_capture(string_arg(info, 0, "group"), string_arg(info, 1, "file"),
                                        parsed));
  return env.Undefined();
}

// The group's last capture, or undefined if it had none.
Napi::Value CaptureReport(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  vhfo::CaptureReport report;
  if (!started(env).capture_report(string_arg(info, 0, "group"), &report)) return env.Undefined();
  Napi::Object out = Napi::Object::New(env);
  out.Set("file", report.file);
  out.Set("running", report.running);
  if (!report.running) out.Set("ended", report.ended);
  out.Set("framesWritten", static_cast<double>(report.frames_written));
  out.Set("framesDropped", static_cast<double>(report.frames_dropped));
  out.Set("bytesWritten", static_cast<double>(report.bytes_written));
  return out;
}

// sd_notify's state is assignments, one per line: each crosses as a string of its own and is
// checked as every string is, so no value (STATUS='s text) can add an assignment.
Napi::Value NotifyService(const Napi::CallbackInfo &info) {
  std::string state;
  for (const std::string &assignment : strings(info[0], "assignments"))
    state += (state.empty() ? "" : "\n") + assignment;
  return Napi::Boolean::New(info.Env(), vhfo::notify_service(state));
}

// The mbufs a group draws from the pools at most (control/mbuf_sizing.h), which the check before
// EAL adds up: it asks here rather than counting again. Needs no EAL.
Napi::Value GroupMbufs(const Napi::CallbackInfo &info) {
  Napi::Object group = object_arg(info, 0, "group sizing");
  vhfo::GroupSizing sizing;
  sizing.queues = uint_field(group, "queues");
  sizing.rx_descriptors = uint_field(group, "rxDescriptors");
  sizing.tx_descriptors = uint_field(group, "txDescriptors");
  sizing.ethdev_uplinks = uint_field(group, "ethdevUplinks");
  return Napi::Number::New(info.Env(), vhfo::group_mbufs(sizing));
}

Napi::Value MbufsInUse(const Napi::CallbackInfo &info) {
  return Napi::Number::New(info.Env(), started(info.Env()).mbufs_in_use());
}

Napi::Value Shutdown(const Napi::CallbackInfo &info) {
  if (!dataplane) return info.Env().Undefined();
  dataplane->shutdown();
  dataplane.reset();
  event_callback.Release();
  release_log_callback();
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("start", Napi::Function::New(env, Start));
  exports.Set("addGroup", Napi::Function::New(env, AddGroup));
  exports.Set("removeGroup", Napi::Function::New(env, RemoveGroup));
  exports.Set("detachPrimary", Napi::Function::New(env, DetachPrimary));
  exports.Set("attachPrimary", Napi::Function::New(env, AttachPrimary));
  exports.Set("announce", Napi::Function::New(env, Announce));
  exports.Set("setRxFilter", Napi::Function::New(env, SetRxFilter));
  exports.Set("injectPrimaryRemoval", Napi::Function::New(env, InjectPrimaryRemoval));
  exports.Set("injectDriverStall", Napi::Function::New(env, InjectDriverStall));
  exports.Set("injectTxStall", Napi::Function::New(env, InjectTxStall));
  exports.Set("injectResetRequest", Napi::Function::New(env, InjectResetRequest));
  exports.Set("resetPrimary", Napi::Function::New(env, ResetPrimary));
  exports.Set("carryGuestMac", Napi::Function::New(env, CarryGuestMac));
  exports.Set("setGarpMaxAge", Napi::Function::New(env, SetGarpMaxAge));
  exports.Set("peerCredentials", Napi::Function::New(env, PeerCredentials));
  exports.Set("setPrimaryEligible", Napi::Function::New(env, SetPrimaryEligible));
  exports.Set("groupStatus", Napi::Function::New(env, GroupStatus));
  exports.Set("groupStats", Napi::Function::New(env, GroupStats));
  exports.Set("mbufsInUse", Napi::Function::New(env, MbufsInUse));
  exports.Set("groupMbufs", Napi::Function::New(env, GroupMbufs));
  exports.Set("groupPortStats", Napi::Function::New(env, GroupPortStats));
  exports.Set("workerPasses", Napi::Function::New(env, WorkerPasses));
  exports.Set("workerStats", Napi::Function::New(env, WorkerStats));
  exports.Set("portXstats", Napi::Function::New(env, PortXstats));
  exports.Set("startCapture", Napi::Function::New(env, StartCapture));
  exports.Set("captureReport", Napi::Function::New(env, CaptureReport));
  exports.Set("notifyService", Napi::Function::New(env, NotifyService));
  exports.Set("shutdown", Napi::Function::New(env, Shutdown));
  Napi::Array causes = Napi::Array::New(env, vhfo::kSwitchCauses);
  for (int i = 0; i < vhfo::kSwitchCauses; i++)
    causes.Set(static_cast<uint32_t>(i), vhfo::kSwitchCauseNames[i]);
  exports.Set("switchCauses", causes);
  exports.Set("counters", counter_list(env));
  exports.Set("dpdkVersion", rte_version());
  exports.Set("dpdkBuiltVersion", vhfo::dpdk_built_version());
  return exports;
}

}  // namespace

NODE_API_MODULE(vhost_failover, Init)

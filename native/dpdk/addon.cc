// The only N-API file: converts between JavaScript values and the native data plane.
// Calls from JS are synchronous and cheap (flip flags, read counters); events from native
// threads reach JS through one thread-safe function.
#include <napi.h>
#include <rte_cycles.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "dataplane.h"
#include "link_monitor.h"
#include "link_state.h"

namespace {

using vf::Dataplane;

std::unique_ptr<Dataplane> dataplane;
Napi::ThreadSafeFunction event_callback;

Dataplane &started(const Napi::Env &env) {
  if (!dataplane) throw Napi::Error::New(env, "the data plane is not started");
  return *dataplane;
}

std::vector<unsigned> uints(const Napi::Value &value) {
  std::vector<unsigned> out;
  Napi::Array array = value.As<Napi::Array>();
  for (uint32_t i = 0; i < array.Length(); i++)
    out.push_back(array.Get(i).ToNumber().Uint32Value());
  return out;
}

std::vector<std::string> strings(const Napi::Value &value) {
  std::vector<std::string> out;
  Napi::Array array = value.As<Napi::Array>();
  for (uint32_t i = 0; i < array.Length(); i++) out.push_back(array.Get(i).ToString());
  return out;
}

unsigned uint_field(const Napi::Object &object, const char *key) {
  return object.Get(key).ToNumber().Uint32Value();
}

Napi::Object to_js(Napi::Env env, const vf::Event &event) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("type", event.type);
  out.Set("group", event.group);
  if (!event.port.empty()) out.Set("port", event.port);
  if (event.type == "link" || event.type == "guest") out.Set("up", event.up);
  if (!event.from.empty()) out.Set("from", event.from);
  if (!event.to.empty()) out.Set("to", event.to);
  out.Set("reason", event.reason);
  if (event.port_id >= 0) out.Set("portId", event.port_id);
  out.Set("atNs", Napi::BigInt::New(env, event.at_ns));
  return out;
}

void emit_to_js(vf::Event &&event) {
  auto *heap = new vf::Event(std::move(event));
  napi_status status = event_callback.NonBlockingCall(
      heap, [](Napi::Env env, Napi::Function callback, vf::Event *data) {
        std::unique_ptr<vf::Event> owned(data);
        if (env != nullptr && callback != nullptr) callback.Call({to_js(env, *owned)});
      });
  if (status != napi_ok) delete heap;
}

Napi::Value Start(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (dataplane) throw Napi::Error::New(env, "the data plane is already started");
  Napi::Object options = info[0].As<Napi::Object>();
  vf::DataplaneOptions parsed;
  parsed.eal_args = strings(options.Get("ealArgs"));
  parsed.worker_lcores = uints(options.Get("workerLcores"));
  parsed.mbufs = uint_field(options, "mbufs");
  parsed.max_mtu = uint_field(options, "maxMtu");
  parsed.link_poll_interval_us = uint_field(options, "linkPollIntervalUs");
  parsed.idle_sleep_max_us = uint_field(options, "idleSleepMaxUs");

  event_callback = Napi::ThreadSafeFunction::New(env, info[1].As<Napi::Function>(),
                                                 "vhost-failover events", 0, 1);
  dataplane = std::make_unique<Dataplane>();
  std::string error = dataplane->start(parsed, emit_to_js);
  if (!error.empty()) {
    dataplane->shutdown();
    dataplane.reset();
    event_callback.Release();
    throw Napi::Error::New(env, error);
  }
  return env.Undefined();
}

Napi::Value AddGroup(const Napi::CallbackInfo &info) {
  Napi::Object spec = info[0].As<Napi::Object>();
  vf::GroupSpec parsed;
  parsed.name = spec.Get("name").ToString();
  parsed.mac = spec.Get("mac").ToString();
  parsed.mtu = uint_field(spec, "mtu");
  parsed.rx_mode =
      spec.Get("rx").ToString().Utf8Value() == "active" ? vf::RxMode::kActive : vf::RxMode::kBoth;
  parsed.vhost_devargs = spec.Get("vhostDevargs").ToString();
  parsed.primary_devargs = spec.Get("primaryDevargs").ToString();
  parsed.standby_devargs = spec.Get("standbyDevargs").ToString();
  parsed.set_primary_mac = spec.Get("setPrimaryMac").ToBoolean();
  parsed.rx_descriptors = uint_field(spec, "rxDescriptors");
  parsed.tx_descriptors = uint_field(spec, "txDescriptors");
  parsed.garp_max_age_ms = uint_field(spec, "garpMaxAgeMs");
  std::string error = started(info.Env()).add_group(parsed);
  if (!error.empty()) throw Napi::Error::New(info.Env(), error);
  return info.Env().Undefined();
}

Napi::Value RemoveGroup(const Napi::CallbackInfo &info) {
  std::string error = started(info.Env()).remove_group(info[0].ToString());
  if (!error.empty()) throw Napi::Error::New(info.Env(), error);
  return info.Env().Undefined();
}

// Runs fn on the group named by the first argument, or throws naming the groups there are.
void on_group(const Napi::CallbackInfo &info, const std::function<void(vf::Group &)> &fn) {
  Dataplane &plane = started(info.Env());
  std::string name = info[0].ToString();
  if (plane.with_group(name, fn)) return;
  std::string known;
  for (const std::string &group : plane.group_names()) known += (known.empty() ? "" : ", ") + group;
  throw Napi::Error::New(info.Env(), "no group \"" + name + "\" (groups: " + known + ")");
}

Napi::Value DetachPrimary(const Napi::CallbackInfo &info) {
  vf::TxDrain drain;
  std::string error = started(info.Env()).detach_primary(info[0].ToString(), &drain);
  if (!error.empty()) throw Napi::Error::New(info.Env(), error);
  return Napi::String::New(info.Env(), vf::tx_drain_name(drain));
}

Napi::Value InjectPrimaryRemoval(const Napi::CallbackInfo &info) {
  std::string error;
  on_group(info, [&](vf::Group &group) { error = vf::LinkMonitor::inject_primary_removal(group); });
  if (!error.empty()) throw Napi::Error::New(info.Env(), error);
  return info.Env().Undefined();
}

Napi::Value AttachPrimary(const Napi::CallbackInfo &info) {
  std::string error =
      started(info.Env())
          .attach_primary(info[0].ToString(), info[1].ToString(), info[2].ToBoolean());
  if (!error.empty()) throw Napi::Error::New(info.Env(), error);
  return info.Env().Undefined();
}

Napi::Value Announce(const Napi::CallbackInfo &info) {
  on_group(info, [](vf::Group &group) {
    group.announce_requested.store(true, std::memory_order_release);
  });
  return info.Env().Undefined();
}

// {allMulticast, multicast: ["01:00:5e:..."], vlanFiltering, vlans: [100]}
Napi::Value SetRxFilter(const Napi::CallbackInfo &info) {
  Napi::Object spec = info[1].As<Napi::Object>();
  vf::RxFilter filter;
  filter.all_multicast = spec.Get("allMulticast").ToBoolean();
  for (const std::string &text : strings(spec.Get("multicast"))) {
    rte_ether_addr mac;
    if (rte_ether_unformat_addr(text.c_str(), &mac) != 0)
      throw Napi::Error::New(info.Env(), "\"" + text + "\" is not a MAC address");
    filter.multicast.push_back(mac);
  }
  filter.vlan_filtering = spec.Get("vlanFiltering").ToBoolean();
  for (unsigned vlan : uints(spec.Get("vlans"))) {
    // VLAN 0 is legal: Linux adds it (priority-tagged frames) when the guest's NIC comes up.
    if (vlan > 4095)
      throw Napi::Error::New(info.Env(), "VLAN " + std::to_string(vlan) + " is not in 0..4095");
    filter.vlans.push_back(static_cast<uint16_t>(vlan));
  }
  std::string error = started(info.Env()).set_rx_filter(info[0].ToString(), filter);
  if (!error.empty()) throw Napi::Error::New(info.Env(), error);
  return info.Env().Undefined();
}

Napi::Value SetPrimaryEligible(const Napi::CallbackInfo &info) {
  bool applied = false;
  const bool eligible = info[1].ToBoolean();
  const std::string reason = info[2].ToString();
  on_group(info, [&](vf::Group &group) {
    applied = vf::link_set_primary_eligible(group, eligible, reason);
  });
  return Napi::Boolean::New(info.Env(), applied);
}

Napi::Object uplink_status(Napi::Env env, const vf::Uplink &uplink) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("devargs", uplink.devargs);
  out.Set("portId", uplink.port_id);
  out.Set("present", uplink.present.load());
  out.Set("linkUp", uplink.link_up.load());
  Napi::Object filter = Napi::Object::New(env);
  filter.Set("multicast", uplink.rx_filter_outcome.multicast);
  filter.Set("vlan", uplink.rx_filter_outcome.vlan);
  out.Set("rxFilter", filter);
  return out;
}

// The addresses learned from the guest's ARP, newest first, with their age and whether the next
// announcement round will carry a GARP for them.
Napi::Array guest_addresses(Napi::Env env, const vf::GuestAddresses &table) {
  struct Seen {
    uint64_t key, at;
  };
  std::vector<Seen> seen;
  for (int slot = 0; slot < vf::GuestAddresses::kSlots; slot++) {
    const uint64_t key = table.key[slot].load(std::memory_order_relaxed);
    if (key != 0) seen.push_back({key, table.last_seen_tsc[slot].load(std::memory_order_relaxed)});
  }
  std::sort(seen.begin(), seen.end(), [](const Seen &a, const Seen &b) { return a.at > b.at; });
  const uint64_t now = rte_rdtsc();
  const double tsc_per_ms = static_cast<double>(rte_get_tsc_hz()) / 1000.0;
  Napi::Array out = Napi::Array::New(env, seen.size());
  for (size_t i = 0; i < seen.size(); i++) {
    const uint32_t ipv4 = rte_be_to_cpu_32(vf::GuestAddresses::ipv4_of(seen[i].key));
    const std::string dotted = std::to_string(ipv4 >> 24) + "." + std::to_string(ipv4 >> 16 & 255) +
                               "." + std::to_string(ipv4 >> 8 & 255) + "." +
                               std::to_string(ipv4 & 255);
    const uint64_t age = now > seen[i].at ? now - seen[i].at : 0;
    Napi::Object entry = Napi::Object::New(env);
    entry.Set("address", dotted);
    entry.Set("vlan", vf::GuestAddresses::vlan_of(seen[i].key));
    entry.Set("lastSeenMsAgo", std::floor(static_cast<double>(age) / tsc_per_ms));
    entry.Set("announced", age <= table.max_age_tsc);
    out.Set(static_cast<uint32_t>(i), entry);
  }
  return out;
}

Napi::Value GroupStatus(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  on_group(info, [&](vf::Group &group) {
    out.Set("name", group.name);
    out.Set("guestConnected", group.guest_ready.load());
    out.Set("primary", uplink_status(env, group.uplink(vf::kPrimary)));
    out.Set("standby", uplink_status(env, group.uplink(vf::kStandby)));
    out.Set("primaryEligible", group.primary_eligible.load());
    out.Set("activePath", vf::path_name(group.transmit_path()));
    out.Set("guestIPv4", guest_addresses(env, group.guest_addresses));
  });
  return out;
}

Napi::Object per_path(Napi::Env env, const uint64_t (&values)[2]) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("primary", static_cast<double>(values[vf::kPrimary]));
  out.Set("standby", static_cast<double>(values[vf::kStandby]));
  return out;
}

Napi::Value GroupStats(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  on_group(info, [&](vf::Group &group) {
    const vf::Counters sum = group.counters.sum();
    out.Set("guestDequeued", static_cast<double>(sum.guest_dequeued));
    out.Set("txPackets", per_path(env, sum.tx_packets));
    out.Set("txBytes", per_path(env, sum.tx_bytes));
    out.Set("txDroppedFull", per_path(env, sum.tx_dropped_full));
    out.Set("txDroppedNoPath", static_cast<double>(sum.tx_dropped_no_path));
    out.Set("rxPackets", per_path(env, sum.rx_packets));
    out.Set("rxBytes", per_path(env, sum.rx_bytes));
    out.Set("rxDroppedGuest", per_path(env, sum.rx_dropped_guest));
    out.Set("rxDroppedInactive", per_path(env, sum.rx_dropped_inactive));
    out.Set("announcementsSent", per_path(env, sum.announcements_sent));
    out.Set("garpsSent", per_path(env, sum.garps_sent));
    out.Set("lastSwitchGapUs", static_cast<double>(group.last_switch_gap_tsc.load()) * 1e6 /
                                   static_cast<double>(rte_get_tsc_hz()));
  });
  return out;
}

Napi::Value MbufsInUse(const Napi::CallbackInfo &info) {
  return Napi::Number::New(info.Env(), started(info.Env()).mbufs_in_use());
}

Napi::Value Shutdown(const Napi::CallbackInfo &info) {
  if (!dataplane) return info.Env().Undefined();
  dataplane->shutdown();
  dataplane.reset();
  event_callback.Release();
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
  exports.Set("setPrimaryEligible", Napi::Function::New(env, SetPrimaryEligible));
  exports.Set("groupStatus", Napi::Function::New(env, GroupStatus));
  exports.Set("groupStats", Napi::Function::New(env, GroupStats));
  exports.Set("mbufsInUse", Napi::Function::New(env, MbufsInUse));
  exports.Set("shutdown", Napi::Function::New(env, Shutdown));
  return exports;
}

}  // namespace

NODE_API_MODULE(vhost_failover, Init)

# TRex stateless profile for the PVP test of vhost-failover: TRex port 0 -> VF of group vm_a ->
# the daemon -> the guest's first port -> testpmd (mac forwarding) in the guest -> its second
# port -> the daemon -> VF of group vm_b -> TRex port 1, and the reverse from port 1.
#
#   start -f bench/pvp/trex_pvp.py --port 0 -m 1mpps -t size=64            (console)
#   start -f bench/pvp/trex_pvp.py --port 0 1 -m 50% -t size=imix,latency=1
#
# Frame sizes are RFC 2544's, FCS included (TRex's NIC appends the 4-byte FCS). Each port sends
# to the MAC of the guest port behind its VF: the daemon drops nothing by destination, but the
# VF's own filter does (an untrusted VF receives only its MAC, broadcast and what it joined).
# bench:pvp-check checks this file's syntax and fields and that its MACs are bench/pvp/daemon.yaml's.
from trex.stl.api import (
    STLFlowLatencyStats,
    STLPktBuilder,
    STLProfile,
    STLScVmRaw,
    STLStream,
    STLTXCont,
    STLVmFixIpv4,
    STLVmFlowVar,
    STLVmWrFlowVar,
)
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether

RFC2544_SIZES = [64, 128, 256, 512, 1024, 1280, 1518]
# The simple IMIX: 7 of 64, 4 of 570 and 1 of 1518 bytes in every 12 frames.
IMIX = [(64, 7), (570, 4), (1518, 1)]
FCS_BYTES = 4
# The guest's ports, as daemon.yaml's groups vm_a and vm_b name them.
GUEST_MACS = ["52:54:00:00:0a:01", "52:54:00:00:0a:02"]
# One flow group per direction; 256 source addresses so RSS (when a lab enables queues) spreads them.
SOURCE_NETS = ["198.18.0.", "198.19.0."]
LATENCY_PPS = 1000
LATENCY_PG_BASE = 10


class PvpProfile(object):
    def stream(self, direction, frame_bytes, pps_share):
        base = Ether(dst=GUEST_MACS[direction]) / IP(
            src=SOURCE_NETS[direction] + "1", dst=SOURCE_NETS[1 - direction] + "1"
        ) / UDP(sport=1024, dport=1024)
        pad = max(0, frame_bytes - FCS_BYTES - len(base)) * "x"
        vm = STLScVmRaw(
            [
                STLVmFlowVar(name="src", min_value=SOURCE_NETS[direction] + "1",
                             max_value=SOURCE_NETS[direction] + "254", size=4, op="inc"),
                STLVmWrFlowVar(fv_name="src", pkt_offset="IP.src"),
                STLVmFixIpv4(offset="IP"),
            ],
            cache_size=255,
        )
        return STLStream(packet=STLPktBuilder(pkt=base / pad, vm=vm), mode=STLTXCont(pps=pps_share))

    def latency_stream(self, direction):
        base = Ether(dst=GUEST_MACS[direction]) / IP(
            src=SOURCE_NETS[direction] + "250", dst=SOURCE_NETS[1 - direction] + "250"
        ) / UDP(sport=1025, dport=1025)
        pad = max(0, 64 - FCS_BYTES - len(base)) * "x"
        return STLStream(
            packet=STLPktBuilder(pkt=base / pad),
            mode=STLTXCont(pps=LATENCY_PPS),
            flow_stats=STLFlowLatencyStats(pg_id=LATENCY_PG_BASE + direction),
        )

    def get_streams(self, direction=0, size=64, latency=0, **kwargs):
        # -m scales every stream alike, so the IMIX weights keep their ratio at any rate.
        if size == "imix":
            streams = [self.stream(direction, frame_bytes, weight) for frame_bytes, weight in IMIX]
        elif int(size) in RFC2544_SIZES:
            streams = [self.stream(direction, int(size), 1)]
        else:
            raise ValueError("size: one of %s or imix" % RFC2544_SIZES)
        if int(latency):
            streams.append(self.latency_stream(direction))
        return STLProfile(streams).get_streams()


def register():
    return PvpProfile()

// Frames put on the PF's wire from the host's side (the tap in the test's namespace), through a
// packet socket: a station of the segment sending to a MAC behind the PF, which the PF's switch
// delivers to the VF that owns it, or to nobody. Either frames of no protocol, or IPv4 UDP flows
// a NIC's receive-side scaling hashes.
import type { Netns } from '../netns';

// Ethertype 0x88b5 (IEEE local experimental): nothing on either side answers or forwards it.
const SEND = `
import socket, sys
iface, source, destination, count, vlan = sys.argv[1:]
tag = b'\\x81\\x00' + int(vlan).to_bytes(2, 'big') if int(vlan) else b''
frame = (bytes.fromhex(destination.replace(':', '')) + bytes.fromhex(source.replace(':', '')) + tag +
         b'\\x88\\xb5' + b'\\x00' * 46)
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((iface, 0))
for _ in range(int(count)):
    s.send(frame)
`;

/**
 * Sends `count` 60-byte frames from `source` to `destination` out of `iface` in `netns`, tagged
 * with 802.1Q VLAN `vlan` unless it is 0.
 */
export function sendWireFrames(
  netns: Netns,
  iface: string,
  source: string,
  destination: string,
  count: number,
  vlan = 0,
): void {
  netns.exec('python3', '-c', SEND, iface, source, destination, String(count), String(vlan));
}

// UDP from 198.18.1.1 to 198.18.0.2, one source port per flow (the 4-tuple RSS hashes).
const SEND_FLOWS = `
import socket, struct, sys
iface, source, destination, flows, per_flow = sys.argv[1:]
def checksum(header):
    total = sum(struct.unpack('!10H', header))
    total = (total >> 16) + (total & 0xffff)
    return ~(total + (total >> 16)) & 0xffff
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((iface, 0))
ether = bytes.fromhex(destination.replace(':', '')) + bytes.fromhex(source.replace(':', '')) + b'\\x08\\x00'
for flow in range(int(flows)):
    udp = struct.pack('!HHHH', 10000 + flow, 9, 8 + 18, 0) + b'\\x00' * 18
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                     socket.inet_aton('198.18.1.1'), socket.inet_aton('198.18.0.2'))
    ip = ip[:10] + struct.pack('!H', checksum(ip)) + ip[12:]
    for _ in range(int(per_flow)):
        s.send(ether + ip + udp)
`;

/** Sends `framesPerFlow` IPv4 UDP frames in each of `flows` flows (source ports 10000 up). */
export function sendWireUdpFlows(
  netns: Netns,
  iface: string,
  source: string,
  destination: string,
  flows: number,
  framesPerFlow: number,
): void {
  netns.exec('python3', '-c', SEND_FLOWS, iface, source, destination, String(flows), String(framesPerFlow));
}

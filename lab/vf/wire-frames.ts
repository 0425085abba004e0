// Frames put on the PF's wire from the host's side (the tap in the test's namespace), through a
// packet socket: a station of the segment sending to a MAC behind the PF, which the PF's switch
// delivers to the VF that owns it, or to nobody.
import type { Netns } from '../netns';

// Ethertype 0x88b5 (IEEE local experimental): nothing on either side answers or forwards it.
const SEND = `
import socket, sys
iface, source, destination, count = sys.argv[1:]
frame = (bytes.fromhex(destination.replace(':', '')) + bytes.fromhex(source.replace(':', '')) +
         b'\\x88\\xb5' + b'\\x00' * 46)
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((iface, 0))
for _ in range(int(count)):
    s.send(frame)
`;

/** Sends `count` 60-byte frames from `source` to `destination` out of `iface` in `netns`. */
export function sendWireFrames(netns: Netns, iface: string, source: string, destination: string, count: number): void {
  netns.exec('python3', '-c', SEND, iface, source, destination, String(count));
}

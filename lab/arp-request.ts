// One ARP request put on an interface of a namespace by a station the lab makes up (its own MAC
// and address), through a packet socket: how a test has another host of the segment ask "who has
// <target>" without creating that host.
import type { Netns } from './netns';

const SEND = `
import socket, sys
iface, mac, sender, target = sys.argv[1:]
me = bytes.fromhex(mac.replace(':', ''))
frame = (b'\\xff' * 6 + me + b'\\x08\\x06' + bytes.fromhex('0001080006040001') + me +
         socket.inet_aton(sender) + b'\\x00' * 6 + socket.inet_aton(target))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((iface, 0))
s.send(frame + b'\\x00' * (60 - len(frame)))
`;

export interface ArpAsker {
  mac: string;
  address: string;
}

/** Broadcasts "who has `target`, tell `asker.address`" from `asker.mac` on `iface` in `netns`. */
export function sendArpRequest(netns: Netns, iface: string, asker: ArpAsker, target: string): void {
  netns.exec('python3', '-c', SEND, iface, asker.mac, asker.address, target);
}

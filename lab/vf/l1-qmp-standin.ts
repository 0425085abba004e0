// A stand-in for QEMU's QMP socket in the L1 host, for a guest that has no QEMU (the VF lab's
// guest is testpmd on virtio-user): it answers what the daemon's receive-filter sync asks
// (qmp_capabilities, qom-get of host_mtu, query-rx-filter) with one fixed filter, as QEMU would
// for a guest NIC whose driver joined those multicast groups and VLANs.
import fs from 'fs';
import path from 'path';
import { L1Process } from './l1-process';
import { L1_CTL_DIR, type L1Vm } from './l1-vm';

export interface GuestRxFilter {
  multicast: string[];
  vlans: number[];
}

const SERVER = `import json, os, socket, sys
path, device, multicast, vlans = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
FILTER = {"name": device, "promiscuous": False, "multicast": "normal", "multicast-overflow": False,
          "multicast-table": multicast, "vlan": "normal", "vlan-table": vlans, "unicast": "normal",
          "unicast-overflow": False, "unicast-table": [], "broadcast-allowed": True}
if os.path.exists(path):
    os.unlink(path)
server = socket.socket(socket.AF_UNIX)
server.bind(path)
server.listen(4)
print("listening", flush=True)
while True:
    connection, _ = server.accept()
    stream = connection.makefile("rw")
    stream.write(json.dumps({"QMP": {"version": {"qemu": {"major": 10, "minor": 0, "micro": 2}}, "capabilities": []}}) + "\\n")
    stream.flush()
    for line in stream:
        command = json.loads(line)
        name = command.get("execute")
        if name == "qmp_capabilities":
            reply = {"return": {}}
        elif name == "qom-get":
            reply = {"return": 1500}
        elif name == "query-rx-filter":
            reply = {"return": [FILTER]}
        else:
            reply = {"error": {"class": "CommandNotFound", "desc": name}}
        reply["id"] = command.get("id")
        print(name, flush=True)
        stream.write(json.dumps(reply) + "\\n")
        stream.flush()
    connection.close()
`;

/** Starts the stand-in on `socket` in L1, answering for `device` with `filter`, once it listens. */
export async function startQmpStandin(
  l1: L1Vm,
  socket: string,
  device: string,
  filter: GuestRxFilter,
): Promise<L1Process> {
  fs.writeFileSync(path.join(l1.ctlDir, 'qmp-standin.py'), SERVER);
  const process = await L1Process.start(l1, 'qmp-standin', [
    '/usr/bin/python3',
    '-u',
    `${L1_CTL_DIR}/qmp-standin.py`,
    socket,
    device,
    JSON.stringify(filter.multicast),
    JSON.stringify(filter.vlans),
  ]);
  await l1.runOk(`i=0; while [ ! -S ${socket} ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done; [ -S ${socket} ]`);
  return process;
}

// The daemon's control socket in the L1 host, reached through a small Python client run there
// (Python starts in about 2 s under TCG, Node in 4 s). Whoever started the daemon (the lab, or
// systemd in L1) holds one of these for its socket.
import fs from 'fs';
import path from 'path';
import { PROTOCOL_VERSION, type Op, type OpReplies, type Reply } from '../../src/control/protocol';
import { L1_CTL_DIR, shellQuote, type L1Vm } from './l1-vm';

// One request line in, the reply line out.
const CONTROL_CLIENT = `import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\\n")
reply = b""
while b"\\n" not in reply:
    chunk = s.recv(65536)
    if not chunk:
        break
    reply += chunk
sys.stdout.write(reply.decode())
`;

// The same request `count` times in one process, each timed from connect to the reply's last
// byte: the daemon's answer without Python's start-up under TCG.
const TIMING_CLIENT = `import json, socket, sys, time
times = []
for _ in range(int(sys.argv[3])):
    start = time.monotonic()
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(30)
    s.connect(sys.argv[1])
    s.sendall(sys.argv[2].encode() + b"\\n")
    reply = b""
    while b"\\n" not in reply:
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        reply += chunk
    s.close()
    times.append({"ms": (time.monotonic() - start) * 1000, "bytes": len(reply)})
print(json.dumps(times))
`;

export class L1Control {
  constructor(
    private readonly l1: L1Vm,
    readonly socket: string,
  ) {
    fs.writeFileSync(path.join(l1.ctlDir, 'control-client.py'), CONTROL_CLIENT);
    fs.writeFileSync(path.join(l1.ctlDir, 'control-timing.py'), TIMING_CLIENT);
  }

  /** One control request; rejects with the daemon's error when it refuses. */
  async request<O extends Op>(op: O, args: Record<string, unknown> = {}): Promise<OpReplies[O]> {
    const line = JSON.stringify({ v: PROTOCOL_VERSION, id: 1, op, ...args });
    const stdout = await this.l1.runOk(
      `/usr/bin/python3 ${L1_CTL_DIR}/control-client.py ${shellQuote(this.socket)} ${shellQuote(line)}`,
    );
    const reply = JSON.parse(stdout) as Reply;
    if (!reply.ok) throw new Error(`the daemon refused ${op}: ${reply.error}`);
    return reply.result as OpReplies[O];
  }

  /** `op` sent `count` times in one Python process: each reply's time (ms) and size (bytes). */
  async timed(op: Op, count: number): Promise<Array<{ ms: number; bytes: number }>> {
    const line = JSON.stringify({ v: PROTOCOL_VERSION, id: 1, op });
    const stdout = await this.l1.runOk(
      `/usr/bin/python3 ${L1_CTL_DIR}/control-timing.py ${shellQuote(this.socket)} ${shellQuote(line)} ${count}`,
      60000,
    );
    return JSON.parse(stdout) as Array<{ ms: number; bytes: number }>;
  }
}

// A QMP server that plays a misbehaving QEMU, one behaviour per connection, for the trust tests:
// real QEMU never sends a bare `1` or a 16 MiB line, but the daemon must survive one that does.
// After its script runs out it behaves: it greets, answers qom-get and query-rx-filter.
import fs from 'fs';
import net from 'net';

/** What the server does with the connection's first command after qmp_capabilities. */
export type QmpMisbehaviour =
  'not-an-object' | 'null' | 'huge-line' | 'never-answer' | 'bad-reply' | 'control-character';

export interface GoodFilter {
  multicast: string[];
  vlans: number[];
}

export class HostileQmp {
  readonly connections: Array<QmpMisbehaviour | 'good'> = [];
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly script: QmpMisbehaviour[],
    private readonly filter: GoodFilter,
  ) {
    this.server = net.createServer((socket) => this.serve(socket));
  }

  static async listen(socketPath: string, script: QmpMisbehaviour[], filter: GoodFilter): Promise<HostileQmp> {
    fs.rmSync(socketPath, { force: true });
    const qmp = new HostileQmp([...script], filter);
    await new Promise<void>((resolve) => qmp.server.listen(socketPath, resolve));
    return qmp;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private serve(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const behaviour = this.script.shift() ?? 'good';
    this.connections.push(behaviour);
    const send = (message: unknown) => socket.write(JSON.stringify(message) + '\n');
    send({ QMP: { version: { qemu: { major: 7, minor: 2, micro: 0 } }, capabilities: [] } });
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      let newline;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const command = JSON.parse(buffered.slice(0, newline)) as { execute: string; id: number };
        buffered = buffered.slice(newline + 1);
        if (command.execute === 'qmp_capabilities') send({ return: {}, id: command.id });
        else this.answer(behaviour, command, socket, send);
      }
    });
  }

  private answer(
    behaviour: QmpMisbehaviour | 'good',
    command: { execute: string; id: number },
    socket: net.Socket,
    send: (message: unknown) => void,
  ): void {
    switch (behaviour) {
      case 'not-an-object':
        socket.write('1\n');
        return;
      case 'null':
        socket.write('null\n');
        return;
      case 'huge-line':
        socket.write('"' + 'x'.repeat(16 * 1024 * 1024) + '"\n');
        return;
      case 'never-answer':
        return;
      case 'bad-reply':
        send({ return: [{ name: 'nic0', promiscuous: 'yes' }], id: command.id });
        return;
      case 'control-character':
        // A well-formed filter but for a NUL in the device's name.
        send({ return: [{ ...this.goodFilter(), name: 'nic0\u0000x' }], id: command.id });
        return;
    }
    if (command.execute === 'qom-get') send({ return: 1500, id: command.id });
    else if (command.execute === 'query-rx-filter') send({ return: [this.goodFilter()], id: command.id });
    else send({ error: { class: 'CommandNotFound', desc: `no ${command.execute} here` }, id: command.id });
  }

  private goodFilter(): object {
    return {
      name: 'nic0',
      promiscuous: false,
      multicast: 'normal',
      'multicast-overflow': false,
      'multicast-table': this.filter.multicast,
      vlan: 'normal',
      'vlan-table': this.filter.vlans,
      unicast: 'normal',
      'unicast-overflow': false,
      'unicast-table': [],
      'broadcast-allowed': true,
      'main-mac': '52:54:00:00:0f:01',
    };
  }
}

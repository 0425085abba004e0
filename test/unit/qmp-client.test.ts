import { strict as assert } from 'assert';
import fs from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';
import { QmpClient } from '../../src/guest/qmp-client';

/** A QMP peer that greets, accepts capabilities, answers nothing else and closes when told. */
async function peer(socketPath: string): Promise<{ server: net.Server; hangUp: () => void }> {
  const connections: net.Socket[] = [];
  const server = net.createServer((socket) => {
    connections.push(socket);
    socket.write('{"QMP": {"version": {}, "capabilities": []}}\n');
    socket.on('data', (chunk) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        const { id } = JSON.parse(line) as { id: number };
        socket.write(JSON.stringify({ return: {}, id }) + '\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return { server, hangUp: () => connections.forEach((socket) => socket.destroy()) };
}

describe('QMP client', function () {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vf-qmp-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses a command once QEMU has gone, instead of leaving it unanswered for ever', async function () {
    const { server, hangUp } = await peer(path.join(dir, 'qmp.sock'));
    try {
      const client = await QmpClient.connect(path.join(dir, 'qmp.sock'));
      assert.deepEqual(await client.execute('query-status'), {});
      const closed = new Promise((resolve) => client.once('close', resolve));
      hangUp();
      await closed;
      // A QEMU that exited (a panicked guest with -no-reboot): the caller hears so at once.
      await assert.rejects(client.execute('query-status'), /QMP connection closed/);
    } finally {
      server.close();
    }
  });
});

// `stats --watch`: the counters every second with the rates since the last refresh.
import { request } from '../control/client';
import type { StatsReply } from '../control/protocol';
import { formatStats, type Rates } from './format';

function ratesBetween(previous: { at: number; reply: StatsReply }, now: number, reply: StatsReply): Rates {
  const seconds = (now - previous.at) / 1000;
  const rates: Rates = {};
  for (const [name, group] of Object.entries(reply.groups)) {
    const before = previous.reply.groups[name];
    if (!before) continue;
    const rate = (after: number, then: number) => (after - then) / seconds;
    rates[name] = {
      txPps: {
        primary: rate(group.txPackets.primary, before.txPackets.primary),
        standby: rate(group.txPackets.standby, before.txPackets.standby),
      },
      rxPps: {
        primary: rate(group.rxPackets.primary, before.rxPackets.primary),
        standby: rate(group.rxPackets.standby, before.rxPackets.standby),
      },
    };
  }
  return rates;
}

export async function watchStats(socket: string, args: Record<string, unknown>, json: boolean): Promise<never> {
  let previous: { at: number; reply: StatsReply } | undefined;
  for (;;) {
    const reply = await request(socket, 'stats', args);
    const active = await request(socket, 'status', args);
    const now = Date.now();
    const rates = previous ? ratesBetween(previous, now, reply) : {};
    previous = { at: now, reply };
    const paths = active.map((group) => `${group.name}: ${group.activePath}`).join('   ');
    process.stdout.write(
      json
        ? JSON.stringify({ reply, rates }) + '\n'
        : `\x1b[2J\x1b[H${new Date().toISOString()}   active: ${paths}\n\n${formatStats(reply, rates)}\n(Ctrl-C to stop)\n`,
    );
    await new Promise((resolve) => setTimeout(resolve, 1000)); // the refresh period
  }
}

// The demo: config/demo.yaml on virtual devices. A testpmd "VM" sends on its one virtio-net port;
// the daemon carries it on the primary tap; the primary's cable is pulled, the standby takes
// over; the cable is put back and traffic returns. Every step is told in plain words, with the
// numbers read from the kernel's own interface counters and the daemon's.
import path from 'path';
import { loadConfigFile } from '../src/config';
import { openLedger } from '../lab/ledger';
import { BRIDGE, Topology } from '../lab/topology';
import { waitFor } from '../lab/wait';

const CONFIG = path.resolve(__dirname, '..', '..', 'config', 'demo.yaml');
const SAMPLE_MS = 1000;

const say = (text: string) => process.stdout.write(`\n\x1b[1m${text}\x1b[0m\n`);
const detail = (text: string) => process.stdout.write(`  ${text}\n`);
const kpps = (pps: number) => `${(pps / 1000).toFixed(0)} kpps`;

async function sampleRates(topology: Topology): Promise<{ primary: number; standby: number }> {
  const read = () => ({
    at: process.hrtime.bigint(),
    primary: topology.netns.counters(topology.primaryTap).rxPackets,
    standby: topology.netns.counters(topology.standbyTap).rxPackets,
  });
  const start = read();
  await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS)); // a rate needs a time window
  const end = read();
  const seconds = Number(end.at - start.at) / 1e9;
  return { primary: (end.primary - start.primary) / seconds, standby: (end.standby - start.standby) / seconds };
}

async function showRates(topology: Topology, label: string): Promise<void> {
  const rates = await sampleRates(topology);
  detail(
    `${label}: ${kpps(rates.primary)} on the primary (${topology.primaryTap}), ` +
      `${kpps(rates.standby)} on the standby (${topology.standbyTap})`,
  );
}

async function showSwitch(topology: Topology): Promise<void> {
  const status = await topology.groupStatus();
  detail(`active path: ${status.activePath} — because: ${status.lastSwitch?.reason ?? 'start-up'}`);
}

async function main(): Promise<void> {
  const config = loadConfigFile(CONFIG);
  say(`1. Starting the daemon with ${path.relative(process.cwd(), CONFIG)}`);
  detail(`group ${config.groups[0].name}: vhost-user socket ${config.groups[0].vhost.socket}`);
  detail(`primary ${config.groups[0].primary.devargs}   standby ${config.groups[0].standby.devargs}`);
  const topology = await Topology.start(config);
  try {
    detail(`both taps joined bridge ${BRIDGE} in network namespace ${topology.netns.name}`);
    await topology.waitForActivePath('primary');
    await showSwitch(topology);
    // Counting starts once the start-up announcements are out (some left before the taps joined
    // the bridge).
    const ledger = await openLedger(topology);

    say('2. Connecting a VM (dpdk-testpmd on net_virtio_user) that sends 64-byte frames');
    const vm = await topology.startSender();
    await waitFor('traffic', () => topology.netns.counters(topology.primaryTap).rxPackets > 1000);
    await showRates(topology, 'traffic');

    say(`3. Pulling the primary's cable: ip link set ${topology.primaryTap} down`);
    topology.netns.setLink(topology.primaryTap, 'down');
    await topology.waitForActivePath('standby');
    await showSwitch(topology);
    await showRates(topology, 'traffic');

    say(`4. Putting the cable back: ip link set ${topology.primaryTap} up`);
    topology.netns.setLink(topology.primaryTap, 'up');
    await topology.waitForActivePath('primary');
    await showSwitch(topology);
    await showRates(topology, 'traffic');

    say('5. Stopping the VM and counting every frame');
    await vm.command('stop');
    const books = await ledger.close('the demo', { strict: false, quiet: true });
    detail(
      `the VM sent ${books.sent} frames through the daemon; ${books.arrived} reached the bridge ` +
        `(${books.sent - books.arrived} missing: ${books.dropped} dropped and counted, ${books.lostSilently} lost silently)`,
    );
    detail(`${books.onUplink.primary} left on the primary, ${books.onUplink.standby} on the standby`);
    const {
      uplink_full_primary: primaryFull,
      uplink_full_standby: standbyFull,
      no_path: noPath,
    } = books.droppedByCause;
    detail(
      `dropped and counted: ${primaryFull} refused by the primary as it died, ` +
        `${standbyFull} by the standby, ${noPath} with no path up`,
    );
    detail(
      `${books.announcements} announcements of the guest (RARPs, GARPs) went out on the new paths (not counted above)`,
    );
    const stats = await topology.groupStats();
    detail(`switches: ${(await topology.groupStatus()).lastSwitch?.switches ?? 0}; mbufs in use: ${stats.mbufsInUse}`);
  } finally {
    say('6. Tearing down: VM, daemon (SIGTERM), namespace, taps, sockets');
    await topology.stop();
    detail(`done; hugepage files left: ${topology.hugepageFiles().length}`);
  }
}

main().catch((err: Error) => {
  process.stderr.write(`demo failed: ${err.message}\n`);
  process.exit(1);
});

// One guest migrated back and forth between the two daemons of a MigrationLab, in one boot,
// with pings every 10 ms across each migration. It throws at the first broken invariant: guest
// RAM that differs between the stopped source and the loaded destination, pings that stop, an
// announcement from the source after the guest left, the bridge not following the guest, and, at
// the end, a stream into the guest received otherwise than sent, mbufs, open files or RSS grown in
// either daemon. Pings lost outside a migration's own outage are counted and listed (the tests
// allow none). The migration test runs a few; `npm run soak -- --migrations N` runs the full count.
import path from 'path';
import {
  MigrationLab,
  migrationOutage,
  type MigrationHost,
  type MigrationParameters,
  type MigrationTimeline,
} from './migration';
import { writeOutageDiagnostics } from './outage-diagnostics';
import { EchoTrace } from './echo-trace';
import { Pinger, type PingGaps } from './ping-gaps';
import type { QemuVmOptions } from './qemu-vm';
import { fdDifference, processSample, type ProcessSample } from './process-sample';
import { StreamSender } from './stream-sender';
import { BRIDGE, GUEST_IP } from './topology';
import { waitFor } from './wait';

/** A daemon may hold a closing control connection or two at a sample; RSS settles after warm-up. */
const FD_GROWTH_LIMIT = 2;
const RSS_GROWTH_LIMIT_MIB = 16;

export interface MigrationSoakSummary {
  migrations: number;
  gapsMs: number[];
  downtimesMs: number[];
  pingsLost: number;
  /** Pings lost outside a migration's own outage, one line per migration: loss the move does not explain. */
  strayLosses: string[];
  /** Migrations by QEMU's dirty-bitmap passes (QEMU 7.2's TCG bug needed 4 or more). */
  byDirtySyncs: Record<number, number>;
  /** Migrations whose guest RAM was compared, source against destination, and found identical. */
  ramChecked: number;
  /** The stream into the guest across every migration: its MD5 sent and received. */
  stream?: { bytes: number; sentMd5: string; receivedMd5: string };
  daemons: Record<'A' | 'B', { settled: ProcessSample; last: ProcessSample }>;
}

export function describeMigration(t: MigrationTimeline, gaps: PingGaps): string {
  const since = (at: number | undefined) =>
    at === undefined ? '?' : `${(at - t.destinationResumedAtMs).toFixed(1)} ms`;
  return (
    `${t.from}→${t.to}: ${t.dirtySyncs} dirty-bitmap passes, ` +
    (t.sourceFramesAfterResume > 0
      ? `${t.sourceFramesAfterResume} frames from the guest's MAC on the source's wire after the resume, `
      : '') +
    (t.ram
      ? `guest RAM identical on both sides (${(t.ram.bytes / 2 ** 20).toFixed(0)} MiB compared in ${t.ram.elapsedMs} ms), `
      : '') +
    `QEMU downtime ${t.downtimeMs} ms (stop to resume ` +
    `${(t.destinationResumedAtMs - t.sourceStoppedAtMs).toFixed(1)} ms, total ${t.totalMs} ms); ` +
    `ping gap ${gaps.longestGapMs.toFixed(1)} ms, ${gaps.lostInOutage} lost in the outage, ${gaps.lostElsewhere} elsewhere; ` +
    `after the resume: guest up at ${since(t.guestUpAtMs)}, first RARP on the wire at ` +
    `${since(t.firstAnnouncementAtMs)}, first ping delivered to the destination at ${since(t.firstRequestAtMs)}, ` +
    `pings answered again at ${since(gaps.gapToMs)}`
  );
}

/** Frames a daemon dropped and counted, both uplinks together: to the guest, and from it. */
async function drops(host: MigrationHost): Promise<{ guest: number; inactive: number; fromGuest: number }> {
  const group = (await host.daemon.stats()).groups.vm1;
  return {
    guest: group.rxDroppedGuest.primary + group.rxDroppedGuest.standby,
    inactive: group.rxDroppedInactive.primary + group.rxDroppedInactive.standby,
    fromGuest:
      group.txDroppedFull.primary + group.txDroppedFull.standby + group.txDroppedNoPath + group.txDroppedInVhost,
  };
}

async function mbufsInUse(host: MigrationHost): Promise<number> {
  return (await host.daemon.stats()).mbufsInUse;
}

/**
 * The error to throw when pings stop: says so if the guest's console shows its memory corrupted
 * (a kernel panic, or its transmit ring: "output.0:id N is not a head!"). The RAM check names a
 * page lost in the copy at the migration itself; a corruption seen only later happened elsewhere.
 */
function withGuestCorruption(lab: MigrationLab, err: Error): Error {
  const seen = /Kernel panic[^\n]*|output\.\d+:id \d+ is not a head!/.exec(lab.vm?.console() ?? '')?.[0];
  if (!seen) return err;
  return new Error(`${err.message}: the guest's memory was corrupted ("${seen.trim()}")`);
}

export interface MigrationSoakOptions {
  /** The daemons' dataplane.rxInterrupts (their default when absent). */
  rxInterrupts?: boolean;
  /** Where to write what the daemons were doing if pings stop after a migration (see outage-diagnostics). */
  diagnosticsDir?: string;
  /** How long to keep watching for pings to come back after the outage, ms (default 120 s). */
  watchMs?: number;
  /**
   * A TCP stream into the guest across every migration, bytes/s (0: none). Its pages keep being
   * dirtied while the copy runs, so migrations take several dirty-bitmap passes as a busy guest's do;
   * an idle guest's rarely take more than three.
   */
  streamBytesPerS?: number;
  /** Compare guest RAM on both sides at every migration (default true). */
  checkRam?: boolean;
  /** The guest's QEMU and RAM (qemu-vm.ts's defaults when absent). */
  guest?: Pick<QemuVmOptions, 'qemu' | 'ramKiB' | 'rxQueueSize'>;
  /** QEMU's migration parameters (its defaults when absent). */
  migrationParameters?: MigrationParameters;
}

const SINK_PORT = 5001;

/** How long the trace keeps watching for the replies to pings ping counted as lost. */
const LATE_REPLY_MS = 1000;
/** How long pings may stay unanswered after a migration before it counts as an outage. */
const OUTAGE_MS = 30000;
/** How long the soak then keeps watching, to tell an outage that ends from one that does not. */
const OUTAGE_WATCH_MS = 120000;

export async function runMigrationSoak(
  count: number,
  log: (line: string) => void,
  options: MigrationSoakOptions = {},
): Promise<MigrationSoakSummary> {
  // Without GUEST_ANNOUNCE the guest never announces itself: QEMU sends VHOST_USER_SEND_RARP,
  // DPDK injects that RARP into the guest's transmit queue, and the daemons' own rounds and that
  // RARP are all that moves the MAC.
  const daemons = options.rxInterrupts !== undefined ? { rxInterrupts: options.rxInterrupts } : {};
  const streamBytesPerS = options.streamBytesPerS ?? 0;
  const lab = await MigrationLab.start(
    { guestAnnounce: false, ...options.guest, ...(streamBytesPerS > 0 ? { sinkPort: SINK_PORT } : {}) },
    daemons,
  );
  lab.diagnosticsDir = options.diagnosticsDir;
  lab.checkRam = options.checkRam ?? true;
  lab.migrationParameters = options.migrationParameters;
  let pinger: Pinger | undefined;
  let trace: EchoTrace | undefined;
  let sender: StreamSender | undefined;
  try {
    const { A, B } = lab.hosts;
    const baseline = { A: await mbufsInUse(A), B: await mbufsInUse(B) };
    await lab.boot();
    if (streamBytesPerS > 0) sender = StreamSender.start(lab.topology.netns.name, GUEST_IP, SINK_PORT, streamBytesPerS);
    const summary: MigrationSoakSummary = {
      migrations: 0,
      gapsMs: [],
      downtimesMs: [],
      pingsLost: 0,
      strayLosses: [],
      byDirtySyncs: {},
      ramChecked: 0,
      daemons: {} as MigrationSoakSummary['daemons'],
    };
    // Each daemon's sample once both have been source and destination, with the guest and without
    // it: a daemon holding the guest holds its vhost connection, its rings' eventfds and its memory.
    const settled = new Map<string, ProcessSample>();
    const state = (host: MigrationHost) => `${host.name} ${lab.current === host ? 'with' : 'without'} the guest`;
    for (let i = 1; i <= count; i++) {
      trace = await EchoTrace.start(lab.topology.netns.name);
      pinger = Pinger.start(lab.topology.netns.name, GUEST_IP);
      await waitFor('pings before the migration', () => pinger!.replies() >= 10, 30000).catch((err: Error) => {
        throw withGuestCorruption(lab, err);
      });
      const dropsBefore = { A: await drops(A), B: await drops(B) };
      const timeline = await lab.migrate().catch((err: Error) => {
        throw withGuestCorruption(lab, err);
      });
      const after = pinger.replies();
      const answered = () => pinger!.replies() >= after + 10;
      try {
        await waitFor('pings after the migration', answered, OUTAGE_MS);
      } catch (err) {
        if (!options.diagnosticsDir) throw withGuestCorruption(lab, err as Error);
        // Two snapshots a few seconds apart show which counters still move.
        const dir = path.join(options.diagnosticsDir, `migration-${i}`);
        const hosts = [
          { name: 'A', daemon: A.daemon },
          { name: 'B', daemon: B.daemon },
        ];
        await writeOutageDiagnostics(dir, 'at-timeout', hosts, lab.vm?.console() ?? '');
        await new Promise((resolve) => setTimeout(resolve, 5000));
        await writeOutageDiagnostics(dir, 'at-timeout-5s', hosts, lab.vm?.console() ?? '');
        const startedAt = Date.now();
        const watchMs = options.watchMs ?? OUTAGE_WATCH_MS;
        const recovered = await waitFor('pings after the outage', answered, watchMs).then(
          () => true,
          () => false,
        );
        await writeOutageDiagnostics(dir, recovered ? 'recovered' : 'not-recovered', hosts, lab.vm?.console() ?? '');
        throw withGuestCorruption(
          lab,
          new Error(
            `migration ${i} (${timeline.from}→${timeline.to}): no pings answered for ${OUTAGE_MS / 1000} s; ` +
              (recovered
                ? `they came back ${((Date.now() - startedAt + OUTAGE_MS) / 1000).toFixed(1)} s after the migration`
                : `none in ${watchMs / 1000} s more`) +
              `; diagnostics in ${dir}`,
          ),
        );
      }
      const gaps = await pinger.stop(migrationOutage(timeline));
      pinger = undefined;
      const dropped = async (host: MigrationHost) => {
        const [now, before] = [await drops(host), dropsBefore[host.name]];
        return (
          `${host.name} ${now.guest - before.guest} for a guest not ready or full, ` +
          `${now.inactive - before.inactive} on an inactive uplink, ${now.fromGuest - before.fromGuest} from the guest`
        );
      };
      const droppedLine = `frames dropped and counted meanwhile: ${await dropped(A)}; ${await dropped(B)}`;
      log(`${i}/${count} ${describeMigration(timeline, gaps)}; ${droppedLine}`);
      summary.migrations = i;
      summary.gapsMs.push(gaps.longestGapMs);
      summary.downtimesMs.push(timeline.downtimeMs);
      summary.pingsLost += gaps.lostInOutage + gaps.lostElsewhere;
      summary.byDirtySyncs[timeline.dirtySyncs] = (summary.byDirtySyncs[timeline.dirtySyncs] ?? 0) + 1;
      if (timeline.ram) summary.ramChecked++;
      if (gaps.lostElsewhere > 0) {
        const outageMs = Math.round(migrationOutage(timeline).toMs - migrationOutage(timeline).fromMs);
        const ports = Object.fromEntries(
          [A, B].flatMap((host) => [
            [host.primaryTap, `${host.name}'s primary`],
            [host.standbyTap, `${host.name}'s standby`],
          ]),
        );
        // A reply that came after ping stopped is still seen on the bridge: a late one, not a lost one.
        await waitFor(
          'late replies',
          () => gaps.lostElsewhereSeqs.every((seq) => trace!.answered(seq)),
          LATE_REPLY_MS,
        ).catch(() => undefined);
        const where = gaps.lostElsewhereSeqs.map((seq) => trace!.describe(seq, { ...ports, [BRIDGE]: 'the bridge' }));
        const stray =
          `migration ${i}: ${gaps.lostElsewhere} pings lost outside its outage (sent at ` +
          `${gaps.lostElsewhereAtMs.join(', ')} ms from the outage's start; it lasted ${outageMs} ms; ` +
          `${droppedLine}; ` +
          `where they went: ${where.join('; ')})`;
        log(stray);
        summary.strayLosses.push(stray);
      }
      trace.stop();
      if (timeline.rounds.source > 0)
        throw new Error(`migration ${i}: daemon ${timeline.from} announced a guest that had left`);
      const learned = lab.topology.netns.learnedPort(BRIDGE, lab.topology.group.mac);
      if (learned !== lab.current.primaryTap)
        throw new Error(`migration ${i}: the bridge has the guest on ${learned}, not ${lab.current.primaryTap}`);
      // Both daemons have been source and destination once: from here on nothing may grow.
      if (i === 2 || i === 3) for (const host of [A, B]) settled.set(state(host), processSample(host.daemon.pid));
    }
    if (sender) {
      const sent = await sender.stop();
      sender = undefined;
      const vm = lab.vm!;
      await waitFor('the guest to print its MD5', () => /GUEST-SINK md5=[0-9a-f]{32}/.test(vm.console()), 60000);
      const receivedMd5 = /GUEST-SINK md5=([0-9a-f]{32})/.exec(vm.console())![1];
      summary.stream = { bytes: sent.bytes, sentMd5: sent.md5, receivedMd5 };
      if (receivedMd5 !== sent.md5)
        throw new Error(
          `the guest received other bytes than were sent (${sent.bytes} bytes, md5 ${sent.md5}, guest ${receivedMd5})`,
        );
    }
    for (const host of [A, B]) {
      await waitFor(
        `daemon ${host.name} mbufs back at the baseline`,
        async () => (await mbufsInUse(host)) === baseline[host.name],
      );
      const last = processSample(host.daemon.pid);
      const first = settled.get(state(host)) ?? last;
      summary.daemons[host.name] = { settled: first, last };
      if (last.fds > first.fds + FD_GROWTH_LIMIT)
        throw new Error(
          `daemon ${host.name}: open files grew from ${first.fds} to ${last.fds} (${fdDifference(first, last)})`,
        );
      if (last.rssMiB > first.rssMiB + RSS_GROWTH_LIMIT_MIB)
        throw new Error(
          `daemon ${host.name}: RSS grew from ${first.rssMiB.toFixed(1)} to ${last.rssMiB.toFixed(1)} MiB`,
        );
    }
    return summary;
  } finally {
    await pinger?.abandon().catch(() => undefined);
    trace?.stop();
    await sender?.stop().catch(() => undefined);
    await lab.stop();
  }
}

export function formatMigrationSoak(summary: MigrationSoakSummary): string {
  const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
  const median = (values: number[]) => sorted(values)[Math.floor(values.length / 2)];
  const max = (values: number[]) => sorted(values)[values.length - 1];
  const daemon = (name: 'A' | 'B') => {
    const { settled, last } = summary.daemons[name];
    return `RSS ${settled.rssMiB.toFixed(1)} → ${last.rssMiB.toFixed(1)} MiB, open files ${settled.fds} → ${last.fds}, threads ${settled.threads} → ${last.threads}`;
  };
  return [
    '| What | Result |',
    '| --- | --- |',
    `| migrations | ${summary.migrations} in one guest boot, back and forth |`,
    `| QEMU downtime (ms) | median ${median(summary.downtimesMs)}, max ${max(summary.downtimesMs)} |`,
    `| longest ping gap (ms) | median ${median(summary.gapsMs).toFixed(1)}, max ${max(summary.gapsMs).toFixed(1)} |`,
    `| pings lost | ${summary.pingsLost}; outside a migration's outage: ${summary.strayLosses.length === 0 ? 'none' : summary.strayLosses.join('; ')} |`,
    `| dirty-bitmap passes | ${Object.entries(summary.byDirtySyncs)
      .map(([passes, n]) => `${passes}: ${n}`)
      .join(', ')} (passes: migrations) |`,
    `| guest RAM compared, source and destination | ${summary.ramChecked} migrations, every page identical |`,
    ...(summary.stream
      ? [`| stream into the guest | ${summary.stream.bytes} bytes, MD5 identical on both ends |`]
      : []),
    `| daemon A, from the 2nd or 3rd migration (the guest there or not, as at the end) to the last | ${daemon('A')} |`,
    `| daemon B, likewise | ${daemon('B')} |`,
  ].join('\n');
}

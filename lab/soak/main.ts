// `npm run soak` (scripts/soak): the soak from the command line, with a progress line and, at the
// end, the summary docs/lab/notes/2026-11-29-soak.md shows. Options:
//   --quick              120 faults and 6 guest restarts (about a minute), as the test command runs it
//   --seed N             replay a run (every run prints its seed)
//   --faults N           how many faults (default 10000)
//   --reconnects N       guest restarts at least (default 1000)
//   --migrations N       then live migrations of a QEMU guest back and forth between two daemons
//                        (default 20; 0 with --quick); --faults 0 runs only those
//   --rx-interrupts on|off  the daemons' dataplane.rxInterrupts in the migrations (their default otherwise)
//   --diagnostics DIR    if pings stop after a migration, write what the daemons were doing there
//   --stream BYTES_PER_S a TCP stream into the guest across the migrations (default 1048576; 0: none)
//   --no-ram-check       skip comparing guest RAM on both sides at each migration
//   --qemu system|10     the guest's QEMU: the system's (7.2 on Debian 12) or 10.0 unpacked by setup-lab
//   --guest-ram-kib N    the guest's RAM (default 262152: 256 MiB + 8 KiB; 262144 shows QEMU 7.2's bug)
//   --guest-rx-ring N    descriptors in the guest's receive ring (default 1024, the migration lab's;
//                        256 is QEMU's own, which a stalled TCG guest overflows now and then)
//   --max-bandwidth-mib N, --downtime-limit-ms N  QEMU's migration parameters (low ones mean more
//                        dirty-bitmap passes while the stream keeps dirtying pages)
//   --json FILE          also write the summary as JSON
import fs from 'fs';
import { formatMigrationSoak, runMigrationSoak } from '../migration-soak';
import { runSoak, SoakFailure, type SoakSummary } from './soak';

function option(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

export function formatSummary(summary: SoakSummary): string {
  const rows = [
    ['seed', String(summary.seed)],
    ['faults', `${summary.faults} in ${summary.seconds} s`],
    [
      'faults by kind',
      Object.entries(summary.byKind)
        .map(([kind, n]) => `${kind} ${n}`)
        .join(', '),
    ],
    ['guest reconnects', String(summary.reconnects)],
    ['frames sent by the guest', String(summary.framesSent)],
    ['frames at the bridge', String(summary.framesArrived)],
    [
      'dropped and counted',
      Object.entries(summary.droppedByCause)
        .filter(([, n]) => n > 0)
        .map(([cause, n]) => `${cause} ${n}`)
        .join(', ') || 'none',
    ],
    ['lost silently', String(summary.lostSilently)],
    [
      'RSS (MiB)',
      `${summary.rssMiB.first.toFixed(0)} first, ${summary.rssMiB.max.toFixed(0)} max, ${summary.rssMiB.last.toFixed(0)} last; slope ${summary.rssMiB.slopePer1000Faults.toFixed(2)} per 1000 faults`,
    ],
    [
      'open files (without vm2)',
      `${summary.fds.first} first, ${summary.fds.max} max, ${summary.fds.last} last; slope ${summary.fds.slopePer1000Faults.toFixed(2)} per 1000 faults`,
    ],
    ['threads', `${summary.threads.first} first, ${summary.threads.max} max, ${summary.threads.last} last`],
  ];
  return ['| What | Result |', '| --- | --- |', ...rows.map(([what, result]) => `| ${what} | ${result} |`)].join('\n');
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const seed = Number(option('--seed') ?? Math.floor(Math.random() * 2 ** 31));
  const faults = Number(option('--faults') ?? (quick ? 120 : 10000));
  const reconnects = Number(option('--reconnects') ?? (quick ? 6 : 1000));
  const migrations = Number(option('--migrations') ?? (quick ? 0 : 20));
  try {
    const result: { faults?: SoakSummary; migrations?: object } = {};
    if (faults > 0) {
      console.log(`soak: seed ${seed}, ${faults} faults, ${reconnects} reconnects (replay with --seed ${seed})`);
      result.faults = await runSoak({ seed, faults, reconnects, onProgress: (line) => console.log(line) });
      console.log(`\n${formatSummary(result.faults)}\n`);
    }
    if (migrations > 0) {
      console.log(`soak: ${migrations} live migrations`);
      const interrupts = option('--rx-interrupts');
      const summary = await runMigrationSoak(migrations, (line) => console.log(`migration ${line}`), {
        ...(interrupts !== undefined ? { rxInterrupts: interrupts === 'on' } : {}),
        ...(option('--diagnostics') ? { diagnosticsDir: option('--diagnostics') } : {}),
        streamBytesPerS: Number(option('--stream') ?? 1 << 20),
        checkRam: !process.argv.includes('--no-ram-check'),
        guest: {
          ...(option('--qemu') === '10' ? { qemu: '10' as const } : {}),
          ...(option('--guest-ram-kib') ? { ramKiB: Number(option('--guest-ram-kib')) } : {}),
          ...(option('--guest-rx-ring') ? { rxQueueSize: Number(option('--guest-rx-ring')) } : {}),
        },
        migrationParameters: {
          ...(option('--max-bandwidth-mib')
            ? { 'max-bandwidth': Number(option('--max-bandwidth-mib')) * 2 ** 20 }
            : {}),
          ...(option('--downtime-limit-ms') ? { 'downtime-limit': Number(option('--downtime-limit-ms')) } : {}),
        },
      });
      result.migrations = summary;
      console.log(`\n${formatMigrationSoak(summary)}`);
    }
    const json = option('--json');
    if (json) fs.writeFileSync(json, JSON.stringify(result, null, 2) + '\n');
  } catch (err) {
    console.error(err instanceof SoakFailure ? `\nsoak FAILED: ${err.message}` : err);
    process.exit(1);
  }
}

if (require.main === module) void main();

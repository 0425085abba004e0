// The bench's results as Markdown tables: what docs/lab/notes/2026-11-30-benchmarks.md shows.
import type { BenchReport } from './run';
import type { Switch } from './throughput';
import { LATENCY_SWITCHES } from './latency';
import { bestRoundRatio, REFERENCE_FLOORS } from './reference-floors';

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const DIRECTION_NAMES = { guestToNetwork: 'guest → network', networkToGuest: 'network → guest' };

export function markdownReport(report: BenchReport): string {
  const names = [...new Set(report.throughput.flatMap((c) => Object.keys(c.mpps)))] as Switch[];
  const compared = names.filter((name) => name !== 'testpmd-io');
  const lines = [
    `Throughput, ${report.rounds} interleaved rounds; ${report.placement}. ` +
      'Mpps are medians over the rounds; ratios are the median of each round against testpmd io in that round (min–max).',
    '',
    `| Direction | Frame (B) | Queue pairs | ${names.map((n) => `${n} (Mpps)`).join(' | ')} | ${compared.map((n) => `${n} / testpmd-io`).join(' | ')} |`,
    `| --- | --: | --: | ${names.map(() => '--:').join(' | ')} | ${compared.map(() => '--:').join(' | ')} |`,
  ];
  for (const c of report.throughput) {
    const rates = names.map((n) => (c.mpps[n] ? median(c.mpps[n]!).toFixed(2) : '–'));
    const ratios = compared.map((n) =>
      c.ratio[n] !== undefined
        ? `**${c.ratio[n]!.toFixed(2)}** (${c.spread[n]![0].toFixed(2)}–${c.spread[n]![1].toFixed(2)})`
        : '–',
    );
    lines.push(
      `| ${DIRECTION_NAMES[c.direction]} | ${c.frameBytes} | ${c.queues ?? 1} | ${rates.join(' | ')} | ${ratios.join(' | ')} |`,
    );
  }
  lines.push(...bestRoundsSection(report, compared));
  lines.push(...configurationSection(report, names));
  if (report.groups.length > 0) {
    const one = report.groups.find((g) => g.groups === 1);
    lines.push(
      '',
      'Groups on one worker, guest → network, 64 B: one VM sending on a port per group (one lcore); ' +
        'the reference is testpmd io with as many vhost/null port pairs on one lcore.',
      '',
      '| Groups | testpmd-io aggregate (Mpps) | vhost-failover aggregate (Mpps) | vhost-failover / testpmd-io | vhost-failover vs. 1 group | Slowest / fastest group |',
      '| --: | --: | --: | --: | --: | --: |',
    );
    for (const g of report.groups)
      lines.push(
        `| ${g.groups} | ${g.testpmdAggregateMpps.toFixed(2)} | ${g.daemonAggregateMpps.toFixed(2)} | **${g.ratio.toFixed(2)}** | ` +
          `${one ? (g.daemonAggregateMpps / one.daemonAggregateMpps).toFixed(2) : '–'} | ${g.daemonFairness.toFixed(2)} |`,
      );
  }
  if (report.latency.length > 0) {
    lines.push(
      '',
      'Round-trip latency: ping from the bridge through a tap, the switch and vhost-user to a testpmd VM answering (icmpecho), and back; ' +
        `medians over ${report.rounds} rounds of each percentile. vhost-failover idles between echoes as configured by ` +
        'default (the timed back-off), -irq asleep on rx interrupts, -busy polling without pause as testpmd does.',
      '',
      '| Rate | Switch | p50 (us) | p99 (us) | p99.9 (us) | Lost |',
      '| --- | --- | --: | --: | --: | --: |',
    );
    const rates = [...new Set(report.latency.map((l) => l.rate))];
    for (const rate of rates)
      for (const which of LATENCY_SWITCHES) {
        const rows = report.latency.filter((l) => l.rate === rate && l.which === which);
        const pick = (f: (l: (typeof rows)[number]) => number) => median(rows.map(f));
        lines.push(
          `| ${rate} | ${which} | ${pick((l) => l.p50Us)} | ${pick((l) => l.p99Us)} | ${pick((l) => l.p999Us)} | ${rows.reduce((n, l) => n + l.lost, 0)} |`,
        );
      }
  }
  if (report.idle.length > 0) {
    lines.push(
      '',
      'Idle cost: one group, net_tap uplinks, a testpmd VM answering pings, no traffic for 3 s; then 30 pings 200 ms apart, each finding the worker idle.',
      '',
      '| Idle worker | Worker CPU | Worker wake-ups/s | Link monitor CPU | Link monitor wake-ups/s | Ping RTT p50 (us) | p99 (us) | Answered |',
      '| --- | --: | --: | --: | --: | --: | --: | --: |',
    );
    for (const idle of report.idle)
      lines.push(
        `| ${idle.mode} | ${idle.worker.cpuPercent}% | ${idle.worker.wakeupsPerSecond} | ${idle.linkMonitor.cpuPercent}% | ` +
          `${idle.linkMonitor.wakeupsPerSecond} | ${idle.pingUs.p50} | ${idle.pingUs.p99} | ${idle.pings.received}/${idle.pings.sent} |`,
      );
  }
  if (report.failovers.length > 0) {
    lines.push(
      '',
      '| Failover: primary tap pulled under load | Rate (pps) | Dropped and counted | Lost silently | Switch gap (us) | Switch vs. end of `ip link set down` (us) |',
      '| --- | --: | --: | --: | --: | --: |',
    );
    report.failovers.forEach((f, i) =>
      lines.push(
        `| round ${i + 1} | ${f.ratePps} | ${f.books.dropped} | ${f.books.lostSilently} | ${f.gapUs} | ${f.switchAfterPullEndUs.toFixed(0)} |`,
      ),
    );
  }
  return lines.join('\n') + '\n';
}

// Each switch as its first throughput case ran it (results.json holds every case's).
function configurationSection(report: BenchReport, names: Switch[]): string[] {
  const lines = [
    '',
    "How each switch and the VM ran, as shell lines ($DIR: the measurement's temporary directory), " +
      `for its first case (${DIRECTION_NAMES[report.throughput[0]?.direction ?? 'guestToNetwork']}, ` +
      `${report.throughput[0]?.frameBytes ?? 64} B); results.json holds every case's.`,
  ];
  for (const name of names) {
    const configuration = report.throughput.find((c) => c.configuration?.[name])?.configuration[name];
    if (configuration)
      lines.push('', `${name}:`, '', '```sh', ...configuration.switch, '# the VM:', ...configuration.vm, '```');
  }
  return lines;
}

// What the reference check reads: each switch's fastest round over testpmd io's, with the floor.
function bestRoundsSection(report: BenchReport, compared: Switch[]): string[] {
  const lines = [
    '',
    "Best rounds: each switch's fastest round over testpmd io's fastest in the same case, which the reference " +
      'check holds to the floor in brackets (bench/reference-floors.ts).',
    '',
    `| Direction | Frame (B) | Queue pairs | ${compared.map((n) => `${n} / testpmd-io`).join(' | ')} |`,
    `| --- | --: | --: | ${compared.map(() => '--:').join(' | ')} |`,
  ];
  for (const c of report.throughput) {
    const cells = compared.map((name) => {
      const best = bestRoundRatio(c, name);
      const floor = REFERENCE_FLOORS[name]?.[c.direction];
      return best === undefined ? '–' : `${best.toFixed(2)}${floor === undefined ? '' : ` (≥ ${floor})`}`;
    });
    lines.push(`| ${DIRECTION_NAMES[c.direction]} | ${c.frameBytes} | ${c.queues ?? 1} | ${cells.join(' | ')} |`);
  }
  return lines;
}

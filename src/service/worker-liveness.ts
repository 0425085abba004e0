// Whether every worker lcore still runs its loop: each one counts its passes, and a count that
// stopped over at least MIN_LOOK_MS means a worker is stuck (in a driver call, or spinning on a
// lock). Looks closer together than that reuse the last verdict, so any number of readers (the
// watchdog, `health` requests) cannot make a verdict from a gap shorter than an idle worker's
// longest sleep (idleSleepMaxUs is at most 100 ms).
const MIN_LOOK_MS = 500;

export class WorkerLiveness {
  private last?: { passes: number[]; atMs: number };
  private verdict = true;

  constructor(private readonly readPasses: () => number[]) {}

  /** True while every worker made a pass between the last two looks at least MIN_LOOK_MS apart. */
  allAdvancing(nowMs = Date.now()): boolean {
    if (this.last && nowMs - this.last.atMs < MIN_LOOK_MS) return this.verdict;
    const passes = this.readPasses();
    const last = this.last;
    this.last = { passes, atMs: nowMs };
    this.verdict = !last || passes.every((count, i) => count > (last.passes[i] ?? -1));
    return this.verdict;
  }
}

// Whether every worker lcore still runs its loop: each one counts its passes, and a count that
// stopped between two looks means a worker is stuck (in a driver call, or spinning on a lock).
// The watchdog is fed only while this holds, so systemd restarts a daemon whose data plane hung
// even though its event loop still answers.
export class WorkerLiveness {
  private last?: number[];

  /** True when every worker has made a pass since the previous call (the first call: true). */
  allAdvanced(passes: number[]): boolean {
    const last = this.last;
    this.last = passes;
    return !last || passes.every((count, i) => count > (last[i] ?? -1));
  }
}

// The guest of the VF lab: testpmd on net_virtio_user inside L1 (the lab's testpmd VM, see
// lab/testpmd-vm.ts), non-interactive, printing its port's counters every second into its log.
import { vmArgs, type VmOptions } from '../testpmd-vm';
import { waitFor } from '../wait';
import { L1Process } from './l1-process';
import type { L1Vm } from './l1-vm';

export class L1Testpmd {
  private constructor(private readonly process: L1Process) {}

  static start(l1: L1Vm, options: VmOptions): Promise<L1Testpmd> {
    const { eal, app } = vmArgs(options);
    // A guest that only answers (macswap, io) sends nothing before frames arrive.
    return L1Testpmd.startWith(l1, eal, app, options.mode === 'txonly');
  }

  /**
   * testpmd with EAL arguments `eal` and application arguments `app` (e.g. a port per group of
   * many); resolves once it sends (`sends`) or prints its statistics.
   */
  static async startWith(l1: L1Vm, eal: string[], app: string[], sends: boolean): Promise<L1Testpmd> {
    const process = await L1Process.start(l1, 'testpmd', [
      'stdbuf',
      '-o0',
      'dpdk-testpmd',
      ...eal,
      '--',
      ...app,
      '--stats-period=1',
    ]);
    const testpmd = new L1Testpmd(process);
    try {
      // An exit ends the wait at once (a throw would only be retried until the timeout).
      const seen = await waitFor(
        'testpmd in L1 to forward',
        async () => {
          if (!(await process.alive())) return 'exited';
          const ready = sends ? testpmd.txPackets() > 0 : testpmd.statsPrinted();
          return ready && 'forwarding';
        },
        60000,
        500,
      );
      if (seen === 'exited') throw new Error(`testpmd in L1 exited:\n${process.log}`);
    } catch (err) {
      await process.stop();
      throw err;
    }
    return testpmd;
  }

  get log(): string {
    return this.process.log;
  }

  /** Whether it printed its port's statistics (it is forwarding, whether or not frames came). */
  statsPrinted(): boolean {
    return /NIC statistics for port/.test(this.log);
  }

  /** Its port's TX-packets, as of its last printed statistics. */
  txPackets(): number {
    const all = [...this.log.matchAll(/TX-packets:\s*(\d+)/g)];
    return all.length ? Number(all[all.length - 1][1]) : 0;
  }

  /** SIGTERM (testpmd stops forwarding, closes its port and exits). */
  stop(): Promise<void> {
    return this.process.stop();
  }
}

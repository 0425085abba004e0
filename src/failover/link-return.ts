// Whether a primary's link came back after it went down. A VF's link that does may come back with
// the VF's queues cleared by a reset its PMD did not see (its PCI function reset, its PF's reset):
// it reads up, and sends and receives nothing. The transmit check sees that only while the guest
// sends, so such a primary is reset (or probed afresh) before it carries traffic again.
export class LinkReturnWatch {
  /** The port whose link went down after it had been up. */
  private lostPort?: number;

  /** Takes a link reading of `portId` (`wasUp`: as last known); true when it is up again after going down. */
  observe(portId: number, up: boolean, wasUp: boolean): boolean {
    if (!up) {
      if (wasUp) this.lostPort = portId;
      return false;
    }
    const returned = this.lostPort === portId;
    this.lostPort = undefined;
    return returned;
  }

  /** A new device, or one just reset: its link starts over (DPDK reuses port ids). */
  forget(): void {
    this.lostPort = undefined;
  }
}

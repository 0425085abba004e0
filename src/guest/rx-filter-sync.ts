// Keeps one group's uplinks programmed with its guest's receive filter, read from QEMU over QMP:
// once on connecting, then on every NIC_RX_FILTER_CHANGED for the guest's NIC (QEMU sends that
// event once, and again only after the filter has been queried). Waits for QEMU when its socket
// is not there yet, reconnects when QEMU restarts, and puts the uplinks back to "everything
// passes" while it cannot know what the guest wants.
import type { QmpConfig } from '../config';
import type { GroupStatus } from '../dataplane';
import type { Logger } from '../log';
import { QmpClient, QmpConnectError } from './qmp-client';
import { PASS_ALL, readRxFilterInfo, sameRxFilter, uplinkRxFilter, type UplinkRxFilter } from './rx-filter';

// Reconnecting: every second while QEMU is not there; after a connection QEMU spoilt, after 1 s
// doubling to 16 s while it keeps misbehaving, and back to 1 s once one has delivered a filter.
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 16000;
const MIN_PROGRAM_INTERVAL_MS = 200;

export interface RxFilterSyncStatus {
  qmp: 'connected' | 'waiting';
  /** What both uplinks are programmed with now. */
  filter: UplinkRxFilter;
  /** When it last changed (ISO time), or null. */
  changedAtIso: string | null;
  lastError: string | null;
  /** Connections ended because QEMU misbehaved (not a JSON object, too long, no answer, bad reply). */
  resets: number;
  /**
   * The MTU QEMU advertises to the guest (the NIC's host_mtu, VIRTIO_NET_F_MTU); 0 when QEMU
   * advertises none, null before QEMU has been asked.
   */
  hostMtu: number | null;
}

/** What the sync needs of the data plane: the group's uplinks programmed, and how they took it. */
export interface RxFilterSink {
  setRxFilter(filter: UplinkRxFilter): void;
  status(): GroupStatus;
}

export class RxFilterSync {
  private client?: QmpClient;
  private stopped = false;
  private retryTimer?: NodeJS.Timeout;
  private querying = false;
  private queryAgain = false;
  private filter: UplinkRxFilter = PASS_ALL;
  private changedAtIso: string | null = null;
  private lastError: string | null = null;
  private toldWaiting = false;
  private hostMtu: number | null = null;
  private retryMs = RETRY_FIRST_MS;
  private lastProgramAt = 0;
  private deferred?: UplinkRxFilter;
  private programTimer?: NodeJS.Timeout;
  private resets = 0;

  /** `log` names the group already. */
  constructor(
    private readonly sink: RxFilterSink,
    private readonly groupMtu: number,
    private readonly qmp: QmpConfig,
    private readonly log: Logger,
  ) {}

  start(): void {
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.programTimer);
    this.client?.close();
  }

  status(): RxFilterSyncStatus {
    return {
      qmp: this.client ? 'connected' : 'waiting',
      filter: this.filter,
      changedAtIso: this.changedAtIso,
      lastError: this.lastError,
      resets: this.resets,
      hostMtu: this.hostMtu,
    };
  }

  private retryLater(backOff: boolean): void {
    this.retryTimer = setTimeout(() => void this.connect(), backOff ? this.retryMs : RETRY_FIRST_MS);
    if (backOff) this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    let client: QmpClient;
    try {
      client = await QmpClient.connect(this.qmp.socket);
    } catch (err) {
      // QEMU's socket answered and then broke the handshake: a misbehaving QEMU, not a late one.
      if (err instanceof QmpConnectError && err.afterConnect) return this.onClose(err.message);
      if (!this.toldWaiting)
        this.log.info(
          { qmp: this.qmp.socket, why: (err as Error).message },
          'waiting for QEMU to read the guest receive filter',
        );
      this.toldWaiting = true;
      this.retryLater(false);
      return;
    }
    if (this.stopped) return client.close();
    this.client = client;
    this.toldWaiting = false;
    this.log.info({ qmp: this.qmp.socket, device: this.qmp.device }, 'reading the guest receive filter from QEMU');
    client.on('event', (event) => {
      if (event.event === 'NIC_RX_FILTER_CHANGED' && event.data?.name === this.qmp.device) void this.query();
    });
    client.on('close', (reason) => this.onClose(reason));
    await this.checkMtu(client);
    await this.query();
  }

  private onClose(reason: string | undefined): void {
    this.client = undefined;
    if (this.stopped) return;
    if (reason) {
      this.resets++;
      this.lastError = reason;
      this.log.warn({ why: reason, retryMs: this.retryMs }, 'QMP connection reset: QEMU misbehaved');
    } else this.log.info('QEMU went away: both uplinks pass everything until it is back');
    try {
      this.program(PASS_ALL);
    } catch (err) {
      this.log.error({ err }, 'cannot put the uplinks back to passing everything');
    }
    this.retryLater(reason !== undefined);
  }

  /** A guest told a larger MTU than the uplinks carry would lose every frame above theirs. */
  private async checkMtu(client: QmpClient): Promise<void> {
    try {
      const hostMtu = await client.execute('qom-get', {
        path: `/machine/peripheral/${this.qmp.device}`,
        property: 'host_mtu',
      });
      if (!Number.isInteger(hostMtu)) throw new Error(`QEMU gave host_mtu as ${JSON.stringify(hostMtu)}`);
      this.hostMtu = hostMtu as number;
    } catch (err) {
      this.lastError = (err as Error).message;
      this.log.warn({ device: this.qmp.device, err: this.lastError }, 'cannot read the NIC from QEMU');
      return;
    }
    if (this.hostMtu > this.groupMtu)
      this.log.warn(
        { hostMtu: this.hostMtu, mtu: this.groupMtu },
        `QEMU advertises MTU ${this.hostMtu} to the guest but the uplinks carry ${this.groupMtu}: larger frames ` +
          `will be dropped; set groups[].mtu to ${this.hostMtu} or host_mtu to ${this.groupMtu}`,
      );
  }

  /** One query at a time; an event during a query asks for one more. */
  private async query(): Promise<void> {
    if (this.querying) {
      this.queryAgain = true;
      return;
    }
    this.querying = true;
    try {
      do {
        this.queryAgain = false;
        const client = this.client;
        if (!client) return;
        const reply = await client.execute('query-rx-filter', { name: this.qmp.device });
        let filter: UplinkRxFilter;
        try {
          filter = uplinkRxFilter(readRxFilterInfo(reply));
        } catch (err) {
          // Not what QEMU answers: start over with a new connection, later.
          client.reset((err as Error).message);
          return;
        }
        this.lastError = null;
        this.program(filter);
        this.retryMs = RETRY_FIRST_MS;
      } while (this.queryAgain);
    } catch (err) {
      // A wrong device id, QEMU closing under us, or an uplink refusing: say so and keep forwarding.
      this.lastError = (err as Error).message;
      this.log.warn({ device: this.qmp.device, err: this.lastError }, 'cannot read the guest receive filter');
    } finally {
      this.querying = false;
    }
  }

  /**
   * Programs the uplinks, at most once per MIN_PROGRAM_INTERVAL_MS: on a VF each change is a PF
   * mailbox round trip on the Node thread, and a guest (or a QEMU) changing its filter in a loop
   * must not keep that thread, or the port's lock, busy. The latest filter wins.
   */
  private program(filter: UplinkRxFilter): void {
    const waitMs = this.lastProgramAt + MIN_PROGRAM_INTERVAL_MS - Date.now();
    if (waitMs > 0) {
      this.deferred = filter;
      this.programTimer ??= setTimeout(() => {
        this.programTimer = undefined;
        const latest = this.deferred!;
        this.deferred = undefined;
        this.safely(() => this.program(latest));
      }, waitMs);
      return;
    }
    if (sameRxFilter(filter, this.filter)) return;
    this.lastProgramAt = Date.now();
    this.sink.setRxFilter(filter);
    this.filter = filter;
    this.changedAtIso = new Date().toISOString();
    this.log.info({ rxFilter: filter, uplinks: this.outcomes() }, 'guest receive filter applied to the uplinks');
  }

  private safely(action: () => void): void {
    try {
      action();
    } catch (err) {
      this.lastError = (err as Error).message;
      this.log.error({ err: this.lastError }, 'programming the guest receive filter failed');
    }
  }

  private outcomes() {
    const status = this.sink.status();
    return { primary: status.primary.rxFilter, standby: status.standby.rxFilter };
  }
}

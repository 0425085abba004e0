// Keeps one group's uplinks programmed with its guest's receive filter, read from QEMU over QMP:
// once on connecting, then on every NIC_RX_FILTER_CHANGED for the guest's NIC (QEMU sends that
// event once, and again only after the filter has been queried). Waits for QEMU when its socket
// is not there yet, reconnects when QEMU restarts, and puts the uplinks back to "everything
// passes" while it cannot know what the guest wants.
import type { QmpConfig } from '../config';
import type { GroupStatus } from '../dataplane';
import type { Logger } from '../log';
import { QmpClient } from './qmp-client';
import { PASS_ALL, sameRxFilter, uplinkRxFilter, type QemuRxFilterInfo, type UplinkRxFilter } from './rx-filter';

const RETRY_MS = 1000;

export interface RxFilterSyncStatus {
  qmp: 'connected' | 'waiting';
  /** What both uplinks are programmed with now. */
  filter: UplinkRxFilter;
  /** When it last changed (ISO time), or null. */
  changedAtIso: string | null;
  lastError: string | null;
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
    this.client?.close();
  }

  status(): RxFilterSyncStatus {
    return {
      qmp: this.client ? 'connected' : 'waiting',
      filter: this.filter,
      changedAtIso: this.changedAtIso,
      lastError: this.lastError,
      hostMtu: this.hostMtu,
    };
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    let client: QmpClient;
    try {
      client = await QmpClient.connect(this.qmp.socket);
    } catch (err) {
      if (!this.toldWaiting)
        this.log.info(
          { qmp: this.qmp.socket, why: (err as Error).message },
          'waiting for QEMU to read the guest receive filter',
        );
      this.toldWaiting = true;
      this.retryTimer = setTimeout(() => void this.connect(), RETRY_MS);
      return;
    }
    if (this.stopped) return client.close();
    this.client = client;
    this.toldWaiting = false;
    this.log.info({ qmp: this.qmp.socket, device: this.qmp.device }, 'reading the guest receive filter from QEMU');
    client.on('event', (event) => {
      if (event.event === 'NIC_RX_FILTER_CHANGED' && event.data?.name === this.qmp.device) void this.query();
    });
    client.on('close', () => {
      this.client = undefined;
      if (this.stopped) return;
      this.log.info('QEMU went away: both uplinks pass everything until it is back');
      this.program(PASS_ALL);
      this.retryTimer = setTimeout(() => void this.connect(), RETRY_MS);
    });
    await this.checkMtu(client);
    await this.query();
  }

  /** A guest told a larger MTU than the uplinks carry would lose every frame above theirs. */
  private async checkMtu(client: QmpClient): Promise<void> {
    try {
      this.hostMtu = await client.execute<number>('qom-get', {
        path: `/machine/peripheral/${this.qmp.device}`,
        property: 'host_mtu',
      });
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
        const [info] = await client.execute<QemuRxFilterInfo[]>('query-rx-filter', { name: this.qmp.device });
        this.lastError = null;
        this.program(uplinkRxFilter(info));
      } while (this.queryAgain);
    } catch (err) {
      // A wrong device id, or QEMU closing under us: say so and keep forwarding.
      this.lastError = (err as Error).message;
      this.log.warn({ device: this.qmp.device, err: this.lastError }, 'cannot read the guest receive filter');
    } finally {
      this.querying = false;
    }
  }

  private program(filter: UplinkRxFilter): void {
    if (sameRxFilter(filter, this.filter)) return;
    this.sink.setRxFilter(filter);
    this.filter = filter;
    this.changedAtIso = new Date().toISOString();
    this.log.info({ rxFilter: filter, uplinks: this.outcomes() }, 'guest receive filter applied to the uplinks');
  }

  private outcomes() {
    const status = this.sink.status();
    return { primary: status.primary.rxFilter, standby: status.standby.rxFilter };
  }
}

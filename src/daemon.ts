// Composition root: config -> data plane -> groups -> failover policy -> control socket and
// metrics, and the orderly way back down on SIGINT/SIGTERM.
import fs from 'fs';
import path from 'path';
import { validateConfig, type AnnounceConfig, type Config, type GroupConfig } from './config';
import { controlHandlers } from './control/handlers';
import { ControlServer, removeStaleSocket } from './control/server';
import { Dataplane, type NativeEvent, type TxDrain } from './dataplane';
import { Announcer } from './failover/announcer';
import { PathHistory } from './failover/path-history';
import { PolicyDriver } from './failover/policy-driver';
import { RxFilterSync } from './guest/rx-filter-sync';
import type { Logger } from './log';
import { MetricsServer } from './metrics/server';

export class Daemon {
  readonly dataplane = new Dataplane();
  readonly pathHistory = new PathHistory();
  readonly policy: PolicyDriver;
  readonly announcer: Announcer;
  /** The groups running now: the config's, plus those added and less those removed since. */
  readonly groups = new Map<string, GroupConfig>();
  /** Per group with `qmp`: its guest's receive filter, mirrored from QEMU onto the uplinks. */
  readonly rxFilterSyncs = new Map<string, RxFilterSync>();
  private control?: ControlServer;
  private metrics?: MetricsServer;

  constructor(
    readonly config: Config,
    readonly log: Logger,
  ) {
    this.policy = new PolicyDriver(this.dataplane, config.failover, log);
    this.announcer = new Announcer(this.dataplane, (name) => {
      const group = this.groups.get(name);
      return group && this.announceSettings(group);
    });
  }

  /** The global announce settings with the group's own on top. */
  private announceSettings(group: GroupConfig): AnnounceConfig {
    return { ...this.config.announce, ...group.announce };
  }

  async start(): Promise<void> {
    const { config, log, dataplane } = this;
    dataplane.on('event', (event) => {
      this.logEvent(event);
      this.pathHistory.observe(event);
      this.policy.onEvent(event);
      this.announcer.onEvent(event);
      if (event.type === 'removed' && event.port === 'primary') this.cleanUpRemovedPrimary(event.group, event.portId);
    });
    log.info({ eal: config.dataplane }, 'starting the data plane');
    dataplane.start(config);
    try {
      for (const group of config.groups) await this.startGroup(group);
      this.control = new ControlServer(config.control, controlHandlers(this), log);
      await this.control.listen();
      if (config.metrics.port !== undefined) {
        this.metrics = new MetricsServer(this);
        await this.metrics.listen(config.metrics.address, config.metrics.port);
        log.info({ metrics: `http://${config.metrics.address}:${config.metrics.port}/metrics` }, 'metrics ready');
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
    log.info({ control: config.control.socket, groups: config.groups.length }, 'daemon ready');
  }

  /** Adds a group at runtime; it is validated against the running ones as if in the config. */
  async addGroup(raw: unknown): Promise<GroupConfig> {
    const candidate = validateConfig({ ...this.config, groups: [...this.groups.values(), raw] }, 'add-group');
    const group = candidate.groups[candidate.groups.length - 1];
    await this.startGroup(group);
    return group;
  }

  /** Planned removal of the primary (VF maintenance, migration): no frame is lost. */
  detachPrimary(group: string): TxDrain {
    this.policy.primaryPresence(group, false, 'detached');
    const txDrain = this.dataplane.detachPrimary(group);
    const level = txDrain === 'timed-out' ? 'warn' : 'info';
    this.log[level]({ group, txDrain }, 'primary detached');
    return txDrain;
  }

  /** A new primary (after maintenance, or after a migration to this host). */
  attachPrimary(group: string, devargs: string): void {
    const running = this.groups.get(group);
    if (!running) throw new Error(`no group "${group}"`);
    const primary = { devargs };
    const candidate = validateConfig(
      { ...this.config, groups: [...this.groups.values()].map((g) => (g.name === group ? { ...g, primary } : g)) },
      'attach',
    );
    this.dataplane.attachPrimary(group, candidate.groups.find((g) => g.name === group)!.primary);
    this.groups.set(group, { ...running, primary });
    this.policy.primaryPresence(group, true, 'attached');
    this.log.info({ group, devargs }, 'primary attached');
  }

  removeGroup(name: string): void {
    this.rxFilterSyncs.get(name)?.stop();
    this.rxFilterSyncs.delete(name);
    this.announcer.cancel(name);
    this.policy.removeGroup(name);
    this.dataplane.removeGroup(name);
    this.groups.delete(name);
    this.log.info({ group: name }, 'group removed');
  }

  async stop(): Promise<void> {
    await this.metrics?.close();
    await this.control?.close();
    this.metrics = undefined;
    this.control = undefined;
    for (const sync of this.rxFilterSyncs.values()) sync.stop();
    this.rxFilterSyncs.clear();
    this.policy.stop();
    this.announcer.stop();
    this.dataplane.shutdown();
    this.log.info('daemon stopped: workers stopped, ports closed, sockets removed');
  }

  private async startGroup(group: GroupConfig): Promise<void> {
    if (group.vhost.mode === 'server') {
      fs.mkdirSync(path.dirname(group.vhost.socket), { recursive: true });
      await removeStaleSocket(group.vhost.socket);
    }
    const { rxDescriptors, txDescriptors } = this.config.dataplane;
    const { garpMaxAgeMs } = this.announceSettings(group);
    this.dataplane.addGroup(group, { rxDescriptors, txDescriptors, garpMaxAgeMs });
    this.groups.set(group.name, group);
    this.policy.addGroup(group.name, this.dataplane.status(group.name));
    if (group.qmp) {
      const sync = new RxFilterSync(group.name, group.mtu, group.qmp, this.dataplane, this.log);
      this.rxFilterSyncs.set(group.name, sync);
      sync.start();
    }
    this.log.info({ group: group.name, socket: group.vhost.socket, mode: group.vhost.mode }, 'group ready');
  }

  /** A surprise-removed primary is closed here, on the Node thread, not in the callback. */
  private cleanUpRemovedPrimary(group: string, portId: number | undefined): void {
    try {
      // The event may arrive after an operator's detach and attach: leave a new primary alone.
      const primary = this.dataplane.status(group).primary;
      if (primary.portId !== portId || primary.present) return;
      this.dataplane.detachPrimary(group);
      this.log.warn({ group }, 'surprise-removed primary closed; attach a new one when it is back');
    } catch (err) {
      this.log.error({ group, err }, 'closing the removed primary failed');
    }
  }

  private logEvent(event: NativeEvent): void {
    const { atNs, ...fields } = event;
    const level = event.type === 'link' && !event.up ? 'warn' : 'info';
    this.log[level]({ event: { ...fields, atNs: atNs.toString() } }, event.reason);
  }
}

// Composition root: config -> data plane -> one GroupRuntime per group -> control socket and
// metrics, and the orderly way back down on SIGINT/SIGTERM. It routes each native event to its
// group and checks run-time changes against the running groups as a config file would be.
import fs from 'fs';
import path from 'path';
import { validateConfig, type Config, type GroupConfig, type LogLevel } from './config';
import { controlHandlers, type ControlTarget } from './control/handlers';
import { ControlServer, removeStaleSocket } from './control/server';
import { Dataplane } from './dataplane';
import { GroupRuntime } from './group/group-runtime';
import type { GroupStatusReport } from './group/reports';
import type { Logger } from './log';
import { MetricsServer } from './metrics/server';

export class Daemon implements ControlTarget {
  /** The groups running now: the config's, plus those added and less those removed since. */
  private readonly groups = new Map<string, GroupRuntime>();
  private control?: ControlServer;
  private metrics?: MetricsServer;

  constructor(
    readonly config: Config,
    readonly log: Logger,
    private readonly dataplane = new Dataplane(),
  ) {}

  get faultInjection(): boolean {
    return this.config.control.faultInjection;
  }

  async start(): Promise<void> {
    const { config, log, dataplane } = this;
    dataplane.on('event', (event) => this.groups.get(event.group)?.onEvent(event));
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

  groupNames(): string[] {
    return [...this.groups.keys()];
  }

  group(name: string): GroupRuntime | undefined {
    return this.groups.get(name);
  }

  mbufsInUse(): number {
    return this.dataplane.mbufsInUse();
  }

  /** Adds a group at runtime; it is validated against the running ones as if in the config. */
  async addGroup(raw: unknown): Promise<GroupConfig> {
    const candidate = validateConfig({ ...this.config, groups: [...this.runningConfigs(), raw] }, 'add-group');
    const group = candidate.groups[candidate.groups.length - 1];
    await this.startGroup(group);
    return group;
  }

  /** A new primary for a group that has none, checked against the running groups. */
  attachPrimary(name: string, devargs: string): GroupStatusReport {
    const running = this.groups.get(name);
    if (!running) throw new Error(`no group "${name}"`);
    const primary = { devargs };
    const candidate = validateConfig(
      { ...this.config, groups: this.runningConfigs().map((g) => (g.name === name ? { ...g, primary } : g)) },
      'attach',
    );
    return running.attachPrimary(candidate.groups.find((g) => g.name === name)!.primary);
  }

  removeGroup(name: string): void {
    const group = this.groups.get(name);
    if (!group) throw new Error(`no group "${name}"`);
    this.groups.delete(name);
    group.stop();
    this.log.info({ group: name }, 'group removed');
  }

  setLogLevel(level: LogLevel): void {
    this.log.level = level;
  }

  async stop(): Promise<void> {
    await this.metrics?.close();
    await this.control?.close();
    this.metrics = undefined;
    this.control = undefined;
    for (const group of this.groups.values()) group.stop();
    this.groups.clear();
    this.dataplane.shutdown();
    this.log.info('daemon stopped: workers stopped, ports closed, sockets removed');
  }

  /** Each running group's config, with the primary attached at run time if any. */
  private runningConfigs(): GroupConfig[] {
    return [...this.groups.values()].map((group) => group.config);
  }

  private async startGroup(group: GroupConfig): Promise<void> {
    if (group.vhost.mode === 'server') {
      fs.mkdirSync(path.dirname(group.vhost.socket), { recursive: true });
      await removeStaleSocket(group.vhost.socket);
    }
    const { rxDescriptors, txDescriptors } = this.config.dataplane;
    const announce = { ...this.config.announce, ...group.announce };
    const native = this.dataplane.addGroup(group, {
      rxDescriptors,
      txDescriptors,
      garpMaxAgeMs: announce.garpMaxAgeMs,
    });
    this.groups.set(
      group.name,
      new GroupRuntime(group, native, { announce, failover: this.config.failover }, this.log),
    );
    this.log.info({ group: group.name, socket: group.vhost.socket, mode: group.vhost.mode }, 'group ready');
  }
}

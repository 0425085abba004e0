// Composition root: config -> data plane -> one GroupRuntime per group -> control socket and
// metrics, and the orderly way back down on SIGINT/SIGTERM. It routes each native event to its
// group and checks run-time changes against the running groups as a config file would be.
import fs from 'fs';
import type net from 'net';
import path from 'path';
import {
  pathsOutside,
  runtimeDirectories,
  validateConfig,
  type Config,
  type GroupConfig,
  type LogLevel,
} from './config';
import { AccessPolicy, type Peer } from './control/access';
import { controlHandlers, type ControlTarget } from './control/handlers';
import type { IdentityReply } from './control/protocol';
import { ControlServer } from './control/server';
import { removeStaleSocket } from './control/socket-file';
import { Dataplane, type NativeEvent } from './dataplane';
import { GroupRuntime } from './group/group-runtime';
import type { GroupStatusReport } from './group/reports';
import type { Logger } from './log';
import { MetricsServer } from './metrics/server';
import { VERSION } from './version';

export class Daemon implements ControlTarget {
  /** The groups running now: the config's, plus those added and less those removed since. */
  private readonly groups = new Map<string, GroupRuntime>();
  private control?: ControlServer;
  private metrics?: MetricsServer;
  private readonly startedAtIso = new Date().toISOString();

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
    // The control socket first: a second instance on the same config stops here, before it
    // touches a device the first one owns.
    const access = new AccessPolicy(config.control.operators);
    this.control = new ControlServer(
      config.control,
      controlHandlers(this),
      access,
      (socket) => this.peerOf(socket),
      log,
    );
    await this.control.listen();
    dataplane.on('event', (event) => this.route(event));
    try {
      log.info({ eal: config.dataplane }, 'starting the data plane');
      dataplane.start(config);
      for (const group of config.groups) await this.startGroup(group);
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

  identity(): IdentityReply {
    return { pid: process.pid, version: VERSION, startedAtIso: this.startedAtIso, groups: this.groups.size };
  }

  /**
   * Adds a group at runtime; it is validated against the running ones as if in the config, and
   * its sockets must lie in the run-time directories.
   */
  async addGroup(raw: unknown): Promise<GroupConfig> {
    const candidate = validateConfig({ ...this.config, groups: [...this.runningConfigs(), raw] }, 'add-group');
    const group = candidate.groups[candidate.groups.length - 1];
    this.checkRuntimePaths(group);
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
    const group = candidate.groups.find((g) => g.name === name)!;
    this.checkRuntimePaths(group);
    return running.attachPrimary(group.primary);
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

  private checkRuntimePaths(group: GroupConfig): void {
    const directories = runtimeDirectories(this.config);
    const outside = pathsOutside(group, directories);
    if (outside.length > 0)
      throw new Error(
        `${outside.join(', ')} ${outside.length === 1 ? 'lies' : 'lie'} outside the run-time directories ` +
          `(${directories.join(', ')}); use one of them, or list the directory in control.runtimeDirectories`,
      );
  }

  /** A native event to its group. A group's failure to handle one is logged, never fatal. */
  private route(event: NativeEvent): void {
    try {
      this.groups.get(event.group)?.onEvent(event);
    } catch (err) {
      this.log.error({ group: event.group, event: event.type, err }, 'handling a data plane event failed');
    }
  }

  /** The kernel's word on who connected to the control socket. */
  private peerOf(socket: net.Socket): Peer | undefined {
    const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
    return typeof fd === 'number' && fd >= 0 ? this.dataplane.peerCredentials(fd) : undefined;
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

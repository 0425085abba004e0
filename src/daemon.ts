// Composition root: config -> control socket -> data plane -> one GroupRuntime per group ->
// metrics, and the orderly way back down. It routes each native event to its group, checks
// run-time changes against the running groups as a config file would be, keeps trying groups and
// primaries that could not start, and applies a reloaded config file.
import fs from 'fs';
import type net from 'net';
import path from 'path';
import {
  ConfigError,
  groupPaths,
  loadConfigFile,
  pathsOutside,
  runtimeDeviceProblems,
  runtimeDirectories,
  validateConfig,
  type Config,
  type GroupConfig,
  type LogLevel,
} from './config';
import { diffConfig } from './config/config-diff';
import { AccessPolicy, type Peer } from './control/access';
import { controlHandlers, type ControlTarget } from './control/handlers';
import type { HealthReply, IdentityReply, ReloadReply } from './control/protocol';
import { ControlServer } from './control/server';
import { removeStaleSocket } from './control/socket-file';
import { devargsSocketPaths } from './config/devargs-rules';
import { Dataplane, type DpdkLogLine, type NativeEvent } from './dataplane';
import { GroupRuntime, type GroupOrigin, type GroupRuntimeSettings } from './group/group-runtime';
import type { GroupStatusReport } from './group/reports';
import { RetryWithBackoff } from './group/retry-backoff';
import type { Logger } from './log';
import { MetricsServer } from './metrics/server';
import { WorkerLiveness } from './service/worker-liveness';
import { VERSION } from './version';

export interface DaemonOptions {
  /** The file the config came from; `reload` reads it again. */
  configPath?: string;
}

/** A group that could not start (its vhost port or standby), being tried again. */
interface FailedGroup {
  config: GroupConfig;
  origin: GroupOrigin;
  retry: RetryWithBackoff;
}

// DPDK's levels (RTE_LOG_EMERG 1 .. RTE_LOG_DEBUG 8) as pino's.
const DPDK_LEVELS: Record<number, LogLevel> = {
  1: 'fatal',
  2: 'fatal',
  3: 'error',
  4: 'error',
  5: 'warn',
  6: 'info',
  7: 'info',
  8: 'debug',
};

export class Daemon implements ControlTarget {
  /** The groups running now: the config's, plus those added and less those removed since. */
  private readonly groups = new Map<string, GroupRuntime>();
  private readonly failed = new Map<string, FailedGroup>();
  private control?: ControlServer;
  private metrics?: MetricsServer;
  private readonly startedAtIso = new Date().toISOString();
  private readonly liveness = new WorkerLiveness();
  private current: Config;
  /** Changes run one at a time: an add-group waiting on a socket must not cross an attach. */
  private changes: Promise<unknown> = Promise.resolve();

  constructor(
    config: Config,
    readonly log: Logger,
    private readonly dataplane = new Dataplane(),
    private readonly options: DaemonOptions = {},
  ) {
    this.current = config;
  }

  get config(): Config {
    return this.current;
  }

  get faultInjection(): boolean {
    return this.current.control.faultInjection;
  }

  async start(): Promise<void> {
    const { log, dataplane } = this;
    const config = this.current;
    // The control socket first: a second instance on the same config stops here, before it
    // touches a device the first one owns.
    this.control = new ControlServer(
      config.control,
      controlHandlers(this),
      accessPolicy(config),
      (socket) => this.peerOf(socket),
      log,
    );
    await this.control.listen();
    dataplane.on('event', (event) => this.route(event));
    dataplane.on('log', (line) => this.logDpdk(line));
    try {
      log.info({ eal: config.dataplane }, 'starting the data plane');
      dataplane.start(config);
      for (const group of config.groups) await this.startGroup(group, 'config file');
      await this.startMetrics();
    } catch (err) {
      await this.stop();
      throw err;
    }
    log.info({ control: config.control.socket, ...this.counts() }, 'daemon ready');
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

  build(): { version: string; dpdk: string } {
    return { version: VERSION, dpdk: this.dataplane.dpdkVersion };
  }

  failedGroupNames(): string[] {
    return [...this.failed.keys()];
  }

  identity(): IdentityReply {
    return { pid: process.pid, version: VERSION, startedAtIso: this.startedAtIso, groups: this.groups.size };
  }

  /** Whether the daemon does its job: workers looping, every group running. */
  health(): HealthReply {
    const workersAlive = this.liveness.allAdvanced(this.dataplane.workerPasses());
    return {
      workersAlive,
      running: this.groupNames(),
      failed: [...this.failed.entries()].map(([name, failed]) => ({ name, ...failed.retry.state() })),
    };
  }

  /** One line for the service manager's status: how many groups run. */
  summary(): string {
    const { running, failed } = this.counts();
    return `${running} group(s) running${failed ? `, ${failed} not started (retrying)` : ''}`;
  }

  /** Runs a change after every change before it has ended (control ops, SIGHUP's reload). */
  serialized<T>(change: () => T | Promise<T>): Promise<T> {
    const result = this.changes.then(change);
    this.changes = result.catch(() => {});
    return result;
  }

  /**
   * Adds a group at runtime; it is validated against the running ones as if in the config, its
   * sockets must lie in the run-time directories, and its devices pass the run-time rules.
   */
  async addGroup(raw: unknown): Promise<GroupConfig> {
    const candidate = validateConfig({ ...this.current, groups: [...this.runningConfigs(), raw] }, 'add-group');
    const group = candidate.groups[candidate.groups.length - 1];
    this.checkRuntime(groupPaths(group), [group.primary.devargs, group.standby.devargs]);
    await this.startGroup(group, 'add-group', { retry: false });
    return group;
  }

  /** A new primary for a group that has none, checked against the running groups. */
  attachPrimary(name: string, devargs: string): GroupStatusReport {
    const running = this.groups.get(name);
    if (!running) throw new Error(`no group "${name}"`);
    // The configured bridge stays: a tap attached in place of the configured one joins it too.
    const primary = { devargs, ...(running.config.primary.bridge ? { bridge: running.config.primary.bridge } : {}) };
    const candidate = validateConfig(
      { ...this.current, groups: this.runningConfigs().map((g) => (g.name === name ? { ...g, primary } : g)) },
      'attach',
    );
    const group = candidate.groups.find((g) => g.name === name)!;
    this.checkRuntime(devargsSocketPaths(devargs), [devargs]);
    return running.attachPrimary(group.primary);
  }

  removeGroup(name: string): void {
    const failed = this.failed.get(name);
    if (failed) {
      failed.retry.cancel();
      this.failed.delete(name);
      return;
    }
    const group = this.groups.get(name);
    if (!group) throw new Error(`no group "${name}"`);
    this.groups.delete(name);
    group.stop();
    this.log.info({ group: name }, 'group removed');
  }

  setLogLevel(level: LogLevel): void {
    this.log.level = level;
  }

  /**
   * Applies the config file as it reads now. A file that fails validation changes nothing;
   * otherwise groups are added, removed, restarted or reconfigured as their entries changed, and
   * untouched groups keep forwarding. Groups added at run time stay unless the file names them.
   */
  async reload(): Promise<ReloadReply> {
    if (!this.options.configPath) throw new Error('the daemon was not started from a config file; nothing to reload');
    const next = loadConfigFile(this.options.configPath);
    const diff = diffConfig(this.current, next);
    const { groups } = diff;
    const before = this.current;
    this.current = { ...next, dataplane: before.dataplane, control: { ...next.control, ...pick(before.control) } };
    const failures: ReloadReply['failed'] = [];
    const attempt = async (name: string, step: () => void | Promise<void>) => {
      try {
        await step();
      } catch (err) {
        failures.push({ group: name, error: (err as Error).message });
      }
    };
    for (const name of [...groups.removed, ...groups.restarted.map((g) => g.name)])
      await attempt(name, () => this.removeGroup(name));
    for (const group of [...groups.restarted, ...groups.added])
      await attempt(group.name, () => this.startGroup(group, 'config file'));
    for (const group of groups.primaryReplaced) await attempt(group.name, () => this.replacePrimary(group));
    for (const group of groups.reconfigured)
      await attempt(group.name, () => this.groups.get(group.name)?.reconfigureGroup(group, this.settingsFor(group)));
    if (diff.policyChanged)
      for (const runtime of this.groups.values()) runtime.reconfigure(this.settingsFor(runtime.config));
    if (diff.logLevelChanged) this.log.level = next.log.level;
    if (diff.accessChanged) this.control?.setAccess(accessPolicy(this.current));
    if (diff.metricsChanged) await this.startMetrics();
    const reply: ReloadReply = {
      added: groups.added.map((g) => g.name),
      removed: groups.removed,
      restarted: groups.restarted.map((g) => g.name),
      primaryReplaced: groups.primaryReplaced.map((g) => g.name),
      reconfigured: groups.reconfigured.map((g) => g.name),
      unchanged: groups.unchanged,
      needsRestart: diff.needsRestart,
      failed: failures,
    };
    this.log[failures.length || diff.needsRestart.length ? 'warn' : 'info'](
      { reload: reply },
      'configuration reloaded',
    );
    return reply;
  }

  async stop(): Promise<void> {
    await this.metrics?.close();
    await this.control?.close();
    this.metrics = undefined;
    this.control = undefined;
    for (const failed of this.failed.values()) failed.retry.cancel();
    this.failed.clear();
    for (const group of this.groups.values()) group.stop();
    this.groups.clear();
    this.dataplane.shutdown();
    this.log.info('daemon stopped: workers stopped, ports closed, sockets removed');
  }

  private counts(): { running: number; failed: number } {
    return { running: this.groups.size, failed: this.failed.size };
  }

  private settingsFor(group: GroupConfig): GroupRuntimeSettings {
    return {
      announce: { ...this.current.announce, ...group.announce },
      failover: this.current.failover,
      retryMaxMs: this.current.startup.retryMaxMs,
    };
  }

  /** A group's new primary from a reload: make before break, as an operator's detach and attach. */
  private replacePrimary(group: GroupConfig): void {
    const running = this.groups.get(group.name);
    if (!running) return;
    if (running.status().primary.devargs) running.detachPrimary();
    running.attachPrimary(group.primary, 'retry');
    running.reconfigureGroup(group, this.settingsFor(group));
  }

  private async startMetrics(): Promise<void> {
    await this.metrics?.close();
    this.metrics = undefined;
    const { metrics } = this.current;
    if (metrics.port === undefined) return;
    this.metrics = new MetricsServer(this, this.log);
    await this.metrics.listen(metrics.address, metrics.port);
    this.log.info({ metrics: `http://${metrics.address}:${metrics.port}/metrics` }, 'metrics ready');
  }

  /** What a control client names at run time: paths in the run-time directories, devices allowed. */
  private checkRuntime(paths: string[], devargs: string[]): void {
    const directories = runtimeDirectories(this.current);
    const outside = pathsOutside(paths, directories);
    if (outside.length > 0)
      throw new Error(
        `${outside.join(', ')} ${outside.length === 1 ? 'lies' : 'lie'} outside the run-time directories ` +
          `(${directories.join(', ')}); use one of them, or list the directory in control.runtimeDirectories`,
      );
    const problems = devargs.flatMap((d) => runtimeDeviceProblems(d, this.current.devices));
    if (problems.length > 0) throw new Error(problems.join('; '));
  }

  /** A native event to its group. A group's failure to handle one is logged, never fatal. */
  private route(event: NativeEvent): void {
    try {
      this.groups.get(event.group)?.onEvent(event);
    } catch (err) {
      this.log.error({ group: event.group, event: event.type, err }, 'handling a data plane event failed');
    }
  }

  private logDpdk(line: DpdkLogLine): void {
    if (line.droppedBefore) this.log.warn({ dropped: line.droppedBefore }, 'DPDK log lines dropped: too many at once');
    this.log[DPDK_LEVELS[line.level] ?? 'info']({ source: 'dpdk', dpdkLevel: line.level }, line.text);
  }

  /** The kernel's word on who connected to the control socket. */
  private peerOf(socket: net.Socket): Peer | undefined {
    const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
    return typeof fd === 'number' && fd >= 0 ? this.dataplane.peerCredentials(fd) : undefined;
  }

  /** Each running group's config, with the primary attached at run time if any. */
  private runningConfigs(): GroupConfig[] {
    return [
      ...[...this.groups.values()].map((group) => group.config),
      ...[...this.failed.values()].map((failed) => failed.config),
    ];
  }

  /**
   * Opens a group's ports and starts its control plane. A group whose vhost port or standby
   * cannot be opened is tried again later, unless startup.requireAllGroups (or `retry: false`,
   * for add-group, whose caller hears the error) says to fail.
   */
  private async startGroup(group: GroupConfig, origin: GroupOrigin, { retry = true } = {}): Promise<void> {
    try {
      await this.openGroup(group, origin);
    } catch (err) {
      if (!retry || this.current.startup.requireAllGroups) throw err;
      const failed: FailedGroup = {
        config: group,
        origin,
        retry: new RetryWithBackoff(
          () => {
            this.openGroupNow(group, origin);
            this.failed.delete(group.name);
          },
          this.current.startup.retryMaxMs,
          (error, retryInMs) =>
            this.log.error({ group: group.name, error, retryInMs }, 'group cannot start; trying again'),
        ),
      };
      this.failed.set(group.name, failed);
      failed.retry.start((err as Error).message);
    }
  }

  private async openGroup(group: GroupConfig, origin: GroupOrigin): Promise<void> {
    if (group.vhost.mode === 'server') {
      fs.mkdirSync(path.dirname(group.vhost.socket), { recursive: true });
      await removeStaleSocket(group.vhost.socket);
    }
    this.openGroupNow(group, origin);
  }

  /** The synchronous part of opening a group: its ports, its runtime. */
  private openGroupNow(group: GroupConfig, origin: GroupOrigin): void {
    const { rxDescriptors, txDescriptors } = this.current.dataplane;
    const settings = this.settingsFor(group);
    const { native, primaryError } = this.dataplane.addGroup(group, {
      rxDescriptors,
      txDescriptors,
      garpMaxAgeMs: settings.announce.garpMaxAgeMs,
    });
    this.groups.set(group.name, new GroupRuntime(group, native, settings, this.log, origin, primaryError));
    this.log.info(
      { group: group.name, socket: group.vhost.socket, mode: group.vhost.mode, primaryError },
      'group ready',
    );
  }
}

/** control.operators as an access policy; an unknown user or group is a configuration error. */
function accessPolicy(config: Config): AccessPolicy {
  try {
    return new AccessPolicy(config.control.operators);
  } catch (err) {
    throw new ConfigError('control.operators', [(err as Error).message]);
  }
}

/** The control settings a running daemon keeps until it restarts. */
function pick(control: Config['control']): Pick<Config['control'], 'socket' | 'mode' | 'group'> {
  return { socket: control.socket, mode: control.mode, group: control.group };
}

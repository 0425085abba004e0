// Composition root: config -> control socket -> data plane -> one GroupRuntime per group ->
// metrics, and the orderly way back down. It routes each native event to its group, checks
// run-time changes against the running groups as a config file would be, keeps trying groups and
// primaries that could not start, and applies a reloaded config file.
import type net from 'net';
import path from 'path';
import {
  ConfigError,
  groupPaths,
  loadConfigFile,
  runtimeBridgeProblems,
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
import { devargsSocketPaths, isTapDriver, kernelInterface, parseDevargs } from './config/devargs-rules';
import {
  Dataplane,
  type CaptureLimits,
  type CaptureReport,
  type DpdkLogLine,
  type NativeEvent,
  type WorkerStatsReport,
} from './dataplane';
import { captureDirectory, startGroupCapture, type CapturedGroup } from './group/group-capture';
import { GroupRuntime, type GroupOrigin, type GroupRuntimeSettings } from './group/group-runtime';
import type { GroupStatusReport } from './group/reports';
import { RetryWithBackoff } from './group/retry-backoff';
import { checkDeviceClaim } from './host/device-claims';
import { ensureSocketDirectory } from './host/socket-directory';
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
  private readonly liveness: WorkerLiveness;
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
    this.liveness = new WorkerLiveness(() => this.dataplane.workerPasses());
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

  workerStats(): WorkerStatsReport {
    return this.dataplane.workerStats();
  }

  startCapture(group: CapturedGroup, limits: CaptureLimits): CaptureReport {
    const report = startGroupCapture(captureDirectory(this.current.control.socket), group, limits);
    this.log.info({ group: group.name, file: report.file, limits }, 'capture started');
    return report;
  }

  build(): { version: string; dpdk: string; dpdkBuilt: string } {
    return { version: VERSION, dpdk: this.dataplane.dpdkVersion, dpdkBuilt: this.dataplane.dpdkBuiltVersion };
  }

  failedGroupNames(): string[] {
    return [...this.failed.keys()];
  }

  identity(): IdentityReply {
    return {
      pid: process.pid,
      ...this.build(),
      startedAtIso: this.startedAtIso,
      groups: this.groups.size,
    };
  }

  /** Whether the daemon does its job: workers looping, every group running. */
  health(): HealthReply {
    const workersAlive = this.liveness.allAdvancing();
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
    const bridges = runtimeBridgeProblems(group, this.current);
    if (bridges.length > 0) throw new Error(bridges.join('; '));
    await this.startGroup(group, 'add-group', { retry: false });
    return group;
  }

  /** A new primary for a group that has none, checked against the running groups. */
  attachPrimary(name: string, devargs: string): GroupStatusReport {
    const running = this.groups.get(name);
    if (!running) throw new Error(`no group "${name}"`);
    // The configured bridge stays for a tap attached in place of the configured one.
    const bridge = running.config.primary.bridge;
    const primary = { devargs, ...(bridge && kernelInterface(devargs) && isTap(devargs) ? { bridge } : {}) };
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
    const file = this.options.configPath;
    if (!file) throw new Error('the daemon was not started from a config file; nothing to reload');
    const next = loadConfigFile(file);
    // The file's groups must also fit beside the groups added at run time that it does not name
    // (one MAC, one interface, one socket each), and its operators must exist: checked before
    // anything changes.
    const named = new Set(next.groups.map((group) => group.name));
    const runtimeOnly = [...this.groups.values()].filter((g) => g.origin === 'add-group' && !named.has(g.name));
    if (runtimeOnly.length > 0)
      validateConfig(
        { ...next, groups: [...next.groups, ...runtimeOnly.map((g) => g.config)] },
        `${file} beside the groups added at run time`,
      );
    const diff = diffConfig(this.current, next);
    const access = diff.accessChanged ? accessPolicy(next) : undefined;
    const { groups } = diff;
    // A group the file names that runs from an add-group, or a changed one that never started,
    // starts over with the file's entry.
    const startOver = (group: GroupConfig) =>
      this.failed.has(group.name) || this.groups.get(group.name)?.origin === 'add-group';
    const changed = [...groups.primaryReplaced, ...groups.reconfigured];
    const restarted = [...groups.restarted, ...[...changed, ...groups.added].filter(startOver)];
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
    for (const name of [...groups.removed, ...restarted.map((g) => g.name)])
      if (this.groups.has(name) || this.failed.has(name)) await attempt(name, () => this.removeGroup(name));
    for (const group of [...restarted, ...groups.added.filter((g) => !startOver(g) && !restarted.includes(g))])
      await attempt(group.name, async () => {
        await this.startGroup(group, 'config file');
        const waiting = this.failed.get(group.name);
        if (waiting) throw new Error(`${waiting.retry.state().lastError} (trying again)`);
      });
    for (const group of changed.filter((g) => !restarted.includes(g))) {
      const runtime = this.groups.get(group.name)!;
      if (groups.primaryReplaced.includes(group))
        await attempt(group.name, () => runtime.replacePrimary(group.primary));
      await attempt(group.name, () => runtime.reconfigureGroup(group, this.settingsFor(group)));
    }
    if (diff.policyChanged)
      for (const runtime of this.groups.values()) runtime.reconfigure(this.settingsFor(runtime.config));
    if (diff.logLevelChanged) this.log.level = next.log.level;
    if (access) this.control?.setAccess(access);
    if (diff.metricsChanged) await attempt('metrics', () => this.startMetrics());
    const reply: ReloadReply = {
      added: groups.added.filter((g) => !restarted.includes(g)).map((g) => g.name),
      removed: groups.removed,
      restarted: restarted.map((g) => g.name),
      primaryReplaced: groups.primaryReplaced.filter((g) => !restarted.includes(g)).map((g) => g.name),
      reconfigured: groups.reconfigured.filter((g) => !restarted.includes(g)).map((g) => g.name),
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

  /**
   * (Re)starts the metrics endpoint for the current settings. A new address binds before the old
   * one closes, so a reload that cannot bind keeps the old endpoint; the same port must close first.
   */
  private async startMetrics(): Promise<void> {
    const { metrics } = this.current;
    const old = this.metrics;
    if (old?.boundTo(metrics.address, metrics.port)) {
      await old.close();
      this.metrics = undefined;
    }
    if (metrics.port !== undefined) {
      const server = new MetricsServer(this, this.log);
      await server.listen(metrics.address, metrics.port);
      this.metrics = server;
      this.log.info({ metrics: `http://${metrics.address}:${metrics.port}/metrics` }, 'metrics ready');
    } else this.metrics = undefined;
    if (old && old !== this.metrics) await old.close();
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
    for (const file of paths) ensureSocketDirectory(path.dirname(file));
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
          // In turn with the control plane's changes; an attempt that waited behind a reload or
          // a stop that removed or restarted the group does nothing.
          () =>
            this.serialized(async () => {
              if (this.failed.get(group.name) !== failed) return;
              await this.openGroup(group, origin);
              this.failed.delete(group.name);
            }),
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
    // Client mode too: there QEMU's socket is found in it, and must be QEMU's.
    try {
      ensureSocketDirectory(path.dirname(group.vhost.socket));
    } catch (err) {
      throw new Error(
        `group "${group.name}": vhost port: ${(err as Error).message}; choose a vhost.socket in a directory the daemon may create, and only root or its own user may change`,
      );
    }
    if (group.vhost.mode === 'server') await removeStaleSocket(group.vhost.socket);
    for (const uplink of [group.primary, group.standby]) checkDeviceClaim(uplink.devargs);
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

function isTap(devargs: string): boolean {
  return isTapDriver(parseDevargs(devargs).driver);
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

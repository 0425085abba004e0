// Composition root: config -> data plane -> groups -> failback rule -> control socket, and the
// orderly way back down on SIGINT/SIGTERM.
import type { Config } from './config';
import { ControlServer, removeStaleSocket } from './control/server';
import { controlHandlers } from './control/handlers';
import { Dataplane, type NativeEvent } from './dataplane';
import { applyLinkFailback } from './failover/link-failback';
import { PathHistory } from './failover/path-history';
import type { Logger } from './log';

export class Daemon {
  readonly dataplane = new Dataplane();
  readonly pathHistory = new PathHistory();
  private control?: ControlServer;

  constructor(
    readonly config: Config,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const { config, log, dataplane } = this;
    const failback = applyLinkFailback(dataplane, log);
    dataplane.on('event', (event) => {
      this.logEvent(event);
      this.pathHistory.observe(event);
      failback(event);
    });
    log.info({ eal: config.dataplane }, 'starting the data plane');
    dataplane.start(config);
    try {
      for (const group of config.groups) {
        if (group.vhost.mode === 'server') await removeStaleSocket(group.vhost.socket);
        dataplane.addGroup(group, { rx: config.dataplane.rxDescriptors, tx: config.dataplane.txDescriptors });
        log.info({ group: group.name, socket: group.vhost.socket, mode: group.vhost.mode }, 'group ready');
      }
      this.control = new ControlServer(config.control.socket, controlHandlers(this), log);
      await this.control.listen();
    } catch (err) {
      await this.stop();
      throw err;
    }
    log.info({ control: config.control.socket, groups: config.groups.length }, 'daemon ready');
  }

  async stop(): Promise<void> {
    await this.control?.close();
    this.control = undefined;
    this.dataplane.shutdown();
    this.log.info('daemon stopped: workers stopped, ports closed, sockets removed');
  }

  private logEvent(event: NativeEvent): void {
    const { atNs, ...fields } = event;
    const level = event.type === 'link' && !event.up ? 'warn' : 'info';
    this.log[level]({ event: { ...fields, atNs: atNs.toString() } }, event.reason);
  }
}

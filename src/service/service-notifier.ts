// Tells the service manager how the daemon is (systemd's notify protocol, Type=notify):
// readiness once every group's socket exists, status lines, reloading and stopping, and the
// watchdog, fed from the event loop only while the daemon reports itself healthy. Outside
// systemd ($NOTIFY_SOCKET unset) every call is a no-op.
import type { Logger } from '../log';

export class ServiceNotifier {
  private watchdog?: NodeJS.Timeout;

  constructor(
    private readonly send: (assignments: string[]) => boolean,
    private readonly log: Logger,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  ready(status: string): void {
    this.send(['READY=1', `STATUS=${status}`, `MAINPID=${process.pid}`]);
  }

  reloading(): void {
    this.send(['RELOADING=1', 'STATUS=reloading the configuration']);
  }

  stopping(): void {
    this.stopWatchdog();
    this.send(['STOPPING=1', 'STATUS=stopping']);
  }

  /**
   * Feeds the watchdog three times per interval (WatchdogSec= sets WATCHDOG_USEC) while `healthy`
   * says so; a missed feed is logged, and systemd acts once a whole interval passed without one.
   */
  startWatchdog(healthy: () => string | undefined): void {
    const usec = Number(this.env.WATCHDOG_USEC);
    const forPid = this.env.WATCHDOG_PID;
    if (!Number.isFinite(usec) || usec <= 0 || (forPid && Number(forPid) !== process.pid)) return;
    this.watchdog = setInterval(() => {
      const problem = healthy();
      if (problem === undefined) this.send(['WATCHDOG=1']);
      else this.log.error({ problem }, 'not feeding the watchdog');
    }, usec / 3000);
    this.watchdog.unref();
  }

  stopWatchdog(): void {
    clearInterval(this.watchdog);
    this.watchdog = undefined;
  }
}

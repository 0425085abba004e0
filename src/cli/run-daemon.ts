// `run`: the daemon in the foreground, with what a service manager expects: the host checked
// first (one line per missing piece), SIGTERM and SIGINT stop it cleanly at any point, start-up
// included, SIGHUP reloads the configuration file, and under systemd (Type=notify) it says when it
// is ready, reloading or stopping, and feeds the watchdog while its workers loop.
import { ConfigError, loadConfigFile } from '../config';
import { Daemon } from '../daemon';
import { Dataplane } from '../dataplane';
import { workerCpuContention } from '../host/cpu-contention';
import { preflight } from '../host/preflight';
import { createLogger, type Logger } from '../log';
import { ServiceNotifier } from '../service/service-notifier';
import { EXIT } from './exit-codes';

// How long a stop waits for a change in progress (systemd's own stop timeout is longer: 90 s).
const CHANGE_WAIT_MS = 10000;

/** Stops without waiting for the changes queued before the stop, then exits. */
function stopNow(daemon: Daemon, log: Logger): void {
  daemon.stop().then(
    () => process.exit(EXIT.ok),
    (err: Error) => {
      log.error({ err }, 'stop failed');
      process.exit(EXIT.refused);
    },
  );
}

export async function runDaemon(configPath: string): Promise<void> {
  const config = loadConfigFile(configPath);
  const problems = preflight(config);
  const configProblems = problems.filter((problem) => problem.kind === 'config').map((problem) => problem.text);
  if (configProblems.length > 0) throw new ConfigError(configPath, configProblems);
  if (problems.length > 0) throw new Error(problems.map((problem) => problem.text).join('\n'));

  const log = createLogger(config.log.level);
  const dataplane = new Dataplane();
  const daemon = new Daemon(config, log, dataplane, { configPath });
  const service = new ServiceNotifier((assignments) => dataplane.notifyService(assignments), log);
  // In turn with the control plane's changes: none runs on a half-started daemon.
  const started = daemon.serialized(() => daemon.start());
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      // A second signal does not wait for the change in progress.
      log.warn({ signal }, 'stopping now, without waiting for the change in progress');
      stopNow(daemon, log);
      return;
    }
    stopping = true;
    log.info({ signal }, 'stopping');
    service.stopping();
    // A signal during start-up waits for the start to end (or fail), one during a change (an
    // attach, a detach, a group being added, a reload) for the change to end, but no longer than
    // CHANGE_WAIT_MS; then it stops what they made.
    const waited = started.catch(() => {}).then(() => daemon.serialized(() => daemon.stop()));
    const timer = setTimeout(() => {
      log.warn({ waitedMs: CHANGE_WAIT_MS }, 'a change has not ended; stopping without it');
      stopNow(daemon, log);
    }, CHANGE_WAIT_MS);
    waited.then(
      () => process.exit(EXIT.ok),
      (err: Error) => {
        clearTimeout(timer);
        log.error({ err }, 'stop failed');
        process.exit(EXIT.refused);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGHUP', () => {
    if (stopping) return;
    service.reloading();
    daemon
      .serialized(() => daemon.reload())
      .catch((err: Error) => log.error({ err: err.message }, 'reload on SIGHUP refused; nothing changed'))
      .finally(() => service.ready(daemon.summary()));
  });
  await started;
  if (stopping) return;
  service.ready(daemon.summary());
  workerCpuContention(config.dataplane.workerCpus).then(
    (warnings) => warnings.forEach((warning) => log.warn(warning)),
    (err: Error) => log.warn({ err: err.message }, 'could not measure the worker CPUs'),
  );
  service.startWatchdog(() => (daemon.health().workersAlive ? undefined : 'a worker lcore stopped making passes'));
}

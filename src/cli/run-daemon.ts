// `run`: the daemon in the foreground, with what a service manager expects: SIGTERM and SIGINT
// stop it cleanly, SIGHUP reloads the configuration file, and under systemd (Type=notify) it
// says when it is ready, reloading or stopping, and feeds the watchdog while its workers loop.
import { loadConfigFile } from '../config';
import { Daemon } from '../daemon';
import { Dataplane } from '../dataplane';
import { createLogger } from '../log';
import { ServiceNotifier } from '../service/service-notifier';
import { EXIT } from './exit-codes';

export async function runDaemon(configPath: string): Promise<void> {
  const config = loadConfigFile(configPath);
  const log = createLogger(config.log.level);
  const dataplane = new Dataplane();
  const daemon = new Daemon(config, log, dataplane, { configPath });
  const service = new ServiceNotifier((state) => dataplane.notifyService(state), log);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    service.stopping();
    daemon.stop().then(
      () => process.exit(EXIT.ok),
      (err: Error) => {
        log.error({ err }, 'stop failed');
        process.exit(EXIT.refused);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGHUP', () => {
    service.reloading();
    daemon
      .serialized(() => daemon.reload())
      .catch((err: Error) => log.error({ err: err.message }, 'reload on SIGHUP refused; nothing changed'))
      .finally(() => service.ready(daemon.summary()));
  });
  await daemon.start();
  service.ready(daemon.summary());
  service.startWatchdog(() => (daemon.health().workersAlive ? undefined : 'a worker lcore stopped making passes'));
}

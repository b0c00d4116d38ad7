// `pigeon serve`: runs the API until SIGTERM or SIGINT, then drains in-flight requests and exits 0.
import { describeDatabaseUrl, loadConfig, type ConfigFlags } from '../../config/config.js';
import { DEMO, demoCurl } from '../../config/demo.js';
import { startServer } from '../../main/server.js';
import { startWithWorkerThread, usesWorkerThread } from '../../main/worker-thread.js';
import { createLogger, defaultLogFormat } from '../../shared/logger.js';

export async function serveCommand(flags: ConfigFlags, out: NodeJS.WritableStream): Promise<number> {
  const config = loadConfig(process.env, flags);
  const logger = createLogger(config.logLevel, process.stdout, config.logFormat ?? defaultLogFormat(process.stdout));
  // Taken from the start: a supervisor may stop the process the moment it reads the start-up line,
  // and a signal that came before the handler was taken would kill it without draining. One that
  // comes while starting (nothing accepted yet; a database that does not answer) ends it at once,
  // as it did before.
  let started = false;
  const signalled = new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      if (!started) {
        logger.info({ signal }, 'stopped while starting');
        process.exit(signal === 'SIGINT' ? 130 : 143);
      }
      logger.info({ signal }, 'shutting down');
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      resolve();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  // A worker thread that died ends the process (worker-thread.ts): it stops as it would on SIGTERM, then exits 1.
  let fatal: ((err: Error) => void) | undefined;
  const died = new Promise<Error>((resolve) => (fatal = resolve));
  const threaded = usesWorkerThread(config) ? await startWithWorkerThread(config, logger, (err) => fatal?.(err)) : undefined;
  const server = threaded?.server ?? (await startServer(config, logger));
  const close = threaded?.close ?? server.close;
  const database = describeDatabaseUrl(config.databaseUrl);
  started = true;
  if (server.url) logger.info({ url: server.url, role: config.role, database, demo: config.demo, workerThread: threaded !== undefined }, 'pigeon listening');
  else logger.info({ role: config.role, database, probes: server.probeUrl }, 'pigeon worker running: /healthz, /readyz and /metrics at probes');
  if (config.demo) {
    out.write(
      [
        '',
        `Pigeon is running at ${server.url} with a demo account (no config file given):`,
        `  account ${DEMO.accountId}, API user ${DEMO.username} / ${DEMO.password}`,
        `  application ${DEMO.applicationId}, number ${DEMO.number}`,
        `  admin API token ${server.adminToken ?? '(none)'} (for pigeon inbound, pigeon simulator, pigeon message)`,
        '',
        'Send a message:',
        '',
        demoCurl(server.url),
        '',
        '',
      ].join('\n'),
    );
    if (!['127.0.0.1', 'localhost', '::1'].includes(config.host)) {
      logger.warn('the demo account has a published password; give Pigeon a config file before exposing it');
    }
  }
  const death = await Promise.race([signalled.then(() => undefined), died]);
  if (death) logger.fatal({ err: death }, 'the delivery worker thread stopped; shutting down');
  await close();
  logger.info('stopped');
  return death ? 1 : 0;
}

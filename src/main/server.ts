// Starting and stopping a whole Pigeon process: the one place that opens the store, builds the
// app, listens, and tears everything down in order.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { Authenticator } from '../core/accounts/authenticator.js';
import { startMediaRetention } from '../core/media/media-retention.js';
import type { Store } from '../core/ports.js';
import { buildApp } from '../http/app.js';
import { openCore } from './open-core.js';

export interface RunningServer {
  app: FastifyInstance;
  store: Store;
  /** The base URL the server listens on, e.g. http://127.0.0.1:8080. */
  url: string;
  close(): Promise<void>;
}

export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  const { store, directory, now } = await openCore(config);
  const app = await buildApp({ config, store, directory, authenticator: new Authenticator(directory, now), now, logger });
  const stopRetention = startMediaRetention(store.media, config.media.retentionHours, now, (err) =>
    logger.error({ err }, 'media retention sweep failed'),
  );
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    stopRetention();
    await store.close();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  let closing: Promise<void> | undefined;
  return {
    app,
    store,
    url: `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${port}`,
    close() {
      // In-flight requests finish first (their 202s are already durable), then the store closes.
      closing ??= (async () => {
        stopRetention();
        await app.close();
        await store.close();
      })();
      return closing;
    },
  };
}

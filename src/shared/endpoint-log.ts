// One log line per change of an outbound endpoint's circuit (core/endpoints/circuit.ts), never one
// per attempt: a dead webhook retried all day must not flood the log.
import type { Logger } from 'pino';
import type { EndpointChange } from '../core/ports.js';

/**
 * The endpoint as a log shows it: scheme, host and path. Credentials in the URL and its query
 * (webhooks often carry a token there) stay out of the log.
 */
export function endpointForLog(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(unparsable URL)';
  }
}

const iso = (time: number | undefined) => (time === undefined ? undefined : new Date(time).toISOString());

export function logEndpointChange(logger: Pick<Logger, 'info' | 'warn'>, { change, status }: EndpointChange): void {
  const fields = {
    queue: status.queue,
    endpoint: endpointForLog(status.endpoint),
    state: status.state,
    backlog: status.backlog,
  };
  if (change === 'opened') {
    logger.warn(
      {
        ...fields,
        failingSince: iso(status.failingSince),
        consecutiveFailures: status.consecutiveFailures,
        lastError: status.lastError,
        nextProbeAt: iso(status.nextProbeAt),
      },
      'endpoint failing: one probe at a time until it answers; its other callbacks wait',
    );
  } else {
    logger.info(fields, 'endpoint answering again: its backlog drains');
  }
}

// Status: the carriers and their state, queue depth per account, and each application's callback
// endpoint with its backlog, circuit and most recent failure.
import { api } from '../api.js';
import { h, replace, status, table, time } from '../dom.js';
import { state } from '../state.js';

interface CarrierStatus {
  name: string;
  type?: string;
  state: string;
  inFlight?: number;
  /** Upstream carriers: recent request latency. */
  latencyMs?: { p50: number; p95: number };
  lastError?: string;
  counters?: Record<string, number>;
}

interface Status {
  server?: {
    carrier: { name: string; state: string };
    carriers?: Array<CarrierStatus>;
    delivery: Record<string, number>;
    callbacks: Record<string, number>;
  };
  queues: Array<{ accountId: string; queued: number }>;
  endpoints: Array<{
    endpoint: string;
    state: string;
    /** Absent for an endpoint another account also uses: its numbers would show that account's callbacks. */
    backlog?: number;
    inFlight?: number;
    consecutiveFailures?: number;
    shared?: boolean;
    failingSinceIso?: string;
    nextProbeAtIso?: string;
    lastError?: string;
    applications: Array<{ accountId: string; name: string }>;
  }>;
  failures: Array<{ accountId: string; application: string; messageId: string; eventType: string; url: string; timeIso: string; statusCode?: number; error?: string }>;
}

export async function statusPage(main: HTMLElement): Promise<void> {
  document.title = 'Status · Pigeon console';
  const load = async () => {
    const s = await api<Status>('GET', '/status');
    const carriers = s.server ? (s.server.carriers && s.server.carriers.length > 0 ? s.server.carriers : [s.server.carrier]) : [];
    replace(
      main,
      h('h1', {}, 'Status'),
      s.server && [
        h('h2', {}, 'Carriers'),
        table(
          'Carriers and their state',
          ['Carrier', 'Type', 'State', 'In flight', 'Latency p50 / p95', 'Errors', 'Last error'],
          carriers.map((c: CarrierStatus) => [
            c.name,
            c.type ?? '',
            status(c.state),
            c.inFlight ?? '—',
            c.latencyMs ? `${Math.round(c.latencyMs.p50)} ms / ${Math.round(c.latencyMs.p95)} ms` : '—',
            c.counters?.errors ?? '—',
            c.lastError ?? '',
          ]),
        ),
        h('h2', {}, 'Workers'),
        table('Counters since start', ['Counter', 'Value'], [
          ...Object.entries(s.server.delivery).map(([k, v]) => [`delivery ${k}`, v]),
          ...Object.entries(s.server.callbacks).map(([k, v]) => [`callbacks ${k}`, v]),
        ]),
      ],
      h('h2', {}, 'Queue depth'),
      table('Recipients waiting in the delivery queue', ['Account', 'Queued'], s.queues.map((q) => [q.accountId, q.queued])),
      h('h2', {}, 'Callbacks'),
      s.endpoints.length === 0
        ? h('p', {}, 'No callbacks have been queued for these applications yet.')
        : table(
            'Callback endpoints per application',
            ['Applications', 'Endpoint', 'State', 'Backlog', 'In flight', 'Failures in a row', 'Failing since', 'Recent failure'],
            s.endpoints.map((e) => [
              e.applications.map((a) => `${a.name} (${a.accountId})`).join(', '),
              h('code', {}, e.endpoint),
              status(e.state),
              e.backlog ?? '—',
              e.inFlight ?? '—',
              e.consecutiveFailures ?? '—',
              e.failingSinceIso ? time(e.failingSinceIso) : '',
              e.shared ? 'also used by another account: its details are not shown' : (e.lastError ?? ''),
            ]),
          ),
      h('h2', {}, 'Recent callback failures'),
      s.failures.length === 0
        ? h('p', {}, 'No failed callback attempts.')
        : table(
            'Most recent failed callback attempts per application',
            ['When', 'Account', 'Application', 'Event', 'Message', 'Response', 'Error'],
            s.failures.map((f) => [
              time(f.timeIso),
              f.accountId,
              f.application,
              f.eventType,
              h('a', { href: `/console/messages/${encodeURIComponent(f.messageId)}` }, f.messageId),
              f.statusCode === undefined ? 'none' : String(f.statusCode),
              f.error ?? '',
            ]),
          ),
    );
  };
  state.refresh = () => void load().catch(() => undefined);
  await load();
}

// One message: its fields and text, media, each recipient's status and error, the timeline, and
// every callback with each attempt (exact body, response status, latency, error), re-read live.
import { api } from '../api.js';
import { h, replace, status, table, time } from '../dom.js';
import { mediaHref, state } from '../state.js';

interface View {
  message: {
    id: string;
    accountId: string;
    applicationId: string;
    direction: string;
    owner: string;
    from: string;
    to: string[];
    text?: string;
    media?: string[];
    tag?: string;
    priority: string;
    segmentCount: number;
    type: string;
    timeIso: string;
  };
  recipients: Array<{ destinationTn: string; messageStatus: string; errorCode: number; carrierName: string | null; segmentCount: number }>;
  events: Array<{ destinationTn: string; status: string; timeIso: string; errorCode?: number; detail?: string }>;
  callbacks: Array<{
    id: number;
    eventType: string;
    url: string;
    state: string;
    body: unknown;
    createdAt: number;
    attempts: Array<{ attempt: number; time: number; statusCode?: number; latencyMs: number; error?: string }>;
  }>;
  callbackUrl: string | null;
}

export async function messagePage(main: HTMLElement, id: string): Promise<void> {
  document.title = `Message ${id} · Pigeon console`;
  const alert = h('p', { role: 'status' });
  const render = (v: View) => {
    const m = v.message;
    const media = (m.media ?? []).map((url) => {
      const { href, image } = mediaHref(url);
      const name = decodeURIComponent(url.split('/').pop() ?? url);
      return h('li', {}, image ? h('figure', {}, h('img', { src: href, alt: `Attachment ${name}` }), h('figcaption', {}, h('a', { href, target: '_blank', rel: 'noopener' }, name))) : h('a', { href, target: '_blank', rel: 'noopener' }, name));
    });
    const dl = (pairs: Array<[string, string | number | undefined | Node]>) =>
      h('dl', {}, pairs.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
    replace(
      main,
      h('h1', {}, `Message ${m.id}`),
      alert,
      dl([
        ['Direction', m.direction === 'in' ? 'Inbound' : 'Outbound'],
        ['Type', m.type.toUpperCase()],
        ['From', m.from],
        ['To', m.to.join(', ')],
        ['Time', time(m.timeIso)],
        ['Account', m.accountId],
        ['Application', m.applicationId],
        ['Segments', m.segmentCount],
        ['Priority', m.priority],
        ['Tag', m.tag],
      ]),
      h('h2', {}, 'Text'),
      m.text ? h('p', { class: 'text' }, m.text) : h('p', {}, 'No text.'),
      media.length > 0 && [h('h2', {}, 'Media'), h('ul', { class: 'media' }, media)],
      h('h2', {}, 'Recipients'),
      table(
        'Status per recipient',
        ['Recipient', 'Status', 'Error', 'Carrier'],
        v.recipients.map((r) => [r.destinationTn, status(r.messageStatus), r.errorCode ? String(r.errorCode) : '', r.carrierName ?? '']),
      ),
      h('h2', {}, 'Timeline'),
      table(
        'Events in order',
        ['Time', 'Recipient', 'Status', 'Error', 'Detail'],
        v.events.map((e) => [time(e.timeIso), e.destinationTn, status(e.status), e.errorCode ? String(e.errorCode) : '', e.detail ?? '']),
      ),
      h('h2', {}, 'Callbacks'),
      v.callbackUrl === null
        ? h('p', {}, 'This application has no callback URL, so no callbacks are sent; the timeline above shows every event.')
        : v.callbacks.length === 0
          ? h('p', {}, 'No callbacks yet.')
          : v.callbacks.map((c) =>
              h(
                'section',
                { class: 'callback', 'aria-labelledby': `cb-${c.id}` },
                h('h3', { id: `cb-${c.id}` }, `${c.eventType} #${c.id} — ${c.state}`),
                h('p', {}, 'To ', h('code', {}, c.url), ', queued ', time(new Date(c.createdAt).toISOString())),
                h(
                  'button',
                  {
                    type: 'button',
                    onclick: async () => {
                      try {
                        const sent = await api<{ id: number }>('POST', `/messages/${encodeURIComponent(m.id)}/callbacks/${c.id}/resend`);
                        alert.textContent = `Callback queued again as #${sent.id}.`;
                      } catch (err) {
                        alert.textContent = (err as Error).message;
                      }
                    },
                  },
                  `Send callback #${c.id} again`,
                ),
                h('details', { id: `body-${c.id}` }, h('summary', {}, 'Body sent'), h('pre', {}, JSON.stringify(c.body, null, 2))),
                c.attempts.length === 0
                  ? h('p', {}, 'Not attempted yet.')
                  : table(
                      `Attempts of callback #${c.id}`,
                      ['Attempt', 'When', 'Response', 'Latency', 'Error'],
                      c.attempts.map((a) => [
                        a.attempt,
                        time(new Date(a.time).toISOString()),
                        a.statusCode === undefined ? 'none' : String(a.statusCode),
                        `${a.latencyMs} ms`,
                        a.error ?? '',
                      ]),
                    ),
              ),
            ),
    );
  };
  // A refresh re-renders only when something changed, keeping open bodies open.
  let last = '';
  const load = async () => {
    const view = await api<View>('GET', `/messages/${encodeURIComponent(id)}`);
    const json = JSON.stringify(view);
    if (json === last) return;
    last = json;
    const open = new Set(Array.from(main.querySelectorAll('details[open]')).map((d) => d.id));
    const note = alert.textContent;
    render(view);
    alert.textContent = note;
    for (const d of main.querySelectorAll('details')) if (open.has(d.id)) d.open = true;
  };
  await load();
  state.refresh = () => void load().catch(() => undefined);
}

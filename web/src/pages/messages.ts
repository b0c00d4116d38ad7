// The message list: the list API's filters and pages, re-read whenever the event stream reports a
// change, so new messages and status changes appear without reloading.
import { api } from '../api.js';
import { field, h, replace, select, status, table, time } from '../dom.js';
import { state } from '../state.js';

interface ListItem {
  messageId: string;
  sourceTn: string;
  destinationTn: string;
  messageStatus: string;
  messageDirection: string;
  messageType: string;
  segmentCount: number;
  errorCode: number;
  receiveTime: string;
  /** The start of the text, or "MMS: 2 files" (the console's list only). */
  preview: string;
  tag: string | null;
}
interface List {
  totalCount: number;
  pageInfo: { nextPageToken?: string; prevPageToken?: string };
  messages: ListItem[];
}

const PAGE = 50;

function describeRange(offset: number, shown: number, more: boolean): string {
  if (shown === 0) return offset === 0 ? 'No message records match.' : 'No more message records.';
  return `Message records ${offset + 1} to ${offset + shown}${more ? ' (more on older pages)' : ''}`;
}

const STATUSES = ['RECEIVED', 'QUEUED', 'SENDING', 'SENT', 'DELIVERED', 'FAILED', 'ACCEPTED', 'UNDELIVERED'];

export async function messagesPage(main: HTMLElement): Promise<void> {
  document.title = 'Messages · Pigeon console';
  const filters = new URLSearchParams();
  let token: string | undefined;
  const from = h('input', { type: 'text', name: 'sourceTn', inputmode: 'tel', autocomplete: 'off' });
  const to = h('input', { type: 'text', name: 'destinationTn', inputmode: 'tel', autocomplete: 'off' });
  const statusSel = select('messageStatus', [['', 'Any'], ...STATUSES.map((s): [string, string] => [s, s])]);
  const direction = select('messageDirection', [['', 'Any'], ['OUTBOUND', 'Outbound'], ['INBOUND', 'Inbound']]);
  const type = select('messageType', [['', 'Any'], ['sms', 'SMS'], ['mms', 'MMS']]);
  const errorCode = h('input', { type: 'number', name: 'errorCode', min: 0 });
  const tag = h('input', { type: 'text', name: 'tag', autocomplete: 'off' });
  const text = h('input', { type: 'search', name: 'text', autocomplete: 'off' });
  const fromDate = h('input', { type: 'datetime-local', name: 'fromDateTime' });
  const toDate = h('input', { type: 'datetime-local', name: 'toDateTime' });
  const results = h('div', { id: 'results' });
  const exports = h('p', { class: 'actions' });
  const pager = h('div', { class: 'pager' });

  let offset = 0;
  /** Links to the export of the list as filtered; numbers ending in * are the export's prefix match. */
  const exportLinks = () => {
    const params = new URLSearchParams(filters);
    for (const name of ['sourceTn', 'destinationTn']) {
      const value = params.get(name);
      if (value?.endsWith('*')) params.set(name, value.slice(0, -1));
    }
    const base = `/console/api/accounts/${encodeURIComponent(state.accountId)}/messages/export`;
    replace(
      exports,
      'Export these messages: ',
      ...(['ndjson', 'json', 'csv'] as const).flatMap((format) => {
        params.set('format', format);
        return [h('a', { href: `${base}?${params}`, download: '' }, format === 'ndjson' ? 'NDJSON' : format.toUpperCase()), ' '];
      }),
    );
  };
  const load = async () => {
    exportLinks();
    const params = new URLSearchParams(filters);
    params.set('limit', String(PAGE));
    if (token) params.set('pageToken', token);
    const list = await api<List>('GET', `/accounts/${encodeURIComponent(state.accountId)}/messages?${params}`);
    replace(
      results,
      // The server counts only as far as the next page (the count would cost more than the page).
      h('p', { role: 'status' }, describeRange(offset, list.messages.length, list.pageInfo.nextPageToken !== undefined)),
      table(
        'Messages, newest first',
        ['Time', 'Message', 'Text', 'Tag', 'From', 'To', 'Status', 'Direction', 'Type', 'Segments', 'Error'],
        list.messages.map((m) => [
          time(m.receiveTime),
          h('a', { href: `/console/messages/${encodeURIComponent(m.messageId)}` }, m.messageId),
          h('span', { class: 'preview' }, m.preview),
          m.tag ?? '',
          m.sourceTn,
          m.destinationTn,
          status(m.messageStatus),
          m.messageDirection,
          m.messageType.toUpperCase(),
          m.segmentCount,
          m.errorCode || '',
        ]),
      ),
    );
    const prev = list.pageInfo.prevPageToken;
    const next = list.pageInfo.nextPageToken;
    replace(
      pager,
      h('button', { type: 'button', disabled: !prev && !token, onclick: () => ((token = prev), (offset = Math.max(0, offset - PAGE)), void load()) }, 'Newer'),
      h('button', { type: 'button', disabled: !next, onclick: () => ((token = next), (offset += PAGE), void load()) }, 'Older'),
    );
  };

  const apply = (event: Event) => {
    event.preventDefault();
    for (const key of [...filters.keys()]) filters.delete(key);
    const put = (name: string, value: string) => value && filters.set(name, value);
    put('sourceTn', from.value.trim());
    put('destinationTn', to.value.trim());
    put('messageStatus', statusSel.value);
    put('messageDirection', direction.value);
    put('messageType', type.value);
    put('errorCode', errorCode.value);
    put('tag', tag.value);
    put('text', text.value.trim());
    if (fromDate.value) filters.set('fromDateTime', new Date(fromDate.value).toISOString());
    if (toDate.value) filters.set('toDateTime', new Date(toDate.value).toISOString());
    token = undefined;
    offset = 0;
    load().catch(showError);
  };
  const alert = h('p', { role: 'alert', class: 'error' });
  const showError = (err: unknown) => (alert.textContent = (err as Error).message);

  replace(
    main,
    h('h1', {}, 'Messages'),
    h(
      'form',
      { class: 'filters', 'aria-label': 'Filters', onsubmit: apply },
      field('From number', from, 'Exact, or a start followed by *'),
      field('To number', to, 'Exact, or a start followed by *'),
      field('Status', statusSel),
      field('Direction', direction),
      field('Type', type),
      field('Error code', errorCode),
      field('Tag', tag),
      field('Text contains', text),
      field('From date', fromDate),
      field('To date', toDate),
      h('button', { type: 'submit' }, 'Apply filters'),
    ),
    alert,
    exports,
    results,
    pager,
  );
  state.refresh = () => void load().catch(showError);
  await load();
}

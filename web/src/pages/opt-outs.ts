// Opt-outs: the account's part of the opt-out list — search by number, add and remove a block by
// hand, export the list as CSV and import one (the admin API's operations, scoped to the account).
import { api } from '../api.js';
import { actionRunner, field, h, replace, table, time } from '../dom.js';
import { currentAccount, state } from '../state.js';

interface Entry {
  recipient: string;
  scope: 'number' | 'application' | 'account';
  scopeKey: string;
  keyword?: string;
  source: string;
  createdAt: string;
}

const PAGE = 100;

export async function optOutsPage(main: HTMLElement): Promise<void> {
  document.title = 'Opt-outs · Pigeon console';
  const base = `/accounts/${encodeURIComponent(state.accountId)}/opt-outs`;
  const account = currentAccount();
  const applications = account?.applications ?? [];
  const appName = new Map(applications.map((a) => [a.id, a.name]));
  const describeScope = (scope: string, key: string) =>
    scope === 'number' ? `Number ${key}` : scope === 'application' ? `Application ${appName.get(key) ?? key}` : 'Whole account';

  // Search
  const search = h('input', { type: 'text', name: 'recipient', inputmode: 'tel', autocomplete: 'off' });
  // Add a block
  const number = h('input', { type: 'text', name: 'number', inputmode: 'tel', autocomplete: 'off', required: true });
  const scopes = (name: string) => {
    const el = h('select', { name });
    el.append(h('option', { value: `account|${state.accountId}` }, 'Whole account'));
    for (const a of applications) {
      el.append(h('option', { value: `application|${a.id}` }, `Application ${a.name}`));
      for (const n of a.numbers) el.append(h('option', { value: `number|${n}` }, `Number ${n}`));
    }
    return el;
  };
  const scope = scopes('scope');
  const importScope = scopes('importScope');
  // Import
  const file = h('input', { type: 'file', name: 'csv', accept: '.csv,text/csv' });

  const results = h('div', { id: 'results' });
  const pager = h('div', { class: 'pager' });
  const alert = h('p', { role: 'alert', class: 'error' });
  const done = h('p', { role: 'status' });
  const showError = (err: unknown) => (alert.textContent = (err as Error).message);
  let recipient = '';
  let offset = 0;

  const exportLink = h('a', { href: `/console/api${base}/export`, download: 'opt-outs.csv' }, 'Export CSV');
  const load = async () => {
    const params = new URLSearchParams({ limit: String(PAGE), offset: String(offset) });
    if (recipient) params.set('recipient', recipient);
    const list = await api<{ optOuts: Entry[]; nextOffset?: number }>('GET', `${base}?${params}`);
    exportLink.setAttribute('href', `/console/api${base}/export${recipient ? `?${new URLSearchParams({ recipient })}` : ''}`);
    replace(
      results,
      list.optOuts.length === 0
        ? h('p', {}, recipient ? `No opt-outs match ${recipient}.` : 'No opt-outs.')
        : table(
            'Blocked numbers, oldest first',
            ['Number', 'Scope', 'Keyword', 'Source', 'Since', 'Action'],
            list.optOuts.map((e) => [
              e.recipient,
              describeScope(e.scope, e.scopeKey),
              e.keyword ?? '',
              e.source,
              time(e.createdAt),
              h(
                'button',
                {
                  type: 'button',
                  'aria-label': `Remove ${e.recipient} from ${describeScope(e.scope, e.scopeKey)}`,
                  onclick: () => void remove(e),
                },
                'Remove',
              ),
            ]),
          ),
    );
    replace(
      pager,
      h('button', { type: 'button', disabled: offset === 0, onclick: () => ((offset = Math.max(0, offset - PAGE)), void load().catch(showError)) }, 'Previous'),
      h('button', { type: 'button', disabled: list.nextOffset === undefined, onclick: () => ((offset += PAGE), void load().catch(showError)) }, 'Next'),
    );
  };

  const act = actionRunner(alert, done, () => load());
  const remove = (e: Entry) =>
    act(async () => {
      await api('DELETE', `${base}/${e.scope}/${encodeURIComponent(e.scopeKey)}/${encodeURIComponent(e.recipient)}`);
      return `Removed ${e.recipient} from ${describeScope(e.scope, e.scopeKey)}.`;
    });
  const add = (event: Event) => {
    event.preventDefault();
    const [s = '', key = ''] = scope.value.split('|');
    void act(async () => {
      const value = number.value.trim();
      const result = await api<{ created: boolean }>('POST', base, { recipient: value, scope: s, scopeKey: key });
      number.value = '';
      return result.created ? `Blocked ${value} for ${describeScope(s, key)}.` : `${value} was already blocked for ${describeScope(s, key)}.`;
    });
  };
  const importCsv = (event: Event) => {
    event.preventDefault();
    const chosen = file.files?.[0];
    if (!chosen) {
      alert.textContent = 'Choose a CSV file to import.';
      return;
    }
    void act(async () => {
      const [s = '', key = ''] = importScope.value.split('|');
      const query = new URLSearchParams({ scope: s, scopeKey: key });
      const result = await api<{ rows: number; added: number; existing: number }>('POST', `${base}/import?${query}`, { csv: await chosen.text() });
      file.value = '';
      return `Imported ${result.rows} rows: ${result.added} added, ${result.existing} already blocked.`;
    });
  };
  const find = (event: Event) => {
    event.preventDefault();
    recipient = search.value.trim();
    offset = 0;
    alert.textContent = '';
    load().catch(showError);
  };

  replace(
    main,
    h('h1', {}, 'Opt-outs'),
    h('p', {}, 'Numbers that receive nothing from this account (or one of its applications or numbers): by a STOP keyword, by hand or by import. A send to them fails with error 4775.'),
    h('form', { class: 'filters', role: 'search', 'aria-label': 'Search opt-outs', onsubmit: find }, field('Search by number', search, 'A number or its start'), h('button', { type: 'submit' }, 'Search')),
    alert,
    done,
    results,
    pager,
    h('p', {}, exportLink),
    h('div', { class: 'columns' },
      h('form', { 'aria-label': 'Add a block', onsubmit: add }, h('h2', {}, 'Add a block'), field('Number to block', number, 'E.164, such as +15551234567'), field('Scope', scope), h('button', { type: 'submit' }, 'Add block')),
      h('form', { 'aria-label': 'Import CSV', onsubmit: importCsv }, h('h2', {}, 'Import CSV'), field('CSV file', file, 'A header line with at least a recipient column, as in the export'), field('Scope of rows without one', importScope), h('button', { type: 'submit' }, 'Import CSV')),
    ),
  );
  state.refresh = () => void load().catch(showError);
  await load();
}

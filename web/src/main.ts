// The console's shell: session, navigation, the account picker, routing by path, and the live
// event stream that makes the current page re-read its data.
import { api, setCsrf } from './api.js';
import { h, replace } from './dom.js';
import { composePage } from './pages/compose.js';
import { messagePage } from './pages/message.js';
import { messagesPage } from './pages/messages.js';
import { optOutsPage } from './pages/opt-outs.js';
import { phonePage, phonesPage } from './pages/phones.js';
import { signInPage } from './pages/signin.js';
import { simulatorPage } from './pages/simulator.js';
import { statusPage } from './pages/status.js';
import { tenantsPage } from './pages/tenants.js';
import { navigate, state, type SessionInfo } from './state.js';

const main = document.getElementById('main') as HTMLElement;
const top = document.getElementById('top') as HTMLElement;
let events: EventSource | undefined;

export function signedIn(session: SessionInfo): void {
  state.session = session;
  setCsrf(session.csrf);
  if (!session.accounts.some((a) => a.id === state.accountId)) state.accountId = session.accounts[0]?.id ?? '';
  events?.close();
  events = new EventSource('/console/api/events');
  events.addEventListener('change', () => state.refresh?.());
  if (location.pathname === '/console/signin') navigate('/console/messages');
  else void route();
}

async function signOut(): Promise<void> {
  await api('DELETE', '/session');
  events?.close();
  events = undefined;
  state.session = undefined;
  setCsrf('');
  navigate('/console/signin');
}

function header(): void {
  const session = state.session;
  if (!session) {
    replace(top, h('p', { class: 'brand' }, 'Pigeon'));
    return;
  }
  const links: Array<[string, string]> = [
    ['/console/messages', 'Messages'],
    ['/console/compose', 'Compose'],
    ['/console/phones', 'Phones'],
    ['/console/opt-outs', 'Opt-outs'],
    ...(session.simulator ? ([['/console/simulator', 'Simulator']] as Array<[string, string]>) : []),
    ['/console/status', 'Status'],
    ['/console/tenants', session.principal.kind === 'admin' ? 'Tenants' : 'Applications'],
  ];
  const picker = h('select', { id: 'account', name: 'account' });
  for (const a of session.accounts) picker.append(h('option', { value: a.id, selected: a.id === state.accountId }, a.id));
  picker.addEventListener('change', () => {
    state.accountId = picker.value;
    void route();
  });
  const who = session.principal.kind === 'admin' ? 'admin' : `${session.principal.username} (${session.principal.accountId})`;
  replace(
    top,
    h('p', { class: 'brand' }, 'Pigeon'),
    h(
      'nav',
      { 'aria-label': 'Main' },
      h(
        'ul',
        {},
        links.map(([href, text]) =>
          h('li', {}, h('a', { href, 'aria-current': location.pathname.startsWith(href) ? 'page' : null }, text)),
        ),
      ),
    ),
    h('div', { class: 'who' }, h('label', { for: 'account' }, 'Account'), picker, h('span', {}, `Signed in as ${who}`),
      h('button', { type: 'button', onclick: () => void signOut() }, 'Sign out')),
  );
}

async function route(): Promise<void> {
  state.refresh = undefined;
  if (!state.session) {
    header();
    signInPage(main, signedIn);
    return;
  }
  header();
  const path = location.pathname.replace(/\/+$/, '');
  const query = new URLSearchParams(location.search);
  let m: RegExpExecArray | null;
  try {
    if ((m = /^\/console\/messages\/(.+)$/.exec(path))) await messagePage(main, decodeURIComponent(m[1] ?? ''));
    else if (path === '/console/compose') await composePage(main, query);
    else if ((m = /^\/console\/phones\/(.+)$/.exec(path))) await phonePage(main, decodeURIComponent(m[1] ?? ''));
    else if (path === '/console/phones') await phonesPage(main);
    else if (path === '/console/opt-outs') await optOutsPage(main);
    else if (path === '/console/simulator') await simulatorPage(main);
    else if (path === '/console/status') await statusPage(main);
    else if (path === '/console/tenants') await tenantsPage(main);
    else await messagesPage(main);
  } catch (err) {
    replace(main, h('h1', {}, 'Something went wrong'), h('p', { role: 'alert' }, (err as Error).message));
  }
}

document.addEventListener('click', (event) => {
  const a = (event.target as Element).closest('a');
  if (!a || a.target || event.ctrlKey || event.metaKey || event.shiftKey) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith('/console/') || url.pathname.startsWith('/console/api/')) return;
  event.preventDefault();
  navigate(url.pathname + url.search);
});
window.addEventListener('popstate', () => {
  main.focus();
  void route();
});

void (async () => {
  try {
    const session = await api<SessionInfo | undefined>('GET', '/session');
    if (session) {
      signedIn(session);
      return;
    }
  } catch {
    // Not signed in.
  }
  if (location.pathname !== '/console/signin') history.replaceState(null, '', '/console/signin');
  void route();
})();

// Sign-in: the admin token (every account) or an API user of one account. The credentials go in a
// POST body once; the server answers with an HttpOnly cookie, so nothing is kept by the page.
import { api } from '../api.js';
import { field, h, replace } from '../dom.js';
import type { SessionInfo } from '../state.js';

export function signInPage(main: HTMLElement, done: (session: SessionInfo) => void): void {
  document.title = 'Sign in · Pigeon console';
  const alert = h('p', { role: 'alert', class: 'error' });
  const submit = (read: () => Record<string, string>) => async (event: Event) => {
    event.preventDefault();
    alert.textContent = '';
    try {
      const session = await api<SessionInfo>('POST', '/session', read());
      (event.target as HTMLFormElement).reset();
      done(session);
    } catch (err) {
      alert.textContent = `Sign-in refused: ${(err as Error).message}`;
    }
  };
  const token = h('input', { type: 'password', name: 'token', autocomplete: 'current-password', required: true });
  const accountId = h('input', { type: 'text', name: 'accountId', autocomplete: 'off', required: true });
  const username = h('input', { type: 'text', name: 'username', autocomplete: 'username', required: true });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  replace(
    main,
    h('h1', {}, 'Sign in'),
    alert,
    h(
      'div',
      { class: 'columns' },
      h(
        'form',
        { 'aria-labelledby': 'api-user-heading', onsubmit: submit(() => ({ accountId: accountId.value, username: username.value, password: password.value })) },
        h('h2', { id: 'api-user-heading' }, 'API user'),
        h('p', {}, 'Sees its own account only.'),
        field('Account ID', accountId),
        field('Username', username),
        field('Password', password),
        h('button', { type: 'submit' }, 'Sign in as API user'),
      ),
      h(
        'form',
        { 'aria-labelledby': 'admin-heading', onsubmit: submit(() => ({ token: token.value })) },
        h('h2', { id: 'admin-heading' }, 'Administrator'),
        h('p', {}, 'Sees every account.'),
        field('Admin token', token),
        h('button', { type: 'submit' }, 'Sign in as administrator'),
      ),
    ),
  );
}

// Tenants: the live directory through the console's /directory routes. The administrator manages
// accounts, users' passwords, applications, numbers (add, move, release), SMPP users and reads the
// audit trail; an account's user sees its own applications and numbers and changes its applications'
// callback URL and credentials — the server scopes every call, the page only leaves out what it refuses.
import { api } from '../api.js';
import { actionButton, actionRunner, field, h, replace, select, table, time, type Child } from '../dom.js';
import { state } from '../state.js';

interface App {
  id: string;
  accountId: string;
  name: string;
  callbackUrl?: string;
  callbackUsername?: string;
  inboundCallbackUrl?: string;
  smartEncoding?: boolean;
  optOut?: unknown;
}
interface Num { number: string; accountId: string; applicationId: string }
interface Smpp { systemId: string; accountId: string; applicationId: string; maxBinds: number; enabled: boolean }
interface Audit { id: number; time: string; actor: string; action: string; kind: string; key: string; before?: unknown; after?: unknown }
interface Page<T> { items: T[]; next?: string }

const D = '/directory';
const input = (name: string, attrs: Record<string, string | boolean> = {}) => h('input', { type: 'text', name, autocomplete: 'off', ...attrs });
const json = (v: unknown) => (v === undefined || v === null ? '' : JSON.stringify(v));

export async function tenantsPage(main: HTMLElement): Promise<void> {
  const admin = state.session?.principal.kind === 'admin';
  document.title = `${admin ? 'Tenants' : 'Applications'} · Pigeon console`;
  const alert = h('p', { role: 'alert', class: 'error' });
  const done = h('p', { role: 'status' });
  const lists = h('div', { id: 'directory' });
  const forms = h('div', { class: 'columns' });
  const prefix = input('prefix', { inputmode: 'tel' });
  let apps: App[] = [];
  let fillCallback = () => {};
  let fillSettings = () => {};
  let filled = false;

  const act = actionRunner(alert, done, () => load());
  const submit = (form: HTMLFormElement, what: () => Promise<string>) =>
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void act(what);
    });
  // Forms are built once (a live refresh must not wipe what is being typed); their application
  // choices follow each load.
  const appSelects: HTMLSelectElement[] = [];
  const appSelect = (name: string) => {
    const el = select(name, []);
    appSelects.push(el);
    return el;
  };
  const fillSelects = () => {
    for (const el of appSelects) {
      const value = el.value;
      replace(el, apps.map((a) => h('option', { value: a.id, selected: a.id === value }, `${a.name} (${a.accountId})`)));
    }
  };
  const appName = (id: string) => apps.find((a) => a.id === id)?.name ?? id;

  const load = async () => {
    const query = new URLSearchParams({ limit: '500' });
    apps = (await api<Page<App>>('GET', `${D}/applications?${query}`)).items;
    if (prefix.value.trim()) query.set('prefix', prefix.value.trim());
    const numbers = (await api<Page<Num>>('GET', `${D}/numbers?${query}`)).items;
    const sections: Child[] = [];
    if (admin) {
      const accounts = (await api<Page<{ id: string; name?: string; source: string }>>('GET', `${D}/accounts?limit=500`)).items;
      sections.push(h('h2', {}, 'Accounts'), table('Accounts', ['Id', 'Name', 'Source'], accounts.map((a) => [a.id, a.name ?? '', a.source])));
    }
    sections.push(
      h('h2', {}, 'Applications'),
      table('Applications', ['Name', 'Id', 'Account', 'Callback URL', 'Callback user', ...(admin ? ['Action'] : [])], apps.map((a) => [
        a.name, a.id, a.accountId, a.callbackUrl ?? '', a.callbackUsername ?? '',
        admin && actionButton(`Delete application ${a.name}`, 'Delete', () => void act(async () => (await api('DELETE', `${D}/applications/${encodeURIComponent(a.id)}`), `Deleted ${a.name}.`))),
      ])),
      h('h2', {}, 'Numbers'),
      table('Numbers', ['Number', 'Application', 'Account', ...(admin ? ['Action'] : [])], numbers.map((n) => [
        n.number, appName(n.applicationId), n.accountId,
        admin && actionButton(`Release ${n.number}`, 'Release', () => void act(async () => (await api('DELETE', `${D}/numbers/${encodeURIComponent(n.number)}`), `Released ${n.number}.`))),
      ])),
    );
    if (admin) {
      const smpp = (await api<Page<Smpp>>('GET', `${D}/smpp-users?limit=500`)).items;
      sections.push(h('h2', {}, 'SMPP users'), table('SMPP users', ['System id', 'Application', 'Account', 'Max binds', 'Enabled', 'Action'], smpp.map((s) => [
        s.systemId, appName(s.applicationId), s.accountId, s.maxBinds, s.enabled ? 'yes' : 'no',
        actionButton(`Remove SMPP user ${s.systemId}`, 'Remove', () => void act(async () => (await api('DELETE', `${D}/smpp-users/${encodeURIComponent(s.systemId)}`), `Removed ${s.systemId}.`))),
      ])));
    }
    const audit = (await api<{ items: Audit[] }>('GET', `${D}/audit?limit=50`)).items;
    sections.push(h('h2', {}, 'Audit trail'), table('Latest changes, newest first', ['When', 'Who', 'What', 'Entry', 'Before', 'After'], audit.map((e) => [
      time(e.time), e.actor, e.action, `${e.kind} ${e.key}`, h('code', {}, json(e.before)), h('code', {}, json(e.after)),
    ])));
    replace(lists, sections);
    fillSelects();
    if (!filled) {
      fillCallback();
      fillSettings();
    }
    filled = true;
  };

  const callbackForm = () => {
    const app = appSelect('application');
    const url = input('callbackUrl', { type: 'url' });
    const user = input('callbackUsername');
    const password = h('input', { type: 'password', name: 'callbackPassword', autocomplete: 'new-password' });
    const fill = () => {
      const a = apps.find((x) => x.id === app.value);
      url.value = a?.callbackUrl ?? '';
      user.value = a?.callbackUsername ?? '';
    };
    app.addEventListener('change', fill);
    fillCallback = fill;
    const form = h('form', { 'aria-label': 'Callback' }, h('h2', {}, 'Callback URL and credentials'), field('Application', app), field('Callback URL', url),
      field('Callback username', user, 'Empty clears it'), field('Callback password', password, 'Empty keeps it'), h('button', { type: 'submit' }, 'Save callback'));
    submit(form, async () => {
      await api('PATCH', `${D}/applications/${encodeURIComponent(app.value)}`, {
        callbackUrl: url.value.trim() || null,
        callbackUsername: user.value || null,
        ...(password.value && { callbackPassword: password.value }),
      });
      return `Saved the callback of ${appName(app.value)}.`;
    });
    return form;
  };

  const adminForms = (): HTMLElement[] => {
    const accountId = input('id');
    const accountName = input('name');
    const addAccount = h('form', { 'aria-label': 'Add an account' }, h('h2', {}, 'Add an account'), field('Account id', accountId, 'Empty: a new id is chosen'), field('Account name', accountName), h('button', { type: 'submit' }, 'Add account'));
    submit(addAccount, async () => {
      const made = await api<{ id: string }>('POST', `${D}/accounts`, { ...(accountId.value.trim() && { id: accountId.value.trim() }), ...(accountName.value.trim() && { name: accountName.value.trim() }) });
      return `Added account ${made.id}.`;
    });

    const appAccount = input('accountId');
    const appName_ = input('name');
    const appUrl = input('callbackUrl', { type: 'url' });
    const addApp = h('form', { 'aria-label': 'Add an application' }, h('h2', {}, 'Add an application'), field('Account id', appAccount), field('Application name', appName_), field('Callback URL', appUrl), h('button', { type: 'submit' }, 'Add application'));
    submit(addApp, async () => {
      const made = await api<App>('POST', `${D}/applications`, { accountId: appAccount.value.trim(), name: appName_.value.trim(), ...(appUrl.value.trim() && { callbackUrl: appUrl.value.trim() }) });
      return `Added application ${made.name} (${made.id}).`;
    });

    const number = input('number', { inputmode: 'tel' });
    const numberApp = appSelect('applicationId');
    const addNumber = h('form', { 'aria-label': 'Add or move a number' }, h('h2', {}, 'Add or move a number'), field('Number', number, 'E.164, such as +15551234567'), field('Application', numberApp),
      h('button', { type: 'submit' }, 'Add number'), ' ', h('button', { type: 'button', onclick: () => void act(async () => (await api('PATCH', `${D}/numbers/${encodeURIComponent(number.value.trim())}`, { applicationId: numberApp.value }), `Moved ${number.value.trim()} to ${appName(numberApp.value)}.`)) }, 'Move number'));
    submit(addNumber, async () => (await api('POST', `${D}/numbers`, { number: number.value.trim(), applicationId: numberApp.value }), `Added ${number.value.trim()} to ${appName(numberApp.value)}.`));

    const userAccount = input('accountId');
    const username = input('username');
    const password = h('input', { type: 'password', name: 'password', autocomplete: 'new-password' });
    const setPassword = h('form', { 'aria-label': 'Set a password' }, h('h2', {}, 'Set a user’s password'), field('Account id', userAccount), field('Username', username), field('New password', password), h('button', { type: 'submit' }, 'Set password'));
    submit(setPassword, async () => {
      await api('PATCH', `${D}/accounts/${encodeURIComponent(userAccount.value.trim())}/users/${encodeURIComponent(username.value.trim())}`, { password: password.value });
      password.value = '';
      return `Set the password of ${username.value.trim()}.`;
    });

    const systemId = input('systemId');
    const smppApp = appSelect('smppApplicationId');
    const smppPassword = h('input', { type: 'password', name: 'smppPassword', maxlength: 8, autocomplete: 'new-password' });
    const addSmpp = h('form', { 'aria-label': 'Add an SMPP user' }, h('h2', {}, 'Add an SMPP user'), field('System id', systemId), field('Application', smppApp), field('SMPP password', smppPassword, 'At most 8 characters'), h('button', { type: 'submit' }, 'Add SMPP user'));
    submit(addSmpp, async () => (await api('POST', `${D}/smpp-users`, { systemId: systemId.value.trim(), applicationId: smppApp.value, password: smppPassword.value }), `Added SMPP user ${systemId.value.trim()}.`));
    return [addAccount, addApp, settingsForm(), addNumber, setPassword, addSmpp];
  };

  // An application's settings beyond its callback, for the administrator: where inbound messages'
  // callbacks go, smart encoding, and its own opt-out settings (README: "Per application, live"),
  // as JSON because they nest; the server checks them and names the field it refuses.
  const settingsForm = () => {
    const app = appSelect('settingsApplication');
    const inbound = input('inboundCallbackUrl', { type: 'url' });
    const smart = h('input', { type: 'checkbox', name: 'smartEncoding' });
    const optOut = h('textarea', { name: 'optOut', rows: 6, spellcheck: 'false' });
    const fill = () => {
      const a = apps.find((x) => x.id === app.value);
      inbound.value = a?.inboundCallbackUrl ?? '';
      smart.checked = a?.smartEncoding ?? false;
      optOut.value = a?.optOut === undefined || a.optOut === null ? '' : JSON.stringify(a.optOut, null, 2);
    };
    app.addEventListener('change', fill);
    fillSettings = fill;
    const form = h('form', { 'aria-label': 'Application settings' }, h('h2', {}, 'Application settings'), field('Application', app),
      field('Inbound callback URL', inbound, 'Empty: inbound callbacks go to the callback URL'), field('Smart encoding', smart),
      field('Opt-out settings', optOut, 'JSON, e.g. {"keywords":{"optOut":["BAJA"]}}; empty: the config file’s'), h('button', { type: 'submit' }, 'Save settings'));
    submit(form, async () => {
      let parsed: unknown = null;
      if (optOut.value.trim()) {
        try {
          parsed = JSON.parse(optOut.value) as unknown;
        } catch {
          throw new Error('Opt-out settings: not valid JSON');
        }
      }
      await api('PATCH', `${D}/applications/${encodeURIComponent(app.value)}`, {
        inboundCallbackUrl: inbound.value.trim() || null,
        smartEncoding: smart.checked,
        optOut: parsed,
      });
      return `Saved the settings of ${appName(app.value)}.`;
    });
    return form;
  };

  const search = h('form', { class: 'filters', role: 'search', 'aria-label': 'Search numbers' }, field('Numbers starting with', prefix), h('button', { type: 'submit' }, 'Search'));
  submit(search, async () => '');
  replace(forms, admin ? adminForms() : [], callbackForm());
  replace(
    main,
    h('h1', {}, admin ? 'Tenants' : 'Applications'),
    h('p', {}, admin ? 'Accounts, users, applications, numbers and SMPP users, changed live: the next request in every process sees a change.' : 'Your account’s applications and numbers. You can change an application’s callback URL and credentials.'),
    alert,
    done,
    search,
    lists,
    forms,
  );
  state.refresh = () => void load().catch((err: unknown) => (alert.textContent = (err as Error).message));
  await load();
}

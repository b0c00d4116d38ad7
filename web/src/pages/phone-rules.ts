// Scripted phones on the Phones page (administrator): the rules, added, edited and removed, and
// each conversation's step, reset one by one or all at once — through /console/api/phones, which
// are the admin API's own routes (README: Testing two-way flows). The server validates; its
// field errors are shown at the fields they name.
import { api, ApiFailure } from '../api.js';
import { actionButton, actionRunner, field, h, replace, select, table, time } from '../dom.js';

interface Rule {
  id: string;
  name?: string;
  priority: number;
  phone: string;
  from?: string;
  text?: { exact: string } | { contains: string } | { regex: string } | { keywords: string[] };
  step?: number;
  nextStep?: number;
  maxMatches?: number;
  answer: { text?: string; media?: string[]; delayMs: number; to: 'sender' | 'group' };
  matches: number;
}
interface Conversation { phone: string; applicationNumber: string; step: number; updatedAt: string }

const TEXT_KINDS: Array<[string, string]> = [
  ['', 'Any text'],
  ['exact', 'Is exactly'],
  ['contains', 'Contains (ignoring case)'],
  ['regex', 'Matches a regular expression'],
  ['keywords', 'Is one of the keywords'],
];

const describeText = (t: Rule['text']): string => {
  if (!t) return 'any';
  if ('exact' in t) return `is “${t.exact}”`;
  if ('contains' in t) return `contains “${t.contains}”`;
  if ('regex' in t) return `matches ${t.regex}`;
  return `one of ${t.keywords.join(', ')}`;
};

const describeAnswer = (a: Rule['answer']): string =>
  [a.text ?? '', a.media ? `${a.media.length} media` : '', a.delayMs ? `after ${a.delayMs} ms` : '', a.to === 'group' ? 'to the group' : '']
    .filter(Boolean)
    .join(' · ');

export function scriptedPhones(): { element: HTMLElement; load: () => Promise<void> } {
  const alert = h('p', { role: 'alert', class: 'error' });
  const done = h('p', { role: 'status' });
  const lists = h('div', {});
  const input = (name: string, type = 'text') => h('input', { type, name, autocomplete: 'off' });
  const f = {
    id: input('id'),
    name: input('name'),
    priority: input('priority', 'number'),
    phone: input('phone'),
    from: input('from'),
    textKind: select('textKind', TEXT_KINDS),
    text: input('text'),
    step: input('step', 'number'),
    nextStep: input('nextStep', 'number'),
    maxMatches: input('maxMatches', 'number'),
    answerText: h('textarea', { name: 'answerText', rows: 2 }),
    answerMedia: h('textarea', { name: 'answerMedia', rows: 2 }),
    delayMs: input('delayMs', 'number'),
    answerTo: select('answerTo', [['sender', 'The sender'], ['group', 'The sender and the rest of the group']]),
  };
  type Key = keyof typeof f;
  const errors = new Map<Key, HTMLElement>();
  const at = (key: Key, label: string, hint?: string) => {
    const wrap = field(label, f[key], hint);
    const error = h('p', { class: 'error', id: `${f[key].id}-error` });
    errors.set(key, error);
    wrap.append(error);
    return wrap;
  };
  // Which field a server's fieldName (phone-rule.ts's paths) belongs to.
  const FIELD_OF: Array<[RegExp, Key]> = [
    [/^id$/, 'id'], [/^name$/, 'name'], [/^priority$/, 'priority'], [/^phone$/, 'phone'], [/^from$/, 'from'], [/^text(\.|$)/, 'text'],
    [/^step$/, 'step'], [/^nextStep$/, 'nextStep'], [/^maxMatches$/, 'maxMatches'], [/^answer(\.text)?$/, 'answerText'],
    [/^answer\.media/, 'answerMedia'], [/^answer\.delayMs$/, 'delayMs'], [/^answer\.to$/, 'answerTo'],
  ];
  const clearErrors = () => {
    alert.textContent = '';
    done.textContent = '';
    for (const [key, el] of errors) {
      el.textContent = '';
      f[key].removeAttribute('aria-invalid');
      const hint = f[key].getAttribute('aria-describedby')?.replace(el.id, '').trim();
      if (hint) f[key].setAttribute('aria-describedby', hint);
      else f[key].removeAttribute('aria-describedby');
    }
  };
  const showErrors = (err: unknown) => {
    const body = err instanceof ApiFailure ? (err.body as { fieldErrors?: Array<{ fieldName: string; description: string }> } | undefined) : undefined;
    const rest: string[] = [];
    for (const e of body?.fieldErrors ?? []) {
      const key = FIELD_OF.find(([re]) => re.test(e.fieldName))?.[1];
      const el = key && errors.get(key);
      if (!key || !el) {
        rest.push(`${e.fieldName}: ${e.description}`);
        continue;
      }
      el.textContent = el.textContent ? `${el.textContent}; ${e.description}` : e.description;
      f[key].setAttribute('aria-invalid', 'true');
      f[key].setAttribute('aria-describedby', [f[key].getAttribute('aria-describedby'), el.id].filter(Boolean).join(' '));
    }
    alert.textContent = body?.fieldErrors?.length ? `The rule was not saved. ${rest.join('; ')}`.trim() : (err as Error).message;
  };

  let editing: string | undefined;
  const heading = h('h3', { id: 'rule-form-heading' }, 'Add a rule');
  const submitButton = h('button', { type: 'submit' }, 'Add rule');
  const cancel = h('button', { type: 'button', hidden: true, onclick: () => toAdd() }, 'Cancel editing');
  const form = h(
    'form',
    { 'aria-labelledby': 'rule-form-heading' },
    heading,
    h('div', { class: 'columns' },
      h('div', {},
        at('id', 'Rule id', 'Empty: one is made up'),
        at('name', 'Name (optional)'),
        at('priority', 'Priority', 'Lower fires first; empty: 100'),
        at('phone', 'Phone', 'An E.164 number, a prefix ending in * (+1919*), or * or empty for any phone'),
        at('from', 'Sending number (optional)', 'The application number the message came from; empty: any'),
        at('textKind', 'Text'),
        at('text', 'Text to match', 'Keywords: separated by commas; a regular expression: pattern or /pattern/flags'),
      ),
      h('div', {},
        at('step', 'At step (optional)', 'Answers only while the conversation is at this step'),
        at('nextStep', 'Then go to step (optional)', 'Needs “At step”'),
        at('maxMatches', 'Only the first N matches (optional)'),
        at('answerText', 'Answer text'),
        at('answerMedia', 'Answer media URLs', 'One http(s) URL a line'),
        at('delayMs', 'Delay (ms)', 'Empty: at once'),
        at('answerTo', 'Answer to'),
      ),
    ),
    submitButton,
    cancel,
  );

  const toAdd = () => {
    editing = undefined;
    form.reset();
    clearErrors();
    f.id.disabled = false;
    heading.textContent = 'Add a rule';
    submitButton.textContent = 'Add rule';
    cancel.hidden = true;
  };
  const edit = (rule: Rule) => {
    toAdd();
    editing = rule.id;
    const kind = rule.text ? (Object.keys(rule.text)[0] ?? '') : '';
    const textValue = rule.text ? (Object.values(rule.text)[0] as string | string[]) : '';
    const values: Record<Key, string> = {
      id: rule.id,
      name: rule.name ?? '',
      priority: String(rule.priority),
      phone: rule.phone,
      from: rule.from ?? '',
      textKind: kind,
      text: Array.isArray(textValue) ? textValue.join(', ') : textValue,
      step: rule.step === undefined ? '' : String(rule.step),
      nextStep: rule.nextStep === undefined ? '' : String(rule.nextStep),
      maxMatches: rule.maxMatches === undefined ? '' : String(rule.maxMatches),
      answerText: rule.answer.text ?? '',
      answerMedia: (rule.answer.media ?? []).join('\n'),
      delayMs: rule.answer.delayMs ? String(rule.answer.delayMs) : '',
      answerTo: rule.answer.to,
    };
    for (const key of Object.keys(f) as Key[]) f[key].value = values[key];
    f.id.disabled = true;
    heading.textContent = `Edit rule ${rule.id}`;
    submitButton.textContent = 'Save rule';
    cancel.hidden = false;
    f.phone.focus();
  };

  /** The rule as the form holds it: an empty field is absent (added) or null (removed, when editing). */
  const body = (): Record<string, unknown> => {
    const none = editing === undefined ? undefined : null;
    const text = (el: HTMLInputElement | HTMLTextAreaElement) => el.value.trim() || none;
    const num = (el: HTMLInputElement) => (el.value.trim() === '' ? none : Number(el.value));
    const kind = f.textKind.value;
    const media = f.answerMedia.value.split('\n').map((l) => l.trim()).filter(Boolean);
    const rule: Record<string, unknown> = {
      name: text(f.name),
      priority: num(f.priority),
      phone: text(f.phone),
      from: text(f.from),
      text: kind === '' ? none : { [kind]: kind === 'keywords' ? f.text.value.split(',').map((k) => k.trim()).filter(Boolean) : f.text.value },
      step: num(f.step),
      nextStep: num(f.nextStep),
      maxMatches: num(f.maxMatches),
      answer: { text: f.answerText.value || none, media: media.length > 0 ? media : none, delayMs: num(f.delayMs), to: f.answerTo.value },
    };
    if (editing === undefined && f.id.value.trim()) rule.id = f.id.value.trim();
    return JSON.parse(JSON.stringify(rule)) as Record<string, unknown>;
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors();
    void (async () => {
      try {
        const saved = editing === undefined
          ? await api<Rule>('POST', '/phones/rules', body())
          : await api<Rule>('PATCH', `/phones/rules/${encodeURIComponent(editing)}`, body());
        const verb = editing === undefined ? 'Added' : 'Saved';
        toAdd();
        done.textContent = `${verb} rule ${saved.id}.`;
        await load();
      } catch (err) {
        showErrors(err);
      }
    })();
  });

  const act = actionRunner(alert, done, () => load(), clearErrors);
  const resetPath = (c?: Conversation) => `/phones/conversations${c ? `?${new URLSearchParams({ phone: c.phone, applicationNumber: c.applicationNumber })}` : ''}`;

  const load = async () => {
    const [{ rules }, { conversations }] = await Promise.all([
      api<{ rules: Rule[] }>('GET', '/phones/rules'),
      api<{ conversations: Conversation[] }>('GET', '/phones/conversations'),
    ]);
    replace(
      lists,
      rules.length === 0
        ? h('p', {}, 'No rules yet.')
        : table('Rules, in firing order', ['Rule', 'Priority', 'Phone', 'From', 'Text', 'Step', 'Answer', 'Matches', 'Actions'], rules.map((r) => [
          r.name ? `${r.id} (${r.name})` : r.id,
          r.priority,
          r.phone,
          r.from ?? 'any',
          describeText(r.text),
          r.step === undefined ? 'any' : `${r.step} → ${r.nextStep ?? r.step + 1}`,
          describeAnswer(r.answer),
          r.maxMatches === undefined ? r.matches : `${r.matches} of ${r.maxMatches}`,
          h('div', { class: 'actions' },
            actionButton(`Edit rule ${r.id}`, 'Edit', () => edit(r)),
            actionButton(`Delete rule ${r.id}`, 'Delete', () => void act(async () => {
              await api('DELETE', `/phones/rules/${encodeURIComponent(r.id)}`);
              if (editing === r.id) toAdd();
              return `Deleted rule ${r.id}.`;
            }))),
        ])),
      h('h3', {}, 'Conversations'),
      conversations.length === 0
        ? h('p', {}, 'Every conversation is at step 0.')
        : [
          table('Each conversation’s step', ['Phone', 'Application number', 'Step', 'Moved', 'Action'], conversations.map((c) => [
            c.phone, c.applicationNumber, c.step, time(c.updatedAt),
            actionButton(`Reset ${c.phone} with ${c.applicationNumber}`, 'Reset', () => void act(async () => (await api('DELETE', resetPath(c)), `Reset ${c.phone} with ${c.applicationNumber} to step 0.`))),
          ])),
          actionButton('Reset every conversation', 'Reset all', () => void act(async () => `Reset ${(await api<{ reset: number }>('DELETE', resetPath())).reset} conversations to step 0.`)),
        ],
    );
  };

  const element = h(
    'section',
    { 'aria-labelledby': 'scripted-heading' },
    h('h2', { id: 'scripted-heading' }, 'Scripted phones'),
    h('p', {}, 'Rules that answer what applications send to phones, in firing order: the first that matches a message answers it. A rule with a step answers only while the conversation between the phone and the sending number is at that step, then moves it on. Also in the admin API, pigeon phones and the config file.'),
    alert,
    done,
    lists,
    form,
  );
  return { element, load };
}

// The simulated carrier: its rules (first match wins, so order matters), its defaults, and the test
// numbers, each one click from a message to it. Every change replaces the whole rule list at once.
import { api } from '../api.js';
import { field, h, replace, select, table } from '../dom.js';
import { state } from '../state.js';

type Rule = Record<string, unknown> & { id: string; to: string; outcome: string };
interface Sim {
  rules: Rule[];
  defaults: { latencyMs: number; failureProbability: number; failureErrorCode: number; seed: number };
  testNumbers: Array<{ number: string; description: string }>;
}

const OUTCOMES: Array<[string, string]> = [
  ['deliver', 'Deliver'],
  ['fail', 'Fail (receipt with error)'],
  ['reject', 'Reject at submit'],
  ['transient', 'Transient failures, then deliver'],
  ['no-receipt', 'No receipt'],
];

export async function simulatorPage(main: HTMLElement): Promise<void> {
  document.title = 'Simulator · Pigeon console';
  const alert = h('p', { role: 'alert', class: 'error' });
  const sim = await api<Sim>('GET', '/simulator');
  let editing: number | undefined;

  const input = (name: string, type = 'text') => h('input', { type, name, autocomplete: 'off' });
  const f = {
    id: input('id'),
    to: input('to'),
    from: input('from'),
    text: input('text'),
    outcome: select('outcome', OUTCOMES),
    errorCode: input('errorCode', 'number'),
    delayMs: input('delayMs', 'number'),
    failures: input('failures'),
    description: input('description'),
  };
  const ruleForm = h(
    'form',
    { 'aria-labelledby': 'rule-heading', onsubmit: (e: Event) => void saveRule(e) },
    h('h2', { id: 'rule-heading' }, 'Add a rule'),
    field('Rule ID', f.id),
    field('To', f.to, 'An exact number, a prefix ending in *, or * for every number.'),
    field('From (optional)', f.from),
    field('Text pattern (optional)', f.text, 'A regular expression searched in the text.'),
    field('Outcome', f.outcome),
    field('Error code', f.errorCode, 'For fail, reject and transient.'),
    field('Delay (ms)', f.delayMs),
    field('Failures', f.failures, 'For transient: a number, or always.'),
    field('Description', f.description),
    h('button', { type: 'submit' }, 'Save rule'),
    h('button', { type: 'button', onclick: () => resetForm() }, 'Clear form'),
  );
  const resetForm = () => {
    editing = undefined;
    ruleForm.reset();
    (ruleForm.querySelector('h2') as HTMLElement).textContent = 'Add a rule';
  };

  const putRules = async (rules: Rule[]) => {
    alert.textContent = '';
    try {
      sim.rules = await api<Rule[]>('PUT', '/simulator/rules', rules);
      render();
      return true;
    } catch (err) {
      alert.textContent = (err as Error).message;
      return false;
    }
  };

  async function saveRule(event: Event) {
    event.preventDefault();
    const rule: Rule = { id: f.id.value.trim(), to: f.to.value.trim(), outcome: f.outcome.value };
    if (f.from.value) rule.from = f.from.value.trim();
    if (f.text.value) rule.text = f.text.value;
    if (f.description.value) rule.description = f.description.value;
    if (f.errorCode.value && rule.outcome !== 'deliver' && rule.outcome !== 'no-receipt') rule.errorCode = Number(f.errorCode.value);
    if (f.delayMs.value && rule.outcome !== 'reject' && rule.outcome !== 'no-receipt') rule.delayMs = Number(f.delayMs.value);
    if (rule.outcome === 'transient') rule.failures = f.failures.value === 'always' ? 'always' : Number(f.failures.value || 1);
    const rules = [...sim.rules];
    if (editing === undefined) rules.push(rule);
    else rules[editing] = rule;
    if (await putRules(rules)) resetForm();
  }

  const edit = (index: number) => {
    const r = sim.rules[index];
    if (!r) return;
    editing = index;
    for (const [key, el] of Object.entries(f)) el.value = r[key] === undefined ? '' : String(r[key]);
    (ruleForm.querySelector('h2') as HTMLElement).textContent = `Edit rule ${r.id}`;
    f.id.focus();
  };
  const move = (index: number, by: number) => {
    const rules = [...sim.rules];
    const [rule] = rules.splice(index, 1);
    if (!rule) return;
    rules.splice(index + by, 0, rule);
    void putRules(rules);
  };

  const defaults = {
    latencyMs: input('latencyMs', 'number'),
    failureProbability: input('failureProbability', 'number'),
    failureErrorCode: input('failureErrorCode', 'number'),
    seed: input('seed', 'number'),
  };
  defaults.failureProbability.step = 'any';
  const rulesSection = h('section', { 'aria-labelledby': 'rules-heading' });
  const numbersSection = h('section', { 'aria-labelledby': 'numbers-heading' });

  const render = () => {
    replace(
      rulesSection,
      h('h2', { id: 'rules-heading' }, 'Rules'),
      h('p', {}, 'The first rule that matches a recipient decides its outcome; test numbers and defaults apply when none does.'),
      sim.rules.length === 0
        ? h('p', {}, 'No rules.')
        : table(
            'Rules in the order they are tried',
            ['Order', 'ID', 'To', 'From', 'Text', 'Outcome', 'Actions'],
            sim.rules.map((r, i) => [
              i + 1,
              r.id,
              r.to,
              String(r.from ?? ''),
              String(r.text ?? ''),
              `${r.outcome}${r.errorCode ? ` ${String(r.errorCode)}` : ''}`,
              h(
                'div',
                { class: 'actions' },
                h('button', { type: 'button', onclick: () => edit(i) }, `Edit ${r.id}`),
                h('button', { type: 'button', disabled: i === 0, onclick: () => move(i, -1) }, `Move ${r.id} up`),
                h('button', { type: 'button', disabled: i === sim.rules.length - 1, onclick: () => move(i, 1) }, `Move ${r.id} down`),
                h('button', { type: 'button', onclick: () => void putRules(sim.rules.filter((_, j) => j !== i)) }, `Remove ${r.id}`),
              ),
            ]),
          ),
    );
    for (const [key, el] of Object.entries(defaults)) el.value = String(sim.defaults[key as keyof Sim['defaults']]);
    replace(
      numbersSection,
      h('h2', { id: 'numbers-heading' }, 'Test numbers'),
      table(
        'Numbers with a fixed outcome',
        ['Number', 'Outcome', 'Try it'],
        sim.testNumbers.map((t) => [t.number, t.description, h('a', { href: `/console/compose?to=${encodeURIComponent(t.number)}` }, `Send a message to ${t.number}`)]),
      ),
    );
  };

  const saveDefaults = async (event: Event) => {
    event.preventDefault();
    alert.textContent = '';
    try {
      sim.defaults = await api<Sim['defaults']>('PATCH', '/simulator/defaults', {
        latencyMs: Number(defaults.latencyMs.value),
        failureProbability: Number(defaults.failureProbability.value),
        failureErrorCode: Number(defaults.failureErrorCode.value),
        seed: Number(defaults.seed.value),
      });
      render();
    } catch (err) {
      alert.textContent = (err as Error).message;
    }
  };

  replace(
    main,
    h('h1', {}, 'Simulator'),
    alert,
    rulesSection,
    ruleForm,
    h(
      'form',
      { 'aria-labelledby': 'defaults-heading', onsubmit: (e: Event) => void saveDefaults(e) },
      h('h2', { id: 'defaults-heading' }, 'Defaults'),
      field('Latency (ms)', defaults.latencyMs),
      field('Failure probability (0 to 1)', defaults.failureProbability),
      field('Failure error code', defaults.failureErrorCode),
      field('Seed', defaults.seed),
      h('button', { type: 'submit' }, 'Save defaults'),
    ),
    numbersSection,
  );
  render();
  state.refresh = undefined;
}

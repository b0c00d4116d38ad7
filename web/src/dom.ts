// A few lines instead of a framework: elements from tag, attributes and children; text is always
// set as text (never parsed as HTML), so message content cannot inject markup.
export type Child = Node | string | number | null | undefined | false | Child[];
type Attrs = Record<string, string | number | boolean | null | undefined | ((event: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, ''), value);
    else if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

let ids = 0;
/** A labelled form field: the label names the control for assistive technology. */
export function field(label: string, control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, hint?: string): HTMLElement {
  control.id ||= `f${++ids}`;
  const hintEl = hint ? h('small', { id: `${control.id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), control, hintEl);
}

export function select(name: string, options: Array<[string, string]>, value = ''): HTMLSelectElement {
  const el = h('select', { name });
  for (const [v, text] of options) el.append(h('option', { value: v, selected: v === value }, text));
  return el;
}

export function time(iso: string): HTMLTimeElement {
  const d = new Date(iso);
  return h('time', { datetime: iso }, Number.isNaN(d.getTime()) ? iso : d.toLocaleString());
}

export function table(caption: string, head: string[], rows: Child[][]): HTMLTableElement {
  return h(
    'table',
    {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, head.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c) => h('td', {}, c))))),
  );
}

export function status(text: string): HTMLElement {
  return h('span', { class: `status status-${text.toLowerCase()}` }, text);
}

/** A button whose label says what it acts on (several "Delete" buttons in one table). */
export function actionButton(label: string, text: string, onclick: () => void): HTMLButtonElement {
  return h('button', { type: 'button', 'aria-label': label, onclick }, text);
}

/**
 * A page's action runner: `clear` empties the last outcome, then the action's own sentence goes to
 * `done` and the page reloads, or its error goes to `alert`.
 */
export function actionRunner(alert: HTMLElement, done: HTMLElement, reload: () => Promise<void>, clear?: () => void) {
  return async (what: () => Promise<string>): Promise<void> => {
    if (clear) clear();
    else {
      alert.textContent = '';
      done.textContent = '';
    }
    try {
      done.textContent = await what();
      await reload();
    } catch (err) {
      alert.textContent = (err as Error).message;
    }
  };
}

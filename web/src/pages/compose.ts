// Compose: SMS, MMS and group messages from one of the account's numbers, media uploaded through the
// media store first, and a live count of encoding and segments from the server's own segment code.
import { countSegments, type SegmentInfo } from '../../../src/core/encoding/segments.js';
import { smartEncode } from '../../../src/core/encoding/smart-encoding.js';
import { api } from '../api.js';
import { field, h, replace } from '../dom.js';
import { currentAccount, state } from '../state.js';

export async function composePage(main: HTMLElement, query: URLSearchParams): Promise<void> {
  document.title = 'Compose · Pigeon console';
  const account = currentAccount();
  const from = h('select', { name: 'from', required: true });
  for (const app of account?.applications ?? []) {
    const group = h('optgroup', { label: app.name });
    for (const n of app.numbers) group.append(h('option', { value: `${app.id}|${n}` }, `${n} (${app.name})`));
    from.append(group);
  }
  const to = h('input', { type: 'text', name: 'to', required: true, value: query.get('to') ?? '', autocomplete: 'off' });
  const text = h('textarea', { name: 'text', rows: 5 });
  const counter = h('output', { id: 'segment-counter', for: text.id || 'text', 'aria-live': 'polite' });
  const files = h('input', { type: 'file', name: 'media', multiple: true });
  const tag = h('input', { type: 'text', name: 'tag', autocomplete: 'off' });
  const alert = h('p', { role: 'alert', class: 'error' });
  const result = h('p', { role: 'status' });

  const count = () => {
    if (text.value === '') {
      counter.textContent = 'Empty';
      return;
    }
    const describe = (info: SegmentInfo) => {
      const unit = info.encoding === 'GSM-7' ? 'septet' : 'UTF-16 unit';
      return `${info.encoding} · ${info.units} ${unit}${info.units === 1 ? '' : 's'} · ${info.segments} segment${info.segments === 1 ? '' : 's'}`;
    };
    const plain = describe(countSegments(text.value));
    const encoded = smartEncode(text.value);
    if (encoded === text.value) {
      counter.textContent = plain;
      return;
    }
    // Both counts when smart encoding would change the text: first what this application sends.
    const smart = describe(countSegments(encoded));
    const applicationId = from.value.split('|')[0];
    const on = account?.applications.find((a) => a.id === applicationId)?.smartEncoding === true;
    counter.textContent = on ? `${smart} with smart encoding (without: ${plain})` : `${plain} (with smart encoding: ${smart})`;
  };
  text.addEventListener('input', count);
  from.addEventListener('change', count);

  const send = async (event: Event) => {
    event.preventDefault();
    alert.textContent = '';
    result.textContent = '';
    try {
      const [applicationId = '', number = ''] = from.value.split('|');
      const accountPath = `/accounts/${encodeURIComponent(state.accountId)}`;
      const media: string[] = [];
      for (const file of Array.from(files.files ?? [])) {
        const name = `console/${Date.now()}-${file.name.replace(/[^A-Za-z0-9._-]/g, '_')}`;
        const uploaded = await api<{ url: string }>('PUT', `${accountPath}/media/${name}`, file, file.type);
        media.push(uploaded.url);
      }
      const body: Record<string, unknown> = {
        applicationId,
        from: number,
        to: to.value.split(',').map((n) => n.trim()).filter(Boolean),
      };
      if (text.value) body.text = text.value;
      if (media.length > 0) body.media = media;
      if (tag.value) body.tag = tag.value;
      const sent = await api<{ id: string }>('POST', `${accountPath}/messages`, body);
      replace(result, 'Accepted: ', h('a', { href: `/console/messages/${encodeURIComponent(sent.id)}` }, sent.id));
    } catch (err) {
      alert.textContent = `Not sent: ${(err as Error).message}`;
    }
  };

  replace(
    main,
    h('h1', {}, 'Compose'),
    h(
      'form',
      { onsubmit: (e: Event) => void send(e), 'aria-label': 'New message' },
      field('From', from),
      field('To', to, 'One number, or several separated by commas for a group message.'),
      field('Text', text),
      h('p', {}, 'Encoding and segments: ', counter),
      field('Media', files, 'Files are stored in the media store and sent as MMS.'),
      field('Tag', tag),
      h('button', { type: 'submit' }, 'Send'),
    ),
    alert,
    result,
  );
  count();
}

// Phones: the numbers this account has sent to; a conversation as that handset sees it, and its
// replies, which reach Pigeon as inbound messages (message-received), with media and to groups;
// for the administrator, the scripted phones (phone-rules.ts).
import { api } from '../api.js';
import { field, h, replace, status, time } from '../dom.js';
import { currentAccount, mediaHref, state } from '../state.js';
import { scriptedPhones } from './phone-rules.js';

interface Item {
  id: string;
  direction: 'received' | 'sent';
  from: string;
  to: string[];
  text: string;
  media: string[];
  status: string;
  errorCode: number;
  time: string;
}

export async function phonesPage(main: HTMLElement): Promise<void> {
  document.title = 'Phones · Pigeon console';
  const list = h('div', {});
  // The scripted phones' section is built once, so a live refresh re-reads its lists but leaves a
  // rule being typed alone.
  const scripts = state.session?.principal.kind === 'admin' ? scriptedPhones() : undefined;
  const load = async () => {
    const phones = await api<Array<{ number: string; lastTime: string }>>('GET', `/accounts/${encodeURIComponent(state.accountId)}/phones`);
    replace(
      list,
      phones.length === 0
        ? h('p', {}, 'No messages sent yet.')
        : h('ul', { class: 'phones' }, phones.map((p) => h('li', {}, h('a', { href: `/console/phones/${encodeURIComponent(p.number)}` }, p.number), ' — last message ', time(p.lastTime)))),
    );
    await scripts?.load();
  };
  replace(
    main,
    h('h1', {}, 'Phones'),
    h('p', {}, 'Numbers this account has sent messages to. Open one to see its conversation as that phone sees it, and to reply.'),
    list,
    scripts?.element,
  );
  state.refresh = () => void load().catch(() => undefined);
  await load();
}

export async function phonePage(main: HTMLElement, phone: string): Promise<void> {
  document.title = `Phone ${phone} · Pigeon console`;
  const path = `/accounts/${encodeURIComponent(state.accountId)}/phones/${encodeURIComponent(phone)}`;
  const conversation = h('ol', { class: 'conversation', 'aria-label': `Conversation of ${phone}` });
  const recipients = h('fieldset', {}, h('legend', {}, 'Reply to'));
  const text = h('textarea', { name: 'text', rows: 3 });
  const files = h('input', { type: 'file', name: 'media', multiple: true });
  const alert = h('p', { role: 'alert', class: 'error' });
  const owned = new Set((currentAccount()?.applications ?? []).flatMap((a) => a.numbers));
  let participants: string[] = [];

  const renderRecipients = () => {
    const checked = new Set(Array.from(recipients.querySelectorAll('input:checked')).map((i) => (i as HTMLInputElement).value));
    recipients.querySelectorAll('div').forEach((d) => d.remove());
    participants.forEach((n, i) => {
      const box = h('input', { type: 'checkbox', name: 'to', value: n, id: `to-${i}`, checked: checked.size === 0 || checked.has(n) });
      recipients.append(h('div', { class: 'check' }, box, h('label', { for: `to-${i}` }, owned.has(n) ? `${n} (this account)` : n)));
    });
  };

  const load = async () => {
    const items = await api<Item[]>('GET', path);
    replace(
      conversation,
      items.map((m) =>
        h(
          'li',
          { class: `bubble ${m.direction}` },
          h('p', { class: 'meta' }, m.direction === 'received' ? `From ${m.from}` : `Sent to ${m.to.join(', ')}`, ' · ', time(m.time), ' · ', status(m.status), m.errorCode ? ` · error ${m.errorCode}` : ''),
          m.text && h('p', { class: 'text' }, m.text),
          m.media.map((url) => {
            const { href, image } = mediaHref(url);
            return image ? h('img', { src: href, alt: 'Attachment' }) : h('p', {}, h('a', { href, target: '_blank', rel: 'noopener' }, 'Attachment'));
          }),
          h('p', {}, h('a', { href: `/console/messages/${encodeURIComponent(m.id)}` }, 'Details')),
        ),
      ),
    );
    // A reply answers the latest message the phone received: its sender and, for a group, the other
    // members. Before any, the phone can write to the account's own numbers.
    const latest = [...items].reverse().find((m) => m.direction === 'received');
    participants = latest ? [...new Set([latest.from, ...latest.to])].filter((n) => n !== phone) : [...owned];
    renderRecipients();
  };

  const reply = async (event: Event) => {
    event.preventDefault();
    alert.textContent = '';
    const to = Array.from(recipients.querySelectorAll('input:checked')).map((i) => (i as HTMLInputElement).value);
    try {
      const media = [];
      for (const file of Array.from(files.files ?? [])) {
        const bytes = new Uint8Array(await file.arrayBuffer());
        let binary = '';
        for (const b of bytes) binary += String.fromCharCode(b);
        media.push({ fileName: file.name, contentType: file.type || 'application/octet-stream', base64: btoa(binary) });
      }
      const body: Record<string, unknown> = { to };
      if (text.value) body.text = text.value;
      if (media.length > 0) body.media = media;
      await api('POST', `${path}/reply`, body);
      text.value = '';
      files.value = '';
      await load();
    } catch (err) {
      alert.textContent = `Reply not sent: ${(err as Error).message}`;
    }
  };

  replace(
    main,
    h('h1', {}, `Phone ${phone}`),
    conversation,
    h('form', { 'aria-label': 'Reply', onsubmit: (e: Event) => void reply(e) }, h('h2', {}, 'Reply'), recipients, field('Reply text', text), field('Reply media', files), h('button', { type: 'submit' }, 'Send reply')),
    alert,
  );
  state.refresh = () => void load().catch(() => undefined);
  await load();
}

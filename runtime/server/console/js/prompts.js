// The prompts screen: upload WAV recordings, list them page by page, play one back in the
// page (fetched with the API key, played from a blob URL), delete one.

import { api, seg } from './api.js';
import { $, h, fill, problem, when, bytes, duration, dropZone } from './dom.js';
import { t } from './i18n.js';

let list;
let more;
let next = null;
/** Blob URLs made for playback, revoked when the list is redrawn. */
let urls = [];

export function mount() {
  list = $('#prompt-list');
  more = $('#prompt-more');
  const form = $('#prompt-form');
  const input = $('#prompt-file');
  const name = $('#prompt-name');
  const result = $('#prompt-result');
  dropZone($('#prompt-drop'), input, (file) => {
    if (!name.value.trim()) {
      name.value = file.name.replace(/\.wav$/i, '').replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 64);
    }
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const file = input.files?.[0];
    const promptName = name.value.trim();
    if (!file) {
      fill(result, problem(t('prompts.choose')));
      input.focus();
      return;
    }
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(promptName)) {
      fill(result, problem(t('prompts.badname')));
      name.focus();
      return;
    }
    try {
      const meta = await api(`/v1/prompts/${seg(promptName)}`, { method: 'PUT', body: await file.arrayBuffer() });
      fill(result, h('p', { class: 'success', role: 'status' }, t('prompts.uploaded', { name: meta.name, length: duration(meta.duration_ms), rate: meta.sample_rate })));
      form.reset();
      refresh();
    } catch (error) {
      fill(result, problem(t('refused.file', { name: file.name }), error));
    }
  });
  more.addEventListener('click', () => load(false));
}

export function show() {
  refresh();
}

function refresh() {
  for (const url of urls) URL.revokeObjectURL(url);
  urls = [];
  next = null;
  return load(true);
}

async function load(first) {
  let page;
  try {
    page = await api(`/v1/prompts?limit=50${next ? `&after=${encodeURIComponent(next)}` : ''}`);
  } catch (error) {
    fill(list, problem(t('prompts.loadfailed'), error));
    return;
  }
  next = page.next;
  more.hidden = !next;
  let table = $('table', list);
  if (first || !table) {
    if (!page.items.length) {
      fill(list, h('p', { class: 'hint' }, t('prompts.none')));
      return;
    }
    table = h('table', {},
      h('thead', {}, h('tr', {}, ...['name', 'length', 'format', 'size', 'uploaded', 'listen'].map((key) => h('th', { scope: 'col' }, t(key))), h('th', { scope: 'col' }))),
      h('tbody'),
    );
    fill(list, table);
  }
  $('tbody', table).append(...page.items.map(row));
}

function row(prompt) {
  const player = h('div');
  const play = h('button', {
    type: 'button',
    'aria-label': t('prompts.play.label', { name: prompt.name }),
    onclick: async () => {
      play.disabled = true;
      try {
        const blob = await api(`/v1/prompts/${seg(prompt.name)}`, { as: 'blob' });
        const url = URL.createObjectURL(blob);
        urls.push(url);
        const audio = h('audio', { controls: true, src: url, 'aria-label': t('prompts.recording.label', { name: prompt.name }) });
        fill(player, audio);
        audio.play().catch(() => {});
      } catch (error) {
        fill(player, problem(t('recording.loadfailed'), error));
        play.disabled = false;
      }
    },
  }, t('play'));
  const remove = h('button', {
    type: 'button',
    class: 'quiet',
    'aria-label': t('prompts.delete.label', { name: prompt.name }),
    onclick: async () => {
      if (!confirm(t('prompts.delete.confirm', { name: prompt.name }))) return;
      try {
        await api(`/v1/prompts/${seg(prompt.name)}`, { method: 'DELETE' });
        refresh();
      } catch (error) {
        fill(player, problem(t('prompts.deletefailed'), error));
      }
    },
  }, t('delete'));
  return h('tr', {},
    h('td', {}, h('code', {}, prompt.name)),
    h('td', { class: 'num' }, duration(prompt.duration_ms)),
    h('td', {}, `${prompt.sample_rate} Hz, ${prompt.channels === 1 ? t('mono') : t('channels', { n: prompt.channels })}`),
    h('td', { class: 'num' }, bytes(prompt.size_bytes)),
    h('td', {}, when(prompt.created_at_ms)),
    h('td', {}, play, player),
    h('td', {}, remove),
  );
}

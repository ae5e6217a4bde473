// The campaigns screen: the tenant's campaigns with their state and progress, a page at a
// time, and the form that creates one (module, trunk, pace, calling hours, retries,
// webhook). The server checks every setting: a refusal that names a field (`trunk`,
// `schedule.time_zone`…) is shown beside that field, in the server's words.

import { api, seg } from './api.js';
import { $, h, fill, problem, when } from './dom.js';
import { t, number } from './i18n.js';

/** Weekdays as the API spells them. */
export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
/** A list page: the first screenful of a busy tenant, one request. */
const PAGE_SIZE = 50;

let list;
let more;
let next = null;
let windowCount = 0;

export function mount() {
  list = $('#campaign-list');
  more = $('#campaign-more');
  more.addEventListener('click', () => load(false));
  $('#cp-add-window').addEventListener('click', () => addWindow(DAYS.slice(0, 5), '09:00', '20:00', true));
  addWindow(DAYS.slice(0, 6), '09:00', '20:00');
  const lunch = $('#cp-lunch');
  lunch.addEventListener('change', () => {
    $('#cp-lunch-start').disabled = !lunch.checked;
    $('#cp-lunch-end').disabled = !lunch.checked;
  });
  $('#campaign-form').addEventListener('submit', (e) => {
    e.preventDefault();
    create();
  });
}

export async function show() {
  loadModules();
  next = null;
  await load(true);
}

async function loadModules() {
  const select = $('#cp-module');
  const chosen = select.value;
  try {
    const modules = await api('/v1/modules');
    fill(select, ...modules.map((m) => h('option', { value: m.name }, m.name)));
    if (modules.some((m) => m.name === chosen)) select.value = chosen;
  } catch (error) {
    fill($('#cp-form-error'), problem(t('modules.loadfailed'), error));
  }
}

async function load(first) {
  let page;
  try {
    page = await api(`/v1/campaigns?limit=${PAGE_SIZE}${next ? `&after=${encodeURIComponent(next)}` : ''}`);
  } catch (error) {
    fill(list, problem(t('cp.loadfailed'), error));
    return;
  }
  next = page.next;
  more.hidden = !next;
  let tbody = $('tbody', list);
  if (first || !tbody) {
    if (!page.items.length) {
      fill(list, h('p', { class: 'hint' }, t('cp.none')));
      return;
    }
    tbody = h('tbody');
    fill(list, h('table', { class: 'campaigns' },
      h('caption', { class: 'visually-hidden' }, t('nav.campaigns')),
      h('thead', {}, h('tr', {}, ...['cp.col.name', 'cp.col.state', 'cp.col.progress', 'cp.answerrate', 'cp.col.created']
        .map((key) => h('th', { scope: 'col' }, t(key))))),
      tbody));
  }
  tbody.append(...page.items.map(row));
}

function row(c) {
  const s = c.stats;
  return h('tr', { 'data-campaign': c.id },
    h('td', {}, h('a', { href: `#/campaigns/${encodeURIComponent(c.id)}` }, c.name), h('br'), h('code', { class: 'hint' }, c.id)),
    h('td', {}, statePill(c.state)),
    h('td', {}, progressBar(s.done, s.contacts), ' ', t('cp.doneof', { done: number(s.done), contacts: number(s.contacts) })),
    h('td', { class: 'num' }, s.attempts ? percent(c.answer_rate) : '—'),
    h('td', {}, when(c.created_at_ms)),
  );
}

/** `draft`, `running`… as a coloured pill in words. */
export function statePill(state) {
  return h('span', { class: `pill state-${state}`, 'data-state': state }, t(`cp.state.${state}`));
}

/** A bar `done / of` wide (a `<progress>`, so assistive technology reads it too). */
export function progressBar(done, of) {
  return h('progress', { max: Math.max(of, 1), value: done, 'aria-label': t('cp.col.progress') });
}

/** 0.42 → `42%`. */
export function percent(fraction) {
  return number(fraction ?? 0, { style: 'percent', maximumFractionDigits: 1 });
}

/** One calling window: days to tick and a start and end time. */
function addWindow(days, start, end, focus = false) {
  windowCount += 1;
  const n = windowCount;
  const box = h('fieldset', { class: 'window', 'data-window': n },
    h('legend', {}, h('span', { 'data-i18n': 'cp.window' }, t('cp.window')), ` ${$('#cp-windows').children.length + 1}`),
    h('div', { class: 'days' }, DAYS.map((day) =>
      h('label', { class: 'choice day' },
        h('input', { type: 'checkbox', value: day, checked: days.includes(day) }),
        h('span', { 'data-i18n': `day.${day}` }, t(`day.${day}`))))),
    h('div', { class: 'inline times' },
      h('label', { for: `cp-window-${n}-start`, 'data-i18n': 'cp.from' }, t('cp.from')),
      h('input', { id: `cp-window-${n}-start`, type: 'time', value: start, class: 'start' }),
      h('label', { for: `cp-window-${n}-end`, 'data-i18n': 'cp.to' }, t('cp.to')),
      h('input', { id: `cp-window-${n}-end`, type: 'time', value: end, class: 'end' }),
      h('button', {
        type: 'button',
        class: 'quiet',
        'data-i18n': 'cp.removewindow',
        onclick: () => box.remove(),
      }, t('cp.removewindow')),
    ),
  );
  $('#cp-windows').append(box);
  if (focus) $('input', box).focus();
}

/** A whole number from a field, or undefined when it is empty (the server's default). */
function whole(selector) {
  const value = $(selector).value.trim();
  return value === '' ? undefined : Number(value);
}

/** The form as a `POST /v1/campaigns` body. */
function draft() {
  const windows = [...document.querySelectorAll('#cp-windows .window')].map((box) => ({
    days: [...box.querySelectorAll('.days input:checked')].map((i) => i.value),
    start: $('.start', box).value,
    // A time field stops at 23:59; an end of 00:00 means the window runs to midnight.
    end: $('.end', box).value === '00:00' ? '24:00' : $('.end', box).value,
  }));
  const schedule = { time_zone: $('#cp-tz').value.trim(), windows };
  schedule.breaks = $('#cp-lunch').checked ? [{ start: $('#cp-lunch-start').value, end: $('#cp-lunch-end').value }] : [];
  const rule = (wait, retries) => {
    const minutes = whole(wait);
    return { wait_secs: minutes === undefined ? 0 : Math.round(minutes * 60), max_retries: whole(retries) ?? 0 };
  };
  const body = {
    name: $('#cp-name').value.trim(),
    module: $('#cp-module').value,
    trunk: $('#cp-trunk').value.trim(),
    max_concurrent_calls: whole('#cp-concurrency'),
    max_calls_per_second: whole('#cp-cps'),
    ring_timeout_secs: whole('#cp-ring'),
    max_attempts: whole('#cp-attempts'),
    schedule,
    retry: { busy: rule('#cp-busy-wait', '#cp-busy-retries'), no_answer: rule('#cp-noanswer-wait', '#cp-noanswer-retries') },
  };
  const callerIds = $('#cp-caller-ids').value.split(/[\s,，]+/).filter(Boolean);
  if (callerIds.length) body.caller_ids = callerIds;
  const webhook = $('#cp-webhook').value.trim();
  if (webhook) body.webhook = { url: webhook };
  return body;
}

/**
 * Where a refusal naming `field` is shown: the field's input (a window's row for
 * `schedule.windows[1]…`), or null for the form as a whole.
 */
function fieldElement(field) {
  const windowMatch = /^schedule\.windows\[(\d+)\]/.exec(field);
  if (windowMatch) return document.querySelectorAll('#cp-windows .window')[Number(windowMatch[1])] ?? $('#cp-windows');
  const inputs = [
    ['name', '#cp-name'], ['module', '#cp-module'], ['trunk', '#cp-trunk'], ['caller_ids', '#cp-caller-ids'],
    ['max_concurrent_calls', '#cp-concurrency'], ['max_calls_per_second', '#cp-cps'],
    ['ring_timeout_secs', '#cp-ring'], ['max_attempts', '#cp-attempts'], ['schedule.time_zone', '#cp-tz'],
    ['schedule.windows', '#cp-windows'], ['schedule.breaks', '#cp-lunch-end'], ['retry.busy', '#cp-busy-retries'],
    ['retry.no_answer', '#cp-noanswer-retries'], ['webhook', '#cp-webhook'], ['schedule', '#cp-tz'],
  ];
  const found = inputs.find(([name]) => field === name || field.startsWith(`${name}.`) || field.startsWith(`${name}[`));
  return found ? $(found[1]) : null;
}

/** The field a refusal starts with: `` `schedule.time_zone` is not… `` → `schedule.time_zone`. */
function refusedField(message) {
  return /^`([^`]+)`/.exec(message)?.[1] ?? /^([a-z_]+(?:[.[][\w\]]*)*):/.exec(message)?.[1] ?? null;
}

function clearFieldErrors() {
  for (const p of document.querySelectorAll('#campaign-form .field-error')) p.remove();
  for (const el of document.querySelectorAll('#campaign-form [aria-invalid]')) {
    el.removeAttribute('aria-invalid');
    const described = (el.getAttribute('aria-describedby') ?? '').split(' ').filter((id) => !id.endsWith('-error'));
    if (described.length) el.setAttribute('aria-describedby', described.join(' '));
    else el.removeAttribute('aria-describedby');
  }
}

/** Puts the server's message beside the field it names. */
function showFieldError(target, error) {
  const id = `${target.id || `cp-window-${target.dataset.window}`}-error`;
  const note = h('p', { class: 'problem field-error', id, role: 'alert', 'data-field': 'yes' },
    h('span', { class: 'server-message' }, error.message));
  if (target.matches('fieldset')) target.append(note);
  else target.insertAdjacentElement('afterend', note);
  target.setAttribute('aria-invalid', 'true');
  target.setAttribute('aria-describedby', [target.getAttribute('aria-describedby'), id].filter(Boolean).join(' '));
  if (typeof target.focus === 'function') target.focus();
}

async function create() {
  const box = $('#cp-form-error');
  const button = $('#cp-create');
  clearFieldErrors();
  fill(box);
  if (!$('#cp-module').value) {
    fill(box, problem(t('cp.needmodule')));
    return;
  }
  button.disabled = true;
  try {
    const created = await api('/v1/campaigns', { method: 'POST', json: draft() });
    location.hash = `#/campaigns/${seg(created.id)}`;
  } catch (error) {
    const field = error.status === 422 ? refusedField(error.message) : null;
    const target = field ? fieldElement(field) : null;
    if (target) {
      showFieldError(target, error);
      fill(box, problem(t('cp.refused.field')));
    } else {
      fill(box, problem(t('cp.refused'), error));
    }
  } finally {
    button.disabled = false;
  }
}

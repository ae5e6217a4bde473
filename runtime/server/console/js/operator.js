// The operator's screen: every tenant with its quotas and its live calls, a page of 100
// at a time. Read-only: tenants, keys and quotas are changed through the API
// (docs/operator-guide.md).

import { api } from './api.js';
import { $, h, fill, problem, when, bytes } from './dom.js';
import { t } from './i18n.js';

let list;
let more;
let next = null;

export function mount() {
  list = $('#tenant-list');
  more = $('#tenant-more');
  $('#operator-refresh').addEventListener('click', () => refresh());
  more.addEventListener('click', () => load(false));
}

export function show() {
  refresh();
}

function refresh() {
  next = null;
  return load(true);
}

async function load(first) {
  let page;
  try {
    page = await api(`/v1/tenants?limit=100${next ? `&after=${encodeURIComponent(next)}` : ''}`);
  } catch (error) {
    fill(list, problem(t('operator.loadfailed'), error));
    return;
  }
  next = page.next;
  more.hidden = !next;
  let tbody = $('tbody', list);
  if (first || !tbody) {
    if (!page.items.length) {
      fill(list, h('p', { class: 'hint' }, t('operator.none')));
      return;
    }
    tbody = h('tbody');
    fill(list, h('table', { class: 'tenants' },
      h('caption', { class: 'visually-hidden' }, t('nav.operator')),
      h('thead', {}, h('tr', {}, ...['tenant', 'live', 'maxcalls', 'memory', 'cpu', 'modulesize', 'kv', 'records', 'created', 'state'].map((key) => h('th', { scope: 'col' }, t(`operator.col.${key}`))))),
      tbody));
  }
  tbody.append(...page.items.map(row));
}

function row(tenant) {
  const q = tenant.quotas;
  return h('tr', { 'data-tenant': tenant.id },
    h('th', { scope: 'row' }, tenant.name, h('br'), h('code', { class: 'hint' }, tenant.id)),
    h('td', { class: 'num', 'data-testid': 'live-calls' }, String(tenant.live_calls)),
    h('td', { class: 'num' }, String(q.max_concurrent_calls)),
    h('td', { class: 'num' }, bytes(q.memory_bytes)),
    h('td', { class: 'num' }, `${q.cpu_per_event_ms} ms / ${q.cpu_per_call_ms} ms`),
    h('td', { class: 'num' }, bytes(q.max_module_bytes)),
    h('td', { class: 'num' }, bytes(q.kv_bytes)),
    h('td', {}, tenant.record_calls === undefined ? '—' : tenant.record_calls ? t('yes') : t('no')),
    h('td', {}, when(tenant.created_at_ms)),
    h('td', {}, tenant.disabled ? t('operator.disabled') : t('operator.active')),
  );
}

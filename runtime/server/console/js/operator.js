// The operator's screen: every tenant with its quotas and its live calls, a page of 100
// at a time. Read-only: tenants, keys and quotas are changed through the API
// (docs/operator-guide.md).

import { api } from './api.js';
import { $, h, fill, problem, when, bytes } from './dom.js';

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
    fill(list, problem('Could not load the tenants.', error));
    return;
  }
  next = page.next;
  more.hidden = !next;
  let tbody = $('tbody', list);
  if (first || !tbody) {
    if (!page.items.length) {
      fill(list, h('p', { class: 'hint' }, 'No tenants yet. Create one with POST /v1/tenants (see the operator guide).'));
      return;
    }
    tbody = h('tbody');
    fill(list, h('table', { class: 'tenants' },
      h('caption', { class: 'visually-hidden' }, 'Tenants'),
      h('thead', {}, h('tr', {}, ...['Tenant', 'Live calls', 'Max concurrent calls', 'Memory per call', 'CPU per event / call', 'Module size', 'Key-value space', 'Records calls', 'Created', 'State'].map((t) => h('th', { scope: 'col' }, t)))),
      tbody));
  }
  tbody.append(...page.items.map(row));
}

function row(t) {
  const q = t.quotas;
  return h('tr', { 'data-tenant': t.id },
    h('th', { scope: 'row' }, t.name, h('br'), h('code', { class: 'hint' }, t.id)),
    h('td', { class: 'num', 'data-testid': 'live-calls' }, String(t.live_calls)),
    h('td', { class: 'num' }, String(q.max_concurrent_calls)),
    h('td', { class: 'num' }, bytes(q.memory_bytes)),
    h('td', { class: 'num' }, `${q.cpu_per_event_ms} ms / ${q.cpu_per_call_ms} ms`),
    h('td', { class: 'num' }, bytes(q.max_module_bytes)),
    h('td', { class: 'num' }, bytes(q.kv_bytes)),
    h('td', {}, t.record_calls === undefined ? '—' : t.record_calls ? 'yes' : 'no'),
    h('td', {}, when(t.created_at_ms)),
    h('td', {}, t.disabled ? 'disabled' : 'active'),
  );
}

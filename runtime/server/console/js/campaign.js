// One campaign (`#/campaigns/cp_…`): its state and the buttons that move it (start,
// pause, resume, cancel, as the state allows), the contact import with its report, the
// live progress (read again every POLL_MS while the campaign can still change): contacts
// pending / dialling / done, attempts, answer rate, talk time, the A–F intent funnel and
// the outcomes by reason, and the results as a CSV download.

import { api, seg } from './api.js';
import { $, h, fill, problem, when, dropZone, bytes } from './dom.js';
import { t, number } from './i18n.js';
import { percent, progressBar, statePill } from './campaigns.js';

/**
 * How often a running campaign is read. Calls start and end every second or so on a
 * busy campaign; 1.5 s keeps the figures live at one small GET per tick.
 */
const POLL_MS = 1500;
/** States that end a campaign: nothing changes after them, so nothing is polled. */
const FINAL = ['completed', 'cancelled', 'expired'];
/** Which buttons each state offers. */
const ACTIONS = {
  draft: ['start', 'cancel'],
  running: ['pause', 'cancel'],
  paused: ['resume', 'cancel'],
};
const INTENTS = ['A', 'B', 'C', 'D', 'E', 'F'];

let id = null;
let view = null;
let timer = null;
/** The last import report per campaign, kept to redraw it (a language switch). */
const reports = new Map();
/** What the last button did on this campaign (`{ key, error }`), kept for the same reason. */
let said = null;

export function mount() {
  for (const button of document.querySelectorAll('#campaign-actions [data-action]')) {
    button.addEventListener('click', () => act(button.dataset.action, button));
  }
  $('#cp-download').addEventListener('click', download);
  const input = $('#contacts-file');
  dropZone($('#contacts-drop'), input, (file) => {
    fill($('#import-report'), h('p', { class: 'hint' }, t('cp.chosen', { name: file.name, size: bytes(file.size) })));
  });
  $('#contacts-form').addEventListener('submit', (e) => {
    e.preventDefault();
    importContacts();
  });
}

export async function show(params) {
  if (params.id !== id) {
    id = params.id;
    view = null;
    said = null;
    fill($('#campaign-progress'));
    fill($('#campaign-settings'));
    $('#campaign-title').textContent = id;
    $('#contacts-form').reset();
  }
  sayResult();
  const report = reports.get(id);
  if (report) renderReport(report);
  else fill($('#import-report'));
  await refresh();
}

/** Reads the campaign, draws it, and comes back while it can still change. */
async function refresh() {
  clearTimeout(timer);
  const wanted = id;
  try {
    const latest = await api(`/v1/campaigns/${seg(wanted)}`);
    if (wanted !== id) return;
    render(latest);
  } catch (error) {
    if (wanted !== id) return;
    fill($('#campaign-progress'), problem(t('cp.readfailed'), error));
  }
  if (!$('#screen-campaign').hidden && wanted === id && view && !FINAL.includes(view.state) && view.state !== 'draft') {
    timer = setTimeout(refresh, POLL_MS);
  }
}

function render(latest) {
  view = latest;
  $('#campaign-title').textContent = view.name;
  fill($('#campaign-state'), statePill(view.state), view.state_reason ? ` ${view.state_reason}` : '');
  const allowed = ACTIONS[view.state] ?? [];
  for (const button of document.querySelectorAll('#campaign-actions [data-action]')) {
    button.hidden = !allowed.includes(button.dataset.action);
  }
  $('#contacts-import').disabled = FINAL.includes(view.state);
  fill($('#campaign-progress'), ...progress(view));
  fill($('#campaign-settings'), settings(view));
}

/** A figure: a big number and what it counts. */
function figure(name, value, label) {
  return h('div', { class: 'figure', 'data-figure': name }, h('span', { class: 'value' }, value), h('span', { class: 'label' }, label));
}

/** Horizontal bars, one per `[key, label, count]`, scaled to the largest. */
function bars(rows, caption, name) {
  const top = Math.max(1, ...rows.map(([, , count]) => count));
  const total = rows.reduce((sum, [, , count]) => sum + count, 0);
  return h('table', { class: 'bars', 'data-bars': name },
    h('caption', {}, caption),
    h('tbody', {}, rows.map(([key, label, count]) => {
      const bar = h('span', { class: 'bar' });
      // A style property set from script is allowed by the page's policy (no inline style).
      bar.style.width = `${(count / top) * 100}%`;
      return h('tr', { 'data-key': key },
        h('th', { scope: 'row' }, label),
        h('td', { class: 'track' }, bar),
        h('td', { class: 'num' }, number(count), total ? h('span', { class: 'hint' }, ` (${percent(count / total)})`) : ''));
    })),
  );
}

function progress(c) {
  const s = c.stats;
  const parts = [
    h('div', { class: 'card' },
      h('h2', {}, t('cp.progress')),
      h('p', {}, progressBar(s.done, s.contacts), ' ', t('cp.doneof', { done: number(s.done), contacts: number(s.contacts) })),
      h('div', { class: 'figures' },
        figure('contacts', number(s.contacts), t('cp.f.contacts')),
        figure('pending', number(s.pending), t('cp.f.pending')),
        figure('dialing', number(s.dialing), t('cp.f.dialing')),
        figure('done', number(s.done), t('cp.f.done')),
        figure('attempts', number(s.attempts), t('cp.f.attempts')),
        figure('answered', number(s.answered), t('cp.f.answered')),
        figure('answer-rate', percent(c.answer_rate), t('cp.answerrate')),
        figure('talk', t('cp.secs', { n: number(c.average_talk_secs ?? 0, { maximumFractionDigits: 1 }) }), t('cp.f.talk')),
        figure('active', number(c.active_calls ?? 0), t('cp.f.active')),
        figure('transfers', number(s.transfers), t('cp.f.transfers')),
        figure('opted-out', number(s.opted_out), t('cp.f.optedout')),
      ),
    ),
  ];
  const outcomes = Object.entries(s.outcomes ?? {}).sort((a, b) => b[1] - a[1]);
  const results = Object.entries(s.results ?? {}).sort((a, b) => b[1] - a[1]);
  parts.push(h('div', { class: 'call-grid' },
    h('div', { class: 'card' },
      h('h2', {}, t('cp.funnel')),
      h('p', { class: 'hint' }, t('cp.funnel.hint')),
      bars(INTENTS.map((level) => [level, `${level} — ${t(`intent.${level}`)}`, s.intents?.[level] ?? 0]), t('cp.funnel'), 'intents'),
    ),
    h('div', { class: 'card' },
      h('h2', {}, t('cp.outcomes')),
      outcomes.length
        ? bars(outcomes.map(([key, count]) => [key, reason(key), count]), t('cp.outcomes.attempts'), 'outcomes')
        : h('p', { class: 'hint' }, t('cp.outcomes.none')),
      results.length ? bars(results.map(([key, count]) => [key, reason(key), count]), t('cp.outcomes.contacts'), 'results') : null,
    ),
  ));
  return parts;
}

/** `no-answer` → `no answer` (or its Chinese), an unknown reason as sent. */
function reason(key) {
  const name = `reason.${key}`;
  const text = t(name);
  return text === name ? key : text;
}

function settings(c) {
  const days = (list) => (list.length === 7 ? t('cp.everyday') : list.map((d) => t(`day.${d}`)).join(' '));
  const windows = (c.schedule?.windows ?? []).map((w) => `${days(w.days)} ${w.start}–${w.end}`);
  const breaks = (c.schedule?.breaks ?? []).map((b) => `${b.start}–${b.end}`);
  // In minutes as the form takes them; a wait under a minute keeps its fraction, not `0 min`.
  const minutes = (secs) => number(secs / 60, { maximumFractionDigits: 2 });
  const rule = (r) => (r ? t('cp.rule', { wait: minutes(r.wait_secs), n: r.max_retries }) : t('cp.rule.final'));
  const pairs = [
    ['module', `${c.module}${c.module_version ? ` v${c.module_version}` : ''}`],
    ['cp.trunk', c.trunk],
    ['cp.callerids.short', c.caller_ids?.length ? c.caller_ids.join(', ') : t('cp.callerids.all')],
    ['cp.concurrency', number(c.max_concurrent_calls)],
    ['cp.cps', number(c.max_calls_per_second)],
    ['cp.ring', number(c.ring_timeout_secs)],
    ['cp.attempts', number(c.max_attempts)],
    ['cp.tz', c.schedule?.time_zone ?? '—'],
    ['cp.hours', windows.join('; ') || '—'],
    ['cp.breaks', breaks.join(', ') || '—'],
    ['cp.retry.busy', rule(c.retry?.busy)],
    ['cp.retry.noanswer', rule(c.retry?.no_answer)],
    ['cp.webhook.short', c.webhook?.url ?? '—'],
    ['cp.col.created', when(c.created_at_ms)],
    ['cp.started', when(c.started_at_ms)],
  ];
  return h('dl', { class: 'facts' }, pairs.flatMap(([key, value]) => [h('dt', {}, t(key)), h('dd', {}, value)]));
}

/** Shows what the last button did, in the page's language (the server's words as sent). */
function sayResult() {
  const message = $('#campaign-message');
  if (!said) fill(message);
  else if (said.error) fill(message, problem(t(said.key), said.error));
  else fill(message, h('p', { class: 'success', role: 'status' }, t(said.key)));
}

async function act(action, button) {
  said = null;
  sayResult();
  if (action === 'cancel' && !confirm(t('cp.cancel.confirm', { name: view?.name ?? id }))) return;
  button.disabled = true;
  try {
    render(await api(`/v1/campaigns/${seg(id)}/${action}`, { method: 'POST' }));
    said = { key: `cp.done.${action}` };
    refresh();
  } catch (error) {
    said = { key: `cp.failed.${action}`, error };
  } finally {
    button.disabled = false;
  }
  sayResult();
}

async function importContacts() {
  const input = $('#contacts-file');
  const file = input.files?.[0];
  const box = $('#import-report');
  if (!file) {
    fill(box, problem(t('cp.choosecsv')));
    input.focus();
    return;
  }
  const button = $('#contacts-import');
  button.disabled = true;
  fill(box, h('p', { role: 'status' }, t('cp.importing', { name: file.name })));
  try {
    const report = await api(`/v1/campaigns/${seg(id)}/contacts`, { method: 'POST', body: file, type: 'text/csv' });
    reports.set(id, report);
    renderReport(report);
    $('#contacts-form').reset();
    refresh();
  } catch (error) {
    fill(box, problem(t('cp.importfailed', { name: file.name }), error));
  } finally {
    button.disabled = false;
  }
}

function renderReport(r) {
  const counts = [
    ['lines', r.lines], ['accepted', r.accepted], ['duplicate', r.duplicate], ['invalid', r.invalid],
    ['do_not_call', r.do_not_call], ['over_frequency_cap', r.over_frequency_cap],
  ];
  fill($('#import-report'),
    h('div', { class: 'report', 'data-testid': 'import-report' },
      h('p', { class: r.invalid ? 'notice' : 'success', role: 'status' }, t('cp.imported', { accepted: number(r.accepted), lines: number(r.lines) })),
      h('dl', { class: 'facts' }, counts.flatMap(([key, n]) => [h('dt', {}, t(`cp.report.${key}`)), h('dd', { 'data-count': key }, number(n))])),
      r.problems?.length
        ? h('table', { class: 'problems' },
          h('caption', {}, t('cp.report.problems')),
          h('thead', {}, h('tr', {}, ['cp.report.line', 'cp.report.number', 'cp.report.reason'].map((k) => h('th', { scope: 'col' }, t(k))))),
          h('tbody', {}, r.problems.map((p) => h('tr', { 'data-line': p.line },
            h('td', { class: 'num' }, String(p.line)), h('td', {}, h('code', {}, p.number ?? '')), h('td', { class: 'server-message' }, p.reason)))))
        : null,
      r.problems_truncated ? h('p', { class: 'hint' }, t('cp.report.truncated')) : null,
    ));
}

/** The results as a CSV file: fetched with the key, saved from a blob URL. */
async function download() {
  const button = $('#cp-download');
  button.disabled = true;
  try {
    const blob = await api(`/v1/campaigns/${seg(id)}/results?format=csv`, { as: 'blob' });
    const url = URL.createObjectURL(blob);
    const link = h('a', { href: url, download: `${id}-results.csv`, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    // The download has started from the URL; it can go once the click is handled.
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  } catch (error) {
    said = { key: 'cp.downloadfailed', error };
    sayResult();
  } finally {
    button.disabled = false;
  }
}

/** Stops reading the campaign (the screen was left). */
export function stop() {
  clearTimeout(timer);
}


// Call history: the tenant's calls newest first, a page at a time, filtered by module,
// outcome and status; and one call's full record — a telephone call's progress,
// transcript, outcome, script error, timeline, and the call's audio where it was recorded.

import { api, seg } from './api.js';
import { $, h, fill, problem, when, duration } from './dom.js';
import {
  addTimelineRow, describeFailure, progressPill, renderOutcome, telephoneCard, transcriptLine,
} from './call-view.js';
import { t } from './i18n.js';

const PAGE_SIZE = 20;

let list;
let filter;
/** Cursors of the pages shown so far: `cursors[i]` is the `after` of page i. */
let cursors = [null];
let page = 0;
let next = null;

export function mount() {
  list = $('#history-list');
  filter = $('#history-filter');
  filter.addEventListener('submit', (e) => {
    e.preventDefault();
    cursors = [null];
    page = 0;
    load();
  });
  $('#history-older').addEventListener('click', () => {
    if (!next) return;
    cursors[page + 1] = next;
    page += 1;
    load();
  });
  $('#history-newer').addEventListener('click', () => {
    if (page === 0) return;
    page -= 1;
    load();
  });
}

export async function show() {
  try {
    const modules = await api('/v1/modules');
    const select = $('#filter-module');
    const chosen = select.value;
    fill(select, h('option', { value: '' }, t('history.anymodule')), ...modules.map((m) => h('option', { value: m.name }, m.name)));
    select.value = modules.some((m) => m.name === chosen) ? chosen : '';
  } catch {
    // The list below reports the problem.
  }
  load();
}

async function load() {
  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  for (const [name, id] of [['module', '#filter-module'], ['intent', '#filter-intent'], ['status', '#filter-status']]) {
    const value = $(id).value;
    if (value) query.set(name, value);
  }
  if (cursors[page]) query.set('after', cursors[page]);
  let answer;
  try {
    answer = await api(`/v1/calls?${query}`);
  } catch (error) {
    fill(list, problem(t('history.loadfailed'), error));
    return;
  }
  next = answer.next;
  $('#history-older').hidden = !next;
  $('#history-newer').hidden = page === 0;
  if (!answer.items.length) {
    fill(list, h('p', { class: 'hint' }, t(page === 0 ? 'history.nomatch' : 'history.nomore')));
    return;
  }
  fill(
    list,
    h('table', { class: 'calls' },
      h('caption', { class: 'visually-hidden' }, t('history.caption')),
      h('thead', {}, h('tr', {}, ...['call', 'started', 'module', 'status', 'outcome', 'disposition', 'length'].map((key) => h('th', { scope: 'col' }, t(key))))),
      h('tbody', {}, answer.items.map(row)),
    ),
  );
}

function row(c) {
  return h('tr', { 'data-call': c.call_id },
    h('td', {}, h('a', { href: `#/history/${encodeURIComponent(c.call_id)}` }, h('code', {}, c.call_id))),
    h('td', {}, when(c.created_at_ms)),
    h('td', {}, `${c.module} v${c.module_version}`),
    h('td', {}, c.status, c.progress ? [' ', progressPill(c.progress)] : null),
    h('td', {}, c.intent ?? '—', c.has_recording ? h('span', { class: 'pill', title: t('history.recorded') }, ` ♪ ${t('audio')}`) : null),
    h('td', {}, c.disposition ?? '—'),
    h('td', { class: 'num' }, c.ended_at_ms ? duration(c.ended_at_ms - c.created_at_ms) : '—'),
  );
}

/** Blob URL of the recording on screen, revoked when another call is shown. */
let recordingUrl = null;

/** The record screen (`#/history/{id}`). */
export const record = {
  mount() {},
  async show({ id }) {
    const body = $('#record-body');
    $('#record-title').textContent = t('history.call', { id });
    if (recordingUrl) URL.revokeObjectURL(recordingUrl);
    recordingUrl = null;
    fill(body, h('p', { class: 'hint' }, t('loading')));
    let view;
    try {
      view = await api(`/v1/calls/${seg(id)}`);
    } catch (error) {
      fill(body, problem(t('history.callfailed'), error));
      return;
    }
    fill(body, ...renderRecord(view));
    if (view.has_recording) loadRecording(id, $('#record-audio'));
  },
};

function renderRecord(view) {
  const rec = view.record;
  const parts = [
    h('div', { class: 'card' },
      h('dl', { class: 'facts' },
        h('dt', {}, t('module')), h('dd', {}, t('history.moduleversion', { module: view.module, n: view.module_version })),
        h('dt', {}, t('status')), h('dd', { 'data-testid': 'status' }, view.status),
        h('dt', {}, t('started')), h('dd', {}, when(view.created_at_ms)),
        h('dt', {}, t('ended')), h('dd', {}, view.ended_at_ms ? `${when(view.ended_at_ms)} (${duration(view.ended_at_ms - view.created_at_ms)})` : '—'),
        rec?.end ? [h('dt', {}, t('history.howended')), h('dd', {}, t('history.hungup', { by: rec.end.by, reason: rec.end.reason }))] : null,
        rec?.call ? [h('dt', {}, t('channel')), h('dd', {}, rec.call.channel)] : null,
        rec?.call && Object.keys(rec.call.variables ?? {}).length
          ? [h('dt', {}, t('variables')), h('dd', {}, Object.entries(rec.call.variables).map(([k, v]) => `${k}=${v}`).join(', '))]
          : null,
      ),
      view.has_recording ? h('div', {}, h('h2', {}, t('recording')), h('div', { id: 'record-audio' }, h('p', { class: 'hint' }, t('history.loadingaudio')))) : null,
    ),
  ];
  if (view.progress) parts.push(telephoneCard(view));
  if (!rec) {
    parts.push(h('p', { class: 'notice' }, noRecord(view.status)));
    return parts;
  }
  if (rec.error) {
    parts.push(problem(t('script.failed.ran'), { message: describeFailure(rec.error) }));
  }
  const outcome = h('div');
  renderOutcome(outcome, rec.outcome, { final: true });
  parts.push(h('div', { class: 'call-grid' },
    h('div', { class: 'card' }, h('h2', {}, t('transcript')),
      h('ol', { class: 'transcript' }, (rec.transcript ?? []).map((line) => transcriptLine(line.speaker, line.text)))),
    h('div', { class: 'card' }, h('h2', {}, t('outcome')), outcome),
  ));
  const tbody = h('tbody');
  for (const entry of rec.timeline ?? []) addTimelineRow(tbody, entry);
  parts.push(h('div', { class: 'card' }, h('h2', {}, t('timeline')),
    h('div', { class: 'timeline-scroll' }, h('table', { class: 'timeline' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('time')), h('th', { scope: 'col' }, t('kind')), h('th', { scope: 'col' }, t('what')))),
      tbody))));
  return parts;
}

/** Why a call has no record (yet). */
function noRecord(status) {
  switch (status) {
    case 'live': return t('history.norecord.live');
    case 'unanswered': return t('history.norecord.unanswered');
    default: return t('history.norecord');
  }
}

async function loadRecording(id, box) {
  try {
    const blob = await api(`/v1/calls/${seg(id)}/recording`, { as: 'blob' });
    recordingUrl = URL.createObjectURL(blob);
    fill(box, h('audio', { controls: true, src: recordingUrl, 'aria-label': t('history.audio.label') }));
  } catch (error) {
    fill(box, problem(t('recording.loadfailed'), error));
  }
}

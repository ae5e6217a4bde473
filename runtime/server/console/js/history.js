// Call history: the tenant's calls newest first, a page at a time, filtered by module,
// outcome and status; and one call's full record — a telephone call's progress,
// transcript, outcome, script error, timeline, and the call's audio where it was recorded.

import { api, seg } from './api.js';
import { $, h, fill, problem, when, duration } from './dom.js';
import {
  addTimelineRow, describeFailure, progressPill, renderOutcome, telephoneCard, transcriptLine,
} from './call-view.js';

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
    fill(select, h('option', { value: '' }, 'Any module'), ...modules.map((m) => h('option', { value: m.name }, m.name)));
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
    fill(list, problem('Could not load the calls.', error));
    return;
  }
  next = answer.next;
  $('#history-older').hidden = !next;
  $('#history-newer').hidden = page === 0;
  if (!answer.items.length) {
    fill(list, h('p', { class: 'hint' }, page === 0 ? 'No calls match.' : 'No more calls match.'));
    return;
  }
  fill(
    list,
    h('table', { class: 'calls' },
      h('caption', { class: 'visually-hidden' }, 'Calls, newest first'),
      h('thead', {}, h('tr', {}, ...['Call', 'Started', 'Module', 'Status', 'Outcome', 'Disposition', 'Length'].map((t) => h('th', { scope: 'col' }, t)))),
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
    h('td', {}, c.intent ?? '—', c.has_recording ? h('span', { class: 'pill', title: 'The call’s audio was recorded' }, ' ♪ audio') : null),
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
    $('#record-title').textContent = `Call ${id}`;
    if (recordingUrl) URL.revokeObjectURL(recordingUrl);
    recordingUrl = null;
    fill(body, h('p', { class: 'hint' }, 'Loading…'));
    let view;
    try {
      view = await api(`/v1/calls/${seg(id)}`);
    } catch (error) {
      fill(body, problem('Could not load this call.', error));
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
        h('dt', {}, 'Module'), h('dd', {}, `${view.module} version ${view.module_version}`),
        h('dt', {}, 'Status'), h('dd', { 'data-testid': 'status' }, view.status),
        h('dt', {}, 'Started'), h('dd', {}, when(view.created_at_ms)),
        h('dt', {}, 'Ended'), h('dd', {}, view.ended_at_ms ? `${when(view.ended_at_ms)} (${duration(view.ended_at_ms - view.created_at_ms)})` : '—'),
        rec?.end ? [h('dt', {}, 'How it ended'), h('dd', {}, `hung up by the ${rec.end.by}: ${rec.end.reason}`)] : null,
        rec?.call ? [h('dt', {}, 'Channel'), h('dd', {}, rec.call.channel)] : null,
        rec?.call && Object.keys(rec.call.variables ?? {}).length
          ? [h('dt', {}, 'Variables'), h('dd', {}, Object.entries(rec.call.variables).map(([k, v]) => `${k}=${v}`).join(', '))]
          : null,
      ),
      view.has_recording ? h('div', {}, h('h2', {}, 'Recording'), h('div', { id: 'record-audio' }, h('p', { class: 'hint' }, 'Loading the audio…'))) : null,
    ),
  ];
  if (view.progress) parts.push(telephoneCard(view));
  if (!rec) {
    parts.push(h('p', { class: 'notice' }, noRecord(view.status)));
    return parts;
  }
  if (rec.error) {
    parts.push(problem('The script failed on this call; the host’s fallback ran.', { message: describeFailure(rec.error) }));
  }
  const outcome = h('div');
  renderOutcome(outcome, rec.outcome, { final: true });
  parts.push(h('div', { class: 'call-grid' },
    h('div', { class: 'card' }, h('h2', {}, 'Transcript'),
      h('ol', { class: 'transcript' }, (rec.transcript ?? []).map((line) => transcriptLine(line.speaker, line.text)))),
    h('div', { class: 'card' }, h('h2', {}, 'Outcome'), outcome),
  ));
  const tbody = h('tbody');
  for (const entry of rec.timeline ?? []) addTimelineRow(tbody, entry);
  parts.push(h('div', { class: 'card' }, h('h2', {}, 'Timeline'),
    h('div', { class: 'timeline-scroll' }, h('table', { class: 'timeline' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Time'), h('th', { scope: 'col' }, 'Kind'), h('th', { scope: 'col' }, 'What'))),
      tbody))));
  return parts;
}

/** Why a call has no record (yet). */
function noRecord(status) {
  switch (status) {
    case 'live': return 'The call is still live: its record is written when it ends.';
    case 'unanswered': return 'Nobody answered this call, so its script never ran: there is no transcript or outcome.';
    default: return 'This call has no record: it never connected, or the server stopped while it was live.';
  }
}

async function loadRecording(id, box) {
  try {
    const blob = await api(`/v1/calls/${seg(id)}/recording`, { as: 'blob' });
    recordingUrl = URL.createObjectURL(blob);
    fill(box, h('audio', { controls: true, src: recordingUrl, 'aria-label': 'The call’s audio' }));
  } catch (error) {
    fill(box, problem('Could not load the recording.', error));
  }
}

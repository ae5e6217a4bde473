// How a call reads on screen, live or from its record: one line per event, action, log
// line or failure for the timeline; the transcript; the outcome; a script failure in
// words; a telephone call's progress. Used by the test call and the call history alike.

import { h, fill, offset, when, duration } from './dom.js';
import { t } from './i18n.js';

const quote = (text) => `“${text}”`;

/** An event delivered to the script, as one line. */
export function describeEvent(event) {
  switch (event.event) {
    case 'call_started': {
      const vars = Object.entries(event.variables ?? {}).map(([k, v]) => `${k}=${v}`).join(', ');
      return `call started: ${event.direction}, channel ${event.channel}${event.callee ? `, to ${event.callee}` : ''}${vars ? `; variables ${vars}` : ''}`;
    }
    case 'speech_started': return 'the customer started speaking';
    case 'partial_transcript': return `partial transcript ${quote(event.text)}`;
    case 'final_transcript': return `final transcript ${quote(event.text)} (confidence ${Number(event.confidence).toFixed(2)})`;
    case 'no_input': return `no input (${event.count} in a row)`;
    case 'dtmf': return `keys ${event.digits} (ended by ${String(event.ended_by).replace('_', ' ')})`;
    case 'playback_finished':
      return `playback ${event.id} ${event.interrupted ? `interrupted after ${event.played_ms} of ${event.total_ms} ms` : `finished (${event.total_ms} ms)`}`;
    case 'timer_fired': return `timer ${event.id} fired`;
    case 'audio_frame': return `audio frame (${event.samples?.length ?? 0} samples at ${event.sample_rate} Hz)`;
    case 'transfer_result': return event.status === 'connected' ? 'transfer connected' : `transfer failed: ${event.reason ?? ''}`;
    case 'hang_up': return `hang-up by ${event.by}: ${event.reason}`;
    default: return JSON.stringify(event);
  }
}

/** An action the script returned, as one line. */
export function describeAction(action) {
  const bargeIn = (a) => (a.barge_in ? ' (may be interrupted)' : '');
  switch (action.action) {
    case 'say': return `say ${quote(action.text)}${action.voice ? ` in voice ${action.voice}` : ''}${bargeIn(action)}`;
    case 'play': return `play prompt ${action.prompt}${bargeIn(action)}`;
    case 'stop_playback': return 'stop playback';
    case 'listen': {
      const parts = [];
      if (action.no_input_ms) parts.push(`no input after ${action.no_input_ms} ms`);
      if (action.hints?.length) parts.push(`hints ${action.hints.join(' / ')}`);
      if (action.dtmf) parts.push(`keypad up to ${action.dtmf.max_digits} keys`);
      return `listen${parts.length ? ` (${parts.join('; ')})` : ''}`;
    }
    case 'start_timer': return `start timer ${action.id} (${action.after_ms} ms)`;
    case 'cancel_timer': return `cancel timer ${action.id}`;
    case 'subscribe_audio': return `subscribe to audio at ${action.sample_rate} Hz`;
    case 'unsubscribe_audio': return 'unsubscribe from audio';
    case 'transfer': return `transfer to ${action.target}: ${action.reason}`;
    case 'hang_up': return `hang up: ${action.reason}`;
    case 'set_outcome': {
      const parts = [];
      if (action.intent) parts.push(`intent ${action.intent}`);
      if (action.disposition) parts.push(`disposition ${action.disposition}`);
      if (action.tags?.length) parts.push(`tags ${action.tags.join(', ')}`);
      const fields = Object.entries(action.fields ?? {});
      if (fields.length) parts.push(`fields ${fields.map(([k, v]) => `${k}=${v}`).join(', ')}`);
      return `set outcome: ${parts.join('; ') || 'nothing'}`;
    }
    case 'send_dtmf': return `send keys ${action.digits}`;
    default: return JSON.stringify(action);
  }
}

/** Customer input as the record keeps it. */
function describeInput(input) {
  switch (input.input) {
    case 'speech_started': return 'voice activity started';
    case 'partial': return `heard so far ${quote(input.transcript.text)}`;
    case 'final': return `said ${quote(input.transcript.text)}`;
    case 'dtmf': return `pressed ${input.digit}`;
    case 'audio': return 'audio';
    case 'transfer_result': return `transfer ${input.result.status}${input.result.reason ? `: ${input.result.reason}` : ''}`;
    case 'hang_up': return `hung up (${input.reason})`;
    default: return JSON.stringify(input);
  }
}

/** A script failure in words (the record stores only its kind and details). */
export function describeFailure(failure) {
  const d = failure.detail;
  switch (failure.kind) {
    case 'trap': return `the script crashed: ${d.message}`;
    case 'cpu_per_event': return `the script used more than its ${d.limit_ms} ms of CPU on one event`;
    case 'cpu_per_call': return `the script used more than its ${d.limit_ms} ms of CPU on the call`;
    case 'wall_clock_per_event': return `the script took more than ${d.limit_ms} ms to answer one event`;
    case 'memory': return `the script needed more than its ${d.limit_bytes} bytes of memory`;
    case 'too_many_actions': return `the script returned ${d.count} actions at once (the limit is ${d.limit})`;
    case 'string_too_long': return `the script returned a string of ${d.bytes} bytes (the limit is ${d.limit})`;
    case 'log_flood': return `the script logged more than ${d.limit_bytes} bytes`;
    case 'kv_flood': return `the script made more than ${d.limit} key-value calls`;
    case 'invalid_action': return `the script asked for something the host cannot do: ${d}`;
    case 'instantiate': return `the script could not be started: ${d}`;
    default: return JSON.stringify(failure);
  }
}

/**
 * One timeline row from a live message or a record entry: [kind, text, css class].
 * Returns null for entries with nothing to show.
 */
export function timelineRow(entry) {
  switch (entry.type) {
    case 'event': return ['event', describeEvent(entry.event), 'kind-event'];
    case 'action': return ['action', describeAction(entry.action), 'kind-action'];
    case 'log': {
      const line = entry.line ?? entry;
      return [`log ${line.level}`, line.message, `kind-log level-${line.level}`];
    }
    case 'ignored': return ['ignored', `${entry.what}: ${entry.why}`, 'kind-log'];
    case 'error': return ['script error', entry.message, 'kind-error'];
    case 'failure': return ['script error', describeFailure(entry.failure), 'kind-error'];
    case 'input': return ['customer', describeInput(entry.input), 'kind-log'];
    default: return null;
  }
}

/** Appends a row to a timeline `<tbody>`. */
export function addTimelineRow(tbody, entry) {
  const row = timelineRow(entry);
  if (!row) return;
  const [kind, text, cls] = row;
  tbody.append(h('tr', { class: cls }, h('td', {}, offset(entry.at_ms ?? 0)), h('td', {}, kind), h('td', {}, text)));
}


/** The outcome box: intent level, disposition, tags, fields. */
export function renderOutcome(container, outcome, { final = true } = {}) {
  const intent = outcome?.intent ?? null;
  const tags = outcome?.tags ?? [];
  const fields = Object.entries(outcome?.fields ?? {});
  fill(
    container,
    h('div', { class: 'outcome', 'data-final': final ? 'yes' : 'no' },
      h('p', {},
        h('span', { class: intent ? 'intent' : 'intent none', 'data-testid': 'intent', 'aria-label': t('outcome.intent.label', { level: intent ?? t('outcome.notset') }) }, intent ?? '—'),
        intent ? (/^[A-F]$/.test(intent) ? t(`intent.${intent}`) : '') : t('outcome.nointent'),
        final ? '' : h('span', { class: 'hint' }, ` ${t('outcome.sofar')}`),
      ),
      h('dl', { class: 'facts' },
        h('dt', {}, t('disposition')), h('dd', { 'data-testid': 'disposition' }, outcome?.disposition ?? '—'),
        h('dt', {}, t('tags')), h('dd', { 'data-testid': 'tags' }, tags.length ? tags.join(', ') : '—'),
        ...(fields.length
          ? fields.flatMap(([k, v]) => [h('dt', {}, h('code', {}, k)), h('dd', {}, v)])
          : [h('dt', {}, t('fields')), h('dd', {}, '—')]),
      ),
    ),
  );
}

/** Merges a `set_outcome` action into an outcome the way the host does. */
export function mergeOutcome(outcome, action) {
  const merged = { intent: outcome.intent, disposition: outcome.disposition, tags: [...outcome.tags], fields: { ...outcome.fields } };
  if (action.intent) merged.intent = action.intent;
  if (action.disposition) merged.disposition = action.disposition;
  for (const tag of action.tags ?? []) if (!merged.tags.includes(tag)) merged.tags.push(tag);
  Object.assign(merged.fields, action.fields ?? {});
  return merged;
}

/** A transcript line: who, what. */
export function transcriptLine(speaker, text, cls = '') {
  return h('li', { class: `${speaker} ${cls}`.trim() },
    h('span', { class: 'who' }, t(speaker === 'bot' ? 'bot' : 'customer')),
    h('span', { class: 'text' }, text),
  );
}

// Telephone (SIP) calls: `progress` in a call's summary says how far dialling got
// (docs/telephony.md). Dialling, ringing and answered are steps; every other state is
// why the call was not answered.

const PROGRESS_STEPS = ['dialing', 'ringing', 'answered'];

/** The states of a telephone call that was not answered (`progress.state`). */
const NOT_ANSWERED = ['busy', 'no-answer', 'rejected', 'invalid-number', 'unavailable', 'failed'];

/** Why a telephone call was not answered, in words, or null for an unknown state. */
function notAnswered(state) {
  return NOT_ANSWERED.includes(state) ? t(`phone.${state}`) : null;
}

/** Reason phrases of the SIP answers that decide a call's progress (RFC 3261). */
const SIP_REASONS = {
  180: 'Ringing',
  183: 'Session Progress',
  200: 'OK',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  480: 'Temporarily Unavailable',
  484: 'Address Incomplete',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  500: 'Server Internal Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Server Time-out',
  600: 'Busy Everywhere',
  603: 'Decline',
  604: 'Does Not Exist Anywhere',
};

/** Whether a telephone call got past dialling without an answer that ends it. */
export function progressIsStep(progress) {
  return PROGRESS_STEPS.includes(progress.state);
}

/** `SIP 486 Busy Here`, or '' when no SIP answer decided the state. */
export function sipCodeText(code) {
  if (code === null || code === undefined) return '';
  return `SIP ${code}${SIP_REASONS[code] ? ` ${SIP_REASONS[code]}` : ''}`;
}

/** The state as a list shows it: `busy 486`, `answered`, `no-answer`. */
export function progressShort(progress) {
  const code = progressIsStep(progress) ? null : progress.sip_code;
  return code === null || code === undefined ? progress.state : `${progress.state} ${code}`;
}

/** A pill for lists: `☎ busy 486`. */
export function progressPill(progress) {
  const steps = progressIsStep(progress);
  return h('span', {
    class: `pill phone ${steps ? 'step' : 'not-answered'}`,
    'data-state': progress.state,
    title: t('phone.title', { to: progress.to, sentence: progressSentence(progress) }),
  }, `☎ ${progressShort(progress)}`);
}

/** The state in a sentence: `not answered: the line is busy (SIP 486 Busy Here)`. */
export function progressSentence(progress) {
  const code = sipCodeText(progress.sip_code);
  switch (progress.state) {
    case 'dialing': return t('phone.dialling');
    case 'ringing': return t('phone.ringing');
    case 'answered': return t('phone.answered');
    default: {
      const why = notAnswered(progress.state) ?? progress.state;
      return t('phone.notanswered', { why, code: code ? ` (${code})` : '' });
    }
  }
}

/** What the state means for the call, `status` being the call's. */
function progressMeaning(progress, status) {
  switch (progress.state) {
    case 'dialing': return t('phone.m.dialling');
    case 'ringing': return t('phone.m.ringing');
    case 'answered': return t(status === 'live' ? 'phone.m.answered.live' : 'phone.m.answered');
    default: return t('phone.m.never', { why: notAnswered(progress.state) ?? t('phone.notanswered.short') });
  }
}

/** `after 2.5 s` since the call was dialled, or null when it never got there. */
function sinceDialled(progress, atMs) {
  return atMs ? t('phone.after', { time: duration(atMs - progress.dialed_at_ms) }) : null;
}

/**
 * The steps a telephone call went through, as list items: dialled, rang, answered — or
 * the reason it was not answered, with its SIP code. `endedAtMs` times the last.
 */
export function progressSteps(progress, endedAtMs) {
  const steps = [h('li', { 'data-state': 'dialing' }, h('strong', {}, t('phone.dialled')), ` ${when(progress.dialed_at_ms)}`)];
  if (progress.ringing_at_ms) {
    steps.push(h('li', { 'data-state': 'ringing' }, h('strong', {}, t('phone.rang')), ` ${sinceDialled(progress, progress.ringing_at_ms)}`));
  }
  if (progress.answered_at_ms) {
    steps.push(h('li', { 'data-state': 'answered' }, h('strong', {}, t('phone.answeredstep')), ` ${sinceDialled(progress, progress.answered_at_ms)}`));
  }
  if (!progressIsStep(progress)) {
    const code = sipCodeText(progress.sip_code);
    const at = sinceDialled(progress, endedAtMs);
    steps.push(h('li', { 'data-state': progress.state, class: 'not-answered' },
      h('strong', {}, progress.state), code ? ` — ${code}` : '', at ? `, ${at}` : ''));
  }
  return steps;
}

/** The "Telephone" card of a call's record: who called whom, where through, how far it got. */
export function telephoneCard(view) {
  const p = view.progress;
  const code = sipCodeText(p.sip_code);
  return h('div', { class: 'card telephone', 'data-testid': 'telephone' },
    h('h2', {}, t('telephone')),
    h('dl', { class: 'facts' },
      h('dt', {}, t('phone.fromto')), h('dd', { 'data-testid': 'numbers' }, `${p.from} → ${p.to}`),
      p.trunk ? [h('dt', {}, t('trunk')), h('dd', { 'data-testid': 'trunk' }, p.trunk)] : null,
      h('dt', {}, t('phone.progress')),
      h('dd', { 'data-testid': 'progress' }, h('strong', {}, p.state), code ? ` (${code})` : '', ` — ${progressMeaning(p, view.status)}`),
      h('dt', {}, t('phone.dialled')), h('dd', {}, when(p.dialed_at_ms)),
      h('dt', {}, t('phone.rang')), h('dd', {}, sinceDialled(p, p.ringing_at_ms) ?? t(view.status === 'live' ? 'phone.notyet' : 'phone.neverrang')),
      h('dt', {}, t('phone.answeredstep')), h('dd', {}, sinceDialled(p, p.answered_at_ms) ?? t(view.status === 'live' ? 'phone.notyet' : 'phone.notanswered.short')),
    ),
  );
}

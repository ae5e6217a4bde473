// The test call screen: pick a module, fill the call's variables, start a text or voice
// call, and talk to the bot — typed replies, the keypad, the microphone — while the
// transcript, the timeline of events, actions and log lines, and the outcome fill in.
// Or have the server dial a telephone (a SIP call) and watch how far it gets: the page
// polls the call's progress, and shows its outcome and record once it ends.

import { api, seg } from './api.js';
import { $, h, fill, problem, say } from './dom.js';
import { CallSocket, closeText } from './call-socket.js';
import { CallAudio, CODEC_NAMES, pickCodec, microphoneProblem } from './audio.js';
import { activeVersion } from './modules.js';
import {
  addTimelineRow, describeFailure, mergeOutcome, progressSentence, progressSteps, renderOutcome,
  transcriptLine,
} from './call-view.js';
import { t } from './i18n.js';

const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'];

/** The call in progress (or the last one): socket, audio, what has been seen. */
let call = null;
/** The settings of the last call started, for "start a new call with the same settings". */
let lastSettings = null;
/** The telephone call being watched (or the last one): `{ id, live, timer }`. */
let phoneCall = null;
/**
 * How often a telephone call's progress is read. A carrier's 180 or 486 comes within a
 * few hundred milliseconds of the INVITE; twice a second shows each step as it happens
 * at the cost of one small GET, and a person does not notice the lag.
 */
const PROGRESS_POLL_MS = 500;
let modules = [];

const el = {};

export function mount() {
  for (const id of [
    'call-form', 'call-module', 'call-version', 'call-vars', 'call-codec', 'call-setup',
    'call-setup-error', 'call-panel', 'call-status', 'call-reconnect', 'call-audio-status',
    'mic-level', 'mute', 'bot-speaking', 'transcript', 'reply-form', 'reply-text', 'keypad',
    'hang-up', 'call-outcome', 'call-error', 'call-record-link', 'timeline', 'transfer-box',
    'transfer-text', 'start-voice', 'audio-counters', 'sip-settings', 'sip-to', 'sip-trunk',
    'sip-from', 'sip-ring', 'start-sip', 'sip-panel', 'sip-status', 'sip-numbers', 'sip-steps',
    'sip-error', 'sip-record-link', 'sip-outcome',
  ]) {
    el[id.replace(/-(\w)/g, (_, c) => c.toUpperCase())] = $(`#${id}`);
  }
  el.callModule.addEventListener('change', fillVersions);
  $('#add-var').addEventListener('click', () => addVariable('', '', true));
  addVariable('', '');
  el.callForm.addEventListener('submit', (e) => {
    e.preventDefault();
    // Enter in a phone call field means "Call", not the form's first button.
    if (el.sipSettings.contains(document.activeElement)) start({ phone: true });
    else start({ voice: false });
  });
  el.startVoice.addEventListener('click', () => start({ voice: true }));
  el.startSip.addEventListener('click', () => start({ phone: true }));
  $('#reconnect').addEventListener('click', () => {
    if (lastSettings) begin(lastSettings);
  });
  el.replyForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const text = el.replyText.value.trim();
    if (!text) return;
    if (send({ type: 'text', text })) el.replyText.value = '';
  });
  for (const key of KEYS) {
    el.keypad.append(h('button', { type: 'button', 'aria-label': t('call.key', { key }), onclick: () => send({ type: 'dtmf', digit: key }) }, key));
  }
  // With focus on the keypad, typing a key presses it.
  el.keypad.addEventListener('keydown', (e) => {
    if (KEYS.includes(e.key)) {
      e.preventDefault();
      send({ type: 'dtmf', digit: e.key });
    }
  });
  el.hangUp.addEventListener('click', () => {
    if (!send({ type: 'hangup' })) finish();
  });
  $('#transfer-ok').addEventListener('click', () => answerTransfer(true));
  $('#transfer-fail').addEventListener('click', () => answerTransfer(false));
  el.mute.addEventListener('click', () => {
    const muted = el.mute.getAttribute('aria-pressed') !== 'true';
    el.mute.setAttribute('aria-pressed', String(muted));
    el.mute.textContent = t(muted ? 'call.unmute' : 'call.mute');
    call?.audio?.setMuted(muted);
  });
}

export async function show(params) {
  try {
    modules = await api('/v1/modules');
  } catch (error) {
    fill(el.callSetupError, problem(t('modules.loadfailed'), error));
    el.callSetupError.hidden = false;
    return;
  }
  const wanted = params.query.get('module') ?? el.callModule.value;
  fill(el.callModule, ...modules.map((m) => h('option', { value: m.name }, m.name)));
  if (!modules.length) {
    fill(el.callSetupError, problem(t('call.needmodule')));
    el.callSetupError.hidden = false;
  } else if (!call || call.ended) {
    say(el.callSetupError, '');
  }
  if (modules.some((m) => m.name === wanted)) el.callModule.value = wanted;
  fillVersions();
}

function fillVersions() {
  const module = modules.find((m) => m.name === el.callModule.value);
  if (!module) {
    fill(el.callVersion);
    return;
  }
  const active = activeVersion(module);
  fill(
    el.callVersion,
    h('option', { value: '' }, t('call.activeversion', { n: active })),
    ...[...module.versions].sort((a, b) => b.version - a.version).map((v) => h('option', { value: v.version }, t('version.n', { n: v.version }))),
  );
}

function addVariable(key, value, focus = false) {
  const n = el.callVars.rows.length + 1;
  const name = h('input', { 'aria-label': t('call.var.name', { n }), value: key, spellcheck: 'false', class: 'var-key' });
  const val = h('input', { 'aria-label': t('call.var.value', { n }), value, class: 'var-value' });
  const row = h('tr', {},
    h('td', {}, name),
    h('td', {}, val),
    h('td', {}, h('button', { type: 'button', class: 'quiet', 'aria-label': t('call.var.remove', { n }), onclick: () => row.remove() }, '✕')),
  );
  el.callVars.append(row);
  if (focus) name.focus();
}

function variables() {
  const vars = {};
  for (const row of el.callVars.rows) {
    const key = $('.var-key', row).value.trim();
    if (key) vars[key] = $('.var-value', row).value;
  }
  return vars;
}

/** From the form: the call's settings. */
function start({ voice = false, phone = false }) {
  const module = el.callModule.value;
  if (!module) {
    fill(el.callSetupError, problem(t('call.choosemodule')));
    el.callSetupError.hidden = false;
    return;
  }
  const version = el.callVersion.value ? Number(el.callVersion.value) : null;
  if (phone) placePhoneCall({ module, version, variables: variables() });
  else begin({ module, version, variables: variables(), voice, codec: el.callCodec.value });
}

function setStatus(text) {
  el.callStatus.textContent = text;
}

function resetPanel(voice) {
  el.sipPanel.hidden = true;
  el.callPanel.hidden = false;
  el.transcript.replaceChildren();
  el.timeline.replaceChildren();
  fill(el.callOutcome, h('p', { class: 'hint' }, t('call.notyet')));
  el.callError.replaceChildren();
  el.callReconnect.hidden = true;
  el.callRecordLink.hidden = true;
  el.transferBox.hidden = true;
  el.callAudioStatus.hidden = true;
  el.botSpeaking.hidden = true;
  el.audioCounters.textContent = '';
  el.audioCounters.hidden = !voice;
  delete el.audioCounters.dataset.receivedMs;
  delete el.audioCounters.dataset.sentMs;
  el.mute.setAttribute('aria-pressed', 'false');
  el.mute.textContent = t('call.mute');
}

/** Creates the call and connects. Must run inside the click (audio needs the gesture). */
async function begin(settings) {
  if ((call && !call.ended) || phoneCall?.live) return;
  lastSettings = settings;
  // Browsers start audio only from a user gesture: the context is made before any await.
  const context = settings.voice ? new AudioContext({ latencyHint: 'interactive' }) : null;
  resetPanel(settings.voice);
  say(el.callSetupError, '');
  el.callSetup.disabled = true;
  setStatus(t(settings.voice ? 'call.startingmic' : 'call.starting'));
  const current = {
    id: null, socket: null, audio: null, ended: false, connected: false, outcomeSeen: false,
    outcome: { intent: null, disposition: null, tags: [], fields: {} }, partial: null,
  };
  call = current;
  try {
    let codec = null;
    if (settings.voice) {
      codec = await pickCodec(settings.codec);
      current.audio = new CallAudio(context, codec, {
        frame: (bytes) => current.socket?.sendAudio(bytes),
        level: (level) => { el.micLevel.value = Math.min(1, level * 4); },
        speaking: (speaking) => { el.botSpeaking.hidden = !speaking; },
        counters: ({ sentMs, receivedMs }) => {
          el.audioCounters.textContent = t('call.audiocounters', { sent: (sentMs / 1000).toFixed(1), received: (receivedMs / 1000).toFixed(1) });
          el.audioCounters.dataset.receivedMs = receivedMs;
          el.audioCounters.dataset.sentMs = sentMs;
        },
        error: (message) => showError(t('call.audioproblem'), message),
      });
      try {
        await current.audio.open();
      } catch (error) {
        throw new Error(microphoneProblem(error));
      }
    }
    const body = { module: settings.module, variables: settings.variables, channel: settings.voice ? 'browser' : 'text' };
    if (settings.version) body.version = settings.version;
    setStatus(t('call.creating'));
    const created = await api('/v1/calls', { method: 'POST', json: body });
    current.id = created.call_id;
    const url = settings.voice ? `${created.ws_url}&audio=${codec}` : created.ws_url;
    setStatus(t('call.connecting'));
    current.socket = new CallSocket(url, {
      open: () => {
        current.connected = true;
        setStatus(settings.voice ? t('call.inprogress.voice', { codec: CODEC_NAMES[codec] }) : t('call.inprogress'));
        if (current.audio) {
          el.callAudioStatus.hidden = false;
          current.audio.startSending();
        }
        el.callRecordLink.hidden = false;
        fill(el.callRecordLink, h('a', { href: `#/history/${encodeURIComponent(current.id)}` }, t('call.openrecord')));
        el.replyText.focus();
      },
      message: (message) => received(current, message),
      audio: (bytes) => current.audio?.received(bytes),
      close: ({ code, reason }) => closed(current, code, reason),
    });
  } catch (error) {
    current.ended = true;
    current.audio?.close();
    if (!current.audio) context?.close();
    el.callSetup.disabled = false;
    el.callPanel.hidden = true;
    fill(el.callSetupError, problem(t('call.startfailed'), error));
    el.callSetupError.hidden = false;
  }
}

function send(message) {
  if (!call || call.ended || !call.socket?.send(message)) {
    showError(t('call.notconnected'), t('call.nocall'));
    return false;
  }
  return true;
}

function answerTransfer(connected) {
  el.transferBox.hidden = true;
  send(connected ? { type: 'transfer_result', connected: true } : { type: 'transfer_result', connected: false, reason: 'no agent answered' });
}

function showError(title, message) {
  el.callError.append(problem(title, { message }));
}

/** Appends a transcript line and keeps the newest in view. */
function addLine(li) {
  el.transcript.append(li);
  el.transcript.scrollTop = el.transcript.scrollHeight;
  return li;
}

function addTimeline(entry) {
  const box = el.timeline.closest('.timeline-scroll');
  const atEnd = box.scrollTop + box.clientHeight >= box.scrollHeight - 8;
  addTimelineRow(el.timeline, entry);
  if (atEnd) box.scrollTop = box.scrollHeight;
}

function received(current, m) {
  if (current !== call) return;
  switch (m.type) {
    case 'event':
      addTimeline(m);
      transcriptEvent(current, m.event);
      break;
    case 'action':
      addTimeline(m);
      if (m.action.action === 'set_outcome') {
        current.outcome = mergeOutcome(current.outcome, m.action);
        if (!current.outcomeSeen) renderOutcome(el.callOutcome, current.outcome, { final: false });
      }
      break;
    case 'log':
    case 'ignored':
      addTimeline(m);
      break;
    case 'error':
      addTimeline(m);
      el.callError.append(problem(t('script.failed.runs'), { message: m.message ?? describeFailure(m.failure) }));
      break;
    case 'say':
      addLine(transcriptLine('bot', m.text)).dataset.id = m.id;
      break;
    case 'play':
      addLine(transcriptLine('bot', t('call.recordedprompt', { prompt: m.prompt }))).dataset.id = m.id;
      break;
    case 'say_parts':
      // Prompts in brackets, text as spoken: `[greeting-a] 张三 [greeting-b]`.
      addLine(transcriptLine('bot', m.text)).dataset.id = m.id;
      break;
    case 'stop_playback':
      current.audio?.flush();
      break;
    case 'listen':
      setStatus(t(m.dtmf ? 'call.listening.keys' : 'call.listening'));
      break;
    case 'transfer':
      el.transferText.textContent = t('call.transfer', { target: m.target, reason: m.reason });
      el.transferBox.hidden = false;
      break;
    case 'send_dtmf':
      addLine(transcriptLine('bot', t('call.sendskeys', { digits: m.digits })));
      break;
    case 'hangup':
      setStatus(t('call.hungup', { by: m.by, reason: m.reason }));
      break;
    case 'outcome':
      current.outcomeSeen = true;
      renderOutcome(el.callOutcome, m, { final: true });
      break;
    case 'bad_message':
      showError(t('call.badmessage'), m.message);
      break;
    default:
      break;
  }
}

/** Customer speech and interruptions, as the script sees them. */
function transcriptEvent(current, event) {
  if (event.event === 'partial_transcript') {
    if (!current.partial) current.partial = addLine(transcriptLine('customer', '', 'partial'));
    $('.text', current.partial).textContent = event.text;
  } else if (event.event === 'final_transcript') {
    const li = current.partial ?? addLine(transcriptLine('customer', ''));
    li.classList.remove('partial');
    $('.text', li).textContent = event.text;
    current.partial = null;
  } else if (event.event === 'dtmf') {
    addLine(transcriptLine('customer', t('call.keys', { digits: event.digits })));
  } else if (event.event === 'playback_finished' && event.interrupted) {
    const li = el.transcript.querySelector(`li.bot[data-id="${CSS.escape(event.id)}"]`);
    if (li && !li.classList.contains('cut')) {
      li.classList.add('cut');
      li.append(h('span', { class: 'hint' }, ` ${t('call.interrupted', { secs: (event.played_ms / 1000).toFixed(1) })}`));
    }
  }
}

function closed(current, code, reason) {
  if (current.ended) return;
  current.ended = true;
  current.audio?.close();
  el.callSetup.disabled = false;
  el.transferBox.hidden = true;
  el.callAudioStatus.hidden = true;
  const text = closeText(code, reason, current.outcomeSeen);
  setStatus(text);
  if (code !== 1000 && !current.outcomeSeen) {
    el.callReconnect.hidden = false;
    el.callReconnect.setAttribute('role', 'alert');
  }
  if (!current.connected) el.callRecordLink.hidden = true;
}

/** Ends the call from the page's side (hang-up without a connection, sign-out). */
function finish() {
  if (!call || call.ended) return;
  call.socket?.close();
  closed(call, 1000, '');
}

/**
 * Called on sign-out: the customer hangs up, so the record says so. A telephone call
 * goes on at the server (it has no hang-up from here); the page stops reading it.
 */
export function hangUpIfLive() {
  if (call && !call.ended) {
    call.socket?.send({ type: 'hangup' });
    finish();
  }
  if (phoneCall?.live) stopWatching(phoneCall);
}

// ---- Telephone (SIP) calls -------------------------------------------------------------

/** A problem with the phone call's fields, shown where the setup's problems go. */
function phoneFieldProblem(text, field) {
  fill(el.callSetupError, problem(text));
  el.callSetupError.hidden = false;
  el.sipSettings.open = true;
  field.focus();
}

/** Places a telephone call with the form's number, trunk, caller ID and ring timeout. */
async function placePhoneCall(settings) {
  if ((call && !call.ended) || phoneCall?.live) return;
  const to = el.sipTo.value.trim();
  const trunk = el.sipTrunk.value.trim();
  const from = el.sipFrom.value.trim();
  const ring = el.sipRing.value.trim();
  if (!to) return phoneFieldProblem(t('call.enter.to'), el.sipTo);
  if (!trunk) return phoneFieldProblem(t('call.enter.trunk'), el.sipTrunk);
  if (ring && !(/^\d+$/.test(ring) && Number(ring) >= 1 && Number(ring) <= 120)) return phoneFieldProblem(t('call.enter.ring'), el.sipRing);
  const body = { module: settings.module, variables: settings.variables, channel: 'sip', to, trunk };
  if (settings.version) body.version = settings.version;
  if (from) body.from = from;
  if (ring) body.ring_timeout_secs = Number(ring);

  const current = { id: null, live: true, timer: null };
  phoneCall = current;
  say(el.callSetupError, '');
  el.callSetup.disabled = true;
  el.callPanel.hidden = true;
  el.sipPanel.hidden = false;
  el.sipStatus.textContent = t('call.placing', { to });
  delete el.sipStatus.dataset.state;
  el.sipNumbers.textContent = '';
  el.sipSteps.replaceChildren();
  el.sipError.replaceChildren();
  el.sipRecordLink.hidden = true;
  fill(el.sipOutcome, h('p', { class: 'hint' }, t('call.onceends')));
  try {
    const created = await api('/v1/calls', { method: 'POST', json: body });
    current.id = created.call_id;
  } catch (error) {
    current.live = false;
    el.callSetup.disabled = false;
    el.sipPanel.hidden = true;
    fill(el.callSetupError, problem(t('call.placefailed'), error));
    el.callSetupError.hidden = false;
    return;
  }
  fill(el.sipRecordLink, h('a', { href: `#/history/${encodeURIComponent(current.id)}` }, t('call.openrecord')));
  el.sipRecordLink.hidden = false;
  followProgress(current);
}

/** Reads the call, shows how far it got, and comes back while it is live. */
async function followProgress(current) {
  if (current !== phoneCall || !current.live) return;
  let view;
  try {
    view = await api(`/v1/calls/${seg(current.id)}`);
  } catch (error) {
    if (current !== phoneCall || !current.live) return;
    stopWatching(current);
    el.sipError.append(problem(t('call.progressfailed'), error));
    return;
  }
  if (current !== phoneCall || !current.live) return;
  showProgress(view);
  if (view.status === 'live') {
    current.timer = setTimeout(() => followProgress(current), PROGRESS_POLL_MS);
  } else {
    stopWatching(current);
    showPhoneOutcome(view);
  }
}

function stopWatching(current) {
  current.live = false;
  clearTimeout(current.timer);
  if (current === phoneCall) el.callSetup.disabled = false;
}

/** `dialing` → `ringing` → `answered`, or why not, as the call goes. */
function showProgress(view) {
  const p = view.progress;
  if (!p) return;
  el.sipStatus.dataset.state = p.state;
  el.sipNumbers.textContent = `${p.from} → ${p.to}${p.trunk ? t('call.throughtrunk', { trunk: p.trunk }) : ''}`;
  fill(el.sipSteps, ...progressSteps(p, view.status === 'live' ? null : view.ended_at_ms));
  if (view.status !== 'live') return;
  el.sipStatus.textContent = {
    dialing: t('call.s.dialling', { to: p.to }),
    ringing: t('call.s.ringing', { to: p.to }),
    answered: t('call.s.answered', { to: p.to }),
  }[p.state] ?? `${p.state}…`;
}

/** The call has ended: how, and its outcome when its script ran. */
function showPhoneOutcome(view) {
  const rec = view.record;
  const sentence = view.progress ? progressSentence(view.progress) : '';
  switch (view.status) {
    case 'unanswered':
      el.sipStatus.textContent = t('sentence', { s: `${sentence.charAt(0).toUpperCase()}${sentence.slice(1)}` });
      break;
    case 'completed':
      el.sipStatus.textContent = rec?.end ? t('call.ended.by', { reason: rec.end.reason, by: rec.end.by }) : t('call.ended');
      break;
    case 'failed':
      el.sipStatus.textContent = t('call.ended.failed');
      break;
    default:
      el.sipStatus.textContent = t('call.ended.status', { status: view.status });
  }
  if (!rec) {
    fill(el.sipOutcome, h('p', { class: 'hint' }, view.status === 'unanswered'
      ? t('call.none.unanswered')
      : t('call.none.norecord')));
    return;
  }
  renderOutcome(el.sipOutcome, rec.outcome, { final: true });
  if (rec.error) el.sipOutcome.append(problem(t('script.failed.ran'), { message: describeFailure(rec.error) }));
}

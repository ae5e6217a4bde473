// The call WebSocket (docs/protocols/text-websocket.md): JSON messages both ways, binary
// audio frames on a voice call, and what each close code means to a person.

import { t } from './i18n.js';

/** Why the socket closed, in words. `outcomeSeen` says whether the call ended properly. */
export function closeText(code, reason, outcomeSeen) {
  switch (code) {
    case 1000: {
      const why = reason.replace(/^call ended:\s*/, '');
      return why ? t('close.ended.why', { why }) : t('call.ended');
    }
    case 1001:
      return t('close.1001');
    case 1003:
      return t('close.1003', { reason: reason ? ` (${reason})` : '' });
    case 4001:
      return t('close.4001');
    case 4004:
      return t('close.4004', { reason: reason ? t('close.said', { reason }) : '' });
    case 1011:
      return t('close.1011', { reason: reason || t('close.problem') });
    default:
      return outcomeSeen
        ? t('call.ended')
        : t('close.lost');
  }
}

export class CallSocket {
  /**
   * `handlers`: `message(json)`, `audio(ArrayBuffer)`, `open()`, `close({code, reason})`.
   */
  constructor(url, handlers) {
    this.handlers = handlers;
    this.ws = new WebSocket(url);
    this.ws.binaryType = 'arraybuffer';
    this.ws.addEventListener('open', () => handlers.open?.());
    this.ws.addEventListener('message', (e) => {
      if (typeof e.data === 'string') {
        let message;
        try {
          message = JSON.parse(e.data);
        } catch {
          return;
        }
        handlers.message?.(message);
      } else {
        handlers.audio?.(e.data);
      }
    });
    this.ws.addEventListener('close', (e) => handlers.close?.({ code: e.code, reason: e.reason }));
  }

  get open() {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(message) {
    if (this.open) this.ws.send(JSON.stringify(message));
    return this.open;
  }

  /**
   * One audio frame. Frames are dropped rather than queued when the socket is backed up
   * (over half a second unsent): late speech is worse than a gap.
   */
  sendAudio(bytes) {
    if (this.open && this.ws.bufferedAmount < 32_000) this.ws.send(bytes);
  }

  close() {
    if (this.ws.readyState <= WebSocket.OPEN) this.ws.close(1000, 'closed by the console');
  }
}

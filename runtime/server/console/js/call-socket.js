// The call WebSocket (docs/protocols/text-websocket.md): JSON messages both ways, binary
// audio frames on a voice call, and what each close code means to a person.

/** Why the socket closed, in words. `outcomeSeen` says whether the call ended properly. */
export function closeText(code, reason, outcomeSeen) {
  switch (code) {
    case 1000: {
      const why = reason.replace(/^call ended:\s*/, '');
      return `The call has ended${why ? ` (${why})` : ''}.`;
    }
    case 1001:
      return 'The server is shutting down: the call was hung up.';
    case 1003:
      return `The server does not take this audio format${reason ? ` (${reason})` : ''}. Choose the other one under Voice settings and start a new call.`;
    case 4001:
      return 'The server refused the call’s token. Start a new call.';
    case 4004:
      return `This call is no longer waiting to connect (it expired, or something else connected to it first). Start a new call.${reason ? ` The server said: ${reason}` : ''}`;
    case 1011:
      return `The call could not start: ${reason || 'the server had a problem'}.`;
    default:
      return outcomeSeen
        ? 'The call has ended.'
        : 'Connection lost: the call’s connection dropped before the call ended. A call cannot be resumed; start a new one to go on testing.';
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

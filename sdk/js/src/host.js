// The host's imports: the call's log and the tenant's key-value store (keys ≤ 256 bytes,
// values ≤ 64 KiB, every operation counted against the call's budget).

// The version is the package's in wit/ (huashu:dialogue@0.2.0): bump them together, or the
// server refuses the component for mixing two contract versions.
import { write } from 'huashu:dialogue/log@0.2.0';
import * as store from 'huashu:dialogue/kv@0.2.0';

/** `log.info('rating 5')`: lines appear in the call record's timeline. */
export const log = {
  debug: (message) => write('debug', message),
  info: (message) => write('info', message),
  warn: (message) => write('warn', message),
  error: (message) => write('error', message),
};

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * `kv.get(key)` (a Uint8Array or undefined), `kv.getString(key)`, `kv.set(key, bytes or
 * string)`, `kv.delete(key)`. A failure throws the contract's `kv-error` (`{ tag, val }`)
 * as the error's `payload`.
 */
export const kv = {
  get: (key) => store.get(key),
  getString: (key) => {
    const bytes = store.get(key);
    return bytes === undefined ? undefined : decoder.decode(bytes);
  },
  set: (key, value) => store.set(key, typeof value === 'string' ? encoder.encode(value) : value),
  delete: (key) => store.delete(key),
};

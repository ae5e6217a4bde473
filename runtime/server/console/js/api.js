// The HTTP API client and the signed-in session. Every request carries the key in the
// Authorization header; the key lives in session storage (this tab only) and never in a
// URL. Failures become `ApiError`s whose message is the server's own words; the hint
// beside it (what to do) is in the page's language.

import { t } from './i18n.js';

const KEY = 'huashu.key';
const ROLE = 'huashu.role';

export const session = {
  /** The API key or operator token, or null when signed out. */
  get key() {
    return sessionStorage.getItem(KEY);
  },
  /** `tenant` or `operator`. */
  get role() {
    return sessionStorage.getItem(ROLE);
  },
  signIn(key, role) {
    sessionStorage.setItem(KEY, key);
    sessionStorage.setItem(ROLE, role);
  },
  signOut() {
    sessionStorage.removeItem(KEY);
    sessionStorage.removeItem(ROLE);
  },
};

/** A request that failed: `message` is what the server said, `hint` what to do about it. */
export class ApiError extends Error {
  constructor(status, code, message, hint = '') {
    super(message);
    this.status = status;
    this.code = code;
    this.hint = hint;
  }
}

/** What a person can do about a failure, by HTTP status. */
function hintFor(status, code) {
  if (status === 0) return t('hint.network');
  if (status === 401) return t('hint.401');
  if (code === 'quota_exceeded') return t('hint.quota');
  if (code === 'tenant_disabled') return t('hint.disabled');
  if (code === 'shutting_down') return t('hint.shutdown');
  // Telephone calls (docs/telephony.md).
  if (code === 'unknown_trunk') return t('hint.trunk');
  if (code === 'invalid_number') return t('hint.number');
  if (code === 'caller_id_not_in_pool') return t('hint.callerid');
  if (code === 'trunk_busy' || code === 'trunk_rate_limited') return t('hint.trunkbusy');
  if (code === 'sip_unavailable') return t('hint.sip');
  if (code === 'campaigns_unavailable') return t('hint.campaigns');
  if (status >= 500) return t('hint.500');
  return '';
}

/** Listeners told when the key stops working (401), so the page can ask to sign in. */
const unauthorizedListeners = new Set();
export function onUnauthorized(listener) {
  unauthorizedListeners.add(listener);
}

/**
 * `api('/v1/modules')`. Options: `method`, `json` (a body to send as JSON), `body` (raw
 * bytes, sent as `type`), `as` (`json`, the default, or `blob`), `key` (instead of the
 * session's).
 */
export async function api(path, { method = 'GET', json, body, type = 'application/octet-stream', as = 'json', key } = {}) {
  const headers = { Authorization: `Bearer ${key ?? session.key ?? ''}` };
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (body !== undefined) {
    headers['Content-Type'] = type;
  }
  let response;
  try {
    response = await fetch(path, { method, headers, body, cache: 'no-store' });
  } catch {
    throw new ApiError(0, 'network', t('api.unreachable'), hintFor(0));
  }
  if (!response.ok) {
    let code = 'http_error';
    let message = t('api.status', { status: `${response.status} ${response.statusText}`.trim() });
    try {
      const answer = await response.json();
      if (answer?.error?.message) {
        code = answer.error.code ?? code;
        message = answer.error.message;
      }
    } catch {
      // Not JSON (a proxy's error page): keep the status line.
    }
    const error = new ApiError(response.status, code, message, hintFor(response.status, code));
    if (response.status === 401 && key === undefined) {
      for (const listener of unauthorizedListeners) listener(error);
    }
    throw error;
  }
  if (response.status === 204) return null;
  return as === 'blob' ? response.blob() : response.json();
}

/** Path segments are names the user typed: keep them one segment each. */
export const seg = encodeURIComponent;

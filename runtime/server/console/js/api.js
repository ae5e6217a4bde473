// The HTTP API client and the signed-in session. Every request carries the key in the
// Authorization header; the key lives in session storage (this tab only) and never in a
// URL. Failures become `ApiError`s whose message is the server's own words.

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
  if (status === 0) return 'Check that huashu serve is running and reachable from this browser, then try again.';
  if (status === 401) return 'Sign out and sign in again with a valid key.';
  if (code === 'quota_exceeded') return 'Wait for live calls to end, or ask the operator to raise the quota.';
  if (code === 'tenant_disabled') return 'The operator has disabled this tenant.';
  if (code === 'shutting_down') return 'The server is stopping; try again once it is back.';
  // Telephone calls (docs/telephony.md).
  if (code === 'unknown_trunk') return 'Check the trunk’s name: the operator creates trunks and grants them to tenants.';
  if (code === 'invalid_number') return 'Write the number in E.164 form, with the country code: +8613800138000.';
  if (code === 'caller_id_not_in_pool') return 'Leave the caller ID empty to use the trunk’s numbers, or ask the operator which ones it has.';
  if (code === 'trunk_busy' || code === 'trunk_rate_limited') return 'The trunk is at the limit the carrier sold; wait a moment and call again.';
  if (code === 'sip_unavailable') return 'The operator has to start the server with --sip-listen (see docs/telephony.md).';
  if (status >= 500) return 'The server had a problem; try again in a moment.';
  return '';
}

/** Listeners told when the key stops working (401), so the page can ask to sign in. */
const unauthorizedListeners = new Set();
export function onUnauthorized(listener) {
  unauthorizedListeners.add(listener);
}

/**
 * `api('/v1/modules')`. Options: `method`, `json` (a body to send as JSON), `body` (raw
 * bytes), `as` (`json`, the default, or `blob`), `key` (instead of the session's).
 */
export async function api(path, { method = 'GET', json, body, as = 'json', key } = {}) {
  const headers = { Authorization: `Bearer ${key ?? session.key ?? ''}` };
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/octet-stream';
  }
  let response;
  try {
    response = await fetch(path, { method, headers, body, cache: 'no-store' });
  } catch {
    throw new ApiError(0, 'network', 'The server could not be reached.', hintFor(0));
  }
  if (!response.ok) {
    let code = 'http_error';
    let message = `The server answered ${response.status} ${response.statusText}.`;
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

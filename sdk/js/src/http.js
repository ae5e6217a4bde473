// Outbound HTTP: `http.get` / `http.post`… build the `http-request` action that calls one
// of the tenant's own systems (a CRM, a coupon service…); `HttpResult` reads the
// `http-response` event that answers it later (`onHttpResponse`), shaped like a fetch
// Response (`ok`, `status`, `json()`, `header(name)`).
//
// A request is an action and its answer an event, not a call that blocks (there is no
// fetch and no await in a handler): the handler returns at once, so prompts keep playing and
// timers keep running while the request is in flight, and the answer is recorded in the
// call's timeline, which is what lets `huashu replay` and `huashu test` feed it back
// exactly. Only URLs on the tenant's allowlist are reached; secrets are named, never seen.
//
//   out.say('请稍等。');
//   out.http(http.post('https://coupons.example.com/v1/coupons', {
//     json: { phone: call.callee, campaign: 'birthday' },
//     secretHeaders: { authorization: 'coupon-api-token' },
//     id: 'coupon',
//   }));
//
//   onHttpResponse(result, out) {
//     try { const { code } = result.json(); … } catch (failure) { log.warn(failure.message); }
//   }

// How much of an error body a message quotes: enough for a service's explanation, short
// enough for one line of the call log.
const QUOTED_BODY_CHARS = 200;

function pairs(headers) {
  if (!headers) return [];
  const entries = Array.isArray(headers) ? headers : Object.entries(headers);
  return entries.map(([name, value]) => [String(name), String(value)]);
}

/**
 * The `http-request` action for `method` (GET, HEAD, POST, PUT, PATCH, DELETE) and the
 * absolute `url`; add it with `out.http(…)`. Options:
 * - `json`: a value sent as the body with `content-type: application/json`;
 * - `body`: a text body instead (say what it is in `headers`);
 * - `headers`: an object (or [name, value] pairs) of request headers;
 * - `secretHeaders`: header name → the name of a tenant secret (`PUT /v1/secrets/{name}`),
 *   put in by the host and never seen by the script;
 * - `readHeaders`: response headers to hand back (`content-type` always is);
 * - `timeoutMs`: 0 for the tenant's default (2 s);
 * - `id`: named in the answer (empty lets the host number it `h1`, `h2`…).
 */
function request(method, url, options = {}) {
  const { headers, secretHeaders, readHeaders = [], timeoutMs = 0, id = '' } = options;
  let body = options.body ?? '';
  let headerList = pairs(headers);
  if ('json' in options) {
    headerList = headerList.filter(([name]) => name.toLowerCase() !== 'content-type');
    headerList.push(['content-type', 'application/json']);
    body = JSON.stringify(options.json) ?? 'null';
  }
  return {
    tag: 'http-request',
    val: {
      id,
      method: method.toUpperCase(),
      url,
      headers: headerList,
      secretHeaders: pairs(secretHeaders),
      body,
      readHeaders: [...readHeaders],
      timeoutMs,
    },
  };
}

/** Builders of the `http-request` action: `http.post(url, { json, secretHeaders, id })`. */
export const http = Object.freeze({
  request,
  get: (url, options) => request('GET', url, options),
  post: (url, options) => request('POST', url, options),
  put: (url, options) => request('PUT', url, options),
  patch: (url, options) => request('PATCH', url, options),
  delete: (url, options) => request('DELETE', url, options),
});

/** The contract's `http-error` (`{ tag, val }`) in words. */
export function httpErrorMessage(error) {
  switch (error?.tag) {
    case 'refused':
      return `refused before connecting: ${error.val}`;
    case 'limited':
      return `not sent, a limit was reached: ${error.val}`;
    case 'timeout':
      return 'no response in time';
    case 'too-large':
      return "the response was larger than the tenant's cap";
    case 'failed':
      return `the exchange failed: ${error.val}`;
    default:
      return `failed: ${JSON.stringify(error)}`;
  }
}

/**
 * Why `HttpResult.json()` has no JSON: no response (`error` is the contract's
 * `http-error`), a status other than 2xx (`status`, `body`), or a body that is not JSON.
 * `message` is a sentence to log.
 */
export class HttpFailure extends Error {
  constructor(message, { status, body = '', error } = {}) {
    super(message);
    this.name = 'HttpFailure';
    this.status = status;
    this.body = body;
    this.error = error;
  }
}

/**
 * The `http-response` event: `id` (which request), `elapsedMs`, and either `response`
 * (`{ status, headers, body }`, whatever the status) or `error` (`{ tag: 'timeout' }`,
 * `{ tag: 'refused', val: why }`…).
 */
export class HttpResult {
  constructor(result) {
    this.id = result.id;
    this.elapsedMs = result.elapsedMs;
    this.response = result.outcome.tag === 'ok' ? result.outcome.val : undefined;
    this.error = result.outcome.tag === 'err' ? result.outcome.val : undefined;
  }

  /** The response's status, or undefined without a response. */
  get status() {
    return this.response?.status;
  }

  /** True for a response with a 2xx status. */
  get ok() {
    return this.status !== undefined && this.status >= 200 && this.status < 300;
  }

  /** The response body ('' without a response). */
  get body() {
    return this.response?.body ?? '';
  }

  /** Why there is no response, in words; undefined if there is one. */
  get errorMessage() {
    return this.error === undefined ? undefined : httpErrorMessage(this.error);
  }

  /** The response header `name` (any case), if asked for with `readHeaders` and sent. */
  header(name) {
    const wanted = name.toLowerCase();
    return this.response?.headers.find(([key]) => key.toLowerCase() === wanted)?.[1];
  }

  /** The body of a 2xx response parsed as JSON; throws an HttpFailure otherwise. */
  json() {
    if (this.response === undefined) {
      throw new HttpFailure(httpErrorMessage(this.error), { error: this.error });
    }
    const { status, body } = this.response;
    if (!this.ok) {
      const quoted = body.trim().slice(0, QUOTED_BODY_CHARS);
      const message = `the service answered ${status}${quoted ? `: ${quoted}` : ''}`;
      throw new HttpFailure(message, { status, body });
    }
    try {
      return JSON.parse(body);
    } catch (error) {
      throw new HttpFailure(
        `the service answered ${status} with a body that is not JSON (${error.message})`,
        { status, body },
      );
    }
  }
}

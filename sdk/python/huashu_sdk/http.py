"""Outbound HTTP: ``get``/``post``/… build the ``http-request`` action that calls one of the
tenant's own systems (a CRM, a coupon service…); ``HttpResult`` reads the
``http-response`` event that answers it later (``Dialogue.on_http_response``).

A request is an action and its answer an event, not a call that blocks: the handler
returns at once, so prompts keep playing and timers keep running while the request is in
flight, and the answer is recorded in the call's timeline (``huashu replay`` and ``huashu
test`` feed it back exactly). Only URLs on the tenant's allowlist are reached; secrets are
named, never seen::

    from huashu_sdk import http

    out.say("请稍等。")
    out.http(http.post("https://coupons.example.com/v1/coupons",
                       json={"phone": call.callee, "campaign": "birthday"},
                       secret_headers={"authorization": "coupon-api-token"},
                       timeout_ms=1500, id="coupon"))

    def on_http_response(self, result, out):
        try:
            code = result.json()["code"]
        except HttpFailure as why:
            log.warn(f"coupon not issued: {why}")
"""

import json as _json

from componentize_py_types import Err, Ok

from .contract import (
    HttpError_Failed, HttpError_Limited, HttpError_Refused, HttpError_Timeout,
    HttpError_TooLarge, HttpRequest, wit,
)

_NO_BODY = object()

# How much of an error body a message quotes: enough for a service's explanation, short
# enough for one line of the call log.
_QUOTED_BODY_CHARS = 200


def request(method: str, url: str, *, json=_NO_BODY, body: str = "", headers=None,
            secret_headers=None, read_headers=(), timeout_ms: int = 0, id: str = ""):
    """The ``http-request`` action for ``method`` (``GET``, ``HEAD``, ``POST``, ``PUT``,
    ``PATCH``, ``DELETE``) and the absolute ``url``; add it with ``out.http(...)``.

    ``json``: a value sent as the JSON body, with ``content-type: application/json``;
    ``body``: a text body instead (set a content type in ``headers``); ``headers``: a dict
    (or pairs) of request headers; ``secret_headers``: header name → the name of a tenant
    secret (``PUT /v1/secrets/{name}``), put in by the host and never seen by the script;
    ``read_headers``: response headers to hand back (``content-type`` always is);
    ``timeout_ms``: 0 for the tenant's default (2 s); ``id``: named in the answer (empty
    lets the host number it ``h1``, ``h2``…)."""
    pairs = list(_pairs(headers))
    if json is not _NO_BODY:
        pairs = [(k, v) for k, v in pairs if k.lower() != "content-type"]
        pairs.append(("content-type", "application/json"))
        body = _json.dumps(json, ensure_ascii=False, separators=(",", ":"))
    return wit.Action_HttpRequest(HttpRequest(
        id, method.upper(), url, pairs, list(_pairs(secret_headers)), body,
        list(read_headers), timeout_ms))


def get(url: str, **options):
    """A ``GET`` of ``url``; options as for ``request``."""
    return request("GET", url, **options)


def post(url: str, **options):
    """A ``POST`` to ``url``: ``http.post(url, json={...}, secret_headers={...})``."""
    return request("POST", url, **options)


def put(url: str, **options):
    return request("PUT", url, **options)


def patch(url: str, **options):
    return request("PATCH", url, **options)


def delete(url: str, **options):
    return request("DELETE", url, **options)


def _pairs(mapping):
    if mapping is None:
        return []
    items = mapping.items() if hasattr(mapping, "items") else mapping
    return [(str(k), str(v)) for k, v in items]


def error_message(error) -> str:
    """The contract's ``http-error`` in words."""
    if isinstance(error, HttpError_Refused):
        return f"refused before connecting: {error.value}"
    if isinstance(error, HttpError_Limited):
        return f"not sent, a limit was reached: {error.value}"
    if isinstance(error, HttpError_Timeout):
        return "no response in time"
    if isinstance(error, HttpError_TooLarge):
        return "the response was larger than the tenant's cap"
    if isinstance(error, HttpError_Failed):
        return f"the exchange failed: {error.value}"
    return f"failed: {error!r}"


class HttpFailure(Exception):
    """Why ``HttpResult.json()`` has no JSON: no response (``error`` is the contract's
    ``http-error``), a status other than 2xx (``status``, ``body``), or a body that is not
    JSON. ``str(failure)`` is a sentence to log."""

    def __init__(self, message, *, status=None, body="", error=None):
        super().__init__(message)
        self.status = status
        self.body = body
        self.error = error


class HttpResult:
    """The ``http-response`` event: ``id`` (which request), ``elapsed_ms``, and either a
    ``response`` (``status``, ``headers``, ``body``, whatever the status) or an ``error``
    (``HttpError_Timeout()``, ``HttpError_Refused(why)``…)."""

    def __init__(self, result):
        self.id = result.id
        self.elapsed_ms = result.elapsed_ms
        outcome = result.outcome
        self.response = outcome.value if isinstance(outcome, Ok) else None
        self.error = outcome.value if isinstance(outcome, Err) else None

    @property
    def status(self):
        """The response's status, or ``None`` without a response."""
        return self.response.status if self.response is not None else None

    @property
    def is_success(self) -> bool:
        """True for a response with a 2xx status."""
        return self.status is not None and 200 <= self.status < 300

    @property
    def body(self) -> str:
        """The response body ("" without a response)."""
        return self.response.body if self.response is not None else ""

    def header(self, name: str):
        """The response header ``name`` (any case) if it was asked for with
        ``read_headers`` (or is ``content-type``) and sent; else ``None``."""
        if self.response is None:
            return None
        for key, value in self.response.headers:
            if key.lower() == name.lower():
                return value
        return None

    @property
    def error_message(self):
        """Why there is no response, in words; ``None`` if there is one."""
        return error_message(self.error) if self.error is not None else None

    def json(self):
        """The body of a 2xx response parsed as JSON; raises ``HttpFailure`` otherwise."""
        if self.response is None:
            raise HttpFailure(error_message(self.error), error=self.error)
        status, body = self.response.status, self.response.body
        if not self.is_success:
            quoted = body.strip()[:_QUOTED_BODY_CHARS]
            message = f"the service answered {status}" + (f": {quoted}" if quoted else "")
            raise HttpFailure(message, status=status, body=body)
        try:
            return _json.loads(body)
        except ValueError as e:
            raise HttpFailure(f"the service answered {status} with a body that is not JSON "
                              f"({e})", status=status, body=body) from None

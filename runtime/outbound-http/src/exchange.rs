//! One request's exchange with the remote server, blocking: each hop sent by a client
//! built for it, redirects followed here rather than by the client, and the response read
//! within the tenant's cap. Runs on a blocking thread; `client` decides when.
//!
//! Redirects are followed by hand so that every location is checked like the script's own
//! URL: against the allowlist before anything is sent, and, through a client whose resolver
//! carries that location's allowlist entry's `private_network`, on every address it
//! resolves to. A 303, and a 301 or 302 answering a POST, turn into a GET without a body
//! (what browsers do, and what servers expect); 307 and 308 repeat the request as it was.
//! Secret headers go only to the origin the script named: once a redirect leaves it they
//! are dropped for the rest of the request.
//!
//! A client is built per hop and not pooled across requests: its resolver holds one
//! decision about private networks, and a pooled connection would skip the resolver, so
//! a connection checked under one tenant's entry could otherwise serve another's request.
//! The cost is a fresh connection (and TLS handshake) per request.

use std::io::{self, Read};
use std::time::{Duration, Instant};

use huashu_contract::{HttpError, HttpResponse};
use ureq::http::{HeaderName, HeaderValue, Method, Request, Response, StatusCode};
use ureq::unversioned::transport::DefaultConnector;
use ureq::{Agent, Body};
use url::Url;

use crate::address_policy::{CheckedResolver, RefusedAddress};
use crate::allowlist::Allowlist;
use crate::request_check::{Prepared, check_url, origin_text, permitted};

/// Redirects followed before giving up: enough for the usual `http` → `https` → canonical
/// host → trailing slash chain, few enough that a redirect loop ends quickly.
pub(crate) const MAX_REDIRECTS: usize = 3;

/// Headers that describe a body, dropped with the body when a redirect turns the request
/// into a GET.
const BODY_HEADERS: [&str; 4] = [
    "content-type",
    "content-encoding",
    "content-language",
    "content-location",
];

/// The identification every script request carries unless the script sets its own.
const USER_AGENT: &str = concat!("huashu-scripts/", env!("CARGO_PKG_VERSION"));

/// Sends `request`, following redirects within `allowlist`, and reads the answer; gives up
/// at `deadline` with [`HttpError::Timeout`].
pub(crate) fn run(
    request: Prepared,
    allowlist: &Allowlist,
    deadline: Instant,
    max_response_bytes: usize,
) -> Result<HttpResponse, HttpError> {
    let Prepared {
        mut method,
        mut url,
        mut headers,
        mut secret_headers,
        mut body,
        read_headers,
    } = request;
    let home = url.origin();
    let mut redirects = 0;
    loop {
        let entry = permitted(allowlist, &url)?;
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(HttpError::Timeout);
        }
        let agent = agent(remaining, entry.private_network);
        let all_headers = headers.iter().chain(&secret_headers);
        let response =
            send(&agent, &method, &url, all_headers, &body).map_err(|e| failure(e, &url))?;
        let Some(location) = redirect_location(&response) else {
            return read(response, &read_headers, max_response_bytes, &url);
        };
        if redirects == MAX_REDIRECTS {
            return Err(HttpError::Failed(format!(
                "too many redirects (more than {MAX_REDIRECTS})"
            )));
        }
        redirects += 1;
        let next = url.join(&location).map_err(|_| {
            HttpError::Failed(format!(
                "the server at `{}` redirects to a location that is not a URL",
                origin_text(&url)
            ))
        })?;
        check_url(&next)?;
        let status = response.status();
        let becomes_get = status == StatusCode::SEE_OTHER && method != Method::HEAD
            || matches!(status, StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND)
                && method == Method::POST;
        if becomes_get {
            method = Method::GET;
            body.clear();
            headers.retain(|(name, _)| !BODY_HEADERS.contains(&name.as_str()));
        }
        if next.origin() != home {
            secret_headers.clear();
        }
        url = next;
    }
}

/// Where `response` redirects to, if it is a redirect the client follows.
fn redirect_location(response: &Response<Body>) -> Option<String> {
    let followed = matches!(response.status().as_u16(), 301 | 302 | 303 | 307 | 308);
    if !followed {
        return None;
    }
    let location = response.headers().get("location")?;
    Some(String::from_utf8_lossy(location.as_bytes()).into_owned())
}

/// A client for one hop: `timeout` for everything from the name lookup to the body's last
/// byte, private networks as the hop's allowlist entry says, no redirects, no proxy from
/// the environment (a proxy would connect to the target itself, past the address check),
/// and every status handed back as a response.
fn agent(timeout: Duration, allow_private: bool) -> Agent {
    let config = Agent::config_builder()
        .timeout_global(Some(timeout))
        .max_redirects(0)
        .max_redirects_will_error(false)
        .http_status_as_error(false)
        .proxy(None)
        .user_agent(USER_AGENT)
        .build();
    Agent::with_parts(
        config,
        DefaultConnector::default(),
        CheckedResolver::new(allow_private),
    )
}

fn send<'a>(
    agent: &Agent,
    method: &Method,
    url: &Url,
    headers: impl Iterator<Item = &'a (HeaderName, HeaderValue)>,
    body: &[u8],
) -> Result<Response<Body>, ureq::Error> {
    let mut target = url.clone();
    target.set_fragment(None);
    let mut request = Request::builder().method(method).uri(target.as_str());
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let needs_body = matches!(*method, Method::POST | Method::PUT | Method::PATCH);
    if body.is_empty() && !needs_body {
        agent.run(request.body(())?)
    } else {
        agent.run(request.body(body)?)
    }
}

/// The final response: the headers asked for, and the body as text within the cap.
fn read(
    mut response: Response<Body>,
    read_headers: &[String],
    max_response_bytes: usize,
    url: &Url,
) -> Result<HttpResponse, HttpError> {
    let status = response.status().as_u16();
    let headers = read_headers
        .iter()
        .filter_map(|name| {
            let values: Vec<String> = response
                .headers()
                .get_all(name.as_str())
                .iter()
                .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
                .collect();
            (!values.is_empty()).then(|| (name.clone(), values.join(", ")))
        })
        .collect();
    let cap = u64::try_from(max_response_bytes).unwrap_or(u64::MAX);
    let announced = response
        .headers()
        .get("content-length")
        .and_then(|value| value.to_str().ok()?.trim().parse::<u64>().ok());
    if announced.is_some_and(|length| length > cap) {
        return Err(HttpError::TooLarge);
    }
    let mut body = Vec::new();
    response
        .body_mut()
        .as_reader()
        .take(cap.saturating_add(1))
        .read_to_end(&mut body)
        .map_err(|error| failure(ureq::Error::from(error), url))?;
    if body.len() > max_response_bytes {
        return Err(HttpError::TooLarge);
    }
    let body = String::from_utf8(body)
        .map_err(|_| HttpError::Failed("the response body is not UTF-8 text".into()))?;
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}

/// What a client error means to the script.
fn failure(error: ureq::Error, url: &Url) -> HttpError {
    if let Some(refused) = RefusedAddress::within(&error) {
        return HttpError::Refused(refused.to_string());
    }
    let origin = origin_text(url);
    let why = match error {
        ureq::Error::Timeout(_) => return HttpError::Timeout,
        ureq::Error::BodyExceedsLimit(_) => return HttpError::TooLarge,
        ureq::Error::Io(io)
            if matches!(
                io.kind(),
                io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
            ) =>
        {
            return HttpError::Timeout;
        }
        ureq::Error::HostNotFound => format!(
            "`{}` does not resolve to any address",
            url.host_str().unwrap_or_default()
        ),
        ureq::Error::Io(io) if io.kind() == io::ErrorKind::ConnectionRefused => {
            format!("the connection was refused: nothing listens at `{origin}`")
        }
        ureq::Error::Io(io) => format!("the connection to `{origin}` failed: {io}"),
        ureq::Error::ConnectionFailed => format!("could not connect to `{origin}`"),
        ureq::Error::Protocol(why) => {
            format!("the answer from `{origin}` is not valid HTTP: {why}")
        }
        other => format!("the exchange with `{origin}` failed: {other}"),
    };
    HttpError::Failed(why)
}

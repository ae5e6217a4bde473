//! The checks a script's request passes before anything leaves the machine: its method,
//! its URL, its origin against the tenant's allowlist, its headers, and the secrets its
//! secret headers name. What passes becomes a [`Prepared`] request, with the secrets' values
//! in it and kept out of its `Debug`.
//!
//! Every refusal is an [`HttpError::Refused`] whose message says what to change, and never
//! holds a secret's value. Not here: the address a host resolves to (`address_policy`,
//! checked as the connection is made) and the exchange itself (`exchange`).

use std::fmt;

use huashu_contract::{HTTP_METHODS, HttpError, HttpRequest};
use ureq::http::{HeaderName, HeaderValue, Method};
use url::Url;

use crate::allowlist::{AllowEntry, Allowlist};
use crate::client::SecretSource;

/// Headers the client writes itself, from the URL and the body, or that steer the
/// connection rather than the request: a script setting them could smuggle a second request
/// into the connection or talk to a proxy. `proxy-*` is refused as a prefix.
const CLIENT_HEADERS: [&str; 8] = [
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
    "te",
    "trailer",
];

/// Headers that HTTP client libraries print in their debug logs (they are not meant to
/// carry credentials): a secret is never placed in one, so that no log level can show it.
const LOGGED_HEADERS: [&str; 8] = [
    "date",
    "content-type",
    "content-encoding",
    "accept",
    "accept-encoding",
    "accept-charset",
    "server",
    "user-agent",
];

/// The response header always handed back: a script needs it to read the body.
pub(crate) const CONTENT_TYPE: &str = "content-type";

/// A request that passed every check, ready to send.
pub(crate) struct Prepared {
    /// The method, upper-case.
    pub(crate) method: Method,
    /// Where to send it.
    pub(crate) url: Url,
    /// The script's own headers.
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    /// Headers carrying secrets' values: sent to the origin the script named, dropped if a
    /// redirect leaves it.
    pub(crate) secret_headers: Vec<(HeaderName, HeaderValue)>,
    /// The body; empty for none.
    pub(crate) body: Vec<u8>,
    /// Response headers to hand back, lower-case, `content-type` included.
    pub(crate) read_headers: Vec<String>,
}

impl fmt::Debug for Prepared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secret_names: Vec<&str> = self
            .secret_headers
            .iter()
            .map(|(name, _)| name.as_str())
            .collect();
        f.debug_struct("Prepared")
            .field("method", &self.method)
            .field("origin", &origin_text(&self.url))
            .field("headers", &self.headers)
            .field("secret_headers", &secret_names)
            .field("body_bytes", &self.body.len())
            .field("read_headers", &self.read_headers)
            .finish()
    }
}

/// Checks `request` and fills its secret headers from `secrets`.
pub(crate) fn prepare(
    request: &HttpRequest,
    secrets: &dyn SecretSource,
) -> Result<Prepared, HttpError> {
    let method = method(&request.method)?;
    let url = parse_url(&request.url)?;
    if method == Method::HEAD && !request.body.is_empty() {
        return Err(refused("a HEAD request cannot carry a body"));
    }
    let headers = request
        .headers
        .iter()
        .map(|(name, value)| {
            let name = header_name(name)?;
            let value = HeaderValue::from_bytes(value.as_bytes()).map_err(|_| {
                refused(format!(
                    "the value of header `{name}` contains a line break or another control \
                     character"
                ))
            })?;
            Ok((name, value))
        })
        .collect::<Result<_, HttpError>>()?;
    let secret_headers = request
        .secret_headers
        .iter()
        .map(|(name, secret)| {
            let name = header_name(name)?;
            if LOGGED_HEADERS.contains(&name.as_str()) {
                return Err(refused(format!(
                    "a secret cannot go in header `{name}`, which clients may log; use \
                     `authorization` or a header of the service's own"
                )));
            }
            let text = secrets
                .secret(secret)
                .ok_or_else(|| refused(format!("no secret named `{secret}`")))?;
            let mut value = HeaderValue::from_bytes(text.as_bytes()).map_err(|_| {
                refused(format!(
                    "the secret `{secret}` cannot be sent in a header: it contains a line \
                     break or another control character"
                ))
            })?;
            value.set_sensitive(true);
            Ok((name, value))
        })
        .collect::<Result<_, HttpError>>()?;
    let mut read_headers: Vec<String> = Vec::new();
    for name in request
        .read_headers
        .iter()
        .map(|name| name.trim().to_ascii_lowercase())
        .chain([CONTENT_TYPE.to_owned()])
    {
        if !read_headers.contains(&name) {
            read_headers.push(name);
        }
    }
    Ok(Prepared {
        method,
        url,
        headers,
        secret_headers,
        body: request.body.as_bytes().to_vec(),
        read_headers,
    })
}

/// The request's method, if scripts may use it.
fn method(text: &str) -> Result<Method, HttpError> {
    let upper = text.trim().to_ascii_uppercase();
    if !HTTP_METHODS.contains(&upper.as_str()) {
        return Err(refused(format!(
            "`{text}` is not a method scripts may use (one of {})",
            HTTP_METHODS.join(", ")
        )));
    }
    Method::from_bytes(upper.as_bytes())
        .map_err(|_| refused(format!("`{text}` is not an HTTP method")))
}

/// A header name the script may set, lower-cased.
fn header_name(text: &str) -> Result<HeaderName, HttpError> {
    let name = HeaderName::from_bytes(text.trim().as_bytes())
        .map_err(|_| refused(format!("`{text}` is not a valid header name")))?;
    if CLIENT_HEADERS.contains(&name.as_str()) || name.as_str().starts_with("proxy-") {
        return Err(refused(format!(
            "scripts may not set the `{name}` header: the client sets it, or it steers the \
             connection rather than the request"
        )));
    }
    Ok(name)
}

/// `text` as a URL a request may go to: absolute, http or https, with a host and without a
/// user name or password.
pub(crate) fn parse_url(text: &str) -> Result<Url, HttpError> {
    let url = Url::parse(text.trim()).map_err(|why| {
        refused(format!(
            "`{text}` is not an absolute URL like `https://crm.example.com/path`: {why}"
        ))
    })?;
    check_url(&url)?;
    Ok(url)
}

/// Whether `url` is one a request may go to (see [`parse_url`]); redirects are checked
/// with this too.
pub(crate) fn check_url(url: &Url) -> Result<(), HttpError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(refused(format!(
            "`{}:` URLs cannot be requested: only http and https",
            url.scheme()
        )));
    }
    if url.host().is_none() {
        return Err(refused(format!("`{url}` has no host")));
    }
    if !url.username().is_empty() || url.password().is_some() {
        // The URL is not repeated: the password is in it.
        return Err(refused(
            "a URL may not carry a user name or password: send credentials in a secret header",
        ));
    }
    Ok(())
}

/// The allowlist entry that lets a request to `url` through.
pub(crate) fn permitted<'a>(
    allowlist: &'a Allowlist,
    url: &Url,
) -> Result<&'a AllowEntry, HttpError> {
    allowlist.permit(url).ok_or_else(|| {
        refused(format!(
            "`{}` is not on the tenant's allowlist",
            origin_text(url)
        ))
    })
}

/// `url`'s origin with its port always written: what the allowlist compares.
pub(crate) fn origin_text(url: &Url) -> String {
    format!(
        "{}://{}:{}",
        url.scheme(),
        url.host_str().unwrap_or_default(),
        url.port_or_known_default().unwrap_or_default()
    )
}

fn refused(why: impl Into<String>) -> HttpError {
    HttpError::Refused(why.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::allowlist::Origin;

    struct OneSecret;

    impl SecretSource for OneSecret {
        fn secret(&self, name: &str) -> Option<String> {
            (name == "crm-token").then(|| "Bearer s3cr3t-value".to_owned())
        }
    }

    fn request(method: &str, url: &str) -> HttpRequest {
        HttpRequest {
            id: "h1".into(),
            method: method.into(),
            url: url.into(),
            headers: vec![],
            secret_headers: vec![],
            body: String::new(),
            read_headers: vec![],
            timeout_ms: 0,
        }
    }

    fn refusal(request: &HttpRequest) -> String {
        match prepare(request, &OneSecret) {
            Err(HttpError::Refused(why)) => why,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn methods_are_accepted_in_any_case_and_others_refused_with_the_list() {
        let prepared = prepare(&request("pAtCh", "https://crm.example.com/"), &OneSecret)
            .expect("PATCH is allowed");
        assert_eq!(prepared.method, Method::PATCH);
        for bad in ["CONNECT", "TRACE", "PROPFIND", ""] {
            let why = refusal(&request(bad, "https://crm.example.com/"));
            assert!(why.contains("GET, HEAD, POST"), "{bad}: {why}");
        }
    }

    #[test]
    fn urls_must_be_absolute_http_with_a_host_and_no_credentials() {
        for (url, want) in [
            ("/relative", "not an absolute URL"),
            ("ftp://files.example.com/x", "only http and https"),
            ("file:///etc/passwd", "only http and https"),
            (
                "https://user:hunter2@crm.example.com/",
                "user name or password",
            ),
        ] {
            let why = refusal(&request("GET", url));
            assert!(why.contains(want), "{url}: {why}");
            assert!(
                !why.contains("hunter2"),
                "the password is not repeated: {why}"
            );
        }
    }

    #[test]
    fn headers_the_client_owns_or_that_steer_the_connection_are_refused() {
        for name in [
            "Host",
            "content-length",
            "Transfer-Encoding",
            "TE",
            "Proxy-Authorization",
        ] {
            let mut asked = request("GET", "https://crm.example.com/");
            asked.headers = vec![(name.into(), "x".into())];
            let why = refusal(&asked);
            assert!(why.contains("may not set"), "{name}: {why}");
            let mut secret = request("GET", "https://crm.example.com/");
            secret.secret_headers = vec![(name.into(), "crm-token".into())];
            assert!(
                refusal(&secret).contains("may not set"),
                "{name} as a secret header"
            );
        }
    }

    #[test]
    fn header_names_and_values_that_could_split_the_request_are_refused() {
        let mut asked = request("GET", "https://crm.example.com/");
        asked.headers = vec![("x-a".into(), "1\r\nHost: evil.example".into())];
        assert!(refusal(&asked).contains("line break"));
        asked.headers = vec![("x a".into(), "1".into())];
        assert!(refusal(&asked).contains("not a valid header name"));
    }

    #[test]
    fn a_secret_is_refused_in_headers_that_clients_log() {
        let mut request = request("GET", "https://crm.example/x");
        request.secret_headers = vec![("User-Agent".into(), "crm-token".into())];
        assert!(
            refusal(&request).contains("clients may log"),
            "{}",
            refusal(&request)
        );
    }

    #[test]
    fn an_unknown_secret_is_refused_by_name_and_a_known_one_never_shows_in_debug_output() {
        let mut asked = request("POST", "https://crm.example.com/");
        asked.secret_headers = vec![("authorization".into(), "crm-tokn".into())];
        assert_eq!(refusal(&asked), "no secret named `crm-tokn`");
        asked.secret_headers = vec![("authorization".into(), "crm-token".into())];
        let prepared = prepare(&asked, &OneSecret).expect("a known secret");
        assert_eq!(prepared.secret_headers[0].1, "Bearer s3cr3t-value");
        let debug = format!("{prepared:?}");
        assert!(debug.contains("authorization"), "{debug}");
        assert!(!debug.contains("s3cr3t"), "{debug}");
    }

    #[test]
    fn read_headers_are_lower_cased_deduplicated_and_always_include_content_type() {
        let mut asked = request("GET", "https://crm.example.com/");
        asked.read_headers = vec!["X-Coupon".into(), "x-coupon".into(), "ETag".into()];
        let prepared = prepare(&asked, &OneSecret).expect("valid");
        assert_eq!(prepared.read_headers, ["x-coupon", "etag", "content-type"]);
    }

    #[test]
    fn an_origin_off_the_allowlist_is_refused_naming_it_with_its_port() {
        let allowlist = Allowlist::new(vec![AllowEntry {
            origin: "https://crm.example.com".parse::<Origin>().expect("origin"),
            private_network: false,
        }]);
        let url = Url::parse("https://shop.example.com/a?b=c").expect("url");
        assert_eq!(
            permitted(&allowlist, &url).expect_err("not listed"),
            HttpError::Refused(
                "`https://shop.example.com:443` is not on the tenant's allowlist".into()
            )
        );
        let url = Url::parse("https://crm.example.com/a").expect("url");
        assert!(permitted(&allowlist, &url).is_ok());
    }
}

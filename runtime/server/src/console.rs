//! The browser console: the static page `huashu serve` hands out at `/`, with its style
//! sheet, scripts and audio worklets under `/console/…`. The files live in
//! `runtime/server/console/` and are compiled into the binary, so the console works offline and
//! needs no other web server. This module owns only serving them (content types, caching,
//! the Content-Security-Policy); everything the page does, it does through the public
//! `/v1` API and the call WebSocket like any other client. `docs/console.md` is the guide.

use std::sync::OnceLock;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use sha2::{Digest, Sha256};

/// Everything the page may load or talk to is on this server: no inline script or style,
/// no CDN, no frames. `connect-src 'self'` covers the call WebSocket (same host and port;
/// CSP Level 3 matches `ws:` to an `http:` self). `media-src blob:` plays recordings and
/// prompts fetched with the API key; `worker-src` admits the audio worklets' module.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self'; media-src 'self' blob:; connect-src 'self'; \
     worker-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The assets are part of the binary, so a new build may change them under the same name:
/// browsers revalidate every time (`no-cache`) and get a 304 while the ETag matches.
const CACHE_CONTROL: &str = "no-cache";

/// One embedded file: its path under `/console/`, its content type, its bytes.
struct Asset {
    path: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

macro_rules! asset {
    ($path:literal, $content_type:literal) => {
        Asset {
            path: $path,
            content_type: $content_type,
            bytes: include_bytes!(concat!("../console/", $path)),
        }
    };
}

static ASSETS: &[Asset] = &[
    asset!("index.html", "text/html; charset=utf-8"),
    asset!("style.css", "text/css; charset=utf-8"),
    asset!("icon.svg", "image/svg+xml"),
    asset!("js/app.js", "text/javascript; charset=utf-8"),
    asset!("js/api.js", "text/javascript; charset=utf-8"),
    asset!("js/dom.js", "text/javascript; charset=utf-8"),
    asset!("js/signin.js", "text/javascript; charset=utf-8"),
    asset!("js/modules.js", "text/javascript; charset=utf-8"),
    asset!("js/prompts.js", "text/javascript; charset=utf-8"),
    asset!("js/testcall.js", "text/javascript; charset=utf-8"),
    asset!("js/call-socket.js", "text/javascript; charset=utf-8"),
    asset!("js/call-view.js", "text/javascript; charset=utf-8"),
    asset!("js/audio.js", "text/javascript; charset=utf-8"),
    asset!("js/audio-worklets.js", "text/javascript; charset=utf-8"),
    asset!("js/history.js", "text/javascript; charset=utf-8"),
    asset!("js/operator.js", "text/javascript; charset=utf-8"),
    asset!("js/campaigns.js", "text/javascript; charset=utf-8"),
    asset!("js/campaign.js", "text/javascript; charset=utf-8"),
    asset!("js/i18n.js", "text/javascript; charset=utf-8"),
    asset!("js/strings.js", "text/javascript; charset=utf-8"),
];

/// The routes: `/` (the page) and `/console/{path}` (its files). Merged into the API's
/// router, which keeps its JSON 404 for every other path.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(index))
        .route("/console/{*path}", get(file))
}

async fn index(headers: HeaderMap) -> Response {
    serve("index.html", &headers)
}

async fn file(Path(path): Path<String>, headers: HeaderMap) -> Response {
    serve(&path, &headers)
}

/// Strong ETags, one per asset, computed on first use.
fn etags() -> &'static [String] {
    static ETAGS: OnceLock<Vec<String>> = OnceLock::new();
    ETAGS.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| format!("\"{}\"", &hex::encode(Sha256::digest(a.bytes))[..20]))
            .collect()
    })
}

fn serve(path: &str, request: &HeaderMap) -> Response {
    let Some((index, asset)) = ASSETS.iter().enumerate().find(|(_, a)| a.path == path) else {
        return (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "no such console file\n",
        )
            .into_response();
    };
    let etag = etags().get(index).map(String::as_str).unwrap_or_default();
    let fresh = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        asset.bytes.into_response()
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    if let Ok(value) = HeaderValue::from_str(etag) {
        headers.insert(header::ETAG, value);
    }
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    // The microphone is for this page only (a voice test call); nothing else is used.
    headers.insert(
        "permissions-policy",
        HeaderValue::from_static("microphone=(self), camera=(), geolocation=()"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_the_page_names_is_embedded() {
        let index = std::str::from_utf8(
            ASSETS
                .iter()
                .find(|a| a.path == "index.html")
                .expect("index.html is embedded")
                .bytes,
        )
        .expect("index.html is UTF-8");
        let reference =
            regex::Regex::new(r#"(?:href|src)="/console/([^"]+)""#).expect("the pattern is valid");
        for name in reference.captures_iter(index).map(|c| c[1].to_owned()) {
            assert!(
                ASSETS.iter().any(|a| a.path == name),
                "index.html loads /console/{name}, which is not embedded"
            );
        }
        // `import … from './x.js'` between scripts, and `'/console/…'` paths they load.
        let import = regex::Regex::new(r#"from '\./([^']+)'|'/console/([^']+)'"#)
            .expect("the pattern is valid");
        for asset in ASSETS.iter().filter(|a| a.path.ends_with(".js")) {
            let source = std::str::from_utf8(asset.bytes).expect("scripts are UTF-8");
            for c in import.captures_iter(source) {
                let name = match (c.get(1), c.get(2)) {
                    (Some(relative), _) => format!("js/{}", relative.as_str()),
                    (None, Some(absolute)) => absolute.as_str().to_owned(),
                    (None, None) => continue,
                };
                assert!(
                    ASSETS.iter().any(|a| a.path == name),
                    "{} loads /console/{name}, which is not embedded",
                    asset.path
                );
            }
        }
    }

    #[test]
    fn assets_are_served_with_their_type_and_a_strict_policy() {
        let response = serve("js/app.js", &HeaderMap::new());
        assert_eq!(response.status(), StatusCode::OK);
        let headers = response.headers();
        assert_eq!(
            headers[header::CONTENT_TYPE],
            "text/javascript; charset=utf-8"
        );
        assert_eq!(headers[header::CACHE_CONTROL], CACHE_CONTROL);
        let policy = headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .expect("ASCII");
        assert!(policy.starts_with("default-src 'none'"), "{policy}");
        assert!(!policy.contains("unsafe"), "{policy}");

        let mut conditional = HeaderMap::new();
        conditional.insert(header::IF_NONE_MATCH, headers[header::ETAG].clone());
        assert_eq!(
            serve("js/app.js", &conditional).status(),
            StatusCode::NOT_MODIFIED
        );
        assert_eq!(
            serve("../Cargo.toml", &HeaderMap::new()).status(),
            StatusCode::NOT_FOUND
        );
    }
}

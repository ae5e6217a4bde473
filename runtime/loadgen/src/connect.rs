//! Getting one call on the line: the tenant's key (or a call token minted with
//! `POST /v1/calls`), the TCP connection and the WebSocket handshake, and the
//! `customParameters` the `start` message will carry.

use serde_json::json;
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use super::call_figures::Failure;

/// The client's read buffer. The server's messages are a few hundred bytes, and tungstenite
/// zero-fills the buffer's whole free capacity before every read: at its default of
/// 128 KiB, a 128 KiB `memset` for every 20 ms frame of every call. A bigger message still
/// fits (the buffer grows for it).
const READ_BUFFER_BYTES: usize = 2 << 10;

pub type Socket = WebSocketStream<TcpStream>;

/// Where Twilio calls go and how they authenticate.
#[derive(Debug, Clone)]
pub struct TwilioLine {
    /// `ws://HOST:PORT/v1/calls/twilio`.
    pub ws_url: String,
    /// `HOST:PORT`, for the TCP connect.
    pub address: String,
    pub auth: Auth,
}

/// How calls authenticate.
#[derive(Debug, Clone)]
pub enum Auth {
    /// `huashu_key` is the tenant's API key; the module is named in `module`.
    Key { key: String, module: String },
    /// Each call first mints a call token with `POST /v1/calls` (`channel: twilio`) and
    /// connects with it.
    CallTokens {
        server: String,
        key: String,
        module: String,
    },
}

/// TCP (no Nagle: frames are small and due now), the WebSocket handshake, and the call's
/// `customParameters`.
pub async fn connect(
    line: &TwilioLine,
    index: u64,
) -> Result<(Socket, serde_json::Value), Failure> {
    let huashu_key = match &line.auth {
        Auth::Key { key, module } => json!({ "huashu_key": key, "module": module }),
        Auth::CallTokens {
            server,
            key,
            module,
        } => {
            let (server, key, module) = (server.clone(), key.clone(), module.clone());
            let token = tokio::task::spawn_blocking(move || mint_token(&server, &key, &module))
                .await
                .map_err(|e| Failure::Create(e.to_string()))??;
            json!({ "huashu_key": token })
        }
    };
    let mut parameters = huashu_key;
    parameters["from"] = json!("+15550000001");
    parameters["to"] = json!(format!("+1555{:07}", index % 10_000_000));
    parameters["loadgen_call"] = json!(index.to_string());

    let tcp = TcpStream::connect(&line.address)
        .await
        .map_err(|e| Failure::Connect(format!("{}: {e}", line.address)))?;
    tcp.set_nodelay(true)
        .map_err(|e| Failure::Connect(e.to_string()))?;
    let config = WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(0);
    let (socket, _) =
        tokio_tungstenite::client_async_with_config(line.ws_url.as_str(), tcp, Some(config))
            .await
            .map_err(|e| Failure::Connect(handshake_error(e)))?;
    Ok((socket, parameters))
}

/// A refused upgrade says why in its status and body.
fn handshake_error(error: tungstenite::Error) -> String {
    match error {
        tungstenite::Error::Http(response) => {
            let body = response
                .body()
                .as_deref()
                .map(String::from_utf8_lossy)
                .unwrap_or_default();
            format!("HTTP {} {}", response.status().as_u16(), body.trim())
        }
        other => other.to_string(),
    }
}

/// `POST /v1/calls` with `channel: twilio`; returns the call token.
fn mint_token(server: &str, key: &str, module: &str) -> Result<String, Failure> {
    let url = format!("{}/v1/calls", server.trim_end_matches('/'));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut response = agent
        .post(&url)
        .header("Authorization", format!("Bearer {key}"))
        .send_json(json!({ "module": module, "channel": "twilio" }))
        .map_err(|e| Failure::Create(format!("{url}: {e}")))?;
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .with_config()
        .limit(1 << 20)
        .read_to_string()
        .unwrap_or_default();
    if status != 201 && status != 200 {
        return Err(Failure::Create(format!("HTTP {status} {}", body.trim())));
    }
    serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["token"].as_str().map(str::to_owned))
        .ok_or_else(|| Failure::Create(format!("no token in the answer: {body}")))
}

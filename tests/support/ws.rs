//! A text-call WebSocket client: send the customer's turns, collect the bot's messages.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

/// Longest a test waits for the server to say something.
const PATIENCE: Duration = Duration::from_secs(20);

pub struct TextCall {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// Every JSON message received, in order.
    pub received: Vec<Value>,
    /// The close frame, once the server closed: (code, reason).
    pub closed: Option<(u16, String)>,
}

impl TextCall {
    pub async fn connect(ws_url: &str) -> TextCall {
        let (socket, _) = connect_async(ws_url).await.expect("WebSocket connect");
        TextCall {
            socket,
            received: Vec::new(),
            closed: None,
        }
    }

    pub async fn send(&mut self, message: Value) {
        self.socket
            .send(Message::Text(message.to_string().into()))
            .await
            .expect("send");
    }

    pub async fn say(&mut self, text: &str) {
        self.send(json!({ "type": "text", "text": text })).await;
    }

    pub async fn press(&mut self, digits: &str) {
        self.send(json!({ "type": "dtmf", "digit": digits })).await;
    }

    pub async fn send_raw(&mut self, text: &str) {
        self.socket
            .send(Message::Text(text.to_owned().into()))
            .await
            .expect("send");
    }

    /// Reads until a message satisfies `done` (returned), or the socket closes (None).
    pub async fn until(&mut self, done: impl Fn(&Value) -> bool) -> Option<Value> {
        loop {
            let next = tokio::time::timeout(PATIENCE, self.socket.next())
                .await
                .expect("the server answered in time");
            match next {
                Some(Ok(Message::Text(text))) => {
                    let value: Value = serde_json::from_str(&text).expect("JSON from the server");
                    self.received.push(value.clone());
                    if done(&value) {
                        return Some(value);
                    }
                }
                Some(Ok(Message::Close(frame))) => {
                    self.closed = Some(frame.map_or((1005, String::new()), |f| {
                        (u16::from(f.code), f.reason.to_string())
                    }));
                    return None;
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return None,
            }
        }
    }

    /// Waits until the bot listens (its turn is over).
    pub async fn until_listening(&mut self) -> Option<Value> {
        self.until(|m| m["type"] == "listen").await
    }

    /// Reads everything until the server closes.
    pub async fn until_closed(&mut self) {
        while self.until(|_| false).await.is_some() {}
    }

    /// The texts the bot said, in order.
    pub fn said(&self) -> Vec<String> {
        self.received
            .iter()
            .filter(|m| m["type"] == "say")
            .filter_map(|m| m["text"].as_str().map(str::to_owned))
            .collect()
    }
}

//! `huashu call`: talk to a tenant's script on a running server from a terminal. It creates
//! a text call over the HTTP API with the key in `HUASHU_KEY`, connects the call's WebSocket
//! (docs/protocols/text-websocket.md) and plays the customer: lines typed at the terminal go
//! out as they are typed; lines from `--script FILE` (or piped in) go out one per turn, each
//! once the bot has finished its turn. The conversation and, at the end, the outcome are
//! printed on stdout.
//!
//! # Layout
//!
//! - [`customer_line`]: what a line means (text, `#keys`, `!commands`) and the message it
//!   becomes.
//! - [`server_message`]: the server's messages, read on the client side.
//! - [`bot_turn`]: when a paced customer may act: a small state machine fed messages and
//!   the time.
//! - [`transcript`]: what is printed.
//! - [`api`]: creating the call, reading its record.
//!
//! Exit codes: 0 the call ended normally, 1 it ended otherwise (the script failed, the
//! connection dropped, the server shut down), 2 there was no call (no key, a refusal, an
//! unreachable server, a bad `--script` line).

mod api;
mod bot_turn;
mod customer_line;
mod server_message;
mod transcript;

use std::io::{BufRead as _, IsTerminal as _};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::Args;
use futures_util::{SinkExt as _, StreamExt as _};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use huashu_contract::{Millis, Outcome};

use bot_turn::BotTurn;
use customer_line::CustomerLine;
use server_message::ServerMessage;
use transcript::TranscriptPrinter;

/// Where `huashu serve` listens unless told otherwise.
const DEFAULT_SERVER: &str = "http://127.0.0.1:7070";

/// WebSocket close code of a call that ended normally.
const CLOSE_NORMAL: u16 = 1000;

#[derive(Debug, Args)]
#[command(after_long_help = "\
Each line is one thing the customer does:
  any text           says it
  #KEYS              presses keys: #1, #123# (1, 2, 3 then #), ## (the # key)
  !silence           says nothing until the bot does something (its no-input timeout)
  !connected         answers the bot's transfer: it connected (the call ends)
  !failed [REASON]   answers the bot's transfer: it failed
  !hangup            hangs up
Blank lines and lines starting with // are skipped. Ctrl-D (the end of the input) and
Ctrl-C hang up. Lines typed at a terminal go out as they are typed; lines from --script or
piped in go out one per turn, once the bot listens (or after a quiet second).

The tenant's API key is read from HUASHU_KEY.")]
pub struct CallArgs {
    /// The module (script) to call, as uploaded with `PUT /v1/modules/{name}`.
    #[arg(long)]
    module: String,
    /// The module version to run [default: its active version].
    #[arg(long)]
    version: Option<u32>,
    /// A call variable for the script, NAME=VALUE; repeat for more.
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_variable)]
    variables: Vec<(String, String)>,
    /// The server [default: $HUASHU_SERVER, else http://127.0.0.1:7070].
    #[arg(long, value_name = "URL")]
    server: Option<String>,
    /// Play the customer from FILE (`-`: stdin), one line per turn, each sent once the bot
    /// has finished its turn; hang up at its end.
    #[arg(long, value_name = "FILE")]
    script: Option<PathBuf>,
}

fn parse_variable(arg: &str) -> Result<(String, String), String> {
    match arg.split_once('=') {
        Some((name, value)) if !name.is_empty() => Ok((name.to_owned(), value.to_owned())),
        _ => Err(format!("`{arg}` is not NAME=VALUE")),
    }
}

pub fn run(args: CallArgs) -> anyhow::Result<ExitCode> {
    let key = std::env::var("HUASHU_KEY")
        .ok()
        .filter(|key| !key.trim().is_empty())
        .context("HUASHU_KEY is not set: export the tenant's API key (from POST /v1/tenants)")?;
    let server = args
        .server
        .or_else(|| std::env::var("HUASHU_SERVER").ok())
        .unwrap_or_else(|| DEFAULT_SERVER.to_owned());
    let api = api::Api::new(&server, &key)?;
    // Read the whole script first: a bad line is reported before any call is made.
    let scripted = args.script.as_ref().map(read_script).transpose()?;
    let typing = scripted.is_none() && std::io::stdin().is_terminal();
    let lines = match scripted {
        Some(lines) => {
            let (tx, rx) = mpsc::unbounded_channel();
            for line in lines {
                let _ = tx.send(line);
            }
            rx
        }
        None => read_stdin(typing),
    };

    let call = api.create_call(&args.module, args.version, &args.variables)?;
    if typing {
        eprintln!(
            "call {} to {} v{}: type what the customer says, #1 to press keys, Ctrl-D to hang up",
            call.call_id, args.module, call.module_version
        );
    }
    let printer = TranscriptPrinter::new(typing);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let ending = runtime.block_on(converse(&call.ws_url, lines, !typing, &printer))?;
    drop(runtime);

    if !ending.started {
        let why = match ending.closed {
            Some((code, reason)) => format!("{reason} (WebSocket close {code})"),
            None => ending
                .lost
                .unwrap_or_else(|| "the connection closed".into()),
        };
        bail!("the server did not start call {}: {why}", call.call_id);
    }
    let outcome = match ending.outcome.clone() {
        Some(outcome) => Some(outcome),
        None => api.outcome(&call.call_id).unwrap_or_else(|error| {
            eprintln!("warning: {error:#}");
            None
        }),
    };
    printer.outcome(outcome.as_ref(), &call.call_id);
    match ending.trouble() {
        None => Ok(ExitCode::SUCCESS),
        Some(trouble) => {
            eprintln!("error: {trouble}");
            Ok(ExitCode::from(1))
        }
    }
}

/// A `--script` file's lines, each checked.
fn read_script(path: &PathBuf) -> anyhow::Result<Vec<CustomerLine>> {
    let text = if path.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin()).context("cannot read the script from stdin")?
    } else {
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?
    };
    let mut lines = Vec::new();
    for (number, line) in text.lines().enumerate() {
        match CustomerLine::parse(line) {
            Ok(Some(line)) => lines.push(line),
            Ok(None) => {}
            Err(why) => bail!("{}:{}: {why}", path.display(), number + 1),
        }
    }
    Ok(lines)
}

/// Lines from stdin as they come, on a thread of their own (a blocking read cannot be
/// cancelled; the thread is left behind when the call ends). A line that means nothing is
/// reported and skipped.
fn read_stdin(typing: bool) -> mpsc::UnboundedReceiver<CustomerLine> {
    let (tx, rx) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            match CustomerLine::parse(&line) {
                Ok(Some(line)) => {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
                Ok(None) => {}
                Err(why) if typing => eprintln!("({why})"),
                Err(why) => eprintln!("warning: skipped `{line}`: {why}"),
            }
        }
    });
    rx
}

/// How the conversation went, as far as the socket told.
#[derive(Debug, Default)]
struct Ending {
    /// The server sent anything at all: the call ran.
    started: bool,
    outcome: Option<Outcome>,
    script_failed: bool,
    /// The close frame's code and reason.
    closed: Option<(u16, String)>,
    /// The connection broke without a close frame.
    lost: Option<String>,
}

impl Ending {
    /// Why the call did not end normally, if it did not.
    fn trouble(&self) -> Option<String> {
        if self.script_failed {
            return Some("the script failed; the server's fallback ended the call".into());
        }
        if let Some(error) = &self.lost {
            return Some(format!("the connection to the server broke: {error}"));
        }
        match &self.closed {
            Some((CLOSE_NORMAL, _)) => None,
            Some((code, reason)) => Some(format!("the call ended with {reason} ({code})")),
            None => Some("the server closed the connection without a close frame".into()),
        }
    }
}

/// Plays the customer's `lines` on the call's WebSocket until the server closes it.
/// `paced`: each line waits for the end of the bot's turn, and is echoed.
async fn converse(
    ws_url: &str,
    mut lines: mpsc::UnboundedReceiver<CustomerLine>,
    paced: bool,
    printer: &TranscriptPrinter,
) -> anyhow::Result<Ending> {
    let (mut socket, _) = tokio_tungstenite::connect_async(ws_url)
        .await
        .with_context(|| format!("cannot connect the call's WebSocket at {ws_url}"))?;
    let connected = Instant::now();
    let mut interrupts = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
    let mut turn = BotTurn::new(connected);
    let mut ending = Ending::default();
    // The customer has hung up, or the bot has: nothing more to send.
    let mut done_talking = false;
    loop {
        let may_act = !done_talking && (!paced || turn.customer_may_act());
        let quiet = turn.quiet_deadline().filter(|_| paced && !done_talking);
        let hang_up = tokio::select! {
            frame = socket.next() => match frame {
                Some(Ok(Message::Text(text))) => {
                    let message = match serde_json::from_str::<ServerMessage>(&text) {
                        Ok(message) => message,
                        Err(error) => {
                            eprintln!("warning: cannot read a server message ({error}): {text}");
                            continue;
                        }
                    };
                    ending.started = true;
                    turn.bot_sent(&message, Instant::now());
                    printer.bot(&message);
                    match message {
                        ServerMessage::Hangup { .. } => done_talking = true,
                        ServerMessage::Error { .. } => ending.script_failed = true,
                        ServerMessage::Outcome(outcome) => ending.outcome = Some(outcome),
                        _ => {}
                    }
                    false
                }
                Some(Ok(Message::Close(frame))) => {
                    ending.closed = Some(frame.map_or((1005, String::new()), |f| {
                        (u16::from(f.code), f.reason.to_string())
                    }));
                    break;
                }
                Some(Ok(_)) => false,
                Some(Err(error)) => {
                    ending.lost = Some(error.to_string());
                    break;
                }
                None => break,
            },
            line = lines.recv(), if may_act => match line {
                Some(CustomerLine::HangsUp) | None => true,
                Some(line) => {
                    let at_ms = connected.elapsed().as_millis() as Millis;
                    if paced {
                        printer.customer(&line, at_ms);
                    }
                    turn.customer_acted(&line, Instant::now());
                    if let Some(message) = line.message()
                        && let Err(error) = send(&mut socket, message).await
                    {
                        ending.lost = Some(error);
                        break;
                    }
                    false
                }
            },
            () = sleep_until(quiet), if quiet.is_some() => {
                turn.quiet_elapsed();
                false
            },
            _ = interrupts.recv() => {
                if done_talking {
                    bail!("interrupted again before the call had ended");
                }
                true
            },
        };
        if hang_up && !done_talking {
            done_talking = true;
            let message = CustomerLine::HangsUp.message().unwrap_or_default();
            if let Err(error) = send(&mut socket, message).await {
                ending.lost = Some(error);
                break;
            }
        }
    }
    Ok(ending)
}

/// Sends a client message; the error says why the connection is gone.
async fn send<S>(socket: &mut S, message: serde_json::Value) -> Result<(), String>
where
    S: futures_util::Sink<Message, Error = tokio_tungstenite::tungstenite::Error> + Unpin,
{
    socket
        .send(Message::Text(message.to_string().into()))
        .await
        .map_err(|error| error.to_string())
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

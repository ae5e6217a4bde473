//! One simulated SIP call, as a carrier would send it to a routed number: INVITE with an
//! offer of PCMU, PCMA and telephone-event; the 200 OK's answer read for the server's RTP
//! address and codec; ACK; then RTP both ways for as long as the call is held, and BYE.
//!
//! The customer streams one 20 ms G.711 frame per slot on a drift-free schedule (frame *n*
//! at `origin + n × 20 ms`, as [`twilio_client`](super::twilio_client) does), in the law
//! the server chose. A turn is a key press sent as RFC 4733 telephone-events in place of
//! seven slots of audio, or the speech file as audio. The server's frames are measured
//! by [`BotFrames`]: RTP has no marks, so a pause of half a second ends a run.
//!
//! Each call has two UDP sockets of its own: SIP and RTP. The SIP socket is idle between
//! setup and teardown, so it costs a file descriptor and no work per frame; one socket
//! per call needs no dispatcher task, no map from Call-ID to call and no lock, and each
//! call's retransmission timers live in its own task. The RTP socket is connected to the
//! server's RTP address once the answer names it: the kernel then drops strays, and each
//! frame is one `send` and one `recv`. The server's RTCP reports go to the SIP socket
//! (`a=rtcp` in the offer), where they are read and ignored.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::time::Instant;

use super::call_figures::{BotFrames, CallResult, DIGITS, FRAME, Failure, Plan};
use super::customer_audio::{FRAME_BYTES, RawFrames};
use super::rtp_stream::{self, KeyPress, RtpOut};
use super::sip_signalling::{
    Dialog, Due, Law, MediaAnswer, Message, RequestKind, Retransmit, StartLine,
    TRANSACTION_TIMEOUT, offer, parse_answer,
};

/// How long the server has to answer BYE (retransmitted meanwhile) before the call is
/// counted as not closed: as long as a Twilio call waits for its close after `stop`.
const BYE_TIMEOUT: Duration = Duration::from_secs(5);

/// The largest SIP datagram read: the server's 200 OK with its SDP is under 1 KiB.
const SIP_DATAGRAM_BYTES: usize = 4096;

/// The largest RTP datagram read: 12 bytes of header and 160 of G.711, with room for
/// CSRCs or an extension. Anything longer is cut and counted as a bad frame.
const RTP_DATAGRAM_BYTES: usize = 512;

/// Where SIP calls go.
#[derive(Debug, Clone)]
pub struct SipLine {
    /// The server's SIP address (`--sip`).
    pub server: SocketAddr,
    /// The routed number every call dials (`--number`).
    pub number: String,
    /// This machine's address towards the server: sockets bind to it, and SIP and SDP
    /// name it.
    pub local_ip: IpAddr,
}

/// Runs call number `index` to its end.
pub async fn run_call(plan: Arc<Plan>, line: Arc<SipLine>, index: u64) -> CallResult {
    let mut result = CallResult::default();
    let answered = setup(&plan, &line, index).await;
    plan.figures.resolved.fetch_add(1, Ordering::Relaxed);
    let mut call = match answered {
        Ok(call) => call,
        Err(failure) => {
            result.failure = Some(failure);
            return result;
        }
    };
    result.connected = true;
    plan.figures.connected.fetch_add(1, Ordering::Relaxed);
    plan.figures.live.fetch_add(1, Ordering::Relaxed);
    if let Err(failure) = call.run(&mut result).await {
        result.failure = Some(failure);
    }
    plan.figures.live.fetch_sub(1, Ordering::Relaxed);
    result
}

/// An answered call.
struct Call<'p> {
    plan: &'p Plan,
    sip: UdpSocket,
    rtp: UdpSocket,
    server: SocketAddr,
    dialog: Dialog,
    media: MediaAnswer,
    /// The customer's audio in the law the server chose.
    audio: &'p RawFrames,
    out: RtpOut,
    /// The key press being sent, one packet per slot.
    key_press: Option<KeyPress>,
    /// The next speech frame to send, while the customer is speaking.
    speaking: Option<usize>,
    bot: BotFrames,
    sip_buffer: Box<[u8; SIP_DATAGRAM_BYTES]>,
    rtp_buffer: Box<[u8; RTP_DATAGRAM_BYTES]>,
}

/// Whether a SIP datagram during the call ended it.
enum InCall {
    Continue,
    HungUp,
}

fn connect_error(what: &str, error: std::io::Error) -> Failure {
    Failure::Connect(format!("{what}: {error}"))
}

/// Binds the call's sockets, sends INVITE (again on timer A) and waits for a final
/// answer; on 200, sends ACK and connects RTP.
async fn setup<'p>(plan: &'p Plan, line: &SipLine, index: u64) -> Result<Call<'p>, Failure> {
    let sip = UdpSocket::bind((line.local_ip, 0))
        .await
        .map_err(|e| connect_error("binding the SIP socket", e))?;
    let rtp = UdpSocket::bind((line.local_ip, 0))
        .await
        .map_err(|e| connect_error("binding the RTP socket", e))?;
    let local_sip = sip
        .local_addr()
        .map_err(|e| connect_error("the SIP socket", e))?;
    let local_rtp = rtp
        .local_addr()
        .map_err(|e| connect_error("the RTP socket", e))?;
    let unique = format!("{:x}-{index}", plan.run_id);
    let caller = format!("+1555{:07}", index % 10_000_000);
    let mut dialog = Dialog::new(local_sip, line.server, &line.number, &caller, &unique);
    let invite = dialog.invite(&offer(local_rtp, local_sip.port(), plan.run_id ^ index));
    let send = async |message: &str| {
        // UDP: a lost request is sent again on its timer.
        let _ = sip.send_to(message.as_bytes(), line.server).await;
    };
    send(&invite).await;
    let mut timer = Retransmit::new(RequestKind::Invite, Instant::now());
    let mut buffer = Box::new([0u8; SIP_DATAGRAM_BYTES]);
    let media = loop {
        tokio::select! {
            received = sip.recv_from(&mut buffer[..]) => {
                let Ok((len, _)) = received else { continue };
                let Ok(message) = Message::parse(&buffer[..len]) else { continue };
                let StartLine::Response { code, reason } = message.start else { continue };
                if message.call_id() != Some(dialog.call_id.as_str())
                    || message.cseq_method() != Some("INVITE")
                {
                    continue;
                }
                match code {
                    100..=199 => timer.provisional(Instant::now()),
                    200..=299 => {
                        dialog.established(&message);
                        let media = parse_answer(message.body);
                        // Acknowledged even when its SDP is no use: the dialog exists.
                        send(&dialog.ack()).await;
                        match media {
                            Ok(media) => break media,
                            Err(error) => {
                                send(&dialog.bye()).await;
                                return Err(Failure::Connect(error.to_string()));
                            }
                        }
                    }
                    _ => {
                        send(&dialog.ack_failure(message.to_tag())).await;
                        return Err(Failure::Refused { code, reason: reason.to_owned() });
                    }
                }
            }
            () = tokio::time::sleep_until(timer.deadline()) => {
                match timer.on_deadline(Instant::now()) {
                    Due::Resend => send(&invite).await,
                    Due::TimedOut => {
                        return Err(Failure::Connect(format!(
                            "no final answer to the INVITE within {} s",
                            TRANSACTION_TIMEOUT.as_secs()
                        )));
                    }
                    Due::Wait => {}
                }
            }
        }
    };
    rtp.connect(media.rtp)
        .await
        .map_err(|e| connect_error("connecting RTP", e))?;
    let audio = match media.law {
        Law::Mu => &plan.audio.mulaw,
        Law::A => &plan.audio.alaw,
    };
    // No randomness needed: the stream only has to differ from the other calls'.
    let seed = (plan.run_id ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15)) as u32;
    Ok(Call {
        plan,
        sip,
        rtp,
        server: line.server,
        dialog,
        media,
        audio,
        out: RtpOut::new(seed, (seed >> 16) as u16, seed.rotate_left(7)),
        key_press: None,
        speaking: None,
        bot: BotFrames::default(),
        sip_buffer: buffer,
        rtp_buffer: Box::new([0; RTP_DATAGRAM_BYTES]),
    })
}

impl Call<'_> {
    async fn send_sip(&self, message: &str) {
        // UDP: a lost request is sent again on its timer, a lost answer asked for again.
        let _ = self.sip.send_to(message.as_bytes(), self.server).await;
    }

    async fn run(&mut self, result: &mut CallResult) -> Result<(), Failure> {
        let plan = self.plan;
        let figures = &plan.figures;
        let dtmf_turns = self.plan.turn_every.is_some() && self.plan.audio.speech.is_none();
        let keys_refused = dtmf_turns && self.media.telephone_event.is_none();
        let origin = Instant::now();
        let end = origin + self.plan.hold;
        let mut next_turn = self
            .plan
            .turn_every
            .filter(|_| !keys_refused)
            .map(|every| origin + every);
        let mut frame: u32 = 0;
        let tick = tokio::time::sleep_until(origin);
        tokio::pin!(tick);
        loop {
            tokio::select! {
                biased;
                () = &mut tick => {
                    let due = origin + FRAME * frame;
                    if due >= end {
                        break;
                    }
                    let now = Instant::now();
                    figures.timer_fired(now.saturating_duration_since(due));
                    self.bot.end_if_quiet(now, figures, result);
                    if let Some(turn_at) = next_turn
                        && due >= turn_at
                        && self.speaking.is_none()
                        && self.key_press.is_none()
                        && !self.bot.bot_speaking(now)
                    {
                        self.take_turn(now, result);
                        let every = self.plan.turn_every.unwrap_or(FRAME);
                        next_turn = Some(due + every);
                    }
                    self.send_frame(result).await?;
                    frame = frame.saturating_add(1);
                    tick.as_mut().reset(origin + FRAME * frame);
                }
                received = self.rtp.recv(&mut self.rtp_buffer[..]) => {
                    // An error is an ICMP error for an earlier packet: not the call's end.
                    if let Ok(len) = received {
                        self.rtp_arrived(len, result);
                    }
                }
                received = self.sip.recv_from(&mut self.sip_buffer[..]) => {
                    if let Ok((len, _)) = received
                        && let InCall::HungUp = self.sip_arrived(len, result).await
                    {
                        self.bot.finish(figures, result);
                        return Err(Failure::HungUpEarly);
                    }
                }
            }
        }
        result.held = true;
        self.hang_up(result).await;
        if keys_refused {
            return Err(Failure::Connect(
                "the server's answer has no telephone-event: DTMF turns need RFC 4733 \
                 (or give --speech FILE.wav)"
                    .into(),
            ));
        }
        Ok(())
    }

    fn take_turn(&mut self, now: Instant, result: &mut CallResult) {
        self.bot.turn_started(result);
        if self.audio.speech.is_some() {
            // The turn is the speech file; the wait starts with its last loud frame.
            self.speaking = Some(0);
            return;
        }
        let digit = DIGITS[(result.turns as usize - 1) % DIGITS.len()];
        if let Some(payload_type) = self.media.telephone_event {
            self.key_press = self.out.key_press(payload_type, digit);
            // The server hears the key at its first packet, sent in this slot.
            self.bot.await_reply(now);
        }
    }

    /// This slot's packet: the key press's next packet, or a frame of audio.
    async fn send_frame(&mut self, result: &mut CallResult) -> Result<(), Failure> {
        let key_packet;
        let packet: &[u8] = match self.key_press.as_mut().and_then(KeyPress::next_packet) {
            Some(packet) => {
                key_packet = packet;
                &key_packet
            }
            None => {
                let frame = match (self.speaking, &self.audio.speech) {
                    (Some(at), Some(speech)) if at < speech.len() => {
                        let last = at + 1 == speech.len();
                        self.speaking = (!last).then_some(at + 1);
                        if at + 1 == self.audio.speech_end {
                            // The customer stopped speaking: the reply is awaited from now.
                            self.bot.await_reply(Instant::now());
                        }
                        &speech[at]
                    }
                    _ => {
                        self.speaking = None;
                        &self.audio.silence
                    }
                };
                self.out.audio(self.media.payload_type, frame)
            }
        };
        match self.rtp.send(packet).await {
            Ok(_) => {}
            // An ICMP error for an earlier packet, reported on this one: the server's port
            // was briefly closed. Not the call's end; its BYE would say so.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {}
            Err(e) => return Err(Failure::Lost(format!("sending RTP: {e}"))),
        }
        if self.key_press.as_ref().is_some_and(KeyPress::finished) {
            self.key_press = None;
        }
        result.frames_sent += 1;
        Ok(())
    }

    /// A datagram on the RTP socket (from the server's RTP address: it is connected).
    fn rtp_arrived(&mut self, len: usize, result: &mut CallResult) {
        let now = Instant::now();
        match rtp_stream::payload_of(&self.rtp_buffer[..len]) {
            Some((payload_type, payload)) if payload_type == self.media.payload_type => {
                if payload.len() != FRAME_BYTES {
                    result.bad_frames += 1;
                }
                self.bot.arrived(now, &self.plan.figures, result);
            }
            // The bot pressing keys is not audio to measure.
            Some((payload_type, _)) if Some(payload_type) == self.media.telephone_event => {}
            _ => result.unknown_messages += 1,
        }
    }

    /// A datagram on the SIP socket during the call.
    async fn sip_arrived(&mut self, len: usize, result: &mut CallResult) -> InCall {
        // The server's RTCP reports land here too (`a=rtcp`): not SIP, ignored.
        let Ok(message) = Message::parse(&self.sip_buffer[..len]) else {
            return InCall::Continue;
        };
        if message.call_id() != Some(self.dialog.call_id.as_str()) {
            return InCall::Continue;
        }
        match message.start {
            // The server did not see our ACK and sends its 200 again.
            StartLine::Response {
                code: 200..=299, ..
            } if message.cseq_method() == Some("INVITE") => {
                let ack = self.dialog.ack();
                self.send_sip(&ack).await;
                InCall::Continue
            }
            StartLine::Response { .. } => InCall::Continue,
            StartLine::Request { method: "ACK" } => InCall::Continue,
            StartLine::Request { method } => {
                let hung_up = method == "BYE";
                let answer = if hung_up || matches!(method, "OPTIONS" | "INFO" | "NOTIFY") {
                    Dialog::response_to(&message, 200, "OK")
                } else {
                    result.unknown_messages += 1;
                    Dialog::response_to(&message, 501, "Not Implemented")
                };
                self.send_sip(&answer).await;
                if hung_up {
                    InCall::HungUp
                } else {
                    InCall::Continue
                }
            }
        }
    }

    /// Sends BYE (again on timer E) and waits for its answer, still measuring the bot's
    /// frames until then.
    async fn hang_up(&mut self, result: &mut CallResult) {
        let bye = self.dialog.bye();
        self.send_sip(&bye).await;
        let mut timer = Retransmit::new(RequestKind::NonInvite, Instant::now());
        let give_up = Instant::now() + BYE_TIMEOUT;
        loop {
            tokio::select! {
                received = self.sip.recv_from(&mut self.sip_buffer[..]) => {
                    let Ok((len, _)) = received else { continue };
                    let Ok(message) = Message::parse(&self.sip_buffer[..len]) else { continue };
                    if message.call_id() != Some(self.dialog.call_id.as_str()) {
                        continue;
                    }
                    match message.start {
                        StartLine::Response { code, reason } if message.cseq_method() == Some("BYE") => {
                            if code < 200 {
                                timer.provisional(Instant::now());
                                continue;
                            }
                            result.close = Some((code, reason.to_owned()));
                            break;
                        }
                        // Our BYE crossed the server's.
                        StartLine::Request { method: "BYE" } => {
                            let answer = Dialog::response_to(&message, 200, "OK");
                            self.send_sip(&answer).await;
                        }
                        _ => {}
                    }
                }
                received = self.rtp.recv(&mut self.rtp_buffer[..]) => {
                    if let Ok(len) = received {
                        self.rtp_arrived(len, result);
                    }
                }
                () = tokio::time::sleep_until(timer.deadline().min(give_up)) => {
                    let now = Instant::now();
                    if now >= give_up {
                        result.not_closed = true;
                        break;
                    }
                    match timer.on_deadline(now) {
                        Due::Resend => self.send_sip(&bye).await,
                        Due::TimedOut => {
                            result.not_closed = true;
                            break;
                        }
                        Due::Wait => {}
                    }
                }
            }
        }
        self.bot.finish(&self.plan.figures, result);
    }
}

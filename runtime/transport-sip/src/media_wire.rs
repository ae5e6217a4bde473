//! One answered SIP call's audio: RTP on the shared voice-call loop. [`CallMedia`] starts
//! the voice call (the same decode, VAD, recognition, pacing and barge-in as a Twilio
//! call) and runs it over an [`RtpWire`], the SIP transport's [`VoiceWire`]:
//!
//! - in: RTP from the far end (through a small jitter buffer into the decoder),
//!   RFC 4733 telephone-events as DTMF, RTCP and any packet as a sign of life, and the
//!   dialog's own events (BYE, re-INVITE for hold, INFO DTMF, NOTIFY of a transfer);
//! - out: the pacer's 20 ms frames as RTP, DTMF the script sends as telephone-events,
//!   a transfer as REFER, an RTCP report every few seconds, BYE when the call ends here.
//!
//! Symmetric RTP (RFC 4961): we send from the port we receive on, to the address the
//! far end's SDP names. Packets from any other source are dropped, except that the
//! first packets from the SDP's host on another port move our sending there (a NAT that
//! rewrote the port).

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use rsipstack::dialog::dialog::{DialogState, DialogStateReceiver, TransactionHandle};
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::sip::{Header, StatusCode};
use tokio::net::UdpSocket;
use tokio::time::Instant;

use super::rtp::rtcp::{self, ReportTime, RtcpStats};
use super::rtp::{DtmfReceiver, DtmfSender, JitterBuffer, Playout, RtpHeader, RtpSender};
use super::rtp_ports::{PortPair, RtpPorts};
use super::sdp::{self, Codec, Negotiated};
use super::user_agent::Agent;
use huashu_calls::{
    CallService, PendingCall, VoiceCall, VoiceEvent, VoiceWire, WireClose, WireStep, run_voice_call,
};
use huashu_contract::TransferResult;
use huashu_media::transport_codec::TransportCodec;
use huashu_session::{CallerInput, Output};
use huashu_store::Trunk;

/// Largest datagram read: an RTP packet of 20 ms G.711 is 172 bytes; anything up to a
/// typical MTU is read whole, longer ones are cut and fail to parse.
const DATAGRAM_BYTES: usize = 1500;

/// Packets the jitter buffer holds back to put late ones in order: 2 × 20 ms. Loopback
/// and a good carrier reorder almost never; a deeper buffer only adds delay to every
/// turn.
const JITTER_DEPTH: usize = 2;

/// How often we send an RTCP report (RFC 3550 §6.2 gives 5 s as the minimum interval).
const RTCP_INTERVAL: Duration = Duration::from_secs(5);

/// The spacing of telephone-event packets while a key is held (RFC 4733 §2.5.1.2).
const DTMF_PACKET_INTERVAL: Duration = Duration::from_millis(20);

/// The pause a `w` in the script's digits stands for.
const DTMF_PAUSE: Duration = Duration::from_millis(500);

/// Dialog events kept while the script is busy (a BYE ends the call at once; a re-INVITE,
/// INFO or NOTIFY waits for the event to end). A dialog sends a handful in a whole call;
/// 32 is far more than one event's worth, and bounds what a far end can make us keep.
const KEPT_DIALOG_EVENTS: usize = 32;

/// One call's RTP and RTCP sockets on its port pair.
pub(crate) struct RtpSockets {
    rtp: UdpSocket,
    rtcp: UdpSocket,
    ports: PortPair,
}

impl RtpSockets {
    /// Binds a free port pair on `ip`; `None` when every pair is in use (or a port of the
    /// range is taken by another program: that pair is skipped).
    pub(crate) async fn bind(ports: &Arc<RtpPorts>, ip: IpAddr) -> Option<Self> {
        for _ in 0..ports.capacity() {
            let pair = ports.take()?;
            let rtp = UdpSocket::bind((ip, pair.rtp())).await;
            let rtcp = UdpSocket::bind((ip, pair.rtcp())).await;
            match (rtp, rtcp) {
                (Ok(rtp), Ok(rtcp)) => {
                    return Some(Self {
                        rtp,
                        rtcp,
                        ports: pair,
                    });
                }
                (rtp, rtcp) => {
                    let error = rtp.err().or(rtcp.err());
                    tracing::warn!(
                        port = pair.rtp(),
                        ?error,
                        "an RTP port of the range is taken; skipping it"
                    );
                }
            }
        }
        None
    }

    /// Our RTP port, for SDP.
    pub(crate) fn rtp_port(&self) -> u16 {
        self.ports.rtp()
    }
}

/// What an answered call needs to run its audio.
pub(crate) struct CallMedia {
    pub(crate) agent: Arc<Agent>,
    pub(crate) dialog: InviteDialog,
    pub(crate) states: DialogStateReceiver,
    pub(crate) sockets: RtpSockets,
    pub(crate) negotiated: Negotiated,
    pub(crate) local_ip: IpAddr,
    pub(crate) session_id: u64,
    /// The trunk an outbound call went through: transfers are dialled through it too.
    pub(crate) trunk: Option<Trunk>,
}

impl CallMedia {
    /// Starts the voice call and runs it until either side ends it.
    pub(crate) async fn run(self, calls: Arc<CallService>, pending: PendingCall) {
        let codec = match self.negotiated.codec {
            Codec::Pcmu => TransportCodec::Mulaw8k,
            Codec::Pcma => TransportCodec::Alaw8k,
        };
        let call_id = pending.call_id.clone();
        let dialogs = self.agent.dialogs.clone();
        let dialog_id = self.dialog.id();
        match calls.start_voice(pending, codec).await {
            Ok(mut call) => {
                let mut wire = RtpWire::new(self);
                run_voice_call(&mut wire, &mut call).await;
            }
            Err(error) => {
                tracing::warn!(%call_id, %error, "an answered SIP call could not start");
                if let Err(error) = self.dialog.hangup().await {
                    tracing::debug!(%error, "BYE failed");
                }
            }
        }
        dialogs.remove_dialog(&dialog_id);
    }
}

/// What woke the wire.
pub(crate) enum Arrival {
    Rtp(std::io::Result<(usize, SocketAddr)>),
    Rtcp(std::io::Result<(usize, SocketAddr)>),
    /// Boxed: a dialog event carries a whole SIP request, and the datagrams are many.
    Dialog(Option<Box<DialogState>>),
    DtmfDue,
    RtcpDue,
    Silence,
}

/// The SIP transport's [`VoiceWire`]; see the module docs.
pub(crate) struct RtpWire {
    media: CallMedia,
    remote_rtp: SocketAddr,
    remote_rtcp: SocketAddr,
    /// We have heard RTP from the far end (and, behind a NAT, learnt its real port).
    latched: bool,
    sender: RtpSender,
    jitter: JitterBuffer,
    dtmf_in: DtmfReceiver,
    /// Telephone-event packets still to send, and when the next one is due.
    dtmf_out: VecDeque<DtmfStep>,
    dtmf_due: Option<Instant>,
    last_heard: Instant,
    rtcp_due: Instant,
    /// Where RTCP's clock starts: the call's first instant on this wire.
    started: Instant,
    stats: RtcpStats,
    /// The far end put the call on hold (or asked for no audio from us).
    held: bool,
    session_version: u64,
    /// The far end hung up (BYE) or the dialog is gone: no BYE from us.
    peer_ended: bool,
    /// A REFER is under way.
    transferring: bool,
    datagram: Box<[u8; DATAGRAM_BYTES]>,
    control: Box<[u8; DATAGRAM_BYTES]>,
    packet: Vec<u8>,
    /// Dialog events that arrived while the script was busy, for `recv` to hand out first.
    kept: VecDeque<Arrival>,
}

/// One step of sending keypad tones.
enum DtmfStep {
    Packet(Vec<u8>),
    Pause,
}

impl RtpWire {
    fn new(media: CallMedia) -> Self {
        let now = Instant::now();
        let negotiated = &media.negotiated;
        let ssrc = rand::random::<u32>();
        Self {
            remote_rtp: negotiated.remote_rtp,
            remote_rtcp: negotiated.remote_rtcp,
            latched: false,
            sender: RtpSender::new(
                ssrc,
                negotiated.payload_type,
                rand::random(),
                rand::random(),
            ),
            jitter: JitterBuffer::new(JITTER_DEPTH),
            dtmf_in: DtmfReceiver::new(),
            dtmf_out: VecDeque::new(),
            dtmf_due: None,
            last_heard: now,
            rtcp_due: now + RTCP_INTERVAL,
            started: now,
            stats: RtcpStats::new(ssrc),
            held: !negotiated.direction.sends(),
            session_version: 1,
            peer_ended: false,
            transferring: false,
            datagram: Box::new([0; DATAGRAM_BYTES]),
            control: Box::new([0; DATAGRAM_BYTES]),
            packet: Vec::with_capacity(DATAGRAM_BYTES),
            kept: VecDeque::new(),
            media,
        }
    }

    /// Whether a packet from `from` is the far end's.
    fn accept_source(&mut self, from: SocketAddr) -> bool {
        if from == self.remote_rtp {
            self.latched = true;
            return true;
        }
        if !self.latched && from.ip() == self.remote_rtp.ip() {
            tracing::debug!(%from, sdp = %self.remote_rtp, "RTP arrives from another port of the far end's host: sending there");
            self.remote_rtp = from;
            self.latched = true;
            return true;
        }
        false
    }

    async fn on_rtp(&mut self, len: usize, from: SocketAddr, call: &mut VoiceCall) -> WireStep {
        if !self.accept_source(from) {
            return WireStep::Continue;
        }
        let Ok((header, payload)) = RtpHeader::parse(&self.datagram[..len]) else {
            return WireStep::Continue;
        };
        self.last_heard = Instant::now();
        self.stats.received(&header, self.started.elapsed());
        let negotiated = &self.media.negotiated;
        if Some(header.payload_type) == negotiated.telephone_event {
            if let Some(digit) = self.dtmf_in.push(&header, payload).and_then(|k| k.digit()) {
                call.input(CallerInput::Dtmf { digit }).await;
            }
            return WireStep::Continue;
        }
        if header.payload_type != negotiated.payload_type {
            return WireStep::Continue;
        }
        self.jitter.push(&header, payload);
        while let Some(playout) = self.jitter.pop() {
            // A lost packet is 20 ms the recogniser does not hear; G.711 has no
            // concealment worth the name, and the VAD bridges a gap this short.
            if let Playout::Frame { payload, .. } = playout {
                // G.711 decodes any bytes: an error here is only an odd length, the far
                // end's problem and no reason to end the call.
                let _ = call.media(&payload).await;
            }
        }
        WireStep::Continue
    }

    async fn on_dialog(
        &mut self,
        state: Option<Box<DialogState>>,
        call: &mut VoiceCall,
    ) -> WireStep {
        let Some(state) = state.map(|s| *s) else {
            self.peer_ended = true;
            return WireStep::HungUp("dialog-ended");
        };
        match state {
            DialogState::Terminated(_, reason) => {
                tracing::debug!(?reason, "the SIP dialog ended");
                self.peer_ended = true;
                WireStep::HungUp("customer-hung-up")
            }
            DialogState::Updated(_, request, handle) => {
                self.on_reoffer(request.body(), handle).await;
                WireStep::Continue
            }
            DialogState::Info(_, request, handle) => {
                if let Some(digit) = info_dtmf(request.body()) {
                    call.input(CallerInput::Dtmf { digit }).await;
                }
                let _ = handle.reply(StatusCode::OK).await;
                WireStep::Continue
            }
            DialogState::Options(_, _, handle) => {
                let _ = handle.reply(StatusCode::OK).await;
                WireStep::Continue
            }
            DialogState::Notify(_, request, handle) => {
                let _ = handle.reply(StatusCode::OK).await;
                if self.transferring
                    && let Some(result) = refer_progress(request.body())
                {
                    self.transferring = false;
                    call.input(CallerInput::TransferResult { result }).await;
                }
                WireStep::Continue
            }
            DialogState::Refer(_, _, handle)
            | DialogState::Message(_, _, handle)
            | DialogState::Publish(_, _, handle) => {
                let _ = handle.reply(StatusCode::NotImplemented).await;
                WireStep::Continue
            }
            _ => WireStep::Continue,
        }
    }

    /// A re-INVITE or UPDATE: hold, resume, or media moved. Answered with our SDP; an
    /// offer we cannot take is refused with 488 and the call goes on as it was.
    async fn on_reoffer(&mut self, body: &[u8], handle: TransactionHandle) {
        let offer = match sdp::SessionDescription::parse_bytes(body) {
            Ok(offer) => offer,
            Err(_) if body.is_empty() => {
                // An offerless re-INVITE asks us to offer; our current media is the offer.
                let _ = handle.reply(StatusCode::OK).await;
                return;
            }
            Err(_) => {
                let _ = handle.reply(StatusCode::BadRequest).await;
                return;
            }
        };
        self.session_version += 1;
        let codecs = [self.media.negotiated.codec];
        match sdp::answer_with_version(
            &offer,
            self.media.local_ip,
            self.media.sockets.rtp_port(),
            &codecs,
            self.media.session_id,
            self.session_version,
        ) {
            Ok((answer, negotiated)) => {
                // `direction` is ours: whether we may send after this exchange.
                self.held = !negotiated.direction.sends();
                if negotiated.remote_rtp != self.remote_rtp && negotiated.remote_rtp.port() != 0 {
                    self.remote_rtp = negotiated.remote_rtp;
                    self.remote_rtcp = negotiated.remote_rtcp;
                    self.latched = false;
                }
                let headers = vec![Header::ContentType("application/sdp".into())];
                let _ = handle
                    .respond(StatusCode::OK, Some(headers), Some(answer.into_bytes()))
                    .await;
            }
            Err(_) => {
                let _ = handle.reply(StatusCode::NotAcceptableHere).await;
            }
        }
    }

    async fn send_dtmf_step(&mut self) {
        match self.dtmf_out.pop_front() {
            Some(DtmfStep::Packet(packet)) => {
                let _ = self
                    .media
                    .sockets
                    .rtp
                    .send_to(&packet, self.remote_rtp)
                    .await;
                self.dtmf_due = Some(Instant::now() + DTMF_PACKET_INTERVAL);
            }
            Some(DtmfStep::Pause) => self.dtmf_due = Some(Instant::now() + DTMF_PAUSE),
            None => {}
        }
        if self.dtmf_out.is_empty() {
            self.dtmf_due = None;
        }
    }

    fn queue_dtmf(&mut self, digits: &str) {
        let Some(payload_type) = self.media.negotiated.telephone_event else {
            tracing::info!("the far end takes no telephone-events: DTMF not sent");
            return;
        };
        for key in digits.chars() {
            if key == 'w' || key == 'W' {
                self.dtmf_out.push_back(DtmfStep::Pause);
                continue;
            }
            let Ok(packets) = DtmfSender::packets(key, payload_type, &mut self.sender) else {
                continue;
            };
            self.dtmf_out
                .extend(packets.into_iter().map(DtmfStep::Packet));
        }
        if self.dtmf_due.is_none() && !self.dtmf_out.is_empty() {
            self.dtmf_due = Some(Instant::now());
        }
    }

    async fn transfer(&mut self, target: &str, call: &mut VoiceCall) {
        let refer_to = transfer_uri(target, self.media.trunk.as_ref())
            .and_then(|uri| rsipstack::sip::Uri::try_from(uri.as_str()).ok());
        let Some(refer_to) = refer_to else {
            let result =
                TransferResult::Failed(format!("`{target}` is not a number or SIP address"));
            return call.input(CallerInput::TransferResult { result }).await;
        };
        match self.media.dialog.refer(refer_to, None, None).await {
            Ok(Some(response)) if response.status_code.code() < 300 => self.transferring = true,
            Ok(response) => {
                let code = response.map_or(0, |r| r.status_code.code());
                let result =
                    TransferResult::Failed(format!("the far end refused the transfer ({code})"));
                call.input(CallerInput::TransferResult { result }).await;
            }
            Err(error) => {
                let result =
                    TransferResult::Failed(format!("the transfer could not be sent: {error}"));
                call.input(CallerInput::TransferResult { result }).await;
            }
        }
    }

    async fn send_rtcp(&mut self) {
        self.rtcp_due = Instant::now() + RTCP_INTERVAL;
        self.packet.clear();
        let time = ReportTime {
            now: self.started.elapsed(),
            wallclock: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default(),
        };
        self.stats.report(time, &mut self.packet);
        let _ = self
            .media
            .sockets
            .rtcp
            .send_to(&self.packet, self.remote_rtcp)
            .await;
    }
}

impl VoiceWire for RtpWire {
    type Message = Arrival;

    async fn recv(&mut self) -> Arrival {
        if let Some(arrival) = self.kept.pop_front() {
            return arrival;
        }
        let silence_at = self.last_heard + self.media.agent.config.media_timeout;
        let dtmf_due = self.dtmf_due;
        tokio::select! {
            r = self.media.sockets.rtp.recv_from(&mut self.datagram[..]) => Arrival::Rtp(r),
            r = self.media.sockets.rtcp.recv_from(&mut self.control[..]) => Arrival::Rtcp(r),
            state = self.media.states.recv() => Arrival::Dialog(state.map(Box::new)),
            () = sleep_until_some(dtmf_due), if dtmf_due.is_some() => Arrival::DtmfDue,
            () = tokio::time::sleep_until(self.rtcp_due) => Arrival::RtcpDue,
            () = tokio::time::sleep_until(silence_at) => Arrival::Silence,
        }
    }

    /// Only the dialog is read while the script is busy: RTP waits in the socket (what
    /// overflows it is lost, as while any event runs), and a BYE ends the call at once.
    async fn ended_meanwhile(&mut self) -> WireStep {
        loop {
            if self.kept.len() >= KEPT_DIALOG_EVENTS {
                return std::future::pending().await;
            }
            match self.media.states.recv().await {
                None => {
                    self.peer_ended = true;
                    return WireStep::HungUp("dialog-ended");
                }
                Some(DialogState::Terminated(_, reason)) => {
                    tracing::debug!(?reason, "the SIP dialog ended while the script was busy");
                    self.peer_ended = true;
                    return WireStep::HungUp("customer-hung-up");
                }
                Some(state) => self.kept.push_back(Arrival::Dialog(Some(Box::new(state)))),
            }
        }
    }

    async fn apply(&mut self, message: Arrival, call: &mut VoiceCall) -> WireStep {
        match message {
            Arrival::Rtp(Ok((len, from))) => self.on_rtp(len, from, call).await,
            Arrival::Rtcp(Ok((len, from))) => {
                if from.ip() == self.remote_rtp.ip()
                    && let Ok(report) = rtcp::parse(&self.control[..len])
                {
                    self.last_heard = Instant::now();
                    self.stats.peer_report(&report, self.started.elapsed());
                }
                WireStep::Continue
            }
            // An ICMP "port unreachable" for an earlier packet surfaces as an error on
            // the next read: the far end may not be listening yet. Not fatal.
            Arrival::Rtp(Err(_)) | Arrival::Rtcp(Err(_)) => WireStep::Continue,
            Arrival::Dialog(state) => self.on_dialog(state, call).await,
            Arrival::DtmfDue => {
                self.send_dtmf_step().await;
                WireStep::Continue
            }
            Arrival::RtcpDue => {
                self.send_rtcp().await;
                WireStep::Continue
            }
            Arrival::Silence => {
                tracing::info!("no RTP or RTCP from the far end: ending the call");
                call.hang_up("media-timeout").await;
                WireStep::Continue
            }
        }
    }

    async fn send(&mut self, event: VoiceEvent, call: &mut VoiceCall) -> bool {
        match event {
            VoiceEvent::Frame(payload) => {
                // While a key's tone goes out, its packets replace the audio
                // (RFC 4733 §2.5.1.1); on hold, the far end asked for no audio.
                if self.held || self.dtmf_due.is_some() {
                    return true;
                }
                self.packet.clear();
                let bytes = payload.bytes();
                let header = self.sender.audio(bytes, &mut self.packet);
                self.stats
                    .sent(&header, bytes.len(), self.started.elapsed());
                let _ = self
                    .media
                    .sockets
                    .rtp
                    .send_to(&self.packet, self.remote_rtp)
                    .await;
            }
            VoiceEvent::Clear => self.sender.mark_talkspurt(),
            VoiceEvent::Mark(_) => {}
            VoiceEvent::Update(update) => {
                for output in &update.outputs {
                    match output {
                        Output::SendDtmf { digits, .. } => self.queue_dtmf(digits),
                        Output::Transfer { transfer, .. } => {
                            self.transfer(&transfer.target, call).await;
                        }
                        _ => {}
                    }
                }
            }
        }
        true
    }

    async fn close(&mut self, _call: &mut VoiceCall, _why: WireClose) {
        if !self.peer_ended
            && let Err(error) = self.media.dialog.hangup().await
        {
            tracing::debug!(%error, "BYE failed");
        }
    }
}

async fn sleep_until_some(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// A digit from an INFO body (`application/dtmf-relay`: `Signal=5`, or `application/dtmf`:
/// `5`), for PBXs that send keys in SIP rather than in RTP.
fn info_dtmf(body: &[u8]) -> Option<char> {
    let text = std::str::from_utf8(body).ok()?;
    let value = text
        .lines()
        .find_map(|line| {
            let (key, value) = line.split_once('=')?;
            key.trim()
                .eq_ignore_ascii_case("signal")
                .then_some(value.trim())
        })
        .unwrap_or(text.trim());
    let mut chars = value.chars();
    let digit = chars.next()?;
    (chars.next().is_none() && (digit.is_ascii_digit() || "*#ABCDabcd".contains(digit)))
        .then(|| digit.to_ascii_uppercase())
}

/// What a NOTIFY's `message/sipfrag` body says about a transfer, once it is final.
fn refer_progress(body: &[u8]) -> Option<TransferResult> {
    let text = std::str::from_utf8(body).ok()?;
    let code: u16 = text.split_whitespace().nth(1)?.parse().ok()?;
    match code {
        100..=199 => None,
        200..=299 => Some(TransferResult::Connected),
        _ => Some(TransferResult::Failed(format!(
            "the transfer target answered {code}"
        ))),
    }
}

/// The Refer-To for a script's transfer target: a SIP URI as given, else a number at
/// the trunk the call went out through. An inbound call has no trunk to dial a bare
/// number through, so its script must name a SIP URI.
fn transfer_uri(target: &str, trunk: Option<&Trunk>) -> Option<String> {
    if target.starts_with("sip:") || target.starts_with("sips:") {
        return Some(target.to_owned());
    }
    trunk.map(|trunk| format!("sip:{target}@{}:{}", trunk.host, trunk.port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_bodies_in_both_common_formats_carry_one_key() {
        assert_eq!(info_dtmf(b"Signal=5\r\nDuration=160\r\n"), Some('5'));
        assert_eq!(info_dtmf(b"#"), Some('#'));
        assert_eq!(info_dtmf(b"Signal=55"), None);
        assert_eq!(info_dtmf(b""), None);
    }

    #[test]
    fn a_final_sipfrag_ends_the_transfer_and_a_provisional_one_does_not() {
        assert_eq!(refer_progress(b"SIP/2.0 100 Trying"), None);
        assert_eq!(
            refer_progress(b"SIP/2.0 200 OK\r\n"),
            Some(TransferResult::Connected)
        );
        assert!(matches!(
            refer_progress(b"SIP/2.0 486 Busy Here"),
            Some(TransferResult::Failed(_))
        ));
    }
}

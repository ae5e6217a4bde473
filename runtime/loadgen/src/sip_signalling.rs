//! The few SIP messages a load generator's calls need, as text in and text out, and when
//! to send them again: no sockets and no clock of its own, so every rule is tested
//! without a network. [`sip_client`](super::sip_client) puts it on the wire.
//!
//! A call is one user-agent client dialog against a known server (RFC 3261): INVITE with
//! an SDP offer ([`offer`]), provisional answers ignored, a 200 OK read for its To-tag,
//! Contact and SDP answer ([`MediaAnswer`]), ACK, and at the end BYE. A final answer
//! other than 2xx is acknowledged inside its transaction and ends the call. Requests the
//! server sends inside the dialog (BYE, OPTIONS, INFO) are answered 200 with
//! [`Dialog::response_to`].
//!
//! UDP loses datagrams, and under load a server's socket buffer overflows: requests are
//! retransmitted on [`Retransmit`]'s schedule (timers A and E, §17.1.1.2 and §17.1.2.2).

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use thiserror::Error;
use tokio::time::Instant;

/// RFC 3261's T1, the round-trip estimate: the first retransmission comes after it.
pub const T1: Duration = Duration::from_millis(500);
/// RFC 3261's T2: a non-INVITE request's retransmissions are never further apart.
pub const T2: Duration = Duration::from_secs(4);
/// Timers B and F: a transaction with no final answer after 64 × T1 has timed out.
pub const TRANSACTION_TIMEOUT: Duration = Duration::from_secs(32);

/// The RTP payload types of our offer, in our order of preference: the server answers
/// with the first of them it supports (PCMU, then PCMA), and 101 carries keys.
pub const PCMU: u8 = 0;
pub const PCMA: u8 = 8;
pub const TELEPHONE_EVENT: u8 = 101;

/// Why a datagram or an SDP answer could not be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SignallingError {
    #[error("not a SIP message: {0}")]
    NotSip(&'static str),
    #[error("the SDP answer has no `{0}`")]
    MissingSdp(&'static str),
    #[error("the SDP answer's `{line}` does not parse: {value}")]
    BadSdp { line: &'static str, value: String },
    #[error("the SDP answer chose no codec we offered (formats: {0})")]
    NoCommonCodec(String),
}

/// The identifiers of one call's dialog, and what the server's 200 OK filled in.
#[derive(Debug, Clone)]
pub struct Dialog {
    /// Our SIP socket: Via and Contact.
    pub local: SocketAddr,
    /// The server's SIP address: the INVITE's Request-URI host.
    pub server: SocketAddr,
    /// The number called: the Request-URI user and the To.
    pub number: String,
    /// The caller: the From user.
    pub caller: String,
    pub call_id: String,
    pub from_tag: String,
    /// The INVITE's branch; its retransmissions and the ACK of a non-2xx answer reuse it.
    pub invite_branch: String,
    /// Set from the 200 OK.
    pub to_tag: Option<String>,
    /// The server's Contact from the 200 OK: the Request-URI of ACK and BYE.
    pub remote_target: Option<String>,
}

impl Dialog {
    /// A new dialog; `unique` (run id and call index) makes its Call-ID, tag and branch
    /// unique across calls and runs.
    pub fn new(
        local: SocketAddr,
        server: SocketAddr,
        number: &str,
        caller: &str,
        unique: &str,
    ) -> Dialog {
        Dialog {
            local,
            server,
            number: number.to_owned(),
            caller: caller.to_owned(),
            call_id: format!("{unique}@loadgen"),
            from_tag: format!("lg{unique}"),
            invite_branch: format!("z9hG4bKlg{unique}i"),
            to_tag: None,
            remote_target: None,
        }
    }

    fn request_uri(&self) -> String {
        format!("sip:{}@{}", self.number, self.server)
    }

    /// The headers every request of ours carries, from Via to CSeq.
    fn request_head(
        &self,
        out: &mut String,
        method: &str,
        uri: &str,
        branch: &str,
        cseq: u32,
        to_tag: Option<&str>,
    ) {
        let _ = write!(
            out,
            "{method} {uri} SIP/2.0\r\n\
             Via: SIP/2.0/UDP {local};branch={branch};rport\r\n\
             Max-Forwards: 70\r\n\
             From: <sip:{caller}@{host}>;tag={from_tag}\r\n\
             To: <sip:{number}@{server}>",
            local = self.local,
            caller = self.caller,
            host = self.local.ip(),
            from_tag = self.from_tag,
            number = self.number,
            server = self.server,
        );
        if let Some(tag) = to_tag {
            let _ = write!(out, ";tag={tag}");
        }
        let _ = write!(
            out,
            "\r\nCall-ID: {}\r\nCSeq: {cseq} {method}\r\n",
            self.call_id
        );
    }

    /// The INVITE carrying `sdp`.
    pub fn invite(&self, sdp: &str) -> String {
        let mut out = String::with_capacity(640 + sdp.len());
        self.request_head(
            &mut out,
            "INVITE",
            &self.request_uri(),
            &self.invite_branch,
            1,
            None,
        );
        let _ = write!(
            out,
            "Contact: <sip:{}@{}>\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
            self.caller,
            self.local,
            sdp.len()
        );
        out
    }

    /// The ACK of a 2xx answer: a transaction of its own, to the server's Contact.
    pub fn ack(&self) -> String {
        let uri = self
            .remote_target
            .clone()
            .unwrap_or_else(|| self.request_uri());
        let branch = format!("{}a", self.invite_branch);
        let mut out = String::with_capacity(512);
        self.request_head(&mut out, "ACK", &uri, &branch, 1, self.to_tag.as_deref());
        out.push_str("Content-Length: 0\r\n\r\n");
        out
    }

    /// The ACK of a non-2xx final answer: part of the INVITE transaction (same branch and
    /// Request-URI), with the answer's To-tag (§17.1.1.3).
    pub fn ack_failure(&self, to_tag: Option<&str>) -> String {
        let mut out = String::with_capacity(512);
        self.request_head(
            &mut out,
            "ACK",
            &self.request_uri(),
            &self.invite_branch,
            1,
            to_tag,
        );
        out.push_str("Content-Length: 0\r\n\r\n");
        out
    }

    /// The BYE that ends the call.
    pub fn bye(&self) -> String {
        let uri = self
            .remote_target
            .clone()
            .unwrap_or_else(|| self.request_uri());
        let branch = format!("{}b", self.invite_branch);
        let mut out = String::with_capacity(512);
        self.request_head(&mut out, "BYE", &uri, &branch, 2, self.to_tag.as_deref());
        out.push_str("Content-Length: 0\r\n\r\n");
        out
    }

    /// Takes what a 2xx answer to the INVITE says about the dialog.
    pub fn established(&mut self, answer: &Message<'_>) {
        self.to_tag = answer.to_tag().map(str::to_owned);
        self.remote_target = answer.contact_uri().map(str::to_owned);
    }

    /// Our answer `code reason` to a request the server sent: its Via, From, To, Call-ID
    /// and CSeq copied back (§8.2.6.2).
    pub fn response_to(request: &Message<'_>, code: u16, reason: &str) -> String {
        let mut out = String::with_capacity(512);
        let _ = write!(out, "SIP/2.0 {code} {reason}\r\n");
        for (name, value) in &request.headers {
            if matches!(*name, "via" | "from" | "to" | "call-id" | "cseq") {
                let _ = write!(out, "{}: {value}\r\n", canonical_name(name));
            }
        }
        out.push_str("Content-Length: 0\r\n\r\n");
        out
    }
}

fn canonical_name(lower: &str) -> &'static str {
    match lower {
        "via" => "Via",
        "from" => "From",
        "to" => "To",
        "call-id" => "Call-ID",
        _ => "CSeq",
    }
}

/// What a SIP datagram is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartLine<'a> {
    Response { code: u16, reason: &'a str },
    Request { method: &'a str },
}

/// A parsed SIP datagram: its start line, headers (names lower-cased, compact forms
/// expanded) and body.
#[derive(Debug, Clone)]
pub struct Message<'a> {
    pub start: StartLine<'a>,
    pub headers: Vec<(&'static str, &'a str)>,
    pub body: &'a str,
}

/// The headers a call reads; others are skipped.
const KNOWN_HEADERS: [(&str, &str, &str); 7] = [
    ("via", "via", "v"),
    ("from", "from", "f"),
    ("to", "to", "t"),
    ("call-id", "call-id", "i"),
    ("cseq", "cseq", ""),
    ("contact", "contact", "m"),
    ("content-length", "content-length", "l"),
];

impl<'a> Message<'a> {
    pub fn parse(datagram: &'a [u8]) -> Result<Message<'a>, SignallingError> {
        let text = std::str::from_utf8(datagram).map_err(|_| SignallingError::NotSip("binary"))?;
        let (head, rest) = text
            .split_once("\r\n\r\n")
            .ok_or(SignallingError::NotSip("no end of headers"))?;
        let mut lines = head.split("\r\n");
        let first = lines.next().unwrap_or_default();
        let start = if let Some(status) = first.strip_prefix("SIP/2.0 ") {
            let (code, reason) = status.split_once(' ').unwrap_or((status, ""));
            let code = code
                .parse()
                .map_err(|_| SignallingError::NotSip("bad status code"))?;
            StartLine::Response { code, reason }
        } else if let Some((method, rest)) = first.split_once(' ')
            && rest.ends_with("SIP/2.0")
        {
            StartLine::Request { method }
        } else {
            return Err(SignallingError::NotSip("bad start line"));
        };
        let mut headers = Vec::with_capacity(8);
        for line in lines {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let name = name.trim();
            if let Some((canonical, _, _)) = KNOWN_HEADERS.iter().find(|(_, full, compact)| {
                name.eq_ignore_ascii_case(full) || (!compact.is_empty() && name == *compact)
            }) {
                headers.push((*canonical, value.trim()));
            }
        }
        let mut message = Message {
            start,
            headers,
            body: rest,
        };
        if let Some(length) = message
            .header("content-length")
            .and_then(|v| v.parse().ok())
        {
            message.body = rest.get(..length).unwrap_or(rest);
        }
        Ok(message)
    }

    /// The first value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, value)| *value)
    }

    /// The CSeq's method (`INVITE`, `BYE`…).
    pub fn cseq_method(&self) -> Option<&'a str> {
        self.header("cseq")?.split_whitespace().nth(1)
    }

    pub fn call_id(&self) -> Option<&'a str> {
        self.header("call-id")
    }

    /// The To header's tag.
    pub fn to_tag(&self) -> Option<&'a str> {
        let to = self.header("to")?;
        let params = to.rsplit_once('>').map_or(to, |(_, params)| params);
        params.split(';').find_map(|param| {
            let (name, value) = param.split_once('=')?;
            name.trim()
                .eq_ignore_ascii_case("tag")
                .then(|| value.trim())
        })
    }

    /// The Contact's URI, without its angle brackets and parameters.
    pub fn contact_uri(&self) -> Option<&'a str> {
        let contact = self.header("contact")?;
        match contact.split_once('<') {
            Some((_, rest)) => rest.split_once('>').map(|(uri, _)| uri),
            None => contact.split(';').next().map(str::trim),
        }
    }
}

/// Our SDP offer: one audio stream at `rtp`, PCMU, PCMA and telephone-event, 20 ms
/// packets. `rtcp_port` is where the server's RTCP reports go (`a=rtcp`): the generator
/// does not read them, and naming a socket of the call's own spares the kernel an ICMP
/// error for each of them.
pub fn offer(rtp: SocketAddr, rtcp_port: u16, session_id: u64) -> String {
    let family = match rtp.ip() {
        IpAddr::V4(_) => "IP4",
        IpAddr::V6(_) => "IP6",
    };
    let ip = rtp.ip();
    format!(
        "v=0\r\no=loadgen {session_id} 1 IN {family} {ip}\r\ns=huashu loadgen\r\n\
         c=IN {family} {ip}\r\nt=0 0\r\n\
         m=audio {port} RTP/AVP {PCMU} {PCMA} {TELEPHONE_EVENT}\r\n\
         a=rtpmap:{PCMU} PCMU/8000\r\na=rtpmap:{PCMA} PCMA/8000\r\n\
         a=rtpmap:{TELEPHONE_EVENT} telephone-event/8000\r\na=fmtp:{TELEPHONE_EVENT} 0-16\r\n\
         a=ptime:20\r\na=rtcp:{rtcp_port}\r\na=sendrecv\r\n",
        port = rtp.port(),
    )
}

/// The G.711 law the server chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Law {
    Mu,
    A,
}

/// What the server's SDP answer settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaAnswer {
    /// Where the server's RTP comes from and ours goes.
    pub rtp: SocketAddr,
    pub law: Law,
    /// The payload type of the chosen codec (0 or 8 unless the server mapped another).
    pub payload_type: u8,
    /// The telephone-event payload type, when the server takes keys in RTP.
    pub telephone_event: Option<u8>,
}

/// Reads the server's answer: the first audio stream with a port, the first of its
/// formats that is PCMU or PCMA, and its telephone-event type.
pub fn parse_answer(sdp: &str) -> Result<MediaAnswer, SignallingError> {
    let mut session_ip = None;
    let mut media_ip = None;
    let mut audio: Option<(u16, Vec<u8>)> = None;
    let mut rtpmap: Vec<(u8, String)> = Vec::new();
    let mut in_audio = false;
    for line in sdp.lines().map(str::trim) {
        if let Some(m) = line.strip_prefix("m=") {
            in_audio = false;
            let mut fields = m.split_whitespace();
            let (Some("audio"), Some(port)) = (fields.next(), fields.next()) else {
                continue;
            };
            let port: u16 = port.parse().map_err(|_| SignallingError::BadSdp {
                line: "m=audio",
                value: m.to_owned(),
            })?;
            if audio.is_none() && port != 0 {
                let formats = fields.skip(1).filter_map(|f| f.parse().ok()).collect();
                audio = Some((port, formats));
                in_audio = true;
            }
        } else if let Some(c) = line.strip_prefix("c=") {
            let ip = c
                .split_whitespace()
                .nth(2)
                .and_then(|ip| ip.split('/').next()?.parse::<IpAddr>().ok())
                .ok_or_else(|| SignallingError::BadSdp {
                    line: "c=",
                    value: c.to_owned(),
                })?;
            if in_audio {
                media_ip = Some(ip);
            } else if audio.is_none() {
                session_ip = Some(ip);
            }
        } else if let Some(map) = line.strip_prefix("a=rtpmap:")
            && in_audio
            && let Some((pt, encoding)) = map.split_once(' ')
            && let Ok(pt) = pt.parse()
        {
            rtpmap.push((pt, encoding.to_ascii_lowercase()));
        }
    }
    let (port, formats) = audio.ok_or(SignallingError::MissingSdp("m=audio"))?;
    let ip = media_ip
        .or(session_ip)
        .ok_or(SignallingError::MissingSdp("c="))?;
    let encoding_of = |pt: u8| {
        rtpmap
            .iter()
            .find(|(p, _)| *p == pt)
            .map(|(_, e)| e.as_str())
    };
    let (payload_type, law) = formats
        .iter()
        .find_map(|&pt| match (pt, encoding_of(pt)) {
            (_, Some(e)) if e.starts_with("pcmu/") => Some((pt, Law::Mu)),
            (_, Some(e)) if e.starts_with("pcma/") => Some((pt, Law::A)),
            (PCMU, None) => Some((pt, Law::Mu)),
            (PCMA, None) => Some((pt, Law::A)),
            _ => None,
        })
        .ok_or_else(|| {
            let listed: Vec<String> = formats.iter().map(u8::to_string).collect();
            SignallingError::NoCommonCodec(listed.join(" "))
        })?;
    let telephone_event = formats
        .iter()
        .copied()
        .find(|&pt| encoding_of(pt).is_some_and(|e| e.starts_with("telephone-event/")));
    Ok(MediaAnswer {
        rtp: SocketAddr::new(ip, port),
        law,
        payload_type,
        telephone_event,
    })
}

/// Which retransmission rule a request follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    /// Timer A: T1, doubling without bound, until a provisional or final answer.
    Invite,
    /// Timer E: T1, doubling up to T2, until a final answer (at T2 once provisional).
    NonInvite,
}

/// What to do when [`Retransmit::deadline`] has passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    Resend,
    TimedOut,
    /// Nothing yet (called early, or an INVITE waiting for its final answer).
    Wait,
}

/// When a request sent over UDP is sent again, and when its transaction gives up
/// (timer B or F). Fed the time and the answers; says what is due.
#[derive(Debug, Clone)]
pub struct Retransmit {
    kind: RequestKind,
    timeout_at: Instant,
    interval: Duration,
    /// `None` once an INVITE has a provisional answer: it is no longer retransmitted.
    next_resend: Option<Instant>,
}

impl Retransmit {
    /// The request was first sent at `sent`.
    pub fn new(kind: RequestKind, sent: Instant) -> Retransmit {
        Retransmit {
            kind,
            timeout_at: sent + TRANSACTION_TIMEOUT,
            interval: T1,
            next_resend: Some(sent + T1),
        }
    }

    /// A provisional (1xx) answer arrived.
    pub fn provisional(&mut self, now: Instant) {
        match self.kind {
            RequestKind::Invite => self.next_resend = None,
            RequestKind::NonInvite => {
                self.interval = T2;
                self.next_resend = Some(now + T2);
            }
        }
    }

    /// When to come back: the next retransmission, or the timeout.
    pub fn deadline(&self) -> Instant {
        self.next_resend
            .map_or(self.timeout_at, |at| at.min(self.timeout_at))
    }

    /// Called at or after [`Self::deadline`].
    pub fn on_deadline(&mut self, now: Instant) -> Due {
        if now >= self.timeout_at {
            return Due::TimedOut;
        }
        if self.next_resend.is_none_or(|at| now < at) {
            return Due::Wait;
        }
        self.interval = match self.kind {
            RequestKind::Invite => self.interval * 2,
            RequestKind::NonInvite => (self.interval * 2).min(T2),
        };
        self.next_resend = Some(now + self.interval);
        Due::Resend
    }
}

#[cfg(test)]
#[path = "sip_signalling_tests.rs"]
mod tests;

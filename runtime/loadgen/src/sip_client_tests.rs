//! The SIP client against a scripted stand-in for the server on loopback UDP: it checks
//! what the client sends (INVITE with its offer, sent again when lost; ACK; 20 ms RTP in
//! the law the answer chose; key presses as telephone-events; BYE) and answers like the
//! server does (100 and 200 with an answer, paced RTP frames for a greeting and each key,
//! 200 to BYE), or refuses, or hangs up first.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::call_figures::{CallResult, Failure, Plan, SharedFigures};
use super::customer_audio::CustomerAudio;
use super::sip_client::{SipLine, run_call};
use super::sip_signalling::{Message, StartLine};

const GREETING_FRAMES: usize = 10;
const REPLY_FRAMES: usize = 5;
const NUMBER: &str = "+8610000000000";

/// How the stand-in behaves.
#[derive(Clone, Copy)]
struct Script {
    /// INVITEs ignored before one is answered (lost datagrams).
    lose_invites: usize,
    /// A final refusal instead of 200.
    refuse: Option<u16>,
    /// The answer's codec line: `0 101` (PCMU) or `8 101` (PCMA).
    formats: &'static str,
    /// Hang up with BYE this long after the ACK.
    bye_after: Option<Duration>,
}

const ANSWERS: Script = Script {
    lose_invites: 0,
    refuse: None,
    formats: "0 101",
    bye_after: None,
};

/// What the stand-in saw.
#[derive(Debug, Default)]
struct Seen {
    invites: usize,
    offer: String,
    acks: usize,
    byes: usize,
    /// (payload type, marker, sequence, timestamp, payload) of every RTP packet.
    rtp: Vec<(u8, bool, u16, u32, Vec<u8>)>,
    audio_arrivals: Vec<Instant>,
    /// The event code of each key press heard (its first packet).
    keys: Vec<u8>,
    /// The answer to the stand-in's own BYE.
    bye_answer: Option<u16>,
}

fn reply_to(request: &Message<'_>, status: &str, extra: &str, body: &str) -> String {
    let mut out = format!("SIP/2.0 {status}\r\n");
    for (name, value) in &request.headers {
        let name = match *name {
            "via" => "Via",
            "from" => "From",
            "to" => "To",
            "call-id" => "Call-ID",
            "cseq" => "CSeq",
            _ => continue,
        };
        let tag = if name == "To" && !status.starts_with("100") {
            ";tag=srv1"
        } else {
            ""
        };
        out.push_str(&format!("{name}: {value}{tag}\r\n"));
    }
    out.push_str(extra);
    out.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    out
}

/// Paces `frames` RTP frames 20 ms apart to `to`.
async fn speak(rtp: Arc<UdpSocket>, to: SocketAddr, frames: usize, payload_type: u8) {
    let origin = Instant::now();
    for n in 0..frames {
        tokio::time::sleep_until(origin + Duration::from_millis(20 * n as u64)).await;
        let mut packet = vec![0x80, payload_type, 0, n as u8, 0, 0, 0, 0, 1, 2, 3, 4];
        packet.extend_from_slice(&[0xFF; 160]);
        let _ = rtp.send_to(&packet, to).await;
    }
}

async fn stand_in(sip: UdpSocket, script: Script, seen: mpsc::UnboundedSender<Seen>) {
    let rtp = Arc::new(UdpSocket::bind("127.0.0.1:0").await.expect("rtp"));
    let rtp_port = rtp.local_addr().expect("addr").port();
    let payload_type: u8 = script.formats[..1].parse().expect("pt");
    let mut record = Seen::default();
    let mut buffer = [0u8; 4096];
    let mut datagram = [0u8; 512];
    let mut peer_sip: Option<SocketAddr> = None;
    let mut peer_rtp: Option<SocketAddr> = None;
    let mut last_key_timestamp = None;
    let mut bye_at: Option<Instant> = None;
    let mut bye_request = String::new();
    loop {
        let bye_due = bye_at;
        tokio::select! {
            received = sip.recv_from(&mut buffer) => {
                let (len, from) = received.expect("recv");
                let Ok(message) = Message::parse(&buffer[..len]) else { continue };
                match message.start {
                    StartLine::Request { method: "INVITE" } => {
                        record.invites += 1;
                        if record.invites <= script.lose_invites {
                            continue;
                        }
                        record.offer = message.body.to_owned();
                        peer_sip = Some(from);
                        let port: u16 = message.body.lines()
                            .find_map(|l| l.strip_prefix("m=audio "))
                            .and_then(|l| l.split(' ').next()?.parse().ok())
                            .expect("an audio port in the offer");
                        peer_rtp = Some(SocketAddr::new(from.ip(), port));
                        let trying = reply_to(&message, "100 Trying", "", "");
                        sip.send_to(trying.as_bytes(), from).await.expect("send");
                        let answer = match script.refuse {
                            Some(code) => reply_to(&message, &format!("{code} Busy Here"), "", ""),
                            None => {
                                let sdp = format!(
                                    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
                                     m=audio {rtp_port} RTP/AVP {formats}\r\na=rtpmap:101 telephone-event/8000\r\n",
                                    formats = script.formats
                                );
                                let contact = format!(
                                    "Contact: <sip:{NUMBER}@{}>\r\nContent-Type: application/sdp\r\n",
                                    sip.local_addr().expect("addr")
                                );
                                reply_to(&message, "200 OK", &contact, &sdp)
                            }
                        };
                        sip.send_to(answer.as_bytes(), from).await.expect("send");
                    }
                    StartLine::Request { method: "ACK" } => {
                        record.acks += 1;
                        if script.refuse.is_some() {
                            break;
                        }
                        if record.acks == 1 {
                            let to = peer_rtp.expect("offer seen");
                            tokio::spawn(speak(rtp.clone(), to, GREETING_FRAMES, payload_type));
                            if let Some(after) = script.bye_after {
                                bye_at = Some(Instant::now() + after);
                                bye_request = format!(
                                    "BYE sip:x@{from} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bKsrvbye\r\n\
                                     From: <sip:{NUMBER}@127.0.0.1>;tag=srv1\r\nTo: {to_header}\r\n\
                                     Call-ID: {call_id}\r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n",
                                    me = sip.local_addr().expect("addr"),
                                    to_header = message.header("from").unwrap_or_default(),
                                    call_id = message.call_id().unwrap_or_default(),
                                );
                            }
                        }
                    }
                    StartLine::Request { method: "BYE" } => {
                        record.byes += 1;
                        let ok = reply_to(&message, "200 OK", "", "");
                        sip.send_to(ok.as_bytes(), from).await.expect("send");
                        break;
                    }
                    StartLine::Response { code, .. } => {
                        record.bye_answer = Some(code);
                        break;
                    }
                    _ => {}
                }
            }
            received = rtp.recv_from(&mut datagram) => {
                let (len, _) = received.expect("rtp recv");
                if record_packet(&mut record, &datagram[..len], &mut last_key_timestamp) {
                    let to = peer_rtp.expect("offer seen");
                    tokio::spawn(speak(rtp.clone(), to, REPLY_FRAMES, payload_type));
                }
            }
            () = async { tokio::time::sleep_until(bye_due.unwrap_or_else(Instant::now)).await },
                if bye_due.is_some() => {
                bye_at = None;
                let to = peer_sip.expect("dialog");
                sip.send_to(bye_request.as_bytes(), to).await.expect("send");
            }
        }
    }
    // Packets sent before the BYE and not read yet.
    while let Ok((len, _)) = rtp.try_recv_from(&mut datagram) {
        record_packet(&mut record, &datagram[..len], &mut last_key_timestamp);
    }
    let _ = seen.send(record);
}

/// Records one of the client's RTP packets; whether it starts a key press.
fn record_packet(record: &mut Seen, packet: &[u8], last_key: &mut Option<u32>) -> bool {
    let pt = packet[1] & 0x7F;
    let timestamp = u32::from_be_bytes([packet[4], packet[5], packet[6], packet[7]]);
    record.rtp.push((
        pt,
        packet[1] & 0x80 != 0,
        u16::from_be_bytes([packet[2], packet[3]]),
        timestamp,
        packet[12..].to_vec(),
    ));
    if pt != 101 {
        record.audio_arrivals.push(Instant::now());
        return false;
    }
    if *last_key == Some(timestamp) {
        return false;
    }
    *last_key = Some(timestamp);
    record.keys.push(packet[12]);
    true
}

async fn call_stand_in(script: Script) -> (CallResult, Seen, Arc<Plan>) {
    let sip = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
    let server = sip.local_addr().expect("address");
    let (tx, mut rx) = mpsc::unbounded_channel();
    tokio::spawn(stand_in(sip, script, tx));
    let line = Arc::new(SipLine {
        server,
        number: NUMBER.into(),
        local_ip: server.ip(),
    });
    let plan = Arc::new(Plan {
        hold: Duration::from_millis(1500),
        turn_every: Some(Duration::from_millis(500)),
        audio: CustomerAudio::new(None).expect("silence"),
        run_id: 1,
        figures: Arc::new(SharedFigures::default()),
    });
    let result = run_call(plan.clone(), line, 7).await;
    let seen = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("the stand-in finishes")
        .expect("the stand-in reports");
    (result, seen, plan)
}

#[tokio::test]
async fn a_sip_call_offers_g711_streams_rtp_in_real_time_presses_keys_and_hangs_up() {
    let (result, seen, plan) = call_stand_in(ANSWERS).await;
    assert_eq!(result.failure, None);
    assert!(result.connected && result.held);
    assert_eq!(result.close, Some((200, "OK".into())));
    assert_eq!((seen.invites, seen.acks, seen.byes), (1, 1, 1));
    assert!(
        seen.offer.contains("m=audio ") && seen.offer.contains(" RTP/AVP 0 8 101\r\n"),
        "{}",
        seen.offer
    );

    // 1.5 s of slots: 75 packets, audio in PCMU and each key press in 7 of them, on a
    // schedule that does not drift (a busy machine may delay single packets, not the last).
    assert_eq!(seen.rtp.len(), 75);
    assert_eq!(result.frames_sent, 75);
    let span = *seen.audio_arrivals.last().expect("audio") - seen.audio_arrivals[0];
    assert!(
        (Duration::from_millis(1400)..Duration::from_millis(1600)).contains(&span),
        "75 slots took {span:?}, not 74 × 20 ms"
    );
    let sequences: Vec<u16> = seen.rtp.iter().map(|p| p.2).collect();
    assert!(
        sequences.windows(2).all(|w| w[1] == w[0].wrapping_add(1)),
        "{sequences:?}"
    );
    assert!(
        seen.rtp
            .iter()
            .filter(|p| p.0 == 0)
            .all(|p| p.4 == [0xFF; 160])
    );
    assert!(seen.rtp[0].1, "the first packet starts a talkspurt");

    // Turns: a key every 0.5 s once the bot is silent; every reply measured.
    assert!(seen.keys.len() >= 2, "{:?}", seen.keys);
    assert_eq!(seen.keys[..2], [1, 2]);
    let key_packets = seen.rtp.iter().filter(|p| p.0 == 101).count();
    assert_eq!(key_packets, 7 * seen.keys.len());
    assert_eq!(result.turns, seen.keys.len() as u64);
    let figures = &plan.figures;
    assert_eq!(
        figures.turn_latency.count(),
        result.turns - result.turns_unanswered
    );
    assert!(figures.turn_latency.count() >= 2);

    // The bot's frames, in runs split by their pauses.
    let expected_frames = GREETING_FRAMES + REPLY_FRAMES * seen.keys.len();
    assert_eq!(result.frames_received, expected_frames as u64);
    assert_eq!(result.runs, 1 + seen.keys.len() as u64);
    assert_eq!((result.bad_frames, result.frames_dropped), (0, 0));
    assert_eq!(result.unknown_messages, 0);
    assert_eq!(figures.frame_lateness.count(), expected_frames as u64);
    assert!(figures.frame_lateness.quantile_us(0.5).unwrap_or(u64::MAX) < 10_000);
}

#[tokio::test]
async fn a_lost_invite_is_sent_again_and_the_call_still_goes_through() {
    let script = Script {
        lose_invites: 1,
        ..ANSWERS
    };
    let (result, seen, _) = call_stand_in(script).await;
    assert_eq!(result.failure, None);
    assert!(result.held);
    assert_eq!(seen.invites, 2);
}

#[tokio::test]
async fn an_answer_in_a_law_gets_a_law_audio() {
    let script = Script {
        formats: "8 101",
        ..ANSWERS
    };
    let (result, seen, _) = call_stand_in(script).await;
    assert!(result.held, "{:?}", result.failure);
    let audio: Vec<_> = seen.rtp.iter().filter(|p| p.0 != 101).collect();
    assert!(audio.iter().all(|p| p.0 == 8), "PCMA throughout");
    assert!(audio.iter().all(|p| p.4 == [0xD5; 160]), "A-law silence");
    assert!(result.frames_received > 0);
}

#[tokio::test]
async fn a_refused_invite_is_a_failure_with_its_code_and_is_acknowledged() {
    let script = Script {
        refuse: Some(486),
        ..ANSWERS
    };
    let (result, seen, _) = call_stand_in(script).await;
    assert!(!result.connected);
    assert_eq!(
        result.failure,
        Some(Failure::Refused {
            code: 486,
            reason: "Busy Here".into()
        })
    );
    assert_eq!(seen.acks, 1, "the refusal is acknowledged");
    assert!(seen.rtp.is_empty());
}

#[tokio::test]
async fn a_server_that_hangs_up_first_fails_the_call_and_gets_its_200() {
    let script = Script {
        bye_after: Some(Duration::from_millis(300)),
        ..ANSWERS
    };
    let (result, seen, _) = call_stand_in(script).await;
    assert!(result.connected);
    assert!(!result.held);
    assert_eq!(result.failure, Some(Failure::HungUpEarly));
    assert_eq!(seen.bye_answer, Some(200));
    assert_eq!(seen.byes, 0, "no BYE of ours after the server's");
}

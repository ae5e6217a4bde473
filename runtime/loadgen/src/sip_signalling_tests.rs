//! The SIP messages and rules of [`super`], without a network.

use super::*;

fn dialog() -> Dialog {
    Dialog::new(
        "127.0.0.1:40000".parse().expect("addr"),
        "127.0.0.1:5060".parse().expect("addr"),
        "+8610000000000",
        "+15550000007",
        "abc-7",
    )
}

const ANSWER_SDP: &str = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
    m=audio 20002 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n";

/// The server's 200 OK to the INVITE of [`dialog`].
fn ok_answer() -> String {
    format!(
        "SIP/2.0 200 OK\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bKlgabc-7i;rport=40000;received=127.0.0.1\r\n\
         From: <sip:+15550000007@127.0.0.1>;tag=lgabc-7\r\n\
         To: <sip:+8610000000000@127.0.0.1:5060>;tag=srv42\r\n\
         Call-ID: abc-7@loadgen\r\nCSeq: 1 INVITE\r\n\
         Contact: <sip:+8610000000000@127.0.0.1:5060;transport=udp>\r\n\
         Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{ANSWER_SDP}",
        ANSWER_SDP.len()
    )
}

#[test]
fn an_invite_carries_the_offer_and_everything_a_server_matches_on() {
    let d = dialog();
    let sdp = offer("127.0.0.1:40002".parse().expect("addr"), 40000, 9);
    let invite = d.invite(&sdp);
    assert!(invite.starts_with("INVITE sip:+8610000000000@127.0.0.1:5060 SIP/2.0\r\n"));
    assert!(invite.contains("Via: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bKlgabc-7i;rport\r\n"));
    assert!(invite.contains("From: <sip:+15550000007@127.0.0.1>;tag=lgabc-7\r\n"));
    assert!(invite.contains("To: <sip:+8610000000000@127.0.0.1:5060>\r\n"));
    assert!(invite.contains("CSeq: 1 INVITE\r\n"));
    assert!(invite.contains("Contact: <sip:+15550000007@127.0.0.1:40000>\r\n"));
    assert!(invite.contains(&format!("Content-Length: {}\r\n\r\n", sdp.len())));
    assert!(invite.ends_with(&sdp));
    // Mu-law first, then A-law, then keys; RTCP to the SIP socket.
    assert!(sdp.contains("m=audio 40002 RTP/AVP 0 8 101\r\n"), "{sdp}");
    assert!(sdp.contains("c=IN IP4 127.0.0.1\r\n"));
    assert!(sdp.contains("a=rtcp:40000\r\n"));
    let parsed = Message::parse(invite.as_bytes()).expect("our own INVITE parses");
    assert_eq!(parsed.start, StartLine::Request { method: "INVITE" });
    assert_eq!(parsed.body, sdp);
}

#[test]
fn a_200_gives_the_dialog_its_tag_and_target_and_the_media_its_address() {
    let mut d = dialog();
    let text = ok_answer();
    let answer = Message::parse(text.as_bytes()).expect("parses");
    assert_eq!(
        answer.start,
        StartLine::Response {
            code: 200,
            reason: "OK"
        }
    );
    assert_eq!(answer.cseq_method(), Some("INVITE"));
    assert_eq!(answer.call_id(), Some("abc-7@loadgen"));
    d.established(&answer);
    assert_eq!(d.to_tag.as_deref(), Some("srv42"));
    assert_eq!(
        d.remote_target.as_deref(),
        Some("sip:+8610000000000@127.0.0.1:5060;transport=udp")
    );
    assert_eq!(answer.body, ANSWER_SDP);
    let media = parse_answer(answer.body).expect("SDP");
    assert_eq!(
        media,
        MediaAnswer {
            rtp: "127.0.0.1:20002".parse().expect("addr"),
            law: Law::Mu,
            payload_type: 0,
            telephone_event: Some(101),
        }
    );

    // ACK and BYE go to the Contact, with the To-tag; each is a transaction of its own.
    let ack = d.ack();
    assert!(ack.starts_with("ACK sip:+8610000000000@127.0.0.1:5060;transport=udp SIP/2.0\r\n"));
    assert!(ack.contains(";tag=srv42\r\n") && ack.contains("CSeq: 1 ACK\r\n"));
    assert!(!ack.contains("branch=z9hG4bKlgabc-7i;"));
    let bye = d.bye();
    assert!(bye.starts_with("BYE sip:+8610000000000@127.0.0.1:5060;transport=udp SIP/2.0\r\n"));
    assert!(bye.contains("CSeq: 2 BYE\r\n") && bye.contains(";tag=srv42\r\n"));
    assert!(bye.contains("Call-ID: abc-7@loadgen\r\n"));
}

#[test]
fn a_refusal_is_acknowledged_inside_the_invite_transaction() {
    let d = dialog();
    let ack = d.ack_failure(Some("busy1"));
    assert!(ack.starts_with("ACK sip:+8610000000000@127.0.0.1:5060 SIP/2.0\r\n"));
    assert!(ack.contains("branch=z9hG4bKlgabc-7i;rport\r\n"));
    assert!(ack.contains("CSeq: 1 ACK\r\n") && ack.contains(";tag=busy1\r\n"));
}

#[test]
fn a_bye_from_the_server_is_answered_with_its_own_headers() {
    let bye = "BYE sip:+15550000007@127.0.0.1:40000 SIP/2.0\r\n\
        Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKsrv\r\n\
        From: <sip:+8610000000000@127.0.0.1>;tag=srv42\r\n\
        To: <sip:+15550000007@127.0.0.1>;tag=lgabc-7\r\n\
        i: abc-7@loadgen\r\nCSeq: 7 BYE\r\nl: 0\r\n\r\n";
    let request = Message::parse(bye.as_bytes()).expect("parses");
    assert_eq!(request.start, StartLine::Request { method: "BYE" });
    assert_eq!(request.call_id(), Some("abc-7@loadgen"), "compact form");
    let ok = Dialog::response_to(&request, 200, "OK");
    assert!(ok.starts_with("SIP/2.0 200 OK\r\n"));
    for line in [
        "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKsrv\r\n",
        "Call-ID: abc-7@loadgen\r\n",
        "CSeq: 7 BYE\r\n",
        "To: <sip:+15550000007@127.0.0.1>;tag=lgabc-7\r\n",
    ] {
        assert!(ok.contains(line), "{line} missing from {ok}");
    }
}

#[test]
fn datagrams_that_are_not_sip_are_refused_not_trusted() {
    assert!(
        Message::parse(&[0x80, 0xc8, 0, 6, 1, 2, 3, 4]).is_err(),
        "RTCP"
    );
    assert!(Message::parse(b"hello\r\n\r\n").is_err());
    assert!(Message::parse(b"SIP/2.0 abc OK\r\n\r\n").is_err());
    // A Content-Length past the datagram keeps what there is.
    let short =
        Message::parse(b"SIP/2.0 180 Ringing\r\nContent-Length: 99\r\n\r\nab").expect("parses");
    assert_eq!(short.body, "ab");
}

#[test]
fn the_answer_picks_the_first_g711_format_and_media_level_address() {
    let alaw = "v=0\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\n\
        m=audio 30000 RTP/AVP 8 0 96\r\nc=IN IP4 10.0.0.2\r\n\
        a=rtpmap:96 telephone-event/8000\r\n";
    let media = parse_answer(alaw).expect("SDP");
    assert_eq!(media.rtp, "10.0.0.2:30000".parse().expect("addr"));
    assert_eq!((media.law, media.payload_type), (Law::A, 8));
    assert_eq!(media.telephone_event, Some(96));

    let no_keys = "c=IN IP4 10.0.0.1\r\nm=audio 30000 RTP/AVP 0\r\n";
    assert_eq!(parse_answer(no_keys).expect("SDP").telephone_event, None);
    assert!(matches!(
        parse_answer("c=IN IP4 10.0.0.1\r\nm=audio 30000 RTP/AVP 18\r\n"),
        Err(SignallingError::NoCommonCodec(_))
    ));
    assert!(matches!(
        parse_answer("m=audio 30000 RTP/AVP 0\r\n"),
        Err(SignallingError::MissingSdp("c="))
    ));
    assert!(parse_answer("c=IN IP4 nowhere\r\nm=audio 1 RTP/AVP 0\r\n").is_err());
}

#[test]
fn an_invite_is_sent_again_at_half_a_second_doubling_until_it_is_answered() {
    let sent = Instant::now();
    let mut timer = Retransmit::new(RequestKind::Invite, sent);
    let mut resends = Vec::new();
    let mut now = sent;
    for _ in 0..5 {
        now = timer.deadline();
        assert_eq!(timer.on_deadline(now), Due::Resend);
        resends.push((now - sent).as_millis());
    }
    assert_eq!(resends, [500, 1_500, 3_500, 7_500, 15_500]);
    // Ringing stops the retransmissions; only the transaction timeout is left.
    timer.provisional(now);
    assert_eq!(timer.deadline(), sent + TRANSACTION_TIMEOUT);
    assert_eq!(timer.on_deadline(now + T1), Due::Wait);
    assert_eq!(timer.on_deadline(timer.deadline()), Due::TimedOut);
}

#[test]
fn a_bye_is_sent_again_no_further_apart_than_t2() {
    let sent = Instant::now();
    let mut timer = Retransmit::new(RequestKind::NonInvite, sent);
    let mut gaps = Vec::new();
    let mut last = sent;
    while timer.deadline() < sent + Duration::from_secs(20) {
        let at = timer.deadline();
        assert_eq!(timer.on_deadline(at), Due::Resend);
        gaps.push((at - last).as_millis());
        last = at;
    }
    assert_eq!(gaps[..6], [500, 1_000, 2_000, 4_000, 4_000, 4_000]);
    assert_eq!(timer.on_deadline(last), Due::Wait, "called early");
    assert_eq!(timer.on_deadline(sent + TRANSACTION_TIMEOUT), Due::TimedOut);
}

//! Offers as typical peers write them, for the parser and negotiation tests. Written for
//! these tests from what such peers are known to send; the addresses are documentation
//! ranges (RFC 5737, RFC 3849) and carrier-grade NAT space.

/// A PBX in the Asterisk mould: A-law first, GSM, telephone-event, `maxptime`, one
/// session-level `c=`.
pub const ASTERISK: &str = "v=0\r\n\
o=- 1712345678 1712345680 IN IP4 203.0.113.20\r\n\
s=Asterisk\r\n\
c=IN IP4 203.0.113.20\r\n\
t=0 0\r\n\
m=audio 17890 RTP/AVP 8 0 3 101\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:3 GSM/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-16\r\n\
a=ptime:20\r\n\
a=maxptime:150\r\n\
a=sendrecv\r\n";

/// A softswitch in the FreeSWITCH mould: wideband codecs first, then G.711, comfort noise,
/// an explicit `a=rtcp` with address.
pub const FREESWITCH: &str = "v=0\r\n\
o=FreeSWITCH 1712300000 1712300001 IN IP4 192.0.2.50\r\n\
s=FreeSWITCH\r\n\
c=IN IP4 192.0.2.50\r\n\
t=0 0\r\n\
m=audio 24680 RTP/AVP 9 102 0 8 101 13\r\n\
a=rtpmap:9 G722/8000\r\n\
a=rtpmap:102 opus/48000/2\r\n\
a=fmtp:102 useinbandfec=1; maxplaybackrate=16000\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-16\r\n\
a=rtpmap:13 CN/8000\r\n\
a=ptime:20\r\n\
a=sendrecv\r\n\
a=rtcp:24681 IN IP4 192.0.2.50\r\n";

/// A softphone in the baresip mould: IPv6, bare `\n` line ends, dynamic codecs first,
/// static G.711 without rtpmap, rtcp-mux, and a video stream we must decline.
pub const BARESIP_IPV6: &str = "v=0\n\
o=- 2890844526 2890842807 IN IP6 2001:db8::1234\n\
s=-\n\
c=IN IP6 2001:db8::1234\n\
t=0 0\n\
m=audio 10004 RTP/AVP 96 97 0 8 101\n\
b=AS:64\n\
a=rtpmap:96 opus/48000/2\n\
a=fmtp:96 stereo=1;sprop-stereo=1\n\
a=rtpmap:97 L16/8000\n\
a=rtpmap:101 telephone-event/8000\n\
a=fmtp:101 0-15\n\
a=rtcp-mux\n\
a=label:1\n\
a=sendrecv\n\
m=video 10006 RTP/AVP 100\n\
b=AS:512\n\
a=rtpmap:100 H264/90000\n\
a=fmtp:100 packetization-mode=1\n\
a=sendrecv\n";

/// A carrier SBC: A-law only, telephone-event at 97, a media-level `c=` that overrides
/// the session one, and a trailing blank line.
pub const CARRIER_SBC: &str = "v=0\r\n\
o=SBC 20240611 1 IN IP4 100.64.10.2\r\n\
s=SBC call\r\n\
c=IN IP4 100.64.10.2\r\n\
t=0 0\r\n\
m=audio 40132 RTP/AVP 8 97\r\n\
c=IN IP4 100.64.10.9\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:97 telephone-event/8000\r\n\
a=fmtp:97 0-15\r\n\
a=ptime:20\r\n\
a=sendrecv\r\n\
\r\n";

/// A PBX re-INVITE putting us on hold the RFC 3264 way: session-level `a=sendonly`.
pub const HOLD_SENDONLY: &str = "v=0\r\n\
o=- 1712345678 1712345681 IN IP4 203.0.113.20\r\n\
s=Asterisk\r\n\
c=IN IP4 203.0.113.20\r\n\
t=0 0\r\n\
a=sendonly\r\n\
m=audio 17890 RTP/AVP 8 101\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-16\r\n";

/// An older PBX holding the RFC 2543 way: connection address 0.0.0.0.
pub const HOLD_ZERO_ADDRESS: &str = "v=0\r\n\
o=pbx 55 56 IN IP4 192.0.2.80\r\n\
s=-\r\n\
c=IN IP4 0.0.0.0\r\n\
t=0 0\r\n\
m=audio 5004 RTP/AVP 0\r\n";

/// A fax gateway switching the call to T.38: no audio at all.
pub const T38_ONLY: &str = "v=0\r\n\
o=gw 7 8 IN IP4 192.0.2.90\r\n\
s=-\r\n\
c=IN IP4 192.0.2.90\r\n\
t=0 0\r\n\
m=image 6000 udptl t38\r\n\
a=T38FaxVersion:0\r\n\
a=T38FaxRateManagement:transferredTCF\r\n";

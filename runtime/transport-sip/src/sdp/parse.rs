//! SDP text to [`SessionDescription`] (RFC 4566 §5): bounded, line by line, with errors
//! that name the offending line.
//!
//! Strict where a mistake would send audio to the wrong place or in the wrong codec
//! (`c=`, `m=`, `a=rtpmap`, `a=ptime`, `a=rtcp`); lenient elsewhere: `\n` line ends are
//! accepted as well as `\r\n`, blank lines are skipped, `t=`, `s=` and `b=` may be
//! missing, bytes that are not UTF-8 only spoil the free-text fields they sit in, and
//! unknown attributes are kept as written.

use std::net::IpAddr;
use std::str::FromStr;

use super::{
    Attribute, Fmtp, MediaDirection, MediaSection, Origin, RtcpAttribute, RtpMap, SdpError,
    SessionDescription,
};

/// The largest body we read. A two-codec audio offer is about 300 bytes and a WebRTC-style
/// offer with ICE candidates and several streams a few KiB; 16 KiB leaves room for any
/// real trunk while bounding the work an attacker can ask of us.
pub const MAX_SDP_BYTES: usize = 16 * 1024;

/// The most `m=` sections we read. Calls carry one audio stream and sometimes video, T.38
/// or BFCP beside it; 64 is far above that, and every section costs an answer line.
pub const MAX_MEDIA_SECTIONS: usize = 64;

/// How much of an offending line an error quotes: enough to recognise it in a trace,
/// short enough to keep a hostile line out of the logs.
const QUOTED_LINE_CHARS: usize = 80;

/// The highest RTP payload type: the field is 7 bits (RFC 3550 §5.1).
const MAX_PAYLOAD_TYPE: u8 = 127;

impl SessionDescription {
    /// Parses a body as received off the wire.
    pub fn parse_bytes(body: &[u8]) -> Result<SessionDescription, SdpError> {
        check_size(body.len())?;
        // Checked before the lossy decoding, which may grow invalid bytes threefold.
        parse_text(&String::from_utf8_lossy(body))
    }

    /// Parses SDP text.
    pub fn parse(text: &str) -> Result<SessionDescription, SdpError> {
        check_size(text.len())?;
        parse_text(text)
    }
}

fn parse_text(text: &str) -> Result<SessionDescription, SdpError> {
    let mut parser = Parser::default();
    for (index, raw) in text.split('\n').enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() {
            continue;
        }
        parser.line(index + 1, line)?;
    }
    parser.finish()
}

impl FromStr for SessionDescription {
    type Err = SdpError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        SessionDescription::parse(text)
    }
}

fn check_size(size: usize) -> Result<(), SdpError> {
    if size > MAX_SDP_BYTES {
        return Err(SdpError::TooLarge {
            size,
            limit: MAX_SDP_BYTES,
        });
    }
    Ok(())
}

/// One line under examination, for error messages.
struct Line<'a> {
    number: usize,
    text: &'a str,
}

impl Line<'_> {
    fn error(&self, reason: &'static str) -> SdpError {
        SdpError::Malformed {
            line: self.number,
            text: self.text.chars().take(QUOTED_LINE_CHARS).collect(),
            reason,
        }
    }
}

#[derive(Default)]
struct Parser {
    seen_version: bool,
    origin: Option<Origin>,
    session_name: String,
    connection: Option<IpAddr>,
    direction: Option<MediaDirection>,
    attributes: Vec<Attribute>,
    media: Vec<MediaSection>,
}

impl Parser {
    fn line(&mut self, number: usize, text: &str) -> Result<(), SdpError> {
        let line = Line { number, text };
        let mut chars = text.chars();
        let (Some(kind), Some('=')) = (chars.next(), chars.next()) else {
            return Err(line.error("not a `x=value` line"));
        };
        if !kind.is_ascii_lowercase() {
            return Err(line.error("the line type must be one lower-case letter"));
        }
        let value = &text[2..];
        if !self.seen_version {
            if kind != 'v' {
                return Err(line.error("SDP must start with `v=0`"));
            }
            if value.trim() != "0" {
                return Err(line.error("only SDP version 0 exists"));
            }
            self.seen_version = true;
            return Ok(());
        }
        match kind {
            'v' => Err(line.error("a second `v=` line")),
            'o' if self.media.is_empty() => {
                self.origin = Some(parse_origin(&line, value)?);
                Ok(())
            }
            's' if self.media.is_empty() => {
                self.session_name = value.to_owned();
                Ok(())
            }
            'c' => {
                let address = parse_connection(&line, value)?;
                match self.media.last_mut() {
                    Some(section) => section.connection = Some(address),
                    None => self.connection = Some(address),
                }
                Ok(())
            }
            'm' => {
                if self.media.len() == MAX_MEDIA_SECTIONS {
                    return Err(SdpError::TooManyMediaSections {
                        limit: MAX_MEDIA_SECTIONS,
                    });
                }
                self.media.push(parse_media(&line, value)?);
                Ok(())
            }
            'a' => self.attribute(&line, value),
            // i, u, e, p, b, t, r, z, k: nothing a G.711 call acts on.
            _ => Ok(()),
        }
    }

    fn attribute(&mut self, line: &Line<'_>, value: &str) -> Result<(), SdpError> {
        let (name, rest) = match value.split_once(':') {
            Some((name, rest)) => (name, Some(rest)),
            None => (value, None),
        };
        if name.is_empty() {
            return Err(line.error("an attribute needs a name"));
        }
        if let (Some(direction), None) = (MediaDirection::from_attribute(name), rest) {
            match self.media.last_mut() {
                Some(section) => section.direction = Some(direction),
                None => self.direction = Some(direction),
            }
            return Ok(());
        }
        let unknown = Attribute {
            name: name.to_owned(),
            value: rest.map(str::to_owned),
        };
        let Some(section) = self.media.last_mut() else {
            self.attributes.push(unknown);
            return Ok(());
        };
        match (name, rest) {
            ("rtpmap", Some(rest)) => section.rtpmaps.push(parse_rtpmap(line, rest)?),
            ("fmtp", Some(rest)) => match parse_fmtp(rest) {
                Some(fmtp) => section.fmtps.push(fmtp),
                // A non-numeric format (T.38's `t38`, BFCP's `*`) is not ours to read.
                None => section.attributes.push(unknown),
            },
            ("ptime", Some(rest)) => {
                let ms = rest.trim().parse::<u32>();
                section.ptime_ms = Some(ms.map_err(|_| line.error("ptime must be whole ms"))?);
            }
            ("rtcp", Some(rest)) => section.rtcp = Some(parse_rtcp(line, rest)?),
            ("rtcp-mux", None) => section.rtcp_mux = true,
            _ => section.attributes.push(unknown),
        }
        Ok(())
    }

    fn finish(self) -> Result<SessionDescription, SdpError> {
        if !self.seen_version {
            return Err(SdpError::Missing("v="));
        }
        Ok(SessionDescription {
            origin: self.origin.ok_or(SdpError::Missing("o="))?,
            session_name: self.session_name,
            connection: self.connection,
            direction: self.direction,
            media: self.media,
            attributes: self.attributes,
        })
    }
}

/// `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>`
fn parse_origin(line: &Line<'_>, value: &str) -> Result<Origin, SdpError> {
    let fields: Vec<&str> = value.split_ascii_whitespace().collect();
    let [username, id, version, _nettype, _addrtype, address] = fields[..] else {
        return Err(line.error("`o=` needs six fields: user id version IN IP4|IP6 address"));
    };
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !numeric(id) || !numeric(version) {
        return Err(line.error("session id and version must be numbers"));
    }
    Ok(Origin {
        username: username.to_owned(),
        session_id: id.to_owned(),
        session_version: version.to_owned(),
        address: address.to_owned(),
    })
}

/// `c=IN IP4|IP6 <address>[/<ttl>][/<count>]`
fn parse_connection(line: &Line<'_>, value: &str) -> Result<IpAddr, SdpError> {
    let fields: Vec<&str> = value.split_ascii_whitespace().collect();
    let [nettype, addrtype, address] = fields[..] else {
        return Err(line.error("`c=` needs three fields: IN IP4|IP6 address"));
    };
    if nettype != "IN" {
        return Err(line.error("only the IN network type is supported"));
    }
    // Multicast suffixes (TTL, address count) do not change where unicast RTP goes.
    let address = address.split('/').next().unwrap_or(address);
    let parsed: IpAddr = address
        .parse()
        .map_err(|_| line.error("the address must be a literal IPv4 or IPv6 address"))?;
    match (addrtype, parsed) {
        ("IP4", IpAddr::V4(_)) | ("IP6", IpAddr::V6(_)) => Ok(parsed),
        ("IP4" | "IP6", _) => Err(line.error("the address does not match IP4/IP6")),
        _ => Err(line.error("the address type must be IP4 or IP6")),
    }
}

/// `m=<media> <port>[/<count>] <proto> <fmt> ...`
fn parse_media(line: &Line<'_>, value: &str) -> Result<MediaSection, SdpError> {
    let mut fields = value.split_ascii_whitespace();
    let (Some(media), Some(port), Some(proto)) = (fields.next(), fields.next(), fields.next())
    else {
        return Err(line.error("`m=` needs: media port proto formats"));
    };
    // A port count (`49170/2`) asks for consecutive stream pairs; one call uses the first.
    let port = port.split('/').next().unwrap_or(port);
    let port: u16 = port
        .parse()
        .map_err(|_| line.error("the port must be a number 0-65535"))?;
    let formats: Vec<String> = fields.map(str::to_owned).collect();
    if formats.is_empty() && port != 0 {
        return Err(line.error("an active media section must list at least one format"));
    }
    let section = MediaSection {
        media: media.to_owned(),
        port,
        proto: proto.to_owned(),
        formats,
        rtpmaps: Vec::new(),
        fmtps: Vec::new(),
        ptime_ms: None,
        direction: None,
        connection: None,
        rtcp: None,
        rtcp_mux: false,
        attributes: Vec::new(),
    };
    if section.is_rtp() {
        for format in &section.formats {
            parse_payload_type(format)
                .ok_or_else(|| line.error("RTP formats must be payload types 0-127"))?;
        }
    }
    Ok(section)
}

fn parse_payload_type(text: &str) -> Option<u8> {
    text.parse::<u8>().ok().filter(|&pt| pt <= MAX_PAYLOAD_TYPE)
}

/// `a=rtpmap:<pt> <encoding>/<clock rate>[/<channels>]`
fn parse_rtpmap(line: &Line<'_>, rest: &str) -> Result<RtpMap, SdpError> {
    let bad = || line.error("rtpmap must read `<pt> <name>/<rate>[/<channels>]`");
    let (pt, encoding) = rest.trim().split_once(' ').ok_or_else(bad)?;
    let payload_type = parse_payload_type(pt).ok_or_else(bad)?;
    let mut parts = encoding.trim().split('/');
    let name = parts.next().filter(|n| !n.is_empty()).ok_or_else(bad)?;
    let clock_rate = parts
        .next()
        .and_then(|r| r.parse::<u32>().ok())
        .filter(|&r| r > 0)
        .ok_or_else(bad)?;
    let channels = match parts.next() {
        Some(c) => c.parse::<u8>().ok().filter(|&c| c > 0).ok_or_else(bad)?,
        None => 1,
    };
    if parts.next().is_some() {
        return Err(bad());
    }
    Ok(RtpMap {
        payload_type,
        encoding: name.to_owned(),
        clock_rate,
        channels,
    })
}

/// `a=fmtp:<pt> <parameters>`; `None` when the format is not a payload type.
fn parse_fmtp(rest: &str) -> Option<Fmtp> {
    let rest = rest.trim();
    let (pt, parameters) = rest.split_once(' ').unwrap_or((rest, ""));
    Some(Fmtp {
        payload_type: parse_payload_type(pt)?,
        parameters: parameters.trim().to_owned(),
    })
}

/// `a=rtcp:<port> [IN IP4|IP6 <address>]` (RFC 3605 §2.1)
fn parse_rtcp(line: &Line<'_>, rest: &str) -> Result<RtcpAttribute, SdpError> {
    let rest = rest.trim();
    let (port, address) = match rest.split_once(' ') {
        Some((port, address)) => (port, Some(address)),
        None => (rest, None),
    };
    let port = port
        .parse::<u16>()
        .ok()
        .filter(|&p| p != 0)
        .ok_or_else(|| line.error("the rtcp port must be a number 1-65535"))?;
    let address = address
        .map(|connection| parse_connection(line, connection))
        .transpose()?;
    Ok(RtcpAttribute { port, address })
}

#[cfg(test)]
mod tests;

//! Real SIP software on loopback for the SIP tests: Kamailio as the carrier (a proxy and
//! registrar that demands digest authentication from everyone, the server included) and
//! baresip as customers' phones (headless: a WAV file as the microphone, received audio
//! recorded to WAV, driven over its ctrl_tcp socket). Both come from Debian
//! (`scripts/setup`); each test starts its own, on ports of its own, in a temp dir.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// A free loopback port (UDP and TCP), for a program that binds it itself right after.
/// Tries at starting a phone (see [`Phone::start`]).
const START_ATTEMPTS: usize = 3;

pub fn free_port() -> u16 {
    loop {
        let udp = UdpSocket::bind("127.0.0.1:0").expect("udp");
        let port = udp.local_addr().expect("addr").port();
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// A base for a range of `len` free even-aligned UDP ports (RTP), checked by binding.
pub fn free_port_range(len: u16) -> u16 {
    for _ in 0..50 {
        let base = 20_000 + (rand_u16() % 20_000) / 2 * 2;
        if (base..base + len).all(|p| UdpSocket::bind(("127.0.0.1", p)).is_ok()) {
            return base;
        }
    }
    panic!("no free UDP port range");
}

fn rand_u16() -> u16 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    (nanos ^ (std::process::id() << 7)) as u16
}

/// A subscriber of the carrier: who may authenticate, with which password.
pub struct Subscriber<'a> {
    pub user: &'a str,
    pub password: &'a str,
}

/// Kamailio as a carrier on `127.0.0.1:port` (UDP and TCP). Every request out of a
/// dialog must authenticate (REGISTER: 401, the rest: 407). A called number's `+` is
/// stripped and the number looked up among registered phones; numbers ending in 486 or
/// 603 are answered busy or declined by the carrier itself, as a network announces a
/// busy line; numbers starting `+86139` all ring the phone registered as
/// `8613900000000`, `+86137` the one registered as `8613700000000` and `+86135` the one
/// registered as `8613500000000` (hunt groups, so a
/// few phones answer a campaign's many numbers); anything unregistered is 404. Every
/// authenticated INVITE is counted ([`Kamailio::invites`]): what the carrier saw.
pub struct Kamailio {
    child: Child,
    pub port: u16,
    _dir: tempfile::TempDir,
    invites: std::sync::Arc<std::sync::Mutex<Vec<(String, f64)>>>,
}

impl Kamailio {
    pub fn start(subscribers: &[Subscriber<'_>]) -> Kamailio {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("db");
        std::fs::create_dir_all(&db).expect("db dir");
        std::fs::write(
            db.join("version"),
            "id(int,auto) table_name(string) table_version(int) \n0:version:1\n0:subscriber:7\n0:location:9\n",
        )
        .expect("version table");
        let mut table = String::from(
            "id(int,auto) username(string) domain(string) password(string) ha1(string) ha1b(string) \n",
        );
        for (i, s) in subscribers.iter().enumerate() {
            // db_text refuses empty columns; with calculate_ha1 the ha1 columns are unused.
            table.push_str(&format!(
                "{}:{}:127.0.0.1:{}:x:x\n",
                i + 1,
                s.user,
                s.password
            ));
        }
        std::fs::write(db.join("subscriber"), table).expect("subscriber table");
        let config = dir.path().join("kamailio.cfg");
        std::fs::write(
            &config,
            KAMAILIO_CFG.replace("@DB@", &db.display().to_string()),
        )
        .expect("kamailio.cfg");
        let run = dir.path().join("run");
        std::fs::create_dir_all(&run).expect("run dir");
        let port = free_port();
        let mut child = Command::new("kamailio")
            .arg("-f")
            .arg(&config)
            .args(["-DD", "-E", "-m", "64", "-M", "8"])
            .args(["-l", &format!("udp:127.0.0.1:{port}")])
            .args(["-l", &format!("tcp:127.0.0.1:{port}")])
            .arg("-P")
            .arg(run.join("kamailio.pid"))
            .arg("-Y")
            .arg(&run)
            .arg("-w")
            .arg(&run)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("kamailio: {e} (run ./scripts/setup)"));
        // Ready once it answers an OPTIONS ping.
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if options_ping(port) {
                break;
            }
            if let Ok(Some(status)) = child.try_wait() {
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                panic!("kamailio exited with {status}: {err}");
            }
            assert!(Instant::now() < deadline, "kamailio did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        // Its log is drained so it never blocks on a full pipe; the INVITE lines are kept.
        let invites = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        if let Some(stderr) = child.stderr.take() {
            let seen = invites.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    let Some((_, rest)) = line.split_once("huashu-invite ") else {
                        continue;
                    };
                    let mut fields = rest.split_whitespace();
                    if let (Some(number), Some(at)) = (fields.next(), fields.next()) {
                        let at = at.parse::<f64>().unwrap_or_default();
                        seen.lock().expect("invites").push((number.to_owned(), at));
                    }
                }
            });
        }
        Kamailio {
            child,
            port,
            _dir: dir,
            invites,
        }
    }
}

impl Kamailio {
    /// Every INVITE that got past authentication so far: the number as dialled and when
    /// (Unix seconds).
    pub fn invites(&self) -> Vec<(String, f64)> {
        self.invites.lock().expect("invites").clone()
    }
}

impl Drop for Kamailio {
    fn drop(&mut self) {
        // SIGTERM lets Kamailio stop its children too.
        terminate(self.child.id());
        let _ = self.child.wait();
    }
}

fn terminate(pid: u32) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status();
}

/// Sends an OPTIONS to `127.0.0.1:port` and says whether anything answered.
pub fn options_ping(port: u16) -> bool {
    let Ok(socket) = UdpSocket::bind("127.0.0.1:0") else {
        return false;
    };
    let local = socket.local_addr().map(|a| a.port()).unwrap_or_default();
    let request = format!(
        "OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{local};branch=z9hG4bK{local}x\r\nMax-Forwards: 70\r\nFrom: <sip:ping@127.0.0.1>;tag=p{local}\r\nTo: <sip:127.0.0.1:{port}>\r\nCall-ID: ping{local}@127.0.0.1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    );
    let _ = socket.set_read_timeout(Some(Duration::from_millis(300)));
    if socket
        .send_to(request.as_bytes(), ("127.0.0.1", port))
        .is_err()
    {
        return false;
    }
    let mut buf = [0u8; 2048];
    socket.recv(&mut buf).is_ok()
}

const KAMAILIO_CFG: &str = r#"#!KAMAILIO
debug=1
log_stderror=yes
fork=yes
children=2
auto_aliases=no
disable_tcp=no
tcp_children=2

loadmodule "kex.so"
loadmodule "corex.so"
loadmodule "tm.so"
loadmodule "tmx.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "sanity.so"
loadmodule "db_text.so"
loadmodule "auth.so"
loadmodule "auth_db.so"
loadmodule "xlog.so"

modparam("usrloc", "db_mode", 0)
modparam("auth_db", "db_url", "text://@DB@")
modparam("auth_db", "calculate_ha1", 1)
modparam("auth_db", "password_column", "password")
modparam("auth_db", "load_credentials", "")

request_route {
	if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
	if (!sanity_check("17895", "7")) { exit; }
	if (is_method("OPTIONS") && uri==myself && $rU==$null) { sl_send_reply("200", "Keepalive"); exit; }
	if (has_totag()) {
		if (loose_route()) { route(RELAY); exit; }
		if (is_method("ACK")) { if (t_check_trans()) { route(RELAY); } exit; }
		sl_send_reply("404", "Not here");
		exit;
	}
	if (is_method("CANCEL")) { if (t_check_trans()) { route(RELAY); } exit; }
	t_check_trans();
	if (is_method("REGISTER")) {
		if (!www_authorize("$td", "subscriber")) { www_challenge("$td", "1"); exit; }
		consume_credentials();
		if (!save("location")) { sl_reply_error(); }
		exit;
	}
	if (!proxy_authorize("$fd", "subscriber")) { proxy_challenge("$fd", "1"); exit; }
	consume_credentials();
	if (is_method("INVITE")) { xlog("L_ERR", "huashu-invite $rU $TV(Sn)\n"); }
	if (is_method("INVITE|SUBSCRIBE|REFER")) { record_route(); }
	if (uri==myself) {
		if ($rU =~ "^\+") { $rU = $(rU{s.substr,1,0}); }
		if ($rU =~ "^86139") { $rU = "8613900000000"; }
		if ($rU =~ "^86137") { $rU = "8613700000000"; }
		if ($rU =~ "^86135") { $rU = "8613500000000"; }
		if ($rU =~ "486$") { sl_send_reply("486", "Busy Here"); exit; }
		if ($rU =~ "603$") { sl_send_reply("603", "Decline"); exit; }
		if (!lookup("location")) { sl_send_reply("404", "Not Found"); exit; }
	}
	route(RELAY);
}

route[RELAY] {
	if (!t_relay()) { sl_reply_error(); }
	exit;
}
"#;

/// A baresip phone: registered at `registrar` (a Kamailio port) as `user`, answering by
/// itself or not, with `microphone` (8 kHz mono 16-bit WAV) as what it says, recording
/// what it hears into its folder.
pub struct Phone {
    child: Child,
    control: TcpStream,
    pub sip_port: u16,
    pub dir: tempfile::TempDir,
    pending: Vec<u8>,
    pub events: Vec<Value>,
    responses: Vec<Value>,
}

/// How a phone takes calls.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Picks up at once.
    Auto,
    /// Rings until told (or forever).
    Manual,
}

impl Phone {
    pub fn start(
        registrar: u16,
        user: &str,
        password: &str,
        answer: Answer,
        microphone: &Path,
    ) -> Phone {
        // Ports found free may be taken by another test before baresip binds them; it then
        // exits at once, and is started again on other ports.
        for _ in 0..START_ATTEMPTS {
            if let Some(phone) = Self::try_start(registrar, user, password, answer, microphone) {
                return phone;
            }
        }
        panic!("baresip did not start in {START_ATTEMPTS} attempts")
    }

    /// One attempt at [`Phone::start`]: `None` if baresip exited before it listened.
    fn try_start(
        registrar: u16,
        user: &str,
        password: &str,
        answer: Answer,
        microphone: &Path,
    ) -> Option<Phone> {
        let dir = tempfile::tempdir().expect("tempdir");
        let sip_port = free_port();
        let control_port = free_port();
        let rtp = free_port_range(40);
        let recordings = dir.path().join("rec");
        std::fs::create_dir_all(&recordings).expect("rec dir");
        let config = format!(
            "poll_method\t\tepoll\nsip_listen\t\t127.0.0.1:{sip_port}\nnet_interface\t\t127.0.0.1\n\
             call_local_timeout\t120\ncall_max_calls\t\t4\naudio_player\t\talsa,null\n\
             audio_source\t\taufile,{mic}\naudio_alert\t\talsa,null\nrtp_ports\t\t{rtp}-{rtp_end}\n\
             rtcp_mux\t\tno\njitter_buffer_delay\t1-5\nmodule_path\t\t/usr/lib/baresip/modules\n\
             module\t\t\tg711.so\nmodule\t\t\taufile.so\nmodule\t\t\talsa.so\nmodule\t\t\tsndfile.so\n\
             module\t\t\tctrl_tcp.so\nmodule_tmp\t\tuuid.so\nmodule_tmp\t\taccount.so\n\
             module_app\t\tmenu.so\nctrl_tcp_listen\t\t127.0.0.1:{control_port}\n\
             snd_path\t\t{rec}\nstatmode_default\toff\n",
            mic = microphone.display(),
            rtp_end = rtp + 39,
            rec = recordings.display(),
        );
        std::fs::write(dir.path().join("config"), config).expect("config");
        let mode = match answer {
            Answer::Auto => "auto",
            Answer::Manual => "manual",
        };
        std::fs::write(
            dir.path().join("accounts"),
            format!("<sip:{user}@127.0.0.1:{registrar};transport=udp>;auth_pass={password};answermode={mode};audio_codecs=pcma,pcmu;regint=300\n"),
        )
        .expect("accounts");
        std::fs::write(dir.path().join("contacts"), "").expect("contacts");
        let mut child = Command::new("baresip")
            .arg("-f")
            .arg(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("baresip: {e} (run ./scripts/setup)"));
        let deadline = Instant::now() + Duration::from_secs(20);
        let control = loop {
            if let Ok(stream) = TcpStream::connect(("127.0.0.1", control_port)) {
                break stream;
            }
            if matches!(child.try_wait(), Ok(Some(_))) {
                return None;
            }
            assert!(Instant::now() < deadline, "baresip did not start");
            std::thread::sleep(Duration::from_millis(100));
        };
        control
            .set_read_timeout(Some(Duration::from_millis(200)))
            .expect("timeout");
        let mut phone = Phone {
            child,
            control,
            sip_port,
            dir,
            pending: Vec::new(),
            events: Vec::new(),
            responses: Vec::new(),
        };
        // Registered once the account's line in `reginfo` says OK (the REGISTER_OK event
        // may fire before the control socket is connected).
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            phone.command("reginfo", "");
            let info = phone.until_response(Duration::from_secs(5));
            if info["data"].as_str().is_some_and(|d| d.contains("OK")) {
                break Some(phone);
            }
            assert!(
                Instant::now() < deadline,
                "baresip did not register: {info}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The next command response.
    fn until_response(&mut self, limit: Duration) -> Value {
        let deadline = Instant::now() + limit;
        loop {
            if !self.responses.is_empty() {
                return self.responses.remove(0);
            }
            assert!(Instant::now() < deadline, "no response from baresip");
            self.read_events();
        }
    }

    /// Sends a ctrl_tcp command (`dial`, `hangup`, `sndcode`, `accept`…).
    pub fn command(&mut self, command: &str, params: &str) {
        let body =
            serde_json::json!({"command": command, "params": params, "token": "t"}).to_string();
        let frame = format!("{}:{body},", body.len());
        self.control
            .write_all(frame.as_bytes())
            .expect("ctrl_tcp write");
    }

    /// Reads events until one of `kind` arrives (returned), or panics after `limit`.
    pub fn until_event(&mut self, kind: &str, limit: Duration) -> Value {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(at) = self.events.iter().position(|e| e["type"] == kind) {
                return self.events.remove(at);
            }
            assert!(
                Instant::now() < deadline,
                "no {kind} from baresip; saw {:?}",
                self.events
            );
            self.read_events();
        }
    }

    /// Whether an event of `kind` arrives within `limit`.
    pub fn sees_event(&mut self, kind: &str, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if self.events.iter().any(|e| e["type"] == kind) {
                return true;
            }
            self.read_events();
        }
        false
    }

    fn read_events(&mut self) {
        let mut buf = [0u8; 8192];
        match self.control.read(&mut buf) {
            Ok(0) => std::thread::sleep(Duration::from_millis(50)),
            Ok(n) => self.pending.extend_from_slice(&buf[..n]),
            Err(_) => {}
        }
        // Netstrings: `LEN:JSON,`.
        while let Some(colon) = self.pending.iter().position(|&b| b == b':') {
            let Ok(len) = std::str::from_utf8(&self.pending[..colon])
                .unwrap_or("x")
                .parse::<usize>()
            else {
                self.pending.clear();
                return;
            };
            if self.pending.len() < colon + 1 + len + 1 {
                return;
            }
            let body = self.pending[colon + 1..colon + 1 + len].to_vec();
            self.pending.drain(..colon + 1 + len + 1);
            if let Ok(value) = serde_json::from_slice::<Value>(&body) {
                if value["event"] == true {
                    self.events.push(value);
                } else if value["response"] == true {
                    self.responses.push(value);
                }
            }
        }
    }

    /// The WAV files baresip recorded (what it heard: `*-dec.wav`).
    pub fn recordings_heard(&self) -> Vec<PathBuf> {
        std::fs::read_dir(self.dir.path().join("rec"))
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.to_string_lossy().ends_with("dec.wav"))
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Drop for Phone {
    fn drop(&mut self) {
        self.command("quit", "");
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Writes `samples` (8 kHz mono) as a 16-bit WAV file.
pub fn write_wav_8k(path: &Path, samples: &[i16]) {
    let data_len = (samples.len() * 2) as u32;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&8000u32.to_le_bytes());
    out.extend_from_slice(&16000u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    std::fs::write(path, out).expect("write wav");
}

/// A phone's microphone file: `quiet_ms` of silence, `words` spoken in US English by eSpeak
/// NG (nothing when empty), then silence to `total_ms`, when baresip's file ends and it
/// hangs up. 8 kHz mono, as a phone sends it.
pub fn phone_microphone(dir: &Path, words: &str, quiet_ms: usize, total_ms: usize) -> PathBuf {
    use huashu_speech::tts::TextToSpeech;
    let mut samples = vec![0i16; quiet_ms * 8];
    if !words.is_empty() {
        let speech = huashu_speech::tts::espeak::EspeakTts::default()
            .synthesize_blocking("en-us", words)
            .unwrap_or_else(|e| panic!("eSpeak NG: {e} (run ./scripts/setup)"));
        samples.extend(
            huashu_media::resample::convert_i16(speech.samples(), 16_000, 8_000).expect("resample"),
        );
    }
    samples.resize(samples.len().max(total_ms * 8), 0);
    let path = dir.join(format!("mic-{}.wav", words.replace(' ', "-")));
    write_wav_8k(&path, &samples);
    path
}

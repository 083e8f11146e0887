//! The CURVE client: sends HELLO, opens WELCOME with the server's long-term key, sends INITIATE
//! (its long-term key, the vouch, its metadata), opens READY. Then boxes frames as MESSAGEs.

use super::data_phase;
use super::message::MessageCodec;
use super::nacl_box::BoxKey;
use super::{
    counter_at, key_at, long_nonce, nonce_tail_at, open, precompute, seal_into, short_nonce,
    COOKIE_WITH_NONCE_LEN, ERROR, HELLO, HELLO_LEN, HELLO_NONCE, INITIATE, INITIATE_NONCE, KEY_LEN,
    MESSAGE_FROM_CLIENT, MESSAGE_FROM_SERVER, READY, READY_MIN_LEN, READY_NONCE, VOUCH_NONCE,
    WELCOME, WELCOME_LEN, WELCOME_NONCE,
};
use crate::error::ProtocolError;
use crate::wire::command::{name_of, Command, Metadata};
use crate::wire::mechanism::{Mechanism, MechanismStatus};
use crate::wire::security::data::{FrameOpener, FrameSealer};
use crate::wire::security::keys::{CurvePublicKey, CurveSecretKey};
use crate::wire::security::{random, SecurityError};
use bytes::{BufMut, Bytes, BytesMut};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    SendHello,
    ExpectWelcome,
    SendInitiate,
    ExpectReady,
    Ready,
    /// A command was refused; every further call fails.
    Failed,
}

/// What WELCOME taught us.
struct Welcomed {
    /// The server's short-term key (S').
    server_short: CurvePublicKey,
    /// The cookie's nonce tail and the cookie, echoed in INITIATE.
    cookie: [u8; COOKIE_WITH_NONCE_LEN],
    /// Precomputed (S', c'): INITIATE, READY and every MESSAGE.
    codec: MessageCodec,
}

pub struct CurveClient {
    state: State,
    local: Metadata,
    /// Our long-term key pair (C, c) and the server's long-term key (S).
    public: CurvePublicKey,
    secret: CurveSecretKey,
    server: CurvePublicKey,
    /// Our short-term key pair (C', c'), new for this connection.
    short_public: CurvePublicKey,
    short_secret: CurveSecretKey,
    /// Precomputed (S, c'): HELLO's signature box and WELCOME.
    hello_key: BoxKey,
    /// Drawn up front so that no random draw can fail mid-handshake.
    vouch_nonce: [u8; 16],
    /// Counter for HELLO; the codec takes it over after WELCOME.
    hello_nonce: u64,
    welcomed: Option<Welcomed>,
    peer: Option<Metadata>,
}

impl CurveClient {
    /// `public`/`secret`: our long-term pair (C, c); `server`: the server's long-term key (S);
    /// `local`: our INITIATE metadata (Socket-Type, Identity).
    pub fn new(
        public: CurvePublicKey,
        secret: CurveSecretKey,
        server: CurvePublicKey,
        local: Metadata,
    ) -> Result<CurveClient, SecurityError> {
        let short_secret = CurveSecretKey::generate()?;
        let hello_key =
            precompute(server.as_bytes(), &short_secret).ok_or(SecurityError::WeakKey)?;
        Ok(CurveClient {
            state: State::SendHello,
            local,
            public,
            secret,
            server,
            short_public: short_secret.public_key(),
            short_secret,
            hello_key,
            vouch_nonce: random::array::<16>()?,
            hello_nonce: 1,
            welcomed: None,
            peer: None,
        })
    }

    fn hello(&mut self) -> Result<Bytes, ProtocolError> {
        let mut out = BytesMut::with_capacity(HELLO_LEN);
        out.extend_from_slice(HELLO);
        out.extend_from_slice(&[1, 0]);
        // libzmq's anti-amplification padding: the server's 168-byte WELCOME is never larger than
        // the HELLO that provoked it, so a spoofed source address gains an attacker nothing.
        out.extend_from_slice(&[0u8; 72]);
        out.extend_from_slice(self.short_public.as_bytes());
        let counter = self.hello_nonce;
        out.put_u64(counter);
        seal_into(
            &self.hello_key,
            &short_nonce(HELLO_NONCE, counter),
            &[0u8; 64],
            &mut out,
        );
        self.hello_nonce = counter.saturating_add(1);
        Ok(out.freeze())
    }

    fn welcome(&mut self, body: &[u8]) -> Result<(), ProtocolError> {
        if body.len() != WELCOME_LEN {
            return Err(ProtocolError::BadCommand("CURVE WELCOME is not 168 bytes"));
        }
        let nonce_tail = nonce_tail_at(body, 8)
            .ok_or(ProtocolError::BadCommand("CURVE WELCOME is not 168 bytes"))?;
        let nonce = long_nonce(WELCOME_NONCE, nonce_tail);
        let plain = open(
            &self.hello_key,
            &nonce,
            &body[24..],
            "CURVE WELCOME box does not open: wrong server key, or not that server",
        )?;
        let server_short = CurvePublicKey::from_bytes(
            key_at(&plain, 0).ok_or(ProtocolError::BadCommand("short CURVE WELCOME"))?,
        );
        let mut cookie = [0u8; COOKIE_WITH_NONCE_LEN];
        cookie.copy_from_slice(
            plain
                .get(KEY_LEN..KEY_LEN + COOKIE_WITH_NONCE_LEN)
                .ok_or(ProtocolError::BadCommand("short CURVE WELCOME"))?,
        );
        let key = precompute(server_short.as_bytes(), &self.short_secret).ok_or(
            ProtocolError::BadCommand("CURVE WELCOME: server short-term key of small order"),
        )?;
        self.welcomed = Some(Welcomed {
            server_short,
            cookie,
            codec: MessageCodec::new(
                key,
                MESSAGE_FROM_CLIENT,
                MESSAGE_FROM_SERVER,
                self.hello_nonce,
            ),
        });
        self.state = State::SendInitiate;
        Ok(())
    }

    fn initiate(&mut self) -> Result<Bytes, ProtocolError> {
        let welcomed = self
            .welcomed
            .as_mut()
            .ok_or(ProtocolError::UnexpectedCommand(
                "INITIATE before WELCOME".into(),
            ))?;
        // vouch = Box[C' + S](C->S'): proves that the holder of c speaks through C'.
        let vouch_key = precompute(welcomed.server_short.as_bytes(), &self.secret).ok_or(
            ProtocolError::BadCommand("CURVE WELCOME: server short-term key of small order"),
        )?;
        let mut vouch_plain = [0u8; 2 * KEY_LEN];
        vouch_plain[..KEY_LEN].copy_from_slice(self.short_public.as_bytes());
        vouch_plain[KEY_LEN..].copy_from_slice(self.server.as_bytes());
        let mut vouch = BytesMut::new();
        seal_into(
            &vouch_key,
            &long_nonce(VOUCH_NONCE, &self.vouch_nonce),
            &vouch_plain,
            &mut vouch,
        );

        let mut plain = BytesMut::new();
        plain.extend_from_slice(self.public.as_bytes());
        plain.extend_from_slice(&self.vouch_nonce);
        plain.extend_from_slice(&vouch);
        self.local.encode(&mut plain);

        let counter = welcomed.codec.take_nonce()?;
        let mut out =
            BytesMut::with_capacity(INITIATE.len() + COOKIE_WITH_NONCE_LEN + 8 + 16 + plain.len());
        out.extend_from_slice(INITIATE);
        out.extend_from_slice(&welcomed.cookie);
        out.put_u64(counter);
        seal_into(
            welcomed.codec.key(),
            &short_nonce(INITIATE_NONCE, counter),
            &plain,
            &mut out,
        );
        Ok(out.freeze())
    }

    fn ready(&mut self, body: &[u8]) -> Result<(), ProtocolError> {
        if body.len() < READY_MIN_LEN {
            return Err(ProtocolError::BadCommand("truncated CURVE READY"));
        }
        let welcomed = self
            .welcomed
            .as_mut()
            .ok_or(ProtocolError::UnexpectedCommand(
                "READY before WELCOME".into(),
            ))?;
        let counter =
            counter_at(body, 6).ok_or(ProtocolError::BadCommand("truncated CURVE READY"))?;
        let plain = open(
            welcomed.codec.key(),
            &short_nonce(READY_NONCE, counter),
            &body[14..],
            "CURVE READY box does not open",
        )?;
        let metadata = Metadata::parse(&Bytes::copy_from_slice(&plain))?;
        welcomed.codec.set_peer_nonce(counter);
        self.peer = Some(metadata);
        self.state = State::Ready;
        Ok(())
    }

    fn process(&mut self, body: &Bytes) -> Result<(), ProtocolError> {
        match self.state {
            State::ExpectWelcome if body.starts_with(WELCOME) => self.welcome(body),
            State::ExpectReady if body.starts_with(READY) => self.ready(body),
            State::ExpectWelcome | State::ExpectReady if body.starts_with(ERROR) => {
                match Command::parse(body)? {
                    Command::Error(reason) => Err(ProtocolError::PeerError(reason)),
                    _ => Err(ProtocolError::BadCommand("malformed ERROR")),
                }
            }
            State::Failed => Err(ProtocolError::UnexpectedCommand(
                "command after a failed CURVE handshake".into(),
            )),
            _ => Err(ProtocolError::UnexpectedCommand(name_of(body))),
        }
    }

    fn split_codec(self: Box<Self>) -> Result<(FrameSealer, FrameOpener), ProtocolError> {
        data_phase::split(self.state == State::Ready, self.welcomed.map(|w| w.codec))
    }
}

impl Mechanism for CurveClient {
    fn name(&self) -> &'static str {
        "CURVE"
    }

    fn next_command(&mut self) -> Result<Option<Bytes>, ProtocolError> {
        let out = match self.state {
            State::SendHello => self.hello().map(|b| (b, State::ExpectWelcome)),
            State::SendInitiate => self.initiate().map(|b| (b, State::ExpectReady)),
            _ => return Ok(None),
        };
        match out {
            Ok((body, next)) => {
                self.state = next;
                Ok(Some(body))
            }
            Err(e) => {
                self.state = State::Failed;
                Err(e)
            }
        }
    }

    fn process_command(&mut self, body: Bytes) -> Result<(), ProtocolError> {
        let result = self.process(&body);
        if result.is_err() {
            self.state = State::Failed;
        }
        result
    }

    fn status(&self) -> MechanismStatus {
        match self.state {
            State::Ready => MechanismStatus::Ready,
            _ => MechanismStatus::Handshaking,
        }
    }

    fn peer_metadata(&self) -> Option<&Metadata> {
        self.peer.as_ref()
    }

    fn into_data_phase(self: Box<Self>) -> Result<(FrameSealer, FrameOpener), ProtocolError> {
        self.split_codec()
    }
}

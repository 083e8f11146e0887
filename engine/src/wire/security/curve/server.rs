//! The CURVE server: opens HELLO with its long-term secret key, answers WELCOME (its short-term key
//! and a cookie only it can open), opens INITIATE and its vouch, then, if built to authenticate,
//! waits for the decision on the client's proven long-term key before READY (or ERROR).
//!
//! Like libzmq it keeps the short-term secret for the connection instead of recovering it from the
//! cookie (RFC 26 allows either); the cookie is still checked, so an INITIATE must echo this
//! connection's WELCOME.

use super::data_phase;
use super::message::MessageCodec;
use super::nacl_box::BoxKey;
use super::{
    counter_at, key_at, long_nonce, nonce_tail_at, open, precompute, seal_into, short_nonce,
    COOKIE_LEN, COOKIE_NONCE, HELLO_LEN, HELLO_NONCE, INITIATE_MIN_LEN, INITIATE_NONCE, KEY_LEN,
    MESSAGE_FROM_CLIENT, MESSAGE_FROM_SERVER, READY, READY_NONCE, VOUCH_LEN, VOUCH_NONCE, WELCOME,
    WELCOME_LEN, WELCOME_NONCE,
};
use crate::error::ProtocolError;
use crate::wire::command::{Command, Metadata};
use crate::wire::mechanism::{Mechanism, MechanismStatus};
use crate::wire::security::credentials::{Credentials, REFUSED_REASON};
use crate::wire::security::data::{FrameOpener, FrameSealer};
use crate::wire::security::keys::{CurvePublicKey, CurveSecretKey};
use crate::wire::security::server_handshake::{ServerHandshake, ServerState, ServerSteps};
use crate::wire::security::{random, SecurityError};
use bytes::{BufMut, Bytes, BytesMut};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

pub struct CurveServer {
    handshake: ServerHandshake,
    local: Metadata,
    /// Our long-term secret key (s).
    secret: CurveSecretKey,
    /// Our short-term key pair (S', s'), new for this connection.
    short_public: CurvePublicKey,
    short_secret: CurveSecretKey,
    /// The cookie key (t), new for this connection.
    cookie_key: BoxKey,
    /// Drawn up front so that no random draw can fail mid-handshake.
    cookie_nonce: [u8; 16],
    welcome_nonce: [u8; 16],
    /// From HELLO: the client's short-term key (C') and the precomputed (C', s) for WELCOME.
    client_short: Option<CurvePublicKey>,
    hello_key: Option<BoxKey>,
    /// From INITIATE: the client's proven long-term key (C), its metadata, (C', s').
    client_key: Option<CurvePublicKey>,
    peer: Option<Metadata>,
    codec: Option<MessageCodec>,
}

impl CurveServer {
    /// `secret`: our long-term secret key (s); `local`: our READY metadata. With `authenticate`,
    /// the handshake stops at `AwaitingAuth` after a verified INITIATE until `authorize`.
    pub fn new(
        secret: CurveSecretKey,
        local: Metadata,
        authenticate: bool,
    ) -> Result<CurveServer, SecurityError> {
        let short_secret = CurveSecretKey::generate()?;
        let mut cookie_key = Zeroizing::new([0u8; KEY_LEN]);
        random::fill(&mut *cookie_key)?;
        Ok(CurveServer {
            handshake: ServerHandshake::new(authenticate),
            local,
            secret,
            short_public: short_secret.public_key(),
            short_secret,
            cookie_key: BoxKey::from_bytes(&cookie_key),
            cookie_nonce: random::array::<16>()?,
            welcome_nonce: random::array::<16>()?,
            client_short: None,
            hello_key: None,
            client_key: None,
            peer: None,
            codec: None,
        })
    }
}

impl ServerSteps for CurveServer {
    fn handshake(&mut self) -> &mut ServerHandshake {
        &mut self.handshake
    }

    fn hello(&mut self, body: &Bytes) -> Result<(), ProtocolError> {
        if body.len() != HELLO_LEN {
            return Err(ProtocolError::BadCommand("CURVE HELLO is not 200 bytes"));
        }
        if body[6..8] != [1, 0] {
            return Err(ProtocolError::BadCommand(
                "CURVE HELLO of an unknown version",
            ));
        }
        let client_short = CurvePublicKey::from_bytes(
            key_at(body, 80).ok_or(ProtocolError::BadCommand("CURVE HELLO is not 200 bytes"))?,
        );
        let counter = counter_at(body, 112)
            .ok_or(ProtocolError::BadCommand("CURVE HELLO is not 200 bytes"))?;
        let key = precompute(client_short.as_bytes(), &self.secret).ok_or(
            ProtocolError::BadCommand("CURVE HELLO: client short-term key of small order"),
        )?;
        // The signature box holds 64 zeros; that it opens is what matters (libzmq checks no more).
        open(
            &key,
            &short_nonce(HELLO_NONCE, counter),
            &body[120..],
            "CURVE HELLO box does not open: the client has another server key",
        )?;
        self.client_short = Some(client_short);
        self.hello_key = Some(key);
        Ok(())
    }

    fn welcome(&mut self) -> Result<Bytes, ProtocolError> {
        let (Some(client_short), Some(hello_key)) = (self.client_short, self.hello_key.take())
        else {
            return Err(ProtocolError::UnexpectedCommand(
                "WELCOME before HELLO".into(),
            ));
        };
        // cookie = Box[C' + s'](t)
        let mut cookie_plain = Zeroizing::new([0u8; 2 * KEY_LEN]);
        cookie_plain[..KEY_LEN].copy_from_slice(client_short.as_bytes());
        cookie_plain[KEY_LEN..].copy_from_slice(self.short_secret.expose());
        let mut plain = Zeroizing::new(Vec::with_capacity(KEY_LEN + 16 + COOKIE_LEN));
        plain.extend_from_slice(self.short_public.as_bytes());
        plain.extend_from_slice(&self.cookie_nonce);
        let mut cookie = BytesMut::new();
        seal_into(
            &self.cookie_key,
            &long_nonce(COOKIE_NONCE, &self.cookie_nonce),
            &*cookie_plain,
            &mut cookie,
        );
        plain.extend_from_slice(&cookie);

        let mut out = BytesMut::with_capacity(WELCOME_LEN);
        out.extend_from_slice(WELCOME);
        out.extend_from_slice(&self.welcome_nonce);
        seal_into(
            &hello_key,
            &long_nonce(WELCOME_NONCE, &self.welcome_nonce),
            &plain,
            &mut out,
        );
        Ok(out.freeze())
    }

    fn initiate(&mut self, body: &Bytes) -> Result<(), ProtocolError> {
        if body.len() < INITIATE_MIN_LEN {
            return Err(ProtocolError::BadCommand("truncated CURVE INITIATE"));
        }
        let client_short = self.client_short.ok_or(ProtocolError::UnexpectedCommand(
            "INITIATE before HELLO".into(),
        ))?;
        let cookie = open(
            &self.cookie_key,
            &long_nonce(
                COOKIE_NONCE,
                nonce_tail_at(body, 9)
                    .ok_or(ProtocolError::BadCommand("truncated CURVE INITIATE"))?,
            ),
            &body[25..105],
            "CURVE INITIATE cookie does not open: not this connection's WELCOME",
        )?;
        // Constant time: the cookie holds our short-term secret.
        let same_client = cookie[..KEY_LEN].ct_eq(client_short.as_bytes());
        let same_secret = cookie[KEY_LEN..].ct_eq(self.short_secret.expose());
        if !bool::from(same_client & same_secret) {
            return Err(ProtocolError::BadCommand(
                "CURVE INITIATE cookie of another client",
            ));
        }

        let key = precompute(client_short.as_bytes(), &self.short_secret).ok_or(
            ProtocolError::BadCommand("CURVE HELLO: client short-term key of small order"),
        )?;
        let counter =
            counter_at(body, 105).ok_or(ProtocolError::BadCommand("truncated CURVE INITIATE"))?;
        let plain = open(
            &key,
            &short_nonce(INITIATE_NONCE, counter),
            &body[113..],
            "CURVE INITIATE box does not open",
        )?;
        let client_key =
            key_at(&plain, 0).ok_or(ProtocolError::BadCommand("truncated CURVE INITIATE"))?;
        let vouch_nonce = nonce_tail_at(&plain, KEY_LEN)
            .ok_or(ProtocolError::BadCommand("truncated CURVE INITIATE"))?;
        let vouch = plain
            .get(KEY_LEN + 16..KEY_LEN + 16 + VOUCH_LEN)
            .ok_or(ProtocolError::BadCommand("truncated CURVE INITIATE"))?;
        let vouch_key = precompute(&client_key, &self.short_secret).ok_or(
            ProtocolError::BadCommand("CURVE INITIATE: client long-term key of small order"),
        )?;
        let vouched = open(
            &vouch_key,
            &long_nonce(VOUCH_NONCE, vouch_nonce),
            vouch,
            "CURVE INITIATE vouch does not open: the client does not hold its long-term key",
        )?;
        if vouched[..KEY_LEN] != client_short.as_bytes()[..] {
            return Err(ProtocolError::BadCommand(
                "CURVE INITIATE vouch for another short-term key",
            ));
        }
        let metadata =
            Metadata::parse(&Bytes::copy_from_slice(&plain[KEY_LEN + 16 + VOUCH_LEN..]))?;

        let mut codec = MessageCodec::new(key, MESSAGE_FROM_SERVER, MESSAGE_FROM_CLIENT, 1);
        codec.set_peer_nonce(counter);
        self.codec = Some(codec);
        self.client_key = Some(CurvePublicKey::from_bytes(client_key));
        self.peer = Some(metadata);
        Ok(())
    }

    fn ready(&mut self) -> Result<Bytes, ProtocolError> {
        let codec = self.codec.as_mut().ok_or(ProtocolError::UnexpectedCommand(
            "READY before INITIATE".into(),
        ))?;
        let mut plain = BytesMut::new();
        self.local.encode(&mut plain);
        let counter = codec.take_nonce()?;
        let mut out = BytesMut::with_capacity(READY.len() + 8 + 16 + plain.len());
        out.extend_from_slice(READY);
        out.put_u64(counter);
        seal_into(
            codec.key(),
            &short_nonce(READY_NONCE, counter),
            &plain,
            &mut out,
        );
        Ok(out.freeze())
    }

    fn refusal(&self) -> Bytes {
        Command::Error(REFUSED_REASON.into()).to_body()
    }
}

impl CurveServer {
    fn split_codec(self: Box<Self>) -> Result<(FrameSealer, FrameOpener), ProtocolError> {
        data_phase::split(self.handshake.state() == ServerState::Ready, self.codec)
    }
}

impl Mechanism for CurveServer {
    fn name(&self) -> &'static str {
        "CURVE"
    }

    fn next_command(&mut self) -> Result<Option<Bytes>, ProtocolError> {
        self.next_server_command()
    }

    fn process_command(&mut self, body: Bytes) -> Result<(), ProtocolError> {
        self.process_server_command(&body)
    }

    fn status(&self) -> MechanismStatus {
        self.handshake.status()
    }

    fn peer_metadata(&self) -> Option<&Metadata> {
        self.peer.as_ref()
    }

    fn as_server(&self) -> bool {
        true
    }

    fn peer_credentials(&self) -> Credentials {
        match self.client_key {
            Some(public_key) => Credentials::Curve { public_key },
            None => Credentials::Null,
        }
    }

    fn authorize(&mut self, allowed: bool) {
        self.handshake.authorize(allowed);
    }

    fn into_data_phase(self: Box<Self>) -> Result<(FrameSealer, FrameOpener), ProtocolError> {
        self.split_codec()
    }
}

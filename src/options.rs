//! The options object the JS layer passes (already validated there: names, types, ranges), and
//! the defaults it starts from.
//!
//! The engine's `Options::default()` is the one source of default values: the JS layer reads
//! them once from [`option_defaults`], keeps the full, current option set and always passes all
//! of it back. Only `routingId` may be absent (napi-rs reads `undefined` as "none"): no identity.

use crate::security::key_bytes;
use bytes::Bytes;
use napi::bindgen_prelude::Buffer;
use napi_derive::napi;
use zeroize::Zeroize;
use zeromq_napi_engine::wire::security::CurveSecretKey;
use zeromq_napi_engine::{Options, SecretBytes, SecretKey};

#[napi(object)]
pub struct JsOptions {
    pub receive_timeout: i64,
    pub send_timeout: i64,
    pub linger: i64,
    pub reconnect_interval: i64,
    pub reconnect_max_interval: i64,
    pub connect_timeout: i64,
    pub handshake_interval: i64,
    pub heartbeat_interval: i64,
    pub heartbeat_timeout: i64,
    pub heartbeat_time_to_live: i64,
    pub max_message_size: i64,
    pub max_message_frames: u32,
    pub max_command_size: u32,
    pub send_high_water_mark: u32,
    pub receive_high_water_mark: u32,
    /// UTF-8 of a string identity, or the bytes of a binary one.
    pub routing_id: Option<Buffer>,
    pub correlate: bool,
    pub relaxed: bool,
    /// ROUTER only (ZMQ_ROUTER_MANDATORY).
    pub mandatory: bool,
    /// SUB, PULL, DEALER (ZMQ_CONFLATE).
    pub conflate: bool,
    /// PUB, SUB, XPUB (ZMQ_INVERT_MATCHING).
    pub invert_matching: bool,
    /// PUB, XPUB (ZMQ_XPUB_NODROP).
    pub no_drop: bool,
    /// XPUB: `"allSubs"` (ZMQ_XPUB_VERBOSE), `"allSubsUnsubs"` (ZMQ_XPUB_VERBOSER too), or
    /// absent (neither).
    pub verbosity: Option<String>,
    pub curve_server: bool,
    /// Keys as Z85, already checked by the JS layer (`curveKeyZ85`); absent = none.
    pub curve_secret_key: Option<String>,
    pub curve_public_key: Option<String>,
    pub curve_server_key: Option<String>,
    pub plain_server: bool,
    pub plain_username: Option<String>,
    pub plain_password: Option<String>,
}

impl JsOptions {
    /// The engine's options. The Z85 of the secret key and the PLAIN password, copied out of JS
    /// into these Strings, are wiped here once they have been taken (what V8 still holds is the
    /// JS caller's).
    pub(crate) fn into_engine(mut self) -> Options {
        let options = Options {
            receive_timeout: self.receive_timeout,
            send_timeout: self.send_timeout,
            linger: self.linger,
            reconnect_interval: self.reconnect_interval,
            reconnect_max_interval: self.reconnect_max_interval,
            connect_timeout: self.connect_timeout,
            handshake_interval: self.handshake_interval,
            heartbeat_interval: self.heartbeat_interval,
            heartbeat_timeout: self.heartbeat_timeout,
            heartbeat_ttl: self.heartbeat_time_to_live,
            max_message_size: self.max_message_size,
            max_message_frames: self.max_message_frames,
            max_command_size: self.max_command_size,
            send_hwm: self.send_high_water_mark,
            receive_hwm: self.receive_high_water_mark,
            routing_id: self
                .routing_id
                .as_ref()
                .filter(|id| !id.is_empty())
                .map(|id| Bytes::copy_from_slice(id)),
            correlate: self.correlate,
            relaxed: self.relaxed,
            router_mandatory: self.mandatory,
            conflate: self.conflate,
            invert_matching: self.invert_matching,
            no_drop: self.no_drop,
            xpub_verbose: matches!(self.verbosity.as_deref(), Some("allSubs" | "allSubsUnsubs")),
            xpub_verboser: self.verbosity.as_deref() == Some("allSubsUnsubs"),
            curve_server: self.curve_server,
            curve_secret_key: SecretKey(
                self.curve_secret_key
                    .as_deref()
                    .and_then(|z85| CurveSecretKey::from_z85(z85).ok())
                    .map(|key| key.cell().clone()),
            ),
            curve_public_key: key_bytes(self.curve_public_key.as_ref()),
            curve_server_key: key_bytes(self.curve_server_key.as_ref()),
            plain_server: self.plain_server,
            plain_username: self
                .plain_username
                .as_ref()
                .map(|u| Bytes::copy_from_slice(u.as_bytes())),
            plain_password: SecretBytes(
                self.plain_password
                    .as_ref()
                    .map(|p| Bytes::copy_from_slice(p.as_bytes())),
            ),
            // Set apart (`setAuthenticator`): a function is no plain option value.
            authenticator: None,
        };
        self.curve_secret_key.zeroize();
        self.plain_password.zeroize();
        options
    }

    fn from_engine(o: Options) -> JsOptions {
        JsOptions {
            receive_timeout: o.receive_timeout,
            send_timeout: o.send_timeout,
            linger: o.linger,
            reconnect_interval: o.reconnect_interval,
            reconnect_max_interval: o.reconnect_max_interval,
            connect_timeout: o.connect_timeout,
            handshake_interval: o.handshake_interval,
            heartbeat_interval: o.heartbeat_interval,
            heartbeat_timeout: o.heartbeat_timeout,
            heartbeat_time_to_live: o.heartbeat_ttl,
            max_message_size: o.max_message_size,
            max_message_frames: o.max_message_frames,
            max_command_size: o.max_command_size,
            send_high_water_mark: o.send_hwm,
            receive_high_water_mark: o.receive_hwm,
            routing_id: o.routing_id.map(|id| Buffer::from(id.to_vec())),
            correlate: o.correlate,
            relaxed: o.relaxed,
            mandatory: o.router_mandatory,
            conflate: o.conflate,
            invert_matching: o.invert_matching,
            no_drop: o.no_drop,
            verbosity: match (o.xpub_verbose, o.xpub_verboser) {
                (_, true) => Some("allSubsUnsubs".to_owned()),
                (true, false) => Some("allSubs".to_owned()),
                (false, false) => None,
            },
            curve_server: o.curve_server,
            curve_secret_key: None,
            curve_public_key: None,
            curve_server_key: None,
            plain_server: o.plain_server,
            plain_username: None,
            plain_password: None,
        }
    }
}

/// The engine's default options, in the JS layer's names (`routingId` absent: none).
// Under `cfg(test)` napi-derive emits no export, so only the exported build uses it.
#[napi]
pub fn option_defaults() -> JsOptions {
    JsOptions::from_engine(Options::default())
}

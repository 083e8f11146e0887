//! A pure-Rust ZMTP 3.1 engine (RFC 37, accepting RFC 23 peers) with the REQ/REP pattern of RFC 28
//! built on DEALER/ROUTER. It has no Node.js dependency: the addon at the repository root forwards to it.
//!
//! Layers, bottom up; each module imports only from the layers below it and from modules before
//! it in its own layer (no import cycle: `tests/it/layers.rs` checks it):
//! - base: `error` ([`Error`], [`ErrorCode`], [`ProtocolError`]), `key_cell` ([`KeyCell`]: a
//!   secret key's bytes, shared and wiped), `options` ([`Options`], raw values as the JS contract
//!   has them), `time` (those values decoded: `Timeout`, `Interval`),
//!   `once_event` (a fire-once event tasks await: close, a connection's end, an endpoint's removal),
//!   `events` (socket events and the sink they go to, free while nobody listens);
//! - [`wire`] (sans-IO, no tokio, fuzzable): frame codec, greeting, commands, security mechanisms,
//!   socket types, [`Message`];
//! - `net`: endpoint parsing, tcp/ipc listeners and streams, the raw non-blocking socket a driven
//!   connection is read from;
//! - `conn`: one connection from handshake to end: `handshake`, `peer` (outgoing queue, direct
//!   writes), `write_buf`, `read_buf` (shared buffer for small frames, one buffer per large frame),
//!   `read_state` (bytes to messages, sans-IO, into a `ReadSink`), `delivery` (that sink for a live
//!   connection: the socket's inbound queue and the peer's outbox), `heartbeat`, [`driven`] (reading
//!   from the caller's event loop), `connection` (the task: given a `LinkConfig` snapshot once, it
//!   tells the socket it belongs to what happens through `SocketLink`);
//! - `socket`: what every socket type shares: `core` (`SocketCore`: options, endpoints, the peer
//!   table with round-robin sending, waiting, close; it implements `SocketLink` and `LinkSource`),
//!   `inbound` (the fair queue), `connector` (connect + reconnect), `listener` (accept loop), `handle`
//!   ([`SocketHandle`], which every type derefs to: bind, connect, close, options);
//! - `types`: [`DealerSocket`], [`RouterSocket`], [`ReqSocket`], [`RepSocket`], [`PubSocket`],
//!   [`SubSocket`], [`XPubSocket`], [`XSubSocket`], [`PushSocket`], [`PullSocket`], [`PairSocket`],
//!   and [`run_proxy`] (both ways between two of them, in the engine).

#![deny(
    unsafe_op_in_unsafe_fn,
    clippy::undocumented_unsafe_blocks,
    clippy::missing_safety_doc
)]

mod error;
mod events;
mod key_cell;
mod lock;
mod once_event;
mod options;
mod time;

pub mod wire;

mod conn;
mod net;
mod socket;
mod types;

pub use conn::driven::{self, DrivenRead, Pump, ReadDriver};
/// The handshake over any async stream, for interop tests.
#[doc(hidden)]
pub use conn::handshake;
pub use conn::security::security_of;
pub use error::{Error, ErrorCode, ProtocolError};
pub use events::{EventError, EventKind, EventSink, SocketEvent};
pub use key_cell::KeyCell;
pub use lock::lock;
pub use net::readiness::RawSocket;
pub use options::{
    Authenticator, AuthenticatorHook, CurveKey, Options, PeerInfo, SecretBytes, SecretKey,
    XPublisherVerbosity, DEFAULT_MAX_COMMAND_SIZE, DEFAULT_MAX_MESSAGE_FRAMES, FRAME_COST,
    FREE_FRAMES,
};
pub use socket::core::QueuedOutput;
pub use socket::handle::SocketHandle;
pub use types::dealer::DealerSocket;
pub use types::pair::PairSocket;
pub use types::pipeline::{PullSocket, PushSocket};
pub use types::proxy::{run_proxy, start_proxy, ProxyControl, ProxyEnd, ProxyStop};
pub use types::publisher::{PubSocket, XPubSocket};
pub use types::rep::{RepSocket, ReplyTo};
pub use types::req::ReqSocket;
pub use types::router::RouterSocket;
pub use types::subscriber::{SubSocket, XSubSocket};
pub use wire::frame_ref::{FrameRef, TrySend};
pub use wire::socket_type::SocketType;
pub use wire::Message;

//! A pure-Rust ZMTP 3.1 engine (RFC 37, accepting RFC 23 peers) with the REQ/REP pattern of RFC 28
//! built on DEALER/ROUTER. It has no Node.js dependency: the addon at the repository root forwards to it.
//!
//! Layers, bottom up:
//! - wire (sans-IO, fuzzable): [`codec`], [`greeting`], [`command`], [`mechanism`];
//! - [`handshake`]: drives greeting + mechanism over any async stream;
//! - sockets: endpoints, transports, per-peer connection tasks and the socket types.

pub mod codec;
pub mod command;
pub mod error;
pub mod greeting;
pub mod handshake;
pub mod mechanism;
pub mod options;
pub mod socket_type;

pub mod rep;
pub mod req;

pub use error::{Error, ErrorCode, ProtocolError};
pub use options::Options;
pub use rep::{RepSocket, ReplyTo};
pub use req::ReqSocket;
pub use socket_type::SocketType;

/// One ZeroMQ message: its frames in order (never empty once it crosses the public API).
pub type Message = Vec<bytes::Bytes>;

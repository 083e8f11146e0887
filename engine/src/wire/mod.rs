//! ZMTP on the wire, sans-IO (no tokio, fuzzable): frame codec, greeting, commands, security
//! mechanisms, socket types and which may talk to which.

pub mod assembly;
pub mod codec;
pub mod command;
pub mod frame_ref;
pub mod greeting;
pub mod mechanism;
pub mod security;
pub mod socket_type;

/// One ZeroMQ message: its frames in order (never empty once it crosses the public API).
pub type Message = Vec<bytes::Bytes>;

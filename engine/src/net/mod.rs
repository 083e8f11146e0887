//! Byte streams: endpoint parsing, tcp/ipc listeners and streams, and the non-blocking socket a
//! driven connection is read from.

pub mod endpoint;
pub(crate) mod inproc;
pub(crate) mod raw_stream;
pub(crate) mod transport;

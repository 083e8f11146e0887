//! The `ipc://` transport: Unix domain stream sockets where the platform has them (tokio's
//! `UnixStream`/`UnixListener`), and elsewhere types that cannot exist, so that the transport's
//! enums keep their ipc variants on every platform without a `cfg` of their own.
//!
//! Windows: tokio has no AF_UNIX there (Windows 10's AF_UNIX, which libzmq 4.3 uses, would need a
//! socket type of our own under the runtime), so `ipc://` endpoints are refused when parsed, with
//! EPROTONOSUPPORT and [`UNSUPPORTED`] as the reason: `bind`, `connect`, `unbind` and
//! `disconnect` alike.

#[cfg(unix)]
#[path = "ipc/unix.rs"]
mod platform;

#[cfg(not(unix))]
#[path = "ipc/unsupported.rs"]
mod platform;

pub(crate) use platform::{
    bind, connect, peer_address, sock_ref, Listener, ReadHalf, StdStream, Stream, WriteHalf,
    UNSUPPORTED,
};

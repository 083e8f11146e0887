//! `inproc://name`: connections between sockets of one process (any thread, any runtime), found
//! by name in a process-global registry, with no network and no file.
//!
//! A connection is an unnamed Unix socket pair: one end goes to the bound socket's accept loop,
//! the other to the connecting socket, and both run the ordinary ZMTP connection over it. That
//! is simpler than a frame channel of its own and still exact: the handshake, security, heartbeats,
//! high-water marks, driven reading on the JS thread, `hung_up` and `shutdown` all work as they do
//! for ipc, because it is the same kind of stream; the cost is one copy through the kernel per
//! direction, as ipc has. Ends cross threads as std sockets and join the tokio reactor of the
//! side that uses them, so a socket pair between two worker threads survives either runtime.
//!
//! As in libzmq 4.x a connect may come before the bind: the attempt waits until the name is
//! bound. Unbinding (or closing) the bound socket ends its connections; the connecting side then
//! waits for the next bind of the name, as a reconnect.
//!
//! Platforms without Unix socket pairs (Windows, as for `ipc://`) refuse `inproc://` when it is
//! parsed (EPROTONOSUPPORT, [`UNSUPPORTED`]), so the stand-ins there are never reached.

#[cfg(unix)]
#[path = "inproc/unix.rs"]
mod platform;

#[cfg(not(unix))]
#[path = "inproc/unsupported.rs"]
mod platform;

pub(crate) use platform::{bind, connect, InprocListener};

/// Why `inproc://` is refused on this platform (`None`: it is not).
pub(crate) const UNSUPPORTED: Option<&str> = if cfg!(unix) {
    None
} else {
    Some("inproc:// needs Unix socket pairs, which this platform lacks here (as ipc://)")
};

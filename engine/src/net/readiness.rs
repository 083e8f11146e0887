//! Readiness of a socket the runtime does not watch (a driven connection, see `raw_stream`): the
//! handle an outside event loop watches, and a one-off wait until it is writable.
//!
//! Unix: the descriptor, registered with tokio (`AsyncFd`) for just that wait. Elsewhere
//! (Windows, where tokio has no `AsyncFd`): the SOCKET, and the wait registers a duplicate of the
//! socket as a tokio `TcpStream` (ipc, the only other kind, does not exist there); dropping it
//! closes only the duplicate.

use socket2::SockRef;
use std::io;
use std::sync::Arc;

/// The OS handle of a socket, as an event loop watches it: a descriptor, or a Windows SOCKET.
#[cfg(unix)]
pub type RawSocket = std::os::fd::RawFd;
/// The OS handle of a socket, as an event loop watches it: a descriptor, or a Windows SOCKET.
#[cfg(windows)]
pub type RawSocket = std::os::windows::io::RawSocket;

/// A socket that can be borrowed as one (what `writable` waits on).
pub(crate) trait AsSockRef: Send + Sync + 'static {
    fn sock_ref(&self) -> SockRef<'_>;
}

pub(crate) fn raw_socket(sock: SockRef<'_>) -> RawSocket {
    #[cfg(unix)]
    return std::os::fd::AsRawFd::as_raw_fd(&*sock);
    #[cfg(windows)]
    return std::os::windows::io::AsRawSocket::as_raw_socket(&*sock);
}

/// Waits until `sock` has room for more bytes; when it already has, the registration reports
/// so at once.
#[cfg(unix)]
pub(crate) async fn writable<S: AsSockRef>(sock: &Arc<S>) -> io::Result<()> {
    use std::os::fd::{AsRawFd, RawFd};
    use tokio::io::unix::AsyncFd;
    use tokio::io::Interest;

    /// Holds the socket, so the registration does not own (and close) it.
    struct Registered<S>(Arc<S>);

    impl<S: AsSockRef> AsRawFd for Registered<S> {
        fn as_raw_fd(&self) -> RawFd {
            self.0.sock_ref().as_raw_fd()
        }
    }

    // SAFETY: `Registered` holds the socket, so the descriptor stays open (and the same) for as
    // long as the registration lives.
    let fd =
        unsafe { AsyncFd::register_with_interest(Registered(sock.clone()), Interest::WRITABLE)? };
    let _ready = fd.writable().await?;
    Ok(())
}

/// Waits until `sock` has room for more bytes (see the module docs).
#[cfg(not(unix))]
pub(crate) async fn writable<S: AsSockRef>(sock: &Arc<S>) -> io::Result<()> {
    let duplicate = sock.sock_ref().try_clone()?;
    duplicate.set_nonblocking(true)?;
    let stream = tokio::net::TcpStream::from_std(std::net::TcpStream::from(duplicate))?;
    stream.writable().await
}

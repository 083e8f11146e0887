//! ipc over Unix domain sockets (see `net::ipc`).

use crate::error::{Error, ErrorCode};
use socket2::{Domain, SockAddr, Socket, Type};
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub(crate) use std::os::unix::net::UnixStream as StdStream;
pub(crate) use tokio::net::unix::{OwnedReadHalf as ReadHalf, OwnedWriteHalf as WriteHalf};
pub(crate) use tokio::net::{UnixListener as Listener, UnixStream as Stream};

/// Why `ipc://` is refused on this platform: never here.
pub(crate) const UNSUPPORTED: Option<&str> = None;

/// How long the probe of a socket file left behind may wait for an answer. Linux answers at once
/// (a live listener with a full backlog: EAGAIN; none: ECONNREFUSED); the bound is for a platform
/// that leaves such a connect in progress instead.
const STALE_PROBE_TIMEOUT: Duration = Duration::from_millis(1000);

/// `ipc://@name` is Linux's abstract socket namespace (no file), as in libzmq.
fn abstract_name(path: &Path) -> Option<&[u8]> {
    path.as_os_str()
        .as_bytes()
        .strip_prefix(b"@")
        .filter(|_| cfg!(any(target_os = "linux", target_os = "android")))
}

/// The socket address of an abstract name: its bytes after a NUL, not NUL-terminated.
fn abstract_addr(name: &[u8]) -> io::Result<SockAddr> {
    let mut bytes = Vec::with_capacity(name.len() + 1);
    bytes.push(0);
    bytes.extend_from_slice(name);
    SockAddr::unix(std::ffi::OsStr::from_bytes(&bytes))
}

/// A non-blocking Unix stream socket (tokio takes non-blocking sockets only).
fn new_socket() -> io::Result<Socket> {
    let socket = Socket::new(Domain::UNIX, Type::STREAM, None)?;
    socket.set_nonblocking(true)?;
    Ok(socket)
}

/// Listens on an abstract name, with the backlog mio gives a path's listener.
fn bind_abstract(name: &[u8]) -> io::Result<Listener> {
    let socket = new_socket()?;
    socket.bind(&abstract_addr(name)?)?;
    socket.listen(1024)?;
    Listener::from_std(std::os::unix::net::UnixListener::from(OwnedFd::from(
        socket,
    )))
}

/// Binds `path` (`address` is the caller's string, for errors): the listener and, for a socket
/// file, the path to remove on unbind.
pub(crate) async fn bind(
    path: &Path,
    address: &str,
    bind_error: impl Fn(&io::Error) -> Error,
) -> Result<(Listener, Option<PathBuf>), Error> {
    if let Some(name) = abstract_name(path) {
        let listener = bind_abstract(name).map_err(|e| bind_error(&e))?;
        return Ok((listener, None));
    }
    remove_stale_socket(path, address, &bind_error).await?;
    let listener = Listener::bind(path).map_err(|e| bind_error(&e))?;
    Ok((listener, Some(path.to_owned())))
}

/// libzmq removes a socket file left behind by an earlier run before binding. We do the same,
/// but refuse (EADDRINUSE) when something still listens on it or the path is not a socket. The
/// probe is a non-blocking connect: a blocking one against a live listener whose backlog is full
/// waits until that listener accepts, holding an engine thread (it stalled every task of the
/// process). Non-blocking, such a listener answers EAGAIN at once: in use.
async fn remove_stale_socket(
    path: &Path,
    address: &str,
    bind_error: impl Fn(&io::Error) -> Error,
) -> Result<(), Error> {
    use std::os::unix::fs::FileTypeExt;
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Ok(());
    };
    let in_use = || Error::with_address(ErrorCode::Eaddrinuse, "address already in use", address);
    if !meta.file_type().is_socket() {
        return Err(in_use());
    }
    match tokio::time::timeout(STALE_PROBE_TIMEOUT, Stream::connect(path)).await {
        Ok(Err(e)) if e.kind() != io::ErrorKind::WouldBlock => {
            std::fs::remove_file(path).map_err(|e| bind_error(&e))
        }
        Ok(_) | Err(_) => Err(in_use()),
    }
}

/// One connect attempt, bounded by `attempt_timeout`.
pub(crate) async fn connect(path: &Path, attempt_timeout: Option<Duration>) -> io::Result<Stream> {
    let attempt = async {
        match abstract_name(path) {
            Some(name) => connect_abstract(name).await,
            None => Stream::connect(path).await,
        }
    };
    match attempt_timeout {
        Some(t) => tokio::time::timeout(t, attempt)
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "connect timed out"))?,
        None => attempt.await,
    }
}

/// A connect to an abstract name that never blocks the thread (std's blocking connect waited,
/// on an engine thread, for a listener with a full backlog to accept).
async fn connect_abstract(name: &[u8]) -> io::Result<Stream> {
    let socket = new_socket()?;
    match socket.connect(&abstract_addr(name)?) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
        // Including EAGAIN: a listener whose backlog is full refuses a non-blocking connect at
        // once (nothing is left in progress); the connector tries again later, as libzmq does.
        Err(e) => return Err(e),
    }
    let stream = Stream::from_std(StdStream::from(OwnedFd::from(socket)))?;
    stream.writable().await?;
    match stream.take_error()? {
        Some(e) => Err(e),
        None => Ok(stream),
    }
}

/// The socket under a write half.
pub(crate) fn sock_ref(half: &WriteHalf) -> socket2::SockRef<'_> {
    socket2::SockRef::from(half.as_ref())
}

/// The remote end as an endpoint string: `ipc://` and the path of whichever end has one, since
/// an ipc client's end is usually unnamed.
pub(crate) fn peer_address(stream: &Stream) -> String {
    let named = |a: io::Result<tokio::net::unix::SocketAddr>| {
        a.ok()
            .and_then(|a| a.as_pathname().map(|p| p.display().to_string()))
    };
    let path = named(stream.peer_addr()).or_else(|| named(stream.local_addr()));
    format!("ipc://{}", path.unwrap_or_default())
}

//! ipc where the platform has no Unix domain sockets under tokio (Windows): endpoints are refused
//! when parsed, so the types below never have a value (see `net::ipc`). Each method says what
//! the Unix one does in its type's place and cannot be called.

use crate::error::Error;
use std::io::{self, IoSlice};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Why `ipc://` is refused on this platform.
pub(crate) const UNSUPPORTED: Option<&str> = Some(
    "ipc is not supported on this platform: tokio has no Unix domain sockets here (libzmq's \
     Windows ipc over AF_UNIX is not implemented yet); use tcp://127.0.0.1",
);

#[derive(Debug)]
enum Never {}

/// An ipc stream, listener or half: none can exist here. The field is private so that the
/// transport's code for ipc values still type-checks as reachable code (it is never run).
#[derive(Debug)]
pub(crate) struct Unsupported(Never);

pub(crate) type Stream = Unsupported;
pub(crate) type ReadHalf = Unsupported;
pub(crate) type WriteHalf = Unsupported;
pub(crate) type Listener = Unsupported;
pub(crate) type StdStream = Unsupported;

impl Unsupported {
    pub(crate) fn into_split(self) -> (Unsupported, Unsupported) {
        match self.0 {}
    }

    pub(crate) fn into_std(self) -> io::Result<Unsupported> {
        match self.0 {}
    }

    pub(crate) async fn writable(&self) -> io::Result<()> {
        match self.0 {}
    }

    pub(crate) fn try_write(&self, _: &[u8]) -> io::Result<usize> {
        match self.0 {}
    }

    pub(crate) fn try_write_vectored(&self, _: &[IoSlice<'_>]) -> io::Result<usize> {
        match self.0 {}
    }

    pub(crate) fn poll_accept(&self, _: &mut Context<'_>) -> Poll<io::Result<(Unsupported, ())>> {
        match self.0 {}
    }
}

/// The socket under a write half.
pub(crate) fn sock_ref(half: &WriteHalf) -> socket2::SockRef<'_> {
    match half.0 {}
}

impl io::Write for &Unsupported {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        match self.0 {}
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.0 {}
    }
}

#[cfg(windows)]
impl std::os::windows::io::AsSocket for Unsupported {
    fn as_socket(&self) -> std::os::windows::io::BorrowedSocket<'_> {
        match self.0 {}
    }
}

impl AsyncRead for Unsupported {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        _: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.0 {}
    }
}

impl AsyncWrite for Unsupported {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, _: &[u8]) -> Poll<io::Result<usize>> {
        match self.0 {}
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.0 {}
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.0 {}
    }
}

/// Unreachable: the endpoint was refused when parsed.
pub(crate) async fn bind(
    _: &Path,
    _: &str,
    _: impl Fn(&io::Error) -> Error,
) -> Result<(Listener, Option<PathBuf>), Error> {
    Err(Error::new(
        crate::error::ErrorCode::Eprotonosupport,
        UNSUPPORTED.unwrap_or_default(),
    ))
}

/// Unreachable: the endpoint was refused when parsed.
pub(crate) async fn connect(_: &Path, _: Option<Duration>) -> io::Result<Stream> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        UNSUPPORTED.unwrap_or_default(),
    ))
}

pub(crate) fn peer_address(stream: &Stream) -> String {
    match stream.0 {}
}

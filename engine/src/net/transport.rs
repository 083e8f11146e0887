//! The byte streams under ZMTP: tcp (TCP_NODELAY always on) and ipc (Unix domain sockets).
//! Streams are used through `&self` readiness APIs so that a reader, a writer and a caller's
//! synchronous fast path can share one socket without splitting it.

use crate::error::{Error, ErrorCode};
use crate::net::endpoint::{tcp_endpoint_string, Endpoint, Host};
use crate::net::hang_up::peer_hung_up;
use crate::net::inproc::{self, InprocListener};
use crate::net::ipc;
use crate::net::raw_stream::RawStream;
use crate::net::readiness::{self, RawSocket};
use crate::net::recv_queue;
use crate::net::released_ports;
use socket2::SockRef;
use std::io::{self, IoSlice};
use std::mem::MaybeUninit;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// A connected stream of either transport.
#[derive(Debug)]
pub(crate) enum Stream {
    Tcp(TcpStream),
    Unix(ipc::Stream),
}

impl Stream {
    /// Splits the stream after the handshake: the reader owns the read half (its `poll_read`
    /// skips the extra `read` that only confirms the socket is drained); the write half is shared
    /// by the writer and by callers writing directly.
    pub(crate) fn into_split(self) -> (ReadHalf, WriteHalf) {
        match self {
            Stream::Tcp(s) => {
                let (r, w) = s.into_split();
                (ReadHalf::Tcp(r), WriteHalf::Tcp(w))
            }
            Stream::Unix(s) => {
                let (r, w) = s.into_split();
                (ReadHalf::Unix(r), WriteHalf::Unix(w))
            }
        }
    }

    /// The remote end as an endpoint string (`tcp://127.0.0.1:51234`; `ipc://` and the path of
    /// whichever end has one, since an ipc client's end is usually unnamed).
    pub(crate) fn peer_address(&self) -> String {
        match self {
            Stream::Tcp(s) => s
                .peer_addr()
                .map_or_else(|_| "tcp://".to_owned(), |a| format!("tcp://{a}")),
            Stream::Unix(s) => ipc::peer_address(s),
        }
    }

    /// For a connection read by the caller's event loop (`driven`): no standing runtime
    /// registration, so data arriving (or the peer reading) wakes no engine thread.
    pub(crate) fn into_driven(self) -> io::Result<WriteHalf> {
        Ok(WriteHalf::Driven(match self {
            Stream::Tcp(s) => RawStream::tcp(s.into_std()?),
            Stream::Unix(s) => RawStream::unix(s.into_std()?),
        }))
    }
}

/// The reading side of a connection.
#[derive(Debug)]
pub(crate) enum ReadHalf {
    Tcp(tokio::net::tcp::OwnedReadHalf),
    Unix(ipc::ReadHalf),
}

/// `AsyncRead` for an enum with a `Tcp` and a `Unix` variant: reads from whichever it holds.
macro_rules! forward_async_read {
    ($either:ident) => {
        impl AsyncRead for $either {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut ReadBuf<'_>,
            ) -> Poll<io::Result<()>> {
                match self.get_mut() {
                    $either::Tcp(s) => Pin::new(s).poll_read(cx, buf),
                    $either::Unix(s) => Pin::new(s).poll_read(cx, buf),
                }
            }
        }
    };
}

forward_async_read!(Stream);
forward_async_read!(ReadHalf);

/// The writing side of a connection, used through `&self` so that the connection's writer and a
/// caller's synchronous fast path can share it. `Driven` is a whole socket whose reading belongs
/// to a `ReadDriver` (see `raw_stream`).
#[derive(Debug)]
pub(crate) enum WriteHalf {
    Tcp(tokio::net::tcp::OwnedWriteHalf),
    Unix(ipc::WriteHalf),
    Driven(RawStream),
}

impl WriteHalf {
    pub(crate) async fn writable(&self) -> io::Result<()> {
        match self {
            WriteHalf::Tcp(s) => s.writable().await,
            WriteHalf::Unix(s) => s.writable().await,
            WriteHalf::Driven(s) => s.writable().await,
        }
    }

    /// Non-blocking write from any thread; `WouldBlock` when the OS buffer is full.
    pub(crate) fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        // tokio's `try_write` clears the runtime's writability on `WouldBlock`, so `writable()`
        // then waits.
        match self {
            WriteHalf::Tcp(s) => s.try_write(buf),
            WriteHalf::Unix(s) => s.try_write(buf),
            WriteHalf::Driven(s) => s.write(buf),
        }
    }

    /// Non-blocking vectored write from any thread; `WouldBlock` when the OS buffer is full.
    pub(crate) fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        match self {
            WriteHalf::Tcp(s) => s.try_write_vectored(bufs),
            WriteHalf::Unix(s) => s.try_write_vectored(bufs),
            WriteHalf::Driven(s) => s.write_vectored(bufs),
        }
    }

    /// The socket a `ReadDriver` reads (`None` when the connection task reads it).
    pub(crate) fn driven(&self) -> Option<&RawStream> {
        match self {
            WriteHalf::Driven(s) => Some(s),
            WriteHalf::Tcp(_) | WriteHalf::Unix(_) => None,
        }
    }

    /// Non-blocking read for a `ReadDriver`'s connection (`Unsupported` on the other forms,
    /// whose read half belongs to the connection task).
    pub(crate) fn recv(&self, buf: &mut [MaybeUninit<u8>]) -> io::Result<usize> {
        match self {
            WriteHalf::Driven(s) => s.recv(buf),
            WriteHalf::Tcp(_) | WriteHalf::Unix(_) => Err(io::ErrorKind::Unsupported.into()),
        }
    }

    /// Bytes received and not read yet (0 if the OS will not say), whoever reads the socket.
    pub(crate) fn queued(&self) -> usize {
        recv_queue::queued(self.sock_ref())
    }

    fn sock_ref(&self) -> SockRef<'_> {
        match self {
            WriteHalf::Tcp(s) => SockRef::from(s.as_ref()),
            WriteHalf::Unix(s) => ipc::sock_ref(s),
            WriteHalf::Driven(s) => s.sock_ref(),
        }
    }

    /// The handle an outside event loop watches (a descriptor, or a Windows SOCKET).
    pub(crate) fn raw_socket(&self) -> RawSocket {
        readiness::raw_socket(self.sock_ref())
    }

    /// Whether the peer has ended the connection (its FIN or a reset has arrived), found without
    /// reading: a send checks this before it picks a connection, because the engine's reader task
    /// may not have run since the FIN came, and a request written into such a connection is lost.
    pub(crate) fn hung_up(&self) -> bool {
        peer_hung_up(self.sock_ref())
    }

    /// Shuts both directions down at once, even while other references to the stream exist,
    /// so the peer sees the connection end now rather than when the last reference is dropped.
    pub(crate) fn shutdown(&self) {
        // ENOTCONN when the peer already went away: nothing left to do.
        let _ = self.sock_ref().shutdown(std::net::Shutdown::Both);
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Unix(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Stream::Unix(s) => Pin::new(s).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_flush(cx),
            Stream::Unix(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Unix(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

/// A listening socket of either transport.
#[derive(Debug)]
pub(crate) enum Listener {
    Tcp(TcpListener),
    Unix(ipc::Listener),
    /// A bound `inproc://` name: its connections are Unix socket pairs.
    Inproc(InprocListener),
}

impl Listener {
    pub(crate) fn poll_accept(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Stream>> {
        match self {
            Listener::Inproc(l) => l.poll_accept(cx).map(|r| r.map(Stream::Unix)),
            Listener::Tcp(l) => l.poll_accept(cx).map(|r| {
                r.and_then(|(s, _)| {
                    s.set_nodelay(true)?;
                    Ok(Stream::Tcp(s))
                })
            }),
            Listener::Unix(l) => l.poll_accept(cx).map(|r| r.map(|(s, _)| Stream::Unix(s))),
        }
    }

    /// Closes the listener; a tcp one's address is noted as closing (see `released_ports`).
    pub(crate) fn close(self) {
        if let Listener::Tcp(l) = &self {
            if let Ok(addr) = l.local_addr() {
                released_ports::note(addr);
            }
        }
    }

    /// `listen()` once more, with the socket's `backlog`: for a socket already listening, Linux,
    /// macOS and the BSDs take the new queue length (tokio's listeners start with their own);
    /// Windows keeps the first (its second `listen` succeeds and changes nothing).
    fn set_backlog(&self, backlog: u32) -> io::Result<()> {
        let backlog = i32::try_from(backlog).unwrap_or(i32::MAX);
        match self {
            Listener::Tcp(l) => socket2::SockRef::from(l).listen(backlog),
            #[cfg(unix)]
            Listener::Unix(l) => socket2::SockRef::from(l).listen(backlog),
            // An inproc listener queues no connection in the OS.
            _ => Ok(()),
        }
    }
}

/// A bound listener with the resolved endpoint and, for ipc, the file to remove on unbind.
#[derive(Debug)]
pub(crate) struct Bound {
    pub(crate) listener: Listener,
    pub(crate) resolved: String,
    pub(crate) ipc_path: Option<PathBuf>,
}

fn bind_error(e: &io::Error, address: &str) -> Error {
    let code = match e.kind() {
        io::ErrorKind::AddrInUse => ErrorCode::Eaddrinuse,
        io::ErrorKind::InvalidInput => ErrorCode::Einval,
        _ => ErrorCode::Eaddrnotavail,
    };
    Error::with_address(code, format!("cannot bind: {e}"), address)
}

/// Binds a listener with room for `backlog` pending connections (must run inside the socket's
/// runtime). `address` is the caller's string, for errors.
pub(crate) async fn bind(endpoint: &Endpoint, address: &str, backlog: u32) -> Result<Bound, Error> {
    let bound = bind_listener(endpoint, address).await?;
    if let Err(e) = bound.listener.set_backlog(backlog) {
        if let Some(path) = &bound.ipc_path {
            remove_ipc_file(path);
        }
        return Err(bind_error(&e, address));
    }
    Ok(bound)
}

/// How often a bind refused while our own listener on the address is still closing is tried again.
const REBIND_RETRY: Duration = Duration::from_millis(10);

/// Binds `addr`; refused as in use while a listener of ours that had it is still closing
/// (`released_ports`), tries again until it should be free.
async fn bind_tcp(addr: SocketAddr) -> io::Result<TcpListener> {
    loop {
        let error = match TcpListener::bind(addr).await {
            Err(e) if e.kind() == io::ErrorKind::AddrInUse => e,
            bound => return bound,
        };
        let Some(free_by) = released_ports::free_by(addr) else {
            return Err(error);
        };
        let left = free_by.saturating_duration_since(std::time::Instant::now());
        tokio::time::sleep(REBIND_RETRY.min(left)).await;
    }
}

async fn bind_listener(endpoint: &Endpoint, address: &str) -> Result<Bound, Error> {
    match endpoint {
        Endpoint::Tcp { host, port } => {
            let port = port.for_bind();
            let candidates: Vec<SocketAddr> = match host {
                // Like libzmq without ZMQ_IPV6: `*` is every IPv4 interface.
                Host::Any => vec![SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port)],
                Host::Ip(ip) => vec![SocketAddr::new(*ip, port)],
                Host::Name(name) => tokio::net::lookup_host((name.as_str(), port))
                    .await
                    .map_err(|e| {
                        Error::with_address(
                            ErrorCode::Eaddrnotavail,
                            format!("cannot resolve {name}: {e}"),
                            address,
                        )
                    })?
                    .collect(),
            };
            let mut last = Error::with_address(
                ErrorCode::Eaddrnotavail,
                "host resolves to no address",
                address,
            );
            for addr in candidates {
                match bind_tcp(addr).await {
                    Ok(listener) => {
                        let local = listener.local_addr().map_err(|e| bind_error(&e, address))?;
                        return Ok(Bound {
                            listener: Listener::Tcp(listener),
                            resolved: tcp_endpoint_string(&local),
                            ipc_path: None,
                        });
                    }
                    Err(e) => last = bind_error(&e, address),
                }
            }
            Err(last)
        }
        Endpoint::Inproc(name) => Ok(Bound {
            listener: Listener::Inproc(inproc::bind(name, address)?),
            resolved: endpoint.to_string(),
            ipc_path: None,
        }),
        Endpoint::Ipc(path) => {
            let (listener, ipc_path) = ipc::bind(path, address, |e| bind_error(e, address)).await?;
            Ok(Bound {
                listener: Listener::Unix(listener),
                resolved: format!("ipc://{}", path.display()),
                ipc_path,
            })
        }
    }
}

/// Removes an ipc socket file we created.
pub(crate) fn remove_ipc_file(path: &Path) {
    // Already gone (or replaced by someone's directory) is fine: nothing of ours to clean.
    let _ = std::fs::remove_file(path);
}

/// One connect attempt: every resolved address in turn, each bounded by `attempt_timeout`.
pub(crate) async fn connect(
    endpoint: &Endpoint,
    attempt_timeout: Option<Duration>,
) -> io::Result<Stream> {
    match endpoint {
        Endpoint::Tcp { host, port } => {
            let port = port.for_bind();
            let addrs: Vec<SocketAddr> = match host {
                Host::Ip(ip) => vec![SocketAddr::new(*ip, port)],
                Host::Name(name) => tokio::net::lookup_host((name.as_str(), port))
                    .await?
                    .collect(),
                Host::Any => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "cannot connect to *",
                    ))
                }
            };
            connect_tcp(&addrs, attempt_timeout).await
        }
        Endpoint::Inproc(name) => {
            let attempt = inproc::connect(name);
            let stream = match attempt_timeout {
                Some(t) => tokio::time::timeout(t, attempt)
                    .await
                    .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "connect timed out"))??,
                None => attempt.await?,
            };
            Ok(Stream::Unix(stream))
        }
        Endpoint::Ipc(path) => ipc::connect(path, attempt_timeout).await.map(Stream::Unix),
    }
}

/// Tries each address in turn (a name may resolve to IPv4 and IPv6 addresses, and the server may
/// listen on only one of them); the first that accepts wins.
async fn connect_tcp(
    addrs: &[SocketAddr],
    attempt_timeout: Option<Duration>,
) -> io::Result<Stream> {
    let mut last = io::Error::new(io::ErrorKind::NotFound, "host resolves to no address");
    for &addr in addrs {
        let attempt = TcpStream::connect(addr);
        let result = match attempt_timeout {
            Some(t) => match tokio::time::timeout(t, attempt).await {
                Ok(r) => r,
                Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, "connect timed out")),
            },
            None => attempt.await,
        };
        match result {
            Ok(stream) => {
                stream.set_nodelay(true)?;
                return Ok(Stream::Tcp(stream));
            }
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// The peer end of [`test_pair`]: a Unix stream socket where there are those, else tcp.
#[cfg(all(test, unix))]
pub(crate) type TestPeer = std::os::unix::net::UnixStream;
/// The peer end of [`test_pair`]: a Unix stream socket where there are those, else tcp.
#[cfg(all(test, not(unix)))]
pub(crate) type TestPeer = std::net::TcpStream;

/// A connected pair for unit tests (inside a runtime): ours as a `Stream`, theirs blocking.
#[cfg(all(test, unix))]
pub(crate) fn test_pair() -> (Stream, TestPeer) {
    let (ours, theirs) = std::os::unix::net::UnixStream::pair().expect("pair");
    ours.set_nonblocking(true).expect("nonblocking");
    let ours = tokio::net::UnixStream::from_std(ours).expect("tokio stream");
    (Stream::Unix(ours), theirs)
}

/// A connected pair for unit tests (inside a runtime): ours as a `Stream`, theirs blocking.
#[cfg(all(test, not(unix)))]
pub(crate) fn test_pair() -> (Stream, TestPeer) {
    let (ours, theirs) = test_tcp_pair();
    // Small buffers, as a Unix pair has: tests that fill the socket then do so quickly.
    let small = 8 * 1024;
    SockRef::from(&ours)
        .set_send_buffer_size(small)
        .expect("SO_SNDBUF");
    SockRef::from(&theirs)
        .set_recv_buffer_size(small)
        .expect("SO_RCVBUF");
    let ours = TcpStream::from_std(ours).expect("tokio stream");
    (Stream::Tcp(ours), theirs)
}

/// A connected loopback tcp pair: ours non-blocking, theirs blocking.
#[cfg(test)]
pub(crate) fn test_tcp_pair() -> (std::net::TcpStream, std::net::TcpStream) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let ours = std::net::TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
    let (theirs, _) = listener.accept().expect("accept");
    ours.set_nonblocking(true).expect("nonblocking");
    (ours, theirs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn connect_tries_every_address() {
        // Like `localhost` resolving to 127.0.0.1 and ::1 while the server listens on ::1 only.
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("probe port");
        let listener = TcpListener::bind("[::1]:0").await.expect("bind ::1");
        let open = listener.local_addr().expect("addr");
        let stream = connect_tcp(&[closed, open], Some(Duration::from_secs(2)))
            .await
            .expect("second address accepted");
        let Stream::Tcp(stream) = stream else {
            panic!("not tcp");
        };
        assert_eq!(stream.peer_addr().ok(), Some(open));
        assert_eq!(stream.nodelay().ok(), Some(true));
    }

    #[tokio::test]
    async fn connect_reports_the_last_failure() {
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("probe port");
        let e = connect_tcp(&[closed], None).await.err().map(|e| e.kind());
        assert_eq!(e, Some(io::ErrorKind::ConnectionRefused));
        let e = connect_tcp(&[], None).await.err().map(|e| e.kind());
        assert_eq!(e, Some(io::ErrorKind::NotFound));
    }

    /// A port held by a plain listener the runtime does not know: it stands for our closed
    /// listener's port still held a moment (as under Wine), or for someone else's.
    fn held_port() -> (std::net::TcpListener, SocketAddr) {
        let holder = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = holder.local_addr().expect("addr");
        (holder, addr)
    }

    #[tokio::test]
    async fn a_bind_waits_for_a_port_our_closed_listener_still_holds() {
        let (holder, addr) = held_port();
        released_ports::note(addr);
        let closing = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            drop(holder);
        });
        let bound = bind_tcp(addr).await;
        assert_eq!(bound.ok().and_then(|l| l.local_addr().ok()), Some(addr));
        closing.join().expect("closing thread");
    }

    #[tokio::test]
    async fn a_port_held_by_someone_else_is_refused_at_once_or_after_the_grace() {
        let (_holder, addr) = held_port();
        let started = std::time::Instant::now();
        let e = bind_tcp(addr).await.err().map(|e| e.kind());
        assert_eq!(e, Some(io::ErrorKind::AddrInUse), "never released by us");
        assert!(
            started.elapsed() < released_ports::GRACE,
            "refused without waiting"
        );
        released_ports::note(addr);
        let e = bind_tcp(addr).await.err().map(|e| e.kind());
        assert_eq!(e, Some(io::ErrorKind::AddrInUse), "held past the grace");
        assert!(
            started.elapsed() >= released_ports::GRACE,
            "waited out the grace"
        );
    }
}

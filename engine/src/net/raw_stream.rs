//! A connected socket whose reading belongs to a `ReadDriver` (the caller's event loop), used
//! without a standing runtime registration.
//!
//! Why not keep it registered with tokio for writability: mio registers edge-triggered, and a
//! Unix stream socket signals "writable" every time the peer reads from it. With a standing
//! registration, every message the peer consumed woke a runtime thread that had nothing to do
//! (with 16 ipc clients, more than one needless wake-up for every two round trips). So the socket is
//! registered only while a writer actually waits for room, and deregistered right after.
//!
//! Large frames: [`RawStream::set_recv_lowat`] lets a TCP reader sleep until a large frame's body
//! has arrived instead of waking for every segment (a third of the wake-ups for a 1 MiB frame over
//! loopback).

use std::io::{self, IoSlice, Write};
use std::mem::MaybeUninit;
use std::net::TcpStream;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

#[derive(Debug)]
enum Sock {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl AsRawFd for Sock {
    fn as_raw_fd(&self) -> RawFd {
        match self {
            Sock::Tcp(s) => s.as_raw_fd(),
            Sock::Unix(s) => s.as_raw_fd(),
        }
    }
}

/// A shared handle to the socket, so a temporary registration does not own (and close) it.
struct Registered(Arc<Sock>);

impl AsRawFd for Registered {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}

/// A non-blocking connected socket (see the module docs).
#[derive(Debug)]
pub(crate) struct RawStream {
    sock: Arc<Sock>,
}

impl RawStream {
    /// Takes over a non-blocking TCP socket.
    pub(crate) fn tcp(stream: TcpStream) -> RawStream {
        RawStream {
            sock: Arc::new(Sock::Tcp(stream)),
        }
    }

    /// Takes over a non-blocking Unix stream socket.
    pub(crate) fn unix(stream: UnixStream) -> RawStream {
        RawStream {
            sock: Arc::new(Sock::Unix(stream)),
        }
    }

    pub(crate) fn raw_fd(&self) -> RawFd {
        self.sock.as_raw_fd()
    }

    /// Waits until the socket has room for more bytes. Registers it with the runtime for just this
    /// wait: when it is already writable the registration reports so at once.
    pub(crate) async fn writable(&self) -> io::Result<()> {
        // SAFETY: `Registered` holds the socket, so the descriptor stays open (and the same) for
        // as long as the registration lives.
        let fd = unsafe {
            AsyncFd::register_with_interest(Registered(self.sock.clone()), Interest::WRITABLE)?
        };
        let _ready = fd.writable().await?;
        Ok(())
    }

    /// Non-blocking write; `WouldBlock` when the OS buffer is full.
    pub(crate) fn write(&self, buf: &[u8]) -> io::Result<usize> {
        match &*self.sock {
            Sock::Tcp(s) => (&*s).write(buf),
            Sock::Unix(s) => (&*s).write(buf),
        }
    }

    /// Non-blocking vectored write; `WouldBlock` when the OS buffer is full.
    pub(crate) fn write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        match &*self.sock {
            Sock::Tcp(s) => (&*s).write_vectored(bufs),
            Sock::Unix(s) => (&*s).write_vectored(bufs),
        }
    }

    /// Non-blocking read into uninitialised memory; `WouldBlock` when nothing has arrived.
    pub(crate) fn recv(&self, buf: &mut [MaybeUninit<u8>]) -> io::Result<usize> {
        match &*self.sock {
            Sock::Tcp(s) => socket2::SockRef::from(s).recv(buf),
            Sock::Unix(s) => socket2::SockRef::from(s).recv(buf),
        }
    }

    /// TCP: readiness (and so the driver's wake-up) waits until `bytes` are queued, or the
    /// connection ends. Unix sockets ignore the mark when polled: `false`, nothing set.
    pub(crate) fn set_recv_lowat(&self, bytes: usize) -> bool {
        let Sock::Tcp(s) = &*self.sock else {
            return false;
        };
        let value = libc::c_int::try_from(bytes).unwrap_or(libc::c_int::MAX);
        // SAFETY: a valid descriptor, and a pointer to a live int of the size passed.
        let status = unsafe {
            libc::setsockopt(
                s.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVLOWAT,
                std::ptr::from_ref(&value).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        status == 0
    }

    /// Bytes received and not read yet (0 if the OS will not say).
    pub(crate) fn queued(&self) -> usize {
        let mut queued: libc::c_int = 0;
        // SAFETY: a valid descriptor, and FIONREAD writes one int.
        let status = unsafe { libc::ioctl(self.raw_fd(), libc::FIONREAD, &mut queued) };
        if status == 0 {
            usize::try_from(queued).unwrap_or(0)
        } else {
            0
        }
    }

    /// Shuts both directions down, even while other references to the socket exist.
    pub(crate) fn shutdown(&self) -> io::Result<()> {
        match &*self.sock {
            Sock::Tcp(s) => s.shutdown(std::net::Shutdown::Both),
            Sock::Unix(s) => s.shutdown(std::net::Shutdown::Both),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn pair() -> (RawStream, UnixStream) {
        let (a, b) = UnixStream::pair().expect("pair");
        a.set_nonblocking(true).expect("nonblocking");
        (RawStream::unix(a), b)
    }

    #[tokio::test]
    async fn waits_for_room_then_lets_go_of_the_registration() {
        let (ours, mut theirs) = pair();
        let chunk = vec![7u8; 64 * 1024];
        let mut sent = 0usize;
        loop {
            match ours.write(&chunk) {
                Ok(n) => sent += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => panic!("write: {e}"),
            }
        }
        assert!(sent > 0);
        let reader = std::thread::spawn(move || {
            let mut buf = vec![0u8; 256 * 1024];
            let mut got = 0usize;
            while got < sent {
                got += theirs.read(&mut buf).expect("read");
            }
            theirs
        });
        // Twice: a registration left behind would make the second one fail (already registered).
        ours.writable().await.expect("writable");
        ours.writable().await.expect("writable again");
        assert!(ours.write(b"more").expect("room") > 0);
        drop(reader.join().expect("reader"));
    }

    #[test]
    fn reports_queued_bytes() {
        let (ours, mut theirs) = pair();
        assert_eq!(ours.queued(), 0);
        theirs.write_all(b"hello").expect("write");
        assert_eq!(ours.queued(), 5);
        let mut buf = [MaybeUninit::uninit(); 8];
        assert_eq!(ours.recv(&mut buf).expect("recv"), 5);
        assert_eq!(ours.queued(), 0);
    }

    #[test]
    fn low_water_mark_is_tcp_only() {
        let (ours, _theirs) = pair();
        assert!(!ours.set_recv_lowat(1 << 20));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let stream = TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
        let tcp = RawStream::tcp(stream);
        assert!(tcp.set_recv_lowat(256 * 1024));
        assert!(tcp.set_recv_lowat(1));
    }
}

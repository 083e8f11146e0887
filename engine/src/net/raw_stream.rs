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

use crate::net::ipc;
use crate::net::readiness::{self, AsSockRef};
use crate::net::recv_queue;
use socket2::SockRef;
use std::io::{self, IoSlice, Write};
use std::mem::MaybeUninit;
use std::net::TcpStream;
use std::sync::Arc;

#[derive(Debug)]
enum Sock {
    Tcp(TcpStream),
    Unix(ipc::StdStream),
}

impl AsSockRef for Sock {
    fn sock_ref(&self) -> SockRef<'_> {
        match self {
            Sock::Tcp(s) => SockRef::from(s),
            Sock::Unix(s) => SockRef::from(s),
        }
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
    pub(crate) fn unix(stream: ipc::StdStream) -> RawStream {
        RawStream {
            sock: Arc::new(Sock::Unix(stream)),
        }
    }

    pub(crate) fn sock_ref(&self) -> SockRef<'_> {
        self.sock.sock_ref()
    }

    /// Waits until the socket has room for more bytes. Registers it with the runtime for just this
    /// wait: when it is already writable the registration reports so at once.
    pub(crate) async fn writable(&self) -> io::Result<()> {
        readiness::writable(&self.sock).await
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
        self.sock.sock_ref().recv(buf)
    }

    /// TCP: readiness (and so the driver's wake-up) waits until `bytes` are queued, or the
    /// connection ends. Unix sockets ignore the mark when polled, and Winsock has none: `false`,
    /// nothing set.
    pub(crate) fn set_recv_lowat(&self, bytes: usize) -> bool {
        let Sock::Tcp(s) = &*self.sock else {
            return false;
        };
        recv_queue::set_recv_lowat(SockRef::from(s), bytes)
    }

    /// Bytes received and not read yet (0 if the OS will not say).
    pub(crate) fn queued(&self) -> usize {
        recv_queue::queued(self.sock.sock_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::transport::test_tcp_pair;
    use std::io::Read;

    fn pair() -> (RawStream, TcpStream) {
        let (ours, theirs) = test_tcp_pair();
        (RawStream::tcp(ours), theirs)
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

    /// Reads what has arrived (loopback delivers it at once, but not within the write call).
    fn recv_some(ours: &RawStream, buf: &mut [MaybeUninit<u8>]) -> usize {
        for _ in 0..1000 {
            match ours.recv(buf) {
                Ok(n) => return n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    std::thread::sleep(std::time::Duration::from_millis(2));
                }
                Err(e) => panic!("recv: {e}"),
            }
        }
        panic!("nothing arrived");
    }

    #[test]
    fn reads_what_arrived_and_reports_queued_bytes_where_the_os_says() {
        let (ours, mut theirs) = pair();
        assert_eq!(ours.queued(), 0);
        theirs.write_all(b"hello").expect("write");
        let mut peek = [MaybeUninit::uninit(); 8];
        while ours.sock_ref().peek(&mut peek).map_or(true, |n| n < 5) {
            std::thread::yield_now();
        }
        // Winsock is not asked (see `recv_queue`): it says 0 there.
        let expected = if cfg!(unix) { 5 } else { 0 };
        assert_eq!(ours.queued(), expected);
        let mut buf = [MaybeUninit::uninit(); 8];
        assert_eq!(recv_some(&ours, &mut buf), 5);
        assert_eq!(ours.queued(), 0);
    }

    #[test]
    fn low_water_mark_is_tcp_on_unix_only() {
        let (tcp, _theirs) = pair();
        assert_eq!(tcp.set_recv_lowat(256 * 1024), cfg!(unix));
        assert_eq!(tcp.set_recv_lowat(1), cfg!(unix));
        #[cfg(unix)]
        {
            let (a, _b) = std::os::unix::net::UnixStream::pair().expect("pair");
            assert!(!RawStream::unix(a).set_recv_lowat(1 << 20));
        }
    }

    #[test]
    fn shuts_down_both_ways() {
        let (ours, mut theirs) = pair();
        ours.sock_ref()
            .shutdown(std::net::Shutdown::Both)
            .expect("shutdown");
        let mut buf = [0u8; 4];
        assert_eq!(theirs.read(&mut buf).expect("eof"), 0);
    }
}

//! Whether a connection's peer has hung up, found without reading (a send checks it before it
//! picks a connection, see `WriteHalf::hung_up`).
//!
//! Linux (and Android) poll for `POLLRDHUP`, which reports the peer's FIN even with bytes still
//! unread before it. Everywhere else (macOS, the BSDs, Windows) a peeked one-byte read is the
//! check: it sees the FIN only once nothing unread is before it. Both are compiled and tested on
//! Linux, so the variant that ships on macOS and Windows runs in the Linux tests too.

use socket2::SockRef;
use std::io;
use std::mem::MaybeUninit;

/// The peer's FIN or a reset has arrived (see the module docs for which check runs where).
pub(crate) fn peer_hung_up(sock: SockRef<'_>) -> bool {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    return by_rdhup(&sock);
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    return by_peek(&sock);
}

/// A zero-timeout poll: RDHUP is the peer's FIN even with bytes still unread before it.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn by_rdhup(sock: &socket2::Socket) -> bool {
    use std::os::fd::AsRawFd;
    let mut pollfd = libc::pollfd {
        fd: sock.as_raw_fd(),
        events: libc::POLLRDHUP,
        revents: 0,
    };
    // SAFETY: one valid, exclusively borrowed pollfd; a zero timeout never blocks.
    let ready = unsafe { libc::poll(&mut pollfd, 1, 0) };
    ready > 0 && pollfd.revents & (libc::POLLRDHUP | libc::POLLHUP | libc::POLLERR) != 0
}

/// Without RDHUP: a peeked read says 0 at the FIN (only once nothing unread is before it). The
/// engine's sockets are non-blocking, so the peek never waits.
#[cfg_attr(any(target_os = "linux", target_os = "android"), allow(dead_code))]
fn by_peek(sock: &socket2::Socket) -> bool {
    let mut byte = [MaybeUninit::<u8>::uninit()];
    match sock.peek(&mut byte) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => !matches!(
            e.kind(),
            io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::{Shutdown, TcpListener, TcpStream};

    /// A connected non-blocking loopback pair: (ours, theirs).
    fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let ours = TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
        let (theirs, _) = listener.accept().expect("accept");
        ours.set_nonblocking(true).expect("nonblocking");
        (ours, theirs)
    }

    /// Waits (briefly, by polling the check itself) until `check` says hung up.
    fn becomes_true(mut check: impl FnMut() -> bool) -> bool {
        for _ in 0..200 {
            if check() {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        false
    }

    type Check = fn(&socket2::Socket) -> bool;

    /// Every variant compiled for this platform, the shipped one first.
    fn checks() -> Vec<(&'static str, Check)> {
        vec![
            #[cfg(any(target_os = "linux", target_os = "android"))]
            ("rdhup", by_rdhup as Check),
            ("peek", by_peek as Check),
        ]
    }

    #[test]
    fn an_open_quiet_connection_has_not_hung_up() {
        for (name, check) in checks() {
            let (ours, _theirs) = pair();
            assert!(!check(&SockRef::from(&ours)), "{name}");
        }
    }

    #[test]
    fn unread_bytes_alone_are_not_a_hang_up() {
        for (name, check) in checks() {
            let (ours, mut theirs) = pair();
            theirs.write_all(b"hello").expect("write");
            // Until the bytes have arrived a check proves nothing: wait for them.
            let sock = SockRef::from(&ours);
            let mut probe = [MaybeUninit::<u8>::uninit(); 8];
            assert!(becomes_true(|| sock.peek(&mut probe).is_ok()), "{name}");
            assert!(!check(&sock), "{name}");
        }
    }

    #[test]
    fn the_peers_fin_is_a_hang_up() {
        for (name, check) in checks() {
            let (ours, theirs) = pair();
            theirs.shutdown(Shutdown::Write).expect("shutdown");
            assert!(becomes_true(|| check(&SockRef::from(&ours))), "{name}");
        }
    }

    #[test]
    fn a_closed_peer_is_a_hang_up() {
        for (name, check) in checks() {
            let (ours, theirs) = pair();
            drop(theirs);
            assert!(becomes_true(|| check(&SockRef::from(&ours))), "{name}");
        }
    }

    /// Where they differ: RDHUP sees a FIN behind unread bytes, the peek only after them.
    #[test]
    fn a_fin_behind_unread_bytes() {
        let (ours, mut theirs) = pair();
        theirs.write_all(b"x").expect("write");
        theirs.shutdown(Shutdown::Write).expect("shutdown");
        let sock = SockRef::from(&ours);
        #[cfg(any(target_os = "linux", target_os = "android"))]
        assert!(becomes_true(|| by_rdhup(&sock)));
        let mut probe = [MaybeUninit::<u8>::uninit(); 8];
        assert!(becomes_true(|| sock.peek(&mut probe).is_ok()));
        assert!(!by_peek(&sock), "the byte is still before the FIN");
        assert_eq!(sock.recv(&mut probe).expect("read the byte"), 1);
        assert!(becomes_true(|| by_peek(&sock)));
    }
}

//! A socket's receive queue as the read driver sees it: the low-water mark (how much must be
//! queued before the socket reads as readable) and how many bytes are queued unread.
//!
//! Unix has both (`SO_RCVLOWAT`, `FIONREAD`). Winsock refuses `SO_RCVLOWAT` (WSAENOPROTOOPT), so
//! there the mark is never set and the driver wakes for every segment; with no mark set nothing
//! asks how much is queued (the count only explains why a reader with a mark was not woken).

use socket2::SockRef;

/// Sets the receive low-water mark; false where the platform or the socket does not take it.
#[cfg(unix)]
pub(crate) fn set_recv_lowat(sock: SockRef<'_>, bytes: usize) -> bool {
    use std::os::fd::AsRawFd;
    let value = libc::c_int::try_from(bytes).unwrap_or(libc::c_int::MAX);
    // SAFETY: a valid descriptor, and a pointer to a live int of the size passed.
    let status = unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVLOWAT,
            std::ptr::from_ref(&value).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    status == 0
}

/// Bytes received and not read yet (0 if the OS will not say).
#[cfg(unix)]
pub(crate) fn queued(sock: SockRef<'_>) -> usize {
    use std::os::fd::AsRawFd;
    let mut queued: libc::c_int = 0;
    // SAFETY: a valid descriptor, and FIONREAD writes one int.
    let status = unsafe { libc::ioctl(sock.as_raw_fd(), libc::FIONREAD, &mut queued) };
    if status == 0 {
        usize::try_from(queued).unwrap_or(0)
    } else {
        0
    }
}

/// No low-water mark here (see the module docs).
#[cfg(not(unix))]
pub(crate) fn set_recv_lowat(_: SockRef<'_>, _: usize) -> bool {
    false
}

/// Not asked where no mark is ever set (see the module docs).
#[cfg(not(unix))]
pub(crate) fn queued(_: SockRef<'_>) -> usize {
    0
}

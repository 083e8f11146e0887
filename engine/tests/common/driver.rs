//! Test read drivers following the contract of the engine's `driven` module: one thread per
//! connection, one thread polling every connection (the shape of the addon's libuv loop), and a
//! manual driver a test pumps by hand.

use super::*;
use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use tokio::sync::Notify;
use zeromq_napi_engine::{DrivenRead, Pump, RawSocket, ReadDriver};

pub use os::{poll, pollfd, raw, unread};

// ----- test drivers -----

/// How long a driver thread's poll waits before it re-checks for shutdown.
pub const POLL_MS: i32 = 50;

/// The most reads one `pump` makes.
pub use zeromq_napi_engine::driven::READS_PER_PUMP;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One std thread per attached connection, blocking in poll(2) on its descriptor.
    ThreadPerConnection,
    /// One std thread polling all attached descriptors plus a wake-up pipe, like libuv.
    SingleLoop,
}

pub const KINDS: [Kind; 2] = [Kind::ThreadPerConnection, Kind::SingleLoop];

/// The driver attached exactly one connection and saw none end.
pub fn assert_one_live_connection(d: &Driver, kind: impl std::fmt::Debug) {
    assert_eq!(d.seen().attaches(), 1, "{kind:?}: {}", d.seen().summary());
    assert_eq!(d.seen().ends(), 0, "{kind:?}: {}", d.seen().summary());
}

pub use zeromq_napi_engine::lock;

/// What a driver saw. `changed` wakes tests awaiting a count, so they await events, not time.
#[derive(Default)]
pub struct Seen {
    /// Connection ids in attach order.
    pub attached: Mutex<Vec<u64>>,
    /// Ids whose `pump` returned `Ended`.
    pub ended: Mutex<HashSet<u64>>,
    pub pumps: AtomicUsize,
    pub fulls: AtomicUsize,
    pub resumes: AtomicUsize,
    pub changed: Notify,
}

impl Seen {
    pub fn attached(&self) -> Vec<u64> {
        lock(&self.attached).clone()
    }

    pub fn attaches(&self) -> usize {
        lock(&self.attached).len()
    }

    pub fn ended(&self) -> HashSet<u64> {
        lock(&self.ended).clone()
    }

    pub fn ends(&self) -> usize {
        lock(&self.ended).len()
    }

    pub fn pumps(&self) -> usize {
        self.pumps.load(Ordering::SeqCst)
    }

    pub fn fulls(&self) -> usize {
        self.fulls.load(Ordering::SeqCst)
    }

    pub fn resumes(&self) -> usize {
        self.resumes.load(Ordering::SeqCst)
    }

    pub fn summary(&self) -> String {
        format!(
            "attached {:?}, ended {:?}, pumps {}, fulls {}, resumes {}",
            self.attached(),
            self.ended(),
            self.pumps(),
            self.fulls(),
            self.resumes()
        )
    }

    /// Awaits `cond` (re-checked on every driver event), failing after [`PROMPT`].
    pub async fn until(&self, what: &str, cond: impl Fn(&Seen) -> bool) {
        let wait = async {
            loop {
                let changed = self.changed.notified();
                tokio::pin!(changed);
                changed.as_mut().enable();
                if cond(self) {
                    return;
                }
                changed.await;
            }
        };
        if tokio::time::timeout(PROMPT, wait).await.is_err() {
            panic!("driver never saw {what}: {}", self.summary());
        }
    }
}

/// State shared by a driver's threads and the `ReadDriver` the engine calls.
pub struct DriverShared {
    pub kind: Kind,
    pub seen: Seen,
    pub stop: AtomicBool,
    /// ThreadPerConnection: connections handed back by `resume`, by id.
    pub resumed: Mutex<HashMap<u64, DrivenRead>>,
    pub resumed_cv: Condvar,
    /// SingleLoop: connections attached or resumed since the loop last looked.
    pub inbox: Mutex<Vec<DrivenRead>>,
    /// SingleLoop: written to wake the loop's poll; the loop polls `wake_rx` (a loopback tcp
    /// pair: WSAPoll takes sockets only).
    pub wake_tx: TcpStream,
    pub wake_rx: TcpStream,
    pub threads: Mutex<Vec<JoinHandle<()>>>,
}

impl DriverShared {
    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// One `pump`, counted.
    pub fn pump(&self, conn: &DrivenRead) -> Pump {
        let result = conn.pump();
        self.seen.pumps.fetch_add(1, Ordering::SeqCst);
        match result {
            Pump::Idle => {}
            Pump::Full => {
                self.seen.fulls.fetch_add(1, Ordering::SeqCst);
            }
            Pump::Ended => {
                lock(&self.seen.ended).insert(conn.id());
            }
        }
        self.seen.changed.notify_waiters();
        result
    }

    pub fn wake_loop(&self) {
        // A full pipe already holds a wake-up: the error is of no interest.
        let _ = (&self.wake_tx).write(&[1]);
    }

    /// ThreadPerConnection: waits for `resume` to hand `id` back; false on shutdown.
    pub fn wait_resumed(&self, id: u64) -> bool {
        let mut resumed = lock(&self.resumed);
        loop {
            if resumed.remove(&id).is_some() {
                return true;
            }
            if self.stopped() {
                return false;
            }
            resumed = self
                .resumed_cv
                .wait_timeout(resumed, Duration::from_millis(POLL_MS as u64))
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }
}

/// What the sockets hold (`set_read_driver`); the test holds the [`Driver`].
pub struct EngineSide(Arc<DriverShared>);

impl ReadDriver for EngineSide {
    fn attach(&self, conn: DrivenRead) {
        let inner = &self.0;
        lock(&inner.seen.attached).push(conn.id());
        inner.seen.changed.notify_waiters();
        match inner.kind {
            Kind::ThreadPerConnection => {
                let thread = {
                    let inner = inner.clone();
                    std::thread::Builder::new()
                        .name(format!("driver-conn-{}", conn.id()))
                        .spawn(move || serve_one(&inner, conn))
                        .expect("spawn driver thread")
                };
                lock(&inner.threads).push(thread);
            }
            Kind::SingleLoop => {
                lock(&inner.inbox).push(conn);
                inner.wake_loop();
            }
        }
    }

    fn resume(&self, conn: DrivenRead) {
        let inner = &self.0;
        inner.seen.resumes.fetch_add(1, Ordering::SeqCst);
        inner.seen.changed.notify_waiters();
        match inner.kind {
            Kind::ThreadPerConnection => {
                lock(&inner.resumed).insert(conn.id(), conn);
                inner.resumed_cv.notify_all();
            }
            Kind::SingleLoop => {
                lock(&inner.inbox).push(conn);
                inner.wake_loop();
            }
        }
    }
}

/// poll(2), or WSAPoll on Windows (the same shape), and the queued-bytes count.
#[cfg(unix)]
mod os {
    use super::RawSocket;

    pub type PollFd = libc::pollfd;

    pub fn raw(s: &impl std::os::fd::AsRawFd) -> RawSocket {
        s.as_raw_fd()
    }

    pub fn pollfd(fd: RawSocket) -> PollFd {
        libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        }
    }

    /// poll(2); how many descriptors have events (0 on timeout or EINTR).
    pub fn poll(fds: &mut [PollFd], timeout_ms: i32) -> usize {
        // SAFETY: `fds` is a valid, exclusively borrowed array of `fds.len()` pollfd structs.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout_ms) };
        usize::try_from(n).unwrap_or(0)
    }

    /// Bytes waiting to be read on `fd` (FIONREAD).
    pub fn unread(fd: RawSocket) -> usize {
        let mut n: libc::c_int = 0;
        // SAFETY: FIONREAD writes one c_int through the pointer, which is valid.
        let r = unsafe { libc::ioctl(fd, libc::FIONREAD, &mut n) };
        assert_eq!(r, 0, "FIONREAD");
        usize::try_from(n).unwrap_or(0)
    }
}

/// poll(2), or WSAPoll on Windows (the same shape), and the queued-bytes count.
#[cfg(windows)]
mod os {
    use super::RawSocket;
    use windows_sys::Win32::Networking::WinSock as ws;

    pub type PollFd = ws::WSAPOLLFD;

    pub fn raw(s: &impl std::os::windows::io::AsRawSocket) -> RawSocket {
        s.as_raw_socket()
    }

    pub fn pollfd(fd: RawSocket) -> PollFd {
        ws::WSAPOLLFD {
            fd: fd as ws::SOCKET,
            events: ws::POLLIN,
            revents: 0,
        }
    }

    /// WSAPoll; how many sockets have events (0 on timeout or error).
    pub fn poll(fds: &mut [PollFd], timeout_ms: i32) -> usize {
        // SAFETY: `fds` is a valid, exclusively borrowed array of `fds.len()` WSAPOLLFD structs.
        let n = unsafe { ws::WSAPoll(fds.as_mut_ptr(), fds.len() as u32, timeout_ms) };
        usize::try_from(n).unwrap_or(0)
    }

    /// Bytes waiting to be read on `fd` (FIONREAD).
    pub fn unread(fd: RawSocket) -> usize {
        let mut n: u32 = 0;
        // SAFETY: FIONREAD writes one u32 through the pointer, which is valid.
        let r = unsafe { ws::ioctlsocket(fd as ws::SOCKET, ws::FIONREAD, &mut n) };
        assert_eq!(r, 0, "FIONREAD");
        n as usize
    }
}

/// ThreadPerConnection: pump once after attach, then whenever readable; park on `Full` until
/// resumed; return (dropping the connection) on `Ended` or shutdown.
pub fn serve_one(inner: &DriverShared, conn: DrivenRead) {
    let fd = conn.fd();
    loop {
        match inner.pump(&conn) {
            Pump::Ended => return,
            Pump::Full => {
                if !inner.wait_resumed(conn.id()) {
                    return;
                }
                continue;
            }
            Pump::Idle => {}
        }
        loop {
            if inner.stopped() {
                return;
            }
            if poll(&mut [pollfd(fd)], POLL_MS) > 0 {
                break;
            }
        }
    }
}

/// SingleLoop: the libuv shape. Attached and resumed connections come through the inbox and are
/// pumped at once; `Full` ones are parked (a stopped watcher) until resumed; `Ended` ones dropped.
pub fn run_loop(inner: &DriverShared) {
    let mut watched: Vec<DrivenRead> = Vec::new();
    let mut parked: HashMap<u64, DrivenRead> = HashMap::new();
    let mut fds = Vec::new();
    let pump_into =
        |conn: DrivenRead, watched: &mut Vec<DrivenRead>, parked: &mut HashMap<u64, DrivenRead>| {
            match inner.pump(&conn) {
                Pump::Idle => watched.push(conn),
                Pump::Full => {
                    parked.insert(conn.id(), conn);
                }
                Pump::Ended => {}
            }
        };
    while !inner.stopped() {
        let incoming = std::mem::take(&mut *lock(&inner.inbox));
        for conn in incoming {
            parked.remove(&conn.id());
            pump_into(conn, &mut watched, &mut parked);
        }
        fds.clear();
        fds.push(pollfd(raw(&inner.wake_rx)));
        fds.extend(watched.iter().map(|c| pollfd(c.fd())));
        if poll(&mut fds, POLL_MS) == 0 {
            continue;
        }
        if fds[0].revents != 0 {
            let mut sink = [0u8; 64];
            while matches!((&inner.wake_rx).read(&mut sink), Ok(n) if n > 0) {}
        }
        let all = std::mem::take(&mut watched);
        for (conn, fd) in all.into_iter().zip(&fds[1..]) {
            if fd.revents == 0 {
                watched.push(conn);
            } else {
                pump_into(conn, &mut watched, &mut parked);
            }
        }
    }
}

/// A test driver; stops its threads when dropped (and fails the test if one panicked).
pub struct Driver {
    pub inner: Arc<DriverShared>,
}

impl Driver {
    pub fn new(kind: Kind) -> Driver {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("wake-up listener");
        let wake_tx =
            TcpStream::connect(listener.local_addr().expect("addr")).expect("wake-up connect");
        let (wake_rx, _) = listener.accept().expect("wake-up accept");
        wake_tx.set_nonblocking(true).expect("nonblocking");
        wake_rx.set_nonblocking(true).expect("nonblocking");
        let inner = Arc::new(DriverShared {
            kind,
            seen: Seen::default(),
            stop: AtomicBool::new(false),
            resumed: Mutex::new(HashMap::new()),
            resumed_cv: Condvar::new(),
            inbox: Mutex::new(Vec::new()),
            wake_tx,
            wake_rx,
            threads: Mutex::new(Vec::new()),
        });
        if kind == Kind::SingleLoop {
            let thread = {
                let inner = inner.clone();
                std::thread::Builder::new()
                    .name("driver-loop".into())
                    .spawn(move || run_loop(&inner))
                    .expect("spawn driver loop")
            };
            lock(&inner.threads).push(thread);
        }
        Driver { inner }
    }

    /// What to give `set_read_driver`.
    pub fn reader(&self) -> Arc<dyn ReadDriver> {
        Arc::new(EngineSide(self.inner.clone()))
    }

    pub fn seen(&self) -> &Seen {
        &self.inner.seen
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.inner.stop.store(true, Ordering::SeqCst);
        self.inner.resumed_cv.notify_all();
        self.inner.wake_loop();
        let threads = std::mem::take(&mut *lock(&self.inner.threads));
        let panicked = threads.into_iter().any(|t| t.join().is_err());
        if panicked && !std::thread::panicking() {
            panic!("a driver thread panicked");
        }
    }
}

/// A driver that only records: the test pumps by hand.
#[derive(Default)]
pub struct Manual {
    pub attached: Mutex<Vec<DrivenRead>>,
    pub resumed: Mutex<Vec<DrivenRead>>,
    pub changed: Notify,
}

impl ReadDriver for Manual {
    fn attach(&self, conn: DrivenRead) {
        lock(&self.attached).push(conn);
        self.changed.notify_waiters();
    }

    fn resume(&self, conn: DrivenRead) {
        lock(&self.resumed).push(conn);
        self.changed.notify_waiters();
    }
}

impl Manual {
    /// Awaits the `n`th connection in `list` (attached or resumed).
    pub async fn nth(&self, list: &Mutex<Vec<DrivenRead>>, n: usize) -> DrivenRead {
        prompt(async {
            loop {
                let changed = self.changed.notified();
                tokio::pin!(changed);
                changed.as_mut().enable();
                if let Some(conn) = lock(list).get(n - 1) {
                    return conn.clone();
                }
                changed.await;
            }
        })
        .await
    }

    pub async fn attached(&self, n: usize) -> DrivenRead {
        self.nth(&self.attached, n).await
    }

    pub async fn resumed(&self, n: usize) -> DrivenRead {
        self.nth(&self.resumed, n).await
    }
}

/// Awaits readability of `fd` (poll(2) on a blocking thread), failing after [`PROMPT`].
pub async fn readable(fd: RawSocket) {
    let ms = PROMPT.as_millis() as i32;
    let ready = tokio::task::spawn_blocking(move || poll(&mut [pollfd(fd)], ms))
        .await
        .expect("poll thread");
    assert_eq!(ready, 1, "descriptor {fd} did not become readable");
}

//! Reading connections from the caller's own event loop.
//!
//! By default a connection is read by an engine task: data arriving wakes a runtime thread, which
//! decodes it and then wakes whoever waits for the message, a second thread. A caller with an event
//! loop of its own (Node's libuv loop, in the addon) can take the reading over: it watches each
//! connection's file descriptor and calls [`DrivenRead::pump`] when it is readable, so a message
//! wakes only the thread that wants it. Writing, heartbeat timers and the connection's life stay
//! with the engine.
//!
//! Contract for a [`ReadDriver`]:
//! - `attach` is called once per connection, from an engine thread, when its handshake is done;
//!   from then on nothing else reads that connection;
//! - call `pump` whenever the descriptor is readable (level-triggered), and once after `attach`
//!   (bytes may have arrived with the handshake). Nothing else pumps: a send that must know
//!   whether a peer went away while the driver's loop was busy asks the socket (`Peer::refresh`);
//! - `Pump::Full`: stop watching until `resume` hands the connection back, then pump again and
//!   watch again. Treat every `resume` as "pump now": it also comes for a connection that ended
//!   while parked (the pump then says `Ended`);
//! - `Pump::Ended`: stop watching and drop the `DrivenRead` (it keeps the descriptor open until
//!   the last clone is gone, so a watcher is never left on a closed, reused descriptor).

use crate::conn::delivery::{receive_hwm, InboundQueue, PeerSink};
use crate::conn::peer::Peer;
use crate::conn::read_state::{ReadEnd, ReadState, Step};
use crate::lock::lock;
use crate::net::readiness::RawSocket;
use crate::once_event::OnceEvent;
use crate::options::Options;
use std::io;
use std::sync::{Arc, Mutex, Weak};
use tokio::runtime::Handle;
use tokio::sync::Notify;
use tokio::time::Instant;

/// Reads one `pump` does at most before returning, so that one busy connection cannot hold the
/// caller's loop (the descriptor is still readable: the loop calls again).
pub const READS_PER_PUMP: usize = 64;

/// A large frame with at least this much of its body still to come makes the driver's watch wait
/// for all of it (TCP's receive low-water mark) instead of waking for every segment that arrives.
/// Below it a wake-up or two per frame is all there is to save.
const LOWAT_FROM: usize = 32 * 1024;

/// Most the low-water mark asks for at once (the kernel caps it too, at half its largest receive
/// buffer, and grows the connection's receive buffer to hold it).
const LOWAT_MAX: usize = 1024 * 1024;

/// While a large frame streams in, a pump that finds the socket drained reads again for up to this
/// long after the last bytes came, instead of going back to sleep: on a machine with a core to
/// spare this reads the frame while the sender is still writing it (as a blocking read would),
/// without a wake-up per segment. It makes 1 MiB round trips over loopback tcp about 15% faster
/// at the same CPU time (two Node processes on 2 vCPUs), on a par with zeromq.js.
const SPIN_GAP: std::time::Duration = std::time::Duration::from_micros(30);

/// Most one pump spins in all, so one fast large transfer cannot hold the caller's loop for long.
const SPIN_BUDGET: std::time::Duration = std::time::Duration::from_millis(1);

/// A large frame's body is being read and is not all in yet.
fn streaming(read: &ReadState) -> bool {
    read.large_remaining().is_some_and(|rest| rest > 0)
}

/// One pump's spinning while a large frame streams in (see [`SPIN_GAP`]). The clock is only read
/// once a frame streams, so pumps of small messages pay nothing for it.
#[derive(Default)]
struct Spin {
    /// When this pump first found the socket drained in the middle of a frame.
    since: Option<std::time::Instant>,
    /// When the last bytes of a streaming frame came.
    progress: Option<std::time::Instant>,
}

impl Spin {
    /// Bytes of a streaming frame came just now.
    fn progressed(&mut self) {
        self.progress = Some(std::time::Instant::now());
    }

    /// Whether to read again now rather than sleep. Never on a single core: spinning there only
    /// keeps the sender waiting.
    fn again(&mut self) -> bool {
        if !crate::conn::box_threads::spare_core() {
            return false;
        }
        let now = std::time::Instant::now();
        let since = *self.since.get_or_insert(now);
        let last = self.progress.unwrap_or(since);
        now.duration_since(last) < SPIN_GAP && now.duration_since(since) < SPIN_BUDGET
    }
}

/// The receive low-water mark that fits what the reader waits for: the rest of a large frame's
/// body, or 1 (any byte).
fn low_water_mark(read: &ReadState) -> usize {
    match read.large_remaining() {
        Some(rest) if rest >= LOWAT_FROM => rest.min(LOWAT_MAX),
        _ => 1,
    }
}

/// An event loop that reads connections for the engine (see the module docs).
pub trait ReadDriver: Send + Sync + 'static {
    /// A connection to watch from now on.
    fn attach(&self, conn: DrivenRead);
    /// A connection whose last `pump` returned `Full` can be pumped and watched again.
    fn resume(&self, conn: DrivenRead);
}

/// What the driver does after a [`DrivenRead::pump`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pump {
    /// Nothing more to read now: keep watching.
    Idle,
    /// The socket's queue for this peer is full: stop watching until `resume`.
    Full,
    /// The connection is over: stop watching and drop it.
    Ended,
}

/// One connection as its driver sees it. Clones share the connection.
#[derive(Clone)]
pub struct DrivenRead(Arc<DrivenConnection>);

pub(crate) struct DrivenConnection {
    /// Weak: a driver may hold the connection after the socket is gone (its pumps say `Ended`).
    queue: Weak<dyn InboundQueue>,
    /// Where `wait_for_room` runs.
    runtime: Handle,
    /// The `receive_hwm` the connection started with.
    hwm: usize,
    peer: Arc<Peer>,
    driver: Arc<dyn ReadDriver>,
    state: Mutex<PumpState>,
    /// Fired by whichever side ends the connection first.
    ended: OnceEvent,
    /// The heartbeat deadline moved earlier (the peer's PING set a TTL).
    rearm: Notify,
}

struct PumpState {
    read: ReadState,
    /// A task waits for queue room to call `resume`.
    resume_armed: bool,
    /// The receive low-water mark set on the socket (1: the OS default).
    lowat: usize,
}

impl DrivenRead {
    /// Unique for the process's lifetime (the peer's id).
    pub fn id(&self) -> u64 {
        self.0.peer.id
    }

    /// The descriptor to watch for readability (on Windows, the SOCKET).
    pub fn fd(&self) -> RawSocket {
        self.0.peer.stream.raw_socket()
    }

    /// Reads what has arrived (without blocking), delivers whole messages to the socket and
    /// answers commands. Safe to call at any time; see [`Pump`] for what to do next.
    pub fn pump(&self) -> Pump {
        let shared = &self.0;
        if shared.ended.is_fired() {
            return Pump::Ended;
        }
        let Some(queue) = shared.queue.upgrade() else {
            shared.ended.fire();
            return Pump::Ended;
        };
        let mut state = lock(&shared.state);
        let before = state.read.heartbeat.deadline();
        let result = shared.pump_locked(&*queue, &mut state.read);
        if state.read.heartbeat.active() {
            let after = state.read.heartbeat.deadline();
            if after.is_some_and(|a| before.is_none_or(|b| a < b)) {
                shared.rearm.notify_one();
            }
        }
        if matches!(result, Ok(Pump::Idle)) {
            let want = low_water_mark(&state.read);
            if want != state.lowat {
                // Where the mark cannot be set (ipc) the watch just wakes more often.
                if let Some(stream) = shared.peer.stream.driven() {
                    if stream.set_recv_lowat(want) {
                        state.lowat = want;
                    }
                }
            }
        }
        match result {
            Ok(Pump::Full) => {
                if !state.resume_armed {
                    state.resume_armed = true;
                    drop(state);
                    self.wait_for_room();
                }
                Pump::Full
            }
            Ok(pump) => pump,
            Err(_) => {
                // At once, not when the connection task has cleaned up: a send must skip it now.
                shared.peer.mark_dead();
                shared.ended.fire();
                Pump::Ended
            }
        }
    }

    /// Ends the connection (the driver cannot watch it); the engine reconnects as after any
    /// lost connection.
    pub fn abandon(&self) {
        self.0.ended.fire();
    }

    /// Hands the connection back to the driver once the peer's inbound queue has room.
    fn wait_for_room(&self) {
        let conn = self.clone();
        self.0.runtime.spawn(async move {
            let shared = &conn.0;
            // Ended while parked: handed back all the same, so that the driver's next pump
            // reports `Ended` and it drops the connection (and with it the descriptor).
            tokio::select! {
                _ = shared.peer.in_room.notified() => {}
                _ = shared.ended.wait() => {}
            }
            lock(&shared.state).resume_armed = false;
            shared.driver.resume(conn.clone());
        });
    }
}

impl DrivenConnection {
    pub(crate) fn new<Q: InboundQueue>(
        queue: Arc<Q>,
        peer: &Arc<Peer>,
        driver: Arc<dyn ReadDriver>,
        read: ReadState,
        options: &Options,
        runtime: Handle,
    ) -> Arc<DrivenConnection> {
        let queue: Arc<dyn InboundQueue> = queue;
        Arc::new(DrivenConnection {
            queue: Arc::downgrade(&queue),
            runtime,
            hwm: receive_hwm(options.receive_high_water_mark),
            peer: peer.clone(),
            driver,
            state: Mutex::new(PumpState {
                read,
                resume_armed: false,
                lowat: 1,
            }),
            ended: OnceEvent::new(),
            rearm: Notify::new(),
        })
    }

    /// Gives the connection to its driver.
    pub(crate) fn attach(self: &Arc<DrivenConnection>) {
        self.driver.attach(DrivenRead(self.clone()));
    }

    /// Our side ended the connection: pumps from now on only report `Ended`.
    pub(crate) fn stop(&self) {
        self.ended.fire();
    }

    fn pump_locked(&self, queue: &dyn InboundQueue, read: &mut ReadState) -> Result<Pump, ReadEnd> {
        let mut sink = PeerSink {
            queue,
            peer: &self.peer,
            hwm: self.hwm,
        };
        // What the socket holds unread: a large body's pooled room follows it (see `read_buf`).
        let unread = || self.peer.stream.queued();
        let mut spin = Spin::default();
        let mut reads = 0;
        while reads < READS_PER_PUMP {
            if read.advance(&mut sink, unread)? == Step::Full {
                return Ok(Pump::Full);
            }
            let mut room = 0;
            let got = read.read_with(|spare| {
                room = spare.len();
                self.peer.stream.recv(spare)
            });
            match got {
                Ok(0) => return Err(ReadEnd::Eof),
                Ok(n) => {
                    reads += 1;
                    if streaming(read) {
                        spin.progressed();
                    }
                    if read.heartbeat.active() {
                        read.heartbeat.received(Instant::now());
                    }
                    // A read that left room drained the socket: deliver, and skip the read that
                    // would only say so (the driver's watch is level-triggered: more data, more
                    // calls). So does one that completed a large frame: a request or reply is
                    // usually alone on its connection. Not while a large frame streams in: see
                    // `Spin`.
                    let completed = read.large_remaining() == Some(0);
                    if (n < room || completed) && !streaming(read) {
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if streaming(read) && spin.again() {
                        std::hint::spin_loop();
                        continue;
                    }
                    return Ok(Pump::Idle);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(ReadEnd::Io(e)),
            }
        }
        // Deliver what the last read completed; anything more waits for the next call.
        Ok(match read.advance(&mut sink, unread)? {
            Step::Full => Pump::Full,
            Step::Read => Pump::Idle,
        })
    }

    /// Bytes have arrived that the driver has not read yet (it was not woken for them: a large
    /// frame still short of the low-water mark; or its loop has not got round to them): the peer
    /// is alive even though nothing was read.
    fn bytes_waiting(&self) -> bool {
        self.peer.stream.driven().is_some_and(|s| s.queued() > 0)
    }

    /// The connection task's side while the driver reads: heartbeat timers, and the end of the
    /// connection as the driver saw it.
    pub(crate) async fn watch(&self, queue: &impl InboundQueue) -> ReadEnd {
        let mut sink = PeerSink {
            queue,
            peer: &self.peer,
            hwm: self.hwm,
        };
        loop {
            let deadline = lock(&self.state).read.heartbeat.deadline();
            let timer = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = self.ended.wait() => return ReadEnd::Stopped,
                _ = self.rearm.notified() => {}
                _ = timer => {
                    let ticked = {
                        let mut state = lock(&self.state);
                        // Parked on a full queue: we are the ones not reading, so the peer's
                        // silence proves nothing (the engine's own reader pauses its timers then).
                        // Likewise bytes waiting unread, held back by the low-water mark or by a
                        // driver's loop that has not pumped yet (busy, or its process stopped and
                        // continued): they did arrive.
                        if state.resume_armed || self.bytes_waiting() {
                            state.read.heartbeat.received(Instant::now());
                        }
                        state.read.on_timer(&mut sink)
                    };
                    if let Err(end) = ticked {
                        self.ended.fire();
                        return end;
                    }
                }
            }
        }
    }
}

//! One connection from handshake to end: registers the peer, then runs its reader (decode,
//! deliver, answer PINGs, heartbeat timers; or, with a `ReadDriver`, just the timers while the
//! driver reads) and its writer (drain the peer's queue) in one task, until the peer goes away, a
//! protocol error, `kill`, unbind/disconnect, or close (then linger).

use crate::conn::delivery::{receive_hwm, InboundQueue, PeerSink};
use crate::conn::driven::{DrivenConnection, ReadDriver};
use crate::conn::handshake::{
    handshake_secured, HandshakeConfig, HandshakeError, Handshaken, SecuritySetup,
};
use crate::conn::peer::{Batch, Peer};
use crate::conn::read_state::{ReadEnd, ReadState, ReadTarget, Step};
use crate::conn::write_buf::WriteBuf;
use crate::events::{self, EventError, EventKind, Events, SocketEvent};
use crate::lock::lock;
use crate::net::transport::{ReadHalf, Stream};
use crate::once_event::OnceEvent;
use crate::options::Options;
use crate::time::{self, Interval, Timeout};
use crate::wire::security::FrameSealer;
use crate::wire::socket_type::SocketType;
use bytes::Bytes;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::runtime::Handle;
use tokio::time::Instant;

/// What a connection is given once, when it starts: the socket's settings as they are then, and
/// the socket-wide signals it watches.
#[derive(Clone)]
pub(crate) struct LinkConfig {
    pub(crate) socket_type: SocketType,
    /// The options when the connection starts (a change applies to the connections after it).
    pub(crate) options: Options,
    /// Where the socket's background tasks run.
    pub(crate) runtime: Handle,
    /// Reads the connection instead of an engine task, when set.
    pub(crate) read_driver: Option<Arc<dyn ReadDriver>>,
    /// Fires on `close()`.
    pub(crate) closed: Arc<OnceEvent>,
    /// Where the connection's life is reported (handshake, disconnect).
    pub(crate) events: Arc<Events>,
}

/// What a connection tells the socket it belongs to, and asks it while it runs (the socket core
/// implements it): this keeps connections below sockets, knowing nothing of peer tables or socket
/// types' rules. Received messages go through [`InboundQueue`].
pub(crate) trait SocketLink: InboundQueue {
    /// A peer whose handshake is done, through the endpoint whose stop signal is `endpoint`:
    /// false when the socket refuses it (closed, endpoint gone, identity taken).
    fn add_peer(&self, peer: &Arc<Peer>, endpoint: &Arc<OnceEvent>) -> bool;
    fn remove_peer(&self, peer: &Arc<Peer>);
    /// A peer's outgoing queue has room again: senders waiting for one re-check.
    fn out_room(&self);
    /// Why the latest handshake of this socket failed, for the EAGAIN of a caller left with no peer.
    fn handshake_failed(&self, reason: String);
    /// A routing id for a peer that did not announce one.
    fn generate_routing_id(&self) -> Bytes;
    /// The `linger` option now, asked once the socket closes: how long a closing socket keeps
    /// delivering (0 = drop the queue).
    fn linger(&self) -> Timeout;
}

/// Where listeners and connectors get the [`LinkConfig`] of a connection they start (the socket
/// core), as the socket is at that moment.
pub(crate) trait LinkSource: SocketLink {
    fn link_config(&self) -> LinkConfig;
}

/// How a connection ended, for the connector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConnectionOutcome {
    /// Connect worked but the handshake did not (or the socket closed meanwhile).
    NotEstablished,
    /// The peer was up and is gone now; `reconnect_now` = it was dropped on purpose by a REQ reset.
    Lost { reconnect_now: bool },
}

/// `address`: the endpoint the connection came through (bound, or given to `connect`), for events.
pub(crate) async fn run<S: SocketLink>(
    link: Arc<S>,
    config: LinkConfig,
    stream: Stream,
    endpoint_stop: Arc<OnceEvent>,
    address: Arc<str>,
) -> ConnectionOutcome {
    let outcome = run_connection(link, &config, stream, endpoint_stop, &address).await;
    // Every accepted or connected stream ends with one `disconnect`, as in libzmq, whether or not
    // its handshake succeeded.
    config
        .events
        .emit(|| SocketEvent::new(EventKind::Disconnect, &address));
    outcome
}

async fn run_connection<S: SocketLink>(
    link: Arc<S>,
    config: &LinkConfig,
    mut stream: Stream,
    endpoint_stop: Arc<OnceEvent>,
    address: &str,
) -> ConnectionOutcome {
    let Some(mut shaken) = shake_hands(&*link, config, &mut stream, &endpoint_stop, address).await
    else {
        return ConnectionOutcome::NotEstablished;
    };
    let data = std::mem::take(&mut shaken.data);
    let joined = join(&*link, config, stream, &shaken, data.sealer, &endpoint_stop);
    let Some((peer, reader)) = joined else {
        return ConnectionOutcome::NotEstablished;
    };
    // Only now, with the peer among the socket's peers: the event promises that messages flow, so
    // a send made on it (a PUSH round-robin, a ROUTER reply) must already see this peer.
    config
        .events
        .emit(|| SocketEvent::new(EventKind::Handshake, address));
    let options = &config.options;
    let (zmtp31, zmtp2) = (shaken.peer_version >= (3, 1), shaken.is_zmtp2());
    let mut state = ReadState::new(options, zmtp31, shaken.leftover).opened(data.opener);
    if zmtp2 {
        state = state.zmtp2();
    }
    let closed = &*config.closed;
    match reader {
        Reader::Driver(driver) => {
            let runtime = config.runtime.clone();
            let driven =
                DrivenConnection::new(link.clone(), &peer, driver, state, options, runtime);
            driven.attach();
            drive(&*link, closed, &peer, driven.watch(&*link), &endpoint_stop).await;
            driven.stop();
        }
        Reader::Task(read_half) => {
            let hwm = receive_hwm(options.receive_high_water_mark);
            let reader = read_loop(&*link, &peer, read_half, state, hwm);
            drive(&*link, closed, &peer, reader, &endpoint_stop).await;
        }
    }
    link.remove_peer(&peer);
    peer.stream.shutdown();
    ConnectionOutcome::Lost {
        reconnect_now: peer.wants_reconnect_now(),
    }
}

/// The handshake, unless the endpoint or the socket stops first; a failure is told to the socket
/// and reported as an event.
async fn shake_hands(
    link: &impl SocketLink,
    config: &LinkConfig,
    stream: &mut Stream,
    endpoint_stop: &OnceEvent,
    address: &str,
) -> Option<Handshaken> {
    let options = &config.options;
    let handshake = HandshakeConfig {
        socket_type: config.socket_type,
        identity: options.routing_id.clone().filter(|id| !id.is_empty()),
        as_server: false,
        timeout: Interval::from_ms(options.handshake_interval).duration(),
        max_message_size: options.max_message_size,
        max_command_size: options.max_command_size,
    };
    let security = match crate::conn::security::security_of(options) {
        Ok(security) => security,
        Err(e) => {
            link.handshake_failed(e.message);
            return None;
        }
    };
    let setup = SecuritySetup {
        security,
        authenticator: options.authenticate.clone(),
        peer_address: stream.peer_address(),
        domain: options.zap_domain.clone(),
    };
    let shaken = tokio::select! {
        r = handshake_secured(stream, &handshake, &setup) => r,
        _ = endpoint_stop.wait() => return None,
        _ = config.closed.wait() => return None,
    };
    shaken
        .inspect_err(|e| {
            link.handshake_failed(failure_reason(e, &setup));
            config.events.emit(|| handshake_failed(e, address));
        })
        .ok()
}

/// Who reads a connection.
enum Reader {
    /// The caller's event loop, through the socket's driver.
    Driver(Arc<dyn ReadDriver>),
    /// The engine's own task, from this half of the stream.
    Task(ReadHalf),
}

/// The connection's peer, among the socket's peers now, and who reads it; None when the socket
/// refuses the peer.
fn join(
    link: &impl SocketLink,
    config: &LinkConfig,
    stream: Stream,
    shaken: &Handshaken,
    sealer: FrameSealer,
    endpoint_stop: &Arc<OnceEvent>,
) -> Option<(Arc<Peer>, Reader)> {
    let routing_id = match &shaken.peer_identity {
        Some(id) if !id.is_empty() => id.clone(),
        _ => link.generate_routing_id(),
    };
    let (reader, write_half) = match &config.read_driver {
        None => {
            let (r, w) = stream.into_split();
            (Reader::Task(r), w)
        }
        Some(driver) => (Reader::Driver(driver.clone()), stream.into_driven().ok()?),
    };
    let peer = Peer::new(
        Peer::next_id(),
        routing_id,
        write_half,
        config.options.send_high_water_mark,
    )
    .sealed(sealer)
    .speaking_zmtp31(shaken.peer_version >= (3, 1));
    let peer = Arc::new(peer);
    if !link.add_peer(&peer, endpoint_stop) {
        peer.stream.shutdown();
        return None;
    }
    Some((peer, reader))
}

/// A failed handshake in words a caller can act on.
fn failure_reason(e: &HandshakeError, setup: &SecuritySetup) -> String {
    use crate::error::ProtocolError;
    use crate::wire::security::Security;
    let peer = &setup.peer_address;
    match (e, &setup.security) {
        (HandshakeError::Protocol(ProtocolError::PeerError(reason)), _) if reason == "400" => {
            format!("{peer} refused our credentials (ERROR 400: authentication failure)")
        }
        (HandshakeError::Io(io), Security::CurveClient { .. })
            if matches!(
                io.kind(),
                io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset
            ) =>
        {
            format!(
                "{peer} closed the connection during the CURVE handshake \
                 (a CURVE server does that when curveServerKey is not its public key)"
            )
        }
        _ => format!("with {peer}: {e}"),
    }
}

/// The event of a failed handshake: which one says why (see `events::handshake_failure_kind`).
fn handshake_failed(error: &HandshakeError, address: &str) -> SocketEvent {
    let (kind, error) = match error {
        HandshakeError::Protocol(e) => {
            let kind = events::handshake_failure_kind(e);
            (kind, EventError::protocol(e, kind))
        }
        HandshakeError::Io(e) => (EventKind::HandshakeErrorOther, EventError::io(e)),
        HandshakeError::Timeout => (
            EventKind::HandshakeErrorOther,
            EventError {
                code: "ETIMEDOUT",
                message: error.to_string(),
            },
        ),
    };
    SocketEvent::new(kind, address).with_error(error)
}

/// Runs a connection's reader (`reader`: ends when the connection does) and writer until either
/// ends or the connection is stopped; then, if the socket is closing, lingers.
async fn drive(
    link: &impl SocketLink,
    closed: &OnceEvent,
    peer: &Arc<Peer>,
    reader: impl Future<Output = ReadEnd>,
    endpoint_stop: &OnceEvent,
) {
    let writer = write_loop(link, closed, peer);
    tokio::pin!(reader, writer);
    let stopped = {
        // Everything but the reader is polled only when its own waker fired: the task wakes once
        // per message read, and re-polling the idle writer and the stop signals each time (every
        // poll of a waiting `Notified` takes a lock) was a measurable part of a small message's cost.
        let rest = WhenWoken::new(async {
            tokio::select! {
                _ = &mut writer => false,
                _ = peer.kill.wait() => false,
                _ = endpoint_stop.wait() => true,
                _ = closed.wait() => true,
            }
        });
        tokio::select! {
            biased;
            _ = &mut reader => false,
            stopped = rest => stopped,
        }
    };
    // close() also stops every endpoint: whichever signal won the race, a closing socket lingers.
    if !(stopped && closed.is_fired()) {
        return;
    }
    // Linger: the writer returns once the queue is drained (it sees the close).
    let linger = link.linger();
    if linger == Timeout::After(Duration::ZERO) {
        return;
    }
    let drained = async {
        tokio::select! {
            _ = &mut writer => {}
            _ = peer.kill.wait() => {}
        }
    };
    match linger {
        Timeout::Never => drained.await,
        Timeout::After(limit) => {
            let _ = tokio::time::timeout(limit, drained).await;
        }
    }
}

/// Drains the peer's queue; returns on a write error, or once the queue is empty after close.
async fn write_loop(link: &impl SocketLink, closed: &OnceEvent, peer: &Peer) -> io::Result<()> {
    let mut buf = WriteBuf::new();
    loop {
        match peer.take_batch(&mut buf) {
            Batch::Bytes { freed_room } => {
                if freed_room {
                    link.out_room();
                }
                if let Err(e) = buf.write_all(&peer.stream).await {
                    peer.kill(false);
                    return Err(e);
                }
            }
            Batch::Empty => {
                if closed.is_fired() {
                    return Ok(());
                }
                tokio::select! {
                    _ = peer.writer_wake.notified() => {}
                    _ = closed.wait() => {}
                }
            }
        }
    }
}

/// The engine's own reader: reads, decodes and delivers until the stream ends or misbehaves.
async fn read_loop(
    queue: &impl InboundQueue,
    peer: &Arc<Peer>,
    mut read_half: ReadHalf,
    mut state: ReadState,
    hwm: usize,
) -> ReadEnd {
    let mut sink = PeerSink { queue, peer, hwm };
    let timer = tokio::time::sleep_until(time::never());
    tokio::pin!(timer);
    let mut timer_at: Option<Instant> = None;
    loop {
        match state.advance(&mut sink, || peer.stream.queued()) {
            Err(end) => return end,
            // Reading stops while the queue is full: back-pressure reaches the sender through TCP.
            Ok(Step::Full) => {
                peer.in_room.notified().await;
                continue;
            }
            Ok(Step::Read) => {}
        }
        if state.heartbeat.deadline() != timer_at {
            timer_at = state.heartbeat.deadline();
            timer.as_mut().reset(timer_at.unwrap_or_else(time::never));
        }
        let read = if timer_at.is_none() {
            read_some(&mut read_half, state.target()).await
        } else {
            loop {
                tokio::select! {
                    r = read_some(&mut read_half, state.target()) => break r,
                    _ = &mut timer => {
                        // After a stall (a loaded machine, or this process stopped and continued)
                        // the timer and bytes that arrived in time are ready at once: before an
                        // expiry the bytes count, so a peer that answered is not dropped unread.
                        // (The timer stays due: it is handled once they are.)
                        if state.heartbeat.expired(Instant::now()) {
                            if let Some(read) = read_now(&mut read_half, state.target()).await {
                                break read;
                            }
                        }
                        if let Err(end) = state.on_timer(&mut sink) {
                            return end;
                        }
                        timer_at = state.heartbeat.deadline();
                        timer.as_mut().reset(timer_at.unwrap_or_else(time::never));
                    }
                }
            }
        };
        match read {
            Ok(0) => return ReadEnd::Eof,
            Ok(_) => {
                if state.heartbeat.active() {
                    state.heartbeat.received(Instant::now());
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return ReadEnd::Io(e),
        }
    }
}

/// A read of what has arrived already; None, having taken nothing, when it would wait.
async fn read_now(read_half: &mut ReadHalf, target: ReadTarget<'_>) -> Option<io::Result<usize>> {
    tokio::select! {
        biased;
        read = read_some(read_half, target) => Some(read),
        () = std::future::ready(()) => None,
    }
}

/// One read from the stream into `target`. Cancel-safe: a dropped read took nothing.
async fn read_some(read_half: &mut ReadHalf, target: ReadTarget<'_>) -> io::Result<usize> {
    match target {
        ReadTarget::Large { body, limit } => read_half.take(limit).read_buf(body).await,
        ReadTarget::Shared(buf) => read_half.read_buf(buf).await,
    }
}

/// A future polled only when its own waker fired (and the first time), however often the task it
/// runs in is woken by other futures. Its waker wakes that task after noting the wake-up here.
struct WhenWoken<F> {
    /// Boxed (once per connection) so that this wrapper is `Unpin`.
    inner: Pin<Box<F>>,
    gate: Arc<Gate>,
    waker: Waker,
    /// What `gate.task` holds (read without its lock: only `poll` writes it).
    task: Option<Waker>,
}

struct Gate {
    woken: AtomicBool,
    /// The task to wake: the one that last polled the `WhenWoken`.
    task: Mutex<Option<Waker>>,
}

impl Wake for Gate {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        let task = lock(&self.task).clone();
        if let Some(task) = task {
            task.wake();
        }
    }
}

impl<F: Future> WhenWoken<F> {
    fn new(inner: F) -> WhenWoken<F> {
        let gate = Arc::new(Gate {
            woken: AtomicBool::new(true),
            task: Mutex::new(None),
        });
        WhenWoken {
            inner: Box::pin(inner),
            waker: Waker::from(gate.clone()),
            gate,
            task: None,
        }
    }
}

impl<F: Future> Future for WhenWoken<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        // The lock only when the task's waker changed (in practice: the first poll).
        if !this.task.as_ref().is_some_and(|t| t.will_wake(cx.waker())) {
            let waker = cx.waker().clone();
            *lock(&this.gate.task) = Some(waker.clone());
            this.task = Some(waker);
        }
        // The task's waker is stored before the flag is read: a wake-up after this swap finds it.
        if !this.gate.woken.swap(false, Ordering::AcqRel) {
            return Poll::Pending;
        }
        this.inner
            .as_mut()
            .poll(&mut Context::from_waker(&this.waker))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use tokio::sync::Notify;

    #[tokio::test]
    async fn when_woken_polls_only_after_its_own_wake_up() {
        let (polls, notify) = (AtomicUsize::new(0), Notify::new());
        let mut notified = Box::pin(notify.notified());
        let gated = WhenWoken::new(std::future::poll_fn(|cx| {
            polls.fetch_add(1, Ordering::Relaxed);
            notified.as_mut().poll(cx)
        }));
        tokio::pin!(gated);
        let mut other = Box::pin(tokio::task::yield_now());
        std::future::poll_fn(|cx| {
            // First poll: the inner future runs; then the task is woken by something else.
            assert!(gated.as_mut().poll(cx).is_pending());
            assert_eq!(polls.load(Ordering::Relaxed), 1);
            let _ = other.as_mut().poll(cx);
            Poll::Ready(())
        })
        .await;
        std::future::poll_fn(|cx| {
            assert!(gated.as_mut().poll(cx).is_pending());
            assert_eq!(polls.load(Ordering::Relaxed), 1, "not woken: not polled");
            Poll::Ready(())
        })
        .await;
        notify.notify_waiters();
        tokio::task::yield_now().await;
        std::future::poll_fn(|cx| {
            assert!(gated.as_mut().poll(cx).is_ready());
            assert_eq!(polls.load(Ordering::Relaxed), 2, "woken: polled");
            Poll::Ready(())
        })
        .await;
    }
}

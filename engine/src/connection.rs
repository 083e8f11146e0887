//! One connection from handshake to end: registers the peer, then runs its reader (decode,
//! deliver, answer PINGs, heartbeat timers; or, with a `ReadDriver`, just the timers while the
//! driver reads) and its writer (drain the peer's queue) in one task, until the peer goes away, a
//! protocol error, `kill`, unbind/disconnect, or close (then linger).

use crate::driven;
use crate::handshake::{handshake, HandshakeConfig};
use crate::options::interval_of;
use crate::peer::{Batch, Peer};
use crate::read_state::{End, ReadState, ReadTarget, Step};
use crate::signal::Signal;
use crate::socket::{millis, Core};
use crate::transport::{ReadHalf, Stream};
use crate::write_buf::WriteBuf;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use tokio::io::AsyncReadExt;
use tokio::time::Instant;

/// How a connection ended, for the connector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Connect worked but the handshake did not (or the socket closed meanwhile).
    NotEstablished,
    /// The peer was up and is gone now; `reconnect_now` = it was dropped on purpose by a REQ reset.
    Ended { reconnect_now: bool },
}

pub(crate) async fn run(
    core: Arc<Core>,
    mut stream: Stream,
    endpoint_stop: Arc<Signal>,
) -> Outcome {
    let options = core.options();
    let config = HandshakeConfig {
        socket_type: core.kind,
        identity: options.routing_id.clone().filter(|id| !id.is_empty()),
        as_server: false,
        timeout: interval_of(options.handshake_interval),
        max_message_size: options.max_message_size,
    };
    let shaken = tokio::select! {
        r = handshake(&mut stream, &config) => r,
        _ = endpoint_stop.wait() => return Outcome::NotEstablished,
        _ = core.closed.wait() => return Outcome::NotEstablished,
    };
    let Ok(shaken) = shaken else {
        return Outcome::NotEstablished;
    };
    let zmtp2 = shaken.is_zmtp2();
    let routing_id = match shaken.peer_identity {
        Some(id) if !id.is_empty() => id,
        _ => core.generate_routing_id(),
    };
    let zmtp31 = shaken.peer_version >= (3, 1);
    let driver = core.read_driver();
    let (read_half, write_half) = match driver {
        None => {
            let (r, w) = stream.into_split();
            (Some(r), w)
        }
        Some(_) => match stream.into_driven() {
            Ok(w) => (None, w),
            Err(_) => return Outcome::NotEstablished,
        },
    };
    let peer = Arc::new(Peer::new(
        Core::next_peer_id(),
        routing_id,
        write_half,
        options.send_hwm,
    ));
    if !core.add_peer(&peer, &endpoint_stop) {
        peer.stream.shutdown();
        return Outcome::NotEstablished;
    }
    let mut state = ReadState::new(&options, zmtp31, shaken.leftover);
    if zmtp2 {
        state = state.zmtp2();
    }
    match (driver, read_half) {
        (Some(driver), _) => {
            let driven = driven::Shared::new(&core, &peer, driver, state);
            driven.attach();
            drive(&core, &peer, driven.watch(), &endpoint_stop).await;
            driven.stop();
        }
        (None, Some(read_half)) => {
            let reader = read_loop(&core, &peer, read_half, state);
            drive(&core, &peer, reader, &endpoint_stop).await;
        }
        (None, None) => {}
    }
    core.remove_peer(&peer);
    peer.stream.shutdown();
    Outcome::Ended {
        reconnect_now: peer.wants_reconnect_now(),
    }
}

/// Runs a connection's reader (`reader`: ends when the connection does) and writer until either
/// ends or the connection is stopped; then, if the socket is closing, lingers.
async fn drive(
    core: &Core,
    peer: &Arc<Peer>,
    reader: impl Future<Output = End>,
    endpoint_stop: &Signal,
) {
    let writer = write_loop(core, peer);
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
                _ = core.closed.wait() => true,
            }
        });
        tokio::select! {
            biased;
            _ = &mut reader => false,
            stopped = rest => stopped,
        }
    };
    // close() also stops every endpoint: whichever signal won the race, a closing socket lingers.
    if !(stopped && core.is_closed()) {
        return;
    }
    // Linger: the writer returns once the queue is drained (it sees the close); -1 = no limit.
    let linger = core.option(|o| o.linger);
    if linger == 0 {
        return;
    }
    let drained = async {
        tokio::select! {
            _ = &mut writer => {}
            _ = peer.kill.wait() => {}
        }
    };
    if linger < 0 {
        drained.await;
    } else {
        let _ = tokio::time::timeout(millis(linger), drained).await;
    }
}

/// Drains the peer's queue; returns on a write error, or once the queue is empty after close.
async fn write_loop(core: &Core, peer: &Peer) -> io::Result<()> {
    let mut buf = WriteBuf::new();
    loop {
        match peer.take_batch(&mut buf) {
            Batch::Bytes { freed_room } => {
                if freed_room {
                    core.out_changed.notify_waiters();
                }
                if let Err(e) = buf.write_all(&peer.stream).await {
                    peer.kill(false);
                    return Err(e);
                }
            }
            Batch::Empty => {
                if core.is_closed() {
                    return Ok(());
                }
                tokio::select! {
                    _ = peer.writer_wake.notified() => {}
                    _ = core.closed.wait() => {}
                }
            }
        }
    }
}

/// The engine's own reader: reads, decodes and delivers until the stream ends or misbehaves.
async fn read_loop(
    core: &Core,
    peer: &Arc<Peer>,
    mut read_half: ReadHalf,
    mut state: ReadState,
) -> End {
    let timer = tokio::time::sleep_until(far_future());
    tokio::pin!(timer);
    let mut timer_at: Option<Instant> = None;
    loop {
        match state.advance(core, peer) {
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
            timer.as_mut().reset(timer_at.unwrap_or_else(far_future));
        }
        let read = if timer_at.is_none() {
            read_some(&mut read_half, state.target()).await
        } else {
            loop {
                tokio::select! {
                    r = read_some(&mut read_half, state.target()) => break r,
                    _ = &mut timer => {
                        if let Err(end) = state.on_timer(peer) {
                            return end;
                        }
                        timer_at = state.heartbeat.deadline();
                        timer.as_mut().reset(timer_at.unwrap_or_else(far_future));
                    }
                }
            }
        };
        match read {
            Ok(0) => return End::Eof,
            Ok(_) => {
                if state.heartbeat.active() {
                    state.heartbeat.received(Instant::now());
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return End::Io(e),
        }
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
        let task = self.task.lock().unwrap_or_else(|p| p.into_inner()).clone();
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
            *this.gate.task.lock().unwrap_or_else(|p| p.into_inner()) = Some(waker.clone());
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

fn far_future() -> Instant {
    // About 30 years: "never" without overflow risk.
    Instant::now() + std::time::Duration::from_secs(86_400 * 365 * 30)
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

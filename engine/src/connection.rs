//! One connection from handshake to end: registers the peer, then runs its reader (decode,
//! deliver, answer PINGs, heartbeat timers) and its writer (drain the peer's queue) in one task,
//! until the peer goes away, a protocol error, `kill`, unbind/disconnect, or close (then linger).

use crate::codec::{Decoder, Frame};
use crate::command::Command;
use crate::error::ProtocolError;
use crate::handshake::{handshake, HandshakeConfig};
use crate::heartbeat::{Heartbeat, Tick};
use crate::options::{interval_of, Options};
use crate::peer::{Batch, Peer};
use crate::read_buf::{prepare_shared, LargeFrame, LARGE_FRAME_MIN};
use crate::signal::Signal;
use crate::socket::{millis, Core};
use crate::transport::{ReadHalf, Stream};
use crate::write_buf::WriteBuf;
use crate::Message;
use bytes::{Bytes, BytesMut};
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

/// Why the data phase ended (kept for debugging; every reason just drops this connection).
#[derive(Debug)]
#[allow(dead_code)]
enum End {
    Eof,
    Io(io::Error),
    Protocol(ProtocolError),
    HeartbeatExpired,
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
    let routing_id = match shaken.peer_identity {
        Some(id) if !id.is_empty() => id,
        _ => core.generate_routing_id(),
    };
    let zmtp31 = shaken.peer_version >= (3, 1);
    let (read_half, write_half) = stream.into_split();
    let peer = Arc::new(Peer::new(
        Core::next_peer_id(),
        routing_id,
        write_half,
        zmtp31,
        options.send_hwm,
    ));
    if !core.add_peer(&peer, &endpoint_stop) {
        peer.stream.shutdown();
        return Outcome::NotEstablished;
    }
    drive(
        &core,
        &peer,
        read_half,
        shaken.leftover,
        &options,
        &endpoint_stop,
    )
    .await;
    core.remove_peer(&peer);
    peer.stream.shutdown();
    Outcome::Ended {
        reconnect_now: peer.wants_reconnect_now(),
    }
}

async fn drive(
    core: &Core,
    peer: &Arc<Peer>,
    read_half: ReadHalf,
    leftover: BytesMut,
    options: &Options,
    endpoint_stop: &Signal,
) {
    let reader = read_loop(core, peer, read_half, leftover, options);
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

/// Reads, decodes and delivers until the stream ends or misbehaves.
async fn read_loop(
    core: &Core,
    peer: &Arc<Peer>,
    read_half: ReadHalf,
    leftover: BytesMut,
    options: &Options,
) -> End {
    let mut reader = Reader {
        core,
        peer,
        read_half,
        decoder: Decoder::new(options.max_message_size),
        max_message: u64::try_from(options.max_message_size).ok(),
        receive_hwm: usize::try_from(options.receive_hwm).unwrap_or(usize::MAX),
        parts: Vec::new(),
        parts_bytes: 0,
        heartbeat: Heartbeat::new(options, peer.zmtp31, Instant::now()),
    };
    match reader.run(leftover).await {
        Ok(()) => End::Eof,
        Err(end) => end,
    }
}

struct Reader<'a> {
    core: &'a Core,
    peer: &'a Arc<Peer>,
    read_half: ReadHalf,
    decoder: Decoder,
    max_message: Option<u64>,
    receive_hwm: usize,
    /// Frames of the message being received.
    parts: Message,
    parts_bytes: u64,
    heartbeat: Heartbeat,
}

impl Reader<'_> {
    async fn run(&mut self, mut buf: BytesMut) -> Result<(), End> {
        let timer = tokio::time::sleep_until(far_future());
        tokio::pin!(timer);
        let mut timer_at: Option<Instant> = None;
        // The large frame being read into its own buffer, if any (see `read_buf`).
        let mut large: Option<LargeFrame> = None;
        loop {
            if large.as_ref().is_some_and(LargeFrame::is_complete) {
                if let Some(done) = large.take() {
                    self.on_frame(done.finish()).await?;
                }
            }
            if large.is_none() {
                large = self.decode_all(&mut buf).await?;
            }
            if self.heartbeat.deadline() != timer_at {
                timer_at = self.heartbeat.deadline();
                timer.as_mut().reset(timer_at.unwrap_or_else(far_future));
            }
            match large.as_mut() {
                Some(frame) => frame.make_room(),
                None => {
                    let missing = self.decoder.missing(&buf);
                    prepare_shared(&mut buf, missing);
                }
            }
            let read = if timer_at.is_none() {
                read_some(&mut self.read_half, &mut buf, large.as_mut()).await
            } else {
                loop {
                    tokio::select! {
                        r = read_some(&mut self.read_half, &mut buf, large.as_mut()) => break r,
                        _ = &mut timer => {
                            self.on_timer()?;
                            timer_at = self.heartbeat.deadline();
                            timer.as_mut().reset(timer_at.unwrap_or_else(far_future));
                        }
                    }
                }
            };
            match read {
                Ok(0) => return Ok(()),
                Ok(_) => {
                    if self.heartbeat.active() {
                        self.heartbeat.received(Instant::now());
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(End::Io(e)),
            }
        }
    }

    fn on_timer(&mut self) -> Result<(), End> {
        match self.heartbeat.on_timer(Instant::now()) {
            Tick::Expired => Err(End::HeartbeatExpired),
            Tick::SendPing => {
                self.send_command(&Command::Ping {
                    ttl: self.heartbeat.ttl_deciseconds(),
                    context: Bytes::new(),
                });
                Ok(())
            }
            Tick::Nothing => Ok(()),
        }
    }

    /// Decodes every complete frame in `buf`, delivering whole messages. Stops at a large frame
    /// that has not fully arrived and returns it, to be read into its own buffer.
    async fn decode_all(&mut self, buf: &mut BytesMut) -> Result<Option<LargeFrame>, End> {
        while let Some(header) = self.decoder.decode_header(buf).map_err(End::Protocol)? {
            if let Some(frame) = header.split_from(buf) {
                self.on_frame(frame).await?;
                continue;
            }
            if header.body_len() < LARGE_FRAME_MIN {
                break;
            }
            // The whole message's limit, checked before the frame gets a buffer (the decoder
            // already checked the frame alone, which is all a command is held to).
            if !header.is_command() {
                self.check_message_size(header.body_len())?;
            }
            return Ok(Some(LargeFrame::start(header, buf)));
        }
        Ok(None)
    }

    /// `maxMessageSize` applies to the sum of a message's frames, not only to each frame.
    fn check_message_size(&self, more: usize) -> Result<u64, End> {
        let total = self.parts_bytes.saturating_add(more as u64);
        match self.max_message.filter(|&max| total > max) {
            Some(max) => Err(End::Protocol(ProtocolError::FrameTooLarge {
                size: total,
                max,
            })),
            None => Ok(total),
        }
    }

    async fn on_frame(&mut self, frame: Frame) -> Result<(), End> {
        match frame {
            Frame::Data { more, body } => {
                self.parts_bytes = self.check_message_size(body.len())?;
                self.parts.push(body);
                if !more {
                    let message = std::mem::take(&mut self.parts);
                    self.parts_bytes = 0;
                    self.deliver(message).await;
                }
                Ok(())
            }
            Frame::Command(body) => self.on_command(&body),
        }
    }

    fn on_command(&mut self, body: &Bytes) -> Result<(), End> {
        match Command::parse(body).map_err(End::Protocol)? {
            Command::Ping { ttl, context } => {
                self.heartbeat.peer_ping(ttl);
                self.send_command(&Command::Pong { context });
                Ok(())
            }
            // Arrival already counted as liveness.
            Command::Pong { .. } => Ok(()),
            Command::Error(reason) => Err(End::Protocol(ProtocolError::PeerError(reason))),
            Command::Ready(_) => Err(End::Protocol(ProtocolError::UnexpectedCommand(
                "READY".into(),
            ))),
            // Commands of other socket types or future extensions: ignore, as libzmq does.
            Command::Other { .. } => Ok(()),
        }
    }

    fn send_command(&self, command: &Command) {
        let mut frame = BytesMut::new();
        command.encode(&mut frame);
        self.peer.push_command(frame.freeze());
    }

    /// Queues a message for the socket, waiting while this peer's inbound queue is full
    /// (which also stops reading: back-pressure reaches the sender through TCP).
    async fn deliver(&self, message: Message) {
        // Usually there is room: no waiter to set up.
        let Err(mut message) = self
            .core
            .inbound
            .try_push(self.peer, message, self.receive_hwm)
        else {
            return;
        };
        loop {
            let room = self.peer.in_room.notified();
            tokio::pin!(room);
            room.as_mut().enable();
            match self
                .core
                .inbound
                .try_push(self.peer, message, self.receive_hwm)
            {
                Ok(()) => return,
                Err(back) => message = back,
            }
            room.await;
        }
    }
}

/// One read from the stream: into the large frame's own buffer (never past its end: what follows
/// belongs to the next frame) or into the shared buffer. Cancel-safe: a dropped read took nothing.
async fn read_some(
    read_half: &mut ReadHalf,
    buf: &mut BytesMut,
    large: Option<&mut LargeFrame>,
) -> io::Result<usize> {
    match large {
        Some(frame) => {
            let (body, limit) = frame.target();
            read_half.take(limit).read_buf(body).await
        }
        None => read_half.read_buf(buf).await,
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

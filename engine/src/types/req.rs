//! REQ (RFC 28) on the DEALER machinery: strict send/receive alternation, round-robin over live peers,
//! reset after a timeout or a lost connection, `correlate` and `relaxed`.
//!
//! Reset: the pending request is abandoned so the next send is allowed, and its late reply must
//! never be returned for a later request. With `correlate` the request id tells replies apart;
//! without it the connection that owed the reply is dropped and re-opened at once (Lazy Pirate).

use crate::conn::peer::Peer;
use crate::error::{Error, ErrorCode};
use crate::lock::lock;
use crate::options::Options;
use crate::socket::core::{check_message, SocketCore, WaitError};
use crate::socket::handle::{socket_handle, SocketHandle};
use crate::socket::inbound::Received;
use crate::time::Timeout;
use crate::types::busy::{Busy, Taken};
use crate::wire::frame_ref::{self, FrameRef, TrySend};
use crate::wire::socket_type::SocketType;
use crate::wire::Message;
use bytes::Bytes;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::runtime::Handle;
use tokio::sync::OwnedMutexGuard;
use tokio::time::Instant;

enum Phase {
    /// A send is allowed.
    Idle,
    /// A request went to `peer`; only its reply (with `request_id`, under correlate) is accepted.
    Awaiting {
        peer: Arc<Peer>,
        request_id: Option<u32>,
    },
}

struct Exchange {
    phase: Phase,
    next_request_id: u32,
}

struct SharedReq {
    handle: SocketHandle,
    state: Mutex<Exchange>,
    /// The send and receive in progress (a request takes both): another is EBUSY.
    busy: Busy,
    /// The one request queue: `request()` calls run one at a time, in call order (tokio's mutex
    /// is FIFO-fair, and `try_lock` fails while anyone waits, so a request sent on the spot
    /// never passes a queued one).
    turn: Arc<tokio::sync::Mutex<()>>,
}

#[derive(Clone, Copy)]
enum Op {
    Send,
    Recv,
    Both,
}

/// Abandons the request in flight if a `request()` future is dropped before its reply (a no-op
/// once the reply is in: the phase is idle again). Owning, so it can be made before the future is.
struct AbandonOnDrop {
    inner: Arc<SharedReq>,
}

impl Drop for AbandonOnDrop {
    fn drop(&mut self) {
        let mut state = self.inner.state();
        self.inner.reset(&mut state);
    }
}

/// How a request began, in the call that made it.
enum Begun {
    /// Sent on the spot from the caller's memory: it holds its turn and owes the reply.
    Sent {
        turn: OwnedMutexGuard<()>,
        abandon: AbandonOnDrop,
    },
    /// Not sent yet: the message is the engine's own (a copy of lent frames), and the turn is
    /// held already if nobody was ahead.
    Waiting {
        turn: Option<OwnedMutexGuard<()>>,
        message: Message,
    },
}

impl SharedReq {
    fn core(&self) -> &Arc<SocketCore> {
        self.handle.core()
    }

    fn state(&self) -> MutexGuard<'_, Exchange> {
        lock(&self.state)
    }

    fn begin(&self, op: Op) -> Result<Taken<'_>, Error> {
        match op {
            Op::Send => self.busy.begin_send(),
            Op::Recv => self.busy.begin_recv(),
            Op::Both => self.busy.begin_request(),
        }
    }

    /// Checks a wait for the reply may start (open, not already waiting, a request sent) and
    /// marks it pending.
    fn begin_reply_wait(&self, op: Op) -> Result<Taken<'_>, Error> {
        self.core().check_open()?;
        let busy = self.begin(op)?;
        if matches!(self.state().phase, Phase::Idle) {
            return Err(Error::new(
                ErrorCode::Efsm,
                "no request is pending: send first",
            ));
        }
        Ok(busy)
    }

    /// Abandons the pending request, if any (see the module comment).
    fn reset(&self, state: &mut Exchange) {
        if let Phase::Awaiting { peer, request_id } =
            std::mem::replace(&mut state.phase, Phase::Idle)
        {
            self.core().inbound.discard_from(peer.id);
            if request_id.is_none() {
                peer.kill(true);
            }
        }
    }

    /// Checks a new request may go out: EFSM while a reply is owed, unless `relaxed` (then abandon it).
    fn prepare_send(&self, state: &mut Exchange) -> Result<(), Error> {
        if matches!(state.phase, Phase::Awaiting { .. }) {
            if !self.core().option(|o| o.relaxed) {
                return Err(Error::new(
                    ErrorCode::Efsm,
                    "a reply is pending: receive it first",
                ));
            }
            self.reset(state);
        }
        Ok(())
    }

    /// The request as it goes on the wire: [request id,] empty delimiter, body.
    /// The id of the next request, with `correlate` (its first envelope frame).
    fn next_request_id(&self, state: &mut Exchange) -> Option<u32> {
        let correlate = self.core().option(|o| o.correlate);
        correlate.then(|| {
            let id = state.next_request_id;
            state.next_request_id = id.wrapping_add(1);
            id
        })
    }

    /// What `send` and `try_send` do before handing the request over: checks, marks the send
    /// pending, and picks the request id; gives back the guard and the id.
    fn start_send<F>(&self, message: &[F]) -> Result<(Taken<'_>, Option<u32>), Error> {
        self.core().check_open()?;
        check_message(message)?;
        let busy = self.begin(Op::Send)?;
        let mut state = self.state();
        self.prepare_send(&mut state)?;
        let request_id = self.next_request_id(&mut state);
        Ok((busy, request_id))
    }

    fn sent(&self, peer: Arc<Peer>, request_id: Option<u32>) {
        self.state().phase = Phase::Awaiting { peer, request_id };
    }

    /// Looks for the reply now: `Some(Ok)` = got it, `Some(Err)` = it can never come (EAGAIN, reset
    /// done) or nothing is pending (EFSM), `None` = keep waiting. Discards everything else.
    fn poll_reply(&self) -> Option<Result<Message, Error>> {
        let mut state = self.state();
        let Phase::Awaiting { peer, request_id } = &state.phase else {
            return Some(Err(Error::new(ErrorCode::Efsm, "no request is pending")));
        };
        let (peer_id, request_id) = (peer.id, *request_id);
        // Read before popping: a peer seen dead has delivered everything it ever will.
        let dead = peer.is_dead();
        while let Some(received) = self.core().pop_inbound() {
            if let Some(body) = reply_body(received, peer_id, request_id) {
                state.phase = Phase::Idle;
                return Some(Ok(body));
            }
        }
        if dead {
            self.reset(&mut state);
            return Some(Err(Error::new(
                ErrorCode::Eagain,
                "the connection that owed the reply was lost",
            )));
        }
        None
    }

    async fn recv_reply(&self, deadline: Option<Instant>) -> Result<Message, Error> {
        match self
            .core()
            .wait_for(&self.core().inbound.notify, deadline, || self.poll_reply())
            .await
        {
            Ok(result) => result,
            Err(WaitError::TimedOut) => {
                self.reset(&mut self.state());
                Err(self
                    .core()
                    .explain(WaitError::TimedOut.into_error("receive")))
            }
            Err(end) => Err(end.into_error("receive")),
        }
    }

    /// Waits for a request's turn in the queue (or the socket's close).
    async fn wait_turn(&self) -> Result<OwnedMutexGuard<()>, Error> {
        tokio::select! {
            turn = self.turn.clone().lock_owned() => Ok(turn),
            _ = self.core().closed.wait() => Err(WaitError::Closed.into_error("request")),
        }
    }

    /// The rest of a request (see [`ReqSocket::request`]), from its turn to its reply.
    async fn finish_request(
        self: Arc<Self>,
        begun: Begun,
        timeout: Option<Duration>,
        retries: u32,
    ) -> Result<Message, Error> {
        let (_turn, abandon, mut unsent) = match begun {
            Begun::Sent { turn, abandon } => (turn, Some(abandon), None),
            Begun::Waiting { turn, message } => {
                let turn = match turn {
                    Some(turn) => turn,
                    None => self.wait_turn().await?,
                };
                (turn, None, Some(message))
            }
        };
        // Closed while it waited (its turn may come before it sees the close): a pending
        // operation cancelled (EAGAIN), not a call on a closed socket (EBADF, checked in the call).
        if self.core().is_closed() {
            return Err(WaitError::Closed.into_error("request"));
        }
        let _busy = self.begin(Op::Both)?;
        if unsent.is_some() {
            self.prepare_send(&mut self.state())?;
        }
        // Only now: a request refused above must not reset one that `send` left pending.
        let _abandon = abandon.unwrap_or_else(|| AbandonOnDrop {
            inner: self.clone(),
        });
        let timeout = timeout.map_or_else(
            || Timeout::from_ms(self.core().option(|o| o.receive_timeout)),
            Timeout::After,
        );
        for attempt in 0..=retries {
            let deadline = timeout.deadline();
            // Nothing to send when it went out on the spot (then there are no retries).
            let body = match &mut unsent {
                Some(message) if attempt < retries => Some(message.clone()),
                last => last.take(),
            };
            if let Some(body) = body {
                let request_id = self.next_request_id(&mut self.state());
                let frames = envelope(request_id, body);
                match self
                    .core()
                    .send_round_robin(frames, deadline, |peer| self.sent(peer, request_id))
                    .await
                {
                    Ok(()) => {}
                    Err(WaitError::TimedOut) => continue,
                    Err(end) => return Err(self.core().explain(end.into_error("request"))),
                }
            }
            match self.recv_reply(deadline).await {
                Ok(reply) => return Ok(reply),
                Err(_) if self.core().is_closed() => {
                    return Err(WaitError::Closed.into_error("request"))
                }
                Err(e) if e.code == ErrorCode::Eagain => continue,
                Err(e) => return Err(e),
            }
        }
        Err(self.core().explain(no_reply(retries)))
    }
}

/// What a request that got no reply in `retries + 1` attempts fails with.
fn no_reply(retries: u32) -> Error {
    Error::new(
        ErrorCode::Eagain,
        format!(
            "request got no reply after {} attempt(s)",
            u64::from(retries) + 1
        ),
    )
}

/// The body of `received` if it is the reply we wait for: from `peer_id`, with our request id
/// (under correlate), then an empty delimiter, then at least one frame.
fn reply_body(received: Received, peer_id: u64, request_id: Option<u32>) -> Option<Message> {
    if received.peer_id != peer_id {
        return None;
    }
    let mut message = received.message;
    let mut prefix = 1;
    if let Some(id) = request_id {
        if message.first()?.as_ref() != id.to_be_bytes() {
            return None;
        }
        prefix = 2;
    }
    if !message.get(prefix - 1)?.is_empty() || message.len() <= prefix {
        return None;
    }
    message.drain(..prefix);
    Some(message)
}

/// A request as it goes on the wire: `[request id,] empty delimiter, body...`.
fn envelope(request_id: Option<u32>, message: Message) -> Message {
    let mut frames = Vec::with_capacity(message.len() + 2);
    if let Some(id) = request_id {
        frames.push(Bytes::copy_from_slice(&id.to_be_bytes()));
    }
    frames.push(Bytes::new());
    frames.extend(message);
    frames
}

/// A REQ socket. Cheap to clone (all clones are the same socket); when the last clone is dropped
/// the socket closes as if `close()` had been called.
///
/// Every async method is cancel-safe: dropping its future at any await point leaves the socket usable.
/// Dropping a `recv` future keeps the request pending (a later `recv` gets the reply); dropping a
/// `request` future abandons that request and resets the socket like a receive timeout does.
#[derive(Clone)]
pub struct ReqSocket {
    inner: Arc<SharedReq>,
}

impl ReqSocket {
    /// Creates the socket; its background tasks run on `runtime`.
    pub fn new(runtime: &Handle, options: Options) -> ReqSocket {
        let handle = SocketHandle::new(runtime, SocketType::Req, options);
        ReqSocket {
            inner: Arc::new(SharedReq {
                handle,
                state: Mutex::new(Exchange {
                    phase: Phase::Idle,
                    next_request_id: crate::socket::core::random_u32(),
                }),
                busy: Busy::default(),
                turn: Arc::new(tokio::sync::Mutex::new(())),
            }),
        }
    }

    /// Sends one request (EFSM if a reply is owed and not `relaxed`; EBUSY if a send is pending;
    /// waits for a peer up to `send_timeout`, then EAGAIN).
    pub async fn send(&self, message: Message) -> Result<(), Error> {
        let inner = &*self.inner;
        let (_busy, request_id) = inner.start_send(&message)?;
        inner
            .core()
            .send_timed(envelope(request_id, message), |peer| {
                inner.sent(peer, request_id)
            })
            .await
    }

    /// Receives the reply (EFSM before any send; EBUSY if a receive is pending; EAGAIN + reset on
    /// `receive_timeout` or when the connection that owed the reply is lost).
    pub async fn recv(&self) -> Result<Message, Error> {
        let inner = &*self.inner;
        let _busy = inner.begin_reply_wait(Op::Recv)?;
        let deadline = Timeout::from_ms(inner.core().option(|o| o.receive_timeout)).deadline();
        inner.recv_reply(deadline).await
    }

    /// A request: send + receive, the one way to make one. Requests run one at a time through
    /// the socket's one queue, in the order of their calls when their futures are polled at once
    /// (as the addon does; otherwise in the order of their first polls). When nothing is ahead of it, nothing needs resending
    /// (`retries` 0) and a live peer has room, the send happens in this call, straight from
    /// `message` (no copy, no task); otherwise the frames are made the engine's own (lent ones
    /// copied) and sent when the request's turn comes.
    ///
    /// `timeout` bounds each attempt (None = `receive_timeout`; one beyond any `Instant`, as
    /// `Duration::MAX`, is no limit and arms no timer); a lost connection fails the attempt at
    /// once; with retries left it resends to the next live peer. The future's first poll fails
    /// what the checks refuse (closed, empty message, EBUSY under a pending send or receive, EFSM
    /// while a reply is owed and not `relaxed`). Dropping the future abandons the request and
    /// resets the socket, as a timeout does.
    pub fn request(
        &self,
        message: &[FrameRef<'_>],
        timeout: Option<Duration>,
        retries: u32,
    ) -> impl Future<Output = Result<Message, Error>> + Send + 'static {
        let begun = self.begin_request(message, retries);
        let inner = self.inner.clone();
        async move { inner.finish_request(begun?, timeout, retries).await }
    }

    /// The part of a request that runs in the call: the checks, and the send on the spot when it
    /// may go (see `request`).
    fn begin_request(&self, message: &[FrameRef<'_>], retries: u32) -> Result<Begun, Error> {
        let inner = &self.inner;
        inner.core().check_open()?;
        check_message(message)?;
        let turn = match inner.turn.clone().try_lock_owned() {
            Ok(turn) if retries == 0 => {
                // EBUSY, sending nothing, while a send or receive is pending (`try_send` alone
                // would let a `relaxed` socket send under a pending receive).
                drop(inner.begin(Op::Both)?);
                match self.try_send(message)? {
                    TrySend::Sent => {
                        let abandon = AbandonOnDrop {
                            inner: inner.clone(),
                        };
                        return Ok(Begun::Sent { turn, abandon });
                    }
                    TrySend::Wait => Some(turn),
                }
            }
            turn => turn.ok(),
        };
        Ok(Begun::Waiting {
            turn,
            message: frame_ref::keep(message),
        })
    }

    /// Synchronous fast path for the addon: does the send right now, from the calling thread, when
    /// that needs no waiting (the state allows it, a live peer has queue room; bytes go straight to
    /// the OS socket when that connection has nothing queued). `Wait` when it would have to wait
    /// (nothing of the message is kept): the caller then uses `send`. Same errors as `send`.
    pub fn try_send(&self, message: &[FrameRef<'_>]) -> Result<TrySend, Error> {
        let inner = &*self.inner;
        let (_busy, request_id) = inner.start_send(message)?;
        let id = request_id.map(u32::to_be_bytes);
        let mut frames = Vec::with_capacity(message.len() + 2);
        if let Some(id) = &id {
            frames.push(FrameRef::Lent(id));
        }
        frames.push(FrameRef::Lent(&[]));
        frames.extend_from_slice(message);
        Ok(match inner.core().try_send_round_robin(&frames) {
            Some(peer) => {
                inner.sent(peer, request_id);
                TrySend::Sent
            }
            None => TrySend::Wait,
        })
    }

    /// A request was sent and its reply not received yet (a send now is EFSM).
    pub fn awaiting_reply(&self) -> bool {
        matches!(self.inner.state().phase, Phase::Awaiting { .. })
    }

    /// Synchronous fast path: the reply if it is already queued, `Ok(None)` if not (then use `recv`).
    /// Same state errors as `recv`.
    pub fn try_recv(&self) -> Result<Option<Message>, Error> {
        let inner = &*self.inner;
        inner.core().check_open()?;
        let _busy = inner.begin(Op::Recv)?;
        match inner.poll_reply() {
            Some(Ok(reply)) => Ok(Some(reply)),
            Some(Err(e)) => Err(e),
            None => Ok(None),
        }
    }
}

socket_handle!(ReqSocket, |socket| &socket.inner.handle);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::transport::{test_pair, TestPeer};
    use std::sync::Weak;

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    fn received(peer_id: u64, frames: &[&str]) -> Received {
        Received {
            peer_id,
            peer: Weak::new(),
            routing_id: Bytes::new(),
            message: frames.iter().map(|f| b(f)).collect(),
        }
    }

    fn a_peer() -> (Arc<Peer>, TestPeer) {
        let (stream, theirs) = test_pair();
        let peer = Peer::new(Peer::next_id(), b("id"), stream.into_split().1, 0);
        (Arc::new(peer), theirs)
    }

    fn socket(options: Options) -> ReqSocket {
        ReqSocket::new(&Handle::current(), options)
    }

    #[test]
    fn only_the_awaited_reply_is_taken() {
        let body = |r: Received, id| reply_body(r, 7, id);
        assert_eq!(body(received(7, &["", "ok"]), None), Some(vec![b("ok")]));
        assert_eq!(body(received(8, &["", "ok"]), None), None, "another peer");
        assert_eq!(body(received(7, &["ok"]), None), None, "no delimiter");
        assert_eq!(body(received(7, &[""]), None), None, "no body");
        let id = 5u32.to_be_bytes();
        let with_id = |id: &[u8]| Received {
            message: vec![Bytes::copy_from_slice(id), Bytes::new(), b("ok")],
            ..received(7, &[])
        };
        assert_eq!(body(with_id(&id), Some(5)), Some(vec![b("ok")]));
        assert_eq!(
            body(with_id(&id), Some(6)),
            None,
            "an older request's reply"
        );
        assert_eq!(
            body(received(7, &["", "ok"]), Some(5)),
            None,
            "no request id"
        );
    }

    #[tokio::test]
    async fn one_send_and_one_receive_at_a_time() {
        let req = socket(Options::default());
        let inner = &*req.inner;
        let sending = inner.begin(Op::Send).expect("idle");
        assert_eq!(
            inner.begin(Op::Send).err().map(|e| e.code),
            Some(ErrorCode::Ebusy)
        );
        assert_eq!(
            inner.begin(Op::Both).err().map(|e| e.code),
            Some(ErrorCode::Ebusy)
        );
        let receiving = inner.begin(Op::Recv).expect("a receive may overlap a send");
        drop((sending, receiving));
        let both = inner.begin(Op::Both).expect("free again");
        assert_eq!(
            inner.begin(Op::Recv).err().map(|e| e.code),
            Some(ErrorCode::Ebusy)
        );
        drop(both);
    }

    #[tokio::test]
    async fn send_and_receive_alternate_unless_relaxed() {
        let req = socket(Options::default());
        let inner = &*req.inner;
        assert_eq!(
            inner.begin_reply_wait(Op::Recv).err().map(|e| e.code),
            Some(ErrorCode::Efsm),
            "receive before any send"
        );
        let (peer, _theirs) = a_peer();
        inner.sent(peer.clone(), None);
        assert_eq!(
            inner.prepare_send(&mut inner.state()).err().map(|e| e.code),
            Some(ErrorCode::Efsm),
            "a second send while a reply is owed"
        );
        assert!(inner.begin_reply_wait(Op::Recv).is_ok());

        let relaxed = socket(Options {
            relaxed: true,
            ..Options::default()
        });
        let inner = &*relaxed.inner;
        inner.sent(peer.clone(), None);
        inner
            .prepare_send(&mut inner.state())
            .expect("relaxed: the pending request is abandoned");
        assert!(matches!(inner.state().phase, Phase::Idle));
        // Without correlate the connection that owed the reply is dropped (Lazy Pirate).
        assert!(peer.is_dead());
        assert!(peer.wants_reconnect_now());
    }

    #[tokio::test]
    async fn correlate_numbers_requests_and_keeps_the_connection_on_reset() {
        let req = socket(Options {
            correlate: true,
            relaxed: true,
            ..Options::default()
        });
        let inner = &*req.inner;
        let id = inner.next_request_id(&mut inner.state());
        let first = envelope(id, vec![b("x")]);
        let id = id.expect("an id under correlate");
        assert_eq!(
            first,
            vec![
                Bytes::copy_from_slice(&id.to_be_bytes()),
                Bytes::new(),
                b("x")
            ]
        );
        let next = inner.next_request_id(&mut inner.state());
        assert_eq!(next, Some(id.wrapping_add(1)));
        let (peer, _theirs) = a_peer();
        inner.sent(peer.clone(), Some(id));
        inner.prepare_send(&mut inner.state()).expect("relaxed");
        assert!(!peer.is_dead(), "the id tells a late reply apart");
    }
}

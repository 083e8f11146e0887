//! REP (RFC 28) on the ROUTER machinery: fair-queued requests, envelopes kept so multi-hop works,
//! strict receive/send alternation, and an out-of-order path (`recv_request`/`reply`) for concurrent serving.
//!
//! A request's envelope is every frame up to and including the first empty one (the delimiter):
//! request-id frames of a correlating REQ and routing ids added by ROUTER/DEALER brokers on the way.
//! The reply goes back with the same envelope to the same connection.

use crate::conn::peer::Peer;
use crate::error::{Error, ErrorCode};
use crate::lock::lock;
use crate::options::Options;
use crate::socket::core::{check_message, SocketCore};
use crate::socket::handle::{socket_handle, SocketHandle};
use crate::socket::inbound::Received;
use crate::types::busy::{Busy, Taken};
use crate::wire::frame_ref::{self, FrameRef, TrySend};
use crate::wire::socket_type::SocketType;
use crate::wire::Message;
use bytes::Bytes;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use tokio::runtime::Handle;

/// Where a reply must go: the peer and the envelope of one request.
#[derive(Debug, Clone)]
pub struct ReplyTo {
    peer: Weak<Peer>,
    envelope: Vec<Bytes>,
}

struct Serving {
    /// The request `recv` returned that `send` must answer.
    owed: Option<ReplyTo>,
}

struct SharedRep {
    handle: SocketHandle,
    state: Mutex<Serving>,
    /// The receive in progress: another is EBUSY.
    busy: Busy,
}

impl SharedRep {
    fn core(&self) -> &Arc<SocketCore> {
        self.handle.core()
    }

    fn state(&self) -> MutexGuard<'_, Serving> {
        lock(&self.state)
    }

    fn begin_recv(&self) -> Result<Taken<'_>, Error> {
        self.busy.begin_recv()
    }

    /// Replies to a peer: dropped silently when the peer is gone or its queue is full (as libzmq).
    /// Replies to the requests of one received batch, sent in one event-loop turn, leave in one
    /// write (see `SocketCore::flush`).
    fn deliver(&self, to: ReplyTo, message: &[FrameRef<'_>]) {
        let Some(peer) = to.peer.upgrade() else {
            return;
        };
        let mut frames = frame_ref::shared(&to.envelope);
        frames.extend_from_slice(message);
        let _ = peer.try_push(&frames, self.core().flush());
    }
}

/// Splits a request into where to reply and its body; None for a malformed one (no delimiter,
/// or nothing after it), which is discarded.
fn split_request(received: Received) -> Option<(ReplyTo, Message)> {
    let mut message = received.message;
    let delimiter = message.iter().position(|frame| frame.is_empty())?;
    let body = message.split_off(delimiter.checked_add(1)?);
    if body.is_empty() {
        return None;
    }
    Some((
        ReplyTo {
            peer: received.peer,
            envelope: message,
        },
        body,
    ))
}

/// A REP socket. Cheap to clone; closes when the last clone is dropped. Async methods are cancel-safe.
#[derive(Clone)]
pub struct RepSocket {
    inner: Arc<SharedRep>,
}

impl RepSocket {
    pub fn new(runtime: &Handle, options: Options) -> RepSocket {
        RepSocket {
            inner: Arc::new(SharedRep {
                handle: SocketHandle::new(runtime, SocketType::Rep, options),
                state: Mutex::new(Serving { owed: None }),
                busy: Busy::default(),
            }),
        }
    }

    /// Receives the next request (EFSM if a reply is owed; EBUSY if a receive is pending; EAGAIN on
    /// `receive_timeout`). Dropping the future loses nothing: an unreceived request stays queued.
    pub async fn recv(&self) -> Result<Message, Error> {
        let inner = &*self.inner;
        inner.core().check_open()?;
        let _receiving = inner.begin_recv()?;
        if inner.state().owed.is_some() {
            return Err(Error::new(
                ErrorCode::Efsm,
                "a reply is owed: send it first",
            ));
        }
        inner
            .core()
            .recv_timed(|received| {
                let (to, body) = split_request(received)?;
                inner.state().owed = Some(to);
                Some(body)
            })
            .await
    }

    /// Replies to the request last returned by `recv` (EFSM if none is owed).
    pub async fn send(&self, message: Message) -> Result<(), Error> {
        self.try_send(&frame_ref::shared(&message)).map(drop)
    }

    /// Receives a request without entering the alternation state: for `serve()` with concurrency.
    pub async fn recv_request(&self) -> Result<(ReplyTo, Message), Error> {
        let inner = &*self.inner;
        inner.core().check_open()?;
        let _receiving = inner.begin_recv()?;
        inner.core().recv_timed(split_request).await
    }

    /// Answers a request obtained from `recv_request`. A peer that has gone away makes this a no-op.
    pub async fn reply(&self, to: ReplyTo, message: Message) -> Result<(), Error> {
        self.try_reply(to, &frame_ref::shared(&message))
    }

    /// [`RepSocket::reply`], which never waits, done synchronously.
    pub fn try_reply(&self, to: ReplyTo, message: &[FrameRef<'_>]) -> Result<(), Error> {
        self.inner.core().check_open()?;
        check_message(message)?;
        self.inner.deliver(to, message);
        Ok(())
    }

    /// Synchronous fast path for the addon: the reply, right now, from the calling thread. A REP
    /// reply never waits (it is queued or, for a gone or full peer, dropped): never `Wait`.
    /// Same errors as `send`.
    pub fn try_send(&self, message: &[FrameRef<'_>]) -> Result<TrySend, Error> {
        let inner = &*self.inner;
        inner.core().check_open()?;
        check_message(message)?;
        let Some(to) = inner.state().owed.take() else {
            return Err(Error::new(
                ErrorCode::Efsm,
                "no request to reply to: receive first",
            ));
        };
        inner.deliver(to, message);
        Ok(TrySend::Sent)
    }

    /// A request was received and not answered yet (only a send is allowed now).
    pub fn owes_reply(&self) -> bool {
        self.inner.state().owed.is_some()
    }

    /// Synchronous fast path: the next request if one is already queued, `Ok(None)` if not (then use `recv`).
    /// Same state errors as `recv`.
    pub fn try_recv(&self) -> Result<Option<Message>, Error> {
        let inner = &*self.inner;
        inner.core().check_open()?;
        let _receiving = inner.begin_recv()?;
        let mut state = inner.state();
        if state.owed.is_some() {
            return Err(Error::new(
                ErrorCode::Efsm,
                "a reply is owed: send it first",
            ));
        }
        Ok(inner.core().pop_accepted(|received| {
            let (to, body) = split_request(received)?;
            state.owed = Some(to);
            Some(body)
        }))
    }

    /// Synchronous fast path of `recv_request`: the next request if one is already queued,
    /// `Ok(None)` if not (then use `recv_request`). EBUSY while a receive is pending.
    pub fn try_recv_request(&self) -> Result<Option<(ReplyTo, Message)>, Error> {
        let inner = &*self.inner;
        inner.core().check_open()?;
        let _receiving = inner.begin_recv()?;
        Ok(inner.core().pop_accepted(split_request))
    }
}

socket_handle!(RepSocket, |socket| &socket.inner.handle);

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    fn received(frames: &[&str]) -> Received {
        Received {
            peer_id: 1,
            peer: Weak::new(),
            routing_id: Bytes::new(),
            message: frames.iter().map(|f| b(f)).collect(),
        }
    }

    #[test]
    fn the_envelope_is_everything_up_to_the_first_empty_frame() {
        let (to, body) = split_request(received(&["hop2", "hop1", "", "a", "b"])).expect("valid");
        assert_eq!(to.envelope, vec![b("hop2"), b("hop1"), Bytes::new()]);
        assert_eq!(body, vec![b("a"), b("b")]);
        let (to, body) = split_request(received(&["", "x", "", "y"])).expect("valid");
        assert_eq!(to.envelope, vec![Bytes::new()]);
        assert_eq!(
            body,
            vec![b("x"), Bytes::new(), b("y")],
            "later empty frames are body"
        );
    }

    #[test]
    fn malformed_requests_are_discarded() {
        assert!(split_request(received(&["no", "delimiter"])).is_none());
        assert!(split_request(received(&["id", ""])).is_none(), "no body");
    }

    #[tokio::test]
    async fn one_receive_at_a_time_and_a_reply_only_when_owed() {
        let rep = RepSocket::new(&Handle::current(), Options::default());
        let inner = &*rep.inner;
        let receiving = inner.begin_recv().expect("idle");
        assert_eq!(
            inner.begin_recv().err().map(|e| e.code),
            Some(ErrorCode::Ebusy)
        );
        drop(receiving);
        assert!(inner.begin_recv().is_ok(), "free again");
        assert_eq!(
            rep.send(vec![b("reply")]).await.err().map(|e| e.code),
            Some(ErrorCode::Efsm),
            "nothing is owed before a request"
        );
    }
}

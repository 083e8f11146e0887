//! REP (RFC 28) on the ROUTER machinery: fair-queued requests, envelopes kept so multi-hop works,
//! strict receive/send alternation, and an out-of-order path (`recv_request`/`reply`) for concurrent serving.
//! STUB: the public signatures below are the contract with the addon; bodies are being written.

use crate::{Error, Message, Options};
use tokio::runtime::Handle;

/// Where a reply must go: the peer and the envelope of one request.
#[derive(Debug, Clone)]
pub struct ReplyTo {
    _private: (),
}

/// A REP socket. Cheap to clone; closes when the last clone is dropped. Async methods are cancel-safe.
#[derive(Clone)]
pub struct RepSocket {
    _private: (),
}

impl RepSocket {
    pub fn new(runtime: &Handle, options: Options) -> RepSocket {
        let _ = (runtime, options);
        todo!("RepSocket::new")
    }

    pub async fn bind(&self, endpoint: &str) -> Result<String, Error> {
        let _ = endpoint;
        todo!()
    }

    pub async fn unbind(&self, endpoint: &str) -> Result<(), Error> {
        let _ = endpoint;
        todo!()
    }

    pub fn connect(&self, endpoint: &str) -> Result<(), Error> {
        let _ = endpoint;
        todo!()
    }

    pub fn disconnect(&self, endpoint: &str) -> Result<(), Error> {
        let _ = endpoint;
        todo!()
    }

    /// Receives the next request (EFSM if a reply is owed; EBUSY if a receive is pending; EAGAIN on
    /// `receive_timeout`). Dropping the future loses nothing: an unreceived request stays queued.
    pub async fn recv(&self) -> Result<Message, Error> {
        todo!()
    }

    /// Replies to the request last returned by `recv` (EFSM if none is owed).
    pub async fn send(&self, message: Message) -> Result<(), Error> {
        let _ = message;
        todo!()
    }

    /// Receives a request without entering the alternation state: for `serve()` with concurrency.
    pub async fn recv_request(&self) -> Result<(ReplyTo, Message), Error> {
        todo!()
    }

    /// Answers a request obtained from `recv_request`. A peer that has gone away makes this a no-op.
    pub async fn reply(&self, to: ReplyTo, message: Message) -> Result<(), Error> {
        let _ = (to, message);
        todo!()
    }

    /// Synchronous fast path for the addon: does the send right now, from the calling thread, when that
    /// needs no waiting (the state allows it, a live peer has queue room; bytes go straight to the OS
    /// socket when that connection has nothing queued). `Ok(Some(message))` hands the message back
    /// when it would have to wait: the caller then uses `send`. Same errors as `send`.
    pub fn try_send(&self, message: Message) -> Result<Option<Message>, Error> {
        let _ = message;
        todo!()
    }

    /// Synchronous fast path: the next reply if one is already queued, `Ok(None)` if not (then use `recv`).
    /// Same state errors as `recv`.
    pub fn try_recv(&self) -> Result<Option<Message>, Error> {
        todo!()
    }

    pub fn close(&self) {
        todo!()
    }

    pub fn is_closed(&self) -> bool {
        todo!()
    }

    pub fn last_endpoint(&self) -> Option<String> {
        todo!()
    }

    pub fn options(&self) -> Options {
        todo!()
    }

    pub fn set_options(&self, options: Options) {
        let _ = options;
        todo!()
    }
}

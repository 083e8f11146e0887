//! REQ (RFC 28) on the DEALER machinery: strict send/receive alternation, round-robin over live peers,
//! reset after a timeout or a lost connection, `correlate` and `relaxed`.
//! STUB: the public signatures below are the contract with the addon; bodies are being written.

use crate::{Error, Message, Options};
use std::time::Duration;
use tokio::runtime::Handle;

/// A REQ socket. Cheap to clone (all clones are the same socket); when the last clone is dropped
/// the socket closes as if `close()` had been called.
///
/// Every async method is cancel-safe: dropping its future at any await point leaves the socket usable.
/// Dropping a `recv` future keeps the request pending (a later `recv` gets the reply); dropping a
/// `request` future abandons that request and resets the socket like a receive timeout does.
#[derive(Clone)]
pub struct ReqSocket {
    _private: (),
}

impl ReqSocket {
    /// Creates the socket; its background tasks run on `runtime`.
    pub fn new(runtime: &Handle, options: Options) -> ReqSocket {
        let _ = (runtime, options);
        todo!("ReqSocket::new")
    }

    /// Binds and listens; resolves to the resolved endpoint (ephemeral port filled in), which also
    /// becomes `last_endpoint()`.
    pub async fn bind(&self, endpoint: &str) -> Result<String, Error> {
        let _ = endpoint;
        todo!()
    }

    pub async fn unbind(&self, endpoint: &str) -> Result<(), Error> {
        let _ = endpoint;
        todo!()
    }

    /// Validates the endpoint and returns at once; connects in the background and reconnects forever.
    pub fn connect(&self, endpoint: &str) -> Result<(), Error> {
        let _ = endpoint;
        todo!()
    }

    pub fn disconnect(&self, endpoint: &str) -> Result<(), Error> {
        let _ = endpoint;
        todo!()
    }

    /// Sends one request (EFSM if a reply is owed and not `relaxed`; EBUSY if a send is pending;
    /// waits for a peer up to `send_timeout`, then EAGAIN).
    pub async fn send(&self, message: Message) -> Result<(), Error> {
        let _ = message;
        todo!()
    }

    /// Receives the reply (EFSM before any send; EBUSY if a receive is pending; EAGAIN + reset on
    /// `receive_timeout` or when the connection that owed the reply is lost).
    pub async fn recv(&self) -> Result<Message, Error> {
        todo!()
    }

    /// send + receive, queued in call order. `timeout` bounds each attempt (None = `receive_timeout`),
    /// a lost connection fails the attempt at once; with retries left it resends to the next live peer.
    pub async fn request(
        &self,
        message: Message,
        timeout: Option<Duration>,
        retries: u32,
    ) -> Result<Message, Error> {
        let _ = (message, timeout, retries);
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

    /// Synchronous fast path: the next request if one is already queued, `Ok(None)` if not (then use `recv`).
    /// Same state errors as `recv`.
    pub fn try_recv(&self) -> Result<Option<Message>, Error> {
        todo!()
    }

    /// Idempotent. Pending operations fail EAGAIN; queued outgoing messages get `linger` to drain.
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

    /// New values apply to later operations and later connections.
    pub fn set_options(&self, options: Options) {
        let _ = options;
        todo!()
    }
}

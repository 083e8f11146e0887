//! The native socket class: one engine REQ or REP socket, driven from the JS layer (`lib/`).
//!
//! Async operations return either their result (finished on the calling thread) or a pending op
//! id (a number) settled later through the hub; see `op.rs`. Errors of the sync part are thrown
//! as JS errors with `.code`; the JS layer turns throws into rejections.

use crate::hub::{Hub, HubShared};
use crate::op::{self, Started};
use crate::options::JsOptions;
use crate::outcome::Outcome;
use crate::{js_error, message};
use napi::bindgen_prelude::Unknown;
use napi::JsValue;
use napi::{Error, Result, Status};
use napi_derive::napi;
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use zeromq_napi_engine::{Error as EngineError, Message, Options, RepSocket, ReplyTo, ReqSocket};

/// `request()` timeout meaning "no limit": far enough to never fire, small enough that adding it to
/// `Instant::now()` cannot overflow.
const NO_LIMIT: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// The engine socket behind a native `Socket` (both types share everything but a few methods).
#[derive(Clone)]
pub(crate) enum Engine {
    Req(ReqSocket),
    Rep(RepSocket),
}

impl Engine {
    fn set_read_driver(&self, driver: Arc<dyn zeromq_napi_engine::ReadDriver>) {
        match self {
            Engine::Req(s) => s.set_read_driver(driver),
            Engine::Rep(s) => s.set_read_driver(driver),
        }
    }

    async fn bind(self, endpoint: String) -> std::result::Result<String, EngineError> {
        match self {
            Engine::Req(s) => s.bind(&endpoint).await,
            Engine::Rep(s) => s.bind(&endpoint).await,
        }
    }

    async fn unbind(self, endpoint: String) -> std::result::Result<(), EngineError> {
        match self {
            Engine::Req(s) => s.unbind(&endpoint).await,
            Engine::Rep(s) => s.unbind(&endpoint).await,
        }
    }

    fn connect(&self, endpoint: &str) -> std::result::Result<(), EngineError> {
        match self {
            Engine::Req(s) => s.connect(endpoint),
            Engine::Rep(s) => s.connect(endpoint),
        }
    }

    fn disconnect(&self, endpoint: &str) -> std::result::Result<(), EngineError> {
        match self {
            Engine::Req(s) => s.disconnect(endpoint),
            Engine::Rep(s) => s.disconnect(endpoint),
        }
    }

    fn try_send(&self, message: Message) -> std::result::Result<Option<Message>, EngineError> {
        match self {
            Engine::Req(s) => s.try_send(message),
            Engine::Rep(s) => s.try_send(message),
        }
    }

    async fn send(self, message: Message) -> std::result::Result<(), EngineError> {
        match self {
            Engine::Req(s) => s.send(message).await,
            Engine::Rep(s) => s.send(message).await,
        }
    }

    fn try_recv(&self) -> std::result::Result<Option<Message>, EngineError> {
        match self {
            Engine::Req(s) => s.try_recv(),
            Engine::Rep(s) => s.try_recv(),
        }
    }

    async fn recv(self) -> std::result::Result<Message, EngineError> {
        match self {
            Engine::Req(s) => s.recv().await,
            Engine::Rep(s) => s.recv().await,
        }
    }

    fn close(&self) {
        match self {
            Engine::Req(s) => s.close(),
            Engine::Rep(s) => s.close(),
        }
    }

    /// Close without lingering (env teardown, garbage-collected socket).
    pub(crate) fn close_now(&self) {
        if !self.is_closed() {
            let mut options = self.options();
            options.linger = 0;
            self.set_options(options);
        }
        self.close();
    }

    fn is_closed(&self) -> bool {
        match self {
            Engine::Req(s) => s.is_closed(),
            Engine::Rep(s) => s.is_closed(),
        }
    }

    fn last_endpoint(&self) -> Option<String> {
        match self {
            Engine::Req(s) => s.last_endpoint(),
            Engine::Rep(s) => s.last_endpoint(),
        }
    }

    fn options(&self) -> Options {
        match self {
            Engine::Req(s) => s.options(),
            Engine::Rep(s) => s.options(),
        }
    }

    fn set_options(&self, options: Options) {
        match self {
            Engine::Req(s) => s.set_options(options),
            Engine::Rep(s) => s.set_options(options),
        }
    }
}

/// Requests taken by `recvRequest` and not yet answered, by token.
#[derive(Default)]
struct Owed {
    next: AtomicU32,
    map: Mutex<HashMap<u32, ReplyTo>>,
}

impl Owed {
    fn insert(&self, to: ReplyTo) -> u32 {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        let mut token = self.next.fetch_add(1, Ordering::Relaxed);
        while map.contains_key(&token) {
            token = self.next.fetch_add(1, Ordering::Relaxed);
        }
        map.insert(token, to);
        token
    }

    fn take(&self, token: u32) -> Option<ReplyTo> {
        self.map
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&token)
    }
}

#[napi]
pub struct Socket {
    engine: Engine,
    hub: Arc<HubShared>,
    key: u64,
    owed: Arc<Owed>,
}

impl Socket {
    /// Throws engine errors of an operation that finished on the spot.
    fn finish(&self, started: Started) -> Result<Started> {
        match started {
            Started::Ready(Outcome::Failed(e)) => Err(js_error::throw(self.hub.env(), &e)),
            Started::Ready(Outcome::Panicked(why)) => Err(js_error::throw_code(
                self.hub.env(),
                js_error::PANIC_CODE,
                &format!("internal error in zeromq-napi (please report): {why}"),
            )),
            other => Ok(other),
        }
    }

    fn message(&self, value: &Unknown<'_>) -> Result<Message> {
        // SAFETY: called from a `#[napi]` method: the hub's env is this call's env.
        unsafe { message::from_js(self.hub.env(), value.raw(), self.hub.graveyard()) }.map_err(
            |e| match e.status {
                Status::InvalidArg => js_error::throw_type_error(self.hub.env(), &e.reason),
                _ => e,
            },
        )
    }

    fn rep(&self) -> Result<&RepSocket> {
        match &self.engine {
            Engine::Rep(s) => Ok(s),
            Engine::Req(_) => Err(Error::new(Status::InvalidArg, "not a REP socket")),
        }
    }
}

#[napi]
impl Socket {
    /// `kind` is `"req"` or `"rep"`.
    #[napi(constructor, catch_unwind)]
    pub fn new(hub: &Hub, kind: String, options: JsOptions) -> Result<Socket> {
        let shared = hub.shared().clone();
        drop(shared.enter());
        let options = options.to_engine();
        let engine = match kind.as_str() {
            "req" => Engine::Req(ReqSocket::new(shared.runtime(), options)),
            "rep" => Engine::Rep(RepSocket::new(shared.runtime(), options)),
            other => {
                return Err(Error::new(
                    Status::InvalidArg,
                    format!("unknown socket kind {other:?}"),
                ))
            }
        };
        if let Some(driver) = shared.read_driver() {
            engine.set_read_driver(driver);
        }
        let key = shared.register(engine.clone());
        Ok(Socket {
            engine,
            hub: shared,
            key,
            owed: Arc::new(Owed::default()),
        })
    }

    /// Resolves to the resolved endpoint string.
    #[napi(catch_unwind)]
    pub fn bind(&self, endpoint: String) -> Result<Started> {
        let _entered = self.hub.enter();
        let engine = self.engine.clone();
        self.finish(op::start(&self.hub, async move {
            engine.bind(endpoint).await.into()
        }))
    }

    #[napi(catch_unwind)]
    pub fn unbind(&self, endpoint: String) -> Result<Started> {
        let _entered = self.hub.enter();
        let engine = self.engine.clone();
        self.finish(op::start(&self.hub, async move {
            engine.unbind(endpoint).await.into()
        }))
    }

    #[napi(catch_unwind)]
    pub fn connect(&self, endpoint: String) -> Result<()> {
        let _entered = self.hub.enter();
        self.engine
            .connect(&endpoint)
            .map_err(|e| js_error::throw(self.hub.env(), &e))
    }

    #[napi(catch_unwind)]
    pub fn disconnect(&self, endpoint: String) -> Result<()> {
        let _entered = self.hub.enter();
        self.engine
            .disconnect(&endpoint)
            .map_err(|e| js_error::throw(self.hub.env(), &e))
    }

    /// `message`: one frame (string, binary, null) or an array of them.
    #[napi(catch_unwind)]
    pub fn send(&self, message: Unknown<'_>) -> Result<Started> {
        let _entered = self.hub.enter();
        let message = self.message(&message)?;
        match self.engine.try_send(message) {
            Ok(None) => Ok(Started::Ready(Outcome::Done)),
            Ok(Some(message)) => {
                let engine = self.engine.clone();
                // The first poll can already fail (a zero timeout): thrown like any other error.
                self.finish(op::start(&self.hub, async move {
                    engine.send(message).await.into()
                }))
            }
            Err(e) => Err(js_error::throw(self.hub.env(), &e)),
        }
    }

    /// Resolves to `Buffer[]`.
    #[napi(catch_unwind)]
    pub fn recv(&self) -> Result<Started> {
        let _entered = self.hub.enter();
        match self.engine.try_recv() {
            Ok(Some(message)) => Ok(Started::Ready(Outcome::Message(message))),
            Ok(None) => {
                let engine = self.engine.clone();
                // As in `send`: a zero receive timeout fails on the first poll.
                self.finish(op::start(
                    &self.hub,
                    async move { engine.recv().await.into() },
                ))
            }
            Err(e) => Err(js_error::throw(self.hub.env(), &e)),
        }
    }

    /// REQ: send + receive with retries. `timeout_ms`: `undefined` = the socket's receive timeout,
    /// negative = no limit.
    #[napi(catch_unwind)]
    pub fn request(
        &self,
        message: Unknown<'_>,
        timeout_ms: Option<i64>,
        retries: u32,
    ) -> Result<Started> {
        let _entered = self.hub.enter();
        let Engine::Req(socket) = &self.engine else {
            return Err(Error::new(Status::InvalidArg, "not a REQ socket"));
        };
        let mut message = self.message(&message)?;
        let unlimited = match timeout_ms {
            Some(ms) => ms < 0,
            None => socket.options().receive_timeout < 0,
        };
        if unlimited && retries == 0 {
            // Nothing to time and nothing to resend: when the send needs no waiting this is a
            // send plus a reply wait, without `request`'s queue and timers.
            match socket.try_send_request(message) {
                Ok(None) => {
                    let socket = socket.clone();
                    return self.finish(op::start(&self.hub, async move {
                        socket.await_reply().await.into()
                    }));
                }
                Ok(Some(back)) => message = back,
                Err(e) => return Err(js_error::throw(self.hub.env(), &e)),
            }
        }
        let timeout =
            timeout_ms.map(|ms| u64::try_from(ms).map_or(NO_LIMIT, Duration::from_millis));
        let socket = socket.clone();
        self.finish(op::start(&self.hub, async move {
            socket.request(message, timeout, retries).await.into()
        }))
    }

    /// REP: takes one request outside the send/receive alternation; resolves to `[token, Buffer[]]`.
    #[napi(catch_unwind)]
    pub fn recv_request(&self) -> Result<Started> {
        let _entered = self.hub.enter();
        let socket = self.rep()?;
        // A request already queued is taken without building a pending operation.
        match socket.try_recv_request() {
            Ok(Some((to, message))) => {
                return Ok(Started::Ready(Outcome::Request(
                    self.owed.insert(to),
                    message,
                )))
            }
            Ok(None) => {}
            Err(e) => return Err(js_error::throw(self.hub.env(), &e)),
        }
        let socket = socket.clone();
        let owed = self.owed.clone();
        self.finish(op::start(&self.hub, async move {
            match socket.recv_request().await {
                Ok((to, message)) => Outcome::Request(owed.insert(to), message),
                Err(e) => Outcome::Failed(e),
            }
        }))
    }

    /// REP: answers the request `token` came with. Unknown tokens (already answered or forgotten)
    /// are ignored, like a reply to a peer that has gone away.
    #[napi(catch_unwind)]
    pub fn reply(&self, token: u32, message: Unknown<'_>) -> Result<Started> {
        let _entered = self.hub.enter();
        let socket = self.rep()?.clone();
        let message = self.message(&message)?;
        let Some(to) = self.owed.take(token) else {
            return Ok(Started::Ready(Outcome::Done));
        };
        self.finish(op::start(&self.hub, async move {
            socket.reply(to, message).await.into()
        }))
    }

    /// REP: drops a request that will not be answered (its handler failed).
    #[napi(catch_unwind)]
    pub fn forget(&self, token: u32) {
        self.owed.take(token);
    }

    /// Idempotent; pending operations settle with `EAGAIN`.
    #[napi(catch_unwind)]
    pub fn close(&self) {
        let _entered = self.hub.enter();
        self.hub.unregister(self.key);
        self.engine.close();
    }

    #[napi(getter, catch_unwind)]
    pub fn closed(&self) -> bool {
        self.engine.is_closed()
    }

    #[napi(getter, catch_unwind)]
    pub fn last_endpoint(&self) -> Option<String> {
        self.engine.last_endpoint()
    }

    /// Replaces the whole option set (the JS layer passes all current values).
    #[napi(catch_unwind)]
    pub fn set_options(&self, options: JsOptions) {
        let _entered = self.hub.enter();
        self.engine.set_options(options.to_engine());
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        // Runs in a GC finalizer or at env teardown (an `extern "C"` context): contain panics.
        // An unreachable socket can have no pending JS operation (the JS layer keeps sockets with
        // pending operations reachable), so nothing is waiting for what it still had queued.
        let _ = catch_unwind(AssertUnwindSafe(|| {
            self.hub.unregister(self.key);
            self.engine.close();
        }));
    }
}

//! The native socket class: one engine socket of any type, driven from the JS layer (`lib/`); its
//! type-specific half is a [`Pattern`] (see `pattern.rs`).
//!
//! Async operations return either their result (finished on the calling thread) or a pending op
//! id (a number) settled later through the hub's executor; see `executor.rs`. Errors of the sync part are thrown
//! as JS errors with `.code`; the JS layer turns throws into rejections.

use crate::authenticate::{AuthRequest, JsAuthenticator};
use crate::events::{EventArgs, JsEventSink};
use crate::executor::Started;
use crate::hub::{Hub, HubShared};
use crate::options::JsOptions;
use crate::outcome::Outcome;
use crate::pattern::{self, Pattern};
use crate::{js_error, liveness, message};
use napi::bindgen_prelude::{Buffer, Function, Unknown};
use napi::{sys, Error, Result, Status};
use napi_derive::napi;
use std::collections::HashMap;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use zeromq_napi_engine::{
    start_proxy, AuthenticatorHook, Error as EngineError, ProxyControl, ProxyStop, RepSocket,
    ReplyTo, ReqSocket, SocketHandle, SubSocket, TrySend,
};

/// `request()` timeout meaning "no limit": far enough to never fire, small enough that adding it to
/// `Instant::now()` cannot overflow.
const NO_LIMIT: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// A spawned proxy's forwarding, stopped when the operation waiting for it is dropped
/// (cancelled, on the JS thread): dropping `_stop` frees the sockets right there, before the
/// cancelled `run()` settles, while tokio drops the aborted task whenever a worker gets to it.
struct AbortOnDrop {
    task: tokio::task::JoinHandle<()>,
    _stop: ProxyStop,
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.task.abort();
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
    handle: SocketHandle,
    pattern: Box<dyn Pattern>,
    hub: Arc<HubShared>,
    key: u64,
    owed: Arc<Owed>,
    /// Set by `watchEvents`; dropped on close (see `events.rs`).
    events: Mutex<Option<Arc<JsEventSink>>>,
    /// The latest proxy this socket is the frontend of, for `pauseProxy`.
    proxy: Mutex<Option<ProxyControl>>,
}

impl Socket {
    fn env(&self) -> sys::napi_env {
        self.hub.env().get()
    }

    /// Throws engine errors of an operation that finished on the spot.
    fn finish(&self, started: Started) -> Result<Started> {
        match started {
            Started::Ready(Outcome::Failed(e)) => Err(js_error::throw(self.env(), &e)),
            Started::Ready(Outcome::Panicked(why)) => Err(js_error::throw_internal(
                self.env(),
                &format!("internal error in zeromq-napi (please report): {why}"),
            )),
            other => Ok(other),
        }
    }

    /// Runs `fut` as an operation of this environment (see `executor.rs`); throws what fails at once.
    fn start(&self, fut: impl Future<Output = Outcome> + Send + 'static) -> Result<Started> {
        self.finish(self.hub.executor().start_for(Some(self.key), fut))
    }

    /// The message `value`, borrowing its JS memory for as long as `value` is borrowed (see
    /// [`message::CallMessage`]).
    fn message<'a>(&self, value: &'a Unknown<'_>) -> Result<message::CallMessage<'a>> {
        // SAFETY: called from a `#[napi]` method: the hub's env is this call's env, on its thread,
        // and `value` is an argument of this call.
        unsafe { message::from_js(self.env(), value) }.map_err(|e| match e.status {
            Status::InvalidArg => js_error::throw_type_error(self.env(), &e.reason),
            _ => e,
        })
    }

    /// The engine socket as type `T`, for the methods of one type.
    fn as_type<T: 'static>(&self, name: &str) -> Result<&T> {
        self.pattern
            .as_any()
            .downcast_ref::<T>()
            .ok_or_else(|| Error::new(Status::InvalidArg, format!("not a {name} socket")))
    }

    fn rep(&self) -> Result<&RepSocket> {
        self.as_type("REP")
    }
}

#[napi]
impl Socket {
    /// `kind` is `"req"`, `"rep"`, `"dealer"`, `"router"`, `"pub"`, `"sub"`, `"xpub"`, `"xsub"`,
    /// `"push"`, `"pull"` or `"pair"`.
    #[napi(constructor, catch_unwind)]
    pub fn new(hub: &Hub, kind: String, options: JsOptions) -> Result<Socket> {
        liveness::check(hub)?;
        let shared = hub.shared().clone();
        let runtime = shared.executor().runtime();
        let options = options.into_engine();
        let Some(pattern) = pattern::kind(&kind, runtime, options) else {
            return Err(Error::new(
                Status::InvalidArg,
                format!("unknown socket kind {kind:?}"),
            ));
        };
        let handle = pattern.handle().clone();
        if let Some(driver) = shared.read_driver() {
            handle.set_read_driver(driver);
        }
        let key = shared.register(handle.clone());
        Ok(Socket {
            handle,
            pattern,
            hub: shared,
            key,
            owed: Arc::new(Owed::default()),
            events: Mutex::new(None),
            proxy: Mutex::new(None),
        })
    }

    /// Resolves to the resolved endpoint string.
    #[napi(catch_unwind)]
    pub fn bind(&self, endpoint: String) -> Result<Started> {
        liveness::check(self)?;
        let handle = self.handle.clone();
        self.start(async move { handle.bind(&endpoint).await.into() })
    }

    #[napi(catch_unwind)]
    pub fn unbind(&self, endpoint: String) -> Result<Started> {
        liveness::check(self)?;
        let handle = self.handle.clone();
        self.start(async move { handle.unbind(&endpoint).await.into() })
    }

    /// Validates and registers the connect; it starts at `release_connects`, which the JS layer
    /// calls when the caller's synchronous run ends (events read in that run see it all).
    #[napi(catch_unwind)]
    pub fn connect(&self, endpoint: String) -> Result<()> {
        liveness::check(self)?;
        self.handle
            .connect_later(&endpoint)
            .map_err(|e| js_error::throw(self.env(), &e))
    }

    #[napi(catch_unwind)]
    pub fn release_connects(&self) {
        if liveness::is_live(self) {
            self.handle.release_connects();
        }
    }

    #[napi(catch_unwind)]
    pub fn disconnect(&self, endpoint: String) -> Result<()> {
        liveness::check(self)?;
        self.handle
            .disconnect(&endpoint)
            .map_err(|e| js_error::throw(self.env(), &e))
    }

    /// `message`: one frame (string, binary, null) or an array of them. `burst`: this is a later
    /// send of the caller's event-loop turn (see `SocketHandle::batch_sends`).
    #[napi(catch_unwind)]
    pub fn send(&self, message: Unknown<'_>, burst: Option<bool>) -> Result<Started> {
        liveness::check(self)?;
        let message = self.message(&message)?;
        let burst = burst.unwrap_or(false);
        self.handle.batch_sends(burst);
        let sent = self.pattern.try_send(&message.frames());
        if burst {
            self.handle.batch_sends(false);
        }
        match sent {
            Ok(TrySend::Sent) => Ok(Started::Ready(Outcome::Done)),
            Ok(TrySend::Wait) => {
                // It has to wait for a peer: the bytes are taken now.
                let sending = self.pattern.send(message.owned());
                // The first poll can already fail (a zero timeout): thrown like any other error.
                self.start(async move { sending.await.into() })
            }
            Err(e) => Err(js_error::throw(self.env(), &e)),
        }
    }

    /// The end of this event-loop turn's burst of sends: writes what they left (see
    /// `SocketHandle::flush_sends`).
    #[napi(catch_unwind)]
    pub fn flush_sends(&self) {
        if liveness::is_live(self) {
            self.handle.flush_sends();
        }
    }

    /// Resolves to `Buffer[]`.
    #[napi(catch_unwind)]
    pub fn recv(&self) -> Result<Started> {
        liveness::check(self)?;
        match self.pattern.try_recv() {
            Ok(Some(message)) => Ok(Started::Ready(Outcome::Message(message))),
            Ok(None) => {
                let receiving = self.pattern.recv();
                // As in `send`: a zero receive timeout fails on the first poll.
                self.start(async move { receiving.await.into() })
            }
            Err(e) => Err(js_error::throw(self.env(), &e)),
        }
    }

    /// REQ: send + receive with retries. `timeout_ms`: `undefined` = the socket's receive timeout,
    /// negative = no limit. The JS layer calls this for one request at a time, in call order
    /// (`lib/request.js`), so the engine's own request queue never has to wait.
    #[napi(catch_unwind)]
    pub fn request(
        &self,
        message: Unknown<'_>,
        timeout_ms: Option<i64>,
        retries: u32,
    ) -> Result<Started> {
        liveness::check(self)?;
        let socket: &ReqSocket = self.as_type("REQ")?;
        let message = self.message(&message)?;
        let unlimited = match timeout_ms {
            Some(ms) => ms < 0,
            None => socket.options().receive_timeout < 0,
        };
        let timeout =
            timeout_ms.map(|ms| u64::try_from(ms).map_or(NO_LIMIT, Duration::from_millis));
        let message = if retries == 0 {
            // Nothing to resend: when the send needs no waiting this is a send on the spot (the
            // bytes written or copied before this returns) plus a reply wait, without `request`'s
            // queue (and, with no limit, its timers).
            match socket.try_send_request(&message.frames()) {
                Ok(TrySend::Sent) => {
                    let socket = socket.clone();
                    return self.start(async move {
                        if unlimited {
                            socket.await_reply().await.into()
                        } else {
                            socket.await_reply_within(timeout).await.into()
                        }
                    });
                }
                Ok(TrySend::Wait) => message.owned(),
                Err(e) => return Err(js_error::throw(self.env(), &e)),
            }
        } else {
            // Resends keep the message: the bytes are taken now.
            message.owned()
        };
        let socket = socket.clone();
        self.start(async move { socket.request(message, timeout, retries).await.into() })
    }

    /// REP: takes one request outside the send/receive alternation; resolves to `[token, Buffer[]]`.
    #[napi(catch_unwind)]
    pub fn recv_request(&self) -> Result<Started> {
        liveness::check(self)?;
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
            Err(e) => return Err(js_error::throw(self.env(), &e)),
        }
        let socket = socket.clone();
        let owed = self.owed.clone();
        self.start(async move {
            match socket.recv_request().await {
                Ok((to, message)) => Outcome::Request(owed.insert(to), message),
                Err(e) => Outcome::Failed(e),
            }
        })
    }

    /// REP: answers the request `token` came with. Unknown tokens (already answered or forgotten)
    /// are ignored, like a reply to a peer that has gone away.
    #[napi(catch_unwind)]
    pub fn reply(&self, token: u32, message: Unknown<'_>) -> Result<Started> {
        liveness::check(self)?;
        let socket = self.rep()?;
        let message = self.message(&message)?;
        let Some(to) = self.owed.take(token) else {
            return Ok(Started::Ready(Outcome::Done));
        };
        // A reply never waits: done (written or copied) before this returns.
        match socket.try_reply(to, &message.frames()) {
            Ok(()) => Ok(Started::Ready(Outcome::Done)),
            Err(e) => Err(js_error::throw(self.env(), &e)),
        }
    }

    /// REP: drops a request that will not be answered (its handler failed).
    #[napi(catch_unwind)]
    pub fn forget(&self, token: u32) {
        if !liveness::is_live(self) {
            return;
        }
        self.owed.take(token);
    }

    /// SUB: `on` = subscribe to `prefix`, otherwise undo one subscribe of it.
    #[napi(catch_unwind)]
    pub fn subscribe(&self, prefix: Buffer, on: bool) -> Result<()> {
        liveness::check(self)?;
        let socket: &SubSocket = self.as_type("SUB")?;
        let done = if on {
            socket.subscribe(&prefix)
        } else {
            socket.unsubscribe(&prefix)
        };
        done.map_err(|e| js_error::throw(self.env(), &e))
    }

    /// Proxy ends (DEALER/ROUTER, XSUB/XPUB, PULL/PUSH): forwards between this socket and `other` inside the engine until either
    /// closes or the operation is cancelled (`terminate()`, a signal); resolves with nothing.
    /// Where messages are read on the JS thread the proxy is polled there too, right after each
    /// read (no thread hop per message); elsewhere it runs as a task on the engine's runtime.
    #[napi(catch_unwind)]
    pub fn proxy(&self, other: &Socket) -> Result<Started> {
        liveness::check(self)?;
        liveness::check(other)?;
        let (Some(frontend), Some(backend)) = (self.pattern.proxy_end(), other.pattern.proxy_end())
        else {
            return Err(js_error::throw_type_error(
                self.env(),
                "a Proxy joins Router/Dealer, XSubscriber/XPublisher or Pull/Push sockets",
            ));
        };
        // Started here, on the JS thread: the sockets are the proxy's before `proxy()` returns.
        let (stop, forwarding) = match start_proxy(frontend, backend) {
            Ok(started) => started,
            Err(e) => return self.start(async move { Err::<(), EngineError>(e).into() }),
        };
        *self.proxy.lock().unwrap_or_else(|p| p.into_inner()) = Some(stop.control());
        if self.hub.read_driver().is_some() {
            // Polled right after each read on the JS thread (see above): no task to hop to.
            return self.start(async move {
                let _stop = stop;
                forwarding.await;
                Outcome::Done
            });
        }
        let task = AbortOnDrop {
            task: self.hub.executor().runtime().spawn(forwarding),
            _stop: stop,
        };
        // Ends when the forwarding does (a socket closed); `task` and its hold are dropped before
        // the outcome settles, so the other socket is free once `run()` resolves. Aborted only by
        // dropping this future, so nobody waits for the outcome of an aborted task.
        self.start(async move {
            let mut task = task;
            let _ = (&mut task.task).await;
            drop(task);
            Outcome::Done
        })
    }

    /// Pauses (`true`) or resumes the proxy this socket is the frontend of (`proxy()`); a no-op
    /// when none was started.
    #[napi(catch_unwind)]
    pub fn pause_proxy(&self, paused: bool) -> Result<()> {
        liveness::check(self)?;
        if let Some(control) = &*self.proxy.lock().unwrap_or_else(|p| p.into_inner()) {
            if paused {
                control.pause();
            } else {
                control.resume();
            }
        }
        Ok(())
    }

    /// Idempotent; pending operations settle with `EAGAIN`.
    #[napi(catch_unwind)]
    pub fn close(&self) {
        if !liveness::is_live(self) {
            return;
        }
        self.hub.unregister(self.key);
        self.handle.close();
        // The engine reported the socket's last events in `close`; the queue still delivers them.
        drop(self.events.lock().unwrap_or_else(|p| p.into_inner()).take());
    }

    #[napi(getter, catch_unwind)]
    pub fn closed(&self) -> bool {
        if !liveness::is_live(self) {
            return true;
        }
        self.handle.is_closed()
    }

    #[napi(getter, catch_unwind)]
    pub fn last_endpoint(&self) -> Option<String> {
        if !liveness::is_live(self) {
            return None;
        }
        self.handle.last_endpoint()
    }

    /// zeromq.js's `readable`: a receive would finish at once.
    #[napi(getter)]
    pub fn readable(&self) -> bool {
        liveness::is_live(self)
            && !self.handle.is_closed()
            && crate::pattern::readable(self.pattern.as_ref())
    }

    /// zeromq.js's `writable`: a send would be taken at once.
    #[napi(getter)]
    pub fn writable(&self) -> bool {
        liveness::is_live(self)
            && !self.handle.is_closed()
            && crate::pattern::writable(self.pattern.as_ref())
    }

    /// Reports this socket's events from now on: `callback(name, address, errorCode, errorMessage,
    /// intervalMs)` on this thread (see `events.rs`). Called once, when `sock.events` is first read.
    #[napi(catch_unwind)]
    pub fn watch_events(&self, callback: Function<'_, EventArgs, ()>) -> Result<()> {
        liveness::check(self)?;
        if self.handle.is_closed() {
            return Ok(());
        }
        let sink = Arc::new(JsEventSink::new(self.hub.env(), callback)?);
        self.handle.set_event_sink(sink.clone());
        *self.events.lock().unwrap_or_else(|p| p.into_inner()) = Some(sink);
        Ok(())
    }

    /// Whether the socket's events keep the process alive (the JS layer: while it has listeners).
    #[napi(catch_unwind)]
    pub fn keep_events_alive(&self, on: bool) {
        if !liveness::is_live(self) {
            return;
        }
        if let Some(sink) = &*self.events.lock().unwrap_or_else(|p| p.into_inner()) {
            sink.keep_alive(on);
        }
    }

    /// Called by the JS layer right after construction, once the object has its final address
    /// (see `liveness.rs`): until then every method throws `EBADF`.
    #[napi(catch_unwind)]
    pub fn adopt(&self) {
        liveness::adopt(self);
    }

    /// Replaces the whole option set (the JS layer passes all current values).
    #[napi(catch_unwind)]
    pub fn set_options(&self, options: JsOptions) {
        if !liveness::is_live(self) {
            return;
        }
        let mut options = options.into_engine();
        options.authenticate = self.handle.options().authenticate;
        self.handle.set_options(options);
    }

    /// The `authenticate` option: `callback(request)` on this thread for each new connection's
    /// peer, answered through `authDecision` (see `authenticate.rs`); `null` accepts every peer.
    #[napi(catch_unwind)]
    pub fn set_authenticator(&self, callback: Option<Function<'_, AuthRequest, ()>>) -> Result<()> {
        if !liveness::is_live(self) {
            return Ok(());
        }
        let hook = match callback {
            Some(f) => Some(AuthenticatorHook(Arc::new(JsAuthenticator::new(f)?))),
            None => None,
        };
        let mut options = self.handle.options();
        options.authenticate = hook;
        self.handle.set_options(options);
        Ok(())
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        // Runs in a GC finalizer or at env teardown (an `extern "C"` context): contain panics.
        // On Node an unreachable socket has no pending JS operation (the JS layer keeps sockets
        // with pending operations reachable); Deno may finalize reachable ones (`liveness.rs`).
        let _ = catch_unwind(AssertUnwindSafe(|| {
            liveness::release(self);
            // Settling them would resume JS code that calls this socket again (see
            // `Executor::drop_owned_by`); a runtime that finalizes what JS can still reach lets it.
            self.hub.executor().drop_owned_by(self.key);
            self.hub.unregister(self.key);
            self.handle.close();
        }));
    }
}

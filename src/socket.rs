//! The native socket: one engine socket of any type, driven from the JS layer (`lib/`); its
//! type-specific half is a [`Pattern`] (see `pattern.rs`).
//!
//! JavaScript does not hold it: it holds the socket's id in its environment's registry
//! (`liveness.rs`), and each native function (`socket_*`, generated below from the methods'
//! list) looks the id up and calls the method on a live socket, or throws `EBADF`.
//!
//! Async operations return either their result (finished on the calling thread) or a pending op
//! id (a number) settled later through the hub's executor; see `executor.rs`. Errors of the sync part are thrown
//! as JS errors with `.code`; the JS layer turns throws into rejections.

use crate::authenticate::{AuthRequest, JsAuthenticator};
use crate::events::{EventArgs, JsEventSink};
use crate::executor::{Executor, Started};
use crate::heap_trim::BacklogWatch;
use crate::hub::Hub;
use crate::options::JsOptions;
use crate::outcome::Outcome;
use crate::pattern::{self, Pattern};
use crate::{js_error, message};
use napi::bindgen_prelude::{Buffer, Function, Unknown};
use napi::{Env, Error, Result, Status};
use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use zeromq_napi_engine::{
    lock, start_proxy, AuthenticatorHook, Error as EngineError, FrameRef, Message, ProxyControl,
    ProxyStop, RepSocket, ReplyTo, ReqSocket, SocketHandle, SubSocket, TrySend,
};

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
        let mut map = lock(&self.map);
        let mut token = self.next.fetch_add(1, Ordering::Relaxed);
        while map.contains_key(&token) {
            token = self.next.fetch_add(1, Ordering::Relaxed);
        }
        map.insert(token, to);
        token
    }

    fn take(&self, token: u32) -> Option<ReplyTo> {
        lock(&self.map).remove(&token)
    }
}

pub(crate) struct Socket {
    /// The environment the socket belongs to (a socket is only reached from it, see `Hub`).
    env: Env,
    /// Its id in the hub's registry; also the owner of its pending operations.
    id: u64,
    handle: SocketHandle,
    pattern: Box<dyn Pattern>,
    executor: Arc<Executor>,
    /// Whether connections are read on the JS thread (the proxy is then polled there too).
    reads_on_js_thread: bool,
    owed: Arc<Owed>,
    /// Set by `watchEvents`; dropped on close (see `events.rs`).
    events: RefCell<Option<Arc<JsEventSink>>>,
    /// The latest proxy this socket is the frontend of, for `pauseProxy`.
    proxy: RefCell<Option<ProxyControl>>,
    /// Its receive backlogs, after which free malloc memory goes back (`heap_trim.rs`).
    backlog: BacklogWatch,
}

impl Socket {
    fn env(&self) -> &Env {
        &self.env
    }

    pub(crate) fn handle(&self) -> &SocketHandle {
        &self.handle
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
        self.finish(self.executor.start_for(&self.env, Some(self.id), fut))
    }

    /// The message `value`, borrowing its JS memory for as long as `value` is borrowed (see
    /// [`message::CallMessage`]).
    fn message<'a>(&self, value: &'a Unknown<'_>) -> Result<message::CallMessage<'a>> {
        // SAFETY: called from a native function of this socket's env, on its thread, and `value`
        // is an argument of this call (so the message's borrow of it ends before the call returns).
        unsafe { message::from_js(self.env.raw(), value) }.map_err(|e| match e.status {
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

impl Socket {
    /// `kind` is `"req"`, `"rep"`, `"dealer"`, `"router"`, `"pub"`, `"sub"`, `"xpub"`, `"xsub"`,
    /// `"push"`, `"pull"` or `"pair"`. Registers the socket in its environment; its id.
    pub(crate) fn open(env: Env, kind: &str, options: JsOptions) -> Result<u64> {
        let hub = Hub::of(&env)?;
        let executor = hub.executor().clone();
        let options = options.into_engine();
        let Some(pattern) = pattern::kind(kind, executor.runtime(), options) else {
            return Err(Error::new(
                Status::InvalidArg,
                format!("unknown socket kind {kind:?}"),
            ));
        };
        let handle = pattern.handle().clone();
        if let Some(reader) = hub.reader() {
            handle.set_read_driver(reader.driver());
        }
        let id = hub.sockets().fresh_id();
        let socket = Socket {
            env,
            id,
            handle,
            pattern,
            executor,
            reads_on_js_thread: hub.reads_on_js_thread(),
            owed: Arc::new(Owed::default()),
            events: RefCell::new(None),
            proxy: RefCell::new(None),
            backlog: BacklogWatch::default(),
        };
        hub.sockets().insert(id, socket);
        Ok(id)
    }

    /// Resolves to the resolved endpoint string.
    pub(crate) fn bind(&self, endpoint: String) -> Result<Started> {
        let handle = self.handle.clone();
        self.start(async move { handle.bind(&endpoint).await.into() })
    }

    pub(crate) fn unbind(&self, endpoint: String) -> Result<Started> {
        let handle = self.handle.clone();
        self.start(async move { handle.unbind(&endpoint).await.into() })
    }

    /// Validates and registers the connect; it starts at `release_connects`, which the JS layer
    /// calls when the caller's synchronous run ends (events read in that run see it all).
    pub(crate) fn connect(&self, endpoint: String) -> Result<()> {
        self.handle
            .connect_later(&endpoint)
            .map_err(|e| js_error::throw(self.env(), &e))
    }

    pub(crate) fn release_connects(&self) {
        self.handle.release_connects();
    }

    pub(crate) fn disconnect(&self, endpoint: String) -> Result<()> {
        self.handle
            .disconnect(&endpoint)
            .map_err(|e| js_error::throw(self.env(), &e))
    }

    /// `message`: one frame (string, binary, null) or an array of them. `burst`: this is a later
    /// send of the caller's event-loop turn (see `SocketHandle::batch_sends`).
    pub(crate) fn send(&self, message: Unknown<'_>, burst: bool) -> Result<Started> {
        let message = self.message(&message)?;
        self.send_frames(&message.frames(), burst)
    }

    /// [`Socket::send`] of the `count` frames the JS layer packed into the send slab (see
    /// `SendSlab`).
    pub(crate) fn send_packed(&self, count: u32, burst: bool) -> Result<Started> {
        let hub = Hub::of(self.env())?;
        self.send_frames(&packed(hub, count)?, burst)
    }

    /// Sends `frames`, which borrow JS memory for this call only.
    fn send_frames(&self, frames: &[FrameRef<'_>], burst: bool) -> Result<Started> {
        self.handle.batch_sends(burst);
        let sent = self.pattern.try_send(frames);
        if burst {
            self.handle.batch_sends(false);
        }
        match sent {
            Ok(TrySend::Sent) => Ok(Started::Ready(Outcome::Done)),
            Ok(TrySend::Wait) => {
                // It has to wait for a peer: the bytes are taken now.
                let sending = self
                    .pattern
                    .send(zeromq_napi_engine::wire::frame_ref::keep(frames));
                // The first poll can already fail (a zero timeout): thrown like any other error.
                self.start(async move { sending.await.into() })
            }
            Err(e) => Err(js_error::throw(self.env(), &e)),
        }
    }

    /// The end of this event-loop turn's burst of sends: writes what they left (see
    /// `SocketHandle::flush_sends`).
    pub(crate) fn flush_sends(&self) {
        self.handle.flush_sends();
    }

    /// How many sends in a row the engine would take now without waiting (`Pattern::send_room`),
    /// as a JS number (`u32::MAX`: any number).
    pub(crate) fn send_room(&self) -> u32 {
        u32::try_from(self.pattern.send_room()).unwrap_or(u32::MAX)
    }

    /// Sends, in order, the messages the JS layer accepted within `send_room` during this turn
    /// (`lib/send-queue.js`), as later sends of one burst, and writes the burst. `bytes`: their
    /// frames back to back; `layout`: 32-bit words, per message its frame count then each
    /// frame's length.
    ///
    /// Each was accepted when its `send()` resolved: a message the engine cannot take now after
    /// all (its peer died since) waits for room in the background, the rest behind it in order,
    /// as the waiting send of an accepted message does.
    pub(crate) fn send_many(&self, bytes: &[u8], layout: &[u32]) -> Result<()> {
        let mut words = layout.iter().map(|&w| w as usize);
        let mut at = 0usize;
        let mut frames: Vec<FrameRef<'_>> = Vec::new();
        let mut waiting: Vec<Message> = Vec::new();
        self.handle.batch_sends(true);
        while let Some(count) = words.next() {
            frames.clear();
            for _ in 0..count {
                let len = words.next().unwrap_or(0);
                let frame = bytes.get(at..at.saturating_add(len)).ok_or_else(|| {
                    Error::new(Status::InvalidArg, "sendMany: layout past its bytes")
                })?;
                frames.push(FrameRef::Lent(frame));
                at += len;
            }
            if !waiting.is_empty() {
                waiting.push(zeromq_napi_engine::wire::frame_ref::keep(&frames));
                continue;
            }
            match self.pattern.try_send(&frames) {
                Ok(TrySend::Sent) => {}
                Ok(TrySend::Wait) => {
                    waiting.push(zeromq_napi_engine::wire::frame_ref::keep(&frames))
                }
                // Accepted, then the socket refused it (it closed under it): lost as a queued
                // message of a closing socket is.
                Err(_) => {}
            }
        }
        self.handle.batch_sends(false);
        self.handle.flush_sends();
        if !waiting.is_empty() {
            self.send_in_background(waiting);
        }
        Ok(())
    }

    /// Sends `messages` in order, each waiting for room as a waiting `send()` does; nobody waits
    /// for the outcome (their `send()`s resolved already).
    fn send_in_background(&self, messages: Vec<Message>) {
        let sends: Vec<_> = messages.into_iter().map(|m| self.pattern.send(m)).collect();
        let _ = self
            .executor
            .start_for(&self.env, Some(self.id), async move {
                for send in sends {
                    if send.await.is_err() {
                        break;
                    }
                }
                Outcome::Done
            });
    }

    /// Resolves to `Buffer[]`, or to `Buffer[][]` when several messages were queued (a batch,
    /// `src/batch.rs`: the JS layer has read everything the previous one gave it).
    pub(crate) fn recv(&self) -> Result<Started> {
        let taken = self.pattern.try_recv_many(crate::batch::MAX);
        if let Ok(batch) = &taken {
            self.backlog.received(batch.len(), crate::batch::MAX);
        }
        match taken {
            Ok(batch) if !batch.is_empty() => Ok(Started::Ready(Outcome::batch(batch))),
            Ok(_) => {
                let receiving = self.pattern.recv_many(crate::batch::MAX);
                // As in `send`: a zero receive timeout fails on the first poll.
                self.start(async move { receiving.await.into() })
            }
            Err(e) => Err(js_error::throw(self.env(), &e)),
        }
    }

    /// REQ: send + receive with retries, through the engine's one request queue
    /// ([`ReqSocket::request`], which sends on the spot from the JS memory when it may).
    /// `timeout_ms`: `undefined` = the socket's receive timeout, negative = no limit.
    pub(crate) fn request(
        &self,
        message: Unknown<'_>,
        timeout_ms: Option<i64>,
        retries: u32,
    ) -> Result<Started> {
        let message = self.message(&message)?;
        self.request_frames(&message.frames(), timeout_ms, retries)
    }

    /// [`Socket::request`] of the `count` frames the JS layer packed into the send slab.
    pub(crate) fn request_packed(
        &self,
        count: u32,
        timeout_ms: Option<i64>,
        retries: u32,
    ) -> Result<Started> {
        let hub = Hub::of(self.env())?;
        self.request_frames(&packed(hub, count)?, timeout_ms, retries)
    }

    fn request_frames(
        &self,
        frames: &[FrameRef<'_>],
        timeout_ms: Option<i64>,
        retries: u32,
    ) -> Result<Started> {
        let socket: &ReqSocket = self.as_type("REQ")?;
        // Beyond any `Instant`: no deadline, so no timer either.
        let timeout =
            timeout_ms.map(|ms| u64::try_from(ms).map_or(Duration::MAX, Duration::from_millis));
        let requesting = socket.request(frames, timeout, retries);
        self.start(async move { requesting.await.into() })
    }

    /// REP: takes one request outside the send/receive alternation; resolves to `[token, Buffer[]]`.
    pub(crate) fn recv_request(&self) -> Result<Started> {
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
    pub(crate) fn reply(&self, token: u32, message: Unknown<'_>) -> Result<Started> {
        let message = self.message(&message)?;
        self.reply_frames(token, &message.frames())
    }

    /// [`Socket::reply`] with the `count` frames the JS layer packed into the send slab.
    pub(crate) fn reply_packed(&self, token: u32, count: u32) -> Result<Started> {
        let hub = Hub::of(self.env())?;
        self.reply_frames(token, &packed(hub, count)?)
    }

    fn reply_frames(&self, token: u32, frames: &[FrameRef<'_>]) -> Result<Started> {
        let socket = self.rep()?;
        let Some(to) = self.owed.take(token) else {
            return Ok(Started::Ready(Outcome::Done));
        };
        // A reply never waits: done (written or copied) before this returns.
        match socket.try_reply(to, frames) {
            Ok(()) => Ok(Started::Ready(Outcome::Done)),
            Err(e) => Err(js_error::throw(self.env(), &e)),
        }
    }

    /// REP: drops a request that will not be answered (its handler failed).
    pub(crate) fn forget(&self, token: u32) {
        self.owed.take(token);
    }

    /// SUB: `on` = subscribe to `prefix`, otherwise undo one subscribe of it.
    pub(crate) fn subscribe(&self, prefix: Buffer, on: bool) -> Result<()> {
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
    /// Where messages are read on the JS thread the proxy is polled there too, once after each
    /// event-loop turn's reads (no thread hop per message, one burst per turn); elsewhere it runs
    /// as a task on the engine's runtime.
    pub(crate) fn proxy(&self, other: &Socket) -> Result<Started> {
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
        *self.proxy.borrow_mut() = Some(stop.control());
        if self.reads_on_js_thread {
            // Polled on the JS thread after the reads of each event-loop turn (see above, and
            // `loop_end.rs`): no task to hop to, and what one turn brought goes out together.
            let started = self.start(async move {
                let _stop = stop;
                forwarding.await;
                Outcome::Done
            })?;
            if let Started::Pending(id) = started {
                self.executor.poll_at_loop_end(id);
            }
            return Ok(started);
        }
        let task = AbortOnDrop {
            task: self.executor.runtime().spawn(forwarding),
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
    pub(crate) fn pause_proxy(&self, paused: bool) -> Result<()> {
        if let Some(control) = &*self.proxy.borrow() {
            if paused {
                control.pause();
            } else {
                control.resume();
            }
        }
        Ok(())
    }

    /// Idempotent; pending operations settle with `EAGAIN`.
    pub(crate) fn close(&self) {
        self.handle.close();
        // The engine reported the socket's last events in `close`; the queue still delivers them.
        drop(self.events.borrow_mut().take());
    }

    pub(crate) fn closed(&self) -> bool {
        self.handle.is_closed()
    }

    pub(crate) fn last_endpoint(&self) -> Option<String> {
        self.handle.last_endpoint()
    }

    /// zeromq.js's `readable`: a receive would finish at once.
    pub(crate) fn readable(&self) -> bool {
        !self.handle.is_closed() && self.pattern.readable()
    }

    /// A message is queued, whether or not the state allows receiving it now.
    pub(crate) fn has_messages(&self) -> bool {
        !self.handle.is_closed() && self.handle.has_messages()
    }

    /// zeromq.js's `writable`: a send would be taken at once.
    pub(crate) fn writable(&self) -> bool {
        !self.handle.is_closed() && self.pattern.writable()
    }

    /// Reports this socket's events from now on: `callback(name, address, errorCode, errorMessage,
    /// intervalMs)` on this thread (see `events.rs`). Called once, when `sock.events` is first read.
    pub(crate) fn watch_events(&self, callback: Function<'_, EventArgs, ()>) -> Result<()> {
        if self.handle.is_closed() {
            return Ok(());
        }
        let sink = Arc::new(JsEventSink::new(callback)?);
        self.handle.set_event_sink(sink.clone());
        *self.events.borrow_mut() = Some(sink);
        Ok(())
    }

    /// Whether the socket's events keep the process alive (the JS layer: while it has listeners).
    pub(crate) fn keep_events_alive(&self, on: bool) {
        if let Some(sink) = &*self.events.borrow() {
            sink.keep_alive(&self.env, on);
        }
    }

    /// Replaces the whole option set (the JS layer passes all current values).
    pub(crate) fn set_options(&self, options: JsOptions) {
        let mut options = options.into_engine();
        options.authenticate = self.handle.options().authenticate;
        self.handle.set_options(options);
    }

    /// The `authenticate` option: `callback(request)` on this thread for each new connection's
    /// peer, answered through `authDecision` (see `authenticate.rs`); `null` accepts every peer.
    pub(crate) fn set_authenticator(
        &self,
        callback: Option<Function<'_, AuthRequest, ()>>,
    ) -> Result<()> {
        let hook = match callback {
            Some(f) => {
                let decisions = Hub::of(self.env())?.auth_decisions().clone();
                Some(AuthenticatorHook(Arc::new(JsAuthenticator::new(
                    f, decisions,
                )?)))
            }
            None => None,
        };
        let mut options = self.handle.options();
        options.authenticate = hook;
        self.handle.set_options(options);
        Ok(())
    }
}

/// The `count` frames the JS layer packed into `hub`'s send slab for this call (see `SendSlab`).
fn packed(hub: &Hub, count: u32) -> Result<Vec<FrameRef<'_>>> {
    hub.send_slab()
        .frames(count)
        .ok_or_else(|| Error::new(Status::InvalidArg, "packed frames past the send slab"))
}

impl Drop for Socket {
    fn drop(&mut self) {
        // Runs when the JS object holding the id was collected (`release`) or at env teardown,
        // inside napi callbacks (`extern "C"` contexts): contain panics.
        let _ = catch_unwind(AssertUnwindSafe(|| {
            // Settling them would wake JS code for a socket that is gone (see
            // `Executor::drop_owned_by`).
            self.executor.drop_owned_by(&self.env, self.id);
            self.handle.close();
        }));
    }
}

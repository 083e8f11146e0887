//! The machinery every socket type shares: options, endpoints (listeners and connectors), the table
//! of live peers with round-robin sending, the fair-queued inbound side, waiting with deadlines,
//! and close with linger. The socket types are thin layers on top; what one does when a peer
//! joins, sends or leaves it tells the core through [`TypeHooks`].

use crate::conn::connection::{LinkConfig, LinkSource, SocketLink};
use crate::conn::delivery::InboundQueue;
use crate::conn::driven::ReadDriver;
use crate::conn::peer::{Flush, Peer};
use crate::error::{Error, ErrorCode};
use crate::events::{EventError, EventKind, EventSink, Events, SocketEvent};
use crate::lock::lock;
use crate::net::endpoint::Endpoint;
use crate::net::transport::{self, Listener};
use crate::once_event::OnceEvent;
use crate::options::Options;
use crate::socket::inbound::{Inbound, Received};
use crate::socket::peer_table::PeerTable;
use crate::socket::{connector, listener};
use crate::time::{self, Timeout};
use crate::wire::frame_ref::{self, FrameRef};
use crate::wire::socket_type::SocketType;
use crate::wire::Message;
use bytes::Bytes;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use tokio::runtime::Handle;
use tokio::sync::Notify;
use tokio::time::Instant;

/// A bound endpoint: the listener is in a slot so `unbind`/`close` can drop it synchronously,
/// releasing the port at once even while the accept task has not run yet.
pub(crate) struct BoundEndpoint {
    requested: String,
    resolved: String,
    pub(crate) listener: Arc<Mutex<Option<Listener>>>,
    /// Fired on unbind: stops the accept loop and drops the connections it accepted.
    pub(crate) stop: Arc<OnceEvent>,
    ipc_path: Option<PathBuf>,
}

impl BoundEndpoint {
    fn release(&self) {
        self.stop.fire();
        if let Some(listener) = lock(&self.listener).take() {
            listener.close();
        }
        if let Some(path) = &self.ipc_path {
            transport::remove_ipc_file(path);
        }
    }
}

struct ConnectedEndpoint {
    requested: String,
    stop: Arc<OnceEvent>,
}

/// A connect validated and registered, not started yet (see [`SocketCore::connect_later`]).
struct HeldConnect {
    endpoint: Endpoint,
    stop: Arc<OnceEvent>,
    address: Arc<str>,
}

#[derive(Default)]
struct Endpoints {
    binds: Vec<BoundEndpoint>,
    connects: Vec<ConnectedEndpoint>,
}

/// What a socket's connections have queued to send and not handed to their writers yet (see
/// [`crate::SocketHandle::queued_output`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueuedOutput {
    /// Messages, rests of messages, and commands.
    pub items: usize,
    /// Their bytes (bodies; a command's whole frame).
    pub bytes: usize,
}

/// How a wait ended without its condition becoming true.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WaitError {
    TimedOut,
    Closed,
}

impl WaitError {
    pub(crate) fn into_error(self, what: &str) -> Error {
        match self {
            WaitError::TimedOut => Error::new(ErrorCode::Eagain, format!("{what} timed out")),
            WaitError::Closed => Error::new(
                ErrorCode::Eagain,
                format!("{what} cancelled: socket closed"),
            ),
        }
    }
}

/// What a socket type does beyond the shared core when a peer joins, sends something, or leaves
/// (PUB/XPUB keep each subscriber's subscriptions, SUB/XSUB filter and re-send theirs). Called
/// on whichever thread reads or registers the connection, never under the core's locks.
pub(crate) trait TypeHooks: Send + Sync {
    /// A peer's handshake is done and it is in the round-robin.
    fn joined(&self, _peer: &Arc<Peer>) {}

    /// A message arrived from `peer`: what to queue for `recv`, or None when it ends here.
    /// Runs again for a message given back by a full queue, unless `queue_bound` says there is
    /// none.
    fn arrived(&self, _peer: &Arc<Peer>, message: Message) -> Option<Message> {
        Some(message)
    }

    /// The per-peer bound on queued received messages, from `receive_hwm` (0 = none).
    fn queue_bound(&self, hwm: usize) -> usize {
        hwm
    }

    /// A peer left the round-robin.
    fn left(&self, _peer: &Arc<Peer>) {}

    /// The socket's options were replaced.
    fn options_changed(&self, _options: &Options) {}
}

pub(crate) struct SocketCore {
    pub(crate) kind: SocketType,
    pub(crate) handle: Handle,
    options: Mutex<Options>,
    pub(crate) closed: Arc<OnceEvent>,
    peers: Mutex<PeerTable>,
    /// A peer joined or got queue room: senders waiting for a peer re-check.
    pub(crate) out_changed: Notify,
    pub(crate) inbound: Inbound,
    endpoints: Mutex<Endpoints>,
    last_endpoint: Mutex<Option<String>>,
    next_routing_id: AtomicU32,
    /// Reads connections established from now on, instead of an engine task (see `driven`).
    read_driver: Mutex<Option<Arc<dyn ReadDriver>>>,
    /// Why the latest handshake failed, if one did: told to callers whose wait for a peer ends EAGAIN.
    last_handshake_failure: Mutex<Option<String>>,
    pub(crate) events: Arc<Events>,
    held_connects: Mutex<Vec<HeldConnect>>,
    hooks: OnceLock<Arc<dyn TypeHooks>>,
    /// `conflate`, read per received message: kept apart from the option lock.
    conflate: AtomicBool,
    /// The caller is sending a burst (see [`SocketCore::flush`]).
    batching: AtomicBool,
}

impl SocketCore {
    pub(crate) fn new(handle: &Handle, kind: SocketType, options: Options) -> Arc<SocketCore> {
        Arc::new(SocketCore {
            kind,
            handle: handle.clone(),
            options: Mutex::new(options),
            closed: Arc::new(OnceEvent::new()),
            peers: Mutex::new(PeerTable::default()),
            out_changed: Notify::new(),
            inbound: Inbound::default(),
            endpoints: Mutex::new(Endpoints::default()),
            last_endpoint: Mutex::new(None),
            next_routing_id: AtomicU32::new(random_u32()),
            read_driver: Mutex::new(None),
            last_handshake_failure: Mutex::new(None),
            events: Arc::default(),
            held_connects: Mutex::new(Vec::new()),
            hooks: OnceLock::new(),
            conflate: AtomicBool::new(false),
            batching: AtomicBool::new(false),
        })
        .with_conflate()
    }

    fn with_conflate(self: Arc<Self>) -> Arc<Self> {
        let conflate = self.option(|o| o.conflate);
        self.conflate.store(conflate, Ordering::Relaxed);
        self
    }

    /// The type's behaviour (see [`TypeHooks`]); set once, before any bind or connect.
    pub(crate) fn set_hooks(&self, hooks: Arc<dyn TypeHooks>) {
        hooks.options_changed(&self.options());
        let _ = self.hooks.set(hooks);
    }

    pub(crate) fn set_read_driver(&self, driver: Arc<dyn ReadDriver>) {
        *lock(&self.read_driver) = Some(driver);
    }

    /// Events from now on go to `sink` (until the socket's close has been reported).
    pub(crate) fn set_event_sink(&self, sink: Arc<dyn EventSink>) {
        if !self.is_closed() {
            self.events.set_sink(sink);
        }
    }

    pub(crate) fn options(&self) -> Options {
        lock(&self.options).clone()
    }

    pub(crate) fn set_options(&self, options: Options) {
        self.conflate.store(options.conflate, Ordering::Relaxed);
        if let Some(hooks) = self.hooks.get() {
            hooks.options_changed(&options);
        }
        *lock(&self.options) = options;
    }

    /// Reads one option value without cloning the whole set.
    pub(crate) fn option<T>(&self, read: impl FnOnce(&Options) -> T) -> T {
        read(&lock(&self.options))
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.is_fired()
    }

    /// EBADF once closed.
    pub(crate) fn check_open(&self) -> Result<(), Error> {
        if self.is_closed() {
            Err(Error::new(ErrorCode::Ebadf, "socket is closed"))
        } else {
            Ok(())
        }
    }

    /// `e` with the reason the latest handshake failed, when `e` is an EAGAIN that the failure
    /// may explain (a wait for a peer or a reply that never came, not one ended by close).
    pub(crate) fn explain(&self, mut e: Error) -> Error {
        if e.code == ErrorCode::Eagain && !self.is_closed() {
            if let Some(reason) = lock(&self.last_handshake_failure).as_ref() {
                e.message = format!("{}; the last handshake failed: {reason}", e.message);
            }
        }
        e
    }

    pub(crate) fn last_endpoint(&self) -> Option<String> {
        lock(&self.last_endpoint).clone()
    }

    /// A routing id for a peer that did not send one: 0x00 + 4 bytes, like libzmq.
    pub(crate) fn generate_routing_id(&self) -> Bytes {
        let n = self.next_routing_id.fetch_add(1, Ordering::Relaxed);
        let mut id = vec![0u8];
        id.extend_from_slice(&n.to_be_bytes());
        Bytes::from(id)
    }

    // ----- endpoints -----

    pub(crate) async fn bind(self: &Arc<Self>, address: &str) -> Result<String, Error> {
        self.check_open()?;
        let endpoint = Endpoint::parse(address)?;
        // tokio's listeners need the socket's runtime (reactor, resolver); run the bind there.
        let backlog = self.option(|o| o.backlog);
        let task = {
            let endpoint = endpoint.clone();
            let address = address.to_owned();
            self.handle
                .spawn(async move { transport::bind(&endpoint, &address, backlog).await })
        };
        let bound = task
            .await
            .map_err(|e| {
                Error::with_address(ErrorCode::Einval, format!("bind failed: {e}"), address)
            })
            .and_then(|bound| bound)
            .inspect_err(|e| {
                // As libzmq reports it (and so zeromq.js): the address without its transport.
                let bare = address.split_once("://").map_or(address, |(_, rest)| rest);
                self.events.emit(|| {
                    SocketEvent::new(EventKind::BindError, bare).with_error(EventError::call(e))
                })
            })?;
        let resolved = bound.resolved.clone();
        let entry = BoundEndpoint {
            requested: address.to_owned(),
            resolved: bound.resolved,
            listener: Arc::new(Mutex::new(Some(bound.listener))),
            stop: Arc::new(OnceEvent::new()),
            ipc_path: bound.ipc_path,
        };
        let (slot, stop) = (entry.listener.clone(), entry.stop.clone());
        {
            let mut endpoints = lock(&self.endpoints);
            if self.is_closed() {
                // Closed while binding: release what we just bound.
                entry.release();
                return Err(Error::new(ErrorCode::Ebadf, "socket is closed"));
            }
            endpoints.binds.push(entry);
        }
        *lock(&self.last_endpoint) = Some(resolved.clone());
        self.events
            .emit(|| SocketEvent::new(EventKind::Bind, &resolved));
        self.handle.spawn(listener::accept_loop(
            self.clone(),
            slot,
            stop,
            resolved.as_str().into(),
        ));
        Ok(resolved)
    }

    /// Unbinds by the string given to `bind` or by the resolved endpoint it returned.
    pub(crate) fn unbind(&self, address: &str) -> Result<(), Error> {
        self.check_open()?;
        // A malformed address or unknown transport is said as such, before "not bound".
        Endpoint::parse(address)?;
        let entry = {
            let mut endpoints = lock(&self.endpoints);
            let position = endpoints
                .binds
                .iter()
                .position(|b| b.resolved == address)
                .or_else(|| endpoints.binds.iter().position(|b| b.requested == address));
            position.map(|i| endpoints.binds.remove(i))
        };
        match entry {
            Some(entry) => {
                entry.release();
                self.remove_peers_of(&entry.stop);
                self.events
                    .emit(|| SocketEvent::new(EventKind::Close, &entry.resolved));
                Ok(())
            }
            // An address that could never have been bound says why (an unknown transport, or
            // ipc where the platform has none), as in libzmq; a well-formed one: not bound.
            None => Err(Endpoint::parse(address).err().unwrap_or_else(|| {
                Error::with_address(ErrorCode::Enoent, "endpoint is not bound", address)
            })),
        }
    }

    /// Whether a `connect` endpoint exists (libzmq makes a connect's pipe at once, so its POLLOUT
    /// does not wait for the connection).
    pub(crate) fn has_connects(&self) -> bool {
        !lock(&self.endpoints).connects.is_empty()
    }

    pub(crate) fn connect(self: &Arc<Self>, address: &str) -> Result<(), Error> {
        let held = self.connect_held(address)?;
        self.spawn_connector(held);
        Ok(())
    }

    /// Like `connect`, but the first attempt waits for [`SocketCore::release_connects`]: a caller
    /// on a JS thread releases them when its synchronous run ends, so that events asked for in
    /// that same run (`sock.connect(a); once(sock.events, 'handshake')`) see the whole
    /// connection, which on loopback can otherwise be up before the next line runs.
    pub(crate) fn connect_later(self: &Arc<Self>, address: &str) -> Result<(), Error> {
        let held = self.connect_held(address)?;
        lock(&self.held_connects).push(held);
        Ok(())
    }

    /// Starts every connect held by [`SocketCore::connect_later`].
    pub(crate) fn release_connects(self: &Arc<Self>) {
        let held = std::mem::take(&mut *lock(&self.held_connects));
        for connect in held {
            self.spawn_connector(connect);
        }
    }

    /// Validates and registers a connect (so `disconnect` finds it at once) without starting it.
    fn connect_held(&self, address: &str) -> Result<HeldConnect, Error> {
        self.check_open()?;
        let endpoint = Endpoint::parse_connect(address)?;
        let stop = Arc::new(OnceEvent::new());
        lock(&self.endpoints).connects.push(ConnectedEndpoint {
            requested: address.to_owned(),
            stop: stop.clone(),
        });
        Ok(HeldConnect {
            endpoint,
            stop,
            address: address.into(),
        })
    }

    fn spawn_connector(self: &Arc<Self>, held: HeldConnect) {
        // A disconnect or close meanwhile already fired `stop`: the connector ends at once.
        self.handle.spawn(connector::run(
            self.clone(),
            held.endpoint,
            held.stop,
            held.address,
        ));
    }

    pub(crate) fn disconnect(&self, address: &str) -> Result<(), Error> {
        self.check_open()?;
        Endpoint::parse(address)?;
        let entry = {
            let mut endpoints = lock(&self.endpoints);
            let position = endpoints
                .connects
                .iter()
                .position(|c| c.requested == address);
            position.map(|i| endpoints.connects.remove(i))
        };
        match entry {
            Some(entry) => {
                entry.stop.fire();
                // Out of the round-robin before returning: a send right after `disconnect` must
                // not pick a peer of this endpoint while its connection task has yet to notice.
                self.remove_peers_of(&entry.stop);
                self.events
                    .emit(|| SocketEvent::new(EventKind::Close, &entry.requested));
                Ok(())
            }
            // As for `unbind`: an address that could never have been connected says why.
            None => Err(Endpoint::parse_connect(address).err().unwrap_or_else(|| {
                Error::with_address(ErrorCode::Enoent, "endpoint is not connected", address)
            })),
        }
    }

    /// Idempotent. Pending waits end with EAGAIN; listeners are released now; connections with
    /// nothing queued to send are shut now, the others get `linger` to deliver their queues
    /// (handled by each connection's task; linger 0 shuts them all now).
    pub(crate) fn close(&self) {
        if !self.closed.fire() {
            return;
        }
        // After `closed`: `add_peer` checks it under the table's lock, so no peer joins after this.
        let peers: Vec<Arc<Peer>> = lock(&self.peers).peers().cloned().collect();
        let drop_queues = SocketLink::linger(self) == Timeout::After(std::time::Duration::ZERO);
        for peer in &peers {
            peer.end_unless_lingering(drop_queues);
        }
        lock(&self.held_connects).clear();
        let endpoints = std::mem::take(&mut *lock(&self.endpoints));
        for bound in &endpoints.binds {
            bound.release();
            self.events
                .emit(|| SocketEvent::new(EventKind::Close, &bound.resolved));
        }
        for connected in &endpoints.connects {
            connected.stop.fire();
            self.events
                .emit(|| SocketEvent::new(EventKind::Close, &connected.requested));
        }
        // The last event: what the closing connections do from now on is not reported.
        self.events.finish();
        self.inbound.clear();
        self.inbound.wake_all();
        self.out_changed.notify_waiters();
    }

    // ----- peers -----

    /// Registers a peer whose handshake is done, that came through the endpoint whose stop signal
    /// is `endpoint`. False if the socket is closed, the endpoint was removed meanwhile, or
    /// (ROUTER) the peer's identity is already taken: libzmq refuses such a second connection too.
    pub(crate) fn add_peer(&self, peer: &Arc<Peer>, endpoint: &Arc<OnceEvent>) -> bool {
        {
            let mut table = lock(&self.peers);
            // Checked under the table lock, which `remove_peers_of` takes after firing the signal:
            // either this sees the signal or that sees this peer.
            if self.is_closed() || endpoint.is_fired() {
                return false;
            }
            // Only ROUTER routes by identity; other types must not refuse, say, two servers that
            // happen to announce the same Identity.
            // PAIR talks to exactly one peer: a second connection is refused as libzmq does.
            if self.kind == SocketType::Pair && table.len() > 0 {
                return false;
            }
            if !table.add(peer, endpoint, self.kind == SocketType::Router) {
                return false;
            }
        }
        if let Some(hooks) = self.hooks.get() {
            hooks.joined(peer);
        }
        self.out_changed.notify_waiters();
        true
    }

    pub(crate) fn remove_peer(&self, peer: &Arc<Peer>) {
        peer.mark_dead();
        let removed = lock(&self.peers).remove(|m| Arc::ptr_eq(&m.peer, peer));
        self.tell_left(&removed);
        // A REQ waiting for this peer's reply must learn it will never come.
        self.inbound.wake_all();
    }

    fn tell_left(&self, removed: &[Arc<Peer>]) {
        if let Some(hooks) = self.hooks.get() {
            for peer in removed {
                hooks.left(peer);
            }
        }
    }

    /// Removes, now, every peer that came through the endpoint whose stop signal is `endpoint`
    /// (already fired). Their connection tasks end on that signal and remove them again: a no-op.
    fn remove_peers_of(&self, endpoint: &Arc<OnceEvent>) {
        let removed = lock(&self.peers).remove(|m| Arc::ptr_eq(&m.endpoint, endpoint));
        if removed.is_empty() {
            return;
        }
        for peer in &removed {
            peer.mark_dead();
        }
        self.tell_left(&removed);
        self.inbound.wake_all();
    }

    /// Marks the sends that follow as part of a burst (or not): see [`SocketCore::flush`].
    pub(crate) fn set_batching(&self, on: bool) {
        self.batching.store(on, Ordering::Relaxed);
    }

    /// Who writes a send to an idle connection: the sender at once, unless the caller said its
    /// sends come in a burst (a later send of the same event-loop turn): then it is left for
    /// [`SocketCore::flush_sends`] at the burst's end.
    pub(crate) fn flush(&self) -> Flush {
        if self.batching.load(Ordering::Relaxed) {
            Flush::Later
        } else {
            Flush::Now
        }
    }

    /// The end of a burst: writes, from the calling thread, what its sends left for later, one
    /// vectored write per connection.
    pub(crate) fn flush_sends(&self) {
        let mut freed_room = false;
        for peer in self.peers() {
            peer.flush();
            freed_room |= peer.take_room_freed();
        }
        if freed_room {
            self.out_changed.notify_waiters();
        }
    }

    /// How many messages round-robin sends would take now, all live peers' room together
    /// (`usize::MAX` when one has no high-water mark). A round-robin send skips full peers, so
    /// this many sends in a row are taken, unless a peer dies meanwhile.
    pub(crate) fn send_room(&self) -> usize {
        lock(&self.peers)
            .peers()
            .fold(0usize, |sum, peer| sum.saturating_add(peer.room()))
    }

    /// Round-robin: hands the message to the next live peer with queue room, skipping dead and
    /// full ones. None, having kept nothing, if none can take it now.
    pub(crate) fn try_send_round_robin(&self, message: &[FrameRef<'_>]) -> Option<Arc<Peer>> {
        // Outside the table's lock: asking the socket is a system call.
        let first = lock(&self.peers).next_in_turn();
        if let Some(peer) = first {
            match self.flush() {
                Flush::Now => peer.refresh(),
                Flush::Later => peer.refresh_in_burst(),
            }
        }
        lock(&self.peers).push_round_robin(message, self.flush())
    }

    /// The live peers, in round-robin order (a copy: sending to them takes no table lock).
    pub(crate) fn peers(&self) -> Vec<Arc<Peer>> {
        lock(&self.peers).peers().cloned().collect()
    }

    pub(crate) fn peer_by_routing_id(&self, routing_id: &[u8]) -> Option<Arc<Peer>> {
        lock(&self.peers).by_routing_id(routing_id)
    }

    /// What the live peers' outboxes hold, waiting for their writers.
    pub(crate) fn queued_output(&self) -> QueuedOutput {
        let table = lock(&self.peers);
        table.peers().fold(QueuedOutput::default(), |sum, peer| {
            let (items, bytes) = peer.queued();
            QueuedOutput {
                items: sum.items + items,
                bytes: sum.bytes + bytes,
            }
        })
    }

    pub(crate) fn peer_count(&self) -> usize {
        lock(&self.peers).len()
    }

    /// Takes the next message in fair-queue order.
    pub(crate) fn pop_inbound(&self) -> Option<Received> {
        self.inbound.pop(self.receive_hwm())
    }

    fn receive_hwm(&self) -> usize {
        crate::conn::delivery::receive_hwm(self.option(|o| o.receive_high_water_mark))
    }

    /// The caller has read every message a batch lent it: their room goes back to the peers.
    pub(crate) fn release_lent(&self) {
        self.inbound.release_lent(self.receive_hwm());
    }

    /// Up to `max` accepted messages in fair-queue order (empty when none is queued): the first
    /// taken as `pop_inbound` does, the rest lent (see [`Inbound::pop_lent`]), since they wait
    /// unread in the caller's queue. With `conflate` only the newest one is worth having: one.
    pub(crate) fn pop_accepted_many<T>(
        &self,
        max: usize,
        mut accept: impl FnMut(Received) -> Option<T>,
    ) -> Vec<T> {
        let Some(first) = self.pop_accepted(&mut accept) else {
            return Vec::new();
        };
        let max = if self.conflate.load(Ordering::Relaxed) {
            1
        } else {
            max
        };
        let hwm = self.receive_hwm();
        let mut batch = vec![first];
        while batch.len() < max {
            let Some(received) = self.inbound.pop_lent(hwm) else {
                break;
            };
            batch.extend(accept(received));
        }
        batch
    }

    // ----- waiting -----

    /// Re-runs `check` each time `notify` fires until it yields a value, the deadline passes or the
    /// socket closes. Cancel-safe as long as `check` only takes things at its final step.
    pub(crate) async fn wait_for<T>(
        &self,
        notify: &Notify,
        deadline: Option<Instant>,
        mut check: impl FnMut() -> Option<T>,
    ) -> Result<T, WaitError> {
        loop {
            let notified = notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(value) = check() {
                return Ok(value);
            }
            if self.is_closed() {
                return Err(WaitError::Closed);
            }
            // A deadline already past (a zero timeout) ends the wait now, on this poll, not when
            // the runtime's timer next ticks: a zero timeout is a non-blocking attempt.
            if deadline.is_some_and(|at| at <= Instant::now()) {
                return Err(WaitError::TimedOut);
            }
            tokio::select! {
                _ = &mut notified => {}
                _ = time::sleep_until(deadline) => {
                    // One last look: the condition may have become true just now.
                    return check().ok_or(WaitError::TimedOut);
                }
                _ = self.closed.wait() => return Err(WaitError::Closed),
            }
        }
    }
}

/// A random-enough 32-bit value (routing ids, request ids) without a dependency.
pub(crate) fn random_u32() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(Peer::ids_issued());
    // Truncation is the point: any 32 bits of the hash will do.
    hasher.finish() as u32
}

impl SocketCore {
    /// Round-robin send that waits (until `deadline`) for a live peer with room. The message is
    /// handed over in one synchronous step, so dropping this future either sent it or did not.
    /// `on_sent` runs right after the hand-over, still synchronously.
    pub(crate) async fn send_round_robin<R>(
        &self,
        message: Message,
        deadline: Option<Instant>,
        mut on_sent: impl FnMut(Arc<Peer>) -> R,
    ) -> Result<R, WaitError> {
        let frames = frame_ref::shared(&message);
        self.wait_for(&self.out_changed, deadline, || {
            self.try_send_round_robin(&frames).map(&mut on_sent)
        })
        .await
    }

    /// Fair-queued receive that waits until `deadline`; `accept` may reject (discard) a message
    /// or turn it into the result; it runs synchronously with the take from the queue.
    pub(crate) async fn recv_with<T>(
        &self,
        deadline: Option<Instant>,
        mut accept: impl FnMut(Received) -> Option<T>,
    ) -> Result<T, WaitError> {
        self.wait_for(&self.inbound.notify, deadline, || {
            self.pop_accepted(&mut accept)
        })
        .await
    }

    /// Takes queued messages in fair-queue order until `accept` turns one into the result
    /// (discarding those it rejects); None once the queue is empty.
    pub(crate) fn pop_accepted<T>(
        &self,
        mut accept: impl FnMut(Received) -> Option<T>,
    ) -> Option<T> {
        while let Some(received) = self.pop_inbound() {
            if let Some(value) = accept(received) {
                return Some(value);
            }
        }
        None
    }

    /// `recv_with` for a batch: waits (until `deadline`) for at least one accepted message, then
    /// takes up to `max` (see [`SocketCore::pop_accepted_many`]).
    pub(crate) async fn recv_many_with<T>(
        &self,
        max: usize,
        deadline: Option<Instant>,
        mut accept: impl FnMut(Received) -> Option<T>,
    ) -> Result<Vec<T>, WaitError> {
        self.wait_for(&self.inbound.notify, deadline, || {
            let batch = self.pop_accepted_many(max, &mut accept);
            (!batch.is_empty()).then_some(batch)
        })
        .await
    }

    /// `recv_many_with` bounded by `receive_timeout`, failing as a public `recv` does.
    pub(crate) async fn recv_many_timed<T>(
        &self,
        max: usize,
        accept: impl FnMut(Received) -> Option<T>,
    ) -> Result<Vec<T>, Error> {
        let deadline = Timeout::from_ms(self.option(|o| o.receive_timeout)).deadline();
        self.recv_many_with(max, deadline, accept)
            .await
            .map_err(|e| self.explain(e.into_error("receive")))
    }

    /// `send_round_robin` bounded by `send_timeout`, failing as a public `send` does.
    pub(crate) async fn send_timed<R>(
        &self,
        message: Message,
        on_sent: impl FnMut(Arc<Peer>) -> R,
    ) -> Result<R, Error> {
        let deadline = Timeout::from_ms(self.option(|o| o.send_timeout)).deadline();
        self.send_round_robin(message, deadline, on_sent)
            .await
            .map_err(|e| self.explain(e.into_error("send")))
    }

    /// `recv_with` bounded by `receive_timeout`, failing as a public `recv` does.
    pub(crate) async fn recv_timed<T>(
        &self,
        accept: impl FnMut(Received) -> Option<T>,
    ) -> Result<T, Error> {
        let deadline = Timeout::from_ms(self.option(|o| o.receive_timeout)).deadline();
        self.recv_with(deadline, accept)
            .await
            .map_err(|e| self.explain(e.into_error("receive")))
    }
}

/// EINVAL for a message without frames: ZMTP cannot carry one.
pub(crate) fn check_message<F>(message: &[F]) -> Result<(), Error> {
    if message.is_empty() {
        Err(Error::new(
            ErrorCode::Einval,
            "a message needs at least one frame",
        ))
    } else {
        Ok(())
    }
}

impl InboundQueue for SocketCore {
    fn push(&self, peer: &Arc<Peer>, message: Message, hwm: usize) -> Result<(), Message> {
        let (message, hwm) = match self.hooks.get() {
            Some(hooks) => match hooks.arrived(peer, message) {
                Some(message) => (message, hooks.queue_bound(hwm)),
                None => return Ok(()),
            },
            None => (message, hwm),
        };
        if self.conflate.load(Ordering::Relaxed) {
            // Only the newest message is worth receiving (ZMQ_CONFLATE).
            self.inbound.clear();
        }
        self.inbound.try_push(peer, message, hwm)
    }
}

impl LinkSource for SocketCore {
    fn link_config(&self) -> LinkConfig {
        LinkConfig {
            socket_type: self.kind,
            options: self.options(),
            runtime: self.handle.clone(),
            read_driver: lock(&self.read_driver).clone(),
            closed: self.closed.clone(),
            events: self.events.clone(),
        }
    }
}

impl SocketLink for SocketCore {
    fn add_peer(&self, peer: &Arc<Peer>, endpoint: &Arc<OnceEvent>) -> bool {
        SocketCore::add_peer(self, peer, endpoint)
    }

    fn remove_peer(&self, peer: &Arc<Peer>) {
        SocketCore::remove_peer(self, peer);
    }

    fn out_room(&self) {
        self.out_changed.notify_waiters();
    }

    fn handshake_failed(&self, reason: String) {
        *lock(&self.last_handshake_failure) = Some(reason);
    }

    fn generate_routing_id(&self) -> Bytes {
        SocketCore::generate_routing_id(self)
    }

    fn linger(&self) -> Timeout {
        Timeout::from_ms(self.option(|o| o.linger))
    }
}

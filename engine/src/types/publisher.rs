//! PUB and XPUB (RFC 29): a message goes to every subscriber with a subscription prefixing its
//! first frame; one whose queue is full misses it (PUB never blocks), unless XPUB's `no_drop`
//! makes the send wait until every matching subscriber has room. Subscriptions are kept per
//! peer, applied as they arrive (by the connection's reader, before anything reaches a queue)
//! and forgotten with the peer. XPUB's `recv` yields the subscription messages: new prefixes
//! only, every subscribe with `verbosity` `AllSubs`, every cancel too with `AllSubsUnsubs`, and cancels for
//! what a subscriber that left was the last to have.

use crate::conn::peer::Peer;
use crate::error::Error;
use crate::lock::lock;
use crate::options::Options;
use crate::socket::core::{check_message, SocketCore, TypeHooks, WaitError};
use crate::socket::handle::{socket_handle, SocketHandle};
use crate::socket::inbound::Received;
use crate::time::Timeout;
use crate::types::busy::Proxied;
use crate::types::fair_queue::FairQueue;
use crate::types::subscriptions::{Prefixes, Subscription};
use crate::wire::frame_ref::{self, FrameRef, TrySend};
use crate::wire::socket_type::SocketType;
use crate::wire::Message;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::runtime::Handle;
use tokio::time::Instant;

#[derive(Default)]
struct Filters {
    /// Each subscriber's own prefixes (a set, as libzmq keeps them per pipe).
    by_peer: HashMap<u64, Prefixes>,
    /// How many subscribers have each prefix: what makes a subscription "new" for XPUB.
    all: Prefixes,
}

/// The publishing side's state, shared by the socket and its hooks.
#[derive(Default)]
struct Subscribers {
    filters: Mutex<Filters>,
    /// XPUB: subscription messages reach `recv`.
    extended: bool,
    invert: AtomicBool,
    no_drop: AtomicBool,
    verbose: AtomicBool,
    verboser: AtomicBool,
    /// The socket, for XPUB's cancels of a subscriber that left.
    core: std::sync::OnceLock<std::sync::Weak<SocketCore>>,
}

impl Subscribers {
    fn filters(&self) -> MutexGuard<'_, Filters> {
        lock(&self.filters)
    }

    /// Applies a subscription from `peer`; true when XPUB's `recv` should see it.
    fn apply(&self, peer: u64, subscription: Subscription<'_>) -> bool {
        let mut filters = self.filters();
        let Filters { by_peer, all } = &mut *filters;
        match subscription {
            Subscription::Subscribe(prefix) => {
                let new = by_peer.entry(peer).or_default().insert(prefix) && all.add(prefix);
                new || self.verbose.load(Ordering::Relaxed) || self.verboser.load(Ordering::Relaxed)
            }
            Subscription::Cancel(prefix) => {
                let removed = by_peer
                    .get_mut(&peer)
                    .is_some_and(|set| set.remove_all(prefix));
                (removed && all.remove(prefix)) || self.verboser.load(Ordering::Relaxed)
            }
        }
    }

    /// The live peers `message` goes to.
    /// The subscribers whose filters take a message whose first frame is `topic`.
    fn targets(&self, peers: Vec<Arc<Peer>>, topic: &[u8]) -> Vec<Arc<Peer>> {
        let invert = self.invert.load(Ordering::Relaxed);
        let filters = self.filters();
        peers
            .into_iter()
            .filter(|p| {
                let matched = filters.by_peer.get(&p.id).is_some_and(|s| s.matches(topic));
                matched != invert
            })
            .collect()
    }
}

impl TypeHooks for Subscribers {
    fn arrived(&self, peer: &Arc<Peer>, message: Message) -> Option<Message> {
        let shown = match Subscription::parse(&message) {
            Some(subscription) => self.apply(peer.id, subscription),
            // Anything else a subscriber sends is for the application (libzmq's XPUB does so).
            None => true,
        };
        (self.extended && shown).then_some(message)
    }

    /// Subscriptions are state, applied once on arrival: one given back by a full queue would be
    /// applied twice, so XPUB queues them without a bound (they are small and few).
    fn queue_bound(&self, hwm: usize) -> usize {
        if self.extended {
            0
        } else {
            hwm
        }
    }

    /// Forgets the peer's subscriptions; XPUB's `recv` sees a cancel for each that no other
    /// subscriber has (every one with `verbosity` `AllSubsUnsubs`), as libzmq reports them, so a forwarder
    /// passes the cancels upstream.
    fn left(&self, peer: &Arc<Peer>) {
        let gone: Vec<bytes::Bytes> = {
            let mut filters = self.filters();
            let Some(set) = filters.by_peer.remove(&peer.id) else {
                return;
            };
            let verboser = self.verboser.load(Ordering::Relaxed);
            set.iter()
                .filter(|prefix| filters.all.remove(prefix) || verboser)
                .cloned()
                .collect()
        };
        let Some(core) = self.core.get().and_then(std::sync::Weak::upgrade) else {
            return;
        };
        if !self.extended || core.is_closed() {
            return;
        }
        for prefix in &gone {
            // Unbounded, as subscriptions are (see `queue_bound`).
            let _ = core
                .inbound
                .try_push(peer, Subscription::Cancel(prefix).to_message(), 0);
        }
    }

    fn options_changed(&self, options: &Options) {
        self.invert
            .store(options.invert_matching, Ordering::Relaxed);
        self.no_drop.store(options.no_drop, Ordering::Relaxed);
        self.verbose
            .store(options.verbosity.every_subscribe(), Ordering::Relaxed);
        self.verboser
            .store(options.verbosity.every_unsubscribe(), Ordering::Relaxed);
    }
}

/// What PUB and XPUB share.
#[derive(Clone)]
struct Publisher {
    handle: SocketHandle,
    queue: FairQueue,
    subscribers: Arc<Subscribers>,
}

fn body(received: Received) -> Option<Message> {
    Some(received.message)
}

impl Publisher {
    fn new(runtime: &Handle, kind: SocketType, options: Options) -> Publisher {
        let handle = SocketHandle::new(runtime, kind, options);
        let subscribers = Arc::new(Subscribers {
            extended: kind == SocketType::XPub,
            ..Subscribers::default()
        });
        let _ = subscribers.core.set(Arc::downgrade(handle.core()));
        handle.core().set_hooks(subscribers.clone());
        Publisher {
            handle,
            queue: FairQueue::new(body),
            subscribers,
        }
    }

    fn core(&self) -> &Arc<SocketCore> {
        self.handle.core()
    }

    /// One attempt: hands the message to every matching subscriber with room. With `no_drop`,
    /// all or none: `Wait` (nothing kept) while a matching one is full.
    fn publish(&self, message: &[FrameRef<'_>]) -> TrySend {
        let topic = message.first().map_or(&[][..], FrameRef::bytes);
        let targets = self.subscribers.targets(self.core().peers(), topic);
        if self.subscribers.no_drop.load(Ordering::Relaxed)
            && targets.iter().any(|p| !p.has_room() && !p.is_dead())
        {
            return TrySend::Wait;
        }
        match targets.as_slice() {
            [] => {}
            // One subscriber: written from here when its connection is idle, as other sends are
            // (or at the end of the sender's burst: see `SocketCore::flush`).
            [peer] => {
                let _ = peer.try_push(message, self.core().flush());
            }
            // Many: kept once (not per subscriber), queued for their writers, which write in
            // batches on the engine's threads rather than once per subscriber on the caller's.
            many => {
                let message = frame_ref::keep(message);
                for peer in many {
                    // A full or dead subscriber misses the message: a publisher never waits.
                    let _ = peer.try_queue(message.clone());
                }
            }
        }
        TrySend::Sent
    }

    fn try_send(&self, message: &[FrameRef<'_>]) -> Result<TrySend, Error> {
        self.queue.check(self.core())?;
        check_message(message)?;
        Ok(self.publish(message))
    }

    fn send_room(&self) -> usize {
        let holds_back = self.subscribers.no_drop.load(Ordering::Relaxed);
        if self.queue.check(self.core()).is_err() || holds_back {
            return 0;
        }
        usize::MAX
    }

    /// Publishes, waiting (until `deadline`) only when `no_drop` holds it back.
    async fn publish_waiting(
        &self,
        message: &Message,
        deadline: Option<Instant>,
    ) -> Result<(), WaitError> {
        let core = self.core();
        let frames = frame_ref::shared(message);
        core.wait_for(&core.out_changed, deadline, || {
            (self.publish(&frames) == TrySend::Sent).then_some(())
        })
        .await
    }

    async fn send(&self, message: Message) -> Result<(), Error> {
        if self.try_send(&frame_ref::shared(&message))? == TrySend::Sent {
            return Ok(());
        }
        let deadline = Timeout::from_ms(self.core().option(|o| o.send_timeout)).deadline();
        self.publish_waiting(&message, deadline)
            .await
            .map_err(|e| e.into_error("send"))
    }
}

/// A PUB socket. Cheap to clone; closes when the last clone is dropped.
#[derive(Clone)]
pub struct PubSocket(Publisher);

impl PubSocket {
    pub fn new(runtime: &Handle, options: Options) -> PubSocket {
        PubSocket(Publisher::new(runtime, SocketType::Pub, options))
    }

    /// Publishes to the matching subscribers now; never waits.
    pub async fn send(&self, message: Message) -> Result<(), Error> {
        self.0.send(message).await
    }

    /// Publishes now; a PUB never says `Wait`.
    pub fn try_send(&self, message: &[FrameRef<'_>]) -> Result<TrySend, Error> {
        self.0.try_send(message)
    }

    /// How many `try_send`s in a row would say `Sent` now: any number (a PUB never waits), none
    /// once closed.
    pub fn send_room(&self) -> usize {
        self.0.send_room()
    }
}

socket_handle!(PubSocket, |socket| &socket.0.handle);

/// An XPUB socket: a PUB whose subscribers' subscriptions reach `recv`. Cheap to clone.
#[derive(Clone)]
pub struct XPubSocket(Publisher);

impl XPubSocket {
    pub fn new(runtime: &Handle, options: Options) -> XPubSocket {
        XPubSocket(Publisher::new(runtime, SocketType::XPub, options))
    }

    /// Publishes to the matching subscribers; waits only with `no_drop` (up to `send_timeout`).
    pub async fn send(&self, message: Message) -> Result<(), Error> {
        self.0.send(message).await
    }

    /// Publishes now; `Wait` only when `no_drop` holds the message back.
    pub fn try_send(&self, message: &[FrameRef<'_>]) -> Result<TrySend, Error> {
        self.0.try_send(message)
    }

    /// How many `try_send`s in a row would say `Sent` now: any number, none with `no_drop` (it
    /// may wait) or once closed.
    pub fn send_room(&self) -> usize {
        self.0.send_room()
    }

    /// The next subscription message (`[0x01|0x00 + prefix]`) or other message of a subscriber.
    pub async fn recv(&self) -> Result<Message, Error> {
        self.0.queue.recv(self.0.core()).await
    }

    pub fn try_recv(&self) -> Result<Option<Message>, Error> {
        self.0.queue.try_recv(self.0.core())
    }

    /// Up to `max` queued messages, at least one (see `DealerSocket::recv_many`).
    pub async fn recv_many(&self, max: usize) -> Result<Vec<Message>, Error> {
        self.0.queue.recv_many(self.0.core(), max).await
    }

    /// [`XPubSocket::recv_many`] without waiting: empty when nothing is queued.
    pub fn try_recv_many(&self, max: usize) -> Result<Vec<Message>, Error> {
        self.0.queue.try_recv_many(self.0.core(), max)
    }

    pub(crate) fn begin_proxy(&self) -> Result<Proxied, Error> {
        self.0.queue.begin_proxy(self.0.core())
    }

    /// The queue a proxy takes this socket's messages from.
    pub(crate) fn proxy_queue(&self) -> (&FairQueue, &SocketCore) {
        (&self.0.queue, self.0.core())
    }

    pub(crate) async fn proxy_send(&self, message: Message) -> Result<(), WaitError> {
        self.0.publish_waiting(&message, None).await
    }
}

socket_handle!(XPubSocket, |socket| &socket.0.handle);

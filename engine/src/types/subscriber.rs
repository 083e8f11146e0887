//! SUB and XSUB (RFC 29): the socket's subscriptions go to every publisher it is connected to,
//! again to each new connection (a reconnect included), and select what is received: a message
//! whose first frame no subscription prefixes is dropped as it arrives, before it takes queue room
//! (`invert_matching` turns the selection around). SUB subscribes through `subscribe` and
//! `unsubscribe`; XSUB through the subscription messages it sends (`[0x01|0x00 + prefix]`), and
//! any other message it sends goes to every publisher.

use crate::conn::peer::{Flush, Peer};
use crate::error::Error;
use crate::lock::lock;
use crate::options::Options;
use crate::socket::core::{check_message, SocketCore, TypeHooks, WaitError};
use crate::socket::handle::{socket_handle, SocketHandle};
use crate::socket::inbound::Received;
use crate::types::busy::Proxied;
use crate::types::fair_queue::FairQueue;
use crate::types::subscriptions::{topic, Prefixes, Subscription};
use crate::wire::frame_ref::{self, FrameRef, TrySend};
use crate::wire::socket_type::SocketType;
use crate::wire::Message;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::runtime::Handle;

/// The subscribing side's state, shared by the socket and its hooks.
#[derive(Default)]
struct Subscriptions {
    /// Counted: subscribing twice needs two unsubscribes, as in libzmq.
    prefixes: Mutex<Prefixes>,
    invert: AtomicBool,
}

impl Subscriptions {
    fn prefixes(&self) -> MutexGuard<'_, Prefixes> {
        lock(&self.prefixes)
    }
}

impl TypeHooks for Subscriptions {
    fn joined(&self, peer: &Arc<Peer>) {
        // Under the lock `apply` changes the set and tells the peers under: a subscribe or cancel
        // made meanwhile reaches this peer either in this set or after it, never before.
        let prefixes = self.prefixes();
        for prefix in prefixes.iter() {
            // A new connection's queue is empty: only a hwm below the subscription count drops one.
            Subscription::Subscribe(prefix).send_to(peer);
        }
    }

    fn arrived(&self, _peer: &Arc<Peer>, message: Message) -> Option<Message> {
        let matched = self.prefixes().matches(topic(&message));
        (matched != self.invert.load(Ordering::Relaxed)).then_some(message)
    }

    fn options_changed(&self, options: &Options) {
        self.invert
            .store(options.invert_matching, Ordering::Relaxed);
    }
}

/// What SUB and XSUB share.
#[derive(Clone)]
struct Subscriber {
    handle: SocketHandle,
    queue: FairQueue,
    subscriptions: Arc<Subscriptions>,
}

fn body(received: Received) -> Option<Message> {
    Some(received.message)
}

impl Subscriber {
    fn new(runtime: &Handle, kind: SocketType, options: Options) -> Subscriber {
        let handle = SocketHandle::new(runtime, kind, options);
        let subscriptions = Arc::new(Subscriptions::default());
        handle.core().set_hooks(subscriptions.clone());
        Subscriber {
            handle,
            queue: FairQueue::new(body),
            subscriptions,
        }
    }

    fn core(&self) -> &Arc<SocketCore> {
        self.handle.core()
    }

    /// Every publisher gets `message` now, or misses it when its queue is full (never waits).
    fn to_all(&self, message: &[FrameRef<'_>]) {
        for peer in self.core().peers() {
            let _ = peer.try_push(message, Flush::Now);
        }
    }

    /// Records a subscription message and tells the publishers: every subscribe (they keep a
    /// set), a cancel only when it took the prefix's last count. Both under the set's lock, which
    /// `joined` sends a new publisher the set under: the two cannot interleave, so a cancel never
    /// overtakes the subscribe it undoes on a new connection.
    fn apply(&self, subscription: Subscription<'_>) {
        let mut prefixes = self.subscriptions.prefixes();
        let tell = match subscription {
            Subscription::Subscribe(prefix) => {
                prefixes.add(prefix);
                true
            }
            Subscription::Cancel(prefix) => prefixes.remove(prefix),
        };
        if tell {
            for peer in self.core().peers() {
                subscription.send_to(&peer);
            }
        }
    }

    /// XSUB's send: subscription messages are applied, everything is passed on.
    fn send_upstream(&self, message: &[FrameRef<'_>]) -> Result<(), Error> {
        self.queue.check(self.core())?;
        check_message(message)?;
        self.pass_upstream(message);
        Ok(())
    }

    fn pass_upstream(&self, message: &[FrameRef<'_>]) {
        match message {
            [only] => match Subscription::parse_frame(only.bytes()) {
                Some(subscription) => self.apply(subscription),
                None => self.to_all(message),
            },
            _ => self.to_all(message),
        }
    }
}

/// A SUB socket. Cheap to clone; closes when the last clone is dropped. Cancel-safe.
#[derive(Clone)]
pub struct SubSocket(Subscriber);

impl SubSocket {
    pub fn new(runtime: &Handle, options: Options) -> SubSocket {
        SubSocket(Subscriber::new(runtime, SocketType::Sub, options))
    }

    /// Receives messages whose topic starts with `prefix` (empty = every message).
    pub fn subscribe(&self, prefix: &[u8]) -> Result<(), Error> {
        self.0.core().check_open()?;
        self.0.apply(Subscription::Subscribe(prefix));
        Ok(())
    }

    /// Undoes one `subscribe(prefix)`.
    pub fn unsubscribe(&self, prefix: &[u8]) -> Result<(), Error> {
        self.0.core().check_open()?;
        self.0.apply(Subscription::Cancel(prefix));
        Ok(())
    }

    /// Receives the next matching message (up to `receive_timeout`, then EAGAIN).
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

    /// [`SubSocket::recv_many`] without waiting: empty when nothing is queued.
    pub fn try_recv_many(&self, max: usize) -> Result<Vec<Message>, Error> {
        self.0.queue.try_recv_many(self.0.core(), max)
    }
}

socket_handle!(SubSocket, |socket| &socket.0.handle);

/// An XSUB socket: a SUB that subscribes by sending subscription messages. Cheap to clone.
#[derive(Clone)]
pub struct XSubSocket(Subscriber);

impl XSubSocket {
    pub fn new(runtime: &Handle, options: Options) -> XSubSocket {
        XSubSocket(Subscriber::new(runtime, SocketType::XSub, options))
    }

    /// Sends to every publisher (never waits): `[0x01 + prefix]` subscribes, `[0x00 + prefix]`
    /// cancels, anything else is passed on as it is.
    pub async fn send(&self, message: Message) -> Result<(), Error> {
        self.0.send_upstream(&frame_ref::shared(&message))
    }

    /// As [`XSubSocket::send`]; never says `Wait`.
    pub fn try_send(&self, message: &[FrameRef<'_>]) -> Result<TrySend, Error> {
        self.0.send_upstream(message)?;
        Ok(TrySend::Sent)
    }

    /// Receives the next matching message (up to `receive_timeout`, then EAGAIN).
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

    /// [`XSubSocket::recv_many`] without waiting: empty when nothing is queued.
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
        self.0.pass_upstream(&frame_ref::shared(&message));
        Ok(())
    }
}

socket_handle!(XSubSocket, |socket| &socket.0.handle);

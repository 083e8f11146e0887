//! [`SocketHandle`]: what every public socket type (REQ, REP, DEALER, ROUTER, PUB, SUB, XPUB, XSUB,
//! PUSH, PULL, PAIR) shares: the socket's core, closed when the last clone of the handle (or of a socket owning one) is dropped,
//! and the type-independent methods (bind, connect, close, options...).

use crate::conn::driven::ReadDriver;
use crate::error::Error;
use crate::events::EventSink;
use crate::options::Options;
use crate::socket::core::{QueuedOutput, SocketCore};
use crate::wire::socket_type::SocketType;
use std::sync::Arc;
use tokio::runtime::Handle;

/// A socket's core as owned by its handles: dropping it, when the last clone goes, closes the
/// socket as `close()` would.
struct OwnedCore(Arc<SocketCore>);

impl Drop for OwnedCore {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// The part of a socket every type shares, whatever its pattern: endpoints, options, closing.
/// Cheap to clone (one `Arc`); every clone, and every clone of the socket it came from
/// ([`crate::ReqSocket::handle`] and the like), is the same socket, which closes as `close()`
/// would when the last of them is dropped. Each socket type derefs to its handle, so these methods
/// are also callable on the socket itself.
#[derive(Clone)]
pub struct SocketHandle {
    core: Arc<OwnedCore>,
}

impl SocketHandle {
    pub(crate) fn new(runtime: &Handle, kind: SocketType, options: Options) -> SocketHandle {
        SocketHandle {
            core: Arc::new(OwnedCore(SocketCore::new(runtime, kind, options))),
        }
    }

    pub(crate) fn core(&self) -> &Arc<SocketCore> {
        &self.core.0
    }

    /// Binds and listens; resolves to the resolved endpoint (ephemeral port filled in),
    /// which also becomes `last_endpoint()`.
    pub async fn bind(&self, endpoint: &str) -> Result<String, Error> {
        self.core().bind(endpoint).await
    }

    /// Unbinds by the string given to `bind` or by the resolved endpoint it returned.
    pub async fn unbind(&self, endpoint: &str) -> Result<(), Error> {
        self.core().unbind(endpoint)
    }

    /// Validates the endpoint and returns at once; connects in the background and
    /// reconnects forever.
    pub fn connect(&self, endpoint: &str) -> Result<(), Error> {
        self.core().connect(endpoint)
    }

    /// Like [`SocketHandle::connect`], but the first attempt waits for
    /// [`SocketHandle::release_connects`] (a JS caller: the end of its synchronous run).
    pub fn connect_later(&self, endpoint: &str) -> Result<(), Error> {
        self.core().connect_later(endpoint)
    }

    /// Starts the connects held by [`SocketHandle::connect_later`].
    pub fn release_connects(&self) {
        self.core().release_connects();
    }

    /// Stops connecting to an endpoint given to `connect` and drops its connection.
    pub fn disconnect(&self, endpoint: &str) -> Result<(), Error> {
        self.core().disconnect(endpoint)
    }

    /// Idempotent. Pending operations fail EAGAIN; queued outgoing messages get `linger`
    /// to drain.
    pub fn close(&self) {
        self.core().close();
    }

    pub fn is_closed(&self) -> bool {
        self.core().is_closed()
    }

    pub fn last_endpoint(&self) -> Option<String> {
        self.core().last_endpoint()
    }

    pub fn options(&self) -> Options {
        self.core().options()
    }

    /// New values apply to later operations and later connections.
    pub fn set_options(&self, options: Options) {
        self.core().set_options(options);
    }

    /// Hands the reading of connections established from now on to `driver` (an event
    /// loop of the caller's; see [`crate::conn::driven`]). Set it before `bind`/`connect`.
    pub fn set_read_driver(&self, driver: Arc<dyn ReadDriver>) {
        self.core().set_read_driver(driver);
    }

    /// Reports this socket's events (bind, accept, connect, handshake...; see [`crate::EventKind`])
    /// to `sink` from now on, until its close has been reported. Without a sink, no event is
    /// even built.
    pub fn set_event_sink(&self, sink: Arc<dyn EventSink>) {
        self.core().set_event_sink(sink);
    }

    /// Peers whose handshake is done (for tests and diagnostics): the servers of a REQ, the
    /// clients of a REP, any peer of a DEALER or ROUTER.
    pub fn peer_count(&self) -> usize {
        self.core().peer_count()
    }

    /// Whether the socket has a `connect` endpoint (up or not).
    pub fn has_connects(&self) -> bool {
        self.core().has_connects()
    }

    /// Whether the synchronous sends that follow are later sends of one burst (the same
    /// event-loop turn of the caller): then one that finds its connection idle is queued (counted
    /// against the high-water mark, as any queued message) instead of written at once, for
    /// [`SocketHandle::flush_sends`] to write with the rest of the burst. The caller turns it off
    /// after its send and must call `flush_sends` when the burst ends.
    pub fn batch_sends(&self, on: bool) {
        self.core().set_batching(on);
    }

    /// The end of a burst (see [`SocketHandle::batch_sends`]): writes what it left, from this
    /// thread, one vectored write per connection; what the OS does not take now goes to the
    /// connection's writer.
    pub fn flush_sends(&self) {
        self.core().flush_sends();
    }

    /// Whether a message is queued for this socket (zeromq.js's `readable`).
    pub fn has_messages(&self) -> bool {
        self.core().inbound.has_messages()
    }

    /// What the connections have queued to send and their writers have not taken yet (for tests
    /// and diagnostics: it stays bounded whatever a peer does).
    pub fn queued_output(&self) -> QueuedOutput {
        self.core().queued_output()
    }
}

/// Gives a socket type `handle()` and derefs it to its [`SocketHandle`], so the shared methods are
/// callable on the socket. `$handle` is the expression (on `self`) that reaches the handle.
macro_rules! socket_handle {
    ($socket:ty, |$this:ident| $handle:expr) => {
        impl $socket {
            /// The socket's shared part (bind, connect, close, options...), cheap to clone; it
            /// keeps the socket open as the socket itself does.
            pub fn handle(&self) -> &$crate::socket::handle::SocketHandle {
                let $this = self;
                $handle
            }
        }

        impl std::ops::Deref for $socket {
            type Target = $crate::socket::handle::SocketHandle;

            fn deref(&self) -> &$crate::socket::handle::SocketHandle {
                self.handle()
            }
        }
    };
}

pub(crate) use socket_handle;

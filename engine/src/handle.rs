//! What the four public socket types (DEALER, ROUTER, REQ, REP) share as handles: the [`Core`]
//! their clones share, closed when the last clone is dropped, and the methods that only forward to it.

use crate::options::Options;
use crate::socket::Core;
use crate::socket_type::SocketType;
use std::ops::Deref;
use std::sync::Arc;
use tokio::runtime::Handle;

/// A socket's [`Core`] as owned by its handle's clones (inside their shared `Arc`): dropping it,
/// when the last clone goes, closes the socket as `close()` would.
pub(crate) struct OwnedCore(Arc<Core>);

impl OwnedCore {
    pub(crate) fn new(runtime: &Handle, kind: SocketType, options: Options) -> OwnedCore {
        OwnedCore(Core::new(runtime, kind, options))
    }
}

impl Deref for OwnedCore {
    type Target = Arc<Core>;

    fn deref(&self) -> &Arc<Core> {
        &self.0
    }
}

impl Drop for OwnedCore {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// The methods every socket type forwards unchanged to its core, with their docs; `$peers` is the
/// doc of `peer_count` (who the peers are for that type). The type must have
/// `fn core(&self) -> &Arc<Core>`.
macro_rules! forward_to_core {
    ($socket:ty, peers = $peers:literal) => {
        impl $socket {
            /// Binds and listens; resolves to the resolved endpoint (ephemeral port filled in),
            /// which also becomes `last_endpoint()`.
            pub async fn bind(&self, endpoint: &str) -> Result<String, $crate::Error> {
                self.core().bind(endpoint).await
            }

            /// Unbinds by the string given to `bind` or by the resolved endpoint it returned.
            pub async fn unbind(&self, endpoint: &str) -> Result<(), $crate::Error> {
                self.core().unbind(endpoint)
            }

            /// Validates the endpoint and returns at once; connects in the background and
            /// reconnects forever.
            pub fn connect(&self, endpoint: &str) -> Result<(), $crate::Error> {
                self.core().connect(endpoint)
            }

            /// Stops connecting to an endpoint given to `connect` and drops its connection.
            pub fn disconnect(&self, endpoint: &str) -> Result<(), $crate::Error> {
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

            pub fn options(&self) -> $crate::Options {
                self.core().options()
            }

            /// New values apply to later operations and later connections.
            pub fn set_options(&self, options: $crate::Options) {
                self.core().set_options(options);
            }

            /// Hands the reading of connections established from now on to `driver` (an event
            /// loop of the caller's; see [`crate::driven`]). Set it before `bind`/`connect`.
            pub fn set_read_driver(&self, driver: std::sync::Arc<dyn $crate::ReadDriver>) {
                self.core().set_read_driver(driver);
            }

            #[doc = $peers]
            pub fn peer_count(&self) -> usize {
                self.core().peer_count()
            }
        }
    };
}

pub(crate) use forward_to_core;

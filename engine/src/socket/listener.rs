//! The accept loop of one bound endpoint: each accepted stream gets its own connection task.

use crate::conn::connection;
use crate::conn::connection::LinkSource;
use crate::events::{EventError, EventKind, SocketEvent};
use crate::lock::lock;
use crate::net::transport::Listener;
use crate::once_event::OnceEvent;
use std::io;
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

/// Pause after an accept error that is not about the listener itself (e.g. out of file
/// descriptors), so a persistent condition cannot spin the loop.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(10);

pub(crate) async fn accept_loop<S: LinkSource>(
    core: Arc<S>,
    slot: Arc<Mutex<Option<Listener>>>,
    stop: Arc<OnceEvent>,
    // The bound endpoint as resolved: what the events of its connections carry.
    address: Arc<str>,
) {
    // Its signals and runtime: the same in every connection's config.
    let socket = core.link_config();
    loop {
        let accepted = std::future::poll_fn(|cx| {
            let mut guard = lock(&slot);
            match guard.as_mut() {
                Some(listener) => listener.poll_accept(cx).map(Some),
                // Unbound or closed: the listener was dropped by `unbind`/`close`.
                None => Poll::Ready(None),
            }
        });
        let result = tokio::select! {
            r = accepted => r,
            _ = stop.wait() => return,
            _ = socket.closed.wait() => return,
        };
        match result {
            None => return,
            Some(Ok(stream)) => {
                socket
                    .events
                    .emit(|| SocketEvent::new(EventKind::Accept, &address));
                socket.runtime.spawn(connection::run(
                    core.clone(),
                    core.link_config(),
                    stream,
                    stop.clone(),
                    address.clone(),
                ));
            }
            Some(Err(e)) if is_per_connection_error(&e) => {}
            Some(Err(e)) => {
                socket.events.emit(|| {
                    SocketEvent::new(EventKind::AcceptError, &address)
                        .with_error(EventError::io(&e))
                });
                tokio::time::sleep(ACCEPT_ERROR_PAUSE).await
            }
        }
    }
}

/// Errors about one incoming connection (it was reset before we took it): just accept the next.
fn is_per_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
    )
}

//! `inproc://` where Unix socket pairs exist (see `net::inproc`).

use crate::error::{Error, ErrorCode};
use crate::lock::lock;
use crate::net::ipc::{StdStream as StdUnixStream, Stream as UnixStream};
use std::collections::HashMap;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::task::{Context, Poll};
use tokio::sync::{mpsc, Notify};

/// A bound name: where new connections go, and which binding it is (a rebind is another).
struct Binding {
    id: u64,
    incoming: mpsc::UnboundedSender<StdUnixStream>,
}

#[derive(Default)]
struct Registry {
    names: Mutex<HashMap<String, Binding>>,
    /// A name was bound: connects waiting for one look again.
    bound: Notify,
}

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(Registry::default)
}

fn names() -> MutexGuard<'static, HashMap<String, Binding>> {
    // A poisoned lock only means another thread panicked mid-update of the map; it is consistent.
    lock(&registry().names)
}

/// The accepting side of a bound name; dropping it unbinds the name.
#[derive(Debug)]
pub(crate) struct InprocListener {
    name: String,
    id: u64,
    incoming: mpsc::UnboundedReceiver<StdUnixStream>,
}

/// Binds `name`; `EADDRINUSE` when another socket (of any thread) has it.
pub(crate) fn bind(name: &str, address: &str) -> Result<InprocListener, Error> {
    static NEXT_ID: AtomicU64 = AtomicU64::new(1);
    let (tx, rx) = mpsc::unbounded_channel();
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    {
        let mut names = names();
        if names.contains_key(name) {
            return Err(Error::with_address(
                ErrorCode::Eaddrinuse,
                format!("inproc name {name:?} is bound by another socket"),
                address,
            ));
        }
        names.insert(name.to_owned(), Binding { id, incoming: tx });
    }
    registry().bound.notify_waiters();
    Ok(InprocListener {
        name: name.to_owned(),
        id,
        incoming: rx,
    })
}

impl InprocListener {
    /// Must be polled inside a tokio runtime: the accepted end joins its reactor.
    pub(crate) fn poll_accept(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<UnixStream>> {
        match self.incoming.poll_recv(cx) {
            Poll::Ready(Some(stream)) => Poll::Ready(UnixStream::from_std(stream)),
            // Never: this listener's own sender stays in the registry until it is dropped.
            Poll::Ready(None) => Poll::Ready(Err(io::ErrorKind::NotConnected.into())),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for InprocListener {
    fn drop(&mut self) {
        let mut names = names();
        // Only our own binding: the name may have been bound again since.
        if names.get(&self.name).is_some_and(|b| b.id == self.id) {
            names.remove(&self.name);
        }
    }
}

/// One connect attempt to `name`: waits until the name is bound (libzmq 4.x lets a connect
/// come first), then hands the bound socket its end of a new socket pair.
pub(crate) async fn connect(name: &str) -> io::Result<UnixStream> {
    loop {
        // Registered before looking, so a bind between the look and the wait is not missed.
        let bound = registry().bound.notified();
        tokio::pin!(bound);
        bound.as_mut().enable();
        if let Some(stream) = try_connect(name)? {
            return UnixStream::from_std(stream);
        }
        bound.await;
    }
}

fn try_connect(name: &str) -> io::Result<Option<StdUnixStream>> {
    let names = names();
    let Some(binding) = names.get(name) else {
        return Ok(None);
    };
    let (ours, theirs) = StdUnixStream::pair()?;
    ours.set_nonblocking(true)?;
    theirs.set_nonblocking(true)?;
    // The listener is gone only once its binding left the map, which we hold locked.
    binding
        .incoming
        .send(theirs)
        .map_err(|_| io::Error::from(io::ErrorKind::ConnectionRefused))?;
    Ok(Some(ours))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::poll_fn;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn a_connect_before_the_bind_waits_for_it_and_gets_a_stream() {
        let name = "inproc-test-connect-first";
        let connecting = tokio::spawn(connect(name));
        tokio::task::yield_now().await;
        let mut listener = bind(name, "inproc://x").expect("bind");
        let mut client = connecting.await.expect("task").expect("connect");
        let mut server = poll_fn(|cx| listener.poll_accept(cx))
            .await
            .expect("accept");
        client.write_all(b"ping").await.expect("write");
        let mut got = [0u8; 4];
        server.read_exact(&mut got).await.expect("read");
        assert_eq!(&got, b"ping");
    }

    #[tokio::test]
    async fn a_name_is_bound_once_and_free_again_after_drop() {
        let name = "inproc-test-twice";
        let first = bind(name, "inproc://x").expect("bind");
        let second = bind(name, "inproc://x").err().map(|e| e.code);
        assert_eq!(second, Some(ErrorCode::Eaddrinuse));
        drop(first);
        assert!(bind(name, "inproc://x").is_ok());
    }
}

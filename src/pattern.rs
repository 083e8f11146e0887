//! The type-specific half of the engine socket behind a native `Socket` (the shared half is its
//! [`SocketHandle`]): one trait object per socket, so a socket type costs its own `impl` (a line
//! of [`kind`] and what it does differently), not an arm in every method.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use zeromq_napi_engine::{
    DealerSocket, Error, ErrorCode, FrameRef, Message, PairSocket, ProxyEnd, PubSocket, PullSocket,
    PushSocket, RepSocket, ReqSocket, RouterSocket, SocketHandle, SubSocket, TrySend, XPubSocket,
    XSubSocket,
};

pub(crate) type EngineResult<T> = std::result::Result<T, Error>;
/// An engine operation that has to wait, owning what it needs.
pub(crate) type Pending<T> = Pin<Box<dyn Future<Output = EngineResult<T>> + Send>>;

/// What the JS layer never calls on a type without it (its class has no such method); an
/// error rather than a panic all the same.
fn unsupported(what: &str) -> Error {
    Error::new(ErrorCode::Efsm, format!("this socket type does not {what}"))
}

pub(crate) trait Pattern: Send + Sync + 'static {
    fn handle(&self) -> &SocketHandle;

    /// Sends now, or says `Wait` (nothing kept) when it has to wait.
    fn try_send(&self, _message: &[FrameRef<'_>]) -> EngineResult<TrySend> {
        Err(unsupported("send"))
    }

    /// How many `try_send`s in a row would say `Sent` now (`usize::MAX`: any number); 0 for a
    /// type whose sends may wait or fail for reasons of their own (REQ, REP, XSUB), so that the
    /// JS layer sends those one call each (`lib/send-queue.js`).
    fn send_room(&self) -> usize {
        0
    }

    /// The waiting send, for a message `try_send` said `Wait` to (owned by now).
    fn send(&self, _message: Message) -> Pending<()> {
        Box::pin(async { Err(unsupported("send")) })
    }

    fn try_recv(&self) -> EngineResult<Option<Message>> {
        Err(unsupported("receive"))
    }

    fn recv(&self) -> Pending<Message> {
        Box::pin(async { Err(unsupported("receive")) })
    }

    /// Up to `max` queued messages, empty when none is (see `src/batch.rs`); a type without a
    /// batch receive of its own takes one.
    fn try_recv_many(&self, _max: usize) -> EngineResult<Vec<Message>> {
        Ok(self.try_recv()?.into_iter().collect())
    }

    /// The waiting `try_recv_many`: at least one message.
    fn recv_many(&self, _max: usize) -> Pending<Vec<Message>> {
        let one = self.recv();
        Box::pin(async move { Ok(vec![one.await?]) })
    }

    /// The socket as a proxy end, for the types a proxy joins.
    fn proxy_end(&self) -> Option<ProxyEnd> {
        None
    }

    /// Whether the type receives at all.
    fn receives(&self) -> bool {
        false
    }

    /// Whether the type sends at all.
    fn sends(&self) -> bool {
        false
    }

    /// zeromq.js's `readable` (libzmq's POLLIN): a message is queued that the state allows to
    /// receive now. By default: a type that receives has a message queued.
    fn readable(&self) -> bool {
        self.receives() && self.handle().has_messages()
    }

    /// zeromq.js's `writable` (libzmq's POLLOUT): the state allows a send and it has somewhere to
    /// go. By default: a type that sends has somewhere to send ([`connected`]).
    fn writable(&self) -> bool {
        self.sends() && connected(self.handle())
    }

    /// For the methods of one type (`request`, `subscribe`...): the socket itself.
    fn as_any(&self) -> &dyn Any;
}

/// The engine socket for a JS kind name, or None for an unknown one.
pub(crate) fn kind(
    name: &str,
    runtime: &tokio::runtime::Handle,
    options: zeromq_napi_engine::Options,
) -> Option<Box<dyn Pattern>> {
    Some(match name {
        "req" => Box::new(ReqSocket::new(runtime, options)),
        "rep" => Box::new(RepSocket::new(runtime, options)),
        "dealer" => Box::new(DealerSocket::new(runtime, options)),
        "router" => Box::new(RouterSocket::new(runtime, options)),
        "pub" => Box::new(PubSocket::new(runtime, options)),
        "sub" => Box::new(SubSocket::new(runtime, options)),
        "xpub" => Box::new(XPubSocket::new(runtime, options)),
        "xsub" => Box::new(XSubSocket::new(runtime, options)),
        "push" => Box::new(PushSocket::new(runtime, options)),
        "pull" => Box::new(PullSocket::new(runtime, options)),
        "pair" => Box::new(PairSocket::new(runtime, options)),
        _ => return None,
    })
}

/// Where a send goes by default: a peer, or (as libzmq, which makes a connect's pipe at once) a
/// `connect` endpoint, up or not, where a send waits for the connection.
fn connected(handle: &SocketHandle) -> bool {
    handle.peer_count() > 0 || handle.has_connects()
}

/// The `Pattern` methods of a type, from the capabilities it has: `send`, `recv`, `proxy`, and
/// how `readable` (given whether a message is queued) and `writable` read its state where the
/// defaults do not fit.
macro_rules! pattern {
    ($socket:ty $(, $cap:ident)* $(; readable: $readable:expr)? $(; writable: $writable:expr)?) => {
        impl Pattern for $socket {
            fn handle(&self) -> &SocketHandle {
                <$socket>::handle(self)
            }

            fn as_any(&self) -> &dyn Any {
                self
            }

            $(pattern!(@ $cap);)*

            $(
                fn readable(&self) -> bool {
                    let queued = self.handle().has_messages();
                    ($readable)(self, queued)
                }
            )?

            $(
                fn writable(&self) -> bool {
                    ($writable)(self)
                }
            )?
        }
    };
    (@ send) => {
        fn sends(&self) -> bool {
            true
        }

        fn try_send(&self, message: &[FrameRef<'_>]) -> EngineResult<TrySend> {
            <Self>::try_send(self, message)
        }

        fn send(&self, message: Message) -> Pending<()> {
            let socket = self.clone();
            Box::pin(async move { socket.send(message).await })
        }
    };
    (@ recv) => {
        fn receives(&self) -> bool {
            true
        }

        fn try_recv(&self) -> EngineResult<Option<Message>> {
            <Self>::try_recv(self)
        }

        fn recv(&self) -> Pending<Message> {
            let socket = self.clone();
            Box::pin(async move { socket.recv().await })
        }
    };
    (@ recv_many) => {
        fn try_recv_many(&self, max: usize) -> EngineResult<Vec<Message>> {
            <Self>::try_recv_many(self, max)
        }

        fn recv_many(&self, max: usize) -> Pending<Vec<Message>> {
            let socket = self.clone();
            Box::pin(async move { socket.recv_many(max).await })
        }
    };
    (@ room) => {
        fn send_room(&self) -> usize {
            <Self>::send_room(self)
        }
    };
    (@ proxy) => {
        fn proxy_end(&self) -> Option<ProxyEnd> {
            Some(self.clone().into())
        }
    };
}

// ROUTER drops a message for no peer, PUB and XPUB one nobody takes: they always take one.
pattern!(ReqSocket, send, recv;
    readable: |s: &ReqSocket, queued| s.awaiting_reply() && queued;
    writable: |s: &ReqSocket| !s.awaiting_reply() && connected(s.handle()));
pattern!(RepSocket, send, recv;
    readable: |s: &RepSocket, queued| !s.owes_reply() && queued;
    writable: |s: &RepSocket| s.owes_reply());
pattern!(DealerSocket, send, room, recv, recv_many, proxy);
pattern!(RouterSocket, send, room, recv, recv_many, proxy; writable: |_| true);
pattern!(PubSocket, send, room; writable: |_| true);
pattern!(SubSocket, recv, recv_many);
pattern!(XPubSocket, send, room, recv, recv_many, proxy; writable: |_| true);
pattern!(XSubSocket, send, recv, recv_many, proxy);
pattern!(PushSocket, send, room, proxy);
pattern!(PullSocket, recv, recv_many, proxy);
pattern!(PairSocket, send, room, recv, recv_many);

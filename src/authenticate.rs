//! The `authenticate` option: the engine's [`Authenticator`] for one socket, calling the JS
//! function on the socket's JS thread through a threadsafe function of its own (from whichever
//! engine thread runs the handshake), and `authDecision`, through which the JS layer answers.
//!
//! The JS layer (`lib/security.js`) wraps the user's function: it awaits its result and calls
//! `authDecision(id, allowed)` once, `false` for a throw, a rejection or anything but `true`. A
//! decision that never comes holds only that handshake, until `handshakeInterval` or close.
//! Questions wait for their answers in their environment's [`AuthDecisions`] (in its `Hub`), so
//! two environments (workers) never see each other's ids.

use bytes::Bytes;
use napi::bindgen_prelude::{Buffer, Function};
use napi::threadsafe_function::{
    ThreadsafeCallContext, ThreadsafeFunction, ThreadsafeFunctionCallMode,
};
use napi::{Env, Result, Status};
use napi_derive::napi;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;
use zeromq_napi_engine::{lock, Authenticator, PeerInfo};

/// What the JS wrapper gets: the peer, and the id to answer with.
#[napi(object)]
pub struct AuthRequest {
    pub id: u32,
    pub mechanism: String,
    pub address: String,
    pub public_key: Option<String>,
    /// PLAIN: the credentials as UTF-8 text, absent when the bytes are not UTF-8 (a lossy
    /// decoding could make two different usernames look the same).
    pub username: Option<String>,
    pub password: Option<String>,
    /// PLAIN: the credentials exactly as the client sent them.
    pub username_bytes: Option<Buffer>,
    pub password_bytes: Option<Buffer>,
    pub routing_id: Option<Buffer>,
}

type AuthFn = ThreadsafeFunction<PeerCall, (), AuthRequest, Status, false, true, 0>;

/// One question on its way to the JS thread (a `Buffer` is made only there).
pub(crate) struct PeerCall {
    id: u32,
    peer: PeerInfo,
}

/// One environment's decisions not made yet, by id, across its sockets and the engine threads
/// asking on their behalf.
#[derive(Default)]
pub(crate) struct AuthDecisions {
    next_id: AtomicU32,
    pending: Mutex<HashMap<u32, oneshot::Sender<bool>>>,
}

impl AuthDecisions {
    /// Any thread: a new question's id, and where its answer will come.
    fn ask(&self) -> (u32, oneshot::Receiver<bool>) {
        let (tx, rx) = oneshot::channel();
        let mut pending = lock(&self.pending);
        // Handshakes that gave up (timeout, close) leave their sender behind: drop those.
        pending.retain(|_, tx| !tx.is_closed());
        let mut id = self.next_id.fetch_add(1, Ordering::Relaxed);
        while pending.contains_key(&id) {
            id = self.next_id.fetch_add(1, Ordering::Relaxed);
        }
        pending.insert(id, tx);
        (id, rx)
    }

    /// Drops question `id`: nobody will answer it (its handshake then refuses).
    fn forget(&self, id: u32) {
        lock(&self.pending).remove(&id);
    }

    /// The answer to question `id` (ignored if that handshake gave up meanwhile).
    fn answer(&self, id: u32, allowed: bool) {
        let tx = lock(&self.pending).remove(&id);
        if let Some(tx) = tx {
            let _ = tx.send(allowed);
        }
    }
}

pub(crate) struct JsAuthenticator {
    tsfn: AuthFn,
    decisions: Arc<AuthDecisions>,
}

impl JsAuthenticator {
    /// JS thread: `callback` is called there for each new connection's peer; its answers come
    /// back through `decisions`, its environment's.
    pub(crate) fn new(
        callback: Function<'_, AuthRequest, ()>,
        decisions: Arc<AuthDecisions>,
    ) -> Result<JsAuthenticator> {
        let tsfn: AuthFn = callback
            .build_threadsafe_function::<PeerCall>()
            .callee_handled::<false>()
            // A handshake waiting for a decision keeps nothing alive by itself: the socket does.
            .weak::<true>()
            .build_callback(|ctx: ThreadsafeCallContext<PeerCall>| Ok(request(ctx.value)))?;
        Ok(JsAuthenticator { tsfn, decisions })
    }
}

fn text(bytes: Option<&Bytes>) -> Option<String> {
    bytes.and_then(|b| std::str::from_utf8(b).ok().map(str::to_owned))
}

fn buffer(bytes: Option<&Bytes>) -> Option<Buffer> {
    bytes.map(|b| Buffer::from(b.to_vec()))
}

fn request(call: PeerCall) -> AuthRequest {
    let peer = call.peer;
    AuthRequest {
        id: call.id,
        mechanism: peer.mechanism.to_owned(),
        address: peer.address,
        public_key: peer.public_key,
        username: text(peer.username.as_ref()),
        password: text(peer.password.as_ref()),
        username_bytes: buffer(peer.username.as_ref()),
        password_bytes: buffer(peer.password.as_ref()),
        routing_id: peer.routing_id.map(|id| Buffer::from(id.to_vec())),
    }
}

impl Authenticator for JsAuthenticator {
    fn authenticate(&self, peer: PeerInfo) -> Pin<Box<dyn Future<Output = bool> + Send>> {
        let (id, rx) = self.decisions.ask();
        let status = self.tsfn.call(
            PeerCall { id, peer },
            ThreadsafeFunctionCallMode::NonBlocking,
        );
        if status != Status::Ok {
            // The JS thread is gone: nobody can say yes.
            self.decisions.forget(id);
        }
        // A sender dropped without an answer refuses.
        Box::pin(async move { rx.await.unwrap_or(false) })
    }
}

/// The JS layer's answer to the request `id` of this environment (ignored if that handshake
/// gave up meanwhile).
#[cfg_attr(test, allow(dead_code))]
#[napi]
pub fn auth_decision(env: Env, id: u32, allowed: bool) -> Result<()> {
    crate::hub::Hub::of(&env)?
        .auth_decisions()
        .answer(id, allowed);
    Ok(())
}

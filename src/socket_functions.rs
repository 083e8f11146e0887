//! The native functions `lib/native.js` calls on a socket: each takes the socket's id, looks it
//! up in the environment's registry (`Hub::socket`: `EBADF` when it is gone) and calls the method
//! of the same name on [`Socket`]. A socket type adds no function here; a new operation adds one.
//!
//! The few reads that never failed on a released socket (`closed`, `readable`...) still do not:
//! they answer as a closed socket would.

use crate::authenticate::AuthRequest;
use crate::events::EventArgs;
use crate::executor::Started;
use crate::hub::Hub;
use crate::options::JsOptions;
use crate::socket::Socket;
use napi::bindgen_prelude::{Buffer, Function, Unknown};
use napi::{Env, Error, Result, Status};
use napi_derive::napi;
use std::rc::Rc;

/// The socket `id`, when it is still registered (the quiet lookup of the reads below).
fn live(env: &Env, id: i64) -> Option<Rc<Socket>> {
    let id = u64::try_from(id).ok()?;
    Hub::of(env).ok()?.sockets().get(id)
}

/// Makes a socket of `kind` (see `Socket::open`) with all `options`; its id.
#[napi(catch_unwind)]
pub fn socket_open(env: Env, kind: String, options: JsOptions) -> Result<i64> {
    let id = Socket::open(env, &kind, options)?;
    // Ids count up from 1 and stay far below 2^53 (JS numbers are exact up to there).
    i64::try_from(id)
        .map_err(|_| Error::new(Status::GenericFailure, "out of socket ids".to_owned()))
}

/// The JS object holding `id` was collected (its `FinalizationRegistry`): the socket goes.
#[napi(catch_unwind)]
pub fn socket_release(env: Env, id: i64) {
    if let (Ok(hub), Ok(id)) = (Hub::of(&env), u64::try_from(id)) {
        drop(hub.sockets().remove(id));
    }
}

#[napi(catch_unwind)]
pub fn socket_bind(env: Env, id: i64, endpoint: String) -> Result<Started> {
    Hub::socket(&env, id)?.bind(endpoint)
}

#[napi(catch_unwind)]
pub fn socket_unbind(env: Env, id: i64, endpoint: String) -> Result<Started> {
    Hub::socket(&env, id)?.unbind(endpoint)
}

#[napi(catch_unwind)]
pub fn socket_connect(env: Env, id: i64, endpoint: String) -> Result<()> {
    Hub::socket(&env, id)?.connect(endpoint)
}

#[napi(catch_unwind)]
pub fn socket_release_connects(env: Env, id: i64) {
    if let Some(socket) = live(&env, id) {
        socket.release_connects();
    }
}

#[napi(catch_unwind)]
pub fn socket_disconnect(env: Env, id: i64, endpoint: String) -> Result<()> {
    Hub::socket(&env, id)?.disconnect(endpoint)
}

/// `burst`: a later send of the caller's event-loop turn (see `Socket::send`); absent, it is not.
#[napi(catch_unwind)]
pub fn socket_send(
    env: Env,
    id: i64,
    message: Unknown<'_>,
    burst: Option<bool>,
) -> Result<Started> {
    Hub::socket(&env, id)?.send(message, burst.unwrap_or(false))
}

/// [`socket_send`] of the `count` frames the JS layer packed into the send slab (see
/// `slab::SendSlab`).
#[napi(catch_unwind)]
pub fn socket_send_packed(env: Env, id: i64, count: u32, burst: bool) -> Result<Started> {
    Hub::socket(&env, id)?.send_packed(count, burst)
}

/// How many sends in a row the socket would take now (see `Socket::send_room`); 0 when gone.
#[napi(catch_unwind)]
pub fn socket_send_room(env: Env, id: i64) -> u32 {
    live(&env, id).map_or(0, |socket| socket.send_room())
}

/// The sends the JS layer accepted in this turn, in one call (see `Socket::send_many`); nothing
/// when the socket is gone (closed: they were lost with its queue).
#[napi(catch_unwind)]
pub fn socket_send_many(env: Env, id: i64, bytes: &[u8], layout: &[u32]) -> Result<()> {
    match live(&env, id) {
        Some(socket) => socket.send_many(bytes, layout),
        None => Ok(()),
    }
}

#[napi(catch_unwind)]
pub fn socket_flush_sends(env: Env, id: i64) {
    if let Some(socket) = live(&env, id) {
        socket.flush_sends();
    }
}

#[napi(catch_unwind)]
pub fn socket_recv(env: Env, id: i64) -> Result<Started> {
    Hub::socket(&env, id)?.recv()
}

#[napi(catch_unwind)]
pub fn socket_request(
    env: Env,
    id: i64,
    message: Unknown<'_>,
    timeout_ms: Option<i64>,
    retries: u32,
) -> Result<Started> {
    Hub::socket(&env, id)?.request(message, timeout_ms, retries)
}

/// [`socket_request`] of the `count` frames the JS layer packed into the send slab.
#[napi(catch_unwind)]
pub fn socket_request_packed(
    env: Env,
    id: i64,
    count: u32,
    timeout_ms: Option<i64>,
    retries: u32,
) -> Result<Started> {
    Hub::socket(&env, id)?.request_packed(count, timeout_ms, retries)
}

#[napi(catch_unwind)]
pub fn socket_recv_request(env: Env, id: i64) -> Result<Started> {
    Hub::socket(&env, id)?.recv_request()
}

#[napi(catch_unwind)]
pub fn socket_reply(env: Env, id: i64, token: u32, message: Unknown<'_>) -> Result<Started> {
    Hub::socket(&env, id)?.reply(token, message)
}

/// [`socket_reply`] with the `count` frames the JS layer packed into the send slab.
#[napi(catch_unwind)]
pub fn socket_reply_packed(env: Env, id: i64, token: u32, count: u32) -> Result<Started> {
    Hub::socket(&env, id)?.reply_packed(token, count)
}

#[napi(catch_unwind)]
pub fn socket_forget(env: Env, id: i64, token: u32) {
    if let Some(socket) = live(&env, id) {
        socket.forget(token);
    }
}

#[napi(catch_unwind)]
pub fn socket_subscribe(env: Env, id: i64, prefix: Buffer, on: bool) -> Result<()> {
    Hub::socket(&env, id)?.subscribe(prefix, on)
}

#[napi(catch_unwind)]
pub fn socket_proxy(env: Env, id: i64, other: i64) -> Result<Started> {
    let frontend = Hub::socket(&env, id)?;
    let backend = Hub::socket(&env, other)?;
    frontend.proxy(&backend)
}

#[napi(catch_unwind)]
pub fn socket_pause_proxy(env: Env, id: i64, paused: bool) -> Result<()> {
    Hub::socket(&env, id)?.pause_proxy(paused)
}

#[napi(catch_unwind)]
pub fn socket_close(env: Env, id: i64) {
    if let Some(socket) = live(&env, id) {
        socket.close();
    }
}

#[napi(catch_unwind)]
pub fn socket_closed(env: Env, id: i64) -> bool {
    live(&env, id).is_none_or(|socket| socket.closed())
}

#[napi(catch_unwind)]
pub fn socket_last_endpoint(env: Env, id: i64) -> Option<String> {
    live(&env, id)?.last_endpoint()
}

#[napi(catch_unwind)]
pub fn socket_readable(env: Env, id: i64) -> bool {
    live(&env, id).is_some_and(|socket| socket.readable())
}

/// A message is queued, whatever the state allows: a REP owing a reply learns that the next
/// request is already in (see `laterInTurn` in `lib/native.js`).
#[napi(catch_unwind)]
pub fn socket_has_messages(env: Env, id: i64) -> bool {
    live(&env, id).is_some_and(|socket| socket.has_messages())
}

#[napi(catch_unwind)]
pub fn socket_writable(env: Env, id: i64) -> bool {
    live(&env, id).is_some_and(|socket| socket.writable())
}

#[napi(catch_unwind)]
pub fn socket_watch_events(env: Env, id: i64, callback: Function<'_, EventArgs, ()>) -> Result<()> {
    Hub::socket(&env, id)?.watch_events(callback)
}

#[napi(catch_unwind)]
pub fn socket_keep_events_alive(env: Env, id: i64, on: bool) {
    if let Some(socket) = live(&env, id) {
        socket.keep_events_alive(on);
    }
}

#[napi(catch_unwind)]
pub fn socket_set_options(env: Env, id: i64, options: JsOptions) {
    if let Some(socket) = live(&env, id) {
        socket.set_options(options);
    }
}

#[napi(catch_unwind)]
pub fn socket_set_authenticator(
    env: Env,
    id: i64,
    callback: Option<Function<'_, AuthRequest, ()>>,
) -> Result<()> {
    match live(&env, id) {
        Some(socket) => socket.set_authenticator(callback),
        None => Ok(()),
    }
}

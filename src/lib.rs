//! napi binding: exposes the engine's sockets (every type) to the JavaScript layer in `lib/`.
//!
//! The native surface is deliberately small and private (the public API is `index.d.ts`):
//! - [`hub::Hub`]: one per JS environment (main thread or worker). Composes what that
//!   environment's sockets share (the operation executor, the event-loop reader,
//!   the slab) and tears it down with the environment.
//! - [`socket::Socket`]: one engine socket of any type, its type-specific half a
//!   [`pattern::Pattern`] trait object. Every operation first tries to finish on
//!   the calling JS thread (engine `try_send`/`try_recv`, or one inline poll); only when it has to
//!   wait does it become a pending operation of the executor, settled through the hub's callback.
//!
//! Modules, each depending only on those listed before it:
//! - `js_thread` (raw napi handles that belong to one JS thread), `js_error` (engine errors as JS
//!   errors), `binary_view` (where a JS binary value's bytes are), `slab` (small received frames
//!   handed to JS in one shared array);
//! - `message` (JS bytes <-> `Bytes`: sent bytes taken during the call, received ones not copied), `outcome` (results as JS values), `options`
//!   (option object and defaults), `security` (CURVE keys), `authenticate` (the `authenticate`
//!   option's calls to JS and their answers);
//! - `executor` (operation ids, park/poll/cancel, liveness, settling), `uv_read` (reading
//!   connections on the JS thread's event loop), `events` (a socket's events to its JS thread);
//! - `hub`, `pattern` (the per-type half of a socket, one `impl` per type), then `socket`.
//!
//! Every `unsafe` block says why it is sound (`SAFETY:`), enforced by the lints below.

// napi-derive registers the exported functions only outside `cfg(test)`: there everything they
// reach looks unused.
#![cfg_attr(test, allow(dead_code))]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]
#![deny(clippy::missing_safety_doc)]

mod authenticate;
mod binary_view;
mod events;
mod executor;
mod hub;
mod js_error;
mod liveness;
mod message;
mod options;
mod outcome;
mod pattern;
mod security;
mod slab;
mod socket;
mod socket_functions;
#[cfg(unix)]
mod uv_read;
#[cfg(not(unix))]
#[path = "uv_read_unsupported.rs"]
mod uv_read;

//! napi binding: exposes the engine's sockets (every type) to the JavaScript layer in `lib/`.
//!
//! The native surface is deliberately small and private (the public API is `index.d.ts`), and
//! made of functions only, no napi classes, so that no JS object points at native memory:
//! - [`hub::Hub`]: one per JS environment (main thread or worker), kept as the addon's napi
//!   instance data of that environment. Holds what its sockets share (the operation executor,
//!   the event-loop reader, the slab, the registry of sockets) and tears it down with it.
//! - [`socket::Socket`]: one engine socket of any type, its type-specific half a
//!   [`pattern::Pattern`] trait object, named in JS by its id in the hub's registry
//!   (`liveness`); `socket_functions` are the native functions that take that id. Every
//!   operation first tries to finish on the calling JS thread (engine `try_send`/`try_recv`, or
//!   one inline poll); only when it has to wait does it become a pending operation of the
//!   executor, settled through the hub's callback.
//!
//! Modules, each depending only on those listed before it (the hub and the socket know each
//! other: the hub holds the sockets, a socket finds the hub through its `Env`):
//! - `js_error` (engine errors as JS errors), `binary_view` (where a JS binary value's bytes are),
//!   `id_map` (maps keyed by counted ids), `slab` (small frames crossing in shared arrays, received
//!   and sent), `liveness` (the registry);
//! - `message` (JS bytes <-> `Bytes`: sent bytes taken during the call, received ones not copied), `outcome` (results as JS values), `options`
//!   (option object and defaults), `security` (CURVE keys), `authenticate` (the `authenticate`
//!   option's calls to JS and their answers);
//! - `executor` (operation ids, park/poll/cancel, settling), `uv_read` (reading connections on
//!   the JS thread's event loop), `loop_end` (what those reads leave for the end of the loop's
//!   poll phase: a proxy's forwarding), `events` (a socket's events to its JS thread);
//! - `hub`, `pattern` (the per-type half of a socket, one `impl` per type), `socket`, then
//!   `socket_functions`.
//!
//! Every block of unchecked code says why it is sound (`SAFETY:`), enforced by the lints below.

// napi-derive registers the exported functions only outside `cfg(test)`: there everything they
// reach looks unused.
#![cfg_attr(test, allow(dead_code))]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]
#![deny(clippy::missing_safety_doc)]

mod authenticate;
mod batch;
mod binary_view;
mod events;
mod executor;
mod heap_trim;
mod hub;
mod id_map;
mod js_error;
mod liveness;
#[cfg(unix)]
mod loop_end;
#[cfg(not(unix))]
#[path = "loop_end_unsupported.rs"]
mod loop_end;
mod message;
mod options;
mod outcome;
mod pattern;
mod security;
mod slab;
mod socket;
mod socket_functions;
#[cfg(unix)]
mod uv_handle;
#[cfg(unix)]
mod uv_read;
#[cfg(not(unix))]
#[path = "uv_read_unsupported.rs"]
mod uv_read;

//! napi binding: exposes the engine's REQ/REP sockets to the JavaScript layer in `lib/`.
//!
//! The native surface is deliberately small and private (the public API is `index.d.ts`):
//! - [`hub::Hub`]: one per JS environment (main thread or worker). Owns the single threadsafe
//!   function that settles every pending operation of that environment, the op-id table used for
//!   cancellation, and the env-teardown hook.
//! - [`socket::Socket`]: one engine socket (REQ or REP). Every operation first tries to finish on
//!   the calling JS thread (engine `try_send`/`try_recv`, or one inline poll); only when it has to
//!   wait does it become a tokio task whose result comes back through the hub.
//!
//! Module map: `hub` (settlement + liveness), `op` (running an engine future), `outcome` (results
//! as JS values), `message` (JS bytes <-> `Bytes` without copies), `slab` (small received frames
//! handed to JS in one shared array), `graveyard` (releasing JS references from any thread),
//! `js_error` (engine errors as JS errors), `options` (option object), `uv_read` (reading
//! connections on the JS thread's event loop).

mod graveyard;
mod hub;
mod js_error;
mod message;
mod op;
mod options;
mod outcome;
mod slab;
mod socket;
mod uv_read;

//! `tcp-floor`: the benchmark floor. A plain blocking ping-pong between two processes over loopback TCP
//! (TCP_NODELAY) or a Unix socket, with no messaging library in the way: whatever ZeroMQ costs on top of
//! this is the library's. Driven by `bench/run.mjs`.
//!
//! ```text
//! tcp-floor server --unix PATH
//! tcp-floor client (--tcp HOST:PORT | --unix PATH) --size N --iters N [--warmup N] [--conns N]
//! ```

//!
//! Unix only: it is run on the benchmark host, and its Unix-socket floor has no Windows
//! counterpart here (the engine's ipc is Unix-only too). Elsewhere it builds to a stub that says so.

#[cfg(unix)]
mod cli;
#[cfg(unix)]
mod client;
#[cfg(unix)]
mod server;
#[cfg(unix)]
mod wire;

use std::process::ExitCode;

#[cfg(unix)]
fn main() -> ExitCode {
    cli::main()
}

#[cfg(not(unix))]
fn main() -> ExitCode {
    eprintln!("tcp-floor: runs on Unix only (it measures Unix sockets too)");
    ExitCode::FAILURE
}

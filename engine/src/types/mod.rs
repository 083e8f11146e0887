//! The socket types on top of the shared socket: DEALER, ROUTER, and REQ/REP (RFC 28), and the
//! proxy that joins a DEALER or ROUTER to another.

mod busy;
pub mod dealer;
mod fair_queue;
pub mod proxy;
pub mod rep;
pub mod req;
pub mod router;

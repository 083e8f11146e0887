//! The socket types on top of the shared socket: DEALER, ROUTER, REQ/REP (RFC 28), PUB/SUB and
//! XPUB/XSUB (RFC 29), PUSH/PULL (RFC 30), PAIR (RFC 31), and the proxy that joins two of them.

mod busy;
pub mod dealer;
mod fair_queue;
pub mod pair;
pub mod pipeline;
pub mod proxy;
pub mod publisher;
pub mod rep;
pub mod req;
mod round_robin;
pub mod router;
pub mod subscriber;
mod subscriptions;

//! The four socket types on top of the shared socket: DEALER, ROUTER, and REQ/REP (RFC 28).

pub mod dealer;
pub mod rep;
pub mod req;
pub mod router;

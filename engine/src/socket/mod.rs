//! What every socket type shares: the socket core (options, endpoints, the peer table with
//! round-robin sending, waiting, close), the inbound fair queue, connecting and accepting, and the
//! public handle.

pub(crate) mod connector;
pub(crate) mod core;
pub(crate) mod handle;
pub(crate) mod inbound;
pub(crate) mod listener;
pub(crate) mod peer_table;

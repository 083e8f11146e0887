//! The engine's integration tests, in one binary (one link, one run): sockets over real tcp/ipc
//! connections, interop with zmq.rs, hostile peers, caller-driven reading, wire properties.
//! Shared helpers are in `tests/common/`.

#[path = "../common/mod.rs"]
mod common;

mod api_traits;
mod cancel;
mod curve;
mod dealer_router;
mod disconnect_race;
mod driven;
mod endpoints;
mod events;
mod fastpath;
mod handshake_zmqrs;
mod heartbeat;
mod hostile;
mod interop_zmqrs;
mod ipc_backlog;
// Runs a Java JeroMQ peer, which a Windows test host (Wine) does not have.
#[cfg(not(windows))]
mod jeromq;
mod large_frames;
mod layers;
mod limits;
mod linger;
mod proxy;
mod reqrep;
mod router_mandatory;
mod security_libzmq;
mod wire_props;
mod zmqrs_peer;
mod zmtp2;

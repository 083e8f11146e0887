//! The data phase: after a genuine handshake, either side fed damaged, replayed and raw MESSAGEs,
//! and what it boxes checked to open at its peer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zeromq_napi_engine_fuzz::{curve_roles, Script, Session};

fuzz_target!(|input: (bool, Script)| {
    let (target_is_server, script) = input;
    let mut session = Session::new(curve_roles(), target_is_server, &script);
    session.complete();
    session.run(&script);
});

//! The CURVE server fed arbitrary and damaged HELLO / INITIATE (and anything else) from a genuine
//! client's handshake, with or without an authentication decision.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zeromq_napi_engine_fuzz::{curve_roles, Script, Session};

fuzz_target!(|script: Script| {
    Session::new(curve_roles(), true, &script).run(&script);
});

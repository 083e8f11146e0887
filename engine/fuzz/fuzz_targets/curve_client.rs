//! The CURVE client fed arbitrary and damaged WELCOME / READY / ERROR from a genuine server.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zeromq_napi_engine_fuzz::{curve_roles, Script, Session};

fuzz_target!(|script: Script| {
    Session::new(curve_roles(), false, &script).run(&script);
});

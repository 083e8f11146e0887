//! PLAIN client or server (the first byte picks) fed genuine, damaged and raw commands in any order.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zeromq_napi_engine_fuzz::{plain_roles, Script, Session};

fuzz_target!(|input: (bool, Script)| {
    let (target_is_server, script) = input;
    Session::new(plain_roles(), target_is_server, &script).run(&script);
});

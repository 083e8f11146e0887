//! Greeting checks on every prefix of any bytes, the full parse, and re-encoding what parsed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zeromq_napi_engine::wire::greeting::{Greeting, GREETING_LEN};

fuzz_target!(|data: &[u8]| {
    for n in 0..=data.len().min(GREETING_LEN) {
        let _ = Greeting::check_version_prefix(&data[..n]);
        let _ = Greeting::check_signature(&data[..n]);
    }
    let Some(raw) = data.get(..GREETING_LEN) else {
        return;
    };
    let mut bytes = [0u8; GREETING_LEN];
    bytes.copy_from_slice(raw);
    if let Ok(parsed) = Greeting::parse(&bytes) {
        let again = Greeting::parse(&parsed.encode()).expect("our own encoding parses");
        assert_eq!(again, parsed);
    }
});

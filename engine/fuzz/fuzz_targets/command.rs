//! Command and metadata parsing, and the NULL mechanism (plain and authenticating) fed the same
//! bytes: never a panic, a parsed command re-encodes to itself and has the name read from its
//! header alone, and metadata never has more than `MAX_PROPERTIES` properties.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use zeromq_napi_engine::wire::command::{name_of, Command, Metadata, MAX_PROPERTIES};
use zeromq_napi_engine::wire::mechanism::{Mechanism, NullMechanism};

fuzz_target!(|data: &[u8]| {
    let body = Bytes::copy_from_slice(data);
    // An unexpected command is named from its header alone: the same name parsing would give.
    let name = name_of(&body);
    if let Ok(cmd) = Command::parse(&body) {
        assert_eq!(name, cmd.name());
        // ERROR reasons are read lossily as UTF-8, so only the others must round-trip exactly.
        if !matches!(cmd, Command::Error(_)) {
            assert_eq!(Command::parse(&cmd.to_body()).ok(), Some(cmd));
        }
    }
    if let Ok(meta) = Metadata::parse(&body) {
        assert!(meta.entries().len() <= MAX_PROPERTIES);
        let mut out = bytes::BytesMut::new();
        meta.encode(&mut out);
        assert_eq!(Metadata::parse(&out.freeze()).ok(), Some(meta));
    }
    let mut null = NullMechanism::new(Metadata::new());
    let _ = null.next_command();
    let _ = null.process_command(body.clone());
    let _ = null.status();
    let mut gated = NullMechanism::authenticating(Metadata::new());
    let _ = gated.process_command(body.clone());
    gated.authorize(data.first().is_some_and(|b| b & 1 == 1));
    let _ = gated.next_command();
    let _ = gated.process_command(body);
    let _ = gated.status();
});

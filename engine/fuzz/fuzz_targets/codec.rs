//! The frame decoder fed any bytes in any chunking: never a panic, and whatever it decodes
//! re-encodes to frames that decode the same.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use zeromq_napi_engine::wire::codec::{encode_command, encode_header, Decoder, Frame};

fuzz_target!(|data: &[u8]| {
    let [mode, chunk, rest @ ..] = data else {
        return;
    };
    let max = match mode % 4 {
        0 => -1,
        1 => 0,
        2 => 255,
        _ => i64::from(*chunk) * 64,
    };
    let chunk = usize::from(chunk % 16) + 1;
    let mut decoder = Decoder::new(max);
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    'feed: for piece in rest.chunks(chunk) {
        buf.extend_from_slice(piece);
        let _ = decoder.missing(&buf);
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(f)) => frames.push(f),
                Ok(None) => break,
                Err(_) => break 'feed,
            }
        }
    }
    let mut out = BytesMut::new();
    for f in &frames {
        match f {
            Frame::Data { more, body } => {
                encode_header(&mut out, body.len(), *more, false);
                out.extend_from_slice(body);
            }
            Frame::Command(body) => encode_command(&mut out, body),
        }
    }
    let mut again = Decoder::new(-1);
    for f in &frames {
        assert_eq!(again.decode(&mut out).ok().flatten().as_ref(), Some(f));
    }
    assert!(out.is_empty());
});

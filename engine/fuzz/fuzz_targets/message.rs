//! Whole messages assembled from decoded frames under fuzzed limits (`maxMessageSize`,
//! `maxMessageFrames`, `maxCommandSize`): never a panic; what a message holds never passes its
//! budget (the size limit plus the free frames' bookkeeping), nor the frame limit; no command over
//! its limit is decoded; and every message delivered is exactly the frames that went in.
#![no_main]

use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use zeromq_napi_engine::wire::assembly::MessageAssembly;
use zeromq_napi_engine::wire::codec::{Decoder, Frame};
use zeromq_napi_engine::{FRAME_COST, FREE_FRAMES};

/// What `frames` hold in memory, as the limits count it: bodies plus every frame's bookkeeping.
fn held(frames: &[Bytes]) -> u64 {
    frames.iter().map(|f| f.len() as u64 + FRAME_COST).sum()
}

fuzz_target!(|data: &[u8]| {
    let [size_pick, frames_pick, command_pick, chunk, rest @ ..] = data else {
        return;
    };
    let max_size: i64 = match size_pick % 4 {
        0 => -1,
        1 => 0,
        2 => i64::from(*size_pick) * 16,
        _ => FRAME_COST as i64 * 3 + i64::from(*size_pick),
    };
    let max_frames = u32::from(frames_pick % 40);
    let max_command = u32::from(*command_pick) * 4;
    let chunk = usize::from(chunk % 32) + 1;
    let decoder = Decoder::new(max_size).commands_up_to(max_command);
    let mut assembly = MessageAssembly::new(max_size, max_frames);
    let budget = u64::try_from(max_size)
        .ok()
        .map(|max| max + FRAME_COST * FREE_FRAMES as u64);
    let mut expected: Vec<Bytes> = Vec::new();
    let mut buf = BytesMut::new();
    'feed: for piece in rest.chunks(chunk) {
        buf.extend_from_slice(piece);
        loop {
            let frame = match decoder.decode_header(&buf) {
                Ok(Some(header)) => match header.split_from(&mut buf) {
                    Some(frame) => frame,
                    None => break,
                },
                Ok(None) => break,
                Err(_) => break 'feed,
            };
            let (more, body) = match frame {
                Frame::Command(body) => {
                    assert!(body.len() as u64 <= u64::from(max_command));
                    continue;
                }
                Frame::Data { more, body } => (more, body),
            };
            expected.push(body.clone());
            match assembly.push(body, more) {
                Ok(Some(message)) => {
                    assert_eq!(message, expected);
                    if let Some(budget) = budget {
                        assert!(held(&message) <= budget);
                    }
                    if max_frames != 0 {
                        assert!(message.len() <= max_frames as usize);
                    }
                    expected.clear();
                    assert_eq!((assembly.frames(), assembly.size()), (0, 0));
                }
                Ok(None) => {
                    assert_eq!(assembly.frames(), expected.len());
                    if let Some(budget) = budget {
                        assert!(held(&expected) <= budget);
                        assert!(assembly.size() <= budget - FRAME_COST * FREE_FRAMES as u64);
                    }
                    if max_frames != 0 {
                        assert!(assembly.frames() <= max_frames as usize);
                    }
                }
                // The connection would be dropped here: nothing of this message is kept.
                Err(_) => break 'feed,
            }
        }
    }
});

//! Small received frames cross into JavaScript through one shared byte array, not one native
//! `Buffer` each.
//!
//! Creating a `Buffer` from native code (`napi_create_buffer_copy`) is the largest single cost of
//! delivering a small message: ~4.5% of a 16 B client's CPU in `perf`, most of it making the
//! object, not copying 16 bytes. JavaScript makes small Buffers more cheaply (each still with
//! memory of its own). So the JS layer hands its environment's hub a byte array (the slab); a
//! message's small frames are copied into it back to back and stand in the frame array as their
//! lengths, and the JS layer turns them into Buffers (`unpack` in `lib/native.js`) before anything
//! else can touch the slab: at once, in the same call that received them.
//!
//! The other way, a send's small frames cross in a second pair of arrays ([`SendSlab`]): the JS
//! layer copies them in and the native call reads them there, instead of asking napi where each
//! frame's bytes are. A received 16 B Buffer lives inside V8's heap, and asking for its bytes made
//! V8 move it out (a backing store allocated, ~5% of an echo server's user time in `perf`), on top
//! of a `napi_is_array`, a `napi_typeof`, a `napi_is_typedarray` and two vectors per send.
//!
//! One slab (and one send slab) per environment, held by its hub (napi instance data, see
//! `hub.rs`).

use napi::bindgen_prelude::{Uint32Array, Uint8Array};
use std::cell::RefCell;
use zeromq_napi_engine::{FrameRef, Message};

/// The slab: a JS `Uint8Array`, kept alive by the reference napi-rs's `Uint8Array` holds.
pub(crate) struct Slab {
    array: RefCell<Uint8Array>,
    /// Where [`Slab::lay_out`] describes the messages it packed (`lib/native.js`
    /// `unpackLaidOut`).
    layout: RefCell<Uint32Array>,
}

/// `layout[1]` of [`Slab::lay_out`]: the messages are one receive's batch (`Buffer[][]`).
const LAID_OUT_BATCH: u32 = 1;
/// `layout[1]` of [`Slab::lay_out`]: one message (`Buffer[]`).
const LAID_OUT_ONE: u32 = 0;

impl Slab {
    pub(crate) fn new(array: Uint8Array, layout: Uint32Array) -> Slab {
        Slab {
            array: RefCell::new(array),
            layout: RefCell::new(layout),
        }
    }

    /// Packs all of `messages` into the slab, their shape into the layout (the message count,
    /// whether they are a `batch`, then per message its frame count and each frame's length),
    /// when everything fits and every frame is shorter than `below`; false, having written
    /// nothing that counts, otherwise. JavaScript then builds the arrays itself: made through
    /// napi, element by element, they cost a pipelined Router echo ~15% of its samples in V8's
    /// generic property code.
    pub(crate) fn lay_out(&self, messages: &[Message], batch: bool, below: usize) -> bool {
        self.with_views(|bytes, words| lay_out_in(bytes, words, messages, batch, below))
    }

    /// Runs `f` with a packer that writes from the front of the slab.
    pub(crate) fn pack<R>(&self, f: impl FnOnce(&mut Packer<'_>) -> R) -> R {
        self.with_views(|bytes, _| f(&mut Packer { bytes, used: 0 }))
    }

    /// Runs `f` with the slab's bytes and the layout's words, writable.
    fn with_views<R>(&self, f: impl FnOnce(&mut [u8], &mut [u32]) -> R) -> R {
        let mut array = self.array.borrow_mut();
        let mut layout = self.layout.borrow_mut();
        // SAFETY: napi-rs cannot rule out that JavaScript writes the arrays' memory meanwhile.
        // None runs while `f` does: it runs inside one conversion of a result on the JS thread
        // (the hub is only reachable there), and the napi calls made meanwhile create values
        // (arrays, numbers, Buffers), which runs no JavaScript. The arrays are not detached:
        // `lib/native.js` owns them and never transfers them; a detached one gives an empty slice.
        let (bytes, words) = unsafe { (array.as_mut(), layout.as_mut()) };
        f(bytes, words)
    }
}

/// [`Slab::lay_out`] into the slab's `bytes` and the layout's `words`.
fn lay_out_in(
    bytes: &mut [u8],
    words: &mut [u32],
    messages: &[Message],
    batch: bool,
    below: usize,
) -> bool {
    let mut need_words = 2usize;
    let mut need_bytes = 0usize;
    for message in messages {
        need_words += 1 + message.len();
        for frame in message {
            if frame.len() >= below {
                return false;
            }
            need_bytes += frame.len();
        }
    }
    if need_words > words.len() || need_bytes > bytes.len() {
        return false;
    }
    let (Ok(count), Ok(_)) = (u32::try_from(messages.len()), u32::try_from(need_bytes)) else {
        return false;
    };
    words[0] = count;
    words[1] = if batch { LAID_OUT_BATCH } else { LAID_OUT_ONE };
    let mut w = 2;
    let mut at = 0;
    for message in messages {
        // Fits: `need_bytes` (and so each length) is below 2^32, and frame counts below it too.
        words[w] = message.len() as u32;
        w += 1;
        for frame in message {
            words[w] = frame.len() as u32;
            w += 1;
            bytes[at..at + frame.len()].copy_from_slice(frame);
            at += frame.len();
        }
    }
    true
}

/// Where one message's small frames go.
pub(crate) struct Packer<'a> {
    bytes: &'a mut [u8],
    used: usize,
}

impl Packer<'_> {
    /// Copies `frame` into the slab after the frames packed so far; false (nothing copied) if
    /// there is no room left in it.
    pub(crate) fn pack(&mut self, frame: &[u8]) -> bool {
        let Some(end) = self.used.checked_add(frame.len()) else {
            return false;
        };
        let Some(room) = self.bytes.get_mut(self.used..end) else {
            return false;
        };
        room.copy_from_slice(frame);
        self.used = end;
        true
    }
}

/// Where the JS layer packs a send's frames (`packMessage` in `lib/native.js`): their bytes back to
/// back in `bytes`, their lengths in `lengths`. Both are JS arrays kept alive by the references
/// napi-rs's typed arrays hold; their memory never moves (neither is resizable, and
/// `lib/native.js` owns them and never transfers them).
pub(crate) struct SendSlab {
    bytes: Uint8Array,
    lengths: Uint32Array,
}

impl SendSlab {
    pub(crate) fn new(bytes: Uint8Array, lengths: Uint32Array) -> SendSlab {
        SendSlab { bytes, lengths }
    }

    /// The `count` frames the JS layer packed for the current native call; `None` when the
    /// lengths do not fit the arrays (a bug of the JS layer, refused rather than read past).
    ///
    /// The frames borrow the arrays for as long as `self` is borrowed: a native call's borrow of
    /// its hub, during which no JavaScript runs that could write them.
    pub(crate) fn frames(&self, count: u32) -> Option<Vec<FrameRef<'_>>> {
        let bytes: &[u8] = &self.bytes;
        let lengths = self.lengths.get(..count as usize)?;
        let mut frames = Vec::with_capacity(lengths.len());
        let mut at = 0usize;
        for &length in lengths {
            let end = at.checked_add(length as usize)?;
            frames.push(FrameRef::Lent(bytes.get(at..end)?));
            at = end;
        }
        Some(frames)
    }
}

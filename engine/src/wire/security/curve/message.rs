//! MESSAGE boxes: every frame after the CURVE handshake, data and commands alike (libzmq boxes
//! PING/PONG and SUBSCRIBE too), travels as `\x07MESSAGE`, an 8-byte nonce counter, and
//! Box[flags + body] under the key both sides precomputed from their short-term keys.
//!
//! Each direction counts its own nonces, continuing the counter the handshake commands used, and a
//! receiver takes only a nonce strictly above the last one it accepted: a replayed or reordered
//! box is refused before any decryption. The counter moves only once a box opened, so a forged
//! box cannot push it ahead.

use super::nacl_box::{serial, BoxKey, Join, Opening};
use super::{short_nonce, TAG_LEN};
use crate::error::ProtocolError;
use crate::wire::codec::{self, Frame};
use bytes::{Buf, BufMut, Bytes, BytesMut};
use std::sync::Arc;
use zeroize::Zeroize;

const MESSAGE: &[u8] = b"\x07MESSAGE";
/// libzmq's flags inside the box (`msg_t::more`, `msg_t::command`); other bits are ignored as
/// libzmq ignores them.
const FLAG_MORE: u8 = 1;
const FLAG_COMMAND: u8 = 2;
const NONCE_AT: usize = MESSAGE.len();
const TAG_AT: usize = NONCE_AT + 8;
const FLAGS_AT: usize = TAG_AT + TAG_LEN;
/// What a MESSAGE adds to a frame body: name, nonce, tag, flags.
pub const OVERHEAD: usize = FLAGS_AT + 1;
/// What must have arrived of a MESSAGE before it can be opened as it streams in: name, nonce, tag.
pub const STREAM_HEAD: usize = FLAGS_AT;

/// Both directions of a CURVE connection: what the mechanisms use during the handshake (INITIATE
/// and READY already take nonces from it) and split into halves for the data phase.
pub struct MessageCodec {
    sealer: MessageSealer,
    opener: MessageOpener,
}

impl MessageCodec {
    pub(crate) fn new(
        key: BoxKey,
        send_prefix: &'static [u8; 16],
        recv_prefix: &'static [u8; 16],
        next: u64,
    ) -> MessageCodec {
        // One precomputed key, read-only, shared by the two halves (the cipher state is per call).
        let key = Arc::new(key);
        MessageCodec {
            opener: MessageOpener {
                key: Arc::clone(&key),
                prefix: recv_prefix,
                last_peer: 0,
                join: serial,
            },
            sealer: MessageSealer {
                key,
                prefix: send_prefix,
                next,
                join: serial,
            },
        }
    }

    pub(crate) fn key(&self) -> &BoxKey {
        &self.sealer.key
    }

    pub(crate) fn take_nonce(&mut self) -> Result<u64, ProtocolError> {
        self.sealer.take_nonce()
    }

    /// Records the peer's handshake counter (INITIATE or READY): its first MESSAGE must exceed it.
    pub(crate) fn set_peer_nonce(&mut self, n: u64) {
        self.opener.last_peer = n;
    }

    /// The writer's half and the reader's half, to be owned by different tasks.
    pub fn split(self) -> (MessageSealer, MessageOpener) {
        (self.sealer, self.opener)
    }
}

/// The tests' shorthands: both halves through one value (connections always split it).
#[cfg(test)]
impl MessageCodec {
    fn encode(&mut self, frame: Frame) -> Result<Frame, ProtocolError> {
        self.sealer.encode(frame)
    }

    fn encode_into(
        &mut self,
        body: &[u8],
        more: bool,
        command: bool,
        dst: &mut BytesMut,
    ) -> Result<(), ProtocolError> {
        self.sealer.encode_into(body, more, command, dst)
    }

    fn decode(&mut self, frame: Frame) -> Result<Frame, ProtocolError> {
        self.opener.decode(frame)
    }
}

/// Frames at least this long are sealed, and opened, with their work split in two that a [`Join`]
/// may run at once (and in cache-sized passes): below it, a second thread costs about what it saves.
pub const SPLIT_MIN: usize = 256 * 1024;

/// Boxes outgoing frames: the sending direction's key copy, nonce prefix and counter.
pub struct MessageSealer {
    key: Arc<BoxKey>,
    prefix: &'static [u8; 16],
    /// The counter our next box uses.
    next: u64,
    /// How a large frame's two halves run (see [`SPLIT_MIN`]); one after the other unless the
    /// layer that owns threads says otherwise ([`MessageSealer::split_with`]).
    join: Join,
}

impl MessageSealer {
    /// Large frames are sealed with their halves run by `join` (which may use two threads).
    pub fn split_with(mut self, join: Join) -> MessageSealer {
        self.join = join;
        self
    }

    /// The next send counter. Refused at the end of the range rather than ever reused: a nonce
    /// used twice under one key gives both plaintexts away.
    fn take_nonce(&mut self) -> Result<u64, ProtocolError> {
        let n = self.next;
        self.next = n
            .checked_add(1)
            .ok_or(ProtocolError::BadCommand("CURVE nonce counter exhausted"))?;
        Ok(n)
    }

    /// Appends the MESSAGE command body for one frame to `dst`: the frame is copied once into
    /// `dst` and sealed there.
    pub fn seal_into(
        &mut self,
        body: &[u8],
        more: bool,
        command: bool,
        dst: &mut BytesMut,
    ) -> Result<(), ProtocolError> {
        let counter = self.take_nonce()?;
        let mut flags = 0;
        if more {
            flags |= FLAG_MORE;
        }
        if command {
            flags |= FLAG_COMMAND;
        }
        dst.reserve(OVERHEAD.saturating_add(body.len()));
        let start = dst.len();
        dst.extend_from_slice(MESSAGE);
        dst.put_u64(counter);
        dst.extend_from_slice(&[0u8; TAG_LEN]);
        let nonce = short_nonce(self.prefix, counter);
        let tag = if body.len() >= SPLIT_MIN {
            // Encrypted from the caller's memory straight into `dst`.
            self.key
                .seal_split_into(&nonce, flags, body, dst, self.join)
        } else {
            dst.put_u8(flags);
            dst.extend_from_slice(body);
            self.key.seal_in_place(&nonce, &mut dst[start + FLAGS_AT..])
        };
        dst[start + TAG_AT..start + FLAGS_AT].copy_from_slice(&tag);
        Ok(())
    }

    /// One frame as it goes on the wire: a flagless data frame holding the MESSAGE.
    pub fn encode(&mut self, frame: Frame) -> Result<Frame, ProtocolError> {
        let (body, more, command) = match &frame {
            Frame::Data { more, body } => (body, *more, false),
            Frame::Command(body) => (body, false, true),
        };
        let mut dst = BytesMut::with_capacity(OVERHEAD.saturating_add(body.len()));
        self.seal_into(body, more, command, &mut dst)?;
        Ok(Frame::Data {
            more: false,
            body: dst.freeze(),
        })
    }

    /// One frame as a complete wire frame (header included) appended to `dst`.
    pub fn encode_into(
        &mut self,
        body: &[u8],
        more: bool,
        command: bool,
        dst: &mut BytesMut,
    ) -> Result<(), ProtocolError> {
        codec::encode_header(dst, OVERHEAD.saturating_add(body.len()), false, false);
        self.seal_into(body, more, command, dst)
    }
}

/// A MESSAGE being opened while its frame arrives (see [`MessageOpener::start`]): its box is
/// checked and decrypted piece by piece as the bytes come, so that little is left to do when the
/// last of them arrives.
pub struct StreamedMessage {
    opening: Opening,
    /// How a large piece's MAC and decryption run (the opener's).
    join: Join,
    counter: u64,
    /// Bytes of the frame body (the whole MESSAGE) processed so far.
    done: usize,
}

impl StreamedMessage {
    /// `arrived`: the frame body received so far (it only ever grows); what is new in it is
    /// decrypted in place. Nothing of it may be used before [`MessageOpener::finish`] accepts it.
    pub fn update(&mut self, arrived: &mut [u8]) {
        if let Some(new) = arrived.get_mut(self.done..) {
            if new.len() >= SPLIT_MIN {
                self.opening.update_split(new, self.join);
            } else {
                self.opening.update(new);
            }
            self.done = arrived.len();
        }
    }
}

/// Opens incoming MESSAGEs: the receiving direction's key copy, nonce prefix and the highest
/// counter accepted so far.
pub struct MessageOpener {
    key: Arc<BoxKey>,
    prefix: &'static [u8; 16],
    /// The highest counter accepted from the peer (its INITIATE's or READY's at first).
    last_peer: u64,
    /// How a large piece of a streamed box is opened (see [`SPLIT_MIN`]).
    join: Join,
}

impl MessageOpener {
    /// Large pieces of streamed boxes are opened with their work run by `join` (two threads, maybe).
    pub fn split_with(mut self, join: Join) -> MessageOpener {
        self.join = join;
        self
    }

    /// Starts opening a MESSAGE whose frame is still arriving, from its first bytes (`head`; the
    /// name, counter and tag must be there: [`STREAM_HEAD`] bytes). `None` until they are. The
    /// checks `decode` makes before decrypting are made here, so a replayed box costs nothing.
    pub fn start(&self, head: &[u8]) -> Result<Option<StreamedMessage>, ProtocolError> {
        if head.len() < STREAM_HEAD {
            return Ok(None);
        }
        let counter = self.check_head(head)?;
        let mut tag = [0u8; TAG_LEN];
        tag.copy_from_slice(&head[TAG_AT..FLAGS_AT]);
        Ok(Some(StreamedMessage {
            opening: Opening::new(&self.key, &short_nonce(self.prefix, counter), &tag),
            join: self.join,
            counter,
            done: FLAGS_AT,
        }))
    }

    /// Finishes opening the MESSAGE `streamed` opened in place in `body` as it arrived (all of it
    /// fed to `update`): checks its tag; when it does not match, wipes `body` and says so. The
    /// opened frame is then [`unboxed`] from the same memory, without a copy (the body may be a
    /// pooled block that only a `Bytes` can hand on, not an owned `BytesMut`).
    pub fn finish(
        &mut self,
        streamed: StreamedMessage,
        body: &mut [u8],
    ) -> Result<(), ProtocolError> {
        let StreamedMessage {
            opening,
            counter,
            done,
            ..
        } = streamed;
        let checked = if done == body.len() && counter > self.last_peer {
            opening.finish().is_ok()
        } else {
            false
        };
        if !checked {
            body.zeroize();
            return Err(ProtocolError::BadCommand("CURVE MESSAGE box does not open"));
        }
        self.last_peer = counter;
        Ok(())
    }

    /// The counter of a MESSAGE, once its name, length and counter say it may be opened.
    fn check_head(&self, body: &[u8]) -> Result<u64, ProtocolError> {
        if !body.starts_with(MESSAGE) {
            return Err(ProtocolError::UnexpectedCommand(
                "a frame other than a CURVE MESSAGE after the handshake".into(),
            ));
        }
        if body.len() < OVERHEAD {
            return Err(ProtocolError::BadCommand("truncated CURVE MESSAGE"));
        }
        let mut counter = [0u8; 8];
        counter.copy_from_slice(&body[NONCE_AT..TAG_AT]);
        let counter = u64::from_be_bytes(counter);
        if counter <= self.last_peer {
            return Err(ProtocolError::BadCommand(
                "CURVE MESSAGE nonce not above the last one (replayed or reordered)",
            ));
        }
        Ok(counter)
    }

    /// Opens one received MESSAGE (the outer frame's flags do not matter, as in libzmq). The body is
    /// decrypted in place when this frame owns its buffer (a large frame read on its own), and
    /// copied once otherwise (a small frame sharing the read buffer).
    pub fn decode(&mut self, frame: Frame) -> Result<Frame, ProtocolError> {
        let body = match frame {
            Frame::Data { body, .. } | Frame::Command(body) => body,
        };
        let counter = self.check_head(&body)?;
        let mut buf = match body.try_into_mut() {
            Ok(owned) => owned,
            Err(shared) => BytesMut::from(&shared[..]),
        };
        let mut tag = [0u8; TAG_LEN];
        tag.copy_from_slice(&buf[TAG_AT..FLAGS_AT]);
        self.key
            .open_in_place(
                &short_nonce(self.prefix, counter),
                &mut buf[FLAGS_AT..],
                &tag,
            )
            .map_err(|_| ProtocolError::BadCommand("CURVE MESSAGE box does not open"))?;
        self.last_peer = counter;
        Ok(opened(buf))
    }
}

/// A decrypted MESSAGE (name, counter, tag and flags still in front) as the frame it carried.
/// The frame inside a MESSAGE box whose `finish` succeeded: the box's body past its head, as a
/// slice of the same memory.
pub fn unboxed(boxed: Frame) -> Frame {
    let body = match boxed {
        Frame::Data { body, .. } | Frame::Command(body) => body,
    };
    let Some(&flags) = body.get(FLAGS_AT) else {
        // Never for a box `start` accepted (its head is longer); kept total all the same.
        return Frame::Data {
            more: false,
            body: Bytes::new(),
        };
    };
    frame_of(flags, body.slice(OVERHEAD.min(body.len())..))
}

fn opened(mut buf: BytesMut) -> Frame {
    let flags = buf[FLAGS_AT];
    buf.advance(OVERHEAD);
    frame_of(flags, buf.freeze())
}

/// The frame an opened box's `flags` byte says `body` is.
fn frame_of(flags: u8, body: Bytes) -> Frame {
    if flags & FLAG_COMMAND != 0 {
        Frame::Command(body)
    } else {
        Frame::Data {
            more: flags & FLAG_MORE != 0,
            body,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::precompute;
    use super::super::{MESSAGE_FROM_CLIENT, MESSAGE_FROM_SERVER};
    use super::*;
    use crate::wire::codec::Decoder;
    use crate::wire::security::CurveSecretKey;
    use bytes::Bytes;

    fn pair() -> (MessageCodec, MessageCodec) {
        let a = CurveSecretKey::from_bytes(&[1u8; 32]);
        let b = CurveSecretKey::from_bytes(&[2u8; 32]);
        let client = MessageCodec::new(
            precompute(b.public_key().as_bytes(), &a).expect("key"),
            MESSAGE_FROM_CLIENT,
            MESSAGE_FROM_SERVER,
            3,
        );
        let server = MessageCodec::new(
            precompute(a.public_key().as_bytes(), &b).expect("key"),
            MESSAGE_FROM_SERVER,
            MESSAGE_FROM_CLIENT,
            2,
        );
        (client, server)
    }

    fn data(more: bool, body: &'static [u8]) -> Frame {
        Frame::Data {
            more,
            body: Bytes::from_static(body),
        }
    }

    fn body(frame: &Frame) -> &Bytes {
        match frame {
            Frame::Data { body, .. } | Frame::Command(body) => body,
        }
    }

    #[test]
    fn frames_round_trip_with_their_flags() {
        let (mut c, mut s) = pair();
        s.set_peer_nonce(2);
        c.set_peer_nonce(1);
        for frame in [
            data(true, b"first"),
            data(false, b""),
            Frame::Command(Bytes::from_static(b"\x04PING\x00\x00")),
        ] {
            let wire = c.encode(frame.clone()).unwrap();
            let Frame::Data {
                more: false,
                body: b,
            } = &wire
            else {
                panic!("outer frame must be a flagless data frame: {wire:?}");
            };
            assert_eq!(b.len(), OVERHEAD + body(&frame).len());
            assert_eq!(&b[..8], MESSAGE);
            assert_eq!(s.decode(wire).unwrap(), frame);
            let back = s.encode(frame.clone()).unwrap();
            assert_eq!(c.decode(back).unwrap(), frame);
        }
    }

    #[test]
    fn nonces_continue_the_handshake_counter() {
        let (mut c, _) = pair();
        let Frame::Data { body: first, .. } = c.encode(data(false, b"x")).unwrap() else {
            panic!()
        };
        assert_eq!(&first[8..16], &3u64.to_be_bytes());
        let Frame::Data { body: second, .. } = c.encode(data(false, b"x")).unwrap() else {
            panic!()
        };
        assert_eq!(&second[8..16], &4u64.to_be_bytes());
    }

    #[test]
    fn encode_into_writes_a_whole_wire_frame() {
        let (mut c, mut s) = pair();
        let mut wire = BytesMut::new();
        c.encode_into(&[9u8; 300], true, false, &mut wire).unwrap();
        c.encode_into(b"tail", false, false, &mut wire).unwrap();
        let mut decoder = Decoder::new(-1);
        let one = decoder.decode(&mut wire).unwrap().unwrap();
        let two = decoder.decode(&mut wire).unwrap().unwrap();
        assert!(wire.is_empty());
        assert_eq!(
            s.decode(one).unwrap(),
            Frame::Data {
                more: true,
                body: Bytes::from(vec![9u8; 300])
            }
        );
        assert_eq!(s.decode(two).unwrap(), data(false, b"tail"));
    }

    #[test]
    fn replayed_and_reordered_boxes_are_refused() {
        let (mut c, mut s) = pair();
        let one = c.encode(data(false, b"1")).unwrap();
        let two = c.encode(data(false, b"2")).unwrap();
        let three = c.encode(data(false, b"3")).unwrap();
        assert_eq!(s.decode(one.clone()).unwrap(), data(false, b"1"));
        // Replay.
        assert!(matches!(s.decode(one), Err(ProtocolError::BadCommand(_))));
        // Reorder: 3 before 2, then 2 is stale.
        assert_eq!(s.decode(three).unwrap(), data(false, b"3"));
        assert!(matches!(s.decode(two), Err(ProtocolError::BadCommand(_))));
    }

    #[test]
    fn handshake_nonce_floor() {
        let (mut c, mut s) = pair();
        s.set_peer_nonce(3);
        // The client's first MESSAGE uses 3: not above the floor.
        assert!(s.decode(c.encode(data(false, b"x")).unwrap()).is_err());
    }

    #[test]
    fn forged_or_damaged_boxes_are_refused_without_moving_the_counter() {
        let (mut c, mut s) = pair();
        let good = c.encode(data(false, b"payload")).unwrap();
        let Frame::Data {
            body: good_body, ..
        } = &good
        else {
            panic!()
        };
        for at in [8usize, 16, 31, 32, good_body.len() - 1] {
            let mut bad = good_body.to_vec();
            bad[at] ^= 1;
            let res = s.decode(data_owned(bad));
            assert!(matches!(res, Err(ProtocolError::BadCommand(_))), "{at}");
        }
        // A box with a huge forged counter failed; the real one still opens.
        let mut huge = good_body.to_vec();
        huge[8..16].copy_from_slice(&u64::MAX.to_be_bytes());
        assert!(s.decode(data_owned(huge)).is_err());
        assert_eq!(s.decode(good).unwrap(), data(false, b"payload"));
        // The wrong direction's prefix: a server box fed back to a fresh server (its counter is
        // above the floor, so only the nonce prefix makes it fail).
        let (_, mut fresh) = pair();
        let own = fresh.encode(data(false, b"echo")).unwrap();
        assert!(matches!(
            fresh.decode(own),
            Err(ProtocolError::BadCommand("CURVE MESSAGE box does not open"))
        ));
    }

    #[test]
    fn garbage_and_truncation() {
        let (_, mut s) = pair();
        assert!(matches!(
            s.decode(data(false, b"hello")),
            Err(ProtocolError::UnexpectedCommand(_))
        ));
        assert!(matches!(
            s.decode(Frame::Command(Bytes::from_static(b"\x04PING\x00\x00"))),
            Err(ProtocolError::UnexpectedCommand(_))
        ));
        let mut short = MESSAGE.to_vec();
        short.extend_from_slice(&[0u8; 24]);
        assert!(matches!(
            s.decode(data_owned(short)),
            Err(ProtocolError::BadCommand("truncated CURVE MESSAGE"))
        ));
        assert!(s.decode(data(false, b"")).is_err());
    }

    #[test]
    fn exhausted_counter_is_refused_not_reused() {
        let a = CurveSecretKey::from_bytes(&[1u8; 32]);
        let mut c = MessageCodec::new(
            precompute(a.public_key().as_bytes(), &a).expect("key"),
            MESSAGE_FROM_CLIENT,
            MESSAGE_FROM_SERVER,
            u64::MAX,
        );
        assert!(c.encode(data(false, b"x")).is_err());
        assert!(c.encode(data(false, b"x")).is_err());
    }

    #[test]
    fn decrypts_in_place_when_the_frame_owns_its_buffer() {
        for len in [4096, (1 << 20) + 7] {
            let (mut c, mut s) = pair();
            let body_in = Bytes::from((0..len).map(|i| i as u8).collect::<Vec<u8>>());
            let Frame::Data { body: wire, .. } = c
                .encode(Frame::Data {
                    more: false,
                    body: body_in.clone(),
                })
                .unwrap()
            else {
                panic!()
            };
            let wire_ptr = wire.as_ptr();
            let out = s.decode(Frame::Data {
                more: false,
                body: wire,
            });
            let Ok(Frame::Data { body, .. }) = out else {
                panic!()
            };
            assert_eq!(body.as_ptr(), wire_ptr.wrapping_add(OVERHEAD), "{len}");
            assert_eq!(body, body_in);
        }
    }

    fn data_owned(body: Vec<u8>) -> Frame {
        Frame::Data {
            more: false,
            body: Bytes::from(body),
        }
    }
}

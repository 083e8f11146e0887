//! ZMTP 3 frame codec (RFC 37 section "Framing"), sans-IO.
//!
//! Memory grows only with bytes that have actually arrived: an announced length is checked against
//! `maxMessageSize` and never used to reserve memory up front.

use crate::error::ProtocolError;
use bytes::{Buf, BufMut, Bytes, BytesMut};

pub const FLAG_MORE: u8 = 0x01;
pub const FLAG_LONG: u8 = 0x02;
pub const FLAG_COMMAND: u8 = 0x04;

/// Bits RFC 37 reserves; a peer setting them speaks something we do not understand.
const RESERVED_FLAGS: u8 = !(FLAG_MORE | FLAG_LONG | FLAG_COMMAND);
/// Flags + 1-byte length.
const SHORT_HEADER_LEN: usize = 2;
/// Flags + 8-byte length.
const LONG_HEADER_LEN: usize = 9;

/// One decoded frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A message frame; `more` = another frame of the same message follows.
    Data { more: bool, body: Bytes },
    /// A command frame's body (name-size, name, data).
    Command(Bytes),
}

/// A complete, validated frame header: what [`Decoder::decode_header`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    flags: u8,
    header_len: usize,
    body_len: usize,
    /// `header_len + body_len`, computed once with overflow checked.
    frame_len: usize,
}

impl FrameHeader {
    /// Bytes of the header itself (2 or 9).
    pub fn header_len(&self) -> usize {
        self.header_len
    }

    /// The announced body length. Already checked against `maxMessageSize`, but it is still only
    /// a peer's claim: never reserve memory for it before the bytes arrive.
    pub fn body_len(&self) -> usize {
        self.body_len
    }

    /// Header plus body.
    pub fn frame_len(&self) -> usize {
        self.frame_len
    }

    pub fn is_command(&self) -> bool {
        self.flags & FLAG_COMMAND != 0
    }

    pub fn more(&self) -> bool {
        self.flags & FLAG_MORE != 0
    }

    /// The frame this header introduces, with `body` (which the caller read by other means).
    pub fn into_frame(self, body: Bytes) -> Frame {
        if self.is_command() {
            Frame::Command(body)
        } else {
            Frame::Data {
                more: self.more(),
                body,
            }
        }
    }

    /// Takes the frame this header introduces off the front of `src` if all of it is there: the
    /// body is a slice of `src`'s allocation, not a copy. `self` must be the header at the front of `src`.
    pub fn split_from(self, src: &mut BytesMut) -> Option<Frame> {
        let body = self.split_body_from(src)?;
        Some(self.into_frame(body))
    }

    /// [`FrameHeader::split_from`] for a caller that knows what kind of frame this is.
    pub fn split_body_from(self, src: &mut BytesMut) -> Option<Bytes> {
        if src.len() < self.frame_len {
            return None;
        }
        src.advance(self.header_len);
        Some(src.split_to(self.body_len).freeze())
    }
}

/// Incremental frame decoder.
///
/// It keeps no partial-frame state: the header is re-read from the front of the buffer on every
/// call (a few bytes), so the caller may grow the buffer any way it likes between calls, or read
/// a large body elsewhere once [`Decoder::decode_header`] has returned its header.
#[derive(Debug)]
pub struct Decoder {
    max_frame: Option<u64>,
    /// Commands have a limit of their own (`maxCommandSize`), whatever `max_frame` is.
    max_command: Option<u64>,
    /// Flag bits this peer's framing reserves (ZMTP 2.0 has no COMMAND bit).
    reserved: u8,
}

impl Decoder {
    /// `max_message_size` < 0 = unlimited.
    pub fn new(max_message_size: i64) -> Decoder {
        Decoder {
            max_frame: u64::try_from(max_message_size).ok(),
            max_command: None,
            reserved: RESERVED_FLAGS,
        }
    }

    /// The same decoder with another limit for every frame (`max_message_size` < 0 = none).
    pub fn frames_up_to(self, max_message_size: i64) -> Decoder {
        Decoder {
            max_frame: u64::try_from(max_message_size).ok(),
            ..self
        }
    }

    /// The same decoder refusing command frames over `max` bytes from their header on.
    pub fn commands_up_to(self, max: u32) -> Decoder {
        Decoder {
            max_command: Some(u64::from(max)),
            ..self
        }
    }

    /// The same decoder for a ZMTP 2.0 peer (RFC 15): bit 2 is reserved there, so a frame with
    /// the COMMAND bit is malformed rather than a command to obey.
    pub fn zmtp2(self) -> Decoder {
        Decoder {
            reserved: RESERVED_FLAGS | FLAG_COMMAND,
            ..self
        }
    }

    /// Takes one complete frame off the front of `src`; `Ok(None)` when more bytes are needed.
    /// Never panics on any input; a frame over the limit is an error as soon as its header is complete.
    pub fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, ProtocolError> {
        let Some(header) = self.decode_header(src)? else {
            return Ok(None);
        };
        Ok(header.split_from(src))
    }

    /// Bytes still missing for the frame in progress (0 if unknown). A read-sizing hint only:
    /// callers must cap any reservation made from it.
    pub fn missing(&self, src: &BytesMut) -> usize {
        match self.decode_header(src) {
            Ok(Some(h)) => h.frame_len.saturating_sub(src.len()),
            Ok(None) => match src.first() {
                None => SHORT_HEADER_LEN,
                Some(flags) if flags & FLAG_LONG != 0 => LONG_HEADER_LEN.saturating_sub(src.len()),
                Some(_) => SHORT_HEADER_LEN.saturating_sub(src.len()),
            },
            Err(_) => 0,
        }
    }

    /// Reads and validates the header at the front of `src`, as far as it has arrived; consumes
    /// nothing. `Ok(None)` = the header is not complete yet.
    /// Flag errors surface from the first byte, size errors as soon as the length is complete.
    pub fn decode_header(&self, src: &[u8]) -> Result<Option<FrameHeader>, ProtocolError> {
        let Some(&flags) = src.first() else {
            return Ok(None);
        };
        if flags & self.reserved != 0 {
            return Err(ProtocolError::BadFrame("reserved flag bits set"));
        }
        if flags & FLAG_COMMAND != 0 && flags & FLAG_MORE != 0 {
            return Err(ProtocolError::BadFrame("command frame with MORE set"));
        }
        let (header_len, announced) = if flags & FLAG_LONG != 0 {
            let Some(len) = src.get(1..LONG_HEADER_LEN) else {
                return Ok(None);
            };
            let mut be = [0u8; 8];
            be.copy_from_slice(len);
            let announced = u64::from_be_bytes(be);
            // RFC 37: the length is a signed 64-bit quantity on the wire, like libzmq reads it.
            if announced > i64::MAX as u64 {
                return Err(ProtocolError::BadFrame("frame length exceeds i64::MAX"));
            }
            (LONG_HEADER_LEN, announced)
        } else {
            let Some(&len) = src.get(1) else {
                return Ok(None);
            };
            (SHORT_HEADER_LEN, u64::from(len))
        };
        if let Some(max) = self.max_command.filter(|_| flags & FLAG_COMMAND != 0) {
            if announced > max {
                return Err(ProtocolError::CommandTooLarge {
                    size: announced,
                    max,
                });
            }
        }
        if let Some(max) = self.max_frame {
            if announced > max {
                return Err(ProtocolError::FrameTooLarge {
                    size: announced,
                    max,
                });
            }
        }
        let body_len = usize::try_from(announced)
            .map_err(|_| ProtocolError::BadFrame("frame length exceeds address space"))?;
        // Only a pathological platform gets here with a sum that overflows: i64::MAX + 9 fits in
        // a 64-bit usize, and a 32-bit one already failed the conversion above.
        let frame_len = header_len
            .checked_add(body_len)
            .ok_or(ProtocolError::BadFrame("frame length overflows"))?;
        Ok(Some(FrameHeader {
            flags,
            header_len,
            body_len,
            frame_len,
        }))
    }
}

/// Writes a frame header (flags + 1- or 8-byte length) for a body of `len` bytes.
pub fn encode_header(dst: &mut BytesMut, len: usize, more: bool, command: bool) {
    let mut flags = 0;
    if more {
        flags |= FLAG_MORE;
    }
    if command {
        flags |= FLAG_COMMAND;
    }
    match u8::try_from(len) {
        Ok(short) => {
            dst.reserve(SHORT_HEADER_LEN);
            dst.put_u8(flags);
            dst.put_u8(short);
        }
        Err(_) => {
            dst.reserve(LONG_HEADER_LEN);
            dst.put_u8(flags | FLAG_LONG);
            // usize is at most 64 bits on every supported target.
            dst.put_u64(len as u64);
        }
    }
}

/// The header length `encode_header` writes for a body of `len` bytes.
pub fn header_len(len: usize) -> usize {
    if len <= usize::from(u8::MAX) {
        SHORT_HEADER_LEN
    } else {
        LONG_HEADER_LEN
    }
}

/// Writes all frames of a message, MORE set on all but the last, bodies copied.
pub fn encode_message(dst: &mut BytesMut, frames: &[Bytes]) {
    let total = frames.iter().fold(0usize, |acc, f| {
        acc.saturating_add(header_len(f.len()))
            .saturating_add(f.len())
    });
    dst.reserve(total);
    let last = frames.len().saturating_sub(1);
    for (i, frame) in frames.iter().enumerate() {
        encode_header(dst, frame.len(), i != last, false);
        dst.extend_from_slice(frame);
    }
}

/// Writes one command frame with the given body (name-size, name, data).
pub fn encode_command(dst: &mut BytesMut, body: &[u8]) {
    dst.reserve(header_len(body.len()).saturating_add(body.len()));
    encode_header(dst, body.len(), false, true);
    dst.extend_from_slice(body);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(dec: &mut Decoder, buf: &mut BytesMut) -> Vec<Frame> {
        let mut out = Vec::new();
        while let Some(f) = dec.decode(buf).unwrap() {
            out.push(f);
        }
        out
    }

    fn data(more: bool, body: &[u8]) -> Frame {
        Frame::Data {
            more,
            body: Bytes::copy_from_slice(body),
        }
    }

    #[test]
    fn short_frame_form() {
        let mut dst = BytesMut::new();
        encode_message(&mut dst, &[Bytes::from_static(b"hello")]);
        assert_eq!(&dst[..], b"\x00\x05hello");
        let mut dec = Decoder::new(-1);
        assert_eq!(dec.decode(&mut dst).unwrap(), Some(data(false, b"hello")));
        assert!(dst.is_empty());
    }

    #[test]
    fn length_boundary_255_256() {
        let b255 = Bytes::from(vec![7u8; 255]);
        let b256 = Bytes::from(vec![8u8; 256]);
        let mut dst = BytesMut::new();
        encode_message(&mut dst, std::slice::from_ref(&b255));
        assert_eq!(&dst[..2], &[0x00, 0xFF]);
        assert_eq!(dst.len(), 257);
        let mut dst2 = BytesMut::new();
        encode_message(&mut dst2, std::slice::from_ref(&b256));
        assert_eq!(&dst2[..9], &[0x02, 0, 0, 0, 0, 0, 0, 1, 0]);
        assert_eq!(dst2.len(), 265);
        let mut dec = Decoder::new(-1);
        dst.extend_from_slice(&dst2);
        let frames = decode_all(&mut dec, &mut dst);
        assert_eq!(frames, vec![data(false, &b255), data(false, &b256)]);
    }

    #[test]
    fn empty_frames_and_more_chain() {
        let frames = [
            Bytes::new(),
            Bytes::from_static(b"a"),
            Bytes::new(),
            Bytes::from_static(b"last"),
        ];
        let mut dst = BytesMut::new();
        encode_message(&mut dst, &frames);
        assert_eq!(&dst[..2], &[FLAG_MORE, 0]);
        let mut dec = Decoder::new(-1);
        let got = decode_all(&mut dec, &mut dst);
        assert_eq!(
            got,
            vec![
                data(true, b""),
                data(true, b"a"),
                data(true, b""),
                data(false, b"last")
            ]
        );
    }

    #[test]
    fn single_empty_frame() {
        let mut dst = BytesMut::new();
        encode_message(&mut dst, &[Bytes::new()]);
        assert_eq!(&dst[..], &[0, 0]);
        assert_eq!(
            Decoder::new(0).decode(&mut dst).unwrap(),
            Some(data(false, b""))
        );
    }

    #[test]
    fn command_frames() {
        let mut dst = BytesMut::new();
        encode_command(&mut dst, b"\x04PING\x00\x00");
        assert_eq!(&dst[..2], &[FLAG_COMMAND, 7]);
        let big = vec![1u8; 300];
        encode_command(&mut dst, &big);
        let mut dec = Decoder::new(-1);
        let got = decode_all(&mut dec, &mut dst);
        assert_eq!(
            got,
            vec![
                Frame::Command(Bytes::from_static(b"\x04PING\x00\x00")),
                Frame::Command(Bytes::from(big))
            ]
        );
    }

    #[test]
    fn long_form_with_small_size_accepted() {
        let mut src = BytesMut::from(
            &[
                FLAG_LONG | FLAG_MORE,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                3,
                b'a',
                b'b',
                b'c',
            ][..],
        );
        assert_eq!(
            Decoder::new(-1).decode(&mut src).unwrap(),
            Some(data(true, b"abc"))
        );
        let mut src = BytesMut::from(&[FLAG_LONG, 0, 0, 0, 0, 0, 0, 0, 0][..]);
        assert_eq!(
            Decoder::new(-1).decode(&mut src).unwrap(),
            Some(data(false, b""))
        );
    }

    #[test]
    fn zmtp2_decoder_rejects_command_frames() {
        let mut dec = Decoder::new(-1).zmtp2();
        let mut cmd = BytesMut::new();
        encode_command(&mut cmd, b"\x04PING\x00\x00");
        assert_eq!(
            dec.decode(&mut cmd),
            Err(ProtocolError::BadFrame("reserved flag bits set"))
        );
        // Data frames, short and long, MORE or not, decode as in ZMTP 3.
        let big = Bytes::from(vec![1u8; 300]);
        let mut dst = BytesMut::new();
        encode_message(&mut dst, &[Bytes::from_static(b"a"), big.clone()]);
        let frames = decode_all(&mut dec, &mut dst);
        assert_eq!(frames, vec![data(true, b"a"), data(false, &big)]);
    }

    #[test]
    fn reserved_bits_rejected_from_first_byte() {
        for bit in [0x08u8, 0x10, 0x20, 0x40, 0x80] {
            let mut src = BytesMut::from(&[bit][..]);
            assert_eq!(
                Decoder::new(-1).decode(&mut src),
                Err(ProtocolError::BadFrame("reserved flag bits set"))
            );
        }
        let mut src = BytesMut::from(&[FLAG_COMMAND | FLAG_MORE, 0][..]);
        assert!(matches!(
            Decoder::new(-1).decode(&mut src),
            Err(ProtocolError::BadFrame(_))
        ));
    }

    #[test]
    fn long_length_over_i64_max_is_bad() {
        let mut src = BytesMut::from(&[FLAG_LONG, 0x80, 0, 0, 0, 0, 0, 0, 0][..]);
        assert!(matches!(
            Decoder::new(-1).decode(&mut src),
            Err(ProtocolError::BadFrame(_))
        ));
        let mut src =
            BytesMut::from(&[FLAG_LONG, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF][..]);
        assert!(Decoder::new(-1).decode(&mut src).is_err());
    }

    #[test]
    fn huge_announced_frame_allocates_nothing() {
        // 1 TiB announced, no body: we must just wait, with the buffer untouched.
        let mut src = BytesMut::from(&[FLAG_LONG, 0, 0, 1, 0, 0, 0, 0, 0][..]);
        let cap = src.capacity();
        let mut dec = Decoder::new(-1);
        assert_eq!(dec.decode(&mut src).unwrap(), None);
        assert_eq!(src.capacity(), cap);
        assert_eq!(src.len(), 9);
        assert_eq!(dec.missing(&src), 1 << 40);
    }

    #[test]
    fn frame_too_large_before_body() {
        let mut dec = Decoder::new(10);
        let mut ok = BytesMut::from(&b"\x00\x0a0123456789"[..]);
        assert_eq!(
            dec.decode(&mut ok).unwrap(),
            Some(data(false, b"0123456789"))
        );
        // Header only: the error comes before any body byte.
        let mut src = BytesMut::from(&[0u8, 11][..]);
        assert_eq!(
            dec.decode(&mut src),
            Err(ProtocolError::FrameTooLarge { size: 11, max: 10 })
        );
        let mut src = BytesMut::from(&[FLAG_LONG, 0, 0, 1, 0, 0, 0, 0, 0][..]);
        assert_eq!(
            dec.decode(&mut src),
            Err(ProtocolError::FrameTooLarge {
                size: 1 << 40,
                max: 10
            })
        );
        // Commands are bounded too.
        let mut src = BytesMut::from(&[FLAG_COMMAND, 11][..]);
        assert!(matches!(
            dec.decode(&mut src),
            Err(ProtocolError::FrameTooLarge { .. })
        ));
        // Incomplete long header: not yet an error.
        let mut src = BytesMut::from(&[FLAG_LONG, 0, 0, 1][..]);
        assert_eq!(dec.decode(&mut src), Ok(None));
    }

    #[test]
    fn commands_have_their_own_limit_from_the_header_on() {
        let dec = Decoder::new(-1).commands_up_to(100);
        assert_eq!(
            dec.decode_header(&[FLAG_COMMAND | FLAG_LONG, 0, 0, 0, 0, 0x40, 0, 0, 0]),
            Err(ProtocolError::CommandTooLarge {
                size: 1 << 30,
                max: 100
            })
        );
        assert!(dec
            .decode_header(&[FLAG_COMMAND, 100])
            .is_ok_and(|h| h.is_some()));
        assert!(dec.decode_header(&[FLAG_COMMAND, 101]).is_err());
        // Data frames keep maxMessageSize's limit (none here).
        assert!(dec
            .decode_header(&[FLAG_LONG, 0, 0, 0, 0, 0x40, 0, 0, 0])
            .is_ok_and(|h| h.is_some()));
    }

    #[test]
    fn max_zero_allows_only_empty_frames() {
        let mut dec = Decoder::new(0);
        let mut src = BytesMut::from(&[0u8, 0, 0, 1][..]);
        assert_eq!(dec.decode(&mut src).unwrap(), Some(data(false, b"")));
        assert!(dec.decode(&mut src).is_err());
    }

    #[test]
    fn missing_hint() {
        let dec = Decoder::new(-1);
        assert_eq!(dec.missing(&BytesMut::new()), 2);
        assert_eq!(dec.missing(&BytesMut::from(&[0u8][..])), 1);
        assert_eq!(dec.missing(&BytesMut::from(&[FLAG_LONG][..])), 8);
        assert_eq!(dec.missing(&BytesMut::from(&[0u8, 5, 1][..])), 4);
        assert_eq!(dec.missing(&BytesMut::from(&[0x80u8][..])), 0);
    }

    fn sample_stream() -> (BytesMut, Vec<Frame>) {
        let mut dst = BytesMut::new();
        let long = Bytes::from((0..300u32).map(|i| i as u8).collect::<Vec<_>>());
        encode_message(
            &mut dst,
            &[Bytes::from_static(b"id"), Bytes::new(), long.clone()],
        );
        encode_command(&mut dst, b"\x04PING\x00\x0a");
        encode_message(&mut dst, &[Bytes::from_static(b"x")]);
        let expected = vec![
            data(true, b"id"),
            data(true, b""),
            data(false, &long),
            Frame::Command(Bytes::from_static(b"\x04PING\x00\x0a")),
            data(false, b"x"),
        ];
        (dst, expected)
    }

    #[test]
    fn one_byte_at_a_time() {
        let (stream, expected) = sample_stream();
        let mut dec = Decoder::new(-1);
        let mut buf = BytesMut::new();
        let mut got = Vec::new();
        for &b in stream.iter() {
            buf.extend_from_slice(&[b]);
            while let Some(f) = dec.decode(&mut buf).unwrap() {
                got.push(f);
            }
        }
        assert_eq!(got, expected);
        assert!(buf.is_empty());
    }

    #[test]
    fn every_two_way_split() {
        let (stream, expected) = sample_stream();
        for cut in 0..=stream.len() {
            let mut dec = Decoder::new(-1);
            let mut buf = BytesMut::from(&stream[..cut]);
            let mut got = decode_all(&mut dec, &mut buf);
            buf.extend_from_slice(&stream[cut..]);
            got.extend(decode_all(&mut dec, &mut buf));
            assert_eq!(got, expected, "split at {cut}");
            assert!(buf.is_empty());
        }
    }

    #[test]
    fn header_only_decode_consumes_nothing() {
        let mut dec = Decoder::new(-1);
        let mut src = BytesMut::new();
        encode_message(
            &mut src,
            &[Bytes::from_static(b"id"), Bytes::from(vec![3u8; 300])],
        );
        // Only the first frame and part of the second have arrived.
        let mut partial = BytesMut::from(&src[..4 + 9 + 10]);
        let h = dec.decode_header(&partial).unwrap().unwrap();
        assert_eq!((h.header_len(), h.body_len(), h.frame_len()), (2, 2, 4));
        assert!(h.more() && !h.is_command());
        assert_eq!(dec.decode(&mut partial).unwrap(), Some(data(true, b"id")));
        let h = dec.decode_header(&partial).unwrap().unwrap();
        assert_eq!((h.header_len(), h.body_len(), h.frame_len()), (9, 300, 309));
        assert!(!h.more());
        assert_eq!(partial.len(), 19);
        assert_eq!(h.split_from(&mut partial), None);
        assert_eq!(partial.len(), 19, "an incomplete frame is left alone");
        assert_eq!(
            h.into_frame(Bytes::from(vec![3u8; 300])),
            data(false, &[3u8; 300])
        );
        // Incomplete headers, and errors, as `decode` reports them.
        assert_eq!(dec.decode_header(&[FLAG_LONG, 0, 0]), Ok(None));
        assert_eq!(dec.decode_header(&[]), Ok(None));
        assert!(dec.decode_header(&[0x80]).is_err());
        assert!(Decoder::new(10).decode_header(&[0, 11]).is_err());
        let h = dec.decode_header(&[FLAG_COMMAND, 7]).unwrap().unwrap();
        assert!(h.is_command());
        assert_eq!(
            h.into_frame(Bytes::from_static(b"x")),
            Frame::Command(Bytes::from_static(b"x"))
        );
        // A terabyte announced: a header like any other, nothing reserved.
        let h = dec
            .decode_header(&[FLAG_LONG, 0, 0, 1, 0, 0, 0, 0, 0])
            .unwrap()
            .unwrap();
        assert_eq!(h.body_len(), 1 << 40);
        assert_eq!(h.frame_len(), (1 << 40) + 9);
    }

    #[test]
    fn decoded_body_is_zero_copy() {
        let mut src = BytesMut::new();
        encode_message(&mut src, &[Bytes::from(vec![9u8; 1000])]);
        let base = src.as_ptr() as usize;
        let Some(Frame::Data { body, .. }) = Decoder::new(-1).decode(&mut src).unwrap() else {
            panic!("expected data frame");
        };
        assert_eq!(body.as_ptr() as usize, base + 9);
    }
}

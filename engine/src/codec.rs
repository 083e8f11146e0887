//! ZMTP 3 frame codec (RFC 37 section "Framing"), sans-IO.
//!
//! Memory grows only with bytes that have actually arrived: an announced length is checked against
//! `maxMessageSize` and never used to reserve memory up front.
//! STUB: signatures are the contract between the wire layer and the socket layer; bodies are being written.

use crate::error::ProtocolError;
use bytes::{Bytes, BytesMut};

pub const FLAG_MORE: u8 = 0x01;
pub const FLAG_LONG: u8 = 0x02;
pub const FLAG_COMMAND: u8 = 0x04;

/// One decoded frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A message frame; `more` = another frame of the same message follows.
    Data { more: bool, body: Bytes },
    /// A command frame's body (name-size, name, data).
    Command(Bytes),
}

/// Incremental frame decoder.
#[derive(Debug)]
pub struct Decoder {
    max_frame: Option<u64>,
}

impl Decoder {
    /// `max_message_size` < 0 = unlimited.
    pub fn new(max_message_size: i64) -> Decoder {
        Decoder {
            max_frame: u64::try_from(max_message_size).ok(),
        }
    }

    /// Takes one complete frame off the front of `src`; `Ok(None)` when more bytes are needed.
    /// Never panics on any input; a frame over the limit is an error as soon as its header is complete.
    pub fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, ProtocolError> {
        let _ = (src, self.max_frame);
        todo!("codec::Decoder::decode")
    }

    /// Bytes still missing for the frame in progress (0 if unknown). A read-sizing hint only:
    /// callers must cap any reservation made from it.
    pub fn missing(&self, src: &BytesMut) -> usize {
        let _ = src;
        todo!("codec::Decoder::missing")
    }
}

/// Writes a frame header (flags + 1- or 8-byte length) for a body of `len` bytes.
pub fn encode_header(dst: &mut BytesMut, len: usize, more: bool, command: bool) {
    let _ = (dst, len, more, command);
    todo!("codec::encode_header")
}

/// Writes all frames of a message, MORE set on all but the last, bodies copied.
pub fn encode_message(dst: &mut BytesMut, frames: &[Bytes]) {
    let _ = (dst, frames);
    todo!("codec::encode_message")
}

/// Writes one command frame with the given body (name-size, name, data).
pub fn encode_command(dst: &mut BytesMut, body: &[u8]) {
    let _ = (dst, body);
    todo!("codec::encode_command")
}

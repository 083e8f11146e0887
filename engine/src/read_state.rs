//! What one connection's reading has accumulated, and the synchronous step that turns arrived
//! bytes into delivered messages. Shared by the two ways a connection is read: by the engine's own
//! task (`connection`), or by the caller's event loop (`driven`): both feed bytes in and call
//! [`ReadState::advance`], so decoding, limits, commands and delivery cannot differ between them.

use crate::codec::{Decoder, Frame};
use crate::command::Command;
use crate::error::ProtocolError;
use crate::heartbeat::{Heartbeat, Tick};
use crate::options::Options;
use crate::peer::Peer;
use crate::read_buf::{prepare_shared, LargeFrame, LARGE_FRAME_MIN};
use crate::socket::Core;
use crate::Message;
use bytes::{BufMut, Bytes, BytesMut};
use std::io;
use std::mem::MaybeUninit;
use std::sync::Arc;
use tokio::time::Instant;

/// Why reading a connection ended (kept for debugging; every reason just drops the connection).
#[derive(Debug)]
#[allow(dead_code)]
pub(crate) enum End {
    Eof,
    Io(io::Error),
    Protocol(ProtocolError),
    HeartbeatExpired,
    /// The socket or this connection was shut down from our side.
    Stopped,
}

/// What the reader must do after [`ReadState::advance`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Read more bytes (room has been made for them).
    Read,
    /// This peer's inbound queue is full: read nothing until it has room, then advance again.
    Full,
}

pub(crate) struct ReadState {
    /// Small frames and headers; frames are split off it without a copy.
    buf: BytesMut,
    /// The large frame being read into its own buffer, if any (see `read_buf`).
    large: Option<LargeFrame>,
    decoder: Decoder,
    max_message: Option<u64>,
    receive_hwm: usize,
    /// Frames of the message being received.
    parts: Message,
    parts_bytes: u64,
    /// A whole message that found the inbound queue full.
    stalled: Option<Message>,
    pub(crate) heartbeat: Heartbeat,
}

impl ReadState {
    /// `leftover`: bytes that arrived with the end of the handshake.
    pub(crate) fn new(options: &Options, zmtp31: bool, leftover: BytesMut) -> ReadState {
        ReadState {
            buf: leftover,
            large: None,
            decoder: Decoder::new(options.max_message_size),
            max_message: u64::try_from(options.max_message_size).ok(),
            receive_hwm: usize::try_from(options.receive_hwm).unwrap_or(usize::MAX),
            parts: Vec::new(),
            parts_bytes: 0,
            stalled: None,
            heartbeat: Heartbeat::new(options, zmtp31, Instant::now()),
        }
    }

    /// For a ZMTP 2.0 peer: its framing has no commands, so a COMMAND bit is a protocol error.
    /// (Nothing we send it is a command either: PINGs need `zmtp31`, PONGs a PING.)
    pub(crate) fn zmtp2(mut self) -> ReadState {
        self.decoder = self.decoder.zmtp2();
        self
    }

    /// Delivers every message the bytes so far complete, answers commands, then makes room for
    /// the next read. Stops early (`Full`) when the peer's inbound queue is full.
    pub(crate) fn advance(&mut self, core: &Core, peer: &Arc<Peer>) -> Result<Step, End> {
        if let Some(message) = self.stalled.take() {
            if let Err(back) = core.inbound.try_push(peer, message, self.receive_hwm) {
                self.stalled = Some(back);
                return Ok(Step::Full);
            }
        }
        loop {
            if self.large.as_ref().is_some_and(LargeFrame::is_complete) {
                if let Some(done) = self.large.take() {
                    self.on_frame(core, peer, done.finish())?;
                }
            }
            if self.stalled.is_some() {
                return Ok(Step::Full);
            }
            if self.large.is_some() {
                break;
            }
            let Some(header) = self
                .decoder
                .decode_header(&self.buf)
                .map_err(End::Protocol)?
            else {
                break;
            };
            if let Some(frame) = header.split_from(&mut self.buf) {
                self.on_frame(core, peer, frame)?;
                continue;
            }
            if header.body_len() < LARGE_FRAME_MIN {
                break;
            }
            // The whole message's limit, checked before the frame gets a buffer (the decoder
            // already checked the frame alone, which is all a command is held to).
            if !header.is_command() {
                self.check_message_size(header.body_len())?;
            }
            self.large = Some(LargeFrame::start(header, &mut self.buf));
        }
        match self.large.as_mut() {
            Some(frame) => frame.make_room(),
            None => {
                let missing = self.decoder.missing(&self.buf);
                prepare_shared(&mut self.buf, missing);
            }
        }
        Ok(Step::Read)
    }

    /// Body bytes still to come of the large frame being read, if one is.
    pub(crate) fn large_remaining(&self) -> Option<usize> {
        self.large.as_ref().map(LargeFrame::remaining)
    }

    /// Where the next read goes: into the large frame's own buffer (never past its end: what
    /// follows belongs to the next frame), or into the shared buffer.
    pub(crate) fn target(&mut self) -> ReadTarget<'_> {
        match self.large.as_mut() {
            Some(frame) => {
                let (body, limit) = frame.target();
                ReadTarget::Large { body, limit }
            }
            None => ReadTarget::Shared(&mut self.buf),
        }
    }

    /// One synchronous, non-blocking read with `recv` (which fills part of the slice it is
    /// given and returns how much).
    pub(crate) fn read_with(
        &mut self,
        recv: impl FnOnce(&mut [MaybeUninit<u8>]) -> io::Result<usize>,
    ) -> io::Result<usize> {
        fn into_spare<B: BufMut>(
            dst: &mut B,
            limit: usize,
            recv: impl FnOnce(&mut [MaybeUninit<u8>]) -> io::Result<usize>,
        ) -> io::Result<usize> {
            let spare = dst.chunk_mut();
            let len = spare.len().min(limit);
            // SAFETY: `UninitSlice` is a view of the buffer's spare capacity, which is exactly
            // `[MaybeUninit<u8>]`; `len` is within it.
            let spare = unsafe { &mut spare.as_uninit_slice_mut()[..len] };
            let n = recv(spare)?.min(len);
            // SAFETY: `recv` initialised the first `n` bytes of the spare capacity.
            unsafe { dst.advance_mut(n) };
            Ok(n)
        }
        match self.target() {
            ReadTarget::Large { body, limit } => {
                let limit = usize::try_from(limit).unwrap_or(usize::MAX);
                into_spare(body, limit, recv)
            }
            ReadTarget::Shared(buf) => into_spare(buf, usize::MAX, recv),
        }
    }

    /// The heartbeat timer fired: PING the peer when due; `Err` when it has been silent too long.
    pub(crate) fn on_timer(&mut self, peer: &Peer) -> Result<(), End> {
        match self.heartbeat.on_timer(Instant::now()) {
            Tick::Expired => Err(End::HeartbeatExpired),
            Tick::SendPing => {
                send_command(
                    peer,
                    &Command::Ping {
                        ttl: self.heartbeat.ttl_deciseconds(),
                        context: Bytes::new(),
                    },
                );
                Ok(())
            }
            Tick::Nothing => Ok(()),
        }
    }

    /// `maxMessageSize` applies to the sum of a message's frames, not only to each frame.
    fn check_message_size(&self, more: usize) -> Result<u64, End> {
        let total = self.parts_bytes.saturating_add(more as u64);
        match self.max_message.filter(|&max| total > max) {
            Some(max) => Err(End::Protocol(ProtocolError::FrameTooLarge {
                size: total,
                max,
            })),
            None => Ok(total),
        }
    }

    fn on_frame(&mut self, core: &Core, peer: &Arc<Peer>, frame: Frame) -> Result<(), End> {
        match frame {
            Frame::Data { more, body } => {
                self.parts_bytes = self.check_message_size(body.len())?;
                self.parts.push(body);
                if !more {
                    let message = std::mem::take(&mut self.parts);
                    self.parts_bytes = 0;
                    if let Err(back) = core.inbound.try_push(peer, message, self.receive_hwm) {
                        self.stalled = Some(back);
                    }
                }
                Ok(())
            }
            Frame::Command(body) => self.on_command(peer, &body),
        }
    }

    fn on_command(&mut self, peer: &Peer, body: &Bytes) -> Result<(), End> {
        match Command::parse(body).map_err(End::Protocol)? {
            Command::Ping { ttl, context } => {
                self.heartbeat.peer_ping(ttl);
                send_command(peer, &Command::Pong { context });
                Ok(())
            }
            // Arrival already counted as liveness.
            Command::Pong { .. } => Ok(()),
            Command::Error(reason) => Err(End::Protocol(ProtocolError::PeerError(reason))),
            Command::Ready(_) => Err(End::Protocol(ProtocolError::UnexpectedCommand(
                "READY".into(),
            ))),
            // Commands of other socket types or future extensions: ignore, as libzmq does.
            Command::Other { .. } => Ok(()),
        }
    }
}

/// Where the next read goes (see [`ReadState::target`]).
pub(crate) enum ReadTarget<'a> {
    Large { body: &'a mut Vec<u8>, limit: u64 },
    Shared(&'a mut BytesMut),
}

fn send_command(peer: &Peer, command: &Command) {
    let mut frame = BytesMut::new();
    command.encode(&mut frame);
    peer.push_command(frame.freeze());
}

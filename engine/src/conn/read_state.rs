//! What one connection's reading has accumulated, and the synchronous step that turns arrived
//! bytes into delivered messages. Shared by the two ways a connection is read: by the engine's own
//! task (`connection`), or by the caller's event loop (`driven`): both feed bytes in and call
//! [`ReadState::advance`], so decoding, limits, commands and delivery cannot differ between them.
//! Sans-IO: what it produces goes to a [`ReadSink`] (the socket's inbound queue and the peer's
//! outbox in a connection, a plain record in the unit tests).

use crate::conn::heartbeat::{Heartbeat, Tick};
use crate::conn::read_buf::{prepare_shared, Body, LargeFrame, LARGE_FRAME_MIN};
use crate::error::ProtocolError;
use crate::options::Options;
use crate::wire::assembly::MessageAssembly;
use crate::wire::codec::{Decoder, Frame};
use crate::wire::command::{Command, MAX_PING_CONTEXT};
use crate::wire::security::curve::message::StreamedMessage;
use crate::wire::security::curve::message::OVERHEAD as OPEN_OVERHEAD;
use crate::wire::security::data::FrameOpener;
use crate::wire::Message;
use bytes::{BufMut, Bytes, BytesMut};
use std::io;
use std::mem::MaybeUninit;
use tokio::time::Instant;

/// Where a connection's reading puts what it produces.
pub(crate) trait ReadSink {
    /// A whole message from the peer; given back when the socket's queue for this peer is full
    /// (the reader then stops until it has room).
    fn deliver(&mut self, message: Message) -> Result<(), Message>;
    /// A command to send to the peer (a PONG for its PING, our own PING).
    fn send_command(&mut self, command: Command);
}

/// Why reading a connection ended (kept for debugging; every reason just drops the connection).
#[derive(Debug)]
#[allow(dead_code)]
pub(crate) enum ReadEnd {
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
    /// The large frame's CURVE box, opened as its bytes arrive (so that little of the crypto is
    /// left once the last of them has come); set once its head has arrived.
    streamed: Option<StreamedMessage>,
    decoder: Decoder,
    /// Frames of the message being received, held to the message limits.
    assembly: MessageAssembly,
    /// A whole message that found the inbound queue full.
    stalled: Option<Message>,
    pub(crate) heartbeat: Heartbeat,
    /// Opens CURVE MESSAGE boxes; clear for NULL and PLAIN.
    opener: FrameOpener,
}

impl ReadState {
    /// `leftover`: bytes that arrived with the end of the handshake.
    pub(crate) fn new(options: &Options, zmtp31: bool, leftover: BytesMut) -> ReadState {
        ReadState {
            buf: leftover,
            large: None,
            streamed: None,
            decoder: Decoder::new(options.max_message_size)
                .commands_up_to(options.max_command_size),
            assembly: MessageAssembly::new(options.max_message_size, options.max_message_frames),
            stalled: None,
            heartbeat: Heartbeat::new(options, zmtp31, Instant::now()),
            opener: FrameOpener::Clear,
        }
    }

    /// Frames are boxed on the wire (CURVE): each is opened before anything else looks at it.
    /// `maxMessageSize` still limits what is delivered: a box may be its overhead longer.
    pub(crate) fn opened(mut self, opener: FrameOpener) -> ReadState {
        if opener.decrypts() {
            let max = self.assembly.max_size().map_or(-1, |m| {
                i64::try_from(m.saturating_add(OPEN_OVERHEAD as u64)).unwrap_or(-1)
            });
            self.decoder = self.decoder.frames_up_to(max);
        }
        // Large boxes are opened on two threads (`box_threads`).
        self.opener = opener.split_with(crate::conn::box_threads::two_threads);
        self
    }

    /// For a ZMTP 2.0 peer: its framing has no commands, so a COMMAND bit is a protocol error.
    /// (Nothing we send it is a command either: PINGs need `zmtp31`, PONGs a PING.)
    pub(crate) fn zmtp2(mut self) -> ReadState {
        self.decoder = self.decoder.zmtp2();
        self
    }

    /// Delivers every message the bytes so far complete, answers commands, then makes room for
    /// the next read. Stops early (`Full`) when the peer's inbound queue is full. `unread`: how
    /// many bytes the socket holds that were not read yet (asked only while a large frame's body
    /// may get more pooled room: that follows how much of the body is here, see `read_buf`).
    pub(crate) fn advance(
        &mut self,
        sink: &mut impl ReadSink,
        mut unread: impl FnMut() -> usize,
    ) -> Result<Step, ReadEnd> {
        if let Some(message) = self.stalled.take() {
            if let Err(back) = sink.deliver(message) {
                self.stalled = Some(back);
                return Ok(Step::Full);
            }
        }
        loop {
            self.open_arrived()?;
            if self.large.as_ref().is_some_and(LargeFrame::is_complete) {
                if let Some(mut done) = self.large.take() {
                    let frame = match self.streamed.take() {
                        Some(streamed) => {
                            self.opener
                                .finish(streamed, done.arrived_mut())
                                .map_err(ReadEnd::Protocol)?;
                            self.opener.unboxed(done.finish())
                        }
                        None => self.open(done.finish())?,
                    };
                    self.on_opened(sink, frame)?;
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
                .map_err(ReadEnd::Protocol)?
            else {
                break;
            };
            if let Some(frame) = header.split_from(&mut self.buf) {
                self.on_frame(sink, frame)?;
                continue;
            }
            if header.body_len() < LARGE_FRAME_MIN {
                break;
            }
            // The whole message's limits, checked before the frame gets a buffer (the decoder
            // already checked the frame alone, which is all a command is held to).
            if !header.is_command() {
                let overhead = if self.opener.decrypts() {
                    OPEN_OVERHEAD
                } else {
                    0
                };
                self.assembly
                    .check(header.body_len().saturating_sub(overhead))
                    .map_err(ReadEnd::Protocol)?;
            }
            self.large = Some(LargeFrame::start(header, &mut self.buf, &mut unread));
        }
        match self.large.as_mut() {
            Some(frame) => frame.make_room(unread),
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
    pub(crate) fn on_timer(&mut self, sink: &mut impl ReadSink) -> Result<(), ReadEnd> {
        match self.heartbeat.on_timer(Instant::now()) {
            Tick::Expired => Err(ReadEnd::HeartbeatExpired),
            Tick::SendPing => {
                sink.send_command(Command::Ping {
                    ttl: self.heartbeat.ttl_deciseconds(),
                    context: Bytes::new(),
                });
                Ok(())
            }
            Tick::Nothing => Ok(()),
        }
    }

    /// A sealed connection's large frame: opens (checks and decrypts in place) what arrived of
    /// its box since the last call.
    fn open_arrived(&mut self) -> Result<(), ReadEnd> {
        let Some(large) = self.large.as_mut() else {
            return Ok(());
        };
        if !self.opener.decrypts() {
            return Ok(());
        }
        if self.streamed.is_none() {
            self.streamed = self
                .opener
                .start(large.arrived_mut())
                .map_err(ReadEnd::Protocol)?;
        }
        if let Some(streamed) = self.streamed.as_mut() {
            streamed.update(large.arrived_mut());
        }
        Ok(())
    }

    /// A whole frame as it came off the wire, opened if the connection is sealed.
    fn open(&mut self, frame: Frame) -> Result<Frame, ReadEnd> {
        if self.opener.decrypts() {
            self.opener.open(frame).map_err(ReadEnd::Protocol)
        } else {
            Ok(frame)
        }
    }

    fn on_frame(&mut self, sink: &mut impl ReadSink, frame: Frame) -> Result<(), ReadEnd> {
        let frame = self.open(frame)?;
        self.on_opened(sink, frame)
    }

    fn on_opened(&mut self, sink: &mut impl ReadSink, frame: Frame) -> Result<(), ReadEnd> {
        match frame {
            Frame::Data { more, body } => {
                let done = self.assembly.push(body, more).map_err(ReadEnd::Protocol)?;
                if let Some(message) = done {
                    if let Err(back) = sink.deliver(message) {
                        self.stalled = Some(back);
                    }
                }
                Ok(())
            }
            Frame::Command(body) => self.on_command(sink, &body),
        }
    }

    fn on_command(&mut self, sink: &mut impl ReadSink, body: &Bytes) -> Result<(), ReadEnd> {
        match Command::parse(body).map_err(ReadEnd::Protocol)? {
            Command::Ping { ttl, mut context } => {
                self.heartbeat.peer_ping(ttl, Instant::now());
                // RFC 37's limit; libzmq echoes no more either.
                context.truncate(MAX_PING_CONTEXT);
                sink.send_command(Command::Pong { context });
                Ok(())
            }
            // Arrival already counted as liveness.
            Command::Pong { .. } => Ok(()),
            Command::Error(reason) => Err(ReadEnd::Protocol(ProtocolError::PeerError(reason))),
            Command::Ready(_) => Err(ReadEnd::Protocol(ProtocolError::UnexpectedCommand(
                "READY".into(),
            ))),
            // ZMTP 3.1's subscription commands reach the socket as the message form 3.0 and
            // 2.0 peers send (RFC 29), so one path handles both.
            Command::Other { name, body } if name == "SUBSCRIBE" || name == "CANCEL" => {
                let mut message = Vec::with_capacity(body.len() + 1);
                message.push(u8::from(name == "SUBSCRIBE"));
                message.extend_from_slice(&body);
                if let Err(back) = sink.deliver(vec![Bytes::from(message)]) {
                    self.stalled = Some(back);
                }
                Ok(())
            }
            // Commands of other socket types or future extensions: ignore, as libzmq does.
            Command::Other { .. } => Ok(()),
        }
    }
}

/// Where the next read goes (see [`ReadState::target`]).
pub(crate) enum ReadTarget<'a> {
    Large { body: &'a mut Body, limit: u64 },
    Shared(&'a mut BytesMut),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::{FRAME_COST, FREE_FRAMES};
    use crate::wire::codec::{encode_message, FLAG_COMMAND, FLAG_LONG, FLAG_MORE};

    /// A sink that records what the reader produced; `room` = messages it still takes (None = any).
    #[derive(Default)]
    struct Record {
        messages: Vec<Message>,
        commands: Vec<Command>,
        room: Option<usize>,
    }

    impl ReadSink for Record {
        fn deliver(&mut self, message: Message) -> Result<(), Message> {
            match &mut self.room {
                Some(0) => return Err(message),
                Some(room) => *room -= 1,
                None => {}
            }
            self.messages.push(message);
            Ok(())
        }

        fn send_command(&mut self, command: Command) {
            self.commands.push(command);
        }
    }

    fn state(options: &Options) -> ReadState {
        ReadState::new(options, true, BytesMut::new())
    }

    fn message(frames: &[&[u8]]) -> Message {
        frames.iter().map(|f| Bytes::copy_from_slice(f)).collect()
    }

    fn wire(messages: &[Message]) -> Vec<u8> {
        let mut out = BytesMut::new();
        for m in messages {
            encode_message(&mut out, m);
        }
        out.to_vec()
    }

    fn command_bytes(command: &Command) -> Vec<u8> {
        let mut out = BytesMut::new();
        command.encode(&mut out);
        out.to_vec()
    }

    /// Feeds `bytes` in reads of at most `chunk` bytes, advancing after each as a reader does;
    /// stops at the first `Full` (returning what is left unread).
    fn feed<'a>(
        read: &mut ReadState,
        sink: &mut Record,
        bytes: &'a [u8],
        chunk: usize,
    ) -> Result<&'a [u8], ReadEnd> {
        feed_queued(read, sink, bytes, chunk, usize::MAX)
    }

    /// As `feed`, the socket saying at most `queued` bytes wait unread (large bodies then get
    /// pooled room bit by bit, see `read_buf`).
    fn feed_queued<'a>(
        read: &mut ReadState,
        sink: &mut Record,
        mut bytes: &'a [u8],
        chunk: usize,
        queued: usize,
    ) -> Result<&'a [u8], ReadEnd> {
        loop {
            if read.advance(sink, || bytes.len().min(queued))? == Step::Full {
                return Ok(bytes);
            }
            if bytes.is_empty() {
                return Ok(bytes);
            }
            let n = read
                .read_with(|spare| {
                    let n = spare.len().min(chunk).min(bytes.len());
                    for (dst, src) in spare.iter_mut().zip(&bytes[..n]) {
                        dst.write(*src);
                    }
                    Ok(n)
                })
                .map_err(ReadEnd::Io)?;
            assert!(n > 0, "the reader made no room to read into");
            bytes = &bytes[n..];
        }
    }

    fn some_messages() -> Vec<Message> {
        let large = vec![7u8; LARGE_FRAME_MIN * 3 + 5];
        // A length the body pool serves (64 KiB-1 MiB).
        let pooled: Vec<u8> = (0..200_000).map(|i| (i % 233) as u8).collect();
        vec![
            message(&[b"a"]),
            message(&[b"", b"multi", b"part"]),
            message(&[&large, b"tail"]),
            message(&[&[0u8; 300]]),
            message(&[&pooled]),
        ]
    }

    #[test]
    fn messages_split_at_every_boundary_come_out_whole() {
        let sent = some_messages();
        let bytes = wire(&sent);
        for (chunk, queued) in [1, 2, 7, 64, 4096, 65_537, usize::MAX]
            .into_iter()
            .flat_map(|chunk| [(chunk, 0), (chunk, usize::MAX)])
        {
            let mut read = state(&Options::default());
            let mut sink = Record::default();
            let rest =
                feed_queued(&mut read, &mut sink, &bytes, chunk, queued).expect("valid stream");
            assert!(rest.is_empty());
            assert_eq!(
                sink.messages, sent,
                "reads of {chunk} bytes, {queued} queued"
            );
            assert!(sink.commands.is_empty());
        }
    }

    #[test]
    fn a_full_queue_stalls_the_reader_until_it_has_room() {
        let sent = some_messages();
        let bytes = wire(&sent);
        let mut read = state(&Options::default());
        let mut sink = Record {
            room: Some(1),
            ..Record::default()
        };
        let mut rest = feed(&mut read, &mut sink, &bytes, 16).expect("valid stream");
        assert_eq!(sink.messages, sent[..1], "only what the queue took");
        // Still full: nothing moves.
        assert_eq!(read.advance(&mut sink, || 0).expect("advance"), Step::Full);
        assert_eq!(sink.messages.len(), 1);
        // Room for one more at a time: the stalled message comes first, in order.
        while sink.messages.len() < sent.len() {
            sink.room = Some(1);
            rest = feed(&mut read, &mut sink, rest, 16).expect("valid stream");
        }
        assert!(rest.is_empty());
        assert_eq!(sink.messages, sent);
    }

    #[test]
    fn commands_between_messages_are_answered_in_place() {
        let ping = Command::Ping {
            ttl: 0,
            context: Bytes::from_static(b"ctx"),
        };
        let mut bytes = wire(&[message(&[b"one"])]);
        bytes.extend(command_bytes(&ping));
        bytes.extend(wire(&[message(&[b"two", b"parts"])]));
        bytes.extend(command_bytes(&Command::Pong {
            context: Bytes::new(),
        }));
        bytes.extend(command_bytes(&Command::Other {
            name: "SUBSCRIBE".into(),
            body: Bytes::from_static(b"topic"),
        }));
        bytes.extend(command_bytes(&Command::Other {
            name: "X-UNKNOWN".into(),
            body: Bytes::from_static(b"ignored"),
        }));
        bytes.extend(command_bytes(&Command::Other {
            name: "CANCEL".into(),
            body: Bytes::from_static(b"t"),
        }));
        bytes.extend(wire(&[message(&[b"three"])]));
        for chunk in [1, 5, usize::MAX] {
            let mut read = state(&Options::default());
            let mut sink = Record::default();
            feed(&mut read, &mut sink, &bytes, chunk).expect("valid stream");
            assert_eq!(
                sink.messages,
                [
                    message(&[b"one"]),
                    message(&[b"two", b"parts"]),
                    // ZMTP 3.1's subscription commands arrive in their message form (RFC 29).
                    message(&[b"\x01topic"]),
                    message(&[b"\x00t"]),
                    message(&[b"three"])
                ]
            );
            assert_eq!(
                sink.commands,
                [Command::Pong {
                    context: Bytes::from_static(b"ctx")
                }],
                "one PONG with the PING's context"
            );
        }
    }

    #[test]
    fn a_pong_echoes_at_most_16_octets_of_context() {
        let context: Vec<u8> = (0..60 * 1024).map(|i| (i % 251) as u8).collect();
        let ping = command_bytes(&Command::Ping {
            ttl: 0,
            context: Bytes::from(context.clone()),
        });
        let mut read = state(&Options::default());
        let mut sink = Record::default();
        feed(&mut read, &mut sink, &ping, 1000).expect("valid stream");
        assert_eq!(
            sink.commands,
            [Command::Pong {
                context: Bytes::copy_from_slice(&context[..MAX_PING_CONTEXT])
            }]
        );
    }

    #[test]
    fn an_error_or_ready_command_ends_the_connection() {
        for command in [
            Command::Error("bye".into()),
            Command::Ready(Default::default()),
        ] {
            let mut read = state(&Options::default());
            let mut sink = Record::default();
            let bytes = command_bytes(&command);
            let result = feed(&mut read, &mut sink, &bytes, 3).map(|_| ());
            assert!(
                matches!(result, Err(ReadEnd::Protocol(_))),
                "{command:?}: {result:?}"
            );
        }
    }

    #[test]
    fn max_message_size_bounds_the_sum_of_the_frames() {
        let limit = 10;
        let options = Options {
            max_message_size: limit as i64,
            ..Options::default()
        };
        let mut read = state(&options);
        let mut sink = Record::default();
        let fits = wire(&[message(&[b"12345", b"67890"])]);
        feed(&mut read, &mut sink, &fits, usize::MAX).expect("exactly the limit");
        let one_frame = vec![7u8; limit as usize];
        feed(&mut read, &mut sink, &wire(&[message(&[&one_frame])]), 7)
            .expect("one frame may be the whole limit");
        // Past the free frames, each frame costs FRAME_COST more than its body.
        let mut many: Vec<&[u8]> = vec![b""; FREE_FRAMES - 1];
        many.push(b"1234567890");
        feed(&mut read, &mut sink, &wire(&[message(&many)]), 7)
            .expect("the free frames cost only their bodies");
        assert_eq!(sink.messages.len(), 3);
        let over = wire(&[message(&[b"123456", b"78901"])]);
        let result = feed(&mut read, &mut sink, &over, usize::MAX).map(|_| ());
        assert!(
            matches!(
                result,
                Err(ReadEnd::Protocol(ProtocolError::FrameTooLarge { size, max }))
                    if size == limit + 1 && max == limit
            ),
            "{result:?}"
        );
        assert_eq!(sink.messages.len(), 3, "nothing of the oversized message");
        let mut costly: Vec<&[u8]> = vec![b""; FREE_FRAMES];
        costly.push(b"1");
        let mut read = state(&options);
        let result = feed(&mut read, &mut sink, &wire(&[message(&costly)]), 7).map(|_| ());
        assert!(
            matches!(
                result,
                Err(ReadEnd::Protocol(ProtocolError::FrameTooLarge { .. }))
            ),
            "{result:?}"
        );
    }

    /// Empty MORE frames cost their bookkeeping: a message of them ends at `maxMessageSize`
    /// however little of it is body, and what is held never passes the limit.
    #[test]
    fn empty_more_frames_count_against_max_message_size() {
        let max = 65536u64;
        let options = Options {
            max_message_size: max as i64,
            max_message_frames: 0,
            ..Options::default()
        };
        let mut read = state(&options);
        let mut sink = Record::default();
        // Far more empty frames than the limit allows, with no final frame.
        let bytes: Vec<u8> = [FLAG_MORE, 0].repeat(10 * (max / FRAME_COST) as usize);
        let mut fed = 0usize;
        let mut result = Ok(Step::Read);
        for chunk in bytes.chunks(4096) {
            result = feed(&mut read, &mut sink, chunk, usize::MAX).map(|_| Step::Read);
            assert!(read.assembly.size() <= max);
            let costly = read.assembly.frames().saturating_sub(FREE_FRAMES) as u64;
            assert!(costly * FRAME_COST <= max);
            if result.is_err() {
                break;
            }
            fed += chunk.len();
        }
        assert!(
            matches!(
                result,
                Err(ReadEnd::Protocol(ProtocolError::FrameTooLarge { .. }))
            ),
            "{result:?}"
        );
        let frames_fed = fed / 2;
        assert!(
            frames_fed as u64 <= max / FRAME_COST + 1,
            "dropped once the cap was crossed"
        );
        assert!(sink.messages.is_empty());
    }

    #[test]
    fn max_message_frames_bounds_the_frames_of_one_message() {
        let options = Options {
            max_message_frames: 3,
            ..Options::default()
        };
        let mut read = state(&options);
        let mut sink = Record::default();
        feed(
            &mut read,
            &mut sink,
            &wire(&[message(&[b"a", b"", b"c"])]),
            5,
        )
        .expect("three frames");
        let four = wire(&[message(&[b"", b"", b"", b""])]);
        let result = feed(&mut read, &mut sink, &four, 5);
        assert!(
            matches!(
                result,
                Err(ReadEnd::Protocol(ProtocolError::TooManyFrames { max: 3 }))
            ),
            "{:?}",
            result.map(|_| ())
        );
        assert_eq!(sink.messages.len(), 1);
    }

    #[test]
    fn an_oversized_command_is_refused_from_its_header() {
        let mut read = state(&Options::default());
        let mut sink = Record::default();
        // A 1 GiB command announced: the header alone ends the connection.
        let header = [FLAG_COMMAND | FLAG_LONG, 0, 0, 0, 0, 0x40, 0, 0, 0];
        let result = feed(&mut read, &mut sink, &header, usize::MAX).map(|_| ());
        assert!(
            matches!(
                result,
                Err(ReadEnd::Protocol(ProtocolError::CommandTooLarge { .. }))
            ),
            "{result:?}"
        );
    }

    /// The two data-phase halves of a CURVE connection (client's sealer, server's opener).
    fn curve_halves() -> (
        crate::wire::security::data::FrameSealer,
        crate::wire::security::data::FrameOpener,
    ) {
        use crate::wire::security::testing::{drive, local};
        use crate::wire::security::{CurveKeyPair, Security};
        let server = CurveKeyPair::generate().expect("keys");
        let client = CurveKeyPair::generate().expect("keys");
        let mut c = Security::curve_client(client.secret, None, server.public)
            .expect("client")
            .mechanism(local("DEALER", None), false)
            .expect("mechanism");
        let mut s = Security::curve_server(server.secret)
            .mechanism(local("ROUTER", None), false)
            .expect("mechanism");
        drive(c.as_mut(), s.as_mut()).expect("handshake");
        let (sealer, _) = c.into_data_phase().expect("client data phase");
        let (_, opener) = s.into_data_phase().expect("server data phase");
        (sealer, opener)
    }

    fn sealed_wire(
        sealer: &mut crate::wire::security::data::FrameSealer,
        messages: &[Message],
    ) -> Vec<u8> {
        let mut out = BytesMut::new();
        for m in messages {
            let last = m.len() - 1;
            for (i, frame) in m.iter().enumerate() {
                sealer
                    .seal_into(frame, i < last, false, &mut out)
                    .expect("seal");
            }
        }
        out.to_vec()
    }

    #[test]
    fn curve_frames_opened_as_they_arrive_come_out_whole_at_every_split() {
        use crate::wire::security::curve::message::SPLIT_MIN;
        let big = |len: usize, seed: u8| -> Vec<u8> {
            (0..len).map(|i| (i as u8).wrapping_add(seed)).collect()
        };
        let sent = vec![
            message(&[b"small"]),
            message(&[&big(LARGE_FRAME_MIN - OPEN_OVERHEAD, 1)]),
            message(&[&big(LARGE_FRAME_MIN, 2), b"tail"]),
            message(&[&big(SPLIT_MIN + 77, 3)]),
            message(&[&big((1 << 20) + 5, 4), &big(70_000, 5)]),
            message(&[b"last"]),
        ];
        // Chunks that cut the MESSAGE head (32 bytes), keystream blocks and MAC blocks anywhere;
        // nothing queued beyond each read, too: pooled bodies then grow (or move) as they stream.
        for (chunk, queued) in [13, 4096, 65_537, usize::MAX]
            .into_iter()
            .flat_map(|chunk| [(chunk, 0), (chunk, usize::MAX)])
        {
            // A connection's nonces only grow: a fresh pair for each pass.
            let (sealer, opener) = curve_halves();
            // Split seals run on two threads, as a connection's do.
            let mut sealer = sealer.split_with(crate::conn::box_threads::two_threads);
            let bytes = sealed_wire(&mut sealer, &sent);
            let mut read = state(&Options::default()).opened(opener);
            let mut sink = Record::default();
            let rest =
                feed_queued(&mut read, &mut sink, &bytes, chunk, queued).expect("valid stream");
            assert!(rest.is_empty());
            assert!(
                sink.messages == sent,
                "reads of {chunk} bytes, {queued} queued"
            );
        }
    }

    #[test]
    fn a_forged_large_curve_frame_ends_the_connection() {
        let (mut sealer, opener) = curve_halves();
        let mut bytes = sealed_wire(&mut sealer, &[message(&[&vec![9u8; 100_000]])]);
        let at = bytes.len() - 1000;
        bytes[at] ^= 1;
        let mut read = state(&Options::default()).opened(opener);
        let mut sink = Record::default();
        let end = feed(&mut read, &mut sink, &bytes, 4096);
        assert!(matches!(end, Err(ReadEnd::Protocol(_))), "{end:?}");
        assert!(sink.messages.is_empty());
    }
}

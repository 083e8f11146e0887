//! One live peer (a connection whose handshake is done): its stream, routing id, and the
//! bounded outgoing queue. A message handed to a peer is written whole or the connection dies.
//!
//! Writing: when nothing is queued and no write is in progress, the sender writes straight to
//! the OS socket from its own thread (no task wake-up); whatever the OS does not take at once,
//! and every message sent while a write is in progress, is queued for the connection's writer,
//! which keeps the order.

use crate::conn::box_threads::two_threads;
use crate::conn::write_buf::{write_message_now, Direct, WriteBuf, WriteOutcome};
use crate::error::ProtocolError;
use crate::lock::lock;
use crate::net::transport::WriteHalf;
use crate::once_event::OnceEvent;
use crate::wire::frame_ref::{self, FrameRef};
use crate::wire::security::data::FrameSealer;
use crate::wire::Message;
use bytes::{Bytes, BytesMut};
use std::collections::VecDeque;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
use tokio::sync::Notify;

/// Peer ids are unique across all sockets of the process.
static NEXT_PEER_ID: AtomicU64 = AtomicU64::new(1);

/// Who writes a message a peer takes while its connection is idle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flush {
    /// The sender, from its own thread, at once (no task wake-up): one message in flight is
    /// fastest so.
    Now,
    /// Later, all at once: queued (counted against the high-water mark) without waking the
    /// writer, for the sender's [`Peer::flush`] at the end of its burst to write in one vectored
    /// write with the burst's other messages, instead of a system call each.
    Later,
}

/// Most bytes of small frames the writer gathers into one batch.
const BATCH_BYTES: usize = 256 * 1024;
/// Most queue items the writer gathers into one batch.
const BATCH_ITEMS: usize = 256;

#[derive(Debug)]
enum OutItem {
    Message(Message),
    /// The unwritten rest of a message whose direct write the OS took only partly.
    Rest(WriteBuf<'static>),
    /// The unwritten rest of a command frame written directly: not a message (not counted).
    CommandRest(WriteBuf<'static>),
    /// An encoded command frame that must keep its place among the messages (SUBSCRIBE,
    /// CANCEL): not a message (not counted).
    Command(Bytes),
}

/// The commands a connection sends outside its messages. At most one of each waits to be written
/// (a newer one replaces it), so a peer that sends PINGs and never reads cannot grow the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CommandKind {
    /// Our heartbeat.
    Ping,
    /// The answer to the peer's PING: only the latest matters (as h2 does for its PINGs).
    Pong,
}

/// Commands waiting for the writer, one slot per [`CommandKind`].
#[derive(Debug, Default)]
struct PendingCommands {
    ping: Option<Bytes>,
    pong: Option<Bytes>,
}

impl PendingCommands {
    /// `take_into` for a sealed connection: each command goes in its own MESSAGE box.
    fn take_sealed_into(
        &mut self,
        buf: &mut WriteBuf<'static>,
        sealer: &mut FrameSealer,
    ) -> Result<(), ProtocolError> {
        for frame in [self.ping.take(), self.pong.take()].into_iter().flatten() {
            buf.push_sealed(sealer, [&command_body(&frame)[..]].into_iter(), true)?;
        }
        Ok(())
    }

    fn slot(&mut self, kind: CommandKind) -> &mut Option<Bytes> {
        match kind {
            CommandKind::Ping => &mut self.ping,
            CommandKind::Pong => &mut self.pong,
        }
    }

    fn is_empty(&self) -> bool {
        self.ping.is_none() && self.pong.is_none()
    }

    /// Moves the pending commands into `buf` (at a message boundary).
    fn take_into(&mut self, buf: &mut WriteBuf<'static>) {
        for frame in [self.ping.take(), self.pong.take()].into_iter().flatten() {
            buf.push_encoded(&frame);
        }
    }

    fn bytes(&self) -> usize {
        self.ping.as_ref().map_or(0, Bytes::len) + self.pong.as_ref().map_or(0, Bytes::len)
    }
}

/// A sealed connection keeps its scratch (see `Outbox::scratch`) up to this capacity: enough
/// for the largest frames it is worth it for, without pinning more per idle connection.
const SEALED_SCRATCH_MAX: usize = 4 * 1024 * 1024;

/// Who is writing a batch taken from the queue.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Held {
    #[default]
    Nobody,
    /// The connection's writer task.
    Writer,
    /// A sender's thread, flushing what its burst left (see [`Peer::flush`]).
    Sender,
}

#[derive(Debug, Default)]
struct Outbox {
    queue: VecDeque<OutItem>,
    /// Messages (whole or rests) in `queue`: what the high-water mark limits.
    messages: usize,
    /// Commands waiting to be written, behind whatever the writer holds.
    commands: PendingCommands,
    /// Who holds a batch being written: new messages must queue behind it.
    held: Held,
    /// A sender's flush made room in a full queue: senders waiting for room are to be told.
    room_freed: bool,
    /// The connection is gone or going: nothing more is accepted.
    dead: bool,
    /// Reused to encode small messages written directly (see `write_message_now`); on a CURVE
    /// connection, to seal every message written directly. Sealing a 1 MiB frame into a fresh
    /// allocation cost its page faults each time (~250-400 us per 1 MiB box on the dev VM, as
    /// much as a third of the box itself); reused, the memory is already mapped and warm.
    scratch: BytesMut,
    /// Seals every frame as it is put in wire order (CURVE nonces must only grow on the wire).
    sealer: Sealer,
}

impl Outbox {
    /// Accepts nothing more and drops what was waiting to be written.
    fn end(&mut self) {
        self.dead = true;
        self.queue.clear();
        self.messages = 0;
        self.commands = PendingCommands::default();
    }
}

/// The outbox's [`FrameSealer`]; `Default` so the outbox stays `Default`.
struct Sealer(FrameSealer);

impl Default for Sealer {
    fn default() -> Sealer {
        Sealer(FrameSealer::Clear)
    }
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.encrypts() { "Curve" } else { "Clear" })
    }
}

/// The body of an encoded command frame (its header is 2 bytes, or 9 with the LONG flag).
fn command_body(frame: &Bytes) -> Bytes {
    let header = if frame.first().is_some_and(|flags| flags & 0x02 != 0) {
        9
    } else {
        2
    };
    frame.slice(header.min(frame.len())..)
}

/// What the writer got from [`Peer::take_batch`].
pub(crate) enum Batch {
    /// Bytes to write; `freed_room` = the queue was full and now has room.
    Bytes { freed_room: bool },
    /// Nothing queued; the writer is idle until woken.
    Empty,
}

#[derive(Debug)]
pub(crate) struct Peer {
    /// Unique within the process; keys the inbound queues.
    pub(crate) id: u64,
    /// The peer's Identity, or one we generated: what ROUTER prepends and routes by.
    pub(crate) routing_id: Bytes,
    /// The write half; the read half belongs to the connection's reader.
    pub(crate) stream: WriteHalf,
    out: Mutex<Outbox>,
    /// 0 = no limit.
    send_hwm: usize,
    /// Wakes the writer when something is queued.
    pub(crate) writer_wake: Notify,
    /// Wakes the reader when its inbound queue has room again.
    pub(crate) in_room: Notify,
    /// Fired to end this connection (reset, write error).
    pub(crate) kill: OnceEvent,
    /// Set with `kill` when the connector should reconnect at once rather than after the back-off.
    reconnect_now: AtomicBool,
    /// [`Peer::refresh_in_burst`] has asked the transport since the last [`Peer::flush`].
    checked_in_burst: AtomicBool,
    /// The peer speaks ZMTP 3.1 (commands such as SUBSCRIBE are understood).
    zmtp31: bool,
}

impl Peer {
    pub(crate) fn new(id: u64, routing_id: Bytes, stream: WriteHalf, send_hwm: u32) -> Peer {
        Peer {
            id,
            routing_id,
            stream,
            out: Mutex::new(Outbox::default()),
            send_hwm: usize::try_from(send_hwm).unwrap_or(usize::MAX),
            writer_wake: Notify::new(),
            in_room: Notify::new(),
            kill: OnceEvent::new(),
            reconnect_now: AtomicBool::new(false),
            checked_in_burst: AtomicBool::new(false),
            zmtp31: false,
        }
    }

    /// The peer speaks ZMTP 3.1 (its greeting said so).
    pub(crate) fn speaking_zmtp31(mut self, zmtp31: bool) -> Peer {
        self.zmtp31 = zmtp31;
        self
    }

    pub(crate) fn speaks_zmtp31(&self) -> bool {
        self.zmtp31
    }

    /// Every frame from now on goes out sealed by `sealer` (CURVE); a no-op for `Clear`. Large
    /// boxes are sealed on two threads (`box_threads`).
    pub(crate) fn sealed(mut self, sealer: FrameSealer) -> Peer {
        let sealer = sealer.split_with(two_threads);
        self.out.get_mut().unwrap_or_else(|p| p.into_inner()).sealer = Sealer(sealer);
        self
    }

    /// A process-unique peer id.
    pub(crate) fn next_id() -> u64 {
        NEXT_PEER_ID.fetch_add(1, Ordering::Relaxed)
    }

    /// How many ids were handed out so far (seeds `random_u32`).
    pub(crate) fn ids_issued() -> u64 {
        NEXT_PEER_ID.load(Ordering::Relaxed)
    }

    /// Before a send picks this connection: notices that its peer went away, by asking the
    /// transport (as the hang-up poll does, `net::hang_up`), never by reading: reading is the
    /// reader's job, and a send that read would deliver into the inbound queue mid-send. The
    /// reader (a task, or the caller's loop) may not have run since the FIN came. A hung-up peer
    /// takes no more messages (the next live one, or the next connection, gets the send); its
    /// reader still delivers what came before the FIN and then ends the connection. Only sends run
    /// this, so a REQ never waits for a reply from a peer marked dead here: its request went to
    /// another.
    pub(crate) fn refresh(&self) {
        if !self.is_dead() && self.stream.hung_up() {
            self.mark_dead();
        }
    }

    /// [`Peer::refresh`] for a later send of a burst (`Flush::Later`): asked once per burst,
    /// until the burst's [`Peer::flush`]. The sends of a burst are made back to back in one
    /// event-loop turn, so a FIN arriving between two of them is the same race as one arriving
    /// right after a check; a check per message was a system call per message (a pipelined
    /// Dealer made one `poll` per message and one `sendto` per ~30).
    pub(crate) fn refresh_in_burst(&self) {
        if !self.checked_in_burst.swap(true, Ordering::Relaxed) {
            self.refresh();
        }
    }

    fn outbox(&self) -> MutexGuard<'_, Outbox> {
        // A poisoned lock only means another thread panicked mid-update of plain data; keep going.
        lock(&self.out)
    }

    fn full(&self, out: &Outbox) -> bool {
        self.send_hwm != 0 && out.messages >= self.send_hwm
    }

    pub(crate) fn is_dead(&self) -> bool {
        self.outbox().dead
    }

    /// Live and below its high-water mark: a `try_push` now would take a message.
    pub(crate) fn has_room(&self) -> bool {
        let out = self.outbox();
        !out.dead && !self.full(&out)
    }

    /// How many more messages a `try_push` would take now: 0 when dead, `usize::MAX` without a
    /// high-water mark. Only ever grows until the connection dies (the writer only drains).
    pub(crate) fn room(&self) -> usize {
        let out = self.outbox();
        if out.dead {
            0
        } else if self.send_hwm == 0 {
            usize::MAX
        } else {
            self.send_hwm.saturating_sub(out.messages)
        }
    }

    /// Hands a message to this connection: written at once from this thread when the connection
    /// is idle and `flush` says so, otherwise queued for the writer (what is queued is kept,
    /// `FrameRef::keep`: nothing of the borrow outlives the call). False, taking nothing, when the
    /// peer is dead or its queue is full.
    pub(crate) fn try_push(&self, message: &[FrameRef<'_>], flush: Flush) -> bool {
        let mut out = self.outbox();
        // A burst that fills the queue (or a batch) is written now: left for later, it would make
        // a send wait (or a ROUTER drop) that writing at once lets through.
        if flush == Flush::Later
            && out.held == Held::Nobody
            && (self.full(&out) || out.queue.len() >= BATCH_ITEMS)
        {
            drop(out);
            self.flush();
            out = self.outbox();
        }
        if out.dead || self.full(&out) {
            return false;
        }
        if flush == Flush::Now && out.queue.is_empty() && out.held == Held::Nobody {
            let sealed = out.sealer.0.encrypts();
            let written = if sealed {
                let out = &mut *out;
                // Sealed in the reused scratch: its memory is back to us once the OS took it all.
                let mut buf = WriteBuf::with_scratch(std::mem::take(&mut out.scratch));
                let bodies = message.iter().map(FrameRef::bytes);
                match buf.push_sealed(&mut out.sealer.0, bodies, false) {
                    Ok(()) => buf.write_now(&self.stream).map(|done| match done {
                        WriteOutcome::Done => {
                            out.scratch = buf.into_scratch(SEALED_SCRATCH_MAX);
                            Direct::Done
                        }
                        WriteOutcome::Blocked => Direct::Rest(buf),
                    }),
                    Err(_) => Err(std::io::ErrorKind::InvalidData.into()),
                }
            } else {
                write_message_now(&self.stream, &mut out.scratch, message)
            };
            match written {
                Ok(Direct::Done) => {}
                Ok(Direct::Rest(buf)) => {
                    out.queue.push_back(OutItem::Rest(buf.into_static()));
                    out.messages += 1;
                    drop(out);
                    self.writer_wake.notify_one();
                }
                Err(_) => {
                    // Part of the message may be on the wire: the connection cannot be used again.
                    out.dead = true;
                    drop(out);
                    self.kill.fire();
                }
            }
            return true;
        }
        out.queue
            .push_back(OutItem::Message(frame_ref::keep(message)));
        out.messages += 1;
        drop(out);
        if flush == Flush::Now {
            self.writer_wake.notify_one();
        }
        true
    }

    /// Queues a message for the connection's writer without writing from this thread: for a
    /// sender with many peers (PUB), one write per message per peer on the caller's thread costs
    /// more than the writers' batches. Gives the message back when the peer is dead or its queue
    /// is full.
    pub(crate) fn try_queue(&self, message: Message) -> Result<(), Message> {
        let mut out = self.outbox();
        if out.dead || self.full(&out) {
            return Err(message);
        }
        out.queue.push_back(OutItem::Message(message));
        out.messages += 1;
        drop(out);
        self.writer_wake.notify_one();
        Ok(())
    }

    /// Sends an encoded command frame in order with the messages (behind those queued so far);
    /// false when the peer is dead.
    pub(crate) fn queue_command(&self, frame: Bytes) -> bool {
        let mut out = self.outbox();
        if out.dead {
            return false;
        }
        // Written from here when the connection is idle, as a message would be: subscriptions
        // made one after the other on different connections leave in that order.
        if out.queue.is_empty() && out.held == Held::Nobody && out.commands.is_empty() {
            if self.write_command_now(out, frame) {
                self.writer_wake.notify_one();
            }
            return true;
        }
        out.queue.push_back(OutItem::Command(frame));
        drop(out);
        self.writer_wake.notify_one();
        true
    }

    /// Sends an encoded command frame: at once when nothing else is queued, otherwise in its
    /// kind's slot (replacing one not yet written) for the writer to send at the next message
    /// boundary. Outside the high-water mark, which is for messages, but bounded all the same.
    pub(crate) fn push_command(&self, kind: CommandKind, frame: Bytes) {
        let mut out = self.outbox();
        if out.dead {
            return;
        }
        if out.queue.is_empty() && out.held == Held::Nobody && out.commands.is_empty() {
            if !self.write_command_now(out, frame) {
                return;
            }
        } else {
            *out.commands.slot(kind) = Some(frame);
            drop(out);
        }
        self.writer_wake.notify_one();
    }

    /// Writes a command frame from this thread into an idle connection; what the OS does not
    /// take is queued for the writer. True when the writer has something to do.
    fn write_command_now(&self, mut out: MutexGuard<'_, Outbox>, frame: Bytes) -> bool {
        let mut buf = WriteBuf::new();
        let sealed = if out.sealer.0.encrypts() {
            buf.push_sealed(
                &mut out.sealer.0,
                [&command_body(&frame)[..]].into_iter(),
                true,
            )
        } else {
            buf.push_encoded(&frame);
            Ok(())
        };
        let written = match sealed {
            Ok(()) => buf.write_now(&self.stream),
            Err(_) => Err(std::io::ErrorKind::InvalidData.into()),
        };
        match written {
            Ok(WriteOutcome::Done) => false,
            Ok(WriteOutcome::Blocked) => {
                out.queue.push_back(OutItem::CommandRest(buf));
                true
            }
            Err(_) => {
                out.dead = true;
                drop(out);
                self.kill.fire();
                false
            }
        }
    }

    /// Bytes and items waiting for the writer (not counting the batch it is writing): what a
    /// peer's behaviour can make grow.
    pub(crate) fn queued(&self) -> (usize, usize) {
        let out = self.outbox();
        let commands =
            usize::from(out.commands.ping.is_some()) + usize::from(out.commands.pong.is_some());
        let bytes = out.commands.bytes()
            + out
                .queue
                .iter()
                .map(|item| match item {
                    OutItem::Message(m) => m.iter().map(Bytes::len).sum(),
                    OutItem::Rest(rest) | OutItem::CommandRest(rest) => rest.len(),
                    OutItem::Command(frame) => frame.len(),
                })
                .sum::<usize>();
        (out.queue.len() + commands, bytes)
    }

    /// For the writer: moves queued items into `buf`. On `Empty` the writer is marked idle, so the
    /// next sender writes directly (or, while a sender flushes, the writer waits to be woken).
    pub(crate) fn take_batch(&self, buf: &mut WriteBuf<'static>) -> Batch {
        let mut out = self.outbox();
        if out.held == Held::Sender {
            return Batch::Empty;
        }
        if out.queue.is_empty() && out.commands.is_empty() {
            out.held = Held::Nobody;
            return Batch::Empty;
        }
        let batch = self.fill(&mut out, buf);
        if matches!(batch, Batch::Bytes { .. }) {
            out.held = Held::Writer;
        }
        batch
    }

    /// Writes, from the calling thread, what sends left for later (`Flush::Later`) and anything
    /// else queued, when no one else is writing: one vectored write for a burst. What the OS does
    /// not take goes to the writer, first in the queue.
    pub(crate) fn flush(&self) {
        // The burst ends here: the next one asks the transport again.
        self.checked_in_burst.store(false, Ordering::Relaxed);
        let mut out = self.outbox();
        if out.dead || out.held != Held::Nobody || out.queue.is_empty() {
            return;
        }
        let mut buf = WriteBuf::new();
        let Batch::Bytes { freed_room } = self.fill(&mut out, &mut buf) else {
            return;
        };
        out.room_freed |= freed_room;
        out.held = Held::Sender;
        drop(out);
        let written = buf.write_now(&self.stream);
        let mut out = self.outbox();
        out.held = Held::Nobody;
        match written {
            Ok(WriteOutcome::Done) => {}
            Ok(WriteOutcome::Blocked) => {
                out.queue.push_front(OutItem::Rest(buf));
                out.messages += 1;
            }
            Err(_) => {
                out.dead = true;
                drop(out);
                self.kill.fire();
                return;
            }
        }
        let more = !out.queue.is_empty() || !out.commands.is_empty();
        drop(out);
        if more {
            self.writer_wake.notify_one();
        }
    }

    /// Whether a flush made room in a full queue since the last call.
    pub(crate) fn take_room_freed(&self) -> bool {
        std::mem::take(&mut self.outbox().room_freed)
    }

    /// Moves queued items (up to a batch) into `buf`, then the pending commands.
    fn fill(&self, out: &mut Outbox, buf: &mut WriteBuf<'static>) -> Batch {
        let was_full = self.full(out);
        let mut items = 0;
        let mut taken_messages = 0;
        let mut sealing: Result<(), ProtocolError> = Ok(());
        while items < BATCH_ITEMS && buf.len() < BATCH_BYTES {
            let Some(item) = out.queue.pop_front() else {
                break;
            };
            items += 1;
            match item {
                OutItem::Message(message) => {
                    taken_messages += 1;
                    if out.sealer.0.encrypts() {
                        let bodies = message.iter().map(|f| &f[..]);
                        sealing = sealing.and(buf.push_sealed(&mut out.sealer.0, bodies, false));
                    } else {
                        buf.push_owned(&message);
                    }
                }
                OutItem::Rest(rest) => {
                    taken_messages += 1;
                    buf.append(rest);
                }
                OutItem::CommandRest(rest) => buf.append(rest),
                OutItem::Command(frame) => {
                    if out.sealer.0.encrypts() {
                        sealing = sealing.and(buf.push_sealed(
                            &mut out.sealer.0,
                            [&command_body(&frame)[..]].into_iter(),
                            true,
                        ));
                    } else {
                        buf.push_encoded(&frame);
                    }
                }
            }
        }
        // After whole items: a message boundary.
        if out.sealer.0.encrypts() {
            sealing = sealing.and(out.commands.take_sealed_into(buf, &mut out.sealer.0));
        } else {
            out.commands.take_into(buf);
        }
        if sealing.is_err() {
            // Nonces ran out (after 2^64 frames): this connection can say nothing more.
            out.dead = true;
            out.queue.clear();
            out.messages = 0;
            self.kill.fire();
            return Batch::Empty;
        }
        out.messages = out.messages.saturating_sub(taken_messages);
        Batch::Bytes {
            freed_room: was_full && !self.full(out),
        }
    }

    /// Ends this connection; `reconnect_now` skips the connector's back-off (the REQ reset).
    pub(crate) fn kill(&self, reconnect_now: bool) {
        if reconnect_now {
            self.reconnect_now.store(true, Ordering::Release);
        }
        self.mark_dead();
        self.kill.fire();
    }

    /// No more messages are accepted (the connection ended or is ending).
    pub(crate) fn mark_dead(&self) {
        self.outbox().end();
    }

    /// At close: ends the connection now unless linger has something of it to deliver (queued
    /// messages or commands, or a batch the writer is writing); `drop_queue` (linger 0) ends it
    /// whatever it holds. The peer sees the FIN before `close()` returns instead of whenever the
    /// connection's task runs: a server restarted on the same port does not leave its clients a
    /// window in which a request goes into the old connection.
    pub(crate) fn end_unless_lingering(&self, drop_queue: bool) {
        let mut out = self.outbox();
        let idle = out.queue.is_empty() && out.commands.is_empty() && out.held == Held::Nobody;
        if !idle && !drop_queue {
            // What a burst left for later is the writer's to deliver now.
            drop(out);
            self.writer_wake.notify_one();
            return;
        }
        // Dead under the lock first: no direct write can start once the stream is shut.
        out.end();
        drop(out);
        self.stream.shutdown();
    }

    pub(crate) fn wants_reconnect_now(&self) -> bool {
        self.reconnect_now.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::transport::{test_pair, TestPeer};
    use crate::wire::codec::{Decoder, Frame};
    use crate::wire::command::Command;
    use std::io::{Read, Write};

    /// A peer writing into one end of a socket pair; the other end is returned to read from.
    fn peer(send_hwm: u32) -> (Peer, TestPeer) {
        let (stream, theirs) = test_pair();
        let peer = Peer::new(
            Peer::next_id(),
            Bytes::from_static(b"id"),
            stream.into_split().1,
            send_hwm,
        );
        (peer, theirs)
    }

    /// Frames as (kind, length, first byte) so a failure prints little.
    fn summary(frames: &[Frame]) -> Vec<(&'static str, usize, Option<u8>)> {
        frames
            .iter()
            .map(|f| match f {
                Frame::Data { body, .. } => ("data", body.len(), body.first().copied()),
                Frame::Command(body) => ("command", body.len(), body.last().copied()),
            })
            .collect()
    }

    fn frames(bytes: &[u8]) -> Vec<Frame> {
        let mut buf = BytesMut::from(bytes);
        let mut decoder = Decoder::new(-1);
        std::iter::from_fn(|| decoder.decode(&mut buf).expect("valid frames")).collect()
    }

    fn pong_frame() -> Bytes {
        let mut out = BytesMut::new();
        Command::Pong {
            context: Bytes::from_static(b"p"),
        }
        .encode(&mut out);
        out.freeze()
    }

    /// Hands out what the writer would write, until the queue is empty.
    async fn drain(peer: &Peer) -> Vec<bool> {
        let mut freed = Vec::new();
        loop {
            let mut buf = WriteBuf::new();
            match peer.take_batch(&mut buf) {
                Batch::Empty => return freed,
                Batch::Bytes { freed_room } => {
                    freed.push(freed_room);
                    buf.write_all(&peer.stream).await.expect("write");
                }
            }
        }
    }

    #[tokio::test]
    async fn the_high_water_mark_counts_messages_not_commands_and_messages_keep_their_order() {
        let (peer, mut theirs) = peer(2);
        // More than the socket buffer takes: the rest is queued and counts as one message.
        let big = Bytes::from(vec![9u8; 4 * 1024 * 1024]);
        assert!(peer.try_push(&[FrameRef::Shared(&big)], Flush::Now), "room");
        assert!(
            peer.try_push(&[FrameRef::Lent(b"small")], Flush::Now),
            "room for the second"
        );
        assert!(
            !peer.try_push(&[FrameRef::Lent(b"third")], Flush::Now),
            "full"
        );
        // Commands bypass the mark; they go out at the next message boundary.
        peer.push_command(CommandKind::Pong, pong_frame());
        let reader = std::thread::spawn(move || {
            let mut all = Vec::new();
            theirs.read_to_end(&mut all).expect("read");
            all
        });
        let freed = drain(&peer).await;
        assert_eq!(freed.first(), Some(&true), "the first batch frees room");
        peer.stream.shutdown();
        let got = frames(&reader.join().expect("reader"));
        let (data, commands): (Vec<Frame>, Vec<Frame>) = got
            .into_iter()
            .partition(|f| matches!(f, Frame::Data { .. }));
        assert_eq!(
            summary(&data),
            summary(&[
                Frame::Data {
                    more: false,
                    body: big
                },
                Frame::Data {
                    more: false,
                    body: Bytes::from_static(b"small")
                },
            ])
        );
        assert_eq!(commands, [Frame::Command(pong_frame().slice(2..))]);
    }

    #[tokio::test]
    async fn a_burst_left_for_later_counts_against_the_mark_and_one_flush_writes_it() {
        let (peer, mut theirs) = peer(3);
        let bodies: [&[u8]; 5] = [b"m0", b"m1", b"m2", b"m3", b"m4"];
        // tokio writes only once the runtime has seen the socket writable.
        peer.stream.writable().await.expect("writable");
        // The first of a burst is written at once; the rest wait for the flush, counted.
        assert!(peer.try_push(&[FrameRef::Lent(bodies[0])], Flush::Now));
        for body in &bodies[1..4] {
            assert!(peer.try_push(&[FrameRef::Lent(body)], Flush::Later));
        }
        assert_eq!(peer.queued().0, 3, "nothing written from here");
        assert!(
            !peer.try_push(&[FrameRef::Lent(b"over")], Flush::Now),
            "the mark holds exactly"
        );
        // A burst that meets the mark writes what it left first (the OS takes it): room again.
        assert!(peer.try_push(&[FrameRef::Lent(bodies[4])], Flush::Later));
        assert_eq!(peer.queued().0, 1);
        assert!(peer.take_room_freed(), "that flush made room");
        peer.flush();
        assert_eq!(peer.queued(), (0, 0), "all written from here");
        assert!(drain(&peer).await.is_empty(), "nothing left for the writer");
        peer.stream.shutdown();
        let mut all = Vec::new();
        theirs.read_to_end(&mut all).expect("read");
        let want: Vec<Frame> = bodies
            .iter()
            .map(|b| Frame::Data {
                more: false,
                body: Bytes::copy_from_slice(b),
            })
            .collect();
        assert_eq!(frames(&all), want, "in order");
    }

    #[tokio::test]
    async fn a_newer_pong_replaces_one_not_yet_written() {
        let (peer, mut theirs) = peer(0);
        // Blocks the writer's way: everything after it waits.
        let big = Bytes::from(vec![9u8; 4 * 1024 * 1024]);
        assert!(peer.try_push(&[FrameRef::Shared(&big)], Flush::Now), "room");
        let pong = |context: &'static [u8]| {
            let mut out = BytesMut::new();
            Command::Pong {
                context: Bytes::from_static(context),
            }
            .encode(&mut out);
            out.freeze()
        };
        for context in [&b"1"[..], b"2", b"3"] {
            peer.push_command(CommandKind::Pong, pong(context));
        }
        assert_eq!(peer.queued().0, 2, "the rest of the message and one PONG");
        let reader = std::thread::spawn(move || {
            let mut all = Vec::new();
            theirs.read_to_end(&mut all).expect("read");
            all
        });
        drain(&peer).await;
        peer.stream.shutdown();
        let got = frames(&reader.join().expect("reader"));
        assert_eq!(
            summary(&got),
            summary(&[
                Frame::Data {
                    more: false,
                    body: big
                },
                Frame::Command(pong(b"3").slice(2..)),
            ])
        );
    }

    #[tokio::test]
    async fn lent_frames_are_not_referenced_once_the_push_returns() {
        let (peer, mut theirs) = peer(0);
        // The first is written directly and the OS takes only part of it; the second queues whole.
        let mut first = vec![1u8; 4 * 1024 * 1024];
        let mut second = vec![2u8; 4 * 1024 * 1024];
        let small: &[u8] = b"small";
        assert!(peer.try_push(&[FrameRef::Lent(small), FrameRef::Lent(&first)], Flush::Now));
        assert!(peer.try_push(
            &[FrameRef::Lent(&second), FrameRef::Lent(small)],
            Flush::Now
        ));
        // The borrows ended with the calls: what the lender does with its memory now is not sent.
        first.fill(0);
        second.fill(0);
        let reader = std::thread::spawn(move || {
            let mut all = Vec::new();
            theirs.read_to_end(&mut all).expect("read");
            all
        });
        drain(&peer).await;
        peer.stream.shutdown();
        let got = frames(&reader.join().expect("reader"));
        let bodies: Vec<&[u8]> = got
            .iter()
            .filter_map(|f| match f {
                Frame::Data { body, .. } => Some(&body[..]),
                Frame::Command(_) => None,
            })
            .collect();
        assert_eq!(bodies.len(), 4, "{:?}", summary(&got));
        assert_eq!(bodies[0], b"small");
        assert!(bodies[1].len() == 4 << 20 && bodies[1].iter().all(|b| *b == 1));
        assert!(bodies[2].len() == 4 << 20 && bodies[2].iter().all(|b| *b == 2));
        assert_eq!(bodies[3], b"small");
    }

    #[tokio::test]
    async fn a_dead_peer_takes_nothing() {
        let (peer, _theirs) = peer(0);
        assert!(!peer.is_dead());
        peer.kill(true);
        assert!(peer.is_dead());
        assert!(peer.wants_reconnect_now());
        assert!(!peer.try_push(&[FrameRef::Lent(b"x")], Flush::Now));
        peer.push_command(CommandKind::Pong, pong_frame());
        let mut buf = WriteBuf::new();
        assert!(matches!(peer.take_batch(&mut buf), Batch::Empty));
    }

    #[tokio::test]
    async fn close_ends_an_idle_connection_at_once_and_leaves_a_busy_one_to_linger() {
        let (idle, mut idle_theirs) = peer(0);
        idle.end_unless_lingering(false);
        assert!(idle.is_dead());
        let mut byte = [0u8; 1];
        assert_eq!(
            idle_theirs.read(&mut byte).expect("read"),
            0,
            "the FIN is there"
        );

        let (busy, busy_theirs) = peer(0);
        // More than the socket buffer takes: the rest waits for the writer.
        assert!(busy.try_push(&[FrameRef::Lent(&vec![9u8; 4 * 1024 * 1024])], Flush::Now));
        busy.end_unless_lingering(false);
        assert!(!busy.is_dead(), "linger delivers what is queued");
        busy.end_unless_lingering(true);
        assert!(busy.is_dead(), "linger 0 drops it");
        assert_eq!(busy.queued(), (0, 0));
        drop(busy_theirs);
    }

    #[tokio::test]
    async fn refresh_notices_a_peer_that_hung_up_before_any_read() {
        let (peer, theirs) = peer(0);
        peer.refresh();
        assert!(!peer.is_dead(), "a live peer stays");
        // Linux: bytes before the FIN do not hide it (the reader still delivers them). The
        // peeked check of other platforms sees a FIN once nothing unread is before it
        // (`net::hang_up`, whose tests cover both on Linux).
        if cfg!(any(target_os = "linux", target_os = "android")) {
            (&theirs).write_all(b"unread").expect("write");
        }
        theirs.shutdown(std::net::Shutdown::Both).expect("shutdown");
        // Over a Unix socket pair the FIN is there at once; over tcp it may take a moment.
        for _ in 0..400 {
            peer.refresh();
            if peer.is_dead() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        assert!(peer.is_dead(), "the FIN is seen without reading");
        assert!(!peer.try_push(&[FrameRef::Lent(b"x")], Flush::Now));
    }

    #[tokio::test]
    async fn a_burst_asks_about_a_hang_up_once_until_it_is_flushed() {
        let (peer, theirs) = peer(0);
        peer.refresh_in_burst();
        assert!(!peer.is_dead(), "a live peer stays");
        theirs.shutdown(std::net::Shutdown::Both).expect("shutdown");
        // Wait until the FIN is there (a plain check sees it), on a second connection's check
        // so that this peer's burst state is untouched.
        let (probe, probe_theirs) = self::peer(0);
        probe_theirs
            .shutdown(std::net::Shutdown::Both)
            .expect("shutdown");
        for _ in 0..400 {
            probe.refresh();
            if probe.is_dead() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        assert!(probe.is_dead(), "the probe's FIN arrived");
        peer.refresh_in_burst();
        assert!(!peer.is_dead(), "the same burst does not ask again");
        peer.flush();
        for _ in 0..400 {
            peer.refresh_in_burst();
            if peer.is_dead() {
                break;
            }
            peer.flush();
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        assert!(peer.is_dead(), "the next burst sees the FIN");
    }
}

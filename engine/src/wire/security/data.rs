//! The data phase of a connection after its handshake, split in two so that the writer and the
//! reader (different tasks, or the caller's thread and the connection task) each own their half
//! without sharing a lock: `Clear` for NULL and PLAIN, MESSAGE boxes for CURVE.

use super::curve::message::{unboxed, MessageOpener, MessageSealer, StreamedMessage, OVERHEAD};
use super::curve::nacl_box::Join;
use crate::error::ProtocolError;
use crate::wire::codec::{self, Frame};
use bytes::BytesMut;

/// The writer's half.
pub enum FrameSealer {
    Clear,
    Curve(MessageSealer),
}

impl FrameSealer {
    /// False for `Clear`: frames go out unchanged, so the zero-copy write paths stay as they are.
    pub fn encrypts(&self) -> bool {
        matches!(self, FrameSealer::Curve(_))
    }

    /// Large frames are sealed in two halves run by `join` (see `MessageSealer::split_with`).
    pub fn split_with(self, join: Join) -> FrameSealer {
        match self {
            FrameSealer::Clear => FrameSealer::Clear,
            FrameSealer::Curve(s) => FrameSealer::Curve(s.split_with(join)),
        }
    }

    /// Bytes added to each frame body on the wire (33 for CURVE).
    pub fn overhead(&self) -> usize {
        match self {
            FrameSealer::Clear => 0,
            FrameSealer::Curve(_) => OVERHEAD,
        }
    }

    /// One outgoing frame (data, or a command such as PING) as it goes on the wire.
    pub fn seal(&mut self, frame: Frame) -> Result<Frame, ProtocolError> {
        match self {
            FrameSealer::Clear => Ok(frame),
            FrameSealer::Curve(s) => s.encode(frame),
        }
    }

    /// Appends one outgoing frame to `dst` as a complete wire frame, header included.
    pub fn seal_into(
        &mut self,
        body: &[u8],
        more: bool,
        command: bool,
        dst: &mut BytesMut,
    ) -> Result<(), ProtocolError> {
        match self {
            FrameSealer::Clear => {
                codec::encode_header(dst, body.len(), more, command);
                dst.extend_from_slice(body);
                Ok(())
            }
            FrameSealer::Curve(s) => s.encode_into(body, more, command, dst),
        }
    }
}

/// The reader's half.
pub enum FrameOpener {
    Clear,
    Curve(MessageOpener),
}

impl FrameOpener {
    pub fn decrypts(&self) -> bool {
        matches!(self, FrameOpener::Curve(_))
    }

    /// Large frames opened as they arrive have their work run by `join` (see `MessageOpener`).
    pub fn split_with(self, join: Join) -> FrameOpener {
        match self {
            FrameOpener::Clear => FrameOpener::Clear,
            FrameOpener::Curve(o) => FrameOpener::Curve(o.split_with(join)),
        }
    }

    /// Starts opening a frame as its body arrives (`arrived`: what is there so far): `None` for
    /// `Clear`, or while too little has arrived to start. See `MessageOpener::start`.
    pub fn start(&self, arrived: &[u8]) -> Result<Option<StreamedMessage>, ProtocolError> {
        match self {
            FrameOpener::Clear => Ok(None),
            FrameOpener::Curve(o) => o.start(arrived),
        }
    }

    /// Finishes opening, in place in `body`, the frame `streamed` opened as it arrived: an error
    /// (the body wiped) when it does not open; see `MessageOpener::finish`. Then [`unboxed`] is
    /// the frame.
    pub fn finish(
        &mut self,
        streamed: StreamedMessage,
        body: &mut [u8],
    ) -> Result<(), ProtocolError> {
        match self {
            // Never started on a clear connection.
            FrameOpener::Clear => Ok(()),
            FrameOpener::Curve(o) => o.finish(streamed, body),
        }
    }

    /// The frame inside a streamed frame that `finish` opened (a slice of it, no copy).
    pub fn unboxed(&self, boxed: Frame) -> Frame {
        match self {
            FrameOpener::Clear => boxed,
            FrameOpener::Curve(_) => unboxed(boxed),
        }
    }

    /// One received frame as the socket or the command handler must see it; an error means the
    /// connection must be dropped.
    pub fn open(&mut self, frame: Frame) -> Result<Frame, ProtocolError> {
        match self {
            FrameOpener::Clear => Ok(frame),
            FrameOpener::Curve(o) => o.decode(frame),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::mechanism::{Mechanism, NullMechanism};
    use crate::wire::security::testing::{drive, local};
    use crate::wire::security::{CurveKeyPair, Security};
    use bytes::Bytes;

    fn assert_send<T: Send + 'static>(_: &T) {}

    #[test]
    fn clear_halves_are_the_identity() {
        let m: Box<dyn Mechanism> = Box::new(NullMechanism::new(local("REQ", None)));
        let (mut sealer, mut opener) = m.into_data_phase().unwrap();
        assert!(!sealer.encrypts() && !opener.decrypts());
        assert_eq!(sealer.overhead(), 0);
        let frame = Frame::Data {
            more: true,
            body: Bytes::from_static(b"x"),
        };
        assert_eq!(sealer.seal(frame.clone()).unwrap(), frame);
        assert_eq!(opener.open(frame.clone()).unwrap(), frame);
        let mut out = BytesMut::new();
        sealer.seal_into(b"x", true, false, &mut out).unwrap();
        assert_eq!(&out[..], b"\x01\x01x");
    }

    #[test]
    fn curve_halves_work_from_other_threads() {
        let server = CurveKeyPair::generate().unwrap();
        let client = CurveKeyPair::generate().unwrap();
        let mut c = Security::curve_client(client.secret, None, server.public)
            .unwrap()
            .mechanism(local("DEALER", None), false)
            .unwrap();
        let mut s = Security::curve_server(server.secret)
            .mechanism(local("ROUTER", None), false)
            .unwrap();
        drive(c.as_mut(), s.as_mut()).unwrap();
        let (mut c_seal, mut c_open) = c.into_data_phase().unwrap();
        let (mut s_seal, mut s_open) = s.into_data_phase().unwrap();
        assert!(c_seal.encrypts() && c_open.decrypts());
        assert_eq!(c_seal.overhead(), 33);
        assert_send(&c_seal);
        assert_send(&c_open);

        let to_server = std::thread::spawn(move || {
            let mut out = BytesMut::new();
            c_seal.seal_into(b"hello", true, false, &mut out).unwrap();
            let second = c_seal
                .seal(Frame::Command(Bytes::from_static(b"\x04PING\x00\x00")))
                .unwrap();
            (out, second)
        });
        let (mut wire, second) = to_server.join().unwrap();
        let first = codec::Decoder::new(-1).decode(&mut wire).unwrap().unwrap();
        assert_eq!(
            s_open.open(first).unwrap(),
            Frame::Data {
                more: true,
                body: Bytes::from_static(b"hello")
            }
        );
        assert_eq!(
            s_open.open(second).unwrap(),
            Frame::Command(Bytes::from_static(b"\x04PING\x00\x00"))
        );
        let back = s_seal
            .seal(Frame::Data {
                more: false,
                body: Bytes::from_static(b"world"),
            })
            .unwrap();
        assert_eq!(
            c_open.open(back.clone()).unwrap(),
            Frame::Data {
                more: false,
                body: Bytes::from_static(b"world")
            }
        );
        assert!(c_open.open(back).is_err());
    }

    #[test]
    fn curve_before_ready_has_no_data_phase() {
        let server = CurveKeyPair::generate().unwrap();
        let client = CurveKeyPair::generate().unwrap();
        let c = Security::curve_client(client.secret, None, server.public)
            .unwrap()
            .mechanism(local("DEALER", None), false)
            .unwrap();
        assert!(c.into_data_phase().is_err());
        let s = Security::curve_server(server.secret)
            .mechanism(local("ROUTER", None), true)
            .unwrap();
        assert!(s.into_data_phase().is_err());
    }
}

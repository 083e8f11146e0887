//! What both CURVE roles do once the handshake is done: every frame, both ways, is a MESSAGE box
//! under the connection's [`MessageCodec`]. The roles keep that codec in different places (the
//! client's comes with WELCOME, the server's with INITIATE), so each gives its own `codec()` and
//! `split_codec()` and [`curve_data_phase!`] writes the `Mechanism` methods on top of them.

use super::message::MessageCodec;
use crate::error::ProtocolError;
use crate::wire::security::data::{FrameOpener, FrameSealer};

fn not_ready() -> ProtocolError {
    ProtocolError::UnexpectedCommand("data before the CURVE handshake completed".into())
}

/// The codec, once the handshake reached `Ready`.
pub(crate) fn ready(
    is_ready: bool,
    codec: Option<&mut MessageCodec>,
) -> Result<&mut MessageCodec, ProtocolError> {
    codec.filter(|_| is_ready).ok_or_else(not_ready)
}

/// The codec split into the writer's and the reader's halves, once `Ready`.
pub(crate) fn split(
    is_ready: bool,
    codec: Option<MessageCodec>,
) -> Result<(FrameSealer, FrameOpener), ProtocolError> {
    let (sealer, opener) = codec.filter(|_| is_ready).ok_or_else(not_ready)?.split();
    Ok((FrameSealer::Curve(sealer), FrameOpener::Curve(opener)))
}

/// The data-phase methods of `Mechanism` for a CURVE role with `fn codec(&mut self)` and
/// `fn split_codec(self) -> Result<(FrameSealer, FrameOpener), ProtocolError>`.
macro_rules! curve_data_phase {
    () => {
        fn encrypts_data(&self) -> bool {
            true
        }

        fn data_overhead(&self) -> usize {
            $crate::wire::security::curve::message::OVERHEAD
        }

        fn encode_data(
            &mut self,
            frame: $crate::wire::codec::Frame,
        ) -> Result<$crate::wire::codec::Frame, $crate::error::ProtocolError> {
            self.codec()?.encode(frame)
        }

        fn encode_data_into(
            &mut self,
            body: &[u8],
            more: bool,
            command: bool,
            dst: &mut ::bytes::BytesMut,
        ) -> Result<(), $crate::error::ProtocolError> {
            self.codec()?.encode_into(body, more, command, dst)
        }

        fn decode_data(
            &mut self,
            frame: $crate::wire::codec::Frame,
        ) -> Result<$crate::wire::codec::Frame, $crate::error::ProtocolError> {
            self.codec()?.decode(frame)
        }

        fn into_data_phase(
            self: Box<Self>,
        ) -> Result<
            (
                $crate::wire::security::data::FrameSealer,
                $crate::wire::security::data::FrameOpener,
            ),
            $crate::error::ProtocolError,
        > {
            self.split_codec()
        }
    };
}

//! What both CURVE roles do once the handshake is done: every frame, both ways, is a MESSAGE box
//! under the connection's [`MessageCodec`], split into the writer's and the reader's halves. The
//! roles keep that codec in different places (the client's comes with WELCOME, the server's with
//! INITIATE); each hands it here from its `into_data_phase`.

use super::message::MessageCodec;
use crate::error::ProtocolError;
use crate::wire::security::data::{FrameOpener, FrameSealer};

/// The codec split into the writer's and the reader's halves, once `Ready`.
pub(crate) fn split(
    is_ready: bool,
    codec: Option<MessageCodec>,
) -> Result<(FrameSealer, FrameOpener), ProtocolError> {
    let (sealer, opener) = codec
        .filter(|_| is_ready)
        .ok_or_else(|| {
            ProtocolError::UnexpectedCommand("data before the CURVE handshake completed".into())
        })?
        .split();
    Ok((FrameSealer::Curve(sealer), FrameOpener::Curve(opener)))
}

//! Drives the greeting exchange and a mechanism over an async byte stream, then checks socket types.
//! STUB: signatures are the contract; bodies are being written.

use crate::error::ProtocolError;
use crate::socket_type::SocketType;
use bytes::{Bytes, BytesMut};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};

#[derive(Debug, Clone)]
pub struct HandshakeConfig {
    pub socket_type: SocketType,
    /// Our Identity property (routing id) if set.
    pub identity: Option<Bytes>,
    /// `as-server` bit of our greeting (always false for NULL).
    pub as_server: bool,
    /// Limit for the whole handshake; `None` = no limit.
    pub timeout: Option<Duration>,
    /// `maxMessageSize` also bounds handshake commands (< 0 = unlimited).
    pub max_message_size: i64,
}

/// What the handshake learned about the peer.
#[derive(Debug)]
pub struct Handshaken {
    pub peer_socket_type: SocketType,
    /// The peer's Identity property, if non-empty.
    pub peer_identity: Option<Bytes>,
    /// (major, minor) from the peer's greeting; minor 0 = ZMTP 3.0 (no PING/PONG).
    pub peer_version: (u8, u8),
    /// Bytes already read past the handshake: the start of the data phase. Must be fed to the frame decoder.
    pub leftover: BytesMut,
}

#[derive(Debug)]
pub enum HandshakeError {
    Io(std::io::Error),
    Protocol(ProtocolError),
    Timeout,
}

/// Exchanges greetings, runs the NULL mechanism, validates the peer's Socket-Type against ours.
/// Cancel-safe in the sense that dropping it just abandons the stream.
pub async fn handshake<S>(stream: &mut S, config: &HandshakeConfig) -> Result<Handshaken, HandshakeError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let _ = (stream, config);
    todo!("handshake::handshake")
}

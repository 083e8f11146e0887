//! ZMTP commands (READY, ERROR, PING, PONG) and READY metadata, sans-IO.
//! STUB: signatures are the contract; bodies are being written.

use crate::error::ProtocolError;
use bytes::{Bytes, BytesMut};

/// READY metadata: ordered name/value properties; names compare case-insensitively.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    entries: Vec<(String, Bytes)>,
}

impl Metadata {
    pub fn new() -> Metadata {
        Metadata::default()
    }

    pub fn insert(&mut self, name: &str, value: Bytes) {
        self.entries.push((name.to_owned(), value));
    }

    pub fn get(&self, name: &str) -> Option<&Bytes> {
        self.entries
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    pub fn entries(&self) -> &[(String, Bytes)] {
        &self.entries
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Ready(Metadata),
    Error(String),
    /// `ttl` in tenths of a second as on the wire; `context` is echoed back in the PONG.
    Ping { ttl: u16, context: Bytes },
    Pong { context: Bytes },
    /// Any other command (e.g. SUBSCRIBE, or a mechanism's own): kept so the caller decides.
    Other { name: String, body: Bytes },
}

impl Command {
    /// Parses a command frame body. Never panics on any input.
    pub fn parse(body: &Bytes) -> Result<Command, ProtocolError> {
        let _ = body;
        todo!("command::Command::parse")
    }

    /// Writes this command as a complete command frame (header included).
    pub fn encode(&self, dst: &mut BytesMut) {
        let _ = dst;
        todo!("command::Command::encode")
    }
}

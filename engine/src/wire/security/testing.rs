//! Test helpers: two mechanisms wired back to back in memory.

use crate::error::ProtocolError;
use crate::wire::command::Metadata;
use crate::wire::mechanism::Mechanism;
use bytes::Bytes;

/// Which side refused a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Client,
    Server,
}

/// Moves commands both ways until neither side has anything more to send (the handshake is done,
/// or one side waits for `authorize`). An error names the side whose `process_command` refused.
pub(crate) fn drive(
    client: &mut dyn Mechanism,
    server: &mut dyn Mechanism,
) -> Result<(), (Side, ProtocolError)> {
    loop {
        let mut moved = false;
        while let Some(cmd) = client.next_command().map_err(|e| (Side::Client, e))? {
            moved = true;
            server.process_command(cmd).map_err(|e| (Side::Server, e))?;
        }
        while let Some(cmd) = server.next_command().map_err(|e| (Side::Server, e))? {
            moved = true;
            client.process_command(cmd).map_err(|e| (Side::Client, e))?;
        }
        if !moved {
            return Ok(());
        }
    }
}

pub(crate) fn local(socket_type: &'static str, identity: Option<&'static [u8]>) -> Metadata {
    let mut m = Metadata::new();
    m.insert("Socket-Type", Bytes::from_static(socket_type.as_bytes()));
    if let Some(id) = identity {
        m.insert("Identity", Bytes::from_static(id));
    }
    m
}

//! The server side PLAIN (RFC 24) and CURVE (RFC 26) share: HELLO in, WELCOME out, INITIATE in,
//! then the authorizing tail (wait for the decision on the client, READY or one ERROR). Each
//! mechanism says what its commands hold ([`ServerSteps`]); the order, the decision and what a
//! command out of turn does live here, once.

use crate::error::ProtocolError;
use crate::wire::command::name_of;
use crate::wire::mechanism::MechanismStatus;
use crate::wire::security::{HELLO, INITIATE};
use bytes::Bytes;

/// Where a PLAIN or CURVE server is in its handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ServerState {
    ExpectHello,
    SendWelcome,
    ExpectInitiate,
    /// The client is known (and, for CURVE, proven): nothing moves until `authorize`.
    AwaitingAuth,
    SendReady,
    Ready,
    /// Refused: one ERROR is due, then the connection closes.
    SendError,
    ErrorSent,
    Failed,
}

/// A server's place in its handshake, and whether it asks for a decision on its client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ServerHandshake {
    state: ServerState,
    /// A known client waits for `authorize` (else READY follows INITIATE at once).
    authenticate: bool,
}

/// What a server mechanism does at each step; [`ServerSteps::next_server_command`] and
/// [`ServerSteps::process_server_command`] run them in order.
pub(crate) trait ServerSteps {
    fn handshake(&mut self) -> &mut ServerHandshake;
    /// Takes the client's HELLO (name included).
    fn hello(&mut self, body: &Bytes) -> Result<(), ProtocolError>;
    fn welcome(&mut self) -> Result<Bytes, ProtocolError>;
    /// Takes the client's INITIATE (name included): after it, the client is known.
    fn initiate(&mut self, body: &Bytes) -> Result<(), ProtocolError>;
    fn ready(&mut self) -> Result<Bytes, ProtocolError>;
    /// The ERROR a refused client gets.
    fn refusal(&self) -> Bytes;

    /// `Mechanism::next_command` of a server: the command due in this state, if any.
    fn next_server_command(&mut self) -> Result<Option<Bytes>, ProtocolError> {
        let (body, next) = match self.handshake().state {
            ServerState::SendWelcome => (self.welcome(), ServerState::ExpectInitiate),
            ServerState::SendReady => (self.ready(), ServerState::Ready),
            ServerState::SendError => (Ok(self.refusal()), ServerState::ErrorSent),
            _ => return Ok(None),
        };
        self.handshake().state = if body.is_ok() {
            next
        } else {
            ServerState::Failed
        };
        body.map(Some)
    }

    /// `Mechanism::process_command` of a server: HELLO and INITIATE in turn, nothing else.
    fn process_server_command(&mut self, body: &Bytes) -> Result<(), ProtocolError> {
        let ServerHandshake {
            state,
            authenticate,
        } = *self.handshake();
        let result = match state {
            ServerState::ExpectHello if body.starts_with(HELLO) => self.hello(body),
            ServerState::ExpectInitiate if body.starts_with(INITIATE) => self.initiate(body),
            ServerState::AwaitingAuth | ServerState::SendError | ServerState::ErrorSent => {
                Err(ProtocolError::UnexpectedCommand(
                    "command while the client is being authenticated".into(),
                ))
            }
            ServerState::Failed => Err(ProtocolError::UnexpectedCommand(
                "command after a failed handshake".into(),
            )),
            _ => Err(ProtocolError::UnexpectedCommand(name_of(body))),
        };
        self.handshake().state = match (&result, state) {
            // A refused client keeps its refusal: the ERROR still goes out.
            (Err(_), ServerState::SendError | ServerState::ErrorSent) => state,
            (Err(_), _) => ServerState::Failed,
            (Ok(()), ServerState::ExpectHello) => ServerState::SendWelcome,
            (Ok(()), _) if authenticate => ServerState::AwaitingAuth,
            (Ok(()), _) => ServerState::SendReady,
        };
        result
    }
}

impl ServerHandshake {
    pub(crate) fn new(authenticate: bool) -> ServerHandshake {
        ServerHandshake {
            state: ServerState::ExpectHello,
            authenticate,
        }
    }

    pub(crate) fn state(&self) -> ServerState {
        self.state
    }

    pub(crate) fn status(&self) -> MechanismStatus {
        match self.state {
            ServerState::AwaitingAuth => MechanismStatus::AwaitingAuth,
            ServerState::Ready => MechanismStatus::Ready,
            ServerState::SendError | ServerState::ErrorSent => MechanismStatus::Refused,
            _ => MechanismStatus::Handshaking,
        }
    }

    /// The decision `AwaitingAuth` waits for; ignored in any other state.
    pub(crate) fn authorize(&mut self, allowed: bool) {
        if self.state == ServerState::AwaitingAuth {
            self.state = if allowed {
                ServerState::SendReady
            } else {
                ServerState::SendError
            };
        }
    }
}

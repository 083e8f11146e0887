//! Socket events (libzmq's `zmq_socket_monitor`, zeromq.js's `socket.events`): what happened to an
//! endpoint or a connection of a socket, handed to an [`EventSink`] the caller installs.
//!
//! Nobody listening must cost nothing: until a sink is installed every emit point is one relaxed
//! atomic load, and the event (its address string, its error) is only built once that load says
//! someone listens.
//!
//! Addresses follow libzmq 4.3 (what zeromq.js reports): `bind`, `accept` and the events of an
//! accepted connection carry the bound endpoint as resolved (`tcp://127.0.0.1:41234`); `connect`,
//! `connect:retry` and the events of a connected connection carry the address given to `connect`.

use crate::error::ProtocolError;
use crate::lock::lock;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What happened; [`EventKind::name`] is zeromq.js's event name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// A listener is bound (address: the resolved endpoint).
    Bind,
    /// A listener accepted a connection (its handshake comes next).
    Accept,
    /// A connect attempt reached the peer (its handshake comes next).
    Connect,
    /// A connect attempt failed or a connection was lost; the next attempt is in `interval`.
    ConnectRetry,
    /// A connection (accepted or connected) ended.
    Disconnect,
    /// A connection's ZMTP handshake is done: messages flow from now on.
    Handshake,
    /// The peer was refused, or refused us (security: credentials, keys, ZAP status).
    HandshakeErrorAuth,
    /// The peer broke ZMTP during the handshake (bad greeting, version, command, socket type).
    HandshakeErrorProtocol,
    /// The handshake failed otherwise (timed out, connection lost).
    HandshakeErrorOther,
    /// An endpoint is closed for good: unbind, disconnect, or close (one per endpoint).
    Close,
    /// A bind failed (address: as given to `bind` without its `tcp://`, as libzmq reports it;
    /// the call rejects too).
    BindError,
    /// A listener could not accept a connection (out of file descriptors...); it goes on.
    AcceptError,
    /// The socket closed: no event after this one (address: empty).
    End,
}

impl EventKind {
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Bind => "bind",
            EventKind::Accept => "accept",
            EventKind::Connect => "connect",
            EventKind::ConnectRetry => "connect:retry",
            EventKind::Disconnect => "disconnect",
            EventKind::Handshake => "handshake",
            EventKind::HandshakeErrorAuth => "handshake:error:auth",
            EventKind::HandshakeErrorProtocol => "handshake:error:protocol",
            EventKind::HandshakeErrorOther => "handshake:error:other",
            EventKind::Close => "close",
            EventKind::BindError => "bind:error",
            EventKind::AcceptError => "accept:error",
            EventKind::End => "end",
        }
    }
}

/// Why a handshake or a connect attempt failed, as an event carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventError {
    /// An errno-style name (`ECONNREFUSED`, `EPROTO`, `EACCES`, `ETIMEDOUT`...).
    pub code: &'static str,
    pub message: String,
}

impl EventError {
    pub(crate) fn io(e: &io::Error) -> EventError {
        let code = match e.kind() {
            io::ErrorKind::ConnectionRefused => "ECONNREFUSED",
            io::ErrorKind::ConnectionReset => "ECONNRESET",
            io::ErrorKind::ConnectionAborted => "ECONNABORTED",
            io::ErrorKind::TimedOut => "ETIMEDOUT",
            io::ErrorKind::NotFound => "ENOENT",
            io::ErrorKind::PermissionDenied => "EACCES",
            io::ErrorKind::AddrNotAvailable => "EADDRNOTAVAIL",
            io::ErrorKind::BrokenPipe => "EPIPE",
            io::ErrorKind::UnexpectedEof => "ECONNRESET",
            _ => "EIO",
        };
        EventError {
            code,
            message: e.to_string(),
        }
    }

    /// A call's error (a failed bind), for its event.
    pub(crate) fn call(e: &crate::error::Error) -> EventError {
        EventError {
            code: e.code.as_str(),
            message: e.message.clone(),
        }
    }

    /// `kind`: as [`handshake_failure_kind`] classified `e`.
    pub(crate) fn protocol(e: &ProtocolError, kind: EventKind) -> EventError {
        let code = match kind {
            EventKind::HandshakeErrorAuth => "EACCES",
            _ => "EPROTO",
        };
        EventError {
            code,
            message: e.to_string(),
        }
    }
}

/// One event of a socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocketEvent {
    pub kind: EventKind,
    pub address: String,
    pub error: Option<EventError>,
    /// `connect:retry`: the delay before the next attempt.
    pub interval: Option<Duration>,
}

impl SocketEvent {
    pub(crate) fn new(kind: EventKind, address: &str) -> SocketEvent {
        SocketEvent {
            kind,
            address: address.to_owned(),
            error: None,
            interval: None,
        }
    }

    pub(crate) fn with_error(mut self, error: EventError) -> SocketEvent {
        self.error = Some(error);
        self
    }
}

/// Receives a socket's events, in the order they happened for any one endpoint or connection.
/// Called from engine threads and from whichever thread runs a socket call; it must not block.
pub trait EventSink: Send + Sync {
    fn event(&self, event: SocketEvent);
}

/// A socket's event switch and sink.
#[derive(Default)]
pub(crate) struct Events {
    /// Set once a sink is installed, cleared when the socket has emitted its last event.
    on: AtomicBool,
    sink: Mutex<Option<Arc<dyn EventSink>>>,
}

impl Events {
    pub(crate) fn set_sink(&self, sink: Arc<dyn EventSink>) {
        *lock(&self.sink) = Some(sink);
        self.on.store(true, Ordering::Release);
    }

    /// Whether anyone listens: emit points that need work before `emit` (formatting an address)
    /// check this first.
    pub(crate) fn on(&self) -> bool {
        self.on.load(Ordering::Relaxed)
    }

    /// Builds the event with `make` and hands it over, only if a sink is installed.
    pub(crate) fn emit(&self, make: impl FnOnce() -> SocketEvent) {
        if !self.on() {
            return;
        }
        // Handed over under the lock: `finish` cannot slip between building and delivering, so
        // nothing arrives after the socket's last event.
        let sink = lock(&self.sink);
        if let Some(sink) = sink.as_ref() {
            let event = make();
            // libzmq (and so zeromq.js) reports nothing of inproc endpoints and connections.
            if !event.address.starts_with("inproc://") {
                sink.event(event);
            }
        }
    }

    /// Reports `end`, the last event: the sink is released (with it whatever it holds of the
    /// caller's).
    pub(crate) fn finish(&self) {
        self.on.store(false, Ordering::Release);
        let sink = lock(&self.sink).take();
        if let Some(sink) = sink {
            sink.event(SocketEvent::new(EventKind::End, ""));
        }
    }
}

/// Which failure event a failed handshake is. A new way to fail (a security mechanism refusing
/// credentials, an `authenticate` callback saying no) belongs in `HandshakeErrorAuth`.
pub(crate) fn handshake_failure_kind(error: &ProtocolError) -> EventKind {
    match error {
        // libzmq: an ERROR whose reason is a ZAP status code (300, 400, 500) is an auth failure.
        ProtocolError::PeerError(reason) if is_zap_status(reason) => EventKind::HandshakeErrorAuth,
        ProtocolError::PeerError(_) => EventKind::HandshakeErrorOther,
        ProtocolError::Refused => EventKind::HandshakeErrorAuth,
        ProtocolError::BadSignature
        | ProtocolError::BadGreeting(_)
        | ProtocolError::UnsupportedVersion { .. }
        | ProtocolError::MechanismMismatch { .. }
        | ProtocolError::BadFrame(_)
        | ProtocolError::FrameTooLarge { .. }
        | ProtocolError::CommandTooLarge { .. }
        | ProtocolError::TooManyFrames { .. }
        | ProtocolError::BadCommand(_)
        | ProtocolError::UnexpectedCommand(_)
        | ProtocolError::IncompatibleSocketType(_) => EventKind::HandshakeErrorProtocol,
    }
}

fn is_zap_status(reason: &str) -> bool {
    matches!(reason.as_bytes(), [b'3'..=b'5', b'0', b'0'])
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Collect(Mutex<Vec<SocketEvent>>);

    impl EventSink for Collect {
        fn event(&self, event: SocketEvent) {
            self.0.lock().unwrap().push(event);
        }
    }

    #[test]
    fn nothing_is_built_without_a_sink_or_after_finish() {
        let events = Events::default();
        events.emit(|| unreachable!("no sink: the event must not be built"));
        let sink = Arc::new(Collect(Mutex::new(Vec::new())));
        events.set_sink(sink.clone());
        events.emit(|| SocketEvent::new(EventKind::Bind, "tcp://127.0.0.1:1"));
        events.finish();
        events.emit(|| unreachable!("finished: the event must not be built"));
        let got = sink.0.lock().unwrap();
        assert_eq!(
            *got,
            [
                SocketEvent::new(EventKind::Bind, "tcp://127.0.0.1:1"),
                SocketEvent::new(EventKind::End, "")
            ]
        );
        assert_eq!(Arc::strong_count(&sink), 1, "finish released the sink");
    }

    #[test]
    fn failures_are_classified() {
        let kind = |e| handshake_failure_kind(&e);
        assert_eq!(
            kind(ProtocolError::BadSignature),
            EventKind::HandshakeErrorProtocol
        );
        assert_eq!(
            kind(ProtocolError::PeerError("400".into())),
            EventKind::HandshakeErrorAuth
        );
        assert_eq!(
            kind(ProtocolError::PeerError("go away".into())),
            EventKind::HandshakeErrorOther
        );
    }
}

//! Errors: [`Error`] is what callers see (a libzmq-style code plus context);
//! [`ProtocolError`] is why one connection was dropped (never surfaced to a caller as a failure of their call).

use std::fmt;

/// libzmq-compatible error codes surfaced to callers (the JS layer puts `as_str()` into `err.code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// Operation not allowed in the current send/receive state.
    Efsm,
    /// A timeout ran out, a pending operation was cancelled by `close()`, or the reply can never come.
    Eagain,
    /// A second receive (or send) while one is still pending on the same socket.
    Ebusy,
    /// The socket is closed.
    Ebadf,
    /// Malformed endpoint or invalid argument.
    Einval,
    /// Unknown transport.
    Eprotonosupport,
    /// Address already in use.
    Eaddrinuse,
    /// unbind/disconnect of an endpoint never bound/connected.
    Enoent,
    /// The host part of an endpoint does not resolve / cannot be bound (maps to libzmq's ENODEV / EADDRNOTAVAIL).
    Eaddrnotavail,
    /// ROUTER with `mandatory`: the message names no connected peer.
    Ehostunreach,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Efsm => "EFSM",
            ErrorCode::Eagain => "EAGAIN",
            ErrorCode::Ebusy => "EBUSY",
            ErrorCode::Ebadf => "EBADF",
            ErrorCode::Einval => "EINVAL",
            ErrorCode::Eprotonosupport => "EPROTONOSUPPORT",
            ErrorCode::Eaddrinuse => "EADDRINUSE",
            ErrorCode::Enoent => "ENOENT",
            ErrorCode::Eaddrnotavail => "EADDRNOTAVAIL",
            ErrorCode::Ehostunreach => "EHOSTUNREACH",
        }
    }

    /// Every code, for tables built from this one (the JS layer's errors).
    pub const ALL: [ErrorCode; 10] = [
        ErrorCode::Efsm,
        ErrorCode::Eagain,
        ErrorCode::Ebusy,
        ErrorCode::Ebadf,
        ErrorCode::Einval,
        ErrorCode::Eprotonosupport,
        ErrorCode::Eaddrinuse,
        ErrorCode::Enoent,
        ErrorCode::Eaddrnotavail,
        ErrorCode::Ehostunreach,
    ];

    /// The number libzmq gives this code on this platform (a JS error's `.errno`, as zeromq.js
    /// sets it): the C library's errno for POSIX codes, libzmq's own numbers (above
    /// `ZMQ_HAUSNUMERO`) for the codes only ZeroMQ has.
    pub fn errno(self) -> i32 {
        match self {
            ErrorCode::Efsm => ZMQ_HAUSNUMERO + 51,
            ErrorCode::Eagain => errno::EAGAIN,
            ErrorCode::Ebusy => errno::EBUSY,
            ErrorCode::Ebadf => errno::EBADF,
            ErrorCode::Einval => errno::EINVAL,
            ErrorCode::Eprotonosupport => errno::EPROTONOSUPPORT,
            ErrorCode::Eaddrinuse => errno::EADDRINUSE,
            ErrorCode::Enoent => errno::ENOENT,
            ErrorCode::Eaddrnotavail => errno::EADDRNOTAVAIL,
            ErrorCode::Ehostunreach => errno::EHOSTUNREACH,
        }
    }

    /// The text zeromq.js gives an error with this code (its `.message`): libzmq's
    /// `zmq_strerror`, with the few texts zeromq.js clarifies, so code matching them keeps working.
    pub fn text(self) -> &'static str {
        match self {
            ErrorCode::Efsm => "Operation cannot be accomplished in current state",
            ErrorCode::Eagain => "Operation was not possible or timed out",
            ErrorCode::Ebusy => "Socket is busy",
            ErrorCode::Ebadf => "Socket is closed",
            ErrorCode::Einval => "Invalid argument",
            ErrorCode::Eprotonosupport => "Protocol not supported",
            ErrorCode::Eaddrinuse => "Address already in use",
            ErrorCode::Enoent => "No such endpoint",
            ErrorCode::Eaddrnotavail => "Cannot assign requested address",
            ErrorCode::Ehostunreach => "Host unreachable",
        }
    }
}

/// libzmq's base for the error numbers it defines itself (`zmq.h`).
const ZMQ_HAUSNUMERO: i32 = 156_384_712;

/// The C library's numbers for the POSIX codes libzmq reports.
#[cfg(unix)]
mod errno {
    pub(super) use libc::{
        EADDRINUSE, EADDRNOTAVAIL, EAGAIN, EBADF, EBUSY, EHOSTUNREACH, EINVAL, ENOENT,
        EPROTONOSUPPORT,
    };
}

/// The MSVC C runtime's numbers (`errno.h`), which libzmq uses on Windows as Node does.
#[cfg(windows)]
mod errno {
    pub(super) const ENOENT: i32 = 2;
    pub(super) const EBADF: i32 = 9;
    pub(super) const EAGAIN: i32 = 11;
    pub(super) const EBUSY: i32 = 16;
    pub(super) const EINVAL: i32 = 22;
    pub(super) const EADDRINUSE: i32 = 100;
    pub(super) const EADDRNOTAVAIL: i32 = 101;
    pub(super) const EHOSTUNREACH: i32 = 110;
    pub(super) const EPROTONOSUPPORT: i32 = 135;
}

/// An error returned to a caller of the public socket API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
    /// The endpoint the error is about, for endpoint errors.
    pub address: Option<String>,
    /// zeromq.js's text for this very case where it has one of its own (its `.message`, see
    /// [`Error::text`]), e.g. for a second pending receive.
    pub case_text: Option<&'static str>,
}

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Error {
        Error {
            code,
            message: message.into(),
            address: None,
            case_text: None,
        }
    }

    pub fn with_address(code: ErrorCode, message: impl Into<String>, address: &str) -> Error {
        Error {
            code,
            message: message.into(),
            address: Some(address.to_owned()),
            case_text: None,
        }
    }

    /// This error with zeromq.js's text for its case.
    pub fn with_case_text(mut self, text: &'static str) -> Error {
        self.case_text = Some(text);
        self
    }

    /// zeromq.js's `.message` for this error: its text for the case, else for the code.
    pub fn text(&self) -> &'static str {
        self.case_text.unwrap_or_else(|| self.code.text())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)?;
        if let Some(a) = &self.address {
            write!(f, " ({a})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// Why a peer's byte stream was rejected. Any of these drops that one connection and nothing else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProtocolError {
    /// The first 10 bytes are not a ZMTP 3.x signature.
    BadSignature,
    /// The greeting is malformed past its signature (e.g. an invalid mechanism name).
    BadGreeting(&'static str),
    /// Greeting announces a major version we do not speak (we speak 3.x).
    UnsupportedVersion { major: u8, minor: u8 },
    /// The peer's greeting names another security mechanism than ours.
    MechanismMismatch { ours: String, theirs: String },
    /// A frame is malformed (reserved flag bits, bad length encoding...).
    BadFrame(&'static str),
    /// A frame announces more bytes than `maxMessageSize` allows; rejected before allocating.
    FrameTooLarge { size: u64, max: u64 },
    /// A command frame announces more bytes than `maxCommandSize` allows; rejected before its
    /// body is read.
    CommandTooLarge { size: u64, max: u64 },
    /// A message has more frames than `maxMessageFrames` allows.
    TooManyFrames { max: u64 },
    /// A command is malformed (bad name length, truncated metadata...).
    BadCommand(&'static str),
    /// A command that is not allowed at this point (e.g. a data frame during the handshake).
    UnexpectedCommand(String),
    /// The peer's Socket-Type is missing, unknown, or not compatible with ours.
    IncompatibleSocketType(String),
    /// The peer sent an ERROR command.
    PeerError(String),
    /// Our `authenticate` hook refused the peer (it got an ERROR).
    Refused,
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtocolError::BadSignature => write!(f, "not a ZMTP 3 greeting"),
            ProtocolError::BadGreeting(why) => write!(f, "malformed greeting: {why}"),
            ProtocolError::UnsupportedVersion { major, minor } => {
                write!(f, "unsupported ZMTP version {major}.{minor}")
            }
            ProtocolError::MechanismMismatch { ours, theirs } => {
                write!(f, "mechanism mismatch: ours {ours}, peer {theirs}")
            }
            ProtocolError::BadFrame(why) => write!(f, "malformed frame: {why}"),
            ProtocolError::FrameTooLarge { size, max } => {
                write!(f, "{size} bytes exceed maxMessageSize {max}")
            }
            ProtocolError::CommandTooLarge { size, max } => {
                write!(f, "command of {size} bytes exceeds maxCommandSize {max}")
            }
            ProtocolError::TooManyFrames { max } => {
                write!(
                    f,
                    "message of more than {max} frames exceeds maxMessageFrames"
                )
            }
            ProtocolError::BadCommand(why) => write!(f, "malformed command: {why}"),
            ProtocolError::UnexpectedCommand(name) => write!(f, "unexpected command {name}"),
            ProtocolError::IncompatibleSocketType(t) => write!(f, "incompatible socket type {t}"),
            ProtocolError::PeerError(reason) => write!(f, "peer sent ERROR: {reason}"),
            ProtocolError::Refused => f.write_str("peer refused by authenticate"),
        }
    }
}

impl std::error::Error for ProtocolError {}

//! What a server learns about a client for its authentication decision (libzmq hands the same to a
//! ZAP handler, RFC 27): nothing for NULL, username/password for PLAIN, the long-term public key
//! for CURVE.

use super::keys::CurvePublicKey;
use bytes::Bytes;
use std::fmt;

/// The ERROR reason a server sends when it refuses a client: the ZAP status code for "authentication
/// failure", which libzmq clients report as an authentication error (`handshake:error:auth`).
pub const REFUSED_REASON: &str = "400";

#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    Null,
    Plain {
        username: Bytes,
        password: Bytes,
    },
    /// Proven: the client's vouch box opened with this key.
    Curve {
        public_key: CurvePublicKey,
    },
}

impl Credentials {
    /// "NULL", "PLAIN" or "CURVE", as in the greeting.
    pub fn mechanism(&self) -> &'static str {
        match self {
            Credentials::Null => "NULL",
            Credentials::Plain { .. } => "PLAIN",
            Credentials::Curve { .. } => "CURVE",
        }
    }
}

impl fmt::Debug for Credentials {
    // The password stays out of logs and panic messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::Null => f.write_str("Null"),
            Credentials::Plain { username, .. } => f
                .debug_struct("Plain")
                .field("username", username)
                .field("password", &"..")
                .finish(),
            Credentials::Curve { public_key } => f
                .debug_struct("Curve")
                .field("public_key", public_key)
                .finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_redaction() {
        assert_eq!(Credentials::Null.mechanism(), "NULL");
        let plain = Credentials::Plain {
            username: Bytes::from_static(b"admin"),
            password: Bytes::from_static(b"hunter2"),
        };
        assert_eq!(plain.mechanism(), "PLAIN");
        let shown = format!("{plain:?}");
        assert!(
            shown.contains("admin") && !shown.contains("hunter2"),
            "{shown}"
        );
        let curve = Credentials::Curve {
            public_key: CurvePublicKey::from_bytes([0; 32]),
        };
        assert_eq!(curve.mechanism(), "CURVE");
    }
}

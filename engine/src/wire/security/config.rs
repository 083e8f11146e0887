//! A socket's security setting, checked when it is set, and the mechanism it builds for each new
//! connection (new short-term keys and cookie key every time).

use super::curve::{CurveClient, CurveServer};
use super::error::SecurityError;
use super::keys::{CurvePublicKey, CurveSecretKey};
use super::plain::{PlainClient, PlainServer};
use crate::wire::command::Metadata;
use crate::wire::mechanism::{Mechanism, NullMechanism};
use bytes::Bytes;
use std::fmt;

#[derive(Clone, Default, PartialEq, Eq)]
pub enum Security {
    #[default]
    Null,
    PlainClient {
        username: Bytes,
        password: Bytes,
    },
    PlainServer,
    CurveClient {
        /// Our long-term pair (C, c) and the server's long-term key (S).
        public: CurvePublicKey,
        secret: CurveSecretKey,
        server: CurvePublicKey,
    },
    CurveServer {
        secret: CurveSecretKey,
    },
}

impl fmt::Debug for Security {
    // The PLAIN password stays out of logs; secret keys redact themselves.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Security::Null => f.write_str("Null"),
            Security::PlainClient { username, .. } => f
                .debug_struct("PlainClient")
                .field("username", username)
                .field("password", &"..")
                .finish(),
            Security::PlainServer => f.write_str("PlainServer"),
            Security::CurveClient {
                public,
                secret,
                server,
            } => f
                .debug_struct("CurveClient")
                .field("public", public)
                .field("secret", secret)
                .field("server", server)
                .finish(),
            Security::CurveServer { secret } => f
                .debug_struct("CurveServer")
                .field("secret", secret)
                .finish(),
        }
    }
}

impl Security {
    /// The PLAIN client role; username and password are at most 255 bytes each.
    pub fn plain_client(username: &[u8], password: &[u8]) -> Result<Security, SecurityError> {
        if username.len() > usize::from(u8::MAX) {
            return Err(SecurityError::CredentialTooLong("username"));
        }
        if password.len() > usize::from(u8::MAX) {
            return Err(SecurityError::CredentialTooLong("password"));
        }
        Ok(Security::PlainClient {
            username: Bytes::copy_from_slice(username),
            password: Bytes::copy_from_slice(password),
        })
    }

    /// The CURVE client role. `public` defaults to the one derived from `secret` (libzmq uses
    /// whatever it is given; a public key that does not match makes the server refuse the vouch).
    pub fn curve_client(
        secret: CurveSecretKey,
        public: Option<CurvePublicKey>,
        server: CurvePublicKey,
    ) -> Result<Security, SecurityError> {
        // Refused now rather than at every connection attempt.
        if super::curve::precompute(server.as_bytes(), &secret).is_none() {
            return Err(SecurityError::WeakKey);
        }
        Ok(Security::CurveClient {
            public: public.unwrap_or_else(|| secret.public_key()),
            secret,
            server,
        })
    }

    pub fn curve_server(secret: CurveSecretKey) -> Security {
        Security::CurveServer { secret }
    }

    /// The greeting's mechanism name.
    pub fn mechanism_name(&self) -> &'static str {
        match self {
            Security::Null => "NULL",
            Security::PlainClient { .. } | Security::PlainServer => "PLAIN",
            Security::CurveClient { .. } | Security::CurveServer { .. } => "CURVE",
        }
    }

    /// The greeting's as-server bit.
    pub fn as_server(&self) -> bool {
        matches!(self, Security::PlainServer | Security::CurveServer { .. })
    }

    /// A fresh mechanism for one connection. `local`: our Socket-Type / Identity metadata;
    /// `authenticate`: server roles (and NULL) stop at `AwaitingAuth` for a decision. Client roles
    /// ignore it. Fails only if the OS random source does.
    pub fn mechanism(
        &self,
        local: Metadata,
        authenticate: bool,
    ) -> Result<Box<dyn Mechanism>, SecurityError> {
        Ok(match self {
            Security::Null if authenticate => Box::new(NullMechanism::authenticating(local)),
            Security::Null => Box::new(NullMechanism::new(local)),
            Security::PlainClient { username, password } => {
                Box::new(PlainClient::new(username.clone(), password.clone(), local)?)
            }
            Security::PlainServer => Box::new(PlainServer::new(local, authenticate)),
            Security::CurveClient {
                public,
                secret,
                server,
            } => Box::new(CurveClient::new(*public, secret.clone(), *server, local)?),
            Security::CurveServer { secret } => {
                Box::new(CurveServer::new(secret.clone(), local, authenticate)?)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::mechanism::MechanismStatus;
    use crate::wire::security::testing::{drive, local};
    use crate::wire::security::{Credentials, CurveKeyPair};

    #[test]
    fn names_and_roles() {
        let server = CurveKeyPair::generate().unwrap();
        let client = CurveKeyPair::generate().unwrap();
        let cases = [
            (Security::Null, "NULL", false),
            (Security::plain_client(b"u", b"p").unwrap(), "PLAIN", false),
            (Security::PlainServer, "PLAIN", true),
            (
                Security::curve_client(client.secret.clone(), None, server.public).unwrap(),
                "CURVE",
                false,
            ),
            (Security::curve_server(server.secret.clone()), "CURVE", true),
        ];
        for (sec, name, as_server) in cases {
            assert_eq!(sec.mechanism_name(), name);
            assert_eq!(sec.as_server(), as_server);
            let m = sec.mechanism(local("REQ", None), true).unwrap();
            assert_eq!(m.name(), name);
            assert_eq!(m.as_server(), as_server);
        }
    }

    #[test]
    fn debug_output_keeps_secrets_out() {
        let plain = format!(
            "{:?}",
            Security::plain_client(b"admin", b"hunter2").unwrap()
        );
        assert!(
            plain.contains("admin") && !plain.contains("hunter2"),
            "{plain}"
        );
        let pair = CurveKeyPair::generate().unwrap();
        let secret_z85 = pair.secret.to_z85();
        let curve = format!("{:?}", Security::curve_server(pair.secret));
        assert!(!curve.contains(&secret_z85), "{curve}");
    }

    #[test]
    fn curve_client_derives_its_public_key_and_refuses_weak_server_keys() {
        let server = CurveKeyPair::generate().unwrap();
        let client = CurveKeyPair::generate().unwrap();
        let Security::CurveClient { public, .. } =
            Security::curve_client(client.secret.clone(), None, server.public).unwrap()
        else {
            panic!("not a CURVE client")
        };
        assert_eq!(public, client.public);
        assert_eq!(
            Security::curve_client(client.secret, None, CurvePublicKey::from_bytes([0; 32])),
            Err(SecurityError::WeakKey)
        );
        assert_eq!(
            Security::plain_client(&[b'u'; 256], b"").err(),
            Some(SecurityError::CredentialTooLong("username"))
        );
    }

    #[test]
    fn built_mechanisms_handshake_and_authenticate() {
        let server = CurveKeyPair::generate().unwrap();
        let client = CurveKeyPair::generate().unwrap();
        let client_sec =
            Security::curve_client(client.secret.clone(), None, server.public).unwrap();
        let server_sec = Security::curve_server(server.secret.clone());
        let mut c = client_sec.mechanism(local("REQ", None), true).unwrap();
        let mut s = server_sec.mechanism(local("REP", None), true).unwrap();
        drive(c.as_mut(), s.as_mut()).unwrap();
        assert_eq!(s.status(), MechanismStatus::AwaitingAuth);
        assert_eq!(
            s.peer_credentials(),
            Credentials::Curve {
                public_key: client.public
            }
        );
        s.authorize(true);
        drive(c.as_mut(), s.as_mut()).unwrap();
        assert_eq!(c.status(), MechanismStatus::Ready);
        assert_eq!(s.status(), MechanismStatus::Ready);
    }

    #[test]
    fn null_with_authentication_waits_for_the_decision() {
        let mut c = Security::Null.mechanism(local("REQ", None), false).unwrap();
        let mut s = Security::Null.mechanism(local("REP", None), true).unwrap();
        drive(c.as_mut(), s.as_mut()).unwrap();
        assert_eq!(s.status(), MechanismStatus::AwaitingAuth);
        assert_eq!(c.status(), MechanismStatus::Handshaking);
        assert_eq!(s.peer_credentials(), Credentials::Null);
        s.authorize(false);
        assert_eq!(s.status(), MechanismStatus::Refused);
        let err = s.next_command().unwrap().unwrap();
        assert_eq!(
            c.process_command(err),
            Err(crate::error::ProtocolError::PeerError("400".into()))
        );

        let mut c = Security::Null.mechanism(local("REQ", None), false).unwrap();
        let mut s = Security::Null.mechanism(local("REP", None), true).unwrap();
        drive(c.as_mut(), s.as_mut()).unwrap();
        s.authorize(true);
        drive(c.as_mut(), s.as_mut()).unwrap();
        assert_eq!(c.status(), MechanismStatus::Ready);
        assert_eq!(s.status(), MechanismStatus::Ready);
    }
}

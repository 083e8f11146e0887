//! The 64-byte ZMTP 3 greeting (RFC 23/37): signature, version, mechanism, as-server, filler.

use crate::error::ProtocolError;

pub const GREETING_LEN: usize = 64;
/// The signature (0xFF, 8 padding bytes, 0x7F) is enough to reject a non-ZMTP peer early.
pub const SIGNATURE_LEN: usize = 10;

const MAJOR_AT: usize = 10;
const MINOR_AT: usize = 11;
const MECHANISM_AT: usize = 12;
const MECHANISM_LEN: usize = 20;
const AS_SERVER_AT: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Greeting {
    pub major: u8,
    pub minor: u8,
    /// Mechanism name, e.g. "NULL" or "CURVE" (without the NUL padding).
    pub mechanism: String,
    pub as_server: bool,
}

impl Greeting {
    /// Our greeting: version 3.1.
    pub fn new(mechanism: &str, as_server: bool) -> Greeting {
        Greeting {
            major: 3,
            minor: 1,
            mechanism: mechanism.to_owned(),
            as_server,
        }
    }

    /// A mechanism name longer than 20 bytes is cut to 20 (our own names are all short).
    pub fn encode(&self) -> [u8; GREETING_LEN] {
        let mut out = [0u8; GREETING_LEN];
        out[0] = 0xFF;
        out[SIGNATURE_LEN - 1] = 0x7F;
        out[MAJOR_AT] = self.major;
        out[MINOR_AT] = self.minor;
        for (dst, src) in out[MECHANISM_AT..MECHANISM_AT + MECHANISM_LEN]
            .iter_mut()
            .zip(self.mechanism.bytes())
        {
            *dst = src;
        }
        out[AS_SERVER_AT] = u8::from(self.as_server);
        out
    }

    /// Checks the first `SIGNATURE_LEN` bytes (fewer is allowed: checks what is there).
    /// The 8 padding bytes may hold anything (ZMTP 2.0 peers put a length there).
    pub fn check_signature(prefix: &[u8]) -> Result<(), ProtocolError> {
        if prefix.first().is_some_and(|&b| b != 0xFF) {
            return Err(ProtocolError::BadSignature);
        }
        if prefix.get(SIGNATURE_LEN - 1).is_some_and(|&b| b != 0x7F) {
            return Err(ProtocolError::BadSignature);
        }
        Ok(())
    }

    /// Checks the major version as soon as its byte has arrived, so an old (ZMTP 1/2) peer that
    /// waits for more of our greeting is dropped without waiting for bytes it will never send.
    pub fn check_version_prefix(prefix: &[u8]) -> Result<(), ProtocolError> {
        Greeting::check_signature(prefix)?;
        match prefix.get(MAJOR_AT) {
            Some(&major) if major < 3 => Err(ProtocolError::UnsupportedVersion {
                major,
                minor: prefix.get(MINOR_AT).copied().unwrap_or(0),
            }),
            _ => Ok(()),
        }
    }

    /// Parses a full greeting; major version must be 3 or more (a newer minor is accepted as 3.1).
    ///
    /// `major`/`minor` are reported as the peer sent them. A peer with a major above 3 must fall back
    /// to our 3.x (RFC 23 "version negotiation"), so callers treat any version above 3.0 as having the
    /// 3.1 capabilities (PING/PONG) and no more.
    pub fn parse(bytes: &[u8; GREETING_LEN]) -> Result<Greeting, ProtocolError> {
        Greeting::check_version_prefix(bytes)?;
        let major = bytes[MAJOR_AT];
        let minor = bytes[MINOR_AT];
        let raw = &bytes[MECHANISM_AT..MECHANISM_AT + MECHANISM_LEN];
        let name_len = raw.iter().position(|&b| b == 0).unwrap_or(MECHANISM_LEN);
        let (name, padding) = raw.split_at(name_len);
        // RFC 23: upper-case letters, digits, '-', '_', '.', '+', then NUL padding.
        let valid_char =
            |b: &u8| b.is_ascii_uppercase() || b.is_ascii_digit() || b"-_.+".contains(b);
        if name.is_empty() || !name.iter().all(valid_char) || padding.iter().any(|&b| b != 0) {
            return Err(ProtocolError::BadGreeting("invalid mechanism name"));
        }
        let mechanism = name.iter().map(|&b| char::from(b)).collect();
        Ok(Greeting {
            major,
            minor,
            mechanism,
            // RFC 23 defines only 0 and 1; libzmq ignores the byte for NULL, so any non-zero is "server".
            as_server: bytes[AS_SERVER_AT] != 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_layout() {
        let g = Greeting::new("NULL", false).encode();
        assert_eq!(g[0], 0xFF);
        assert_eq!(&g[1..9], &[0; 8]);
        assert_eq!(g[9], 0x7F);
        assert_eq!((g[10], g[11]), (3, 1));
        assert_eq!(&g[12..16], b"NULL");
        assert!(g[16..32].iter().all(|&b| b == 0));
        assert_eq!(g[32], 0);
        assert!(g[33..].iter().all(|&b| b == 0));
        assert_eq!(Greeting::new("CURVE", true).encode()[32], 1);
    }

    #[test]
    fn round_trip() {
        for g in [Greeting::new("NULL", false), Greeting::new("CURVE", true)] {
            assert_eq!(Greeting::parse(&g.encode()).unwrap(), g);
        }
    }

    #[test]
    fn zmtp_3_0_peer_and_newer_versions() {
        let mut g = Greeting::new("NULL", false).encode();
        g[11] = 0;
        let p = Greeting::parse(&g).unwrap();
        assert_eq!((p.major, p.minor), (3, 0));
        g[10] = 4;
        g[11] = 7;
        let p = Greeting::parse(&g).unwrap();
        assert_eq!((p.major, p.minor), (4, 7));
    }

    #[test]
    fn old_versions_rejected() {
        let mut g = Greeting::new("NULL", false).encode();
        g[10] = 2;
        assert_eq!(
            Greeting::parse(&g),
            Err(ProtocolError::UnsupportedVersion { major: 2, minor: 1 })
        );
        assert!(Greeting::check_version_prefix(&g[..11]).is_err());
        assert!(Greeting::check_version_prefix(&g[..10]).is_ok());
    }

    #[test]
    fn padding_bytes_may_hold_anything() {
        let mut g = Greeting::new("NULL", false).encode();
        g[1..9].copy_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
        assert!(Greeting::parse(&g).is_ok());
    }

    #[test]
    fn bad_signature() {
        assert!(Greeting::check_signature(&[]).is_ok());
        assert!(Greeting::check_signature(&[0xFF]).is_ok());
        assert!(Greeting::check_signature(&[0xFF, 0, 0, 0, 0, 0, 0, 0, 1]).is_ok());
        assert_eq!(
            Greeting::check_signature(b"G"),
            Err(ProtocolError::BadSignature)
        );
        assert_eq!(
            Greeting::check_signature(b"GET / HTTP/1.1\r\n"),
            Err(ProtocolError::BadSignature)
        );
        assert_eq!(
            Greeting::check_signature(&[0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0x7E]),
            Err(ProtocolError::BadSignature)
        );
        let mut g = Greeting::new("NULL", false).encode();
        g[9] = 0;
        assert_eq!(Greeting::parse(&g), Err(ProtocolError::BadSignature));
    }

    #[test]
    fn invalid_mechanism_names_are_errors() {
        let base = Greeting::new("NULL", false).encode();
        let cases: [&[u8]; 5] = [b"", b"nu", b"N\xffLL", b"NU LL", b"NULL\0X"];
        for name in cases {
            let mut g = base;
            g[12..32].fill(0);
            g[12..12 + name.len()].copy_from_slice(name);
            assert!(
                matches!(Greeting::parse(&g), Err(ProtocolError::BadGreeting(_))),
                "{name:?}"
            );
        }
        // A full 20-byte name without padding is legal.
        let mut g = base;
        g[12..32].fill(b'A');
        assert_eq!(Greeting::parse(&g).unwrap().mechanism, "A".repeat(20));
    }
}

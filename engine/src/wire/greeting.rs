//! The 64-byte ZMTP 3 greeting (RFC 23/37): signature, version, mechanism, as-server, filler;
//! the version decision made on its first 11 bytes; and the ZMTP 2.0 greeting (RFC 15) that a
//! peer with version octet 1 gets instead.

use crate::error::ProtocolError;
use crate::wire::codec;
use crate::wire::socket_type::SocketType;
use bytes::{Buf, Bytes, BytesMut};

pub const GREETING_LEN: usize = 64;
/// The signature (0xFF, 8 padding bytes, 0x7F) is enough to reject a non-ZMTP peer early.
pub const SIGNATURE_LEN: usize = 10;

const MAJOR_AT: usize = 10;
const MINOR_AT: usize = 11;
const MECHANISM_AT: usize = 12;
const MECHANISM_LEN: usize = 20;
const AS_SERVER_AT: usize = 32;

/// Signature plus version octet: what each side sends before it knows the other's version. The
/// rest of a greeting depends on the peer's version octet (RFC 23 "Version Negotiation": send 11
/// octets, read the peer's 11, then downgrade or not; libzmq's `zmtp_engine` does the same), so it
/// goes out only once that has arrived.
pub const VERSION_PREFIX_LEN: usize = MAJOR_AT + 1;

/// The version octet of ZMTP 2.0, which RFC 15 calls revision 1.
const ZMTP2_REVISION: u8 = 1;
const ZMTP2_SOCKET_TYPE_AT: usize = 11;
/// Signature, revision, socket type; the identity frame follows.
const ZMTP2_GREETING_LEN: usize = 12;
/// RFC 15's identity is a `final-short` frame: flags 0, a 1-byte length.
const ZMTP2_IDENTITY_HEADER_LEN: usize = 2;

/// The protocol a peer's version octet selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revision {
    /// ZMTP 2.0 (RFC 15): libzmq 3.x, JeroMQ 0.3.x. No mechanism, no commands.
    Zmtp2,
    /// ZMTP 3.0 or later: the 64-byte greeting and a mechanism.
    Zmtp3,
}

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

    /// The protocol to speak, decided on the peer's first [`VERSION_PREFIX_LEN`] bytes (`prefix` may
    /// be shorter, or longer: only those are looked at). `Ok(None)` until the version octet has
    /// arrived. Versions 0 (ZMTP 1.0 with a signature) and 2 (none was published) are refused.
    pub fn revision(prefix: &[u8]) -> Result<Option<Revision>, ProtocolError> {
        Greeting::check_signature(prefix)?;
        match prefix.get(MAJOR_AT) {
            None => Ok(None),
            Some(&ZMTP2_REVISION) => Ok(Some(Revision::Zmtp2)),
            Some(&major) if major >= 3 => Ok(Some(Revision::Zmtp3)),
            Some(&major) => Err(ProtocolError::UnsupportedVersion {
                major,
                minor: prefix.get(MINOR_AT).copied().unwrap_or(0),
            }),
        }
    }

    /// Checks the major version as soon as its byte has arrived, so a peer of a version we do not
    /// speak is dropped without waiting for bytes it will never send. (A ZMTP 2.0 peer is
    /// refused here too: callers that downgrade decide on [`Greeting::revision`] first.)
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

/// A ZMTP 2.0 peer's greeting (RFC 15): signature, revision 1, socket-type octet, then its
/// identity as a short final frame (empty = none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zmtp2Greeting {
    /// The octet as sent: numbered like libzmq's constants (see [`SocketType::from_zmtp2_code`]).
    pub socket_type: u8,
    pub identity: Bytes,
}

impl Zmtp2Greeting {
    /// What follows our [`VERSION_PREFIX_LEN`] bytes once the peer turned out to speak ZMTP 2.0:
    /// our socket-type octet, then our identity as the first frame. The peer takes our version
    /// octet (3) for a revision at or above its own and speaks 2.0, as libzmq does.
    /// An identity over 255 bytes (which RFC 15 cannot carry in a short frame) goes in the long
    /// form, which libzmq 3.x and JeroMQ also decode.
    pub fn encode_rest(dst: &mut BytesMut, socket_type: SocketType, identity: &[u8]) {
        dst.reserve(1 + codec::header_len(identity.len()) + identity.len());
        dst.extend_from_slice(&[socket_type.zmtp2_code()]);
        codec::encode_header(dst, identity.len(), false, false);
        dst.extend_from_slice(identity);
    }

    /// The peer's socket-type octet once it has arrived, so an incompatible peer can be dropped
    /// before its identity frame (which it may never send).
    pub fn socket_type_of(prefix: &[u8]) -> Option<u8> {
        prefix.get(ZMTP2_SOCKET_TYPE_AT).copied()
    }

    /// Takes a whole ZMTP 2.0 greeting, identity frame included, off the front of `src`;
    /// `Ok(None)` (nothing consumed) until all of it has arrived. Errors come as soon as the
    /// offending byte is there, so a peer that sends garbage is not waited for.
    pub fn decode(src: &mut BytesMut) -> Result<Option<Zmtp2Greeting>, ProtocolError> {
        match Greeting::revision(src)? {
            None => return Ok(None),
            Some(Revision::Zmtp2) => {}
            Some(Revision::Zmtp3) => return Err(ProtocolError::BadGreeting("not ZMTP 2.0")),
        }
        let Some(&socket_type) = src.get(ZMTP2_SOCKET_TYPE_AT) else {
            return Ok(None);
        };
        let identity_at = ZMTP2_GREETING_LEN + ZMTP2_IDENTITY_HEADER_LEN;
        let Some(header) = src.get(ZMTP2_GREETING_LEN..identity_at) else {
            // The flags octet alone can already be wrong.
            if src.get(ZMTP2_GREETING_LEN).is_some_and(|&flags| flags != 0) {
                return Err(ProtocolError::BadGreeting(
                    "ZMTP 2.0 identity is not a short final frame",
                ));
            }
            return Ok(None);
        };
        if header[0] != 0 {
            return Err(ProtocolError::BadGreeting(
                "ZMTP 2.0 identity is not a short final frame",
            ));
        }
        let len = usize::from(header[1]);
        if src.len() < identity_at + len {
            return Ok(None);
        }
        src.advance(identity_at);
        let identity = src.split_to(len).freeze();
        Ok(Some(Zmtp2Greeting {
            socket_type,
            identity,
        }))
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

    /// A ZMTP 2.0 greeting as libzmq 3.x sends it: length + 1 in the padding, revision 1.
    fn zmtp2_bytes(socket_type: u8, identity: &[u8]) -> Vec<u8> {
        let mut v = vec![0xFF];
        v.extend_from_slice(&(identity.len() as u64 + 1).to_be_bytes());
        v.extend_from_slice(&[0x7F, 1, socket_type, 0, identity.len() as u8]);
        v.extend_from_slice(identity);
        v
    }

    #[test]
    fn version_prefix_decides_the_revision() {
        let ours = Greeting::new("NULL", false).encode();
        assert_eq!(VERSION_PREFIX_LEN, 11);
        for n in 0..VERSION_PREFIX_LEN {
            assert_eq!(Greeting::revision(&ours[..n]), Ok(None), "{n} bytes");
        }
        assert_eq!(
            Greeting::revision(&ours[..VERSION_PREFIX_LEN]),
            Ok(Some(Revision::Zmtp3))
        );
        assert_eq!(Greeting::revision(&ours), Ok(Some(Revision::Zmtp3)));
        let mut newer = ours;
        newer[10] = 4;
        assert_eq!(Greeting::revision(&newer), Ok(Some(Revision::Zmtp3)));
        let v2 = zmtp2_bytes(4, b"");
        assert_eq!(Greeting::revision(&v2[..10]), Ok(None));
        assert_eq!(Greeting::revision(&v2[..11]), Ok(Some(Revision::Zmtp2)));
    }

    #[test]
    fn zmtp_1_0_and_version_2_are_refused() {
        // Revision 0: ZMTP 1.0 framing behind a signature (out of scope).
        let mut v = zmtp2_bytes(4, b"");
        v[10] = 0;
        assert_eq!(
            Greeting::revision(&v),
            Err(ProtocolError::UnsupportedVersion { major: 0, minor: 4 })
        );
        v[10] = 2;
        assert!(Greeting::revision(&v).is_err());
        // An unversioned ZMTP 1.0 peer (libzmq 2.x) opens with its identity frame: a short
        // length octet, or 0xFF + 8 bytes + flags 0, neither a signature.
        assert_eq!(
            Greeting::revision(&[0x01, 0x00]),
            Err(ProtocolError::BadSignature)
        );
        let mut long_identity = vec![0xFF, 0, 0, 0, 0, 0, 0, 1, 0, 0x00];
        long_identity.extend_from_slice(&[b'x'; 8]);
        assert_eq!(
            Greeting::revision(&long_identity),
            Err(ProtocolError::BadSignature)
        );
    }

    #[test]
    fn zmtp2_greeting_decodes_with_identity_and_leaves_the_rest() {
        let mut buf = BytesMut::from(&zmtp2_bytes(6, b"peer-1")[..]);
        buf.extend_from_slice(b"\x00\x02hi");
        assert_eq!(Zmtp2Greeting::socket_type_of(&buf[..11]), None);
        assert_eq!(Zmtp2Greeting::socket_type_of(&buf[..12]), Some(6));
        let g = Zmtp2Greeting::decode(&mut buf).unwrap().unwrap();
        assert_eq!(g.socket_type, 6);
        assert_eq!(g.identity, Bytes::from_static(b"peer-1"));
        assert_eq!(&buf[..], b"\x00\x02hi");
        let mut empty = BytesMut::from(&zmtp2_bytes(3, b"")[..]);
        let g = Zmtp2Greeting::decode(&mut empty).unwrap().unwrap();
        assert_eq!((g.socket_type, g.identity.len()), (3, 0));
        assert!(empty.is_empty());
    }

    #[test]
    fn zmtp2_greeting_one_byte_at_a_time() {
        let whole = zmtp2_bytes(5, b"abc");
        let mut buf = BytesMut::new();
        for (i, &b) in whole.iter().enumerate() {
            assert_eq!(Zmtp2Greeting::decode(&mut buf), Ok(None), "{i} bytes");
            assert_eq!(buf.len(), i, "nothing consumed while incomplete");
            buf.extend_from_slice(&[b]);
        }
        let g = Zmtp2Greeting::decode(&mut buf).unwrap().unwrap();
        assert_eq!((g.socket_type, &g.identity[..]), (5, &b"abc"[..]));
        assert!(buf.is_empty());
    }

    #[test]
    fn zmtp2_greeting_garbage() {
        // Identity frame with MORE, LONG, COMMAND or reserved bits: refused from its flags octet.
        for flags in [0x01u8, 0x02, 0x03, 0x04, 0x80] {
            let mut v = zmtp2_bytes(4, b"id");
            v[12] = flags;
            for n in 13..=v.len() {
                let mut buf = BytesMut::from(&v[..n]);
                assert!(
                    matches!(
                        Zmtp2Greeting::decode(&mut buf),
                        Err(ProtocolError::BadGreeting(_))
                    ),
                    "flags {flags:#x}, {n} bytes"
                );
            }
        }
        let mut bad_sig = BytesMut::from(&zmtp2_bytes(4, b"")[..]);
        bad_sig[9] = 0x7E;
        assert_eq!(
            Zmtp2Greeting::decode(&mut bad_sig),
            Err(ProtocolError::BadSignature)
        );
        let mut v3 = BytesMut::from(&Greeting::new("NULL", false).encode()[..]);
        assert!(matches!(
            Zmtp2Greeting::decode(&mut v3),
            Err(ProtocolError::BadGreeting(_))
        ));
        // Every split of random-looking bytes behind a v2 prefix: never a panic.
        let mut noise = zmtp2_bytes(9, b"");
        noise.truncate(12);
        noise.extend((0u8..=255).map(|i| i.wrapping_mul(37)));
        for n in 0..noise.len() {
            let _ = Zmtp2Greeting::decode(&mut BytesMut::from(&noise[..n]));
        }
    }

    #[test]
    fn zmtp2_rest_we_send() {
        let mut out = BytesMut::new();
        Zmtp2Greeting::encode_rest(&mut out, SocketType::Rep, b"");
        assert_eq!(&out[..], &[4, 0, 0]);
        out.clear();
        Zmtp2Greeting::encode_rest(&mut out, SocketType::Dealer, b"me");
        assert_eq!(&out[..], &[5, 0, 2, b'm', b'e']);
        // Our prefix and rest, as a ZMTP 2.0 peer sees them: a greeting it can parse (it reads our
        // version octet 3 as a revision it can talk down to).
        let mut whole =
            BytesMut::from(&Greeting::new("NULL", false).encode()[..VERSION_PREFIX_LEN]);
        whole[10] = 1;
        whole.extend_from_slice(&out);
        let g = Zmtp2Greeting::decode(&mut whole).unwrap().unwrap();
        assert_eq!((g.socket_type, &g.identity[..]), (5, &b"me"[..]));
        out.clear();
        let long = vec![7u8; 300];
        Zmtp2Greeting::encode_rest(&mut out, SocketType::Router, &long);
        assert_eq!(&out[..10], &[6, 0x02, 0, 0, 0, 0, 0, 0, 1, 44]);
        assert_eq!(out.len(), 10 + 300);
    }
}

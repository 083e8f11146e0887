//! CURVE long-term keys: parsing (32 bytes, or 40 characters of Z85), Z85 output, generation and
//! public-from-secret derivation, as libzmq's `zmq_curve_keypair` / `zmq_curve_public`.

use super::error::SecurityError;
use super::random;
use super::z85;
use crate::key_cell::KeyCell;
use curve25519_dalek::MontgomeryPoint;
use std::fmt;
use zeroize::Zeroizing;

/// Bytes of a Curve25519 key.
pub const KEY_LEN: usize = 32;
/// Characters of a key in Z85.
pub const Z85_KEY_LEN: usize = 40;

/// Takes 32 raw bytes, or 40 bytes of Z85 text, into `out`.
fn parse_raw_into(raw: &[u8], out: &mut [u8; KEY_LEN]) -> Result<(), SecurityError> {
    match raw.len() {
        KEY_LEN => {
            out.copy_from_slice(raw);
            Ok(())
        }
        Z85_KEY_LEN => Ok(z85::decode_into(raw, out)?),
        n => Err(SecurityError::KeyLength(n)),
    }
}

fn parse_raw(raw: &[u8]) -> Result<[u8; KEY_LEN], SecurityError> {
    let mut out = [0u8; KEY_LEN];
    parse_raw_into(raw, &mut out)?;
    Ok(out)
}

fn parse_z85_into(text: &str, out: &mut [u8; KEY_LEN]) -> Result<(), SecurityError> {
    if text.len() != Z85_KEY_LEN {
        return Err(SecurityError::KeyLength(text.len()));
    }
    Ok(z85::decode_into(text.as_bytes(), out)?)
}

fn parse_z85(text: &str) -> Result<[u8; KEY_LEN], SecurityError> {
    let mut out = [0u8; KEY_LEN];
    parse_z85_into(text, &mut out)?;
    Ok(out)
}

fn to_z85(bytes: &[u8; KEY_LEN]) -> String {
    // 32 is a multiple of 4: encoding cannot fail.
    z85::encode(bytes).unwrap_or_default()
}

/// A long-term (or short-term) public key.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CurvePublicKey([u8; KEY_LEN]);

impl CurvePublicKey {
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> CurvePublicKey {
        CurvePublicKey(bytes)
    }

    /// 32 raw bytes, or 40 bytes of Z85 text (what a `Uint8Array` / `Buffer` option may hold).
    pub fn parse(raw: &[u8]) -> Result<CurvePublicKey, SecurityError> {
        parse_raw(raw).map(CurvePublicKey)
    }

    /// Exactly 40 characters of Z85.
    pub fn from_z85(text: &str) -> Result<CurvePublicKey, SecurityError> {
        parse_z85(text).map(CurvePublicKey)
    }

    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    pub fn to_z85(&self) -> String {
        to_z85(&self.0)
    }
}

impl fmt::Debug for CurvePublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CurvePublicKey({})", self.to_z85())
    }
}

impl fmt::Display for CurvePublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_z85())
    }
}

/// A secret key (long-term, or a connection's short-term one), its bytes in a [`KeyCell`]: one
/// heap cell, shared by clones, wiped when the last handle goes. The curve operations take the
/// bytes from there: crypto_box's own `SecretKey` wipes only its scalar, not its bytes, so it is
/// not used for keys that outlive a call. Compared in constant time; `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct CurveSecretKey(KeyCell);

impl CurveSecretKey {
    /// A copy of `bytes` (the caller wipes its own).
    pub fn from_bytes(bytes: &[u8; KEY_LEN]) -> CurveSecretKey {
        CurveSecretKey(KeyCell::copied(bytes))
    }

    /// 32 raw bytes, or 40 bytes of Z85 text.
    pub fn parse(raw: &[u8]) -> Result<CurveSecretKey, SecurityError> {
        KeyCell::filled(|cell| parse_raw_into(raw, cell)).map(CurveSecretKey)
    }

    /// Exactly 40 characters of Z85.
    pub fn from_z85(text: &str) -> Result<CurveSecretKey, SecurityError> {
        KeyCell::filled(|cell| parse_z85_into(text, cell)).map(CurveSecretKey)
    }

    /// A new key from the OS random source.
    pub fn generate() -> Result<CurveSecretKey, SecurityError> {
        KeyCell::filled(|cell| random::fill(cell)).map(CurveSecretKey)
    }

    /// The matching public key (X25519 scalar multiplication of the base point).
    pub fn public_key(&self) -> CurvePublicKey {
        CurvePublicKey(MontgomeryPoint::mul_base_clamped(*self.0.expose()).to_bytes())
    }

    /// The X25519 shared secret of this key and `public`, wiped on drop.
    pub(crate) fn diffie_hellman(&self, public: &[u8; KEY_LEN]) -> Zeroizing<[u8; KEY_LEN]> {
        Zeroizing::new(
            MontgomeryPoint(*public)
                .mul_clamped(*self.0.expose())
                .to_bytes(),
        )
    }

    /// The key's bytes, for copying into a box that only this side opens (the CURVE cookie).
    pub(crate) fn expose(&self) -> &[u8; KEY_LEN] {
        self.0.expose()
    }

    pub fn to_z85(&self) -> String {
        to_z85(self.0.expose())
    }

    /// The cell holding the key (for the options, which share it rather than copy it).
    pub fn cell(&self) -> &KeyCell {
        &self.0
    }
}

impl From<KeyCell> for CurveSecretKey {
    fn from(cell: KeyCell) -> CurveSecretKey {
        CurveSecretKey(cell)
    }
}

impl fmt::Debug for CurveSecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CurveSecretKey(..)")
    }
}

/// A long-term key pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurveKeyPair {
    pub public: CurvePublicKey,
    pub secret: CurveSecretKey,
}

impl CurveKeyPair {
    pub fn generate() -> Result<CurveKeyPair, SecurityError> {
        Ok(CurveKeyPair::from_secret(CurveSecretKey::generate()?))
    }

    pub fn from_secret(secret: CurveSecretKey) -> CurveKeyPair {
        CurveKeyPair {
            public: secret.public_key(),
            secret,
        }
    }
}

/// A new key pair in Z85: `(public, secret)`, like libzmq's `zmq_curve_keypair`.
pub fn curve_keypair() -> Result<(String, String), SecurityError> {
    let pair = CurveKeyPair::generate()?;
    Ok((pair.public.to_z85(), pair.secret.to_z85()))
}

/// The Z85 public key of a secret key given as 32 bytes or 40 Z85 characters (`zmq_curve_public`).
pub fn curve_public(secret: &[u8]) -> Result<String, SecurityError> {
    Ok(CurveSecretKey::parse(secret)?.public_key().to_z85())
}

#[cfg(test)]
mod tests {
    use super::*;

    // doc/zmq_curve.adoc, "TEST KEY VALUES".
    const CLIENT_PUBLIC_HEX: &str =
        "BB88471D65E2659B30C55A5321CEBB5AAB2B70A398645C26DCA2B2FCB43FC518";
    const CLIENT_PUBLIC: &str = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID";
    const CLIENT_SECRET_HEX: &str =
        "7BB864B489AFA3671FBE69101F94B38972F24816DFB01B51656B3FEC8DFD0888";
    const CLIENT_SECRET: &str = "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs";
    const SERVER_PUBLIC_HEX: &str =
        "54FCBA24E93249969316FB617C872BB0C1D1FF14800427C594CBFACF1BC2D652";
    const SERVER_PUBLIC: &str = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
    const SERVER_SECRET_HEX: &str =
        "8E0BDD697628B91D8F245587EE95C5B04D48963F79259877B49CD9063AEAD3B7";
    const SERVER_SECRET: &str = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6";

    fn hex(s: &str) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (i, o) in out.iter_mut().enumerate() {
            *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }

    #[test]
    fn libzmq_test_keys_z85_match_hex() {
        for (h, z) in [
            (CLIENT_PUBLIC_HEX, CLIENT_PUBLIC),
            (CLIENT_SECRET_HEX, CLIENT_SECRET),
            (SERVER_PUBLIC_HEX, SERVER_PUBLIC),
            (SERVER_SECRET_HEX, SERVER_SECRET),
        ] {
            assert_eq!(z85::encode(&hex(h)).unwrap(), z);
            assert_eq!(z85::decode(z.as_bytes()).unwrap(), hex(h));
        }
    }

    #[test]
    fn libzmq_test_keys_public_from_secret() {
        assert_eq!(
            curve_public(CLIENT_SECRET.as_bytes()).unwrap(),
            CLIENT_PUBLIC
        );
        assert_eq!(
            curve_public(SERVER_SECRET.as_bytes()).unwrap(),
            SERVER_PUBLIC
        );
        assert_eq!(
            curve_public(&hex(SERVER_SECRET_HEX)).unwrap(),
            SERVER_PUBLIC
        );
        let secret = CurveSecretKey::from_z85(CLIENT_SECRET).unwrap();
        assert_eq!(
            secret.public_key(),
            CurvePublicKey::from_bytes(hex(CLIENT_PUBLIC_HEX))
        );
        assert_eq!(secret.to_z85(), CLIENT_SECRET);
    }

    #[test]
    fn parse_accepts_bytes_or_z85() {
        let from_text = CurvePublicKey::parse(SERVER_PUBLIC.as_bytes()).unwrap();
        let from_bytes = CurvePublicKey::parse(&hex(SERVER_PUBLIC_HEX)).unwrap();
        assert_eq!(from_text, from_bytes);
        assert_eq!(CurvePublicKey::from_z85(SERVER_PUBLIC).unwrap(), from_bytes);
        assert_eq!(from_bytes.to_z85(), SERVER_PUBLIC);
        assert_eq!(from_bytes.to_string(), SERVER_PUBLIC);
        assert_eq!(
            format!("{from_bytes:?}"),
            format!("CurvePublicKey({SERVER_PUBLIC})")
        );
    }

    #[test]
    fn malformed_keys_are_typed_errors() {
        assert_eq!(CurvePublicKey::parse(b""), Err(SecurityError::KeyLength(0)));
        assert_eq!(
            CurvePublicKey::parse(&[0; 31]),
            Err(SecurityError::KeyLength(31))
        );
        assert_eq!(
            CurvePublicKey::from_z85("short"),
            Err(SecurityError::KeyLength(5))
        );
        // 32 bytes of text is taken as raw bytes by `parse`, but is no Z85 key for `from_z85`.
        assert!(CurvePublicKey::parse(&[b'a'; 32]).is_ok());
        assert_eq!(
            CurvePublicKey::from_z85(&"a".repeat(32)),
            Err(SecurityError::KeyLength(32))
        );
        let bad_char = format!("{}\"", &SERVER_PUBLIC[..39]);
        assert!(matches!(
            CurvePublicKey::from_z85(&bad_char),
            Err(SecurityError::KeyZ85(z85::Z85Error::InvalidChar {
                offset: 39
            }))
        ));
        assert!(matches!(
            CurveSecretKey::parse(&[b'#'; 40]),
            Err(SecurityError::KeyZ85(z85::Z85Error::Overflow { offset: 0 }))
        ));
        assert!(curve_public(b"not a key").is_err());
        assert_eq!(
            format!("{:?}", CurveSecretKey::from_z85(SERVER_SECRET).unwrap()),
            "CurveSecretKey(..)"
        );
    }

    #[test]
    fn a_cloned_secret_key_is_the_same_cell_not_a_copy() {
        let key = CurveSecretKey::from_z85(SERVER_SECRET).unwrap();
        let clone = key.clone();
        assert!(std::ptr::eq(key.expose(), clone.expose()));
        assert_eq!(key, clone);
        assert_eq!(*key.expose(), hex(SERVER_SECRET_HEX));
        assert_ne!(key, CurveSecretKey::from_z85(CLIENT_SECRET).unwrap());
        // Options cloned per connection share the key too, and so does the key made from them.
        let options = crate::Options {
            curve_secret_key: crate::SecretKey(Some(key.cell().clone())),
            ..crate::Options::default()
        };
        let per_connection = options.clone();
        let Some(cell) = &per_connection.curve_secret_key.0 else {
            panic!("no key");
        };
        assert!(cell.same_cell(key.cell()));
        assert!(std::ptr::eq(
            CurveSecretKey::from(cell.clone()).expose(),
            key.expose()
        ));
    }

    #[test]
    fn secret_keys_from_every_source_agree() {
        let z85 = CurveSecretKey::from_z85(CLIENT_SECRET).unwrap();
        assert_eq!(
            CurveSecretKey::parse(CLIENT_SECRET.as_bytes()).unwrap(),
            z85
        );
        assert_eq!(CurveSecretKey::parse(&hex(CLIENT_SECRET_HEX)).unwrap(), z85);
        assert_eq!(CurveSecretKey::from_bytes(&hex(CLIENT_SECRET_HEX)), z85);
        // The X25519 shared secret is symmetric.
        let server = CurveSecretKey::from_z85(SERVER_SECRET).unwrap();
        assert_eq!(
            *z85.diffie_hellman(server.public_key().as_bytes()),
            *server.diffie_hellman(z85.public_key().as_bytes())
        );
    }

    #[test]
    fn generated_pairs_are_distinct_and_consistent() {
        let (public, secret) = curve_keypair().unwrap();
        let (public2, secret2) = curve_keypair().unwrap();
        assert_eq!(public.len(), 40);
        assert_eq!(secret.len(), 40);
        assert_ne!(secret, secret2);
        assert_ne!(public, public2);
        assert_eq!(curve_public(secret.as_bytes()).unwrap(), public);
    }
}

//! CURVE keys for the JS layer: `curveKeyPair()`, and the check that turns a key option (40
//! characters of Z85 or 32 bytes) into the Z85 it reads back as. The JS layer makes a failure a
//! `TypeError` naming the option.

use napi::bindgen_prelude::{Buffer, Either};
use napi::{Error, Result, Status};
use napi_derive::napi;
use zeroize::Zeroize;
use zeromq_napi_engine::wire::security::{
    curve_keypair, CurveKeyPair, CurvePublicKey, CurveSecretKey,
};

#[napi(object)]
pub struct JsCurveKeyPair {
    pub public_key: String,
    pub secret_key: String,
}

fn invalid(e: impl std::fmt::Display) -> Error {
    Error::new(Status::InvalidArg, e.to_string())
}

/// A new key pair from the OS random source.
#[cfg_attr(test, allow(dead_code))]
#[napi]
pub fn curve_key_pair() -> Result<JsCurveKeyPair> {
    let (public_key, secret_key) = curve_keypair().map_err(invalid)?;
    Ok(JsCurveKeyPair {
        public_key,
        secret_key,
    })
}

/// `key` as 40 characters of Z85; an error says what is wrong with it.
#[cfg_attr(test, allow(dead_code))]
#[napi]
pub fn curve_key_z85(key: Either<String, Buffer>) -> Result<String> {
    // Read as a secret key whatever it is (Z85 is Z85): the bytes of `curveSecretKey` are then
    // kept only in a cell that is wiped, and the text copied out of JS is wiped below.
    let parsed = match key {
        Either::A(mut text) => {
            let parsed = CurveSecretKey::from_z85(&text);
            text.zeroize();
            parsed
        }
        Either::B(bytes) => CurveSecretKey::parse(&bytes),
    };
    Ok(parsed.map_err(invalid)?.to_z85())
}

/// The public key of a secret key given as Z85 (as `curve_key_z85` returns it).
#[cfg_attr(test, allow(dead_code))]
#[napi]
pub fn curve_public_of(mut secret: String) -> Result<String> {
    let key = CurveSecretKey::from_z85(&secret);
    // The Z85 copied out of JS is wiped here; the key's bytes are wiped with the key.
    secret.zeroize();
    Ok(CurveKeyPair::from_secret(key.map_err(invalid)?)
        .public
        .to_z85())
}

/// 32 key bytes from Z85 the JS layer already checked (None if it somehow is not).
pub(crate) fn key_bytes(z85: Option<&String>) -> Option<[u8; 32]> {
    z85.and_then(|k| CurvePublicKey::from_z85(k).ok())
        .map(|k| *k.as_bytes())
}

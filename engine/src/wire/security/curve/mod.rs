//! CurveZMQ (RFC 26) as libzmq speaks it: the CURVE mechanism of ZMTP 3 (RFC 37).
//!
//! Where libzmq and RFC 26 differ, libzmq wins, since it is what peers run: HELLO carries 72 bytes
//! of zero padding (200 bytes in all), MESSAGE nonces are prefixed `CurveZMQMESSAGEC` (client to
//! server) / `CurveZMQMESSAGES` (server to client), and a MESSAGE boxes a flags byte (MORE = 1,
//! COMMAND = 2) ahead of the frame, inside an outer frame without flags.
//!
//! Every box is NaCl's `crypto_box` (X25519, HSalsa20, XSalsa20-Poly1305): the key agreement from
//! RustCrypto, the box under the precomputed key from libsodium ([`nacl_box`]); the cookie is a
//! `crypto_secretbox` under a key drawn for this one connection. A box on the wire is its 16-byte
//! tag followed by the ciphertext, so both are sealed detached and in place.

pub mod client;
mod data_phase;
pub mod message;
pub(crate) mod nacl_box;
pub mod server;

#[cfg(test)]
mod tests;

pub use client::CurveClient;
pub use server::CurveServer;

use crate::error::ProtocolError;
use crate::wire::security::keys::CurveSecretKey;
use bytes::BytesMut;
use nacl_box::{BoxKey, NONCE_LEN};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

pub(crate) use super::{ERROR, HELLO, INITIATE, READY, WELCOME};

/// libzmq's sizes: HELLO and WELCOME are fixed, INITIATE and READY grow with their metadata.
pub(crate) const HELLO_LEN: usize = 200;
pub(crate) const WELCOME_LEN: usize = 168;
pub(crate) const INITIATE_MIN_LEN: usize = 257;
pub(crate) const READY_MIN_LEN: usize = 30;

pub(crate) use nacl_box::{KEY_LEN, TAG_LEN};
/// The cookie: tag + Box[C' + s'](t).
pub(crate) const COOKIE_LEN: usize = TAG_LEN + 2 * KEY_LEN;
/// What INITIATE echoes: the cookie's 16-byte nonce tail, then the cookie.
pub(crate) const COOKIE_WITH_NONCE_LEN: usize = 16 + COOKIE_LEN;
/// The vouch: tag + Box[C' + S](C->S').
pub(crate) const VOUCH_LEN: usize = TAG_LEN + 2 * KEY_LEN;

pub(crate) const HELLO_NONCE: &[u8; 16] = b"CurveZMQHELLO---";
pub(crate) const WELCOME_NONCE: &[u8; 8] = b"WELCOME-";
pub(crate) const COOKIE_NONCE: &[u8; 8] = b"COOKIE--";
pub(crate) const VOUCH_NONCE: &[u8; 8] = b"VOUCH---";
pub(crate) const INITIATE_NONCE: &[u8; 16] = b"CurveZMQINITIATE";
pub(crate) const READY_NONCE: &[u8; 16] = b"CurveZMQREADY---";
pub(crate) const MESSAGE_FROM_CLIENT: &[u8; 16] = b"CurveZMQMESSAGEC";
pub(crate) const MESSAGE_FROM_SERVER: &[u8; 16] = b"CurveZMQMESSAGES";

/// A 16-byte prefix and a counter (big-endian), as HELLO, INITIATE, READY and MESSAGE use.
pub(crate) fn short_nonce(prefix: &[u8; 16], counter: u64) -> [u8; NONCE_LEN] {
    let mut n = [0u8; NONCE_LEN];
    n[..16].copy_from_slice(prefix);
    n[16..].copy_from_slice(&counter.to_be_bytes());
    n
}

/// An 8-byte prefix and 16 random bytes, as WELCOME, the cookie and the vouch use.
pub(crate) fn long_nonce(prefix: &[u8; 8], random: &[u8; 16]) -> [u8; NONCE_LEN] {
    let mut n = [0u8; NONCE_LEN];
    n[..8].copy_from_slice(prefix);
    n[8..].copy_from_slice(random);
    n
}

/// The box key of `public` and `secret` (libsodium's `crypto_box_beforenm`), or `None` when
/// `public` has small order: the X25519 result is then all zeros whatever the secret, anyone can
/// compute it, and libsodium refuses it too. The check runs in constant time: the shared secret
/// is secret whatever it turns out to be.
pub(crate) fn precompute(public: &[u8; KEY_LEN], secret: &CurveSecretKey) -> Option<BoxKey> {
    let shared = secret.diffie_hellman(public);
    if bool::from(shared.ct_eq(&[0u8; KEY_LEN])) {
        return None;
    }
    Some(BoxKey::from_shared_secret(&shared))
}

/// Appends Box[plaintext] to `dst`: the tag, then the ciphertext, sealed in place in `dst`.
pub(crate) fn seal_into(
    key: &BoxKey,
    nonce: &[u8; NONCE_LEN],
    plaintext: &[u8],
    dst: &mut BytesMut,
) {
    dst.reserve(TAG_LEN + plaintext.len());
    let tag_at = dst.len();
    dst.extend_from_slice(&[0u8; TAG_LEN]);
    dst.extend_from_slice(plaintext);
    let (head, body) = dst.split_at_mut(tag_at + TAG_LEN);
    let tag = key.seal_in_place(nonce, body);
    head[tag_at..].copy_from_slice(&tag);
}

/// Opens Box[...] (`boxed` = tag + ciphertext) into a buffer that is wiped on drop.
pub(crate) fn open(
    key: &BoxKey,
    nonce: &[u8; NONCE_LEN],
    boxed: &[u8],
    failure: &'static str,
) -> Result<Zeroizing<Vec<u8>>, ProtocolError> {
    let (tag, ciphertext) = boxed
        .split_first_chunk::<TAG_LEN>()
        .ok_or(ProtocolError::BadCommand(failure))?;
    let mut plain = Zeroizing::new(ciphertext.to_vec());
    key.open_in_place(nonce, &mut plain, tag)
        .map_err(|_| ProtocolError::BadCommand(failure))?;
    Ok(plain)
}

/// Copies a 32-byte key out of a slice already checked to hold it.
pub(crate) fn key_at(bytes: &[u8], at: usize) -> Option<[u8; KEY_LEN]> {
    let mut out = [0u8; KEY_LEN];
    out.copy_from_slice(bytes.get(at..at.checked_add(KEY_LEN)?)?);
    Some(out)
}

/// The 16 random bytes of a long nonce at `at`.
pub(crate) fn nonce_tail_at(bytes: &[u8], at: usize) -> Option<&[u8; 16]> {
    bytes.get(at..at.checked_add(16)?)?.try_into().ok()
}

/// A big-endian nonce counter at `at`.
pub(crate) fn counter_at(bytes: &[u8], at: usize) -> Option<u64> {
    let mut out = [0u8; 8];
    out.copy_from_slice(bytes.get(at..at.checked_add(8)?)?);
    Some(u64::from_be_bytes(out))
}

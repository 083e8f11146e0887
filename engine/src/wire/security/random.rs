//! The OS random source, fallible: `OsRng::fill_bytes` would panic if getrandom failed, and
//! nothing here may take the process down.

use super::error::SecurityError;
use crypto_box::aead::rand_core::RngCore;
use crypto_box::aead::OsRng;

pub(crate) fn fill(buf: &mut [u8]) -> Result<(), SecurityError> {
    OsRng.try_fill_bytes(buf).map_err(|_| SecurityError::Random)
}

pub(crate) fn array<const N: usize>() -> Result<[u8; N], SecurityError> {
    let mut out = [0u8; N];
    fill(&mut out)?;
    Ok(out)
}

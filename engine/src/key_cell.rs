//! 32 secret bytes (a CURVE secret key) in one heap cell, wiped when the last handle to it is
//! dropped. A clone is another handle to the same cell, not a copy, so the options a socket hands
//! every new connection copy no secret; the bytes are written where they are kept (decoded, drawn
//! or copied in place), never moved. Compared in constant time; `Debug` never shows them.

use std::fmt;
use std::sync::Arc;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// Bytes of a Curve25519 key.
pub const KEY_CELL_LEN: usize = 32;

#[derive(Clone)]
pub struct KeyCell(Arc<Zeroizing<[u8; KEY_CELL_LEN]>>);

impl KeyCell {
    /// A cell whose bytes `fill` writes in place.
    pub fn filled<E>(
        fill: impl FnOnce(&mut [u8; KEY_CELL_LEN]) -> Result<(), E>,
    ) -> Result<KeyCell, E> {
        let mut cell = Arc::new(Zeroizing::new([0u8; KEY_CELL_LEN]));
        // A new Arc has no other handle: `make_mut` gives its cell, it does not clone it.
        let bytes: &mut Zeroizing<[u8; KEY_CELL_LEN]> = Arc::make_mut(&mut cell);
        fill(bytes)?;
        Ok(KeyCell(cell))
    }

    /// A copy of `bytes` (the caller wipes its own).
    pub fn copied(bytes: &[u8; KEY_CELL_LEN]) -> KeyCell {
        let Ok(cell) = KeyCell::filled(|cell| {
            cell.copy_from_slice(bytes);
            Ok::<(), std::convert::Infallible>(())
        });
        cell
    }

    /// The bytes themselves, for the operations that need them (and nothing that keeps them).
    pub fn expose(&self) -> &[u8; KEY_CELL_LEN] {
        &self.0
    }

    /// Whether `other` is a handle to this very cell.
    pub fn same_cell(&self, other: &KeyCell) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl PartialEq for KeyCell {
    fn eq(&self, other: &KeyCell) -> bool {
        self.0[..].ct_eq(&other.0[..]).into()
    }
}

impl Eq for KeyCell {}

impl fmt::Debug for KeyCell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyCell(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clone_is_the_same_cell_and_equality_is_by_value() {
        let a = KeyCell::copied(&[7u8; KEY_CELL_LEN]);
        let b = a.clone();
        assert!(a.same_cell(&b) && std::ptr::eq(a.expose(), b.expose()));
        let c = KeyCell::copied(&[7u8; KEY_CELL_LEN]);
        assert!(!a.same_cell(&c));
        assert_eq!(a, c);
        assert_ne!(a, KeyCell::copied(&[8u8; KEY_CELL_LEN]));
        assert_eq!(format!("{a:?}"), "KeyCell(..)");
    }
}

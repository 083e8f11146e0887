//! Hash maps keyed by ids this process counts out itself (operation ids, socket ids, connection
//! ids): no peer chooses them, so there is no flooding to guard against, and a multiplication
//! spreads a counter's values over all bits. The default SipHash cost a few percent of a
//! lockstep round trip's user time: each message looks ids up several times (the socket of each
//! native call, the connection a read is for, the receive operation it settles).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A `HashMap` keyed by a counted id.
pub(crate) type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;

/// Fibonacci hashing: the golden ratio's 64-bit fraction, odd, so distinct ids hash apart.
const SPREAD: u64 = 0x9e37_79b9_7f4a_7c15;

#[derive(Default)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(SPREAD);
        }
    }

    fn write_u32(&mut self, id: u32) {
        self.write_u64(u64::from(id));
    }

    fn write_u64(&mut self, id: u64) {
        self.0 = (self.0 ^ id).wrapping_mul(SPREAD);
    }
}

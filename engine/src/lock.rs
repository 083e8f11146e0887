//! The one way this crate (and the binding) takes a `std::sync::Mutex`.

use std::sync::{Mutex, MutexGuard};

/// Locks `m`, going on past poisoning: every critical section guarded this way leaves its data
/// consistent at each step (a push, a take, a flag), so a thread that panicked inside one left
/// nothing half-done for the next to trip on.
pub fn lock<T: ?Sized>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

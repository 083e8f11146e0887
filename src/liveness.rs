//! Native objects that JavaScript names by id, so that no method can reach one that is gone.
//!
//! A JS socket does not wrap native memory: it holds a number, the id its native socket has in
//! its environment's [`Registry`], and every native call looks the id up. Ids are never reused (a
//! 64-bit counter, handed to JS as a number: 2^53 sockets are out of reach), so a stale id finds
//! nothing rather than a newer object at a reused address (no ABA), and a lookup that finds
//! nothing is an `EBADF` error, not a read of freed memory. Entries leave the registry when the JS
//! object holding the id has been collected (`lib/native.js` registers it with a
//! `FinalizationRegistry`, which calls [`Registry::remove`]) or when the environment tears down.
//!
//! The registry belongs to one environment's hub (napi instance data) and is only touched on its
//! JS thread: a `RefCell`, not a lock, and `Rc` handles, so the compiler keeps it there.

use crate::id_map::IdMap;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// The live objects of one environment, by id.
pub(crate) struct Registry<T> {
    next: Cell<u64>,
    live: RefCell<IdMap<u64, Rc<T>>>,
}

impl<T> Default for Registry<T> {
    fn default() -> Self {
        Registry {
            next: Cell::new(1),
            live: RefCell::new(IdMap::default()),
        }
    }
}

impl<T> Registry<T> {
    /// An id no object of this registry ever had (ids start at 1).
    pub(crate) fn fresh_id(&self) -> u64 {
        let id = self.next.get();
        self.next.set(id + 1);
        id
    }

    /// Adds `object` under `id` (from [`Registry::fresh_id`]).
    pub(crate) fn insert(&self, id: u64, object: T) {
        self.live.borrow_mut().insert(id, Rc::new(object));
    }

    /// The object `id` names, if it is still registered. A clone of the handle: the registry is not
    /// borrowed while the caller works with it (which may re-enter the registry).
    pub(crate) fn get(&self, id: u64) -> Option<Rc<T>> {
        self.live.borrow().get(&id).cloned()
    }

    /// Removes `id`; the object is dropped once the last handle to it goes.
    pub(crate) fn remove(&self, id: u64) -> Option<Rc<T>> {
        self.live.borrow_mut().remove(&id)
    }

    /// Empties the registry (environment teardown).
    pub(crate) fn drain(&self) -> Vec<Rc<T>> {
        self.live
            .borrow_mut()
            .drain()
            .map(|(_, object)| object)
            .collect()
    }
}

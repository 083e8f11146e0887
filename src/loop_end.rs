//! Work left for the end of the event loop's poll phase: a libuv check handle, which runs right
//! after the I/O callbacks of each loop turn.
//!
//! A proxy read on the JS thread (`uv_read`) is woken by every message that one connection's read
//! delivers. Polled right then, it forwards each message on its own: one `send` system call per
//! message, and one wake-up of the receiving process each. Polled once after all of the turn's
//! reads instead, it forwards everything they brought in one burst, written with one vectored
//! write per connection (a broker's requests to the same worker, that worker's replies read
//! together): the same messages, the same order per peer, the same high-water marks, fewer
//! system calls. Such operations are marked in the executor (`Executor::poll_at_loop_end`);
//! `Hub::settle_now` leaves them here.
//!
//! The handle is unreferenced and started only while something waits for it, so it neither keeps
//! Node alive nor costs an idle loop anything.

use crate::hub::Hub;
use crate::uv_handle::{OnEvent, UvHandle};
use napi::Env;
use std::cell::RefCell;

/// What the check handle does after a poll phase: polls (and settles) what this turn's reads left.
#[derive(Clone, Copy)]
struct TurnEnd {
    env: Env,
}

impl OnEvent for TurnEnd {
    fn on_event(&self) {
        let Ok(hub) = Hub::of(&self.env) else {
            return;
        };
        if let Some(end) = hub.loop_end() {
            let ids = end.take();
            hub.settle_each(ids);
        }
    }
}

/// The operations left for the end of this loop turn's poll phase, and the handle that runs them.
pub(crate) struct LoopEnd {
    check: UvHandle<TurnEnd>,
    /// Operation ids woken during this turn's reads, in the order they were first woken.
    waiting: RefCell<Vec<u32>>,
}

impl LoopEnd {
    /// A check handle on `env`'s loop (unreferenced, not started), or None where libuv's check
    /// type is not the one the binding knows.
    pub(crate) fn new(env: Env) -> Option<LoopEnd> {
        Some(LoopEnd {
            check: UvHandle::check(&env, TurnEnd { env })?,
            waiting: RefCell::new(Vec::new()),
        })
    }

    /// Leaves operation `id` (woken by a read) for the end of this turn's poll phase; once per
    /// turn however often it is woken. False when the handle cannot be started: the caller
    /// polls it now instead.
    pub(crate) fn leave(&self, id: u32) -> bool {
        let mut waiting = self.waiting.borrow_mut();
        if waiting.is_empty() && !self.check.start() {
            return false;
        }
        if !waiting.contains(&id) {
            waiting.push(id);
        }
        true
    }

    /// What was left for now; stops the handle until something is left again.
    fn take(&self) -> Vec<u32> {
        self.check.stop();
        std::mem::take(&mut *self.waiting.borrow_mut())
    }
}

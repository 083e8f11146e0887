//! Reads the engine's connections on the JS thread, from Node's own event loop.
//!
//! Each established connection's descriptor gets a libuv poll handle on the loop of the
//! environment that owns the socket. When data arrives, the JS thread wakes from its own epoll,
//! decodes the message (`DrivenRead::pump`) and settles the waiting promise: one thread wake-up
//! per message received, like Node's own sockets, where an engine reader thread would add a
//! second (engine thread, then JS thread). Poll handles are unreferenced: the hub's threadsafe
//! function alone decides whether pending work keeps Node alive.
//!
//! libuv is reached through the symbols Node exports to addons (`uv.h`); napi itself only hands
//! out the loop.

use crate::hub::{lock, HubShared};
use napi::sys;
use std::collections::HashMap;
use std::ffi::{c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::sync::{Arc, Mutex, Weak};
use zeromq_napi_engine::{DrivenRead, Pump, ReadDriver};

/// `UV_POLL` in `uv_handle_type` (uv.h: UNKNOWN, ASYNC, CHECK, FS_EVENT, FS_POLL, HANDLE, IDLE,
/// NAMED_PIPE, POLL): stable across libuv 1.x.
const UV_POLL: c_int = 8;
const UV_READABLE: c_int = 1;

type PollCb = unsafe extern "C" fn(handle: *mut c_void, status: c_int, events: c_int);
type CloseCb = unsafe extern "C" fn(handle: *mut c_void);

extern "C" {
    fn uv_handle_size(kind: c_int) -> usize;
    fn uv_poll_init(event_loop: *mut sys::uv_loop_s, handle: *mut c_void, fd: c_int) -> c_int;
    fn uv_poll_start(handle: *mut c_void, events: c_int, cb: PollCb) -> c_int;
    fn uv_poll_stop(handle: *mut c_void) -> c_int;
    fn uv_close(handle: *mut c_void, cb: CloseCb);
    fn uv_unref(handle: *mut c_void);
    fn uv_handle_set_data(handle: *mut c_void, data: *mut c_void);
    fn uv_handle_get_data(handle: *const c_void) -> *mut c_void;
}

/// Work for the JS thread, queued from engine threads.
pub(crate) enum Command {
    Attach(DrivenRead),
    Resume(DrivenRead),
}

/// The engine's view: queues work for the JS thread and wakes it.
pub(crate) struct UvDriver {
    hub: Weak<HubShared>,
}

impl UvDriver {
    pub(crate) fn new(hub: Weak<HubShared>) -> UvDriver {
        UvDriver { hub }
    }

    fn queue(&self, command: Command) {
        if let Some(hub) = self.hub.upgrade() {
            hub.watches().queue(command);
            hub.wake();
        }
    }
}

impl ReadDriver for UvDriver {
    fn attach(&self, conn: DrivenRead) {
        self.queue(Command::Attach(conn));
    }

    fn resume(&self, conn: DrivenRead) {
        self.queue(Command::Resume(conn));
    }
}

/// One watched connection. Boxed; the poll handle's data points at it.
struct Watch {
    /// Storage for the `uv_poll_t` (u64 words: libuv handles need pointer alignment).
    handle: Box<[u64]>,
    /// None once the watch is closing.
    conn: Option<DrivenRead>,
    hub: Weak<HubShared>,
}

/// A `Watch` owned by the registry; only ever touched on the JS thread.
struct WatchPtr(*mut Watch);

// SAFETY: the pointer is created, used and freed on the JS thread only; the registry that holds
// it lives in the hub (shared with engine threads) but engine threads never touch this map.
unsafe impl Send for WatchPtr {}

/// The hub's part: commands from engine threads, and the JS thread's live watches.
#[derive(Default)]
pub(crate) struct Watches {
    commands: Mutex<Vec<Command>>,
    live: Mutex<HashMap<u64, WatchPtr>>,
}

impl Watches {
    fn queue(&self, command: Command) {
        lock(&self.commands).push(command);
    }

    /// JS thread: carries out queued attaches and resumes.
    pub(crate) fn run_commands(&self, hub: &Arc<HubShared>) {
        let commands = std::mem::take(&mut *lock(&self.commands));
        for command in commands {
            match command {
                Command::Attach(conn) => self.attach(hub, conn),
                Command::Resume(conn) => self.resume(conn),
            }
        }
    }

    fn attach(&self, hub: &Arc<HubShared>, conn: DrivenRead) {
        let mut event_loop = ptr::null_mut();
        // SAFETY: JS thread of the hub's env.
        let status = unsafe { sys::napi_get_uv_event_loop(hub.env(), &mut event_loop) };
        if status != sys::Status::napi_ok || event_loop.is_null() {
            conn.abandon();
            return;
        }
        // SAFETY: a query of a constant.
        let size = unsafe { uv_handle_size(UV_POLL) };
        let watch = Box::into_raw(Box::new(Watch {
            handle: vec![0u64; size.div_ceil(8)].into_boxed_slice(),
            conn: Some(conn.clone()),
            hub: Arc::downgrade(hub),
        }));
        // SAFETY: `watch` was just allocated; its handle storage is `uv_handle_size` bytes.
        let handle = unsafe { (*watch).handle.as_mut_ptr().cast::<c_void>() };
        // SAFETY: valid loop and handle storage; the descriptor stays open while `conn` lives.
        if unsafe { uv_poll_init(event_loop, handle, conn.fd()) } != 0 {
            // Never initialised: no close needed, free it here.
            // SAFETY: allocated above and not shared.
            drop(unsafe { Box::from_raw(watch) });
            conn.abandon();
            return;
        }
        // SAFETY: initialised handle; `watch` outlives it (freed in `on_closed`).
        unsafe {
            uv_handle_set_data(handle, watch.cast());
            uv_unref(handle);
        }
        lock(&self.live).insert(conn.id(), WatchPtr(watch));
        // Bytes may have arrived with the handshake, before the watch existed.
        // SAFETY: live watch, JS thread.
        unsafe { pump_and_rearm(watch, false) };
    }

    fn resume(&self, conn: DrivenRead) {
        let watch = lock(&self.live).get(&conn.id()).map(|w| w.0);
        match watch {
            // SAFETY: live watches are valid until removed from `live` (JS thread only).
            Some(watch) => unsafe { pump_and_rearm(watch, false) },
            None => drop(conn),
        }
    }

    /// JS thread, environment teardown: closes every watch and drops queued work.
    pub(crate) fn close_all(&self) {
        drop(std::mem::take(&mut *lock(&self.commands)));
        let live: Vec<WatchPtr> = lock(&self.live).drain().map(|(_, w)| w).collect();
        for watch in live {
            // SAFETY: live watch, JS thread.
            unsafe { close(watch.0) };
        }
    }

    fn forget(&self, id: u64) {
        lock(&self.live).remove(&id);
    }
}

/// Pumps the connection and sets the poll handle to match the outcome. `polling`: whether the
/// handle is currently started.
///
/// # Safety
/// `watch` is live (in the registry) and this runs on the JS thread.
unsafe fn pump_and_rearm(watch: *mut Watch, polling: bool) {
    let Some(conn) = (unsafe { (*watch).conn.clone() }) else {
        return;
    };
    let handle = unsafe { (*watch).handle.as_mut_ptr().cast::<c_void>() };
    match conn.pump() {
        Pump::Idle => {
            if !polling && unsafe { uv_poll_start(handle, UV_READABLE, on_readable) } != 0 {
                conn.abandon();
                unsafe { close(watch) };
            }
        }
        Pump::Full => {
            if polling {
                unsafe { uv_poll_stop(handle) };
            }
        }
        Pump::Ended => unsafe { close(watch) },
    }
}

/// Stops watching and releases the connection now (the descriptor may close as soon as the
/// handle is stopped, which `uv_close` does at once); the memory goes in `on_closed`.
///
/// # Safety
/// `watch` is live and this runs on the JS thread.
unsafe fn close(watch: *mut Watch) {
    let conn = unsafe { (*watch).conn.take() };
    let Some(conn) = conn else {
        return;
    };
    if let Some(hub) = unsafe { (*watch).hub.upgrade() } {
        hub.watches().forget(conn.id());
    }
    let handle = unsafe { (*watch).handle.as_mut_ptr().cast::<c_void>() };
    unsafe { uv_close(handle, on_closed) };
    drop(conn);
}

unsafe extern "C" fn on_readable(handle: *mut c_void, _status: c_int, _events: c_int) {
    // An error status is left to `pump`, whose read reports it and ends the connection.
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: libuv passes back the handle whose data we set to its live watch.
        let watch = unsafe { uv_handle_get_data(handle) }.cast::<Watch>();
        if watch.is_null() {
            return;
        }
        // SAFETY: as above; libuv calls this on the loop's (JS) thread.
        let Some(hub) = (unsafe { (*watch).hub.upgrade() }) else {
            unsafe { close(watch) };
            return;
        };
        // The watch may be closed by the pump: not touched after it.
        let woken = crate::op::collect_wakes(&hub, || unsafe { pump_and_rearm(watch, true) });
        hub.settle_now(woken);
    }));
}

unsafe extern "C" fn on_closed(handle: *mut c_void) {
    // SAFETY: the data of a closed handle is its watch, now unreferenced by libuv and registry.
    let watch = unsafe { uv_handle_get_data(handle) }.cast::<Watch>();
    if !watch.is_null() {
        drop(unsafe { Box::from_raw(watch) });
    }
}

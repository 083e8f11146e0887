//! Reads the engine's connections on the JS thread, from Node's own event loop.
//!
//! Each established connection's descriptor gets a libuv poll handle on the loop of the
//! environment that owns the socket. When data arrives, the JS thread wakes from its own epoll,
//! decodes the message (`DrivenRead::pump`) and settles the waiting promise: one thread wake-up
//! per message received, like Node's own sockets, where an engine reader thread would add a
//! second (engine thread, then JS thread). Poll handles are unreferenced: the executor's
//! threadsafe function alone decides whether pending work keeps Node alive.
//!
//! libuv is reached through the symbols Node exports to addons (`uv.h`); napi itself only hands
//! out the loop.

use crate::executor::Executor;
use crate::js_thread::JsEnv;
use napi::sys;
use std::collections::HashMap;
use std::ffi::{c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::sync::{Arc, Mutex, Weak};
use zeromq_napi_engine::lock;
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
enum Command {
    Attach(DrivenRead),
    Resume(DrivenRead),
}

/// One watched connection. Boxed; the poll handle's data points at it.
struct Watch {
    /// Storage for the `uv_poll_t` (u64 words: libuv handles need pointer alignment).
    handle: Box<[u64]>,
    /// None once the watch is closing.
    conn: Option<DrivenRead>,
    reader: Weak<UvReader>,
}

/// A `Watch` owned by the registry; only ever touched on the JS thread.
struct WatchPtr(*mut Watch);

// SAFETY: the pointer is created, used and freed on the JS thread only; the registry that holds
// it is shared with engine threads (they queue commands) but they never touch the `live` map.
unsafe impl Send for WatchPtr {}

/// The read driver of one JS environment: commands from engine threads, and the JS thread's live
/// watches. The engine's sockets hold it as their [`ReadDriver`].
pub(crate) struct UvReader {
    env: JsEnv,
    /// Settles what a read finished; weak: engine sockets (which hold the reader) must not keep
    /// the environment's executor alive.
    executor: Weak<Executor>,
    commands: Mutex<Vec<Command>>,
    live: Mutex<HashMap<u64, WatchPtr>>,
}

impl ReadDriver for UvReader {
    fn attach(&self, conn: DrivenRead) {
        self.queue(Command::Attach(conn));
    }

    fn resume(&self, conn: DrivenRead) {
        self.queue(Command::Resume(conn));
    }
}

impl UvReader {
    /// `env`: the environment whose event loop reads; `executor`: its executor.
    pub(crate) fn new(env: JsEnv, executor: &Arc<Executor>) -> napi::Result<UvReader> {
        Ok(UvReader {
            env,
            executor: Arc::downgrade(executor),
            commands: Mutex::new(Vec::new()),
            live: Mutex::new(HashMap::new()),
        })
    }

    /// Any thread: queues work for the JS thread and wakes it (it runs `run_commands`).
    fn queue(&self, command: Command) {
        if let Some(executor) = self.executor.upgrade() {
            lock(&self.commands).push(command);
            executor.wake();
        }
    }

    /// JS thread: carries out queued attaches and resumes.
    pub(crate) fn run_commands(self: &Arc<Self>) {
        let commands = std::mem::take(&mut *lock(&self.commands));
        for command in commands {
            match command {
                Command::Attach(conn) => self.attach(conn),
                Command::Resume(conn) => self.resume(conn),
            }
        }
    }

    fn attach(self: &Arc<Self>, conn: DrivenRead) {
        let mut event_loop = ptr::null_mut();
        // SAFETY: JS thread of the reader's env (`run_commands` runs there).
        let status = unsafe { sys::napi_get_uv_event_loop(self.env.get(), &mut event_loop) };
        if status != sys::Status::napi_ok || event_loop.is_null() {
            conn.abandon();
            return;
        }
        // SAFETY: a query of a constant.
        let size = unsafe { uv_handle_size(UV_POLL) };
        let watch = Box::into_raw(Box::new(Watch {
            handle: vec![0u64; size.div_ceil(8)].into_boxed_slice(),
            conn: Some(conn.clone()),
            reader: Arc::downgrade(self),
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
    // SAFETY: `watch` is live (the caller's guarantee) and only this thread touches it.
    let Some(conn) = (unsafe { (*watch).conn.clone() }) else {
        return;
    };
    // SAFETY: as above.
    let handle = unsafe { (*watch).handle.as_mut_ptr().cast::<c_void>() };
    match conn.pump() {
        Pump::Idle => {
            // SAFETY: an initialised poll handle of this thread's loop (a live watch).
            if !polling && unsafe { uv_poll_start(handle, UV_READABLE, on_readable) } != 0 {
                conn.abandon();
                // SAFETY: still live (nothing closed it), JS thread.
                unsafe { close(watch) };
            }
        }
        Pump::Full => {
            if polling {
                // SAFETY: as for `uv_poll_start`.
                unsafe { uv_poll_stop(handle) };
            }
        }
        // SAFETY: still live (the pump does not close watches), JS thread.
        Pump::Ended => unsafe { close(watch) },
    }
}

/// Stops watching and releases the connection now (the descriptor may close as soon as the
/// handle is stopped, which `uv_close` does at once); the memory goes in `on_closed`.
///
/// # Safety
/// `watch` is live and this runs on the JS thread.
unsafe fn close(watch: *mut Watch) {
    // SAFETY: `watch` is live (the caller's guarantee) and only this thread touches it.
    let conn = unsafe { (*watch).conn.take() };
    let Some(conn) = conn else {
        return;
    };
    // SAFETY: `watch` is live (the caller's guarantee).
    if let Some(reader) = unsafe { (*watch).reader.upgrade() } {
        reader.forget(conn.id());
    }
    // SAFETY: as above.
    let handle = unsafe { (*watch).handle.as_mut_ptr().cast::<c_void>() };
    // SAFETY: an initialised handle of this thread's loop, closed once (`conn` was still there);
    // `on_closed` frees the watch after libuv let go of the handle.
    unsafe { uv_close(handle, on_closed) };
    drop(conn);
}

/// libuv's poll callback of a watch.
///
/// # Safety
/// Called by libuv on the loop's (JS) thread with a handle that `attach` initialised.
unsafe extern "C" fn on_readable(handle: *mut c_void, _status: c_int, _events: c_int) {
    // An error status is left to `pump`, whose read reports it and ends the connection.
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: libuv passes back the handle whose data we set to its live watch.
        let watch = unsafe { uv_handle_get_data(handle) }.cast::<Watch>();
        if watch.is_null() {
            return;
        }
        // SAFETY: as above; libuv calls this on the loop's (JS) thread.
        let executor = unsafe { (*watch).reader.upgrade() }.and_then(|r| r.executor.upgrade());
        let Some(executor) = executor else {
            // SAFETY: as above: a live watch, on the JS thread.
            unsafe { close(watch) };
            return;
        };
        // The watch may be closed by the pump: not touched after it.
        // SAFETY: as above: a live watch, on the JS thread.
        let woken = executor.collect_wakes(|| unsafe { pump_and_rearm(watch, true) });
        executor.settle_now(woken);
    }));
}

/// libuv's close callback of a watch: frees it.
///
/// # Safety
/// Called by libuv, once, with a handle that `close` closed.
unsafe extern "C" fn on_closed(handle: *mut c_void) {
    // SAFETY: the data of a closed handle is its watch, now unreferenced by libuv and registry.
    let watch = unsafe { uv_handle_get_data(handle) }.cast::<Watch>();
    if !watch.is_null() {
        // SAFETY: as above: made by `Box::into_raw` in `attach`, freed only here.
        drop(unsafe { Box::from_raw(watch) });
    }
}

//! Reads the engine's connections on the JS thread, from Node's own event loop.
//!
//! Each established connection's descriptor gets a libuv poll handle ([`UvPoll`]) on the loop of
//! the environment that owns the socket. When data arrives, the JS thread wakes from its own
//! epoll, decodes the message (`DrivenRead::pump`) and settles the waiting promise: one thread
//! wake-up per message received, like Node's own sockets, where an engine reader thread would add a
//! second (engine thread, then JS thread). Poll handles are unreferenced: the executor's
//! threadsafe function alone decides whether pending work keeps Node alive.
//!
//! Two halves: engine threads hand connections over through the [`ReadQueue`] (`Send`, the
//! engine's [`ReadDriver`]), which wakes the JS thread; the [`UvReader`] there (part of the hub,
//! not `Send`) owns the watches.
//!
//! libuv is reached through the symbols Node exports to addons (`uv.h`); napi itself only hands
//! out the loop.

use crate::executor::Executor;
use crate::hub::Hub;
use crate::id_map::IdMap;
use napi::{sys, Env};
use std::cell::RefCell;
use std::ffi::{c_char, c_int, c_void, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::NonNull;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use zeromq_napi_engine::lock;
use zeromq_napi_engine::{DrivenRead, Pump, ReadDriver};

/// `UV_READABLE` of `enum uv_poll_event` (uv.h): a bit flag of libuv's ABI, fixed since 1.0.
const UV_READABLE: c_int = 1;

/// `UV_POLL` of `enum uv_handle_type` (uv.h): the ninth entry of `UV_HANDLE_TYPE_MAP` after
/// `UV_UNKNOWN_HANDLE` (ASYNC, CHECK, FS_EVENT, FS_POLL, HANDLE, IDLE, NAMED_PIPE, POLL). libuv
/// 1.x only appends to that enum (its ABI promise within a major version), so the number is fixed;
/// neither napi-rs nor napi-sys exposes libuv's types. Checked at run time against libuv's own
/// name for it where the host exports `uv_handle_type_name` (Node does; Deno and Bun, which have
/// only the libuv functions addons commonly call, do not, and never read on the JS thread): a
/// mismatch refuses the reader ([`UvReader::new`]: the engine's readers read instead), which
/// `__test__/runtime-paths.test.ts` sees (it expects the JS thread to read on Node).
const UV_POLL: c_int = 8;

/// Room for a `uv_poll_t` (libuv reports its size at run time, [`poll_size`]; 160 bytes on
/// 64-bit Linux and macOS), in words for pointer alignment.
const POLL_WORDS: usize = 64;

type PollCb = unsafe extern "C" fn(handle: *mut c_void, status: c_int, events: c_int);
type CloseCb = unsafe extern "C" fn(handle: *mut c_void);
type TypeNameFn = unsafe extern "C" fn(kind: c_int) -> *const c_char;

extern "C" {
    fn uv_handle_size(kind: c_int) -> usize;
    fn uv_poll_init(event_loop: *mut sys::uv_loop_s, handle: *mut c_void, fd: c_int) -> c_int;
    fn uv_poll_start(handle: *mut c_void, events: c_int, cb: PollCb) -> c_int;
    fn uv_poll_stop(handle: *mut c_void) -> c_int;
    fn uv_close(handle: *mut c_void, cb: CloseCb);
    fn uv_unref(handle: *mut c_void);
    fn uv_default_loop() -> *mut sys::uv_loop_s;
}

/// Whether `env` is Node's main thread: its event loop is libuv's default loop (a worker's loop is
/// its own). Asked here rather than by loading `node:worker_threads` in JS, which pulls in Node's
/// streams and worker internals (~1.7 MiB resident in an empty process).
fn on_main_thread(env: &Env) -> bool {
    let Some(event_loop) = env.get_uv_event_loop().ok().filter(|l| !l.is_null()) else {
        return false;
    };
    // SAFETY: a plain call without arguments; the JS layer asks for this reader only where the
    // host is Node (whose libuv provides the symbol, as for the other `uv_*` calls here).
    event_loop == unsafe { uv_default_loop() }
}

/// Whether [`UV_POLL`] is libuv's poll type: libuv's name for it is `"poll"`, or the host has no
/// `uv_handle_type_name` to ask (looked up, not linked: Deno and Bun lack it).
fn poll_type_confirmed() -> bool {
    // SAFETY: `dlsym` with the default search scope and a NUL-terminated name.
    let found = unsafe { libc::dlsym(libc::RTLD_DEFAULT, c"uv_handle_type_name".as_ptr()) };
    if found.is_null() {
        return true;
    }
    // SAFETY: the symbol libuv exports under this name has this signature (uv.h, since 1.19):
    // `const char* uv_handle_type_name(uv_handle_type type)`; it returns a static NUL-terminated
    // name, or null for an unknown type.
    let name = unsafe { std::mem::transmute::<*mut c_void, TypeNameFn>(found)(UV_POLL) };
    // SAFETY: non-null: one of libuv's static C strings.
    !name.is_null() && unsafe { CStr::from_ptr(name) } == c"poll"
}

/// The size of a `uv_poll_t`, when it fits [`POLL_WORDS`].
fn poll_size() -> Option<usize> {
    static SIZE: OnceLock<Option<usize>> = OnceLock::new();
    *SIZE.get_or_init(|| {
        if !poll_type_confirmed() {
            return None;
        }
        // SAFETY: a query of a constant of libuv's for a handle type it has.
        let size = unsafe { uv_handle_size(UV_POLL) };
        (size > 0 && size <= POLL_WORDS * 8).then_some(size)
    })
}

/// A `uv_poll_t` and what its callback needs, in one allocation that libuv holds while the handle
/// is open. `repr(C)` with the handle first: the handle pointer libuv passes back is the slot's.
#[repr(C)]
struct PollSlot {
    handle: [u64; POLL_WORDS],
    env: Env,
    conn: u64,
}

/// An open libuv poll handle on a descriptor: initialised by [`UvPoll::open`], closed by `Drop`.
/// libuv keeps the slot until its close callback runs (a later loop turn), which frees it.
struct UvPoll {
    slot: NonNull<PollSlot>,
}

impl UvPoll {
    /// A poll handle for `fd` on `env`'s loop, unreferenced, not started; its callback reads
    /// connection `conn`.
    fn open(env: Env, fd: c_int, conn: u64) -> Option<UvPoll> {
        poll_size()?;
        let event_loop = env.get_uv_event_loop().ok().filter(|l| !l.is_null())?;
        let slot = Box::new(PollSlot {
            handle: [0; POLL_WORDS],
            env,
            conn,
        });
        let slot = NonNull::from(Box::leak(slot));
        // SAFETY: `event_loop` is this thread's loop (from `env`); the slot holds at least
        // `uv_handle_size` bytes (checked by `poll_size`); the descriptor stays open while the
        // connection lives, which outlives the watch holding this handle.
        if unsafe { uv_poll_init(event_loop, slot.as_ptr().cast(), fd) } != 0 {
            // Never initialised, so never closed: the slot is still only ours.
            // SAFETY: leaked just above, not shared with libuv.
            drop(unsafe { Box::from_raw(slot.as_ptr()) });
            return None;
        }
        let poll = UvPoll { slot };
        // SAFETY: an initialised handle of this thread's loop.
        unsafe { uv_unref(poll.handle()) };
        Some(poll)
    }

    fn handle(&self) -> *mut c_void {
        self.slot.as_ptr().cast()
    }

    /// Starts (or keeps) watching for readability; false if libuv refused.
    fn start(&self) -> bool {
        // SAFETY: an open handle (`self` exists) of this thread's loop; `on_readable` reads only
        // the slot, which lives until the close callback.
        unsafe { uv_poll_start(self.handle(), UV_READABLE, on_readable) == 0 }
    }

    fn stop(&self) {
        // SAFETY: an open handle of this thread's loop.
        unsafe { uv_poll_stop(self.handle()) };
    }
}

impl Drop for UvPoll {
    fn drop(&mut self) {
        // SAFETY: an open handle (closed only here, once) of this thread's loop: `UvPoll` lives in
        // the hub's reader, which only the JS thread reaches. `uv_close` stops it at once; the slot
        // goes to libuv, which gives it back to `on_closed`.
        unsafe { uv_close(self.handle(), on_closed) };
    }
}

/// libuv's close callback: frees the slot.
///
/// # Safety
/// Called by libuv, once, with a handle that `UvPoll::drop` closed.
unsafe extern "C" fn on_closed(handle: *mut c_void) {
    // SAFETY: the handle is the first field of a `PollSlot` leaked in `UvPoll::open`; libuv no
    // longer uses it and no `UvPoll` refers to it.
    drop(unsafe { Box::from_raw(handle.cast::<PollSlot>()) });
}

/// libuv's poll callback.
///
/// # Safety
/// Called by libuv on the loop's (JS) thread with a started handle of a `UvPoll`.
unsafe extern "C" fn on_readable(handle: *mut c_void, _status: c_int, _events: c_int) {
    // An error status is left to `pump`, whose read reports it and ends the connection.
    // SAFETY: the handle is the first field of a live `PollSlot` (open handles keep theirs).
    let (env, conn) = unsafe {
        let slot = &*handle.cast::<PollSlot>();
        (slot.env, slot.conn)
    };
    let _ = catch_unwind(AssertUnwindSafe(|| {
        let Ok(hub) = Hub::of(&env) else {
            return;
        };
        if let Some(reader) = hub.reader() {
            let woken = hub.executor().collect_wakes(|| reader.pump(conn, true));
            hub.settle_now(woken);
        }
    }));
}

/// Work for the JS thread, queued from engine threads.
enum Command {
    Attach(DrivenRead),
    Resume(DrivenRead),
}

/// Where engine threads hand connections to the JS thread: the engine's sockets hold it as their
/// [`ReadDriver`].
pub(crate) struct ReadQueue {
    /// Wakes the JS thread; weak: engine sockets must not keep the environment's executor alive.
    executor: Weak<Executor>,
    commands: Mutex<Vec<Command>>,
}

impl ReadDriver for ReadQueue {
    fn attach(&self, conn: DrivenRead) {
        self.queue(Command::Attach(conn));
    }

    fn resume(&self, conn: DrivenRead) {
        self.queue(Command::Resume(conn));
    }
}

impl ReadQueue {
    /// Any thread: queues work for the JS thread and wakes it (the hub runs `run_commands`).
    fn queue(&self, command: Command) {
        if let Some(executor) = self.executor.upgrade() {
            lock(&self.commands).push(command);
            executor.wake();
        }
    }
}

/// One watched connection.
struct Watch {
    poll: UvPoll,
    conn: DrivenRead,
}

/// The JS thread's half: its watches, by connection id.
pub(crate) struct UvReader {
    env: Env,
    queue: Arc<ReadQueue>,
    watches: RefCell<IdMap<u64, Watch>>,
}

impl UvReader {
    /// `env`: the environment whose event loop reads; `executor`: its executor.
    pub(crate) fn new(env: Env, executor: &Arc<Executor>) -> napi::Result<UvReader> {
        if !on_main_thread(&env) {
            return Err(napi::Error::new(
                napi::Status::GenericFailure,
                "not Node's main thread: the engine's readers read (see lib/native.js)".to_owned(),
            ));
        }
        if poll_size().is_none() {
            return Err(napi::Error::new(
                napi::Status::GenericFailure,
                "this host's libuv has no poll handle the addon knows: use the engine's readers"
                    .to_owned(),
            ));
        }
        Ok(UvReader {
            env,
            queue: Arc::new(ReadQueue {
                executor: Arc::downgrade(executor),
                commands: Mutex::new(Vec::new()),
            }),
            watches: RefCell::new(IdMap::default()),
        })
    }

    /// The driver the engine's sockets of this environment read through.
    pub(crate) fn driver(&self) -> Arc<dyn ReadDriver> {
        self.queue.clone()
    }

    /// Carries out queued attaches and resumes.
    pub(crate) fn run_commands(&self) {
        let commands = std::mem::take(&mut *lock(&self.queue.commands));
        for command in commands {
            match command {
                Command::Attach(conn) => self.attach(conn),
                Command::Resume(conn) => {
                    let id = conn.id();
                    if self.watches.borrow().contains_key(&id) {
                        self.pump(id, false);
                    }
                }
            }
        }
    }

    fn attach(&self, conn: DrivenRead) {
        let id = conn.id();
        let Some(poll) = UvPoll::open(self.env, conn.fd(), id) else {
            conn.abandon();
            return;
        };
        self.watches.borrow_mut().insert(id, Watch { poll, conn });
        // Bytes may have arrived with the handshake, before the watch existed.
        self.pump(id, false);
    }

    /// Pumps connection `id` and sets its poll handle to match the outcome. `polling`: whether
    /// the handle is currently started.
    fn pump(&self, id: u64, polling: bool) {
        // Not borrowed while pumping: the pump settles operations, which may reach the reader.
        let Some(conn) = self.watches.borrow().get(&id).map(|w| w.conn.clone()) else {
            return;
        };
        match conn.pump() {
            Pump::Idle if polling => {}
            Pump::Idle => {
                let started = self.watches.borrow().get(&id).map(|w| w.poll.start());
                if started == Some(false) {
                    conn.abandon();
                    self.close(id);
                }
            }
            Pump::Full => {
                if polling {
                    if let Some(watch) = self.watches.borrow().get(&id) {
                        watch.poll.stop();
                    }
                }
            }
            Pump::Ended => self.close(id),
        }
    }

    /// Stops watching and releases the connection now (the descriptor may close as soon as the
    /// handle is stopped, which closing it does at once).
    fn close(&self, id: u64) {
        let watch = self.watches.borrow_mut().remove(&id);
        drop(watch);
    }

    /// Environment teardown: closes every watch and drops queued work.
    pub(crate) fn close_all(&self) {
        drop(std::mem::take(&mut *lock(&self.queue.commands)));
        let watches: Vec<Watch> = self.watches.borrow_mut().drain().map(|(_, w)| w).collect();
        drop(watches);
    }
}

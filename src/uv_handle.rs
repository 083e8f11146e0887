//! The libuv handles the binding opens on a JS thread's event loop: a poll handle per connection
//! read there (`uv_read`) and the check handle that runs what those reads leave for the end of the
//! loop's poll phase (`loop_end`). Every libuv call and every pointer libuv hands back is in this
//! module; what a handle does when it fires is safe code ([`OnEvent`]).
//!
//! libuv is reached through the symbols Node exports to addons (`uv.h`); napi itself only hands
//! out the loop. Handles are unreferenced: the executor's threadsafe function alone decides
//! whether pending work keeps Node alive.

use napi::{sys, Env};
use std::ffi::{c_char, c_int, c_void, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::NonNull;
use std::sync::OnceLock;

/// `UV_READABLE` of `enum uv_poll_event` (uv.h): a bit flag of libuv's ABI, fixed since 1.0.
const UV_READABLE: c_int = 1;

/// Room for the largest handle opened here (libuv reports sizes at run time, [`Kind::size`];
/// `uv_poll_t` is 160 bytes and `uv_check_t` 120 on 64-bit Linux and macOS), in words for pointer
/// alignment.
const HANDLE_WORDS: usize = 64;

type PollCb = extern "C" fn(handle: *mut c_void, status: c_int, events: c_int);
type CheckCb = extern "C" fn(handle: *mut c_void);
type CloseCb = extern "C" fn(handle: *mut c_void);
type TypeNameFn = unsafe extern "C" fn(kind: c_int) -> *const c_char;

extern "C" {
    fn uv_handle_size(kind: c_int) -> usize;
    fn uv_poll_init(event_loop: *mut sys::uv_loop_s, handle: *mut c_void, fd: c_int) -> c_int;
    fn uv_poll_start(handle: *mut c_void, events: c_int, cb: PollCb) -> c_int;
    fn uv_poll_stop(handle: *mut c_void) -> c_int;
    fn uv_check_init(event_loop: *mut sys::uv_loop_s, handle: *mut c_void) -> c_int;
    fn uv_check_start(handle: *mut c_void, cb: CheckCb) -> c_int;
    fn uv_check_stop(handle: *mut c_void) -> c_int;
    fn uv_close(handle: *mut c_void, cb: CloseCb);
    fn uv_unref(handle: *mut c_void);
    fn uv_default_loop() -> *mut sys::uv_loop_s;
}

/// The handle types opened here.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A descriptor's readability (`uv_poll_t`).
    Poll,
    /// The end of each loop turn's poll phase (`uv_check_t`).
    Check,
}

impl Kind {
    /// Its number in `enum uv_handle_type` (uv.h): the entries of `UV_HANDLE_TYPE_MAP` after
    /// `UV_UNKNOWN_HANDLE` are ASYNC, CHECK, FS_EVENT, FS_POLL, HANDLE, IDLE, NAMED_PIPE, POLL.
    /// libuv 1.x only appends to that enum (its ABI promise within a major version), so the
    /// numbers are fixed; neither napi-rs nor napi-sys exposes libuv's types. Checked at run time
    /// against libuv's own name for it ([`Kind::confirmed`]).
    fn number(self) -> c_int {
        match self {
            Kind::Check => 2,
            Kind::Poll => 8,
        }
    }

    fn name(self) -> &'static CStr {
        match self {
            Kind::Check => c"check",
            Kind::Poll => c"poll",
        }
    }

    /// The handle's size when the type is confirmed and fits [`HANDLE_WORDS`]; None otherwise, and
    /// then no handle of this kind is opened: a mismatch refuses the JS thread's reader
    /// (`UvReader::new`: the engine's readers read instead), which
    /// `__test__/runtime-paths.test.ts` sees (it expects the JS thread to read on Node).
    pub(crate) fn size(self) -> Option<usize> {
        static SIZES: [OnceLock<Option<usize>>; 2] = [OnceLock::new(), OnceLock::new()];
        let cached = &SIZES[usize::from(self == Kind::Poll)];
        *cached.get_or_init(|| {
            if !self.confirmed() {
                return None;
            }
            // SAFETY: a query of a constant of libuv's for a handle type it has (confirmed).
            let size = unsafe { uv_handle_size(self.number()) };
            (size > 0 && size <= HANDLE_WORDS * 8).then_some(size)
        })
    }

    /// Whether libuv calls [`Kind::number`] by [`Kind::name`], or the host has no
    /// `uv_handle_type_name` to ask (looked up, not linked: Deno and Bun lack it, and never read
    /// on the JS thread).
    fn confirmed(self) -> bool {
        // SAFETY: `dlsym` with the default search scope and a NUL-terminated name.
        let found = unsafe { libc::dlsym(libc::RTLD_DEFAULT, c"uv_handle_type_name".as_ptr()) };
        if found.is_null() {
            return true;
        }
        // SAFETY: the symbol libuv exports under this name has this signature (uv.h, since 1.19):
        // `const char* uv_handle_type_name(uv_handle_type type)`; it returns a static
        // NUL-terminated name, or null for an unknown type. Non-null: one of those names.
        unsafe {
            let named = std::mem::transmute::<*mut c_void, TypeNameFn>(found)(self.number());
            !named.is_null() && CStr::from_ptr(named) == self.name()
        }
    }
}

/// Whether `env` is Node's main thread: its event loop is libuv's default loop (a worker's loop is
/// its own). Asked here rather than by loading `node:worker_threads` in JS, which pulls in Node's
/// streams and worker internals (~1.7 MiB resident in an empty process).
pub(crate) fn on_main_thread(env: &Env) -> bool {
    let Some(event_loop) = env.get_uv_event_loop().ok().filter(|l| !l.is_null()) else {
        return false;
    };
    // SAFETY: a plain call without arguments; the JS layer asks for a reader on the JS thread
    // only where the host is Node (whose libuv provides the symbol, as for the other calls here).
    event_loop == unsafe { uv_default_loop() }
}

/// What a handle does when it fires, on the loop's (JS) thread. A panic is caught there.
pub(crate) trait OnEvent {
    fn on_event(&self);
}

/// A handle and what its callback needs, in one allocation that libuv holds while the handle is
/// open. `repr(C)` with the handle first: the handle pointer libuv passes back is the slot's.
#[repr(C)]
struct Slot<D> {
    handle: [u64; HANDLE_WORDS],
    data: D,
}

/// An open handle of the JS thread's loop, unreferenced; closed by `Drop`. libuv keeps the slot
/// until its close callback runs (a later loop turn), which frees it. Not `Send` (a raw pointer):
/// it stays on the thread whose loop it is on.
pub(crate) struct UvHandle<D: OnEvent> {
    slot: NonNull<Slot<D>>,
    kind: Kind,
}

impl<D: OnEvent> UvHandle<D> {
    /// A poll handle for descriptor `fd`, which must stay open while the handle does.
    pub(crate) fn poll(env: &Env, fd: c_int, data: D) -> Option<Self> {
        Self::open(env, Kind::Poll, Some(fd), data)
    }

    /// A check handle.
    pub(crate) fn check(env: &Env, data: D) -> Option<Self> {
        Self::open(env, Kind::Check, None, data)
    }

    fn open(env: &Env, kind: Kind, fd: Option<c_int>, data: D) -> Option<Self> {
        kind.size()?;
        let event_loop = env.get_uv_event_loop().ok().filter(|l| !l.is_null())?;
        let slot = NonNull::from(Box::leak(Box::new(Slot {
            handle: [0; HANDLE_WORDS],
            data,
        })));
        let handle = slot.as_ptr().cast();
        // SAFETY: `event_loop` is this thread's loop (from `env`); the slot holds at least the
        // handle's size (`Kind::size`); a polled descriptor outlives the handle (`poll`'s caller).
        let failed = unsafe {
            match (kind, fd) {
                (Kind::Poll, Some(fd)) => uv_poll_init(event_loop, handle, fd),
                (Kind::Check, _) => uv_check_init(event_loop, handle),
                (Kind::Poll, None) => -1,
            }
        } != 0;
        if failed {
            // SAFETY: leaked just above and never initialised, so libuv does not have it.
            drop(unsafe { Box::from_raw(slot.as_ptr()) });
            return None;
        }
        // SAFETY: an initialised handle of this thread's loop.
        unsafe { uv_unref(handle) };
        Some(UvHandle { slot, kind })
    }

    fn handle(&self) -> *mut c_void {
        self.slot.as_ptr().cast()
    }

    /// Starts (or keeps) it firing: a poll handle on readability, a check handle after each poll
    /// phase; false if libuv refused.
    pub(crate) fn start(&self) -> bool {
        // SAFETY: an open handle (`self` exists) of this thread's loop, started with its kind's
        // function; the callbacks read only the slot, which lives until the close callback.
        let status = unsafe {
            match self.kind {
                Kind::Poll => uv_poll_start(self.handle(), UV_READABLE, on_readable::<D>),
                Kind::Check => uv_check_start(self.handle(), on_check::<D>),
            }
        };
        status == 0
    }

    pub(crate) fn stop(&self) {
        // SAFETY: an open handle of this thread's loop, stopped with its kind's function.
        unsafe {
            match self.kind {
                Kind::Poll => uv_poll_stop(self.handle()),
                Kind::Check => uv_check_stop(self.handle()),
            }
        };
    }
}

impl<D: OnEvent> Drop for UvHandle<D> {
    fn drop(&mut self) {
        // SAFETY: an open handle (closed only here, once) of this thread's loop (`UvHandle` is not
        // `Send`). `uv_close` stops it at once; the slot goes to libuv, which gives it back to
        // `on_closed`.
        unsafe { uv_close(self.handle(), on_closed::<D>) };
    }
}

/// The data of the slot whose handle libuv passed to a callback.
///
/// # Safety
/// `handle` is a started handle of a live `UvHandle<D>` (open handles keep their slots).
unsafe fn data_of<'a, D>(handle: *mut c_void) -> &'a D {
    // SAFETY: the handle is the first field of a `Slot<D>` (`repr(C)`), per the caller.
    unsafe { &(*handle.cast::<Slot<D>>()).data }
}

/// libuv's poll callback. An error status is left to the reader, whose read reports it.
extern "C" fn on_readable<D: OnEvent>(handle: *mut c_void, _status: c_int, _events: c_int) {
    // SAFETY: libuv calls it, on the loop's thread, only with a handle `UvHandle::start` started.
    let data = unsafe { data_of::<D>(handle) };
    let _ = catch_unwind(AssertUnwindSafe(|| data.on_event()));
}

/// libuv's check callback.
extern "C" fn on_check<D: OnEvent>(handle: *mut c_void) {
    // SAFETY: as in `on_readable`.
    let data = unsafe { data_of::<D>(handle) };
    let _ = catch_unwind(AssertUnwindSafe(|| data.on_event()));
}

/// libuv's close callback: frees the slot.
extern "C" fn on_closed<D>(handle: *mut c_void) {
    // SAFETY: called by libuv once, with a handle `UvHandle::drop` closed: the first field of a
    // `Slot<D>` leaked in `UvHandle::open`, which libuv no longer uses and nothing refers to.
    drop(unsafe { Box::from_raw(handle.cast::<Slot<D>>()) });
}

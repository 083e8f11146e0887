//! One hub per JS environment (the main thread and each worker thread load the addon separately),
//! kept as the addon's napi instance data of that environment: [`init`] makes it, [`Hub::of`]
//! finds it from any native call's [`Env`], and napi drops it when the environment tears down.
//!
//! It holds what the environment's sockets share, and tears it down with the environment:
//! - the operation [`Executor`] (ids, polling, cancelling, keeping Node alive) and the JS settle
//!   callback that finished operations are handed to;
//! - when connections are read on this thread's event loop, the [`UvReader`];
//! - the slab small received frames are handed over in (`slab.rs`);
//! - the sockets, by id (`liveness.rs`): closed at teardown.
//!
//! The hub never leaves its JS thread: it holds `Rc`, `RefCell` and napi handles, so it is
//! neither `Send` nor `Sync`, and every way to it goes through an `Env`, which only code running
//! on that thread has. What engine threads need (waking the JS thread, queueing reader work) are
//! separate `Send` parts: the executor and the reader's queue.

use crate::authenticate::AuthDecisions;
use crate::executor::{Executor, SettleArgs};
use crate::liveness::Registry;
use crate::loop_end::LoopEnd;
use crate::outcome::Outcome;
use crate::slab::{SendSlab, Slab};
use crate::socket::Socket;
use crate::uv_read::UvReader;
use napi::bindgen_prelude::{Function, FunctionRef, Uint32Array, Uint8Array};
use napi::{sys, Env, Error, JsValue, Result, Status};
use napi_derive::napi;
use std::cell::Cell;
use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use tokio::runtime::Handle;
use zeromq_napi_engine::{ErrorCode, SocketHandle};

pub(crate) struct Hub {
    env: Env,
    executor: Arc<Executor>,
    reader: Option<UvReader>,
    /// With the reader: what its reads leave for the end of the poll phase (see `loop_end.rs`).
    loop_end: Option<LoopEnd>,
    sockets: Registry<Socket>,
    slab: Slab,
    send_slab: SendSlab,
    /// Whether large received frames become external Buffers (see `message::buffer`). Cleared
    /// when the JS layer asks for copies, or the first time the runtime refuses one (a V8 sandbox
    /// keeping array buffers in a memory cage, as Electron's), so later frames go straight to
    /// the copy.
    external_buffers: Cell<bool>,
    /// The JS settle function and an async context, for settling right after a read
    /// (`settle_now`, from the event loop rather than a threadsafe function).
    settle: FunctionRef<SettleArgs, ()>,
    async_context: sys::napi_async_context,
    /// The `authenticate` option's questions waiting for the JS layer's answers.
    auth_decisions: Arc<AuthDecisions>,
}

/// The arrays small frames cross in (see `slab.rs`), made and owned by `lib/native.js`, which never
/// transfers or detaches them.
#[napi(object)]
pub struct SlabArrays {
    /// Small received frames, back to back.
    pub received: Uint8Array,
    /// The shape of a receive result laid out whole in `received` (`Slab::lay_out`).
    pub received_layout: Uint32Array,
    /// A send's frames, back to back (`SendSlab`).
    pub sent: Uint8Array,
    /// Their lengths.
    pub sent_lengths: Uint32Array,
}

/// Makes this environment's hub (`lib/native.js`, once). `settle(id, value)` is called on the JS
/// thread for each finished pending operation; `value` is the result, or an `Error` (see
/// `outcome.rs`). `id` 0 means nothing (ignore the call).
///
/// `read_on_js_thread`: read connections on this thread's event loop (see `uv_read`) rather than
/// on an engine thread. `external_buffers`: hand large received frames over as external Buffers
/// (false: as copies; see `message::buffer`). `slabs`: the arrays small frames cross in.
#[napi(catch_unwind)]
pub fn init(
    env: Env,
    settle: Function<'_, SettleArgs, ()>,
    read_on_js_thread: bool,
    external_buffers: bool,
    slabs: SlabArrays,
) -> Result<()> {
    if Hub::find(&env)?.is_some() {
        return Err(Error::new(
            Status::GenericFailure,
            "zeromq-napi is already set up in this environment".to_owned(),
        ));
    }
    let runtime = napi::bindgen_prelude::within_runtime_if_available(Handle::try_current)
        .map_err(|e| Error::new(Status::GenericFailure, format!("no tokio runtime: {e}")))?;
    let executor = Executor::new(&settle, runtime)?;
    // Where the host's libuv cannot be used (`UvReader::new` says why), the engine's readers read.
    let reader = if read_on_js_thread {
        UvReader::new(env, &executor).ok()
    } else {
        None
    };
    let loop_end = reader.as_ref().and_then(|_| LoopEnd::new(env));
    let mut async_context = std::ptr::null_mut();
    let name = env.create_string("zeromq-napi")?;
    crate::js_error::check(
        // SAFETY: `env` is this call's env, on its JS thread; `name` a string made in it; a null
        // resource asks napi for an empty object; `async_context` is a local out-pointer.
        unsafe {
            sys::napi_async_init(
                env.raw(),
                std::ptr::null_mut(),
                name.raw(),
                &mut async_context,
            )
        },
        "napi_async_init",
    )?;
    let hub = Hub {
        env,
        executor,
        reader,
        loop_end,
        sockets: Registry::default(),
        slab: Slab::new(slabs.received, slabs.received_layout),
        send_slab: SendSlab::new(slabs.sent, slabs.sent_lengths),
        external_buffers: Cell::new(external_buffers),
        settle: settle.create_ref()?,
        async_context,
        auth_decisions: Arc::default(),
    };
    hub.install()
}

impl Hub {
    /// Hands the hub to napi as this environment's instance data; napi drops it ([`finalize`])
    /// when the environment tears down.
    fn install(self) -> Result<()> {
        let env = self.env;
        let data = Box::into_raw(Box::new(self));
        // SAFETY: `env` is the env of the `init` call on its JS thread. `data` is a `Box<Hub>` that
        // napi owns from here; `finalize` takes it back, once, at teardown. Nothing else sets this
        // addon's instance data (napi-rs leaves the slot to the addon), so the slot only ever
        // holds a `Hub`, which [`Hub::find`] relies on.
        let status = unsafe {
            sys::napi_set_instance_data(
                env.raw(),
                data.cast(),
                Some(finalize),
                std::ptr::null_mut(),
            )
        };
        crate::js_error::check(status, "napi_set_instance_data")
    }

    /// The hub of `env`'s environment, if `init` made one.
    fn find(env: &Env) -> Result<Option<&Hub>> {
        let mut data = std::ptr::null_mut();
        // SAFETY: `env` is an `Env` of this thread; `data` is a local out-pointer.
        let status = unsafe { sys::napi_get_instance_data(env.raw(), &mut data) };
        crate::js_error::check(status, "napi_get_instance_data")?;
        // SAFETY: the slot holds null or the `Box<Hub>` of `install` (the only writer). The hub
        // lives until `finalize`, which napi runs at teardown, when no call on this env runs: so
        // for the borrow of `env` (a call or callback of this env) it is alive. It is only shared
        // (`&Hub`, all mutation through `Cell`/`RefCell`), and only on this thread, since `Env`s
        // are not `Send`.
        Ok(unsafe { data.cast::<Hub>().as_ref() })
    }

    /// The hub of `env`'s environment.
    pub(crate) fn of(env: &Env) -> Result<&Hub> {
        Hub::find(env)?.ok_or_else(|| {
            Error::new(
                Status::GenericFailure,
                "zeromq-napi is not set up in this environment".to_owned(),
            )
        })
    }

    pub(crate) fn executor(&self) -> &Arc<Executor> {
        &self.executor
    }

    pub(crate) fn reads_on_js_thread(&self) -> bool {
        self.reader.is_some()
    }

    pub(crate) fn reader(&self) -> Option<&UvReader> {
        self.reader.as_ref()
    }

    #[cfg_attr(not(unix), allow(dead_code))]
    pub(crate) fn loop_end(&self) -> Option<&LoopEnd> {
        self.loop_end.as_ref()
    }

    pub(crate) fn sockets(&self) -> &Registry<Socket> {
        &self.sockets
    }

    pub(crate) fn auth_decisions(&self) -> &Arc<AuthDecisions> {
        &self.auth_decisions
    }

    pub(crate) fn slab(&self) -> &Slab {
        &self.slab
    }

    pub(crate) fn send_slab(&self) -> &SendSlab {
        &self.send_slab
    }

    pub(crate) fn external_buffers(&self) -> bool {
        self.external_buffers.get()
    }

    /// From now on large received frames are copied.
    pub(crate) fn refuse_external_buffers(&self) {
        self.external_buffers.set(false);
    }

    /// The socket `id` names; throws `EBADF` when there is none (released, or the environment
    /// is tearing down).
    pub(crate) fn socket(env: &Env, id: i64) -> Result<std::rc::Rc<Socket>> {
        let found = u64::try_from(id)
            .ok()
            .and_then(|id| Hub::of(env).ok()?.sockets.get(id));
        found.ok_or_else(|| {
            crate::js_error::throw_code(
                env,
                ErrorCode::Ebadf,
                "the socket is closed: its native object was released",
            )
        })
    }

    /// The executor's threadsafe function woke the JS thread: runs the reader's queued work,
    /// then polls operation `id`; the arguments for `settle`.
    pub(crate) fn woken(env: &Env, id: u32) -> (u32, Outcome) {
        // This runs inside napi's `extern "C"` callback: no panic may leave it. (Polls are
        // already guarded; this also covers the reader's work.)
        catch_unwind(AssertUnwindSafe(|| {
            let Ok(hub) = Hub::of(env) else {
                return (0, Outcome::Done);
            };
            if let Some(reader) = &hub.reader {
                reader.run_commands();
            }
            hub.executor.poll_to_settle(env, id)
        }))
        .unwrap_or_else(|payload| {
            (
                id,
                Outcome::Panicked(crate::executor::panic_message(&*payload)),
            )
        })
    }

    /// Called from the event loop (no JavaScript on the stack): polls the operations a read
    /// woke and calls the JS settle function for each one that finished, running the microtasks
    /// it queues as any event callback does. Those polled once per turn (a proxy) are left for
    /// the end of the poll phase (`loop_end.rs`).
    #[cfg_attr(not(unix), allow(dead_code))]
    pub(crate) fn settle_now(&self, mut ids: Vec<u32>) {
        if let Some(end) = &self.loop_end {
            ids.retain(|&id| !(self.executor.polls_at_loop_end(id) && end.leave(id)));
        }
        self.settle_each(ids);
    }

    /// `settle_now` without leaving anything for later: polls each of `ids` now.
    #[cfg_attr(not(unix), allow(dead_code))]
    pub(crate) fn settle_each(&self, ids: Vec<u32>) {
        if ids.is_empty() {
            return;
        }
        let env = self.env;
        // Everything below creates or releases JS handles (results, released buffers), which
        // needs a scope outside any JS call.
        let _ = env.run_in_scope(|| {
            for id in ids {
                let (id, outcome) = self.executor.poll_to_settle(&env, id);
                if id != 0 {
                    self.call_settle(&env, id, outcome)?;
                }
            }
            Ok(())
        });
    }

    /// `settle(id, outcome)` as an event callback (`napi_make_callback`).
    fn call_settle(&self, env: &Env, id: u32, outcome: Outcome) -> Result<()> {
        let settle = self.settle.borrow_back(env)?;
        let recv = env.get_global()?;
        let args = [env.create_uint32(id)?.raw(), outcome.into_js(env)?];
        let mut result = std::ptr::null_mut();
        // Runs the microtasks and nextTicks the settlement queues once it returns, like any
        // event callback (the async context makes it one for async_hooks too).
        // SAFETY: this env's JS thread with no JavaScript on the stack (the caller's condition);
        // `recv`, `settle` and `args` are values of the open scope; `async_context` was made by
        // `init` for this env and is destroyed with the hub.
        let status = unsafe {
            sys::napi_make_callback(
                env.raw(),
                self.async_context,
                recv.raw(),
                settle.raw(),
                args.len(),
                args.as_ptr(),
                &mut result,
            )
        };
        if status == sys::Status::napi_pending_exception {
            // As if thrown from any event callback: an uncaught exception.
            let mut error = std::ptr::null_mut();
            // SAFETY: this env's JS thread outside any JS call (the caller's condition); an
            // exception is pending (the status says so), so there is one to take into the local
            // `error`, which goes straight to napi's uncaught-exception path.
            unsafe {
                sys::napi_get_and_clear_last_exception(env.raw(), &mut error);
                sys::napi_fatal_exception(env.raw(), error);
            }
        }
        Ok(())
    }

    /// The environment is going away (worker terminated, process exiting): nothing will read
    /// results any more, so no linger either.
    fn teardown(&self) {
        self.executor.drop_all();
        if let Some(reader) = &self.reader {
            reader.close_all();
        }
        for socket in self.sockets.drain() {
            let _ = catch_unwind(AssertUnwindSafe(|| close_now(socket.handle())));
        }
    }
}

/// Closes without lingering.
fn close_now(socket: &SocketHandle) {
    if !socket.is_closed() {
        let mut options = socket.options();
        options.linger = 0;
        socket.set_options(options);
    }
    socket.close();
}

/// napi's finalizer of the instance data: the environment is tearing down.
///
/// # Safety
/// Called by napi, once, on the environment's JS thread, with the pointer `install` gave it.
unsafe extern "C" fn finalize(env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    // SAFETY: `data` is the `Box<Hub>` of `install`, given back once; no call on this env runs
    // any more, so no `&Hub` from `Hub::find` is alive.
    let hub = unsafe { Box::from_raw(data.cast::<Hub>()) };
    // A finalizer is an `extern "C"` boundary: contain any panic. Releasing the hub's references
    // may make handles (Deno does), which needs a scope.
    let _ = catch_unwind(AssertUnwindSafe(|| {
        Env::from_raw(env).run_in_scope(|| {
            hub.teardown();
            // SAFETY: the async context `init` made in this env, destroyed once, here.
            unsafe { sys::napi_async_destroy(hub.env.raw(), hub.async_context) };
            drop(hub);
            Ok(())
        })
    }));
}

/// Cancels pending operation `id`: returns true if it was pending (the caller then rejects its
/// promise), false if it had already finished (its outcome is delivered as usual).
#[napi(catch_unwind)]
pub fn cancel(env: Env, id: u32) -> Result<bool> {
    Ok(Hub::of(&env)?.executor.cancel(&env, id))
}

/// Number of operations waiting for settlement (diagnostics and tests).
#[napi(catch_unwind)]
pub fn pending_count(env: Env) -> Result<u32> {
    Ok(Hub::of(&env)?.executor.pending())
}

/// Which path this environment reads and hands over received frames by (diagnostics and tests).
#[napi(object)]
pub struct Paths {
    pub reads_on_js_thread: bool,
    pub external_buffers: bool,
}

#[napi(catch_unwind)]
pub fn paths(env: Env) -> Result<Paths> {
    let hub = Hub::of(&env)?;
    Ok(Paths {
        reads_on_js_thread: hub.reads_on_js_thread(),
        external_buffers: hub.external_buffers(),
    })
}

//! A socket's events on their way to JavaScript: the engine's [`EventSink`] for one socket, a
//! threadsafe function of its own that queues each event for the socket's JS thread, in the
//! order the engine reported them, whichever thread that was (tokio workers, or the JS thread
//! itself when a bind is polled there; with connections read on the JS thread or not).
//!
//! It exists only once the JS layer asks for events (`sock.events` first read): until then the
//! engine builds no event at all. The threadsafe function keeps Node alive while the emitter has
//! listeners and the socket is open (as a zeromq.js observer does: `await once(sock.events,
//! 'connect')` must not let the process exit under it). `close()` lets go of it: the engine drops
//! its clone after the socket's last events, the native socket drops its own, and the function,
//! released, delivers what is queued and closes.

use napi::bindgen_prelude::{FnArgs, Function};
use napi::threadsafe_function::{
    ThreadsafeCallContext, ThreadsafeFunction, ThreadsafeFunctionCallMode,
};
use napi::{sys, Env, Result, Status};
use zeromq_napi_engine::{EventSink, SocketEvent};

/// `(name, address, errorCode, errorMessage, intervalMs)`: what `lib/events.js` turns into the
/// listener's `{ address, error?, interval? }`.
pub(crate) type EventArgs = FnArgs<(String, String, Option<String>, Option<String>, Option<u32>)>;

type EventFn = ThreadsafeFunction<SocketEvent, (), EventArgs, Status, false, true, 0>;

pub(crate) struct JsEventSink {
    tsfn: EventFn,
}

impl JsEventSink {
    /// JS thread: `callback` is called there for each event.
    pub(crate) fn new(callback: Function<'_, EventArgs, ()>) -> Result<JsEventSink> {
        let tsfn: EventFn = callback
            .build_threadsafe_function::<SocketEvent>()
            .callee_handled::<false>()
            .weak::<true>()
            .build_callback(|ctx: ThreadsafeCallContext<SocketEvent>| Ok(args(ctx.value)))?;
        Ok(JsEventSink { tsfn })
    }

    /// Whether pending events keep the event loop alive (while someone listens). `env`: the
    /// socket's, whose JS thread made this function (a socket is only reached from its own env).
    pub(crate) fn keep_alive(&self, env: &Env, on: bool) {
        let change = if on {
            sys::napi_ref_threadsafe_function
        } else {
            sys::napi_unref_threadsafe_function
        };
        // SAFETY: `env` is an `Env` of a call on its JS thread, the environment this threadsafe
        // function was made in; it is live (we hold it).
        unsafe { change(env.raw(), self.tsfn.raw()) };
    }
}

fn args(event: SocketEvent) -> EventArgs {
    let (code, message) = match event.error {
        Some(e) => (Some(e.code.to_owned()), Some(e.message)),
        None => (None, None),
    };
    let interval = event
        .interval
        .map(|d| u32::try_from(d.as_millis()).unwrap_or(u32::MAX));
    FnArgs::from((
        event.kind.name().to_owned(),
        event.address,
        code,
        message,
        interval,
    ))
}

impl EventSink for JsEventSink {
    fn event(&self, event: SocketEvent) {
        // Non-blocking into an unbounded queue; after env teardown the call is refused, which is
        // right: nobody is left to tell.
        let _ = self
            .tsfn
            .call(event, ThreadsafeFunctionCallMode::NonBlocking);
    }
}

//! Where a large CURVE box's work runs: the wire layer splits a box into two halves that may run
//! at once (`nacl_box::Join`) and never starts a thread itself; this is the connection layer's
//! answer. The second half runs on a helper thread that lives for that one box, so nothing waits,
//! spins or holds a thread while no large box is being sealed.

use crate::lock::lock;
use crate::wire::security::curve::nacl_box::serial;

/// Whether the machine has a second core for a helper thread to run on (read once).
pub(crate) fn spare_core() -> bool {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get())) >= 2
}

/// Runs `b` on a scoped helper thread while `a` runs on this one, and returns when both are done.
/// On a single core, or if no thread can be started, both run here, one after the other. A thread
/// costs some tens of microseconds to start: the wire layer splits only boxes that take hundreds.
pub(crate) fn two_threads(a: &mut (dyn FnMut() + Send), b: &mut (dyn FnMut() + Send)) {
    if !spare_core() {
        return serial(a, b);
    }
    // Behind a lock only so that `b` can run here instead when the thread did not start (the
    // helper never takes it then); uncontended otherwise.
    let b = std::sync::Mutex::new(b);
    std::thread::scope(|scope| {
        let helper = std::thread::Builder::new()
            .name("zmq-seal".into())
            .spawn_scoped(scope, || (lock(&b))());
        a();
        if helper.is_err() {
            (lock(&b))();
        }
    });
}

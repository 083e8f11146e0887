//! REQ->REP round trips over loopback tcp, 16 B, 64 KiB and 1 MiB: our engine vs the `zeromq` crate
//! (zmq.rs 0.7) in the same run, batches interleaved over several rounds, medians printed.
//!
//! Modes:
//! - `one runtime`: both ends on one current-thread runtime (the engine's own cost, no thread hops), the
//!   client's batch spawned as a task there (see `block_on_spawned`);
//! - `foreign thread`: each end has its own multi-thread runtime (two "processes"), and every send/recv is
//!   started from a plain thread that spawns it onto the runtime and blocks until it completes, which is
//!   what a napi async call does (spawn onto tokio, then wake the JS thread);
//! - `foreign + try_*` (ours only): as above, but the calling thread first tries the engine's synchronous
//!   fast paths (`try_send`/`try_recv`) and spawns only when they hand the work back.
//!
//! `cargo bench -p zeromq-napi-engine --bench roundtrip` (or `npm run bench:rust`); BENCH_QUICK=1 for a short
//! run, BENCH_ONLY=<part of "mode/lib"> to run only some contenders (for a profiler).

use bytes::Bytes;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};
use tokio::runtime::{Builder, Handle, Runtime};
use zeromq::{Socket, SocketRecv, SocketSend, ZmqMessage};
use zeromq_napi_engine::wire::frame_ref::shared;
use zeromq_napi_engine::{Options, RepSocket, ReqSocket, TrySend};

const SIZES: [usize; 3] = [16, 64 * 1024, 1024 * 1024];

// ---------------------------------------------------------------- plumbing

fn current_thread_rt() -> Runtime {
    Builder::new_current_thread().enable_all().build().unwrap()
}

/// A runtime like the one napi-rs creates for an addon (multi-thread, one worker per core).
fn napi_like_rt() -> Runtime {
    Builder::new_multi_thread().enable_all().build().unwrap()
}

/// Runs `fut` on `rt` from this (non-runtime) thread and blocks until it finishes: one napi async call.
fn call<F>(rt: &Handle, fut: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let (tx, rx) = tokio::sync::oneshot::channel();
    rt.spawn(async move {
        let _ = tx.send(fut.await);
    });
    rx.blocking_recv().expect("the spawned call panicked")
}

/// Bumped after every batch; a watchdog ends the process if a batch hangs (the bench is bounded in time).
static PROGRESS: AtomicU64 = AtomicU64::new(0);

fn start_watchdog(limit: Duration) {
    thread::spawn(move || {
        let mut seen = u64::MAX;
        loop {
            thread::sleep(limit);
            let now = PROGRESS.load(Ordering::Relaxed);
            if now == seen {
                eprintln!("roundtrip bench: no progress for {limit:?}, giving up");
                std::process::exit(1);
            }
            seen = now;
        }
    });
}

fn ours_msg(payload: &Bytes) -> Vec<Bytes> {
    vec![payload.clone()]
}

fn check_len(got: usize, want: usize) {
    assert_eq!(got, want, "echo came back with the wrong size");
}

/// Times `iters` round trips after `warmup` untimed ones.
fn timed(warmup: usize, iters: usize, mut rt_once: impl FnMut()) -> Vec<Duration> {
    for _ in 0..warmup {
        rt_once();
    }
    (0..iters)
        .map(|_| {
            let t = Instant::now();
            rt_once();
            t.elapsed()
        })
        .collect()
}

/// Runs a one-runtime batch as a spawned task, not as the `block_on` future itself, for both
/// contenders alike: that is how an addon's calls run (spawned onto the runtime), and it keeps the
/// current-thread scheduler's extra IO-driver poll for a woken `block_on` future (one more
/// `epoll_wait` per wake for a socket whose reads happen in another task) out of the numbers.
fn block_on_spawned<F>(rt: &Runtime, batch: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    rt.block_on(async { tokio::spawn(batch).await.expect("the batch panicked") })
}

/// Same, for a round trip that is a future (the one-runtime mode times inside a spawned task).
async fn timed_async<F: Future<Output = ()>>(
    warmup: usize,
    iters: usize,
    mut rt_once: impl FnMut() -> F,
) -> Vec<Duration> {
    for _ in 0..warmup {
        rt_once().await;
    }
    let mut out = Vec::with_capacity(iters);
    for _ in 0..iters {
        let t = Instant::now();
        rt_once().await;
        out.push(t.elapsed());
    }
    out
}

// ---------------------------------------------------------------- our engine

async fn ours_bound_rep(rt: &Handle) -> (RepSocket, String) {
    let rep = RepSocket::new(rt, Options::default());
    let endpoint = rep.bind("tcp://127.0.0.1:0").await.unwrap();
    (rep, endpoint)
}

async fn ours_echo(rep: RepSocket) {
    while let Ok(m) = rep.recv().await {
        if rep.send(m).await.is_err() {
            break;
        }
    }
}

/// Server end driven from its own foreign thread, with or without the synchronous fast paths.
fn ours_foreign_echo(rt: Handle, rep: RepSocket, fast: bool) {
    thread::spawn(move || loop {
        let fast_msg = if fast {
            rep.try_recv().ok().flatten()
        } else {
            None
        };
        let m = match fast_msg {
            Some(m) => m,
            None => {
                let r = rep.clone();
                match call(&rt, async move { r.recv().await }) {
                    Ok(m) => m,
                    Err(_) => break,
                }
            }
        };
        let m = if fast {
            match rep.try_send(&shared(&m)) {
                Ok(TrySend::Sent) => continue,
                Ok(TrySend::Wait) => m,
                Err(_) => break,
            }
        } else {
            m
        };
        let r = rep.clone();
        if call(&rt, async move { r.send(m).await }).is_err() {
            break;
        }
    });
}

struct OursLocal {
    rt: Runtime,
    req: ReqSocket,
}

impl OursLocal {
    fn new() -> OursLocal {
        let rt = current_thread_rt();
        let req = rt.block_on(async {
            let (rep, endpoint) = ours_bound_rep(&Handle::current()).await;
            tokio::spawn(ours_echo(rep));
            let req = ReqSocket::new(&Handle::current(), Options::default());
            req.connect(&endpoint).unwrap();
            req
        });
        OursLocal { rt, req }
    }

    fn batch(&mut self, size: usize, warmup: usize, iters: usize) -> Vec<Duration> {
        let payload = Bytes::from(vec![0xa5u8; size]);
        let req = self.req.clone();
        block_on_spawned(
            &self.rt,
            timed_async(warmup, iters, move || {
                let (req, payload) = (req.clone(), payload.clone());
                async move {
                    req.send(ours_msg(&payload)).await.unwrap();
                    check_len(req.recv().await.unwrap()[0].len(), size);
                }
            }),
        )
    }
}

struct OursForeign {
    client_rt: Runtime,
    _server_rt: Runtime,
    req: ReqSocket,
    fast: bool,
}

impl OursForeign {
    fn new(fast: bool) -> OursForeign {
        let (client_rt, server_rt) = (napi_like_rt(), napi_like_rt());
        let (rep, endpoint) = server_rt.block_on(ours_bound_rep(server_rt.handle()));
        ours_foreign_echo(server_rt.handle().clone(), rep, fast);
        let req = ReqSocket::new(client_rt.handle(), Options::default());
        req.connect(&endpoint).unwrap();
        OursForeign {
            client_rt,
            _server_rt: server_rt,
            req,
            fast,
        }
    }

    fn batch(&mut self, size: usize, warmup: usize, iters: usize) -> Vec<Duration> {
        let payload = Bytes::from(vec![0xa5u8; size]);
        let (h, req, fast) = (self.client_rt.handle(), &self.req, self.fast);
        timed(warmup, iters, || {
            let mut msg = Some(ours_msg(&payload));
            if fast {
                if let Some(m) = msg.take() {
                    if req.try_send(&shared(&m)).unwrap() == TrySend::Wait {
                        msg = Some(m);
                    }
                }
            }
            if let Some(m) = msg {
                let r = req.clone();
                call(h, async move { r.send(m).await }).unwrap();
            }
            let reply = match fast.then(|| req.try_recv().unwrap()).flatten() {
                Some(m) => m,
                None => {
                    let r = req.clone();
                    call(h, async move { r.recv().await }).unwrap()
                }
            };
            check_len(reply[0].len(), size);
        })
    }
}

// ---------------------------------------------------------------- zmq.rs

async fn zmq_bound_rep() -> (zeromq::RepSocket, String) {
    let mut rep = zeromq::RepSocket::new();
    let endpoint = rep.bind("tcp://127.0.0.1:0").await.unwrap().to_string();
    (rep, endpoint)
}

async fn zmq_echo(mut rep: zeromq::RepSocket) {
    while let Ok(m) = rep.recv().await {
        if rep.send(m).await.is_err() {
            break;
        }
    }
}

/// zmq.rs methods take `&mut self`, so the socket travels into each spawned call and back out.
fn zmq_foreign_echo(rt: Handle, rep: zeromq::RepSocket) {
    thread::spawn(move || {
        let mut rep = Some(rep);
        loop {
            let mut r = rep.take().unwrap();
            let (r, m) = call(&rt, async move {
                let m = r.recv().await;
                (r, m)
            });
            let Ok(m) = m else { break };
            let (r, sent) = call(&rt, async move {
                let mut r = r;
                let sent = r.send(m).await;
                (r, sent)
            });
            if sent.is_err() {
                break;
            }
            rep = Some(r);
        }
    });
}

struct ZmqLocal {
    rt: Runtime,
    req: Option<zeromq::ReqSocket>,
}

impl ZmqLocal {
    fn new() -> ZmqLocal {
        let rt = current_thread_rt();
        let req = rt.block_on(async {
            let (rep, endpoint) = zmq_bound_rep().await;
            tokio::spawn(zmq_echo(rep));
            let mut req = zeromq::ReqSocket::new();
            req.connect(&endpoint).await.unwrap();
            req
        });
        ZmqLocal { rt, req: Some(req) }
    }

    fn batch(&mut self, size: usize, warmup: usize, iters: usize) -> Vec<Duration> {
        let payload = Bytes::from(vec![0xa5u8; size]);
        // The round-trip future is re-made for each iteration and awaited before the next: it takes the
        // socket (zmq.rs methods need `&mut`) out of the shared slot and puts it back when done; the
        // slot travels into the spawned batch and the socket back out of it.
        let slot = std::sync::Arc::new(std::sync::Mutex::new(self.req.take()));
        let batch_slot = slot.clone();
        let samples = block_on_spawned(
            &self.rt,
            timed_async(warmup, iters, move || {
                let (slot, payload) = (batch_slot.clone(), payload.clone());
                async move {
                    let mut req = slot
                        .lock()
                        .unwrap()
                        .take()
                        .expect("one round trip at a time");
                    req.send(ZmqMessage::from(payload)).await.unwrap();
                    check_len(req.recv().await.unwrap().get(0).unwrap().len(), size);
                    *slot.lock().unwrap() = Some(req);
                }
            }),
        );
        self.req = slot.lock().unwrap().take();
        samples
    }
}

struct ZmqForeign {
    client_rt: Runtime,
    _server_rt: Runtime,
    req: Option<zeromq::ReqSocket>,
}

impl ZmqForeign {
    fn new() -> ZmqForeign {
        let (client_rt, server_rt) = (napi_like_rt(), napi_like_rt());
        let (rep, endpoint) = server_rt.block_on(zmq_bound_rep());
        zmq_foreign_echo(server_rt.handle().clone(), rep);
        let req = client_rt.block_on(async {
            let mut req = zeromq::ReqSocket::new();
            req.connect(&endpoint).await.unwrap();
            req
        });
        ZmqForeign {
            client_rt,
            _server_rt: server_rt,
            req: Some(req),
        }
    }

    fn batch(&mut self, size: usize, warmup: usize, iters: usize) -> Vec<Duration> {
        let payload = Bytes::from(vec![0xa5u8; size]);
        let (h, slot) = (self.client_rt.handle(), &mut self.req);
        timed(warmup, iters, || {
            let (mut req, p) = (slot.take().unwrap(), payload.clone());
            let (mut req, sent) = call(h, async move {
                let sent = req.send(ZmqMessage::from(p)).await;
                (req, sent)
            });
            sent.unwrap();
            let (req, reply) = call(h, async move {
                let reply = req.recv().await;
                (req, reply)
            });
            check_len(reply.unwrap().get(0).unwrap().len(), size);
            *slot = Some(req);
        })
    }
}

// ---------------------------------------------------------------- the run

/// One benchmarked configuration: a name and a batch function (size, warmup, iters) -> samples.
struct Contender {
    mode: &'static str,
    lib: &'static str,
    run: Box<dyn FnMut(usize, usize, usize) -> Vec<Duration>>,
}

fn micros(d: Duration) -> f64 {
    d.as_nanos() as f64 / 1000.0
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

/// Builds a contender, or reports why our engine cannot run yet (its bodies may still be stubs).
fn contender(
    mode: &'static str,
    lib: &'static str,
    make: impl FnOnce() -> Box<dyn FnMut(usize, usize, usize) -> Vec<Duration>>,
) -> Option<Contender> {
    match catch_unwind(AssertUnwindSafe(make)) {
        Ok(run) => Some(Contender { mode, lib, run }),
        Err(_) => {
            eprintln!("{mode} / {lib}: setup panicked, left out of this run");
            None
        }
    }
}

/// (warmup, iterations) for one batch: about 0.1-0.3 s each at the speeds measured so far.
fn iterations(mode: &str, size: usize, quick: bool) -> (usize, usize) {
    let one_runtime = mode.starts_with("one");
    let base = match size {
        0..=1024 if one_runtime => 10_000,
        0..=1024 => 3_000,
        1025..=65536 if one_runtime => 2_000,
        1025..=65536 => 1_000,
        _ if one_runtime => 300,
        _ => 200,
    };
    let iters = if quick { base / 10 } else { base };
    (iters / 10, iters)
}

fn main() {
    // `cargo bench` passes `--bench`; anything else (e.g. a filter) is ignored: the run is fixed and short.
    let quick = std::env::var("BENCH_QUICK").is_ok_and(|v| v == "1");
    let rounds = if quick { 2 } else { 9 };
    let only = std::env::var("BENCH_ONLY").ok();
    start_watchdog(Duration::from_secs(60));

    let mut contenders: Vec<Contender> = [
        contender("one runtime", "ours", || {
            let mut c = OursLocal::new();
            Box::new(move |s, w, i| c.batch(s, w, i))
        }),
        contender("one runtime", "zmq.rs", || {
            let mut c = ZmqLocal::new();
            Box::new(move |s, w, i| c.batch(s, w, i))
        }),
        contender("foreign thread", "ours", || {
            let mut c = OursForeign::new(false);
            Box::new(move |s, w, i| c.batch(s, w, i))
        }),
        contender("foreign thread", "zmq.rs", || {
            let mut c = ZmqForeign::new();
            Box::new(move |s, w, i| c.batch(s, w, i))
        }),
        contender("foreign + try_*", "ours", || {
            let mut c = OursForeign::new(true);
            Box::new(move |s, w, i| c.batch(s, w, i))
        }),
    ]
    .into_iter()
    .flatten()
    // BENCH_ONLY="one runtime/ours" (a substring of "mode/lib") runs just that, e.g. under `perf record`.
    .filter(|c| {
        only.as_deref()
            .is_none_or(|o| format!("{}/{}", c.mode, c.lib).contains(o))
    })
    .collect();

    // samples[(contender, size)] = per-round medians in us
    let mut medians: Vec<Vec<Vec<f64>>> = vec![vec![Vec::new(); SIZES.len()]; contenders.len()];
    let mut broken = vec![false; contenders.len()];
    for round in 0..rounds {
        for (si, &size) in SIZES.iter().enumerate() {
            // Interleaved: every contender once per size per round, in a rotating order.
            for k in 0..contenders.len() {
                let ci = (k + round) % contenders.len();
                if broken[ci] {
                    continue;
                }
                let c = &mut contenders[ci];
                let (warmup, iters) = iterations(c.mode, size, quick);
                match catch_unwind(AssertUnwindSafe(|| (c.run)(size, warmup, iters))) {
                    Ok(samples) => {
                        medians[ci][si].push(median(samples.into_iter().map(micros).collect()))
                    }
                    Err(_) => {
                        eprintln!(
                            "{} / {}: a batch panicked, left out from here on",
                            c.mode, c.lib
                        );
                        broken[ci] = true;
                    }
                }
                PROGRESS.fetch_add(1, Ordering::Relaxed);
            }
        }
        eprintln!("round {}/{rounds} done", round + 1);
    }

    println!("\nREQ->REP round trip over loopback tcp, median us ({rounds} interleaved rounds)");
    println!(
        "{:<17} {:>8} {:>11} {:>11} {:>12}",
        "mode", "size", "ours us", "zmq.rs us", "ours/zmq.rs"
    );
    let find = |mode: &str, lib: &str| {
        contenders
            .iter()
            .position(|c| c.mode == mode && c.lib == lib)
    };
    for mode in ["one runtime", "foreign thread", "foreign + try_*"] {
        for (si, &size) in SIZES.iter().enumerate() {
            let get = |ci: Option<usize>| {
                ci.map(|ci| median(medians[ci][si].clone()))
                    .filter(|v| !v.is_nan())
            };
            let ours = get(find(mode, "ours"));
            // The fast-path row has no zmq.rs equivalent: compare with zmq.rs called from a foreign thread.
            let theirs = get(find(
                if mode.starts_with("foreign") {
                    "foreign thread"
                } else {
                    mode
                },
                "zmq.rs",
            ));
            let fmt = |v: Option<f64>| v.map_or("n/a".to_owned(), |v| format!("{v:.1}"));
            let ratio = match (ours, theirs) {
                (Some(o), Some(t)) => format!("{:.2}", o / t),
                _ => "n/a".to_owned(),
            };
            let size = if size >= 1 << 20 {
                format!("{} MiB", size >> 20)
            } else if size >= 1024 {
                format!("{} KiB", size / 1024)
            } else {
                format!("{size} B")
            };
            println!(
                "{mode:<17} {size:>8} {:>11} {:>11} {ratio:>12}",
                fmt(ours),
                fmt(theirs)
            );
        }
    }
    // Sockets and runtimes are left to the process exit: the echo threads block in calls that never return.
    std::process::exit(0);
}

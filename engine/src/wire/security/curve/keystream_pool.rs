//! The threads that help with large boxes (see `nacl_box`): started on first use, one fewer than
//! the CPUs (at most [`MAX_WORKERS`]), kept for the life of the process, asleep when idle. Each
//! job XORs one chunk of one box with its keystream; the chunk is an owned piece of the frame's
//! buffer (split off it, rejoined without a copy), so nothing borrowed ever crosses to them.
//!
//! A pool rather than threads spawned per box: on the dev VM a scoped spawn and join cost ~55 us
//! (median), waking a parked worker ~11 us, against ~70 us of keystream saved on a 64 KiB box.

use bytes::BytesMut;
use salsa20::cipher::{KeyIvInit, StreamCipher, StreamCipherSeek};
use salsa20::XSalsa20;
use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// Helper threads at most (the caller's thread works too).
const MAX_WORKERS: usize = 3;

/// Where a box's keystream starts on its body: the first 32 bytes are the Poly1305 key.
const BODY_AT: u64 = 32;

/// The keystream of one box, with the chunks that have been XORed and are waiting for the caller.
pub(crate) struct BoxStream {
    key: Zeroizing<[u8; 32]>,
    nonce: [u8; 24],
    done: Mutex<Done>,
    ready: Condvar,
}

struct Done {
    chunks: Vec<Option<BytesMut>>,
    /// The caller sleeps on `ready` (it spins first, so usually nobody does and a finished chunk
    /// costs no wake-up syscall).
    waiting: bool,
}

/// How long the caller spins for a chunk a worker holds before it sleeps: about the time a worker
/// takes on the largest chunk. Sleeping costs more on the dev VM: the worker's wake-up of a halted
/// vCPU is tens of microseconds.
const SPIN: Duration = Duration::from_micros(200);

impl BoxStream {
    pub(crate) fn new(key: &[u8; 32], nonce: &[u8; 24], chunks: usize) -> Arc<BoxStream> {
        Arc::new(BoxStream {
            key: Zeroizing::new(*key),
            nonce: *nonce,
            done: Mutex::new(Done {
                chunks: (0..chunks).map(|_| None).collect(),
                waiting: false,
            }),
            ready: Condvar::new(),
        })
    }

    /// XORs `bytes`, which sit at offset `at` of the body.
    pub(crate) fn xor(&self, at: usize, bytes: &mut [u8]) {
        let mut cipher = XSalsa20::new((&*self.key).into(), (&self.nonce).into());
        cipher.seek(BODY_AT + at as u64);
        cipher.apply_keystream(bytes);
    }

    fn done(&self) -> MutexGuard<'_, Done> {
        // Poisoned only if a thread panicked while moving a chunk in or out; the slots are intact.
        self.done.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Chunk `i`, if it has been XORed.
    pub(crate) fn take(&self, i: usize) -> Option<BytesMut> {
        self.done().chunks.get_mut(i).and_then(Option::take)
    }

    /// Chunk `i`, waiting for the worker that holds it: spinning a little, then asleep.
    pub(crate) fn wait(&self, i: usize) -> BytesMut {
        let start = Instant::now();
        while start.elapsed() < SPIN {
            if let Some(chunk) = self.take(i) {
                return chunk;
            }
            for _ in 0..32 {
                std::hint::spin_loop();
            }
        }
        let mut done = self.done();
        loop {
            if let Some(chunk) = done.chunks.get_mut(i).and_then(Option::take) {
                done.waiting = false;
                return chunk;
            }
            done.waiting = true;
            done = self
                .ready
                .wait(done)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    fn put(&self, i: usize, chunk: BytesMut) {
        let mut done = self.done();
        if let Some(slot) = done.chunks.get_mut(i) {
            *slot = Some(chunk);
        }
        let wake = done.waiting;
        drop(done);
        if wake {
            self.ready.notify_all();
        }
    }
}

/// One chunk to XOR: chunk `index` of its box, at body offset `at`.
pub(crate) struct Job {
    pub(crate) stream: Arc<BoxStream>,
    pub(crate) index: usize,
    pub(crate) at: usize,
    pub(crate) chunk: BytesMut,
}

impl Job {
    fn run(mut self) {
        self.stream.xor(self.at, &mut self.chunk);
        self.stream.put(self.index, self.chunk);
    }
}

pub(crate) struct Pool {
    queue: Mutex<Queue>,
    work: Condvar,
    workers: usize,
}

#[derive(Default)]
struct Queue {
    jobs: VecDeque<Job>,
    /// Workers asleep on `work`: a job is signalled only when one is (a wake is a syscall, and a
    /// box hands out ~16 jobs while its worker is usually busy with the previous one).
    idle: usize,
}

/// The pool, started on first call; `None` on a single CPU or when no thread could be started.
pub(crate) fn pool() -> Option<&'static Pool> {
    static POOL: OnceLock<Option<Pool>> = OnceLock::new();
    POOL.get_or_init(|| {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        let wanted = cpus.saturating_sub(1).min(MAX_WORKERS);
        (wanted > 0).then(|| Pool {
            queue: Mutex::new(Queue::default()),
            work: Condvar::new(),
            workers: wanted,
        })
    })
    .as_ref()
    .and_then(Pool::started)
}

impl Pool {
    /// Starts the workers once (the pool must be `'static` first, hence not in `pool`'s init).
    fn started(&'static self) -> Option<&'static Pool> {
        static STARTED: OnceLock<bool> = OnceLock::new();
        let ok = *STARTED.get_or_init(|| {
            (0..self.workers).all(|i| {
                std::thread::Builder::new()
                    .name(format!("zmq-curve-{i}"))
                    .spawn(move || self.work_forever())
                    .is_ok()
            })
        });
        // Some workers may have started: they only ever take queued jobs, which is harmless, but a
        // pool short of threads is not worth the hand-offs.
        ok.then_some(self)
    }

    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn submit(&self, job: Job) {
        let mut queue = self.queue();
        queue.jobs.push_back(job);
        let wake = queue.idle > 0;
        drop(queue);
        if wake {
            self.work.notify_one();
        }
    }

    /// Runs one queued job (any box's) on the calling thread; false when there was none.
    pub(crate) fn run_one(&self) -> bool {
        let job = self.queue().jobs.pop_front();
        match job {
            Some(job) => {
                job.run();
                true
            }
            None => false,
        }
    }

    fn work_forever(&self) {
        loop {
            let job = {
                let mut queue = self.queue();
                loop {
                    if let Some(job) = queue.jobs.pop_front() {
                        break job;
                    }
                    queue.idle += 1;
                    queue = self
                        .work
                        .wait(queue)
                        .unwrap_or_else(PoisonError::into_inner);
                    queue.idle -= 1;
                }
            };
            job.run();
        }
    }
}

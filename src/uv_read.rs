//! Reads the engine's connections on the JS thread, from Node's own event loop.
//!
//! Each established connection's descriptor gets a libuv poll handle (`uv_handle.rs`) on the loop of
//! the environment that owns the socket. When data arrives, the JS thread wakes from its own
//! epoll, decodes the message (`DrivenRead::pump`) and settles the waiting promise: one thread
//! wake-up per message received, like Node's own sockets, where an engine reader thread would add a
//! second (engine thread, then JS thread).
//!
//! Two halves: engine threads hand connections over through the [`ReadQueue`] (`Send`, the
//! engine's [`ReadDriver`]), which wakes the JS thread; the [`UvReader`] there (part of the hub,
//! not `Send`) owns the watches.

use crate::executor::Executor;
use crate::hub::Hub;
use crate::id_map::IdMap;
use crate::uv_handle::{on_main_thread, Kind, OnEvent, UvHandle};
use napi::Env;
use std::cell::RefCell;
use std::sync::{Arc, Mutex, Weak};
use zeromq_napi_engine::lock;
use zeromq_napi_engine::{DrivenRead, Pump, ReadDriver};

/// What a connection's poll handle does when the descriptor is readable: reads the connection
/// and settles what that woke.
#[derive(Clone, Copy)]
struct ReadEvent {
    env: Env,
    conn: u64,
}

impl OnEvent for ReadEvent {
    fn on_event(&self) {
        let Ok(hub) = Hub::of(&self.env) else {
            return;
        };
        if let Some(reader) = hub.reader() {
            let woken = hub
                .executor()
                .collect_wakes(|| reader.pump(self.conn, true));
            hub.settle_now(woken);
        }
    }
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
    poll: UvHandle<ReadEvent>,
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
        if Kind::Poll.size().is_none() {
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
        let Some(poll) = UvHandle::poll(
            &self.env,
            conn.fd(),
            ReadEvent {
                env: self.env,
                conn: id,
            },
        ) else {
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

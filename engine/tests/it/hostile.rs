//! Hostile peers against our REP server: each bad connection is dropped (or, for an unlimited
//! `maxMessageSize`, parked without memory growth) while a well-behaved REQ keeps getting replies.
//! Raw TCP clients speak exactly the bytes under test; the server uses the public API only.

use crate::common::{handshake_bytes, long_header, ready_bytes, succeeds};
use bytes::Bytes;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::runtime::Handle;
use tokio::task::JoinHandle;
use zeromq_napi_engine::wire::greeting::Greeting;
use zeromq_napi_engine::{Options, ReadDriver, RepSocket, ReqSocket};

const LIMIT: Duration = Duration::from_secs(10);

struct Server {
    rep: RepSocket,
    endpoint: String,
    task: JoinHandle<()>,
}

impl Server {
    /// An echo REP bound to an ephemeral loopback port.
    async fn start(options: Options) -> Server {
        Server::start_read_by(options, None).await
    }

    /// Same, its connections read by `driver` when given.
    async fn start_read_by(options: Options, driver: Option<Arc<dyn ReadDriver>>) -> Server {
        let rep = RepSocket::new(&Handle::current(), options);
        if let Some(driver) = driver {
            rep.set_read_driver(driver);
        }
        let endpoint = rep.bind("tcp://127.0.0.1:0").await.unwrap();
        let task = {
            let rep = rep.clone();
            tokio::spawn(async move {
                // Ends when the socket closes.
                while let Ok(m) = rep.recv().await {
                    if rep.send(m).await.is_err() {
                        break;
                    }
                }
            })
        };
        Server {
            rep,
            endpoint,
            task,
        }
    }

    fn addr(&self) -> String {
        self.endpoint.trim_start_matches("tcp://").to_owned()
    }

    async fn raw(&self) -> TcpStream {
        TcpStream::connect(self.addr()).await.unwrap()
    }

    async fn stop(self) {
        self.rep.close();
        succeeds(LIMIT, self.task).await;
    }
}

/// A real client: `n` round trips must all come back intact.
async fn real_client_round_trips(endpoint: &str, n: usize) {
    let req = ReqSocket::new(&Handle::current(), Options::default());
    req.connect(endpoint).unwrap();
    for i in 0..n {
        let m = vec![Bytes::from(format!("request {i}"))];
        succeeds(LIMIT, req.send(m.clone())).await;
        let reply = succeeds(LIMIT, req.recv()).await;
        assert_eq!(reply, m);
    }
    req.close();
}

fn greeting() -> Vec<u8> {
    Greeting::new("NULL", false).encode().to_vec()
}

/// Reads until the server closes the connection; returns how long that took.
async fn closed_by_server(stream: &mut TcpStream) -> Duration {
    let start = Instant::now();
    let mut sink = vec![0u8; 4096];
    tokio::time::timeout(LIMIT, async {
        loop {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .expect("server did not close the connection");
    start.elapsed()
}

/// (VmRSS, VmSize) of this process in KiB.
fn memory_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap()
    };
    (field("VmRSS:"), field("VmSize:"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn announced_terabyte_frame_allocates_nothing() {
    let server = Server::start(Options::default()).await;
    real_client_round_trips(&server.endpoint, 1).await;
    let (rss0, vsz0) = memory_kib();
    let mut hostile = Vec::new();
    for size in [1u64 << 40, 16 << 30, i64::MAX as u64] {
        let mut s = server.raw().await;
        let mut bytes = handshake_bytes();
        bytes.extend_from_slice(&long_header(size));
        // Some of the body does arrive: memory may follow these bytes, never the announcement.
        bytes.extend_from_slice(&vec![0x55u8; 64 * 1024]);
        s.write_all(&bytes).await.unwrap();
        hostile.push(s);
    }
    real_client_round_trips(&server.endpoint, 20).await;
    let (rss1, vsz1) = memory_kib();
    assert!(
        rss1.saturating_sub(rss0) < 64 * 1024,
        "RSS grew {rss0} -> {rss1} KiB"
    );
    // Also the address space: a reservation made with overcommit would not show in RSS.
    assert!(
        vsz1.saturating_sub(vsz0) < 4 * 1024 * 1024,
        "VmSize grew {vsz0} -> {vsz1} KiB"
    );
    drop(hostile);
    server.stop().await;
}

/// Bodies of the sizes read into pooled huge-page blocks (64 KiB-1 MiB), announced and barely
/// begun: memory follows the bytes that came, not the announcements (a block holds the whole body,
/// resident by the huge page as soon as it is written into, so none is taken before half the body
/// is here). With the engine's own reader and with a driver's. (The pool is Linux's only.)
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn announced_pooled_bodies_that_never_come_pin_no_blocks() {
    use crate::common::driver::{Driver, Kind};
    // Enough that blocks would show well above what tests running alongside allocate meanwhile.
    const PEERS: usize = 64;
    for driver in [None, Some(Driver::new(Kind::SingleLoop))] {
        let read_by = driver.as_ref().map(Driver::reader);
        let server = Server::start_read_by(Options::default(), read_by).await;
        real_client_round_trips(&server.endpoint, 1).await;
        let (rss0, _) = memory_kib();
        let mut hostile = Vec::new();
        for _ in 0..PEERS {
            let mut s = server.raw().await;
            let mut bytes = handshake_bytes();
            bytes.extend_from_slice(&long_header(1 << 20));
            bytes.extend_from_slice(&[0x55u8; 1000]);
            s.write_all(&bytes).await.unwrap();
            hostile.push(s);
        }
        for s in &hostile {
            crate::common::until(|| unacknowledged(s) == 0).await;
        }
        real_client_round_trips(&server.endpoint, 20).await;
        let (rss1, _) = memory_kib();
        // A block each would be 64 MiB resident (32 huge pages: all the pool maps); the heap
        // holds what came. The margin leaves room for the tests running alongside (one process).
        assert!(
            rss1.saturating_sub(rss0) < 40 * 1024,
            "RSS grew {rss0} -> {rss1} KiB"
        );
        drop(hostile);
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frame_over_max_message_size_drops_that_peer_only() {
    let server = Server::start(Options {
        max_message_size: 100,
        ..Options::default()
    })
    .await;
    // Long and short forms; only the header is sent, so the drop happens before any body byte.
    for header in [long_header(1 << 40), vec![0x00, 101], vec![0x01, 200]] {
        let mut s = server.raw().await;
        let mut bytes = handshake_bytes();
        bytes.extend_from_slice(&header);
        s.write_all(&bytes).await.unwrap();
        closed_by_server(&mut s).await;
    }
    real_client_round_trips(&server.endpoint, 5).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_is_dropped_and_others_are_served() {
    let server = Server::start(Options::default()).await;
    let cases: Vec<Vec<u8>> = vec![
        b"GET / HTTP/1.1\r\nHost: example\r\n\r\n".to_vec(),
        vec![0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 1, 0], // ZMTP 2.0 signature
        {
            // Right greeting, then a frame with reserved flag bits.
            let mut v = handshake_bytes();
            v.extend_from_slice(&[0xF0, 0x01, 0x00]);
            v
        },
        {
            // Right greeting, then a malformed READY.
            let mut v = greeting();
            v.extend_from_slice(&[0x04, 0x06, 0x05, b'R', b'E', b'A', b'D', b'Y']);
            v
        },
        {
            // Right greeting, wrong mechanism.
            let mut v = Greeting::new("CURVE", false).encode().to_vec();
            v.extend_from_slice(&ready_bytes("REQ"));
            v
        },
        {
            // Incompatible socket type.
            let mut v = greeting();
            v.extend_from_slice(&ready_bytes("REP"));
            v
        },
    ];
    for bytes in cases {
        let mut s = server.raw().await;
        s.write_all(&bytes).await.unwrap();
        closed_by_server(&mut s).await;
    }
    real_client_round_trips(&server.endpoint, 5).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unfinished_handshakes_are_dropped_after_handshake_interval() {
    let interval = Duration::from_millis(300);
    let server = Server::start(Options {
        handshake_interval: interval.as_millis() as i64,
        ..Options::default()
    })
    .await;
    let scripts: Vec<Vec<u8>> = vec![Vec::new(), greeting()[..5].to_vec(), greeting(), {
        let mut v = greeting();
        let r = ready_bytes("REQ");
        v.extend_from_slice(&r[..r.len() - 1]);
        v
    }];
    let mut waiters = Vec::new();
    for bytes in scripts {
        let connected = Instant::now();
        let mut s = server.raw().await;
        s.write_all(&bytes).await.unwrap();
        waiters.push(tokio::spawn(async move {
            closed_by_server(&mut s).await;
            connected.elapsed()
        }));
    }
    // A real client is served while the stalled ones hang.
    real_client_round_trips(&server.endpoint, 3).await;
    for w in waiters {
        let lifetime = w.await.unwrap();
        // Dropped because of the interval: not before it, and not long after.
        assert!(lifetime >= interval, "dropped too early: {lifetime:?}");
        assert!(
            lifetime < interval + Duration::from_secs(5),
            "dropped too late: {lifetime:?}"
        );
    }
    real_client_round_trips(&server.endpoint, 3).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_idle_connections_do_not_block_service() {
    let server = Server::start(Options::default()).await;
    let mut idle = Vec::new();
    for i in 0..100 {
        let mut s = server.raw().await;
        if i % 2 == 0 {
            // Half of them even complete the handshake and then say nothing.
            s.write_all(&handshake_bytes()).await.unwrap();
        }
        idle.push(s);
    }
    real_client_round_trips(&server.endpoint, 20).await;
    // The idle ones are still connected: nothing is wrong with being quiet.
    for s in &mut idle {
        let mut b = [0u8; 1];
        let still_open = tokio::time::timeout(Duration::from_millis(1), s.peek(&mut b)).await;
        assert!(!matches!(still_open, Ok(Ok(0))));
    }
    drop(idle);
    server.stop().await;
}

/// Bytes written on `stream` that its peer has not acknowledged yet (TIOCOUTQ).
#[cfg(unix)]
fn unacknowledged(stream: &TcpStream) -> usize {
    use std::os::fd::AsRawFd;
    let mut queued: libc::c_int = 0;
    // SAFETY: a valid descriptor, and TIOCOUTQ writes one int.
    let status = unsafe { libc::ioctl(stream.as_raw_fd(), libc::TIOCOUTQ, &mut queued) };
    assert_eq!(status, 0, "TIOCOUTQ");
    usize::try_from(queued).unwrap_or(0)
}

/// A ZMTP 3.1 peer that never reads floods the server with 2,000 PINGs of 60 KiB context while
/// the server's output to it is blocked (a large reply it does not read): the PONGs wait in one
/// slot, cut to RFC 37's 16 octets, so what the server queues stays bounded; a real client is
/// served meanwhile. Both read paths: the engine's task and a caller's driver.
// Unix only: it waits on TIOCOUTQ, which Winsock lacks (short of SIO_TCP_INFO).
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ping_flood_from_a_peer_that_never_reads_queues_a_bounded_output() {
    use crate::common::driver::{Driver, Kind};
    use crate::common::RawPeer;
    use zeromq_napi_engine::wire::codec::encode_message;
    use zeromq_napi_engine::wire::command::{Command, MAX_PING_CONTEXT};
    const PINGS: usize = 2_000;
    const CONTEXT: usize = 60 * 1024;
    const REPLY: usize = 8 * 1024 * 1024;
    for driver in [None, Some(Driver::new(Kind::SingleLoop))] {
        let read_by = driver.as_ref().map(Driver::reader);
        let server = Server::start_read_by(Options::default(), read_by).await;
        let mut flood = RawPeer::connect31(&server.endpoint).await;
        // A request whose echo the OS cannot take at once: the rest waits on the server.
        let mut request = bytes::BytesMut::new();
        encode_message(&mut request, &[Bytes::new(), Bytes::from(vec![1u8; REPLY])]);
        flood.stream.write_all(&request).await.expect("request");
        let mut ping = bytes::BytesMut::new();
        for i in 0..PINGS {
            ping.clear();
            Command::Ping {
                ttl: 0,
                context: Bytes::from(vec![(i % 251) as u8; CONTEXT]),
            }
            .encode(&mut ping);
            tokio::time::timeout(LIMIT, flood.stream.write_all(&ping))
                .await
                .expect("the server keeps reading")
                .expect("write");
        }
        // Everything we wrote has reached the server's socket.
        crate::common::until(|| unacknowledged(&flood.stream) == 0).await;
        real_client_round_trips(&server.endpoint, 3).await;
        let queued = server.rep.queued_output();
        // At most the reply's rest (when its writer has not taken it yet) and one PING and one
        // PONG slot; the PONGs of 2,000 PINGs of 60 KiB would be 1,900 items and 114 MB.
        let command_frame = 2 + 5 + MAX_PING_CONTEXT + 2;
        assert!(queued.items <= 3, "{queued:?}");
        assert!(queued.bytes <= REPLY + 3 + 2 * command_frame, "{queued:?}");
        drop(flood);
        server.stop().await;
    }
}

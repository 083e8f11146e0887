//! CURVE and PLAIN wired into real connections: REQ/REP over tcp and ipc with every frame boxed,
//! large frames, refused peers (wrong server key, NULL client, authenticator saying no), the
//! authenticator's view of the peer, and the caller-driven read path.

use crate::common::driver::{Driver, Kind};
use crate::common::*;
use bytes::Bytes;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use zeromq_napi_engine::wire::security::{CurveKeyPair, CurvePublicKey, CurveSecretKey};
use zeromq_napi_engine::{
    Authenticator, AuthenticatorHook, ErrorCode, Options, PeerInfo, RepSocket, ReqSocket,
    SecretBytes, SecretKey,
};

// doc/zmq_curve.adoc test key pairs (libzmq's).
const SERVER_SECRET: &str = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6";
const SERVER_PUBLIC: &str = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
const CLIENT_SECRET: &str = "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs";
const CLIENT_PUBLIC: &str = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID";

/// 40 characters of Z85 as the 32 bytes the options hold (any key: Z85 is Z85).
fn key(z85: &str) -> [u8; 32] {
    *CurvePublicKey::from_z85(z85).expect("test key").as_bytes()
}

/// A secret key option from Z85.
fn secret(z85: &str) -> SecretKey {
    SecretKey(Some(
        CurveSecretKey::from_z85(z85)
            .expect("test key")
            .cell()
            .clone(),
    ))
}

fn curve_server() -> Options {
    Options {
        curve_server: true,
        curve_secret_key: secret(SERVER_SECRET),
        ..fast()
    }
}

fn curve_client(server_public: &str) -> Options {
    Options {
        curve_secret_key: secret(CLIENT_SECRET),
        curve_server_key: Some(key(server_public)),
        ..fast()
    }
}

/// Decides with `decide`, recording every peer it was asked about.
struct Recorder {
    seen: Mutex<Vec<PeerInfo>>,
    decide: Box<dyn Fn(&PeerInfo) -> bool + Send + Sync>,
    delay: Duration,
}

impl Authenticator for Recorder {
    fn authenticate(&self, peer: PeerInfo) -> Pin<Box<dyn Future<Output = bool> + Send>> {
        let allowed = (self.decide)(&peer);
        self.seen.lock().expect("lock").push(peer);
        let delay = self.delay;
        Box::pin(async move {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            allowed
        })
    }
}

fn recorder(
    decide: impl Fn(&PeerInfo) -> bool + Send + Sync + 'static,
    delay: Duration,
) -> (Arc<Recorder>, AuthenticatorHook) {
    let r = Arc::new(Recorder {
        seen: Mutex::new(Vec::new()),
        decide: Box::new(decide),
        delay,
    });
    (r.clone(), AuthenticatorHook(r))
}

fn ipc_endpoint(tag: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let path = std::env::temp_dir().join(format!(
        "zmq-napi-curve-{}-{}-{tag}.sock",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    format!("ipc://{}", path.display())
}

/// A REP answering "echo:" + each frame, counting what it served.
async fn server(options: Options, endpoint: &str) -> (RepSocket, String, Arc<AtomicUsize>) {
    server_driven(options, endpoint, None).await
}

async fn server_driven(
    options: Options,
    endpoint: &str,
    driver: Option<&Driver>,
) -> (RepSocket, String, Arc<AtomicUsize>) {
    let s = rep(options);
    if let Some(d) = driver {
        s.set_read_driver(d.reader());
    }
    let resolved = prompt(s.bind(endpoint)).await.expect("bind");
    let served = Arc::new(AtomicUsize::new(0));
    let (s2, count) = (s.clone(), served.clone());
    tokio::spawn(async move {
        while let Ok(request) = s2.recv().await {
            count.fetch_add(1, Ordering::SeqCst);
            let reply = request
                .iter()
                .map(|f| {
                    let mut v = b"echo:".to_vec();
                    v.extend_from_slice(f);
                    Bytes::from(v)
                })
                .collect();
            if s2.send(reply).await.is_err() {
                return;
            }
        }
    });
    (s, resolved, served)
}

/// Asks once and expects the reply "echo:" + `body`.
async fn assert_echoes(c: &ReqSocket, body: &str) {
    let reply = prompt(c.request(&lend(&msg(&[body])), None, 0))
        .await
        .expect("reply");
    assert_eq!(text(&reply), [format!("echo:{body}")]);
}

/// Asks once with a timeout of `ms` and expects EAGAIN (no server accepted us), whose message
/// contains `reason`; returns that message.
async fn assert_refused(c: &ReqSocket, ms: u64, reason: &str) -> String {
    let err = c
        .request(
            &lend(&msg(&["let me in"])),
            Some(Duration::from_millis(ms)),
            0,
        )
        .await
        .expect_err("refused");
    assert_eq!(err.code, ErrorCode::Eagain, "{}", err.message);
    assert!(err.message.contains(reason), "{}", err.message);
    err.message
}

/// Every mechanism the authenticator was asked about.
fn mechanisms_seen(r: &Recorder) -> Vec<&'static str> {
    r.seen
        .lock()
        .expect("lock")
        .iter()
        .map(|p| p.mechanism)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curve_req_rep_over_tcp_and_ipc() {
    let ipc = HAS_IPC.then(|| ipc_endpoint("rr"));
    for endpoint in ["tcp://127.0.0.1:*".to_owned()].into_iter().chain(ipc) {
        let (s, resolved, served) = server(curve_server(), &endpoint).await;
        let c = req(curve_client(SERVER_PUBLIC));
        c.connect(&resolved).expect("connect");
        for i in 0..50 {
            let body = format!("hello {i}");
            let reply = prompt(c.request(&lend(&msg(&[&body, "second frame"])), None, 0))
                .await
                .expect("reply");
            assert_eq!(
                text(&reply),
                [format!("echo:{body}"), "echo:second frame".to_owned()]
            );
        }
        assert_eq!(served.load(Ordering::SeqCst), 50);
        c.close();
        s.close();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curve_carries_large_frames_intact() {
    let (s, endpoint, _) = server(curve_server(), "tcp://127.0.0.1:*").await;
    let c = req(curve_client(SERVER_PUBLIC));
    c.connect(&endpoint).expect("connect");
    for size in [1 << 20, 3 * (1 << 20) + 7] {
        let body: Vec<u8> = (0..size).map(|i| (i * 7 % 251) as u8).collect();
        let reply = prompt(c.request(&lend(&vec![Bytes::from(body.clone())]), None, 0))
            .await
            .expect("reply");
        assert_eq!(reply.len(), 1);
        assert_eq!(&reply[0][..5], b"echo:");
        assert!(reply[0][5..] == body[..], "{size} bytes came back changed");
    }
    c.close();
    s.close();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_server_key_is_refused_and_the_timeout_says_why() {
    let (s, endpoint, served) = server(curve_server(), "tcp://127.0.0.1:*").await;
    // The client's own public key as the "server key": no box it makes opens at the server.
    let c = req(curve_client(CLIENT_PUBLIC));
    c.connect(&endpoint).expect("connect");
    let why = assert_refused(&c, 400, "the last handshake failed").await;
    assert!(why.contains("curveServerKey"), "{why}");
    assert_eq!(served.load(Ordering::SeqCst), 0);
    c.close();
    s.close();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn null_client_to_a_curve_server_is_refused() {
    let (s, endpoint, served) = server(curve_server(), "tcp://127.0.0.1:*").await;
    let c = req(fast());
    c.connect(&endpoint).expect("connect");
    assert_refused(&c, 300, "mechanism mismatch").await;
    assert_eq!(served.load(Ordering::SeqCst), 0);
    c.close();
    s.close();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_curve_servers_or_two_clients_cannot_talk() {
    let (s, endpoint, served) = server(curve_server(), "tcp://127.0.0.1:*").await;
    let c = req(Options {
        curve_server: true,
        curve_secret_key: secret(CLIENT_SECRET),
        ..fast()
    });
    c.connect(&endpoint).expect("connect");
    assert_refused(&c, 300, "ours CURVE server, peer CURVE server").await;
    assert_eq!(served.load(Ordering::SeqCst), 0);
    c.close();
    s.close();

    let (s, endpoint, served) = server(curve_client(SERVER_PUBLIC), "tcp://127.0.0.1:*").await;
    let c = req(curve_client(SERVER_PUBLIC));
    c.connect(&endpoint).expect("connect");
    assert_refused(&c, 300, "the last handshake failed").await;
    assert_eq!(served.load(Ordering::SeqCst), 0);
    c.close();
    s.close();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authenticator_sees_the_client_key_and_can_refuse() {
    let other = CurveKeyPair::generate().expect("random");
    let allowed = CLIENT_PUBLIC.to_owned();
    let (seen, hook) = recorder(
        move |p| p.public_key.as_deref() == Some(allowed.as_str()),
        Duration::ZERO,
    );
    let (s, endpoint, served) = server(
        Options {
            authenticate: Some(hook),
            ..curve_server()
        },
        "tcp://127.0.0.1:*",
    )
    .await;
    let good = req(Options {
        routing_id: Some(Bytes::from_static(b"good-client")),
        ..curve_client(SERVER_PUBLIC)
    });
    good.connect(&endpoint).expect("connect");
    assert_echoes(&good, "hi").await;

    let bad = req(Options {
        curve_secret_key: secret(&other.secret.to_z85()),
        ..curve_client(SERVER_PUBLIC)
    });
    bad.connect(&endpoint).expect("connect");
    assert_refused(&bad, 400, "refused our credentials").await;
    assert_eq!(
        served.load(Ordering::SeqCst),
        1,
        "only the allowed client was served"
    );

    let seen = seen.seen.lock().expect("lock").clone();
    let first = seen.first().expect("asked");
    assert_eq!(first.mechanism, "CURVE");
    assert_eq!(first.public_key.as_deref(), Some(CLIENT_PUBLIC));
    assert_eq!(first.routing_id.as_deref(), Some(&b"good-client"[..]));
    assert!(
        first.address.starts_with("tcp://127.0.0.1:"),
        "{}",
        first.address
    );
    assert!(seen
        .iter()
        .any(|p| p.public_key.as_deref() == Some(other.public.to_z85().as_str())));
    good.close();
    bad.close();
    s.close();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_async_decision_holds_delivery_until_it_is_made() {
    let (seen, hook) = recorder(|_| true, Duration::from_millis(50));
    let (s, endpoint, _) = server(
        Options {
            authenticate: Some(hook),
            ..curve_server()
        },
        "tcp://127.0.0.1:*",
    )
    .await;
    let c = req(curve_client(SERVER_PUBLIC));
    c.connect(&endpoint).expect("connect");
    assert_echoes(&c, "after the decision").await;
    assert_eq!(seen.seen.lock().expect("lock").len(), 1);
    c.close();
    s.close();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn null_sockets_with_an_authenticator() {
    let (seen, hook) = recorder(
        |p| p.routing_id.as_deref() == Some(&b"ok"[..]),
        Duration::ZERO,
    );
    let (s, endpoint, served) = server(
        Options {
            authenticate: Some(hook),
            ..fast()
        },
        "tcp://127.0.0.1:*",
    )
    .await;
    let ok = req(Options {
        routing_id: Some(Bytes::from_static(b"ok")),
        ..fast()
    });
    ok.connect(&endpoint).expect("connect");
    assert_echoes(&ok, "a").await;
    let no = req(fast());
    no.connect(&endpoint).expect("connect");
    assert_refused(&no, 300, "").await;
    assert_eq!(served.load(Ordering::SeqCst), 1);
    assert!(mechanisms_seen(&seen).iter().all(|m| *m == "NULL"));
    ok.close();
    no.close();
    s.close();
}

fn plain_client(user: &'static [u8], password: &'static [u8]) -> Options {
    Options {
        plain_username: Some(Bytes::from_static(user)),
        plain_password: SecretBytes(Some(Bytes::from_static(password))),
        ..fast()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_username_and_password() {
    let (seen, hook) = recorder(
        |p| {
            p.username.as_deref() == Some(&b"admin"[..])
                && p.password.as_deref() == Some(&b"secret"[..])
        },
        Duration::ZERO,
    );
    let (s, endpoint, served) = server(
        Options {
            plain_server: true,
            authenticate: Some(hook),
            ..fast()
        },
        "tcp://127.0.0.1:*",
    )
    .await;
    let good = req(plain_client(b"admin", b"secret"));
    good.connect(&endpoint).expect("connect");
    assert_echoes(&good, "p").await;
    let bad = req(plain_client(b"admin", b"guess"));
    bad.connect(&endpoint).expect("connect");
    assert_refused(&bad, 300, "refused our credentials").await;
    assert_eq!(served.load(Ordering::SeqCst), 1);
    assert!(mechanisms_seen(&seen).iter().all(|m| *m == "PLAIN"));
    // Without an authenticator a PLAIN server accepts any credentials (libzmq without ZAP).
    let (s2, endpoint2, _) = server(
        Options {
            plain_server: true,
            ..fast()
        },
        "tcp://127.0.0.1:*",
    )
    .await;
    let any = req(plain_client(b"who", b"ever"));
    any.connect(&endpoint2).expect("connect");
    assert_echoes(&any, "r").await;
    for sock in [&good, &bad, &any] {
        sock.close();
    }
    s.close();
    s2.close();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curve_on_the_driven_read_path() {
    for kind in [Kind::ThreadPerConnection, Kind::SingleLoop] {
        let (sd, cd) = (Driver::new(kind), Driver::new(kind));
        let (s, endpoint, _) = server_driven(curve_server(), "tcp://127.0.0.1:*", Some(&sd)).await;
        let c = req(curve_client(SERVER_PUBLIC));
        c.set_read_driver(cd.reader());
        c.connect(&endpoint).expect("connect");
        for i in 0..20 {
            let body = format!("driven {i}");
            let reply = prompt(c.request(&lend(&msg(&[&body])), None, 0))
                .await
                .expect("reply");
            assert_eq!(text(&reply), [format!("echo:{body}")]);
        }
        let big: Vec<u8> = (0..(1 << 20) + 3).map(|i| (i % 253) as u8).collect();
        let reply = prompt(c.request(&lend(&vec![Bytes::from(big.clone())]), None, 0))
            .await
            .expect("large reply");
        assert!(reply[0][5..] == big[..], "{kind:?}: large frame changed");
        assert!(sd.seen().pumps() > 0 && cd.seen().pumps() > 0, "{kind:?}");
        c.close();
        s.close();
    }
}

#[test]
fn misconfigured_security_is_refused_with_a_reason() {
    let no_secret = Options {
        curve_server: true,
        ..Options::default()
    };
    let e = zeromq_napi_engine::security_of(&no_secret).expect_err("needs a secret key");
    assert_eq!(e.code, ErrorCode::Einval);
    assert!(e.message.contains("curveSecretKey"), "{}", e.message);
    let client = Options {
        curve_server_key: Some(key(SERVER_PUBLIC)),
        ..Options::default()
    };
    assert!(zeromq_napi_engine::security_of(&client).is_err());
    assert!(zeromq_napi_engine::security_of(&Options::default()).is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_curve_client_with_an_authenticator_is_not_asked_about_its_server() {
    let (seen, hook) = recorder(|_| false, Duration::ZERO);
    let (s, endpoint, _) = server(curve_server(), "tcp://127.0.0.1:*").await;
    let c = req(Options {
        authenticate: Some(hook),
        ..curve_client(SERVER_PUBLIC)
    });
    c.connect(&endpoint).expect("connect");
    assert_echoes(&c, "q").await;
    assert!(seen.seen.lock().expect("lock").is_empty());
    c.close();
    s.close();
}

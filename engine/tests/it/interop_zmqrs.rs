//! Our REQ/REP sockets against the `zeromq` crate (zmq.rs 0.7, an independent ZMTP stack), in both
//! directions, over tcp and ipc: single and multipart messages, empty frames and 1 MiB frames.

use crate::common::succeeds;
use bytes::Bytes;
use std::path::PathBuf;
use std::time::Duration;
use tokio::runtime::Handle;
use zeromq::{Socket, SocketRecv, SocketSend, ZmqMessage};
use zeromq_napi_engine::{DealerSocket, Message, Options, RepSocket, ReqSocket, RouterSocket};

const LIMIT: Duration = Duration::from_secs(10);

fn zmsg(frames: &[Bytes]) -> ZmqMessage {
    ZmqMessage::try_from(frames.to_vec()).unwrap()
}

fn big(n: usize, seed: u8) -> Bytes {
    Bytes::from(
        (0..n)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect::<Vec<_>>(),
    )
}

/// Messages every pairing must carry intact.
fn payloads() -> Vec<Message> {
    vec![
        vec![Bytes::from_static(b"hello")],
        vec![
            Bytes::from_static(b"a"),
            Bytes::new(),
            Bytes::from_static(b"c"),
        ],
        vec![Bytes::new()],
        vec![big(255, 1), big(256, 2)],
        vec![big(1 << 20, 3)],
        vec![big(1 << 20, 4), Bytes::from_static(b"tail"), big(70_000, 5)],
    ]
}

/// A fresh ipc path in the temp dir, unique per test and process.
fn ipc_path(tag: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "zmq-napi-interop-{}-{tag}.sock",
        std::process::id()
    ))
}

/// An endpoint pair for a transport: what the server binds, and (for ipc) the path to clean up.
fn bind_address(transport: &str, tag: &str) -> (String, Option<PathBuf>) {
    match transport {
        "tcp" => ("tcp://127.0.0.1:0".to_owned(), None),
        _ => {
            let p = ipc_path(tag);
            let _ = std::fs::remove_file(&p);
            (format!("ipc://{}", p.display()), Some(p))
        }
    }
}

async fn our_req_their_rep(transport: &str) {
    let (addr, path) = bind_address(transport, "our-req");
    let mut rep = zeromq::RepSocket::new();
    let bound = rep.bind(&addr).await.unwrap().to_string();
    let server = tokio::spawn(async move {
        // Echo with a marker frame in front, so the reply is distinguishable from the request.
        for _ in 0..payloads().len() {
            let m = rep.recv().await.unwrap();
            let mut frames = vec![Bytes::from_static(b"echo")];
            frames.extend(m.into_vec());
            rep.send(zmsg(&frames)).await.unwrap();
        }
        rep
    });
    let req = ReqSocket::new(&Handle::current(), Options::default());
    req.connect(&bound).unwrap();
    for m in payloads() {
        succeeds(LIMIT, req.send(m.clone())).await;
        let reply = succeeds(LIMIT, req.recv()).await;
        let mut expected = vec![Bytes::from_static(b"echo")];
        expected.extend(m);
        assert_eq!(reply, expected);
    }
    let _rep = succeeds(LIMIT, server).await;
    req.close();
    if let Some(p) = path {
        let _ = std::fs::remove_file(p);
    }
}

async fn their_req_our_rep(transport: &str) {
    let (addr, path) = bind_address(transport, "our-rep");
    let rep = RepSocket::new(&Handle::current(), Options::default());
    let bound = rep.bind(&addr).await.unwrap();
    let server = {
        let rep = rep.clone();
        tokio::spawn(async move {
            for _ in 0..payloads().len() {
                let m = rep.recv().await.unwrap();
                let mut frames = vec![Bytes::from_static(b"echo")];
                frames.extend(m);
                rep.send(frames).await.unwrap();
            }
        })
    };
    let mut req = zeromq::ReqSocket::new();
    succeeds(LIMIT, req.connect(&bound)).await;
    for m in payloads() {
        req.send(zmsg(&m)).await.unwrap();
        let reply = succeeds(LIMIT, req.recv()).await;
        let mut expected = vec![Bytes::from_static(b"echo")];
        expected.extend(m);
        assert_eq!(reply.into_vec(), expected);
    }
    succeeds(LIMIT, server).await;
    rep.close();
    if let Some(p) = path {
        let _ = std::fs::remove_file(p);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_req_their_rep_tcp() {
    our_req_their_rep("tcp").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg(unix)]
async fn our_req_their_rep_ipc() {
    our_req_their_rep("ipc").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn their_req_our_rep_tcp() {
    their_req_our_rep("tcp").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg(unix)]
async fn their_req_our_rep_ipc() {
    their_req_our_rep("ipc").await;
}

fn b(s: &'static [u8]) -> Bytes {
    Bytes::from_static(s)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_dealer_their_router() {
    let mut router = zeromq::RouterSocket::new();
    let bound = router.bind("tcp://127.0.0.1:0").await.unwrap().to_string();
    let dealer = DealerSocket::new(
        &Handle::current(),
        Options {
            routing_id: Some(b(b"our-dealer")),
            ..Options::default()
        },
    );
    dealer.connect(&bound).unwrap();
    succeeds(LIMIT, dealer.send(vec![b(b"a"), Bytes::new(), big(300, 9)])).await;
    let got = succeeds(LIMIT, router.recv()).await;
    assert_eq!(
        got.into_vec(),
        vec![b(b"our-dealer"), b(b"a"), Bytes::new(), big(300, 9)]
    );
    router
        .send(zmsg(&[b(b"our-dealer"), b(b"back"), big(1 << 20, 7)]))
        .await
        .unwrap();
    let reply = succeeds(LIMIT, dealer.recv()).await;
    assert_eq!(reply, vec![b(b"back"), big(1 << 20, 7)]);
    dealer.close();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn their_dealer_our_router() {
    let router = RouterSocket::new(&Handle::current(), Options::default());
    let bound = router.bind("tcp://127.0.0.1:0").await.unwrap();
    let mut options = zeromq::SocketOptions::default();
    options.peer_identity(b"their-dealer".to_vec().try_into().unwrap());
    let mut dealer = zeromq::DealerSocket::with_options(options);
    succeeds(LIMIT, dealer.connect(&bound)).await;
    dealer
        .send(zmsg(&[b(b"x"), big(1 << 20, 1)]))
        .await
        .unwrap();
    let got = succeeds(LIMIT, router.recv()).await;
    assert_eq!(got, vec![b(b"their-dealer"), b(b"x"), big(1 << 20, 1)]);
    router
        .send(vec![b(b"their-dealer"), b(b"y"), Bytes::new()])
        .await
        .unwrap();
    let reply = succeeds(LIMIT, dealer.recv()).await;
    assert_eq!(reply.into_vec(), vec![b(b"y"), Bytes::new()]);
    router.close();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn their_req_our_router() {
    let router = RouterSocket::new(&Handle::current(), Options::default());
    let bound = router.bind("tcp://127.0.0.1:0").await.unwrap();
    let mut options = zeromq::SocketOptions::default();
    options.peer_identity(b"rq".to_vec().try_into().unwrap());
    let mut req = zeromq::ReqSocket::with_options(options);
    succeeds(LIMIT, req.connect(&bound)).await;
    req.send(zmsg(&[b(b"job")])).await.unwrap();
    let got = succeeds(LIMIT, router.recv()).await;
    assert_eq!(got, vec![b(b"rq"), Bytes::new(), b(b"job")]);
    router
        .send(vec![b(b"rq"), Bytes::new(), b(b"done")])
        .await
        .unwrap();
    let reply = succeeds(LIMIT, req.recv()).await;
    assert_eq!(reply.into_vec(), vec![b(b"done")]);
    router.close();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_dealer_their_rep() {
    let mut rep = zeromq::RepSocket::new();
    let bound = rep.bind("tcp://127.0.0.1:0").await.unwrap().to_string();
    let dealer = DealerSocket::new(&Handle::current(), Options::default());
    dealer.connect(&bound).unwrap();
    succeeds(LIMIT, dealer.send(vec![Bytes::new(), b(b"q")])).await;
    let got = succeeds(LIMIT, rep.recv()).await;
    assert_eq!(got.into_vec(), vec![b(b"q")]);
    rep.send(zmsg(&[b(b"r")])).await.unwrap();
    let reply = succeeds(LIMIT, dealer.recv()).await;
    assert_eq!(reply, vec![Bytes::new(), b(b"r")]);
    dealer.close();
}

/// A multi-hop envelope (as a ROUTER/DEALER broker would add) survives our REP unchanged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn their_dealer_our_rep_keeps_envelope() {
    let rep = RepSocket::new(&Handle::current(), Options::default());
    let bound = rep.bind("tcp://127.0.0.1:0").await.unwrap();
    let mut dealer = zeromq::DealerSocket::new();
    succeeds(LIMIT, dealer.connect(&bound)).await;
    dealer
        .send(zmsg(&[b(b"hop1"), b(b"hop2"), Bytes::new(), b(b"q")]))
        .await
        .unwrap();
    let got = succeeds(LIMIT, rep.recv()).await;
    assert_eq!(got, vec![b(b"q")]);
    succeeds(LIMIT, rep.send(vec![b(b"r")])).await;
    let reply = succeeds(LIMIT, dealer.recv()).await;
    assert_eq!(
        reply.into_vec(),
        vec![b(b"hop1"), b(b"hop2"), Bytes::new(), b(b"r")]
    );
    rep.close();
}

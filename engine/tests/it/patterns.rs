//! PUB/SUB, XPUB/XSUB, PUSH/PULL and PAIR: ours with ours, and with zmq.rs (both directions), over
//! tcp and ipc.

use crate::common::*;
use bytes::Bytes;
use std::collections::HashSet;
use std::time::Duration;
use tokio::runtime::Handle;
use zeromq::{Socket, SocketRecv, SocketSend, ZmqMessage};
use zeromq_napi_engine::{
    run_proxy, Options, PairSocket, PubSocket, PullSocket, PushSocket, SubSocket, XPubSocket,
    XPublisherVerbosity, XSubSocket,
};

fn rt() -> Handle {
    Handle::current()
}

/// Publishes `[topic, n]` until the subscriber receives something (subscriptions take a round
/// trip to arrive: the slow-joiner problem every PUB/SUB test has); returns what it received.
async fn first_received(publisher: &PubSocket, sub: &SubSocket, topic: &str) -> Vec<String> {
    prompt(async {
        for n in 0u64.. {
            publisher
                .send(msg(&[topic, &n.to_string()]))
                .await
                .expect("publish");
            if let Ok(Some(m)) = sub.try_recv() {
                return text(&m);
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        unreachable!()
    })
    .await
}

fn ipc_endpoint(name: &str) -> String {
    let dir = std::env::temp_dir();
    format!(
        "ipc://{}/zmq-napi-{name}-{}.sock",
        dir.display(),
        std::process::id()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pub_to_sub_delivers_only_subscribed_prefixes_tcp_and_ipc() {
    let mut addresses = vec!["tcp://127.0.0.1:*".to_owned()];
    // ipc:// is a Unix transport here (see `net::ipc`).
    if cfg!(unix) {
        addresses.push(ipc_endpoint("pubsub"));
    }
    for address in addresses {
        let publisher = PubSocket::new(&rt(), fast());
        let endpoint = prompt(publisher.bind(&address)).await.expect("bind");
        let sub = SubSocket::new(&rt(), fast());
        sub.subscribe(b"weather.").expect("subscribe");
        sub.connect(&endpoint).expect("connect");
        let first = first_received(&publisher, &sub, "weather.eu").await;
        assert_eq!(first[0], "weather.eu");
        for topic in ["news", "weather.us", "weathe", "weather."] {
            publisher.send(msg(&[topic, "x"])).await.expect("publish");
        }
        let got: Vec<String> = [prompt(sub.recv()).await, prompt(sub.recv()).await]
            .into_iter()
            .map(|m| text(&m.expect("recv"))[0].clone())
            .collect();
        // Drain what the slow-joiner loop left behind first.
        let got: Vec<String> = got.into_iter().filter(|t| t != "weather.eu").collect();
        assert!(got.iter().all(|t| t.starts_with("weather.")), "{got:?}");
        sub.unsubscribe(b"weather.").expect("unsubscribe");
        publisher.close();
        sub.close();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publisher_never_waits_for_a_full_subscriber() {
    let publisher = PubSocket::new(
        &rt(),
        Options {
            send_high_water_mark: 2,
            ..fast()
        },
    );
    let endpoint = prompt(publisher.bind("tcp://127.0.0.1:*"))
        .await
        .expect("bind");
    let sub = SubSocket::new(
        &rt(),
        Options {
            receive_high_water_mark: 2,
            ..fast()
        },
    );
    sub.subscribe(b"").expect("subscribe");
    sub.connect(&endpoint).expect("connect");
    first_received(&publisher, &sub, "t").await;
    // Far more than both queues and the OS buffers hold of 64 KiB messages: every send returns.
    let big = "x".repeat(64 * 1024);
    prompt(async {
        for _ in 0..2000 {
            publisher.send(msg(&["t", &big])).await.expect("publish");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xpub_receives_new_subscriptions_and_verbose_receives_all() {
    for verbose in [false, true] {
        let xpub = XPubSocket::new(
            &rt(),
            Options {
                verbosity: if verbose {
                    XPublisherVerbosity::AllSubs
                } else {
                    XPublisherVerbosity::Changes
                },
                ..fast()
            },
        );
        let endpoint = prompt(xpub.bind("tcp://127.0.0.1:*")).await.expect("bind");
        let (a, b) = (SubSocket::new(&rt(), fast()), SubSocket::new(&rt(), fast()));
        a.subscribe(b"t").expect("subscribe");
        a.connect(&endpoint).expect("connect");
        let first = prompt(xpub.recv()).await.expect("recv");
        assert_eq!(first, vec![Bytes::from_static(b"\x01t")]);
        b.subscribe(b"t").expect("subscribe");
        b.subscribe(b"u").expect("subscribe");
        b.connect(&endpoint).expect("connect");
        let next = prompt(xpub.recv()).await.expect("recv");
        let want: &[u8] = if verbose { b"\x01t" } else { b"\x01u" };
        assert_eq!(
            next,
            vec![Bytes::copy_from_slice(want)],
            "verbose {verbose}"
        );
        b.unsubscribe(b"u").expect("unsubscribe");
        let mut rest = Vec::new();
        loop {
            let m = tokio::time::timeout(PROMPT, xpub.recv())
                .await
                .unwrap_or_else(|_| panic!("no cancel (verbose {verbose}) after {rest:?}"))
                .expect("recv");
            let done = m[0][0] == 0;
            rest.push(m);
            if done {
                break;
            }
        }
        assert_eq!(rest.last(), Some(&vec![Bytes::from_static(b"\x00u")]));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_are_sent_again_after_a_reconnect() {
    let first = PubSocket::new(&rt(), fast());
    let endpoint = prompt(first.bind("tcp://127.0.0.1:*")).await.expect("bind");
    let sub = SubSocket::new(&rt(), fast());
    sub.subscribe(b"k").expect("subscribe");
    sub.connect(&endpoint).expect("connect");
    first_received(&first, &sub, "k1").await;
    first.close();
    drop(first);
    let second = PubSocket::new(&rt(), fast());
    prompt(async {
        loop {
            if second.bind(&endpoint).await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    // Only the second publisher sends "k2": it got the subscription again.
    let got = prompt(async {
        loop {
            if first_received(&second, &sub, "k2").await[0] == "k2" {
                return "k2";
            }
        }
    })
    .await;
    assert_eq!(got, "k2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invert_matching_selects_what_does_not_match() {
    let publisher = PubSocket::new(
        &rt(),
        Options {
            invert_matching: true,
            ..fast()
        },
    );
    let endpoint = prompt(publisher.bind("tcp://127.0.0.1:*"))
        .await
        .expect("bind");
    let sub = SubSocket::new(
        &rt(),
        Options {
            invert_matching: true,
            ..fast()
        },
    );
    sub.subscribe(b"skip").expect("subscribe");
    sub.connect(&endpoint).expect("connect");
    first_received(&publisher, &sub, "keep").await;
    publisher.send(msg(&["skip.me"])).await.expect("publish");
    publisher.send(msg(&["last"])).await.expect("publish");
    let m = prompt(async {
        loop {
            let m = sub.recv().await.expect("recv");
            if text(&m)[0] != "keep" {
                return m;
            }
        }
    })
    .await;
    assert_eq!(text(&m), ["last"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_round_robins_and_pull_fair_queues() {
    let push = PushSocket::new(&rt(), fast());
    let endpoint = prompt(push.bind("tcp://127.0.0.1:*")).await.expect("bind");
    let pulls = [
        PullSocket::new(&rt(), fast()),
        PullSocket::new(&rt(), fast()),
    ];
    for pull in &pulls {
        pull.connect(&endpoint).expect("connect");
    }
    until(|| push.peer_count() == 2).await;
    for i in 0..10 {
        prompt(push.send(msg(&[&i.to_string()])))
            .await
            .expect("send");
    }
    for pull in &pulls {
        let mut got = HashSet::new();
        for _ in 0..5 {
            got.insert(text(&prompt(pull.recv()).await.expect("recv"))[0].clone());
        }
        assert_eq!(got.len(), 5);
    }
    // PULL from two PUSHes.
    let pull = PullSocket::new(&rt(), fast());
    let endpoint = prompt(pull.bind("tcp://127.0.0.1:*")).await.expect("bind");
    let pushes = [
        PushSocket::new(&rt(), fast()),
        PushSocket::new(&rt(), fast()),
    ];
    for (i, p) in pushes.iter().enumerate() {
        p.connect(&endpoint).expect("connect");
        for n in 0..3 {
            prompt(p.send(msg(&[&format!("{i}:{n}")])))
                .await
                .expect("send");
        }
    }
    let mut got = Vec::new();
    for _ in 0..6 {
        got.push(text(&prompt(pull.recv()).await.expect("recv"))[0].clone());
    }
    got.sort();
    assert_eq!(got, ["0:0", "0:1", "0:2", "1:0", "1:1", "1:2"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_waits_at_the_high_water_mark() {
    let push = PushSocket::new(
        &rt(),
        Options {
            send_high_water_mark: 1,
            send_timeout: 0,
            ..fast()
        },
    );
    // No peer: a zero timeout fails at once, and nothing is dropped silently.
    let e = prompt(push.send(msg(&["x"]))).await.expect_err("no peer");
    assert_eq!(e.code.as_str(), "EAGAIN");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pair_talks_to_exactly_one_peer() {
    let a = PairSocket::new(&rt(), fast());
    let endpoint = prompt(a.bind("tcp://127.0.0.1:*")).await.expect("bind");
    let b = PairSocket::new(&rt(), fast());
    b.connect(&endpoint).expect("connect");
    prompt(b.send(msg(&["ping"]))).await.expect("send");
    assert_eq!(text(&prompt(a.recv()).await.expect("recv")), ["ping"]);
    prompt(a.send(msg(&["pong"]))).await.expect("send");
    assert_eq!(text(&prompt(b.recv()).await.expect("recv")), ["pong"]);
    let c = PairSocket::new(&rt(), fast());
    c.connect(&endpoint).expect("connect");
    let _ = c.send(msg(&["intruder"])).await;
    prompt(b.send(msg(&["again"]))).await.expect("send");
    assert_eq!(text(&prompt(a.recv()).await.expect("recv")), ["again"]);
    assert_eq!(a.peer_count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xsub_xpub_proxy_forwards_messages_and_subscriptions() {
    let (xsub, xpub) = (
        XSubSocket::new(&rt(), fast()),
        XPubSocket::new(&rt(), fast()),
    );
    let front = prompt(xsub.bind("tcp://127.0.0.1:*")).await.expect("bind");
    let back = prompt(xpub.bind("tcp://127.0.0.1:*")).await.expect("bind");
    let proxy = tokio::spawn(run_proxy(xsub.clone().into(), xpub.clone().into()));
    let publisher = PubSocket::new(&rt(), fast());
    publisher.connect(&front).expect("connect");
    let sub = SubSocket::new(&rt(), fast());
    sub.subscribe(b"a").expect("subscribe");
    sub.connect(&back).expect("connect");
    let got = first_received(&publisher, &sub, "a.1").await;
    assert_eq!(got[0], "a.1");
    xsub.close();
    prompt(proxy).await.expect("join").expect("proxy");
}

fn zmsg(parts: &[&str]) -> ZmqMessage {
    ZmqMessage::try_from(msg(parts)).expect("non-empty")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_pub_to_zmqrs_sub() {
    let publisher = PubSocket::new(&rt(), fast());
    let endpoint = prompt(publisher.bind("tcp://127.0.0.1:*"))
        .await
        .expect("bind");
    let mut sub = zeromq::SubSocket::new();
    prompt(sub.subscribe("z")).await.expect("subscribe");
    prompt(sub.connect(&endpoint)).await.expect("connect");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let feeder = {
        let (publisher, stop) = (publisher.clone(), stop.clone());
        tokio::spawn(async move {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let _ = publisher.send(msg(&["other", "no"])).await;
                let _ = publisher.send(msg(&["z.1", "yes"])).await;
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        })
    };
    let m = prompt(sub.recv()).await.expect("recv").into_vec();
    assert_eq!(text(&m), ["z.1", "yes"]);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    feeder.await.expect("feeder");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zmqrs_pub_to_our_sub() {
    let mut publisher = zeromq::PubSocket::new();
    let endpoint = prompt(publisher.bind("tcp://127.0.0.1:0"))
        .await
        .expect("bind")
        .to_string();
    let sub = SubSocket::new(&rt(), fast());
    sub.subscribe(b"z").expect("subscribe");
    sub.connect(&endpoint).expect("connect");
    let got = prompt(async {
        loop {
            let _ = publisher.send(zmsg(&["other"])).await;
            let _ = publisher.send(zmsg(&["z.2", "yes"])).await;
            if let Ok(Some(m)) = sub.try_recv() {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
    .await;
    assert_eq!(text(&got), ["z.2", "yes"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_push_to_zmqrs_pull_and_zmqrs_push_to_our_pull() {
    let push = PushSocket::new(&rt(), fast());
    let endpoint = prompt(push.bind("tcp://127.0.0.1:*")).await.expect("bind");
    let mut pull = zeromq::PullSocket::new();
    prompt(pull.connect(&endpoint)).await.expect("connect");
    prompt(push.send(msg(&["to", "zmq.rs"])))
        .await
        .expect("send");
    let m = prompt(pull.recv()).await.expect("recv").into_vec();
    assert_eq!(text(&m), ["to", "zmq.rs"]);

    let ours = PullSocket::new(&rt(), fast());
    let endpoint = prompt(ours.bind("tcp://127.0.0.1:*")).await.expect("bind");
    let mut theirs = zeromq::PushSocket::new();
    prompt(theirs.connect(&endpoint)).await.expect("connect");
    prompt(theirs.send(zmsg(&["from", "zmq.rs"])))
        .await
        .expect("send");
    assert_eq!(
        text(&prompt(ours.recv()).await.expect("recv")),
        ["from", "zmq.rs"]
    );
}

/// The next frame of a raw connection.
async fn next_frame(
    stream: &mut tokio::net::TcpStream,
    decoder: &mut zeromq_napi_engine::wire::codec::Decoder,
    buf: &mut bytes::BytesMut,
) -> zeromq_napi_engine::wire::codec::Frame {
    use tokio::io::AsyncReadExt;
    prompt(async {
        loop {
            if let Some(frame) = decoder.decode(buf).expect("valid frames") {
                return frame;
            }
            buf.reserve(4096);
            assert!(stream.read_buf(buf).await.expect("read") > 0, "closed");
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zmtp31_publisher_gets_subscribe_and_cancel_commands() {
    use zeromq_napi_engine::handshake::{handshake, HandshakeConfig};
    use zeromq_napi_engine::wire::codec::{Decoder, Frame};
    use zeromq_napi_engine::wire::command::Command;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("listen");
    let address = format!("tcp://{}", listener.local_addr().expect("address"));
    let sub = SubSocket::new(&rt(), fast());
    sub.subscribe(b"abc").expect("subscribe");
    sub.connect(&address).expect("connect");
    let (mut stream, _) = prompt(listener.accept()).await.expect("accept");
    let config = HandshakeConfig {
        socket_type: zeromq_napi_engine::SocketType::Pub,
        identity: None,
        as_server: true,
        timeout: Some(Duration::from_secs(5)),
        max_message_size: -1,
        max_command_size: zeromq_napi_engine::DEFAULT_MAX_COMMAND_SIZE,
    };
    let shaken = prompt(handshake(&mut stream, &config))
        .await
        .expect("handshake");
    let (mut decoder, mut buf) = (Decoder::new(-1), shaken.leftover);
    let command = |frame: Frame| match frame {
        Frame::Command(body) => Command::parse(&body).expect("command"),
        other => panic!("expected a command, got {other:?}"),
    };
    let first = command(next_frame(&mut stream, &mut decoder, &mut buf).await);
    assert_eq!(
        first,
        Command::Other {
            name: "SUBSCRIBE".into(),
            body: Bytes::from_static(b"abc")
        }
    );
    sub.unsubscribe(b"abc").expect("unsubscribe");
    let second = command(next_frame(&mut stream, &mut decoder, &mut buf).await);
    assert_eq!(
        second,
        Command::Other {
            name: "CANCEL".into(),
            body: Bytes::from_static(b"abc")
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xpub_reports_the_cancels_of_a_subscriber_that_left() {
    let xpub = XPubSocket::new(&rt(), fast());
    let endpoint = prompt(xpub.bind("tcp://127.0.0.1:*")).await.expect("bind");
    let (a, b) = (SubSocket::new(&rt(), fast()), SubSocket::new(&rt(), fast()));
    a.subscribe(b"shared").expect("subscribe");
    a.connect(&endpoint).expect("connect");
    assert_eq!(
        prompt(xpub.recv()).await.expect("recv"),
        vec![Bytes::from_static(b"\x01shared")]
    );
    b.subscribe(b"shared").expect("subscribe");
    b.subscribe(b"own").expect("subscribe");
    b.connect(&endpoint).expect("connect");
    assert_eq!(
        prompt(xpub.recv()).await.expect("recv"),
        vec![Bytes::from_static(b"\x01own")]
    );
    b.close();
    // Only what no one else has: "shared" stays subscribed through `a`.
    assert_eq!(
        prompt(xpub.recv()).await.expect("recv"),
        vec![Bytes::from_static(b"\x00own")]
    );
    a.close();
    assert_eq!(
        prompt(xpub.recv()).await.expect("recv"),
        vec![Bytes::from_static(b"\x00shared")]
    );
}

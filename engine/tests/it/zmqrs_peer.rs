//! Our sockets against an independent ZMTP implementation (the `zeromq` crate, zmq.rs), both ways.

use crate::common::*;
use zeromq::{Socket, SocketRecv, SocketSend, ZmqMessage};

fn zmsg(parts: &[&str]) -> ZmqMessage {
    let frames: Vec<bytes::Bytes> = msg(parts);
    ZmqMessage::try_from(frames).expect("non-empty")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_req_to_zmqrs_rep() {
    let mut server = zeromq::RepSocket::new();
    let endpoint = prompt(server.bind("tcp://127.0.0.1:0"))
        .await
        .expect("bind")
        .to_string();
    let task = tokio::spawn(async move {
        for _ in 0..3 {
            let request = server.recv().await.expect("recv");
            let mut frames = request.into_vec();
            frames.push(bytes::Bytes::from_static(b"+zmq.rs"));
            server
                .send(ZmqMessage::try_from(frames).expect("frames"))
                .await
                .expect("send");
        }
    });
    for correlate in [false, true, false] {
        let client = req(zeromq_napi_engine::Options {
            correlate,
            ..fast()
        });
        client.connect(&endpoint).expect("connect");
        let reply = prompt(client.request(&lend(&msg(&["hi", "there"])), None, 0))
            .await
            .expect("request");
        assert_eq!(text(&reply), ["hi", "there", "+zmq.rs"]);
        client.close();
    }
    prompt(task).await.expect("server");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zmqrs_req_to_our_rep() {
    let (_server, endpoint, _task) = echo_server("re:").await;
    let mut client = zeromq::ReqSocket::new();
    prompt(client.connect(&endpoint)).await.expect("connect");
    for i in 0..3 {
        let n = i.to_string();
        prompt(client.send(zmsg(&[&n, "x"]))).await.expect("send");
        let reply = prompt(client.recv()).await.expect("recv").into_vec();
        assert_eq!(text(&reply), [format!("re:{n}"), "re:x".to_owned()]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zmqrs_dealer_to_our_router() {
    let router = zeromq_napi_engine::RouterSocket::new(&tokio::runtime::Handle::current(), fast());
    let endpoint = prompt(router.bind("tcp://127.0.0.1:*"))
        .await
        .expect("bind");
    let mut dealer = zeromq::DealerSocket::new();
    prompt(dealer.connect(&endpoint)).await.expect("connect");
    prompt(dealer.send(zmsg(&["a", "b"]))).await.expect("send");
    let got = prompt(router.recv()).await.expect("recv");
    assert_eq!(text(&got[1..].to_vec()), ["a", "b"]);
    let mut reply = vec![got[0].clone()];
    reply.extend(msg(&["back"]));
    prompt(router.send(reply)).await.expect("send");
    assert_eq!(
        text(&prompt(dealer.recv()).await.expect("recv").into_vec()),
        ["back"]
    );
}

//! The synchronous fast paths the addon uses: try_send writes from the calling thread when it can
//! (and hands the message back when it would have to wait); try_recv returns a queued message.

use crate::common::*;
use bytes::Bytes;
use zeromq_napi_engine::ErrorCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn try_send_and_try_recv_round_trip() {
    let server = rep(fast());
    let endpoint = prompt(server.bind("tcp://127.0.0.1:*"))
        .await
        .expect("bind");
    let client = req(fast());
    // No peer yet: the message comes back untouched and the state is unchanged.
    assert_eq!(
        client.try_send(&lend(&msg(&["q"]))).expect("try_send"),
        TrySend::Wait
    );
    assert_eq!(client.try_recv().map_err(|e| e.code), Err(ErrorCode::Efsm));
    assert_eq!(server.try_recv().expect("try_recv"), None);
    assert_eq!(
        server.try_send(&lend(&msg(&["x"]))).map_err(|e| e.code),
        Err(ErrorCode::Efsm)
    );

    client.connect(&endpoint).expect("connect");
    until(|| client.peer_count() == 1).await;
    for round in 0..50 {
        let big = Bytes::from(vec![round as u8; 100_000]);
        let request = vec![Bytes::from(format!("q{round}")), big.clone()];
        assert_eq!(
            client.try_send(&lend(&request)).expect("try_send"),
            TrySend::Sent,
            "sent at once"
        );
        assert_eq!(
            client.try_send(&lend(&msg(&["again"]))).map_err(|e| e.code),
            Err(ErrorCode::Efsm)
        );
        let mut got = None;
        until(|| {
            got = server.try_recv().expect("try_recv");
            got.is_some()
        })
        .await;
        let got = got.expect("request");
        assert_eq!(got[0], format!("q{round}").as_bytes());
        assert_eq!(got[1], big);
        assert_eq!(server.try_recv().map_err(|e| e.code), Err(ErrorCode::Efsm));
        assert_eq!(
            server
                .try_send(&lend(&vec![got[1].clone()]))
                .expect("try_send"),
            TrySend::Sent
        );
        let mut reply = None;
        until(|| {
            reply = client.try_recv().expect("try_recv");
            reply.is_some()
        })
        .await;
        assert_eq!(reply.expect("reply"), vec![big]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn try_recv_request_serves_out_of_order() {
    let server = rep(fast());
    let endpoint = prompt(server.bind("tcp://127.0.0.1:*"))
        .await
        .expect("bind");
    assert!(server.try_recv_request().expect("nothing queued").is_none());
    let clients: Vec<_> = (0..3)
        .map(|_| {
            let c = req(fast());
            c.connect(&endpoint).expect("connect");
            c
        })
        .collect();
    until(|| server.peer_count() == 3).await;
    for (i, c) in clients.iter().enumerate() {
        prompt(c.send(msg(&[&format!("q{i}")])))
            .await
            .expect("send");
    }
    let mut owed = Vec::new();
    until(|| {
        if let Some(request) = server.try_recv_request().expect("try_recv_request") {
            owed.push(request);
        }
        owed.len() == 3
    })
    .await;
    // No alternation state: more receives are allowed before any reply, and nothing is left.
    assert!(server.try_recv_request().expect("empty").is_none());
    assert_eq!(server.try_recv().expect("try_recv"), None);
    // Replies in reverse order, each to the client that asked.
    for (to, body) in owed.into_iter().rev() {
        let mut reply = msg(&["re:"]);
        reply.extend(body);
        prompt(server.reply(to, reply)).await.expect("reply");
    }
    for (i, c) in clients.iter().enumerate() {
        let got = prompt(c.recv()).await.expect("recv");
        assert_eq!(text(&got), ["re:".to_owned(), format!("q{i}")]);
    }
    // A pending receive makes the fast path EBUSY, like a second receive.
    let pending = {
        let server = server.clone();
        tokio::spawn(async move { server.recv_request().await.map(|_| ()) })
    };
    until(|| {
        server
            .try_recv_request()
            .is_err_and(|e| e.code == ErrorCode::Ebusy)
    })
    .await;
    server.close();
    assert_eq!(
        prompt(pending).await.expect("join").map_err(|e| e.code),
        Err(ErrorCode::Eagain)
    );
    assert_eq!(
        server.try_recv_request().map(|_| ()).map_err(|e| e.code),
        Err(ErrorCode::Ebadf)
    );
}

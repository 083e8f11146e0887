//! The synchronous fast paths the addon uses: try_send writes from the calling thread when it can
//! (and hands the message back when it would have to wait); try_recv returns a queued message.

mod common;

use bytes::Bytes;
use common::*;
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
        client.try_send(msg(&["q"])).expect("try_send"),
        Some(msg(&["q"]))
    );
    assert_eq!(client.try_recv().map_err(|e| e.code), Err(ErrorCode::Efsm));
    assert_eq!(server.try_recv().expect("try_recv"), None);
    assert_eq!(
        server.try_send(msg(&["x"])).map_err(|e| e.code),
        Err(ErrorCode::Efsm)
    );

    client.connect(&endpoint).expect("connect");
    until(|| client.peer_count() == 1).await;
    for round in 0..50 {
        let big = Bytes::from(vec![round as u8; 100_000]);
        let request = vec![Bytes::from(format!("q{round}")), big.clone()];
        assert_eq!(
            client.try_send(request).expect("try_send"),
            None,
            "sent at once"
        );
        assert_eq!(
            client.try_send(msg(&["again"])).map_err(|e| e.code),
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
            server.try_send(vec![got[1].clone()]).expect("try_send"),
            None
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

//! `disconnect` takes that endpoint's peers out of the round-robin before it returns: a request
//! sent right after it never goes to the disconnected server (which would lose it, and fail the
//! receive with EAGAIN when that connection's task caught up).

use crate::common::*;
use zeromq_napi_engine::ReqSocket;

/// Connects `endpoint_b` next to an existing `A` server, disconnects it again and sends at once,
/// `rounds` times; every reply must come from `A`. On odd rounds one request goes first, so the
/// round-robin points at either server when the disconnect happens.
async fn disconnect_then_send(client: &ReqSocket, endpoint_b: &str, rounds: usize) {
    for round in 0..rounds {
        client.connect(endpoint_b).expect("connect");
        until(|| client.peer_count() == 2).await;
        if round % 2 == 1 {
            prompt(client.send(msg(&["warm-up"]))).await.expect("send");
            prompt(client.recv()).await.expect("recv");
        }
        client.disconnect(endpoint_b).expect("disconnect");
        assert_eq!(client.peer_count(), 1, "round {round}: still counted");
        let body = format!("r{round}");
        // The synchronous fast path first: with nothing else running in between, it shows the
        // state `disconnect` left behind.
        let message = msg(&[&body]);
        if client.try_send(&lend(&message)).expect("try_send") == TrySend::Wait {
            prompt(client.send(message)).await.expect("send");
        }
        let reply = prompt(client.recv())
            .await
            .unwrap_or_else(|e| panic!("round {round}: {e:?}"));
        assert_eq!(text(&reply), [format!("A:{body}")], "round {round}");
    }
}

#[tokio::test]
async fn disconnect_is_synchronous_on_one_thread() {
    let (_server_a, endpoint_a, _ta) = echo_server("A:").await;
    let (_server_b, endpoint_b, _tb) = echo_server("B:").await;
    let client = req(fast());
    client.connect(&endpoint_a).expect("connect");
    until(|| client.peer_count() == 1).await;
    disconnect_then_send(&client, &endpoint_b, 200).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect_is_synchronous_across_threads() {
    let (_server_a, endpoint_a, _ta) = echo_server("A:").await;
    let (_server_b, endpoint_b, _tb) = echo_server("B:").await;
    let client = req(fast());
    client.connect(&endpoint_a).expect("connect");
    until(|| client.peer_count() == 1).await;
    disconnect_then_send(&client, &endpoint_b, 200).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unbind_drops_its_peers_at_once() {
    // A REQ that binds, with servers connecting to it: unbind must stop using them at once too.
    let client = req(fast());
    let endpoint_a = prompt(client.bind("tcp://127.0.0.1:*"))
        .await
        .expect("bind");
    let endpoint_b = prompt(client.bind("tcp://127.0.0.1:*"))
        .await
        .expect("bind");
    let server_a = rep(fast());
    server_a.connect(&endpoint_a).expect("connect");
    let server_b = rep(fast());
    server_b.connect(&endpoint_b).expect("connect");
    let _ta = tokio::spawn(serve_echo(server_a.clone(), "A:"));
    let _tb = tokio::spawn(serve_echo(server_b.clone(), "B:"));
    until(|| client.peer_count() == 2).await;
    // Point the round-robin at B whichever joined first.
    prompt(client.send(msg(&["x"]))).await.expect("send");
    let first = text(&prompt(client.recv()).await.expect("recv"));
    if first[0].starts_with("B:") {
        prompt(client.send(msg(&["y"]))).await.expect("send");
        prompt(client.recv()).await.expect("recv");
    }
    prompt(client.unbind(&endpoint_b)).await.expect("unbind");
    assert_eq!(client.peer_count(), 1);
    for i in 0..4 {
        prompt(client.send(msg(&[&i.to_string()])))
            .await
            .expect("send");
        assert_eq!(
            text(&prompt(client.recv()).await.expect("recv")),
            [format!("A:{i}")]
        );
    }
}

//! close() with linger: queued outgoing messages keep draining in the background for `linger` ms
//! (-1 = until delivered), or are dropped at once with 0.

use crate::common::*;
use bytes::Bytes;
use tokio::runtime::Handle;
use zeromq_napi_engine::{DealerSocket, ErrorCode, Options, RouterSocket};

const COUNT: usize = 64;
// 64 MiB in all: far more than loopback socket buffers hold (they grow to several MiB under
// autotuning), so with linger 0 some of it is still queued on our side at close.
const SIZE: usize = 1024 * 1024;

/// Sends COUNT large messages to a receiver that is not reading (so most stay queued on our
/// side), closes the sender with `linger`, then counts what the receiver gets.
async fn delivered_after_close(linger: i64) -> usize {
    let receiver = RouterSocket::new(
        &Handle::current(),
        Options {
            receive_high_water_mark: 1,
            receive_timeout: 300,
            ..fast()
        },
    );
    let endpoint = prompt(receiver.bind("tcp://127.0.0.1:*"))
        .await
        .expect("bind");
    let sender = DealerSocket::new(&Handle::current(), Options { linger, ..fast() });
    sender.connect(&endpoint).expect("connect");
    let body = Bytes::from(vec![7u8; SIZE]);
    for _ in 0..COUNT {
        prompt(sender.send(vec![body.clone()])).await.expect("send");
    }
    sender.close();
    let mut count = 0;
    loop {
        match receiver.recv().await {
            Ok(m) => {
                assert_eq!(m[1].len(), SIZE);
                count += 1;
                if count == COUNT {
                    return count;
                }
            }
            Err(e) => {
                assert_eq!(e.code, ErrorCode::Eagain);
                return count;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linger_delivers_queued_messages_after_close() {
    assert_eq!(delivered_after_close(5000).await, COUNT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn infinite_linger_delivers_everything() {
    assert_eq!(delivered_after_close(-1).await, COUNT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zero_linger_drops_the_queue() {
    let count = delivered_after_close(0).await;
    assert!(count < COUNT, "all {count} delivered despite linger 0");
}

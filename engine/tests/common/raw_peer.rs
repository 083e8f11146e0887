//! Raw ZMTP peers: a hand-driven connection to an engine socket, to send what a real peer would
//! not (or would at the wrong time) and to see exactly what the engine writes.

use super::*;
use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use zeromq_napi_engine::handshake::{handshake, HandshakeConfig};
use zeromq_napi_engine::wire::codec::{Decoder, Frame};
use zeromq_napi_engine::wire::command::Command;
use zeromq_napi_engine::wire::greeting::{Greeting, GREETING_LEN};
use zeromq_napi_engine::SocketType;

/// Greeting + READY as a REQ: after these bytes the server is in the data phase with us.
pub fn handshake_bytes() -> Vec<u8> {
    let mut v = Greeting::new("NULL", false).encode().to_vec();
    v.extend_from_slice(&ready_bytes("REQ"));
    v
}

/// A LONG frame header announcing `size` bytes.
pub fn long_header(size: u64) -> Vec<u8> {
    let mut h = vec![0x02u8];
    h.extend_from_slice(&size.to_be_bytes());
    h
}

/// A raw TCP connection to `endpoint` that has written `bytes`.
pub async fn raw_peer(endpoint: &str, bytes: &[u8]) -> TcpStream {
    let addr = endpoint.strip_prefix("tcp://").expect("tcp endpoint");
    let mut s = prompt(TcpStream::connect(addr)).await.expect("connect");
    s.write_all(bytes).await.expect("write");
    s
}

/// Writes `wire` in pieces of the sizes in `steps` (repeated as needed), pausing 1 ms before every
/// `pause_every`-th piece after the first, so that the pieces arrive as separate reads.
pub async fn write_in_pieces(
    stream: &mut TcpStream,
    wire: &[u8],
    steps: &[usize],
    pause_every: usize,
) {
    let mut at = 0;
    for (i, step) in steps.iter().cycle().enumerate() {
        if at >= wire.len() {
            break;
        }
        let end = (at + step).min(wire.len());
        stream.write_all(&wire[at..end]).await.expect("write");
        at = end;
        if i % pause_every == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
    }
}

/// Reads (and discards) until the server closes the connection.
pub async fn closed_by_server(stream: &mut TcpStream) {
    let mut sink = vec![0u8; 4096];
    prompt(async {
        loop {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
}

/// A raw ZMTP peer for tests: a stream plus a frame decoder.
pub struct RawPeer {
    pub stream: TcpStream,
    pub decoder: Decoder,
    pub buf: BytesMut,
}

impl RawPeer {
    /// Connects and completes a 3.1 handshake as a REQ.
    pub async fn connect31(endpoint: &str) -> RawPeer {
        let addr = endpoint.strip_prefix("tcp://").expect("tcp endpoint");
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        let config = HandshakeConfig {
            socket_type: SocketType::Req,
            identity: None,
            as_server: false,
            timeout: Some(Duration::from_secs(5)),
            max_message_size: -1,
            max_command_size: zeromq_napi_engine::DEFAULT_MAX_COMMAND_SIZE,
        };
        let shaken = handshake(&mut stream, &config).await.expect("handshake");
        RawPeer {
            stream,
            decoder: Decoder::new(-1),
            buf: shaken.leftover,
        }
    }

    /// Connects with a hand-made ZMTP 3.0 greeting (no PING/PONG in 3.0).
    pub async fn connect30(endpoint: &str) -> RawPeer {
        let addr = endpoint.strip_prefix("tcp://").expect("tcp endpoint");
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        let mut greeting = Greeting::new("NULL", false);
        greeting.minor = 0;
        stream
            .write_all(&greeting.encode())
            .await
            .expect("greeting");
        let mut metadata = Metadata::new();
        metadata.insert("Socket-Type", Bytes::from_static(b"REQ"));
        let mut ready = BytesMut::new();
        Command::Ready(metadata).encode(&mut ready);
        stream.write_all(&ready).await.expect("ready");
        let mut theirs = [0u8; GREETING_LEN];
        stream
            .read_exact(&mut theirs)
            .await
            .expect("their greeting");
        let mut peer = RawPeer {
            stream,
            decoder: Decoder::new(-1),
            buf: BytesMut::new(),
        };
        match peer.next_frame().await {
            Some(Frame::Command(body)) => {
                assert!(matches!(Command::parse(&body), Ok(Command::Ready(_))));
            }
            other => panic!("expected READY, got {other:?}"),
        }
        peer
    }

    /// The next frame, or None at end of stream.
    pub async fn next_frame(&mut self) -> Option<Frame> {
        loop {
            if let Some(frame) = self.decoder.decode(&mut self.buf).expect("valid frames") {
                return Some(frame);
            }
            self.buf.reserve(4096);
            match self.stream.read_buf(&mut self.buf).await {
                Ok(0) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }

    pub async fn send_command(&mut self, command: Command) {
        let mut out = BytesMut::new();
        command.encode(&mut out);
        self.stream.write_all(&out).await.expect("write");
    }
}

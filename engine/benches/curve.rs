//! The CURVE data phase alone, no sockets: a MESSAGE box sealed into a write buffer and opened as
//! the reader gets it (a frame owning its buffer), for 16 B, 64 KiB and 1 MiB bodies. Sealing
//! and opening alternate, as on a connection: sealing reuses its buffer as a connection's
//! scratch is reused, opening gets a buffer of its own each time as a large frame read does. Prints, per box, the
//! median and the fastest over batches of the mean time per box (on a shared machine the fastest
//! batch is the steadier number).
//!
//! `cargo bench -p zeromq-napi-engine --bench curve`; BENCH_QUICK=1 for a short run,
//! BENCH_SIZES=65536,1048576 for other sizes.

use bytes::{Bytes, BytesMut};
use std::time::{Duration, Instant};
use zeromq_napi_engine::wire::codec::{Decoder, Frame};
use zeromq_napi_engine::wire::command::Metadata;
use zeromq_napi_engine::wire::security::{CurveKeyPair, FrameOpener, FrameSealer, Security};

fn metadata(socket_type: &'static str) -> Metadata {
    let mut m = Metadata::new();
    m.insert("Socket-Type", Bytes::from_static(socket_type.as_bytes()));
    m
}

/// A genuine CURVE handshake in memory; the client's sealer and the server's opener.
fn halves() -> (FrameSealer, FrameOpener) {
    let server = CurveKeyPair::generate().expect("keys");
    let client = CurveKeyPair::generate().expect("keys");
    let mut c = Security::curve_client(client.secret, None, server.public)
        .expect("client")
        .mechanism(metadata("REQ"), false)
        .expect("client mechanism");
    let mut s = Security::curve_server(server.secret)
        .mechanism(metadata("REP"), false)
        .expect("server mechanism");
    loop {
        let mut moved = false;
        while let Some(cmd) = c.next_command().expect("client") {
            moved = true;
            s.process_command(cmd).expect("server");
        }
        while let Some(cmd) = s.next_command().expect("server") {
            moved = true;
            c.process_command(cmd).expect("client");
        }
        if !moved {
            break;
        }
    }
    let (sealer, _) = c.into_data_phase().expect("client ready");
    let (_, opener) = s.into_data_phase().expect("server ready");
    (sealer, opener)
}

/// The median and the fastest.
fn median_min(mut xs: Vec<Duration>) -> (Duration, Duration) {
    xs.sort();
    (xs[xs.len() / 2], xs[0])
}

fn main() {
    let quick = std::env::var_os("BENCH_QUICK").is_some();
    let sizes: Vec<usize> = std::env::var("BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![16, 64 * 1024, 1024 * 1024]);
    let batches = if quick { 5 } else { 21 };
    let (mut sealer, mut opener) = halves();
    let mut decoder = Decoder::new(-1);
    // Reused as a connection reuses its scratch: once the frame split off it is dropped, the
    // next seal gets the same (mapped, warm) memory.
    let mut wire = BytesMut::new();
    println!("size       seal med/min (us)    open med/min (us)   seal MB/s  open MB/s (min)");
    for &size in &sizes {
        let body = Bytes::from(vec![0x5au8; size]);
        let per_batch = ((64usize << 20) / size.max(4096)).clamp(8, 20_000);
        let per_batch = if quick { per_batch / 4 + 1 } else { per_batch };
        let mut seal_times = Vec::with_capacity(batches);
        let mut open_times = Vec::with_capacity(batches);
        for _ in 0..batches {
            let mut sealing = Duration::ZERO;
            let mut opening = Duration::ZERO;
            for _ in 0..per_batch {
                let t = Instant::now();
                sealer
                    .seal_into(&body, false, false, &mut wire)
                    .expect("seal");
                sealing += t.elapsed();
                // As the reader hands a large frame over: a body that owns its buffer.
                let frame = decoder.decode(&mut wire).expect("valid").expect("whole");
                let frame = match frame {
                    Frame::Data { more, body } => Frame::Data {
                        more,
                        body: Bytes::from(body.to_vec()),
                    },
                    other => other,
                };
                let t = Instant::now();
                let opened = opener.open(frame).expect("open");
                opening += t.elapsed();
                match opened {
                    Frame::Data { body: got, .. } => assert_eq!(got.len(), size),
                    Frame::Command(_) => panic!("a data frame came back as a command"),
                }
            }
            seal_times.push(sealing / per_batch as u32);
            open_times.push(opening / per_batch as u32);
        }
        let (seal, seal_min) = median_min(seal_times);
        let (open, open_min) = median_min(open_times);
        let us = |d: Duration| d.as_secs_f64() * 1e6;
        let mbps = |d: Duration| size as f64 / d.as_secs_f64() / 1e6;
        println!(
            "{size:<10} {:>9.2} {:>9.2}  {:>9.2} {:>9.2}  {:>10.0} {:>10.0}",
            us(seal),
            us(seal_min),
            us(open),
            us(open_min),
            mbps(seal_min),
            mbps(open_min)
        );
    }
}

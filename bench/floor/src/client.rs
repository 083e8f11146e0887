//! Client mode: `conns` connections, each doing `warmup` then `iters` strictly sequential round trips.
//! Prints one JSON line: wall time of the measured part, and (for one connection) every round trip in ns.

use crate::wire::{peak_rss_kib, Frame};
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Instant;

#[derive(Clone, Debug)]
pub enum Target {
    Tcp(String),
    Unix(String),
}

pub struct Plan {
    pub target: Target,
    pub size: usize,
    pub iters: usize,
    pub warmup: usize,
    pub conns: usize,
}

trait Stream: Read + Write + Send {}
impl<T: Read + Write + Send> Stream for T {}

fn open(target: &Target) -> io::Result<Box<dyn Stream>> {
    Ok(match target {
        Target::Tcp(addr) => {
            let s = TcpStream::connect(addr)?;
            s.set_nodelay(true)?;
            Box::new(s)
        }
        Target::Unix(path) => Box::new(UnixStream::connect(path)?),
    })
}

fn round_trip(stream: &mut dyn Stream, out: &Frame, back: &mut Frame) -> io::Result<()> {
    out.write_to(stream)?;
    if !back.read_from(stream)? || back.payload_len() != out.payload_len() {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "bad echo"));
    }
    Ok(())
}

/// One connection's work; waits on `start` after warming up so every connection measures together.
/// Returns per-round-trip ns when `keep_samples`.
fn worker(plan: &Plan, start: &Barrier, keep_samples: bool) -> io::Result<Vec<u64>> {
    let mut stream = open(&plan.target)?;
    let out = Frame::with_payload(plan.size);
    let mut back = Frame::with_payload(plan.size);
    for _ in 0..plan.warmup {
        round_trip(&mut *stream, &out, &mut back)?;
    }
    start.wait();
    let mut samples = Vec::with_capacity(if keep_samples { plan.iters } else { 0 });
    for _ in 0..plan.iters {
        let t = Instant::now();
        round_trip(&mut *stream, &out, &mut back)?;
        if keep_samples {
            samples.push(t.elapsed().as_nanos() as u64);
        }
    }
    Ok(samples)
}

pub fn run(plan: Plan) -> io::Result<()> {
    let plan = Arc::new(plan);
    // The main thread joins the barrier too, so it can start the clock when every worker is warm.
    let start = Arc::new(Barrier::new(plan.conns + 1));
    let keep = plan.conns == 1;
    let handles: Vec<_> = (0..plan.conns)
        .map(|_| {
            let (plan, start) = (plan.clone(), start.clone());
            thread::spawn(move || worker(&plan, &start, keep))
        })
        .collect();
    start.wait();
    let t0 = Instant::now();
    let mut samples = Vec::new();
    for h in handles {
        let s = h
            .join()
            .map_err(|_| io::Error::other("worker panicked"))??;
        samples.extend(s);
    }
    let elapsed = t0.elapsed().as_nanos();
    let list: Vec<String> = samples.iter().map(u64::to_string).collect();
    println!(
        "{{\"elapsedNs\":{elapsed},\"roundTrips\":{},\"samplesNs\":[{}],\"maxRssKiB\":{}}}",
        plan.conns * plan.iters,
        list.join(","),
        peak_rss_kib()
    );
    Ok(())
}

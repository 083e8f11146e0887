//! Server mode: echo every message back on the connection it came from, one thread per connection
//! (blocking I/O: the cheapest possible path from one read to the next write).

use crate::wire::{peak_rss_kib, Frame};
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::thread;

fn echo<S: Read + Write>(mut stream: S) {
    let mut frame = Frame::empty();
    // Any error (the client went away) just ends this connection.
    while let Ok(true) = frame.read_from(&mut stream) {
        if frame.write_to(&mut stream).is_err() {
            break;
        }
    }
}

fn serve_tcp(listener: TcpListener) {
    for stream in listener.incoming().flatten() {
        let _ = stream.set_nodelay(true);
        thread::spawn(move || echo::<TcpStream>(stream));
    }
}

fn serve_unix(listener: UnixListener) {
    for stream in listener.incoming().flatten() {
        thread::spawn(move || echo::<UnixStream>(stream));
    }
}

/// Listens on an ephemeral loopback port and on `unix_path`, prints both as one JSON line, serves
/// until stdin closes (the parent's way to stop it), then prints its peak RSS as a second JSON line.
pub fn run(unix_path: PathBuf) -> io::Result<()> {
    let tcp = TcpListener::bind("127.0.0.1:0")?;
    let tcp_addr = tcp.local_addr()?;
    let _ = std::fs::remove_file(&unix_path);
    let unix = UnixListener::bind(&unix_path)?;
    thread::spawn(move || serve_tcp(tcp));
    thread::spawn(move || serve_unix(unix));

    println!(
        "{{\"tcp\":\"{tcp_addr}\",\"unix\":{:?}}}",
        unix_path.display().to_string()
    );
    io::stdout().flush()?;

    let mut sink = Vec::new();
    let _ = io::stdin().read_to_end(&mut sink);
    let _ = std::fs::remove_file(&unix_path);
    println!("{{\"maxRssKiB\":{}}}", peak_rss_kib());
    Ok(())
}

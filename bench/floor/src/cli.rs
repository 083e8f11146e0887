//! The command line of `tcp-floor` (see `main.rs`).

use crate::{client, server};
use std::process::ExitCode;

fn usage() -> ExitCode {
    eprintln!(
        "usage: tcp-floor server --unix PATH\n       \
         tcp-floor client (--tcp HOST:PORT | --unix PATH) --size N --iters N [--warmup N] [--conns N]"
    );
    ExitCode::from(2)
}

/// `--name value` pairs after the mode.
fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

fn number(args: &[String], name: &str, default: Option<usize>) -> Option<usize> {
    match flag(args, name) {
        Some(v) => v.parse().ok(),
        None => default,
    }
}

pub fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("server") => match flag(&args, "--unix") {
            Some(path) => server::run(path.into()),
            None => return usage(),
        },
        Some("client") => {
            let target = match (flag(&args, "--tcp"), flag(&args, "--unix")) {
                (Some(a), None) => client::Target::Tcp(a.to_owned()),
                (None, Some(p)) => client::Target::Unix(p.to_owned()),
                _ => return usage(),
            };
            let (Some(size), Some(iters), Some(warmup), Some(conns)) = (
                number(&args, "--size", None),
                number(&args, "--iters", None),
                number(&args, "--warmup", Some(100)),
                number(&args, "--conns", Some(1)),
            ) else {
                return usage();
            };
            if conns == 0 {
                return usage();
            }
            client::run(client::Plan {
                target,
                size,
                iters,
                warmup,
                conns,
            })
        }
        _ => return usage(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tcp-floor: {e}");
            ExitCode::FAILURE
        }
    }
}

//! DEALER and ROUTER against a real ZMTP 2.0 peer: JeroMQ 0.3.x (Debian's `libjeromq-java`),
//! over tcp loopback both ways. The Java peers (`tests/jeromq/*.java`) are compiled into a temp
//! dir with `javac -cp jeromq.jar`. Without Java or JeroMQ these tests skip, saying which package
//! is missing (on stderr, which libtest does not capture), and fail when `CI=true` (.ci/run installs them).
//! (REQ/REP against JeroMQ is in `__test__/jeromq.test.ts`, through the addon.)

use crate::common::*;
use bytes::Bytes;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use tokio::runtime::Handle;
use tokio::sync::mpsc;
use zeromq_napi_engine::{DealerSocket, Message, Options, RouterSocket};

const INSTALL: &str = "apt-get install libjeromq-java default-jdk-headless";

fn jar() -> PathBuf {
    std::env::var_os("ZEROMQ_NAPI_JEROMQ_JAR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/share/java/jeromq.jar"))
}

fn works(tool: &str) -> bool {
    Command::new(tool)
        .arg("-version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The compiled Java peers; the directory goes away with it.
struct Classes {
    dir: PathBuf,
    classpath: String,
}

impl Classes {
    /// The compiled peers, or None (after saying why) where Java or JeroMQ is missing and CI is not
    /// set: a bare `cargo test` passes, CI's run cannot silently skip.
    fn compile(name: &str) -> Option<Classes> {
        let jar = jar();
        let mut missing = Vec::new();
        if !jar.is_file() {
            missing.push(format!("no {} (package libjeromq-java)", jar.display()));
        }
        for tool in ["java", "javac"] {
            if !works(tool) {
                missing.push(format!(
                    "no working `{tool}` (package default-jdk-headless)"
                ));
            }
        }
        if !missing.is_empty() {
            let why = format!(
                "the JeroMQ (ZMTP 2.0) interop tests need Java and JeroMQ 0.3.x: {}: {INSTALL}",
                missing.join("; ")
            );
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{why} (CI=true)"
            );
            let _ = writeln!(std::io::stderr(), "skipped: jeromq::{name}: {why}");
            return None;
        }
        let dir = std::env::temp_dir().join(format!("zmqn-jeromq-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let sources = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/jeromq");
        let mut javac = Command::new("javac");
        javac.arg("-d").arg(&dir).arg("-cp").arg(&jar);
        for entry in std::fs::read_dir(&sources).expect("tests/jeromq") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "java") {
                javac.arg(path);
            }
        }
        let out = javac.output().expect("javac runs");
        assert!(
            out.status.success(),
            "javac failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let classpath = std::env::join_paths([&dir, &jar])
            .expect("classpath")
            .to_string_lossy()
            .into_owned();
        Some(Classes { dir, classpath })
    }

    fn run(&self, main: &str, args: &[&str]) -> Java {
        let mut child = Command::new("java")
            .arg("-cp")
            .arg(&self.classpath)
            .arg(main)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("java starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = mpsc::unbounded_channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Java { child, lines }
    }
}

impl Drop for Classes {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A running Java peer and its stdout lines.
struct Java {
    child: Child,
    lines: mpsc::UnboundedReceiver<String>,
}

impl Java {
    /// The rest of the first line starting with `prefix` (earlier lines are skipped).
    async fn line(&mut self, prefix: &str) -> String {
        loop {
            let line = prompt(self.lines.recv())
                .await
                .unwrap_or_else(|| panic!("java exited before printing {prefix:?}"));
            if let Some(rest) = line.strip_prefix(prefix) {
                return rest.to_owned();
            }
        }
    }

    async fn exit_code(mut self) -> Option<i32> {
        let status = tokio::task::spawn_blocking(move || self.child.wait());
        prompt(status).await.expect("join").expect("wait").code()
    }
}

impl Drop for Java {
    fn drop(&mut self) {
        // Only if a test failed midway; a finished peer has exited already.
        let _ = self.child.kill();
    }
}

fn unhex(s: &str) -> Bytes {
    let digits: Vec<u8> = s
        .bytes()
        .map(|c| match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => panic!("not hex: {c}"),
        })
        .collect();
    digits.chunks(2).map(|p| p[0] << 4 | p[1]).collect()
}

/// The frames of a "REPLY" line.
fn frames(line: &str) -> Message {
    line.split(',').map(unhex).collect()
}

fn big() -> Bytes {
    (0..100_000u32).map(|i| (i % 251) as u8).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_dealer_to_a_jeromq_router() {
    let Some(classes) = Classes::compile("our_dealer_to_a_jeromq_router") else {
        return;
    };
    let mut router = classes.run("JeromqRouter", &[]);
    let port = router.line("PORT ").await;
    let dealer = DealerSocket::new(
        &Handle::current(),
        Options {
            routing_id: Some(Bytes::from_static(b"our-dealer")),
            ..fast()
        },
    );
    dealer
        .connect(&format!("tcp://127.0.0.1:{port}"))
        .expect("connect");
    prompt(dealer.send(msg(&["hello"]))).await.expect("send");
    assert_eq!(
        unhex(&router.line("FROM ").await).as_ref(),
        b"our-dealer",
        "JeroMQ routes by our routing id"
    );
    assert_eq!(
        text(&prompt(dealer.recv()).await.expect("recv")),
        ["jeromq", "hello"]
    );
    let big = big();
    prompt(dealer.send(vec![big.clone(), Bytes::new(), Bytes::from_static(b"tail")]))
        .await
        .expect("send");
    let back = prompt(dealer.recv()).await.expect("recv");
    assert_eq!(back.len(), 4);
    assert_eq!(back[1], big, "100000 bytes through JeroMQ and back");
    assert!(back[2].is_empty());
    assert_eq!(back[3].as_ref(), b"tail");
    prompt(dealer.send(msg(&["STOP"]))).await.expect("send");
    assert_eq!(
        text(&prompt(dealer.recv()).await.expect("recv")),
        ["jeromq", "STOP"]
    );
    assert_eq!(router.exit_code().await, Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jeromq_dealer_to_our_router() {
    let Some(classes) = Classes::compile("a_jeromq_dealer_to_our_router") else {
        return;
    };
    let router = RouterSocket::new(&Handle::current(), fast());
    let endpoint = prompt(router.bind("tcp://127.0.0.1:*"))
        .await
        .expect("bind");
    let mut dealer = classes.run("JeromqDealer", &[&endpoint, "jeromq-dealer"]);
    let big = big();
    let expected: [Message; 3] = [
        msg(&["hello"]),
        msg(&["a", "", "c"]),
        vec![big.clone(), Bytes::from_static(b"tail")],
    ];
    for want in &expected {
        let got = prompt(router.recv()).await.expect("recv");
        assert_eq!(
            got[0].as_ref(),
            b"jeromq-dealer",
            "its identity is the routing id"
        );
        assert_eq!(&got[1..], &want[..]);
        let mut reply = vec![got[0].clone(), Bytes::from_static(b"re")];
        reply.extend_from_slice(&got[1..]);
        prompt(router.send(reply)).await.expect("send");
        let mut echoed = msg(&["re"]);
        echoed.extend_from_slice(want);
        assert_eq!(frames(&dealer.line("REPLY ").await), echoed);
    }
    assert_eq!(dealer.exit_code().await, Some(0));
}

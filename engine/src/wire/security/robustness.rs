//! Whatever a peer sends, at any point of any mechanism's handshake or data phase, is an error or
//! is accepted, never a panic. Inputs are raw bytes and damaged copies of genuine commands (raw
//! bytes alone rarely get past a command's name).

use super::testing::local;
use super::{CurveKeyPair, Security};
use crate::wire::codec::Frame;
use crate::wire::mechanism::{Mechanism, MechanismStatus};
use bytes::Bytes;
use proptest::prelude::*;
use proptest::sample::Index;

type Pair = (Box<dyn Mechanism>, Box<dyn Mechanism>);

fn pair(kind: usize, authenticate: bool) -> Pair {
    let (client, server) = match kind {
        0 => {
            let server = CurveKeyPair::generate().unwrap();
            let client = CurveKeyPair::generate().unwrap();
            (
                Security::curve_client(client.secret, None, server.public).unwrap(),
                Security::curve_server(server.secret),
            )
        }
        1 => (
            Security::plain_client(b"user", b"pass").unwrap(),
            Security::PlainServer,
        ),
        _ => (Security::Null, Security::Null),
    };
    (
        client
            .mechanism(local("DEALER", Some(b"id")), false)
            .unwrap(),
        server
            .mechanism(local("ROUTER", None), authenticate)
            .unwrap(),
    )
}

#[derive(Debug, Clone)]
enum Input {
    Raw(Vec<u8>),
    /// A transcript command, with bytes replaced and maybe cut or extended.
    Mutated {
        which: Index,
        edits: Vec<(Index, u8)>,
        cut: Option<Index>,
        extra: Vec<u8>,
    },
}

fn input() -> impl Strategy<Value = Input> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..300).prop_map(Input::Raw),
        (
            any::<Index>(),
            proptest::collection::vec((any::<Index>(), any::<u8>()), 0..4),
            proptest::option::of(any::<Index>()),
            proptest::collection::vec(any::<u8>(), 0..3),
        )
            .prop_map(|(which, edits, cut, extra)| Input::Mutated {
                which,
                edits,
                cut,
                extra
            }),
    ]
}

fn materialize(input: &Input, transcript: &[Bytes]) -> Bytes {
    match input {
        Input::Raw(b) => Bytes::copy_from_slice(b),
        Input::Mutated {
            which,
            edits,
            cut,
            extra,
        } => {
            let Some(base) = (!transcript.is_empty()).then(|| which.get(transcript)) else {
                return Bytes::new();
            };
            let mut b = base.to_vec();
            if !b.is_empty() {
                for (at, v) in edits {
                    let i = at.index(b.len());
                    b[i] ^= v;
                }
            }
            if let Some(cut) = cut {
                b.truncate(cut.index(b.len() + 1));
            }
            b.extend_from_slice(extra);
            Bytes::from(b)
        }
    }
}

/// Runs the genuine handshake for `steps` deliveries (or to its end), deciding `allow` when asked.
/// Returns every command that crossed.
fn advance(c: &mut dyn Mechanism, s: &mut dyn Mechanism, steps: usize, allow: bool) -> Vec<Bytes> {
    let mut transcript = Vec::new();
    while transcript.len() < steps {
        let mut moved = false;
        if let Ok(Some(cmd)) = c.next_command() {
            transcript.push(cmd.clone());
            let _ = s.process_command(cmd);
            moved = true;
        }
        if s.status() == MechanismStatus::AwaitingAuth {
            s.authorize(allow);
        }
        if let Ok(Some(cmd)) = s.next_command() {
            transcript.push(cmd.clone());
            let _ = c.process_command(cmd);
            moved = true;
        }
        if !moved {
            break;
        }
    }
    transcript
}

fn poke(m: &mut dyn Mechanism, body: Bytes) {
    let _ = m.process_command(body);
    let _ = m.next_command();
    let _ = m.status();
    let _ = m.peer_metadata();
    let _ = m.peer_credentials();
}

/// The data phase of `target` (if it got there) fed `inputs`, made from genuine MESSAGEs of its
/// peer (if that got there too) or raw bytes, as frames to open and to seal.
fn poke_data_phase(
    target: Box<dyn Mechanism>,
    peer: Box<dyn Mechanism>,
    inputs: &[Input],
    as_command: bool,
) {
    if target.status() != MechanismStatus::Ready {
        return;
    }
    let Ok((mut sealer, mut opener)) = target.into_data_phase() else {
        panic!("a Ready mechanism has a data phase");
    };
    let mut transcript = Vec::new();
    if peer.status() == MechanismStatus::Ready {
        if let Ok((mut from, _)) = peer.into_data_phase() {
            for frame in [
                Frame::Data {
                    more: true,
                    body: Bytes::from_static(b"data"),
                },
                Frame::Command(Bytes::from_static(b"\x04PING\x00\x00")),
            ] {
                if let Ok(Frame::Data { body, .. } | Frame::Command(body)) = from.seal(frame) {
                    transcript.push(body);
                }
            }
        }
    }
    for i in inputs {
        let body = materialize(i, &transcript);
        let frame = if as_command {
            Frame::Command(body)
        } else {
            Frame::Data { more: false, body }
        };
        let _ = opener.open(frame.clone());
        let _ = sealer.seal(frame);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    #[test]
    fn no_input_panics_any_mechanism(
        kind in 0usize..3,
        authenticate in any::<bool>(),
        allow in any::<bool>(),
        steps in 0usize..6,
        to_server in any::<bool>(),
        as_command in any::<bool>(),
        inputs in proptest::collection::vec(input(), 1..5),
    ) {
        let (mut c, mut s) = pair(kind, authenticate);
        let transcript = advance(c.as_mut(), s.as_mut(), steps, allow);
        for i in &inputs {
            let body = materialize(i, &transcript);
            let target = if to_server { s.as_mut() } else { c.as_mut() };
            poke(target, body);
        }
        // Whatever happened, the mechanisms still answer.
        let _ = advance(c.as_mut(), s.as_mut(), 8, allow);
        let (target, peer) = if to_server { (s, c) } else { (c, s) };
        poke_data_phase(target, peer, &inputs, as_command);
    }
}

//! ZMTP commands (READY, ERROR, PING, PONG) and READY metadata, sans-IO.
//!
//! Command body (RFC 37): name-size (1 byte), name, data. Command names compare case-sensitively,
//! as libzmq does.

use crate::error::ProtocolError;
use crate::wire::codec;
use bytes::{BufMut, Bytes, BytesMut};

pub const READY: &str = "READY";
pub const ERROR: &str = "ERROR";
pub const PING: &str = "PING";
pub const PONG: &str = "PONG";

/// RFC 37 caps a PING context at 16 bytes: we parse longer ones and echo only the first 16.
pub const MAX_PING_CONTEXT: usize = 16;

/// Most properties a READY (or INITIATE) may carry. libzmq sends two or three (Socket-Type,
/// Identity, Resource) plus the user's few `X-` ones. Together with the command's own limit
/// (`maxCommandSize`) this bounds what parsing metadata keeps: values are slices of the command,
/// each name a String of at most 255 bytes, and at most this many entries.
pub const MAX_PROPERTIES: usize = 64;

/// READY metadata: ordered name/value properties; names compare case-insensitively.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    entries: Vec<(String, Bytes)>,
}

impl Metadata {
    pub fn new() -> Metadata {
        Metadata::default()
    }

    pub fn insert(&mut self, name: &str, value: Bytes) {
        self.entries.push((name.to_owned(), value));
    }

    pub fn get(&self, name: &str) -> Option<&Bytes> {
        self.entries
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    pub fn entries(&self) -> &[(String, Bytes)] {
        &self.entries
    }

    /// Parses the property list of a READY (or CURVE INITIATE) command.
    /// Values are zero-copy slices of `data`.
    pub fn parse(data: &Bytes) -> Result<Metadata, ProtocolError> {
        let mut entries = Vec::new();
        let mut rest = data.clone();
        while !rest.is_empty() {
            if entries.len() == MAX_PROPERTIES {
                return Err(ProtocolError::BadCommand("too many properties"));
            }
            let name = take_short_string(&mut rest)
                .ok_or(ProtocolError::BadCommand("truncated property name"))?;
            if name.is_empty() {
                return Err(ProtocolError::BadCommand("empty property name"));
            }
            let name =
                ascii_name(&name).ok_or(ProtocolError::BadCommand("invalid property name"))?;
            let size = take(&mut rest, 4)
                .ok_or(ProtocolError::BadCommand("truncated property value size"))?;
            let mut be = [0u8; 4];
            be.copy_from_slice(&size);
            let value_len = usize::try_from(u32::from_be_bytes(be))
                .map_err(|_| ProtocolError::BadCommand("property value too long"))?;
            let value = take(&mut rest, value_len).ok_or(ProtocolError::BadCommand(
                "property value longer than the command",
            ))?;
            entries.push((name, value));
        }
        Ok(Metadata { entries })
    }

    /// Writes the property list. A name over 255 bytes is cut to 255 and a value over 4 GiB to
    /// 4 GiB: neither can be expressed on the wire, and our own properties are short.
    pub fn encode(&self, dst: &mut BytesMut) {
        for (name, value) in &self.entries {
            let name = clamp(name.as_bytes(), usize::from(u8::MAX));
            let value = clamp(value, u32::MAX as usize);
            dst.reserve(name.len().saturating_add(value.len()).saturating_add(5));
            dst.put_u8(name.len() as u8);
            dst.extend_from_slice(name);
            dst.put_u32(value.len() as u32);
            dst.extend_from_slice(value);
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Ready(Metadata),
    Error(String),
    /// `ttl` in tenths of a second as on the wire; `context` is echoed back in the PONG.
    Ping {
        ttl: u16,
        context: Bytes,
    },
    Pong {
        context: Bytes,
    },
    /// Any other command (e.g. SUBSCRIBE, or a mechanism's own): kept so the caller decides.
    /// `body` is the command data after the name.
    Other {
        name: String,
        body: Bytes,
    },
}

impl Command {
    /// Parses a command frame body. Never panics on any input.
    pub fn parse(body: &Bytes) -> Result<Command, ProtocolError> {
        let mut rest = body.clone();
        let name = take_short_string(&mut rest)
            .ok_or(ProtocolError::BadCommand("truncated command name"))?;
        if name.is_empty() {
            return Err(ProtocolError::BadCommand("empty command name"));
        }
        match &name[..] {
            b"READY" => Ok(Command::Ready(Metadata::parse(&rest)?)),
            b"ERROR" => {
                let reason = take_short_string(&mut rest)
                    .ok_or(ProtocolError::BadCommand("truncated ERROR reason"))?;
                Ok(Command::Error(
                    String::from_utf8_lossy(&reason).into_owned(),
                ))
            }
            b"PING" => {
                let ttl =
                    take(&mut rest, 2).ok_or(ProtocolError::BadCommand("PING without TTL"))?;
                Ok(Command::Ping {
                    ttl: u16::from_be_bytes([ttl[0], ttl[1]]),
                    context: rest,
                })
            }
            b"PONG" => Ok(Command::Pong { context: rest }),
            _ => {
                let name =
                    ascii_name(&name).ok_or(ProtocolError::BadCommand("invalid command name"))?;
                Ok(Command::Other { name, body: rest })
            }
        }
    }

    /// The command's name on the wire.
    pub fn name(&self) -> &str {
        match self {
            Command::Ready(_) => READY,
            Command::Error(_) => ERROR,
            Command::Ping { .. } => PING,
            Command::Pong { .. } => PONG,
            Command::Other { name, .. } => name,
        }
    }

    /// Writes the command body (name-size, name, data) without a frame header.
    /// Over-long names, ERROR reasons and metadata are cut to what the wire format can express.
    pub fn encode_body(&self, dst: &mut BytesMut) {
        let name = clamp(self.name().as_bytes(), usize::from(u8::MAX));
        dst.put_u8(name.len() as u8);
        dst.extend_from_slice(name);
        match self {
            Command::Ready(meta) => meta.encode(dst),
            Command::Error(reason) => {
                let reason = clamp(reason.as_bytes(), usize::from(u8::MAX));
                dst.put_u8(reason.len() as u8);
                dst.extend_from_slice(reason);
            }
            Command::Ping { ttl, context } => {
                dst.put_u16(*ttl);
                dst.extend_from_slice(context);
            }
            Command::Pong { context } => dst.extend_from_slice(context),
            Command::Other { body, .. } => dst.extend_from_slice(body),
        }
    }

    /// The command body as one buffer (what `Mechanism::next_command` hands out).
    pub fn to_body(&self) -> Bytes {
        let mut dst = BytesMut::new();
        self.encode_body(&mut dst);
        dst.freeze()
    }

    /// Writes this command as a complete command frame (header included).
    pub fn encode(&self, dst: &mut BytesMut) {
        codec::encode_command(dst, &self.to_body());
    }
}

/// The name of the command `body` holds, from its name-size and name alone: for naming a command
/// that is not expected, without parsing (or paying for) whatever its body holds.
pub fn name_of(body: &[u8]) -> String {
    let name = body
        .split_first()
        .and_then(|(&len, rest)| rest.get(..usize::from(len)))
        .filter(|name| !name.is_empty())
        .and_then(ascii_name);
    name.unwrap_or_else(|| "malformed command".to_owned())
}

/// Splits `n` bytes off the front, or `None` if fewer are there.
fn take(rest: &mut Bytes, n: usize) -> Option<Bytes> {
    if rest.len() < n {
        return None;
    }
    Some(rest.split_to(n))
}

/// A 1-byte length followed by that many bytes.
fn take_short_string(rest: &mut Bytes) -> Option<Bytes> {
    let len = *rest.first()?;
    let mut after = rest.slice(1..);
    let s = take(&mut after, usize::from(len))?;
    *rest = after;
    Some(s)
}

/// Names are ASCII per RFC 37; anything else is a malformed command, not something to guess at.
fn ascii_name(raw: &[u8]) -> Option<String> {
    raw.iter()
        .all(|b| b.is_ascii_graphic())
        .then(|| raw.iter().map(|&b| char::from(b)).collect())
}

fn clamp(b: &[u8], max: usize) -> &[u8] {
    b.get(..max).unwrap_or(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::codec::{Decoder, Frame};

    #[test]
    fn name_of_reads_the_header_only() {
        assert_eq!(name_of(b"\x05READY\x0bSocket-Type"), "READY");
        // A truncated body does not matter: only the name is read.
        assert_eq!(name_of(b"\x05HELLO\xff"), "HELLO");
        for bad in [&b""[..], b"\x00", b"\x05REA", b"\x02\xff\xfe"] {
            assert_eq!(name_of(bad), "malformed command", "{bad:?}");
        }
    }

    #[test]
    fn metadata_has_at_most_max_properties() {
        let prop = b"\x01a\x00\x00\x00\x00";
        let fits = Bytes::from(prop.repeat(MAX_PROPERTIES));
        assert_eq!(
            Metadata::parse(&fits).unwrap().entries().len(),
            MAX_PROPERTIES
        );
        let over = Bytes::from(prop.repeat(MAX_PROPERTIES + 1));
        assert_eq!(
            Metadata::parse(&over),
            Err(ProtocolError::BadCommand("too many properties"))
        );
    }

    fn round_trip(cmd: &Command) -> Command {
        let mut dst = BytesMut::new();
        cmd.encode(&mut dst);
        let Some(Frame::Command(body)) = Decoder::new(-1).decode(&mut dst).unwrap() else {
            panic!("not a command frame");
        };
        assert!(dst.is_empty());
        Command::parse(&body).unwrap()
    }

    fn ready(props: &[(&str, &[u8])]) -> Command {
        let mut m = Metadata::new();
        for (n, v) in props {
            m.insert(n, Bytes::copy_from_slice(v));
        }
        Command::Ready(m)
    }

    #[test]
    fn ready_wire_format() {
        let cmd = ready(&[("Socket-Type", b"REQ")]);
        assert_eq!(
            &cmd.to_body()[..],
            b"\x05READY\x0bSocket-Type\x00\x00\x00\x03REQ"
        );
    }

    #[test]
    fn round_trips() {
        let cmds = [
            ready(&[]),
            ready(&[
                ("Socket-Type", b"ROUTER"),
                ("Identity", b""),
                ("X-Big", &[7u8; 300]),
            ]),
            Command::Error("no thanks".into()),
            Command::Error(String::new()),
            Command::Ping {
                ttl: 300,
                context: Bytes::from_static(b"ctx"),
            },
            Command::Ping {
                ttl: 0,
                context: Bytes::new(),
            },
            Command::Pong {
                context: Bytes::from_static(b"0123456789abcdef"),
            },
            Command::Pong {
                context: Bytes::new(),
            },
            Command::Other {
                name: "SUBSCRIBE".into(),
                body: Bytes::from_static(b"topic"),
            },
        ];
        for c in &cmds {
            assert_eq!(&round_trip(c), c);
        }
    }

    #[test]
    fn metadata_lookup_is_case_insensitive() {
        let Command::Ready(m) = Command::parse(&Bytes::from_static(
            b"\x05READY\x0bsocket-type\x00\x00\x00\x03REP\x08IDENTITY\x00\x00\x00\x00",
        ))
        .unwrap() else {
            panic!("not READY");
        };
        assert_eq!(m.get("Socket-Type").unwrap(), &Bytes::from_static(b"REP"));
        assert_eq!(m.get("identity").unwrap(), &Bytes::new());
        assert!(m.get("Resource").is_none());
        assert_eq!(m.entries().len(), 2);
    }

    #[test]
    fn metadata_edge_cases() {
        let bad: [&[u8]; 8] = [
            b"\x05READY\x0b",                               // name truncated
            b"\x05READY\x0bSocket-Type",                    // no value size
            b"\x05READY\x0bSocket-Type\x00\x00",            // value size truncated
            b"\x05READY\x0bSocket-Type\x00\x00\x00\x04REP", // value longer than the command
            b"\x05READY\x0bSocket-Type\xff\xff\xff\xffREP", // value size 4 GiB
            b"\x05READY\x00\x00\x00\x00\x00",               // empty name
            b"\x05READY\x02\xc3\xa9\x00\x00\x00\x00",       // non-ASCII name
            b"\x05READY\x02a b\x00\x00\x00\x00",            // name with a space (and size mismatch)
        ];
        for b in bad {
            assert!(
                matches!(
                    Command::parse(&Bytes::from_static(b)),
                    Err(ProtocolError::BadCommand(_))
                ),
                "{b:?}"
            );
        }
        // Duplicates are kept; the first wins on lookup.
        let Command::Ready(m) = Command::parse(&Bytes::from_static(
            b"\x05READY\x01A\x00\x00\x00\x011\x01a\x00\x00\x00\x012",
        ))
        .unwrap() else {
            panic!()
        };
        assert_eq!(m.get("a").unwrap(), &Bytes::from_static(b"1"));
        assert_eq!(m.entries().len(), 2);
    }

    #[test]
    fn malformed_commands() {
        let bad: [&[u8]; 6] = [
            b"",
            b"\x00",
            b"\x05REA",
            b"\x05ERROR",
            b"\x05ERROR\x05abc",
            b"\x04PING\x00",
        ];
        for b in bad {
            assert!(Command::parse(&Bytes::from_static(b)).is_err(), "{b:?}");
        }
        assert!(Command::parse(&Bytes::from_static(b"\x03\xff\xfe\xfd")).is_err());
    }

    #[test]
    fn ping_accepts_any_context_length() {
        let mut body = b"\x04PING\x00\x0a".to_vec();
        body.extend_from_slice(&[1u8; 100]);
        let c = Command::parse(&Bytes::from(body)).unwrap();
        assert_eq!(
            c,
            Command::Ping {
                ttl: 10,
                context: Bytes::from(vec![1u8; 100])
            }
        );
    }

    #[test]
    fn error_reason_with_trailing_bytes_and_invalid_utf8() {
        assert_eq!(
            Command::parse(&Bytes::from_static(b"\x05ERROR\x02no-extra")).unwrap(),
            Command::Error("no".into())
        );
        assert!(matches!(
            Command::parse(&Bytes::from_static(b"\x05ERROR\x02\xff\xfe")).unwrap(),
            Command::Error(_)
        ));
    }

    #[test]
    fn unknown_commands_are_other() {
        assert_eq!(
            Command::parse(&Bytes::from_static(b"\x05HELLO\x01\x02")).unwrap(),
            Command::Other {
                name: "HELLO".into(),
                body: Bytes::from_static(b"\x01\x02")
            }
        );
        // Names are case-sensitive like libzmq: "ready" is not READY.
        assert!(matches!(
            Command::parse(&Bytes::from_static(b"\x05ready")).unwrap(),
            Command::Other { .. }
        ));
    }

    #[test]
    fn overlong_fields_are_clamped_on_encode() {
        let reason = "x".repeat(300);
        let c = round_trip(&Command::Error(reason));
        assert_eq!(c, Command::Error("x".repeat(255)));
        let mut m = Metadata::new();
        m.insert(&"N".repeat(300), Bytes::from_static(b"v"));
        let Command::Ready(back) = round_trip(&Command::Ready(m)) else {
            panic!()
        };
        assert_eq!(back.entries()[0].0.len(), 255);
    }
}

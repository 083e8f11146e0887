//! Endpoint strings (`tcp://HOST:PORT`, `ipc:///path`): parsing, validation for bind vs connect,
//! and the textual form of a resolved address.

use crate::error::{Error, ErrorCode};
use crate::net::ipc;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;

/// The host part of a tcp endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// `*`: all interfaces (bind only).
    Any,
    Ip(IpAddr),
    /// A DNS name, resolved when binding or at every connect attempt.
    Name(String),
}

/// The port part of a tcp endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Port {
    /// `*`: an ephemeral port (bind only).
    Any,
    Number(u16),
}

impl Port {
    /// The number to hand to the OS when binding (0 = ephemeral).
    pub fn for_bind(self) -> u16 {
        match self {
            Port::Any => 0,
            Port::Number(n) => n,
        }
    }
}

/// A parsed endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Tcp { host: Host, port: Port },
    Ipc(PathBuf),
}

/// Transports libzmq knows and we do not implement: named so the error says so.
const OTHER_TRANSPORTS: &[&str] = &[
    "inproc", "pgm", "epgm", "tipc", "vmci", "udp", "ws", "wss", "norm",
];

impl Endpoint {
    /// Parses an endpoint string. Malformed: EINVAL; unknown transport: EPROTONOSUPPORT.
    pub fn parse(address: &str) -> Result<Endpoint, Error> {
        let invalid = |why: &str| Error::with_address(ErrorCode::Einval, why, address);
        let Some((transport, rest)) = address.split_once("://") else {
            return Err(invalid("endpoint must look like transport://address"));
        };
        match transport {
            "tcp" => parse_tcp(rest).map_err(invalid),
            "ipc" => {
                if let Some(why) = ipc::UNSUPPORTED {
                    Err(Error::with_address(
                        ErrorCode::Eprotonosupport,
                        why,
                        address,
                    ))
                } else if rest.is_empty() || rest.contains('\0') {
                    Err(invalid("malformed ipc endpoint (want ipc:///path)"))
                } else {
                    Ok(Endpoint::Ipc(PathBuf::from(rest)))
                }
            }
            t if OTHER_TRANSPORTS.contains(&t) => Err(Error::with_address(
                ErrorCode::Eprotonosupport,
                format!("transport {t} is not supported (tcp and ipc are)"),
                address,
            )),
            t => Err(Error::with_address(
                ErrorCode::Eprotonosupport,
                format!("unknown transport {t:?}"),
                address,
            )),
        }
    }

    /// Parses an endpoint for `connect`: `*` as host or port, and port 0, are bind-only.
    pub fn parse_connect(address: &str) -> Result<Endpoint, Error> {
        let endpoint = Endpoint::parse(address)?;
        if let Endpoint::Tcp { host, port } = &endpoint {
            if *host == Host::Any || matches!(port, Port::Any | Port::Number(0)) {
                return Err(Error::with_address(
                    ErrorCode::Einval,
                    "connect needs a concrete host and port",
                    address,
                ));
            }
        }
        Ok(endpoint)
    }
}

const MALFORMED_TCP: &str = "malformed tcp endpoint (want tcp://HOST:PORT, PORT 0-65535 or *)";

/// Why it is not a tcp endpoint, when it is not: a port past 65535 is named as such (a user
/// who wrote one needs the range, not a hint about the endpoint's shape).
fn parse_tcp(rest: &str) -> Result<Endpoint, &'static str> {
    let (host, port) = rest.rsplit_once(':').ok_or(MALFORMED_TCP)?;
    let port = match port {
        "*" => Port::Any,
        digits if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
            Port::Number(digits.parse().map_err(|_| {
                "tcp port out of range (it must be 0-65535, or * for an ephemeral port)"
            })?)
        }
        _ => return Err(MALFORMED_TCP),
    };
    let host = if host == "*" {
        Host::Any
    } else if let Some(inner) = host.strip_prefix('[') {
        Host::Ip(IpAddr::V6(
            inner
                .strip_suffix(']')
                .and_then(|ip| ip.parse::<Ipv6Addr>().ok())
                .ok_or(MALFORMED_TCP)?,
        ))
    } else if let Ok(v4) = host.parse::<Ipv4Addr>() {
        Host::Ip(IpAddr::V4(v4))
    } else if let Ok(v6) = host.parse::<Ipv6Addr>() {
        // libzmq also accepts an unbracketed IPv6 literal (the port is after the last colon).
        Host::Ip(IpAddr::V6(v6))
    } else if is_dns_name(host) {
        Host::Name(host.to_owned())
    } else {
        return Err(MALFORMED_TCP);
    };
    Ok(Endpoint::Tcp { host, port })
}

/// Letters, digits, `-`, `_` and dots, in labels of at most 63 bytes, 253 bytes in all.
fn is_dns_name(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// The resolved textual form of a bound tcp address, as libzmq reports it.
pub fn tcp_endpoint_string(addr: &SocketAddr) -> String {
    format!("tcp://{addr}")
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Tcp { host, port } => {
                f.write_str("tcp://")?;
                match host {
                    Host::Any => f.write_str("*")?,
                    Host::Ip(IpAddr::V4(ip)) => write!(f, "{ip}")?,
                    Host::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]")?,
                    Host::Name(name) => f.write_str(name)?,
                }
                match port {
                    Port::Any => f.write_str(":*"),
                    Port::Number(n) => write!(f, ":{n}"),
                }
            }
            Endpoint::Ipc(path) => write!(f, "ipc://{}", path.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(address: &str) -> ErrorCode {
        match Endpoint::parse(address) {
            Ok(e) => panic!("{address} parsed as {e:?}"),
            Err(e) => {
                assert_eq!(e.address.as_deref(), Some(address));
                e.code
            }
        }
    }

    #[test]
    fn parses_tcp_forms() {
        let cases = [
            ("tcp://127.0.0.1:5555", "tcp://127.0.0.1:5555"),
            ("tcp://*:0", "tcp://*:0"),
            ("tcp://*:*", "tcp://*:*"),
            ("tcp://[::1]:*", "tcp://[::1]:*"),
            ("tcp://::1:80", "tcp://[::1]:80"),
            ("tcp://localhost:1", "tcp://localhost:1"),
            (
                "tcp://my-host.example_1.org:65535",
                "tcp://my-host.example_1.org:65535",
            ),
        ];
        for (input, shown) in cases {
            let parsed = Endpoint::parse(input).map(|e| e.to_string());
            assert_eq!(parsed.as_deref(), Ok(shown), "{input}");
        }
    }

    #[test]
    fn parses_ipc() {
        match ipc::UNSUPPORTED {
            None => assert_eq!(
                Endpoint::parse("ipc:///tmp/x.sock"),
                Ok(Endpoint::Ipc(PathBuf::from("/tmp/x.sock")))
            ),
            Some(why) => {
                let err = Endpoint::parse("ipc:///tmp/x.sock").expect_err("no ipc here");
                assert_eq!(err.code, ErrorCode::Eprotonosupport);
                assert_eq!(err.message, why);
            }
        }
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "tcp",
            "tcp:/x:1",
            "tcp://",
            "tcp://host",
            "tcp://host:",
            "tcp://:5",
            "tcp://h:65536",
            "tcp://h:-1",
            "tcp://h:+1",
            "tcp://[::1:5",
            "tcp://[zz]:5",
            "tcp://a b:5",
            "tcp://a..b:5",
            "ipc://",
            "tcp://1.2.3.4.5.6:1:2",
        ] {
            // Where there is no ipc, any ipc endpoint is refused for that first.
            let want = match ipc::UNSUPPORTED {
                Some(_) if bad.starts_with("ipc://") => ErrorCode::Eprotonosupport,
                _ => ErrorCode::Einval,
            };
            assert_eq!(code(bad), want, "{bad:?}");
        }
    }

    #[test]
    fn an_out_of_range_port_names_the_range() {
        for bad in [
            "tcp://127.0.0.1:65536",
            "tcp://127.0.0.1:99999",
            "tcp://h:99999999999999999999",
        ] {
            let err = Endpoint::parse(bad).expect_err(bad);
            assert_eq!(err.code, ErrorCode::Einval, "{bad}");
            assert_eq!(err.address.as_deref(), Some(bad));
            assert!(err.message.contains("0-65535"), "{bad}: {}", err.message);
        }
        let err = Endpoint::parse("tcp://127.0.0.1:notaport").expect_err("notaport");
        assert!(err.message.contains("0-65535"), "{}", err.message);
    }

    #[test]
    fn rejects_unknown_transports() {
        for bad in [
            "foo://x",
            "inproc://a",
            "udp://1.2.3.4:5",
            "://x",
            "TCP://1.2.3.4:5",
        ] {
            assert_eq!(code(bad), ErrorCode::Eprotonosupport, "{bad:?}");
        }
    }

    #[test]
    fn connect_needs_concrete_host_and_port() {
        for bad in ["tcp://*:5", "tcp://127.0.0.1:*", "tcp://127.0.0.1:0"] {
            let err = Endpoint::parse_connect(bad).err().map(|e| e.code);
            assert_eq!(err, Some(ErrorCode::Einval), "{bad}");
        }
        assert!(Endpoint::parse_connect("tcp://localhost:9").is_ok());
    }
}

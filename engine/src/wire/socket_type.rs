//! ZMTP socket types and which pairs may talk (RFC 37 / RFC 28).

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SocketType {
    Req,
    Rep,
    Dealer,
    Router,
}

impl SocketType {
    /// The name sent in the READY command's `Socket-Type` property.
    pub fn as_str(self) -> &'static str {
        match self {
            SocketType::Req => "REQ",
            SocketType::Rep => "REP",
            SocketType::Dealer => "DEALER",
            SocketType::Router => "ROUTER",
        }
    }

    /// Parses a peer's `Socket-Type` value; `None` for types this engine does not implement.
    pub fn from_name(name: &[u8]) -> Option<SocketType> {
        match name {
            b"REQ" => Some(SocketType::Req),
            b"REP" => Some(SocketType::Rep),
            b"DEALER" => Some(SocketType::Dealer),
            b"ROUTER" => Some(SocketType::Router),
            _ => None,
        }
    }

    /// The socket-type octet of a ZMTP 2.0 greeting (RFC 15), which numbers types like libzmq's
    /// `ZMQ_REQ`...`ZMQ_ROUTER` constants.
    pub fn zmtp2_code(self) -> u8 {
        match self {
            SocketType::Req => 3,
            SocketType::Rep => 4,
            SocketType::Dealer => 5,
            SocketType::Router => 6,
        }
    }

    /// Parses a ZMTP 2.0 peer's socket-type octet; `None` for types this engine does not implement.
    pub fn from_zmtp2_code(code: u8) -> Option<SocketType> {
        [
            SocketType::Req,
            SocketType::Rep,
            SocketType::Dealer,
            SocketType::Router,
        ]
        .into_iter()
        .find(|t| t.zmtp2_code() == code)
    }

    /// The pairings libzmq accepts (RFC 28): REQ with REP/ROUTER, REP with REQ/DEALER,
    /// DEALER with REP/DEALER/ROUTER, ROUTER with REQ/DEALER/ROUTER.
    pub fn compatible_with(self, peer: SocketType) -> bool {
        use SocketType::*;
        matches!(
            (self, peer),
            (Req, Rep)
                | (Req, Router)
                | (Rep, Req)
                | (Rep, Dealer)
                | (Dealer, Rep)
                | (Dealer, Dealer)
                | (Dealer, Router)
                | (Router, Req)
                | (Router, Dealer)
                | (Router, Router)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zmtp2_codes_round_trip_and_others_are_unknown() {
        let all = [
            SocketType::Req,
            SocketType::Rep,
            SocketType::Dealer,
            SocketType::Router,
        ];
        for t in all {
            assert_eq!(SocketType::from_zmtp2_code(t.zmtp2_code()), Some(t));
        }
        assert_eq!(
            all.map(SocketType::zmtp2_code),
            [3, 4, 5, 6],
            "RFC 15 numbering"
        );
        for code in [0u8, 1, 2, 7, 8, 9, 10, 255] {
            assert_eq!(SocketType::from_zmtp2_code(code), None, "{code}");
        }
    }
}

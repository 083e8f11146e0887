//! ZMTP socket types and which pairs may talk (RFC 23/37, RFC 28-31).

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SocketType {
    Req,
    Rep,
    Dealer,
    Router,
    Pub,
    Sub,
    XPub,
    XSub,
    Push,
    Pull,
    Pair,
}

/// Every type, in RFC 15's numbering order.
const ALL: [SocketType; 11] = [
    SocketType::Pair,
    SocketType::Pub,
    SocketType::Sub,
    SocketType::Req,
    SocketType::Rep,
    SocketType::Dealer,
    SocketType::Router,
    SocketType::Pull,
    SocketType::Push,
    SocketType::XPub,
    SocketType::XSub,
];

impl SocketType {
    /// The name sent in the READY command's `Socket-Type` property.
    pub fn as_str(self) -> &'static str {
        match self {
            SocketType::Req => "REQ",
            SocketType::Rep => "REP",
            SocketType::Dealer => "DEALER",
            SocketType::Router => "ROUTER",
            SocketType::Pub => "PUB",
            SocketType::Sub => "SUB",
            SocketType::XPub => "XPUB",
            SocketType::XSub => "XSUB",
            SocketType::Push => "PUSH",
            SocketType::Pull => "PULL",
            SocketType::Pair => "PAIR",
        }
    }

    /// Parses a peer's `Socket-Type` value; `None` for types this engine does not implement.
    pub fn from_name(name: &[u8]) -> Option<SocketType> {
        ALL.into_iter().find(|t| t.as_str().as_bytes() == name)
    }

    /// The socket-type octet of a ZMTP 2.0 greeting (RFC 15), which numbers types like libzmq's
    /// `ZMQ_PAIR`...`ZMQ_XSUB` constants.
    pub fn zmtp2_code(self) -> u8 {
        match self {
            SocketType::Pair => 0,
            SocketType::Pub => 1,
            SocketType::Sub => 2,
            SocketType::Req => 3,
            SocketType::Rep => 4,
            SocketType::Dealer => 5,
            SocketType::Router => 6,
            SocketType::Pull => 7,
            SocketType::Push => 8,
            SocketType::XPub => 9,
            SocketType::XSub => 10,
        }
    }

    /// Parses a ZMTP 2.0 peer's socket-type octet; `None` for types this engine does not implement.
    pub fn from_zmtp2_code(code: u8) -> Option<SocketType> {
        ALL.into_iter().find(|t| t.zmtp2_code() == code)
    }

    /// The pairings libzmq accepts (RFC 23/37): REQ with REP/ROUTER, REP with REQ/DEALER,
    /// DEALER with REP/DEALER/ROUTER, ROUTER with REQ/DEALER/ROUTER; PUB and XPUB with SUB/XSUB;
    /// PUSH with PULL; PAIR with PAIR.
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
                | (Pub | XPub, Sub | XSub)
                | (Sub | XSub, Pub | XPub)
                | (Push, Pull)
                | (Pull, Push)
                | (Pair, Pair)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zmtp2_codes_round_trip_and_others_are_unknown() {
        for t in ALL {
            assert_eq!(SocketType::from_zmtp2_code(t.zmtp2_code()), Some(t));
            assert_eq!(SocketType::from_name(t.as_str().as_bytes()), Some(t));
        }
        assert_eq!(
            ALL.map(SocketType::zmtp2_code),
            [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
            "RFC 15 numbering"
        );
        for code in [11u8, 12, 255] {
            assert_eq!(SocketType::from_zmtp2_code(code), None, "{code}");
        }
    }

    #[test]
    fn compatibility_is_symmetric_and_as_rfc_37_lists_it() {
        use SocketType::*;
        for a in ALL {
            for b in ALL {
                assert_eq!(a.compatible_with(b), b.compatible_with(a), "{a:?} {b:?}");
            }
        }
        assert!(Pub.compatible_with(Sub) && Pub.compatible_with(XSub));
        assert!(XPub.compatible_with(Sub) && Push.compatible_with(Pull));
        assert!(Pair.compatible_with(Pair));
        for (a, b) in [
            (Pub, Pub),
            (Sub, Sub),
            (Push, Push),
            (Pair, Dealer),
            (Pub, Pull),
        ] {
            assert!(!a.compatible_with(b), "{a:?} {b:?}");
        }
    }
}

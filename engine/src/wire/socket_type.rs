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

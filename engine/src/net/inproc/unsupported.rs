//! `inproc://` where there are no Unix socket pairs: stand-ins that cannot be reached, since the
//! endpoint is refused when parsed (see `net::inproc`).

use crate::error::{Error, ErrorCode};
use crate::net::ipc::Stream;
use std::io;
use std::task::{Context, Poll};

/// Never made: no name can be bound here.
#[derive(Debug)]
pub(crate) enum InprocListener {}

impl InprocListener {
    pub(crate) fn poll_accept(&mut self, _: &mut Context<'_>) -> Poll<io::Result<Stream>> {
        match *self {}
    }
}

pub(crate) fn bind(_: &str, address: &str) -> Result<InprocListener, Error> {
    Err(Error::with_address(
        ErrorCode::Eprotonosupport,
        super::UNSUPPORTED.unwrap_or("inproc:// is not supported here"),
        address,
    ))
}

pub(crate) async fn connect(_: &str) -> io::Result<Stream> {
    Err(io::ErrorKind::Unsupported.into())
}

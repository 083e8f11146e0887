//! The floor's framing: an 8-byte little-endian length, then the payload. One `write_all` per message
//! (header and payload in one buffer) so a small message is one segment, as a ZMTP frame would be.

use std::io::{self, Read, Write};

pub const HEADER: usize = 8;

/// A reusable message buffer: `HEADER` bytes of length followed by the payload.
pub struct Frame {
    buf: Vec<u8>,
}

impl Frame {
    /// A frame carrying `size` payload bytes (filled with a non-zero pattern).
    pub fn with_payload(size: usize) -> Frame {
        let mut buf = vec![0xa5u8; HEADER + size];
        buf[..HEADER].copy_from_slice(&(size as u64).to_le_bytes());
        Frame { buf }
    }

    pub fn empty() -> Frame {
        Frame::with_payload(0)
    }

    pub fn payload_len(&self) -> usize {
        self.buf.len() - HEADER
    }

    pub fn write_to(&self, w: &mut (impl Write + ?Sized)) -> io::Result<()> {
        w.write_all(&self.buf)
    }

    /// Reads one message into this buffer (growing it if needed). `Ok(false)` on a clean EOF before a header.
    pub fn read_from(&mut self, r: &mut (impl Read + ?Sized)) -> io::Result<bool> {
        let mut header = [0u8; HEADER];
        match r.read_exact(&mut header) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(false),
            Err(e) => return Err(e),
        }
        let len = usize::try_from(u64::from_le_bytes(header))
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "length overflows usize"))?;
        // The floor only talks to its own client; still, refuse absurd lengths instead of allocating them.
        if len > 1 << 30 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "frame over 1 GiB",
            ));
        }
        self.buf.resize(HEADER + len, 0);
        self.buf[..HEADER].copy_from_slice(&header);
        r.read_exact(&mut self.buf[HEADER..])?;
        Ok(true)
    }
}

/// Peak resident set size of this process in KiB (`VmHWM`), 0 if unknown.
pub fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

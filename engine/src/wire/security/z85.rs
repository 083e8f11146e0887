//! Z85 (ZeroMQ RFC 32): 4 bytes as 5 printable characters, the text form of CURVE keys.
//!
//! An encoding, not cryptography, so it is written here; it follows libzmq's `zmq_z85_decode` in
//! refusing a group whose value exceeds 32 bits instead of wrapping it.

use std::fmt;

const ALPHABET: &[u8; 85] =
    b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

/// Why a Z85 conversion was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Z85Error {
    /// Encoding needs a multiple of 4 bytes, decoding a multiple of 5 characters.
    BadLength(usize),
    /// A character outside the Z85 alphabet, at this byte offset.
    InvalidChar { offset: usize },
    /// A 5-character group whose value does not fit in 32 bits, starting at this offset.
    Overflow { offset: usize },
}

impl fmt::Display for Z85Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Z85Error::BadLength(n) => write!(
                f,
                "Z85 length {n} is not a multiple of 4 bytes / 5 characters"
            ),
            Z85Error::InvalidChar { offset } => {
                write!(f, "invalid Z85 character at offset {offset}")
            }
            Z85Error::Overflow { offset } => {
                write!(f, "Z85 group at offset {offset} exceeds 32 bits")
            }
        }
    }
}

impl std::error::Error for Z85Error {}

/// Encodes `data` (a multiple of 4 bytes long).
pub fn encode(data: &[u8]) -> Result<String, Z85Error> {
    if data.len() % 4 != 0 {
        return Err(Z85Error::BadLength(data.len()));
    }
    let mut out = String::with_capacity(data.len() / 4 * 5);
    for group in data.chunks_exact(4) {
        let mut value = u32::from_be_bytes([group[0], group[1], group[2], group[3]]);
        let mut digits = [0u8; 5];
        for d in digits.iter_mut().rev() {
            *d = ALPHABET[(value % 85) as usize];
            value /= 85;
        }
        out.extend(digits.iter().map(|&b| char::from(b)));
    }
    Ok(out)
}

/// Decodes `text` (a multiple of 5 characters long).
pub fn decode(text: &[u8]) -> Result<Vec<u8>, Z85Error> {
    if text.len() % 5 != 0 {
        return Err(Z85Error::BadLength(text.len()));
    }
    let mut out = vec![0u8; text.len() / 5 * 4];
    decode_into(text, &mut out)?;
    Ok(out)
}

/// Decodes exactly `N` bytes from `text`; a text of any other length is refused.
pub fn decode_array<const N: usize>(text: &[u8]) -> Result<[u8; N], Z85Error> {
    let mut out = [0u8; N];
    decode_into(text, &mut out)?;
    Ok(out)
}

/// Decodes `text` straight into `out`, which must be exactly as long as what it decodes to: a
/// secret key is then written where it is kept, with no other copy made on the way.
pub fn decode_into(text: &[u8], out: &mut [u8]) -> Result<(), Z85Error> {
    if text.len() % 5 != 0 || out.len() % 4 != 0 || text.len() / 5 * 4 != out.len() {
        return Err(Z85Error::BadLength(text.len()));
    }
    for (i, (group, dst)) in text
        .chunks_exact(5)
        .zip(out.chunks_exact_mut(4))
        .enumerate()
    {
        let start = i * 5;
        let mut value: u64 = 0;
        for (j, &c) in group.iter().enumerate() {
            let digit = digit(c).ok_or(Z85Error::InvalidChar { offset: start + j })?;
            value = value * 85 + u64::from(digit);
        }
        let value = u32::try_from(value).map_err(|_| Z85Error::Overflow { offset: start })?;
        dst.copy_from_slice(&value.to_be_bytes());
    }
    Ok(())
}

fn digit(c: u8) -> Option<u8> {
    ALPHABET
        .iter()
        .position(|&a| a == c)
        .and_then(|p| u8::try_from(p).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const HELLO: [u8; 8] = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B];

    #[test]
    fn rfc32_test_vector() {
        assert_eq!(encode(&HELLO).unwrap(), "HelloWorld");
        assert_eq!(decode(b"HelloWorld").unwrap(), HELLO);
    }

    #[test]
    fn empty_input() {
        assert_eq!(encode(&[]).unwrap(), "");
        assert_eq!(decode(b"").unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn extremes() {
        assert_eq!(encode(&[0; 4]).unwrap(), "00000");
        assert_eq!(encode(&[0xff; 4]).unwrap(), "%nSc0");
        assert_eq!(decode(b"%nSc0").unwrap(), [0xff; 4]);
        // One above u32::MAX.
        assert_eq!(decode(b"%nSc1"), Err(Z85Error::Overflow { offset: 0 }));
        assert_eq!(decode(b"00000#####"), Err(Z85Error::Overflow { offset: 5 }));
    }

    #[test]
    fn refuses_bad_input() {
        assert_eq!(encode(&[1, 2, 3]), Err(Z85Error::BadLength(3)));
        assert_eq!(decode(b"Hello"), Ok(vec![0x86, 0x4F, 0xD2, 0x6F]));
        assert_eq!(decode(b"Hell"), Err(Z85Error::BadLength(4)));
        assert_eq!(decode(b"Hel o"), Err(Z85Error::InvalidChar { offset: 3 }));
        assert_eq!(
            decode(b"Hello\"orld"),
            Err(Z85Error::InvalidChar { offset: 5 })
        );
        assert_eq!(
            decode(b"Hell\xe9"),
            Err(Z85Error::InvalidChar { offset: 4 })
        );
        assert_eq!(decode_array::<8>(b"Hello"), Err(Z85Error::BadLength(5)));
        assert_eq!(decode_array::<8>(b"HelloWorld"), Ok(HELLO));
    }

    proptest! {
        #[test]
        fn round_trips(words in proptest::collection::vec(any::<[u8; 4]>(), 0..40)) {
            let data: Vec<u8> = words.concat();
            let text = encode(&data).unwrap();
            prop_assert_eq!(text.len(), data.len() / 4 * 5);
            prop_assert!(text.bytes().all(|c| ALPHABET.contains(&c)));
            prop_assert_eq!(decode(text.as_bytes()).unwrap(), data);
        }

        #[test]
        fn decode_never_panics(text in proptest::collection::vec(any::<u8>(), 0..60)) {
            if let Ok(bytes) = decode(&text) {
                let again = encode(&bytes).unwrap();
                prop_assert_eq!(again.as_bytes(), &text[..]);
            }
        }
    }
}

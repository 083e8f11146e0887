//! NaCl's box (`crypto_box`: X25519, then HSalsa20, then XSalsa20-Poly1305) put together from its
//! RustCrypto parts, so that a large MESSAGE box can be sealed or opened on several threads.
//!
//! The construction is exactly `crypto_box`'s `SalsaBox` (the tests compare them byte for byte):
//! the box key is HSalsa20 of the X25519 shared secret (and a zero input); under a 24-byte nonce,
//! XSalsa20's first 32 keystream bytes are the one-time Poly1305 key, the body is XORed with the
//! keystream from offset 32 on, and the tag is Poly1305 over the ciphertext.
//!
//! Why split it: XSalsa20 is scalar in `salsa20` 0.10 (~460-560 MB/s on one core of the dev VM),
//! so a 1 MiB box costs ~2.3 ms of keystream, four times per 1 MiB round trip, while during a
//! sequential REQ/REP round trip the other core has nothing to do. From [`PARALLEL_MIN`] up, the
//! body is cut into about 16 pieces (owned slices of the frame's buffer, rejoined without a
//! copy) whose keystream the threads of `keystream_pool` apply; the calling thread hashes the
//! chunks into Poly1305 in order as they are ready, and XORs queued chunks itself whenever the
//! next one to hash is not, so the MAC is pipelined behind the keystream rather than after it.
//!
//! Order per chunk: sealing XORs then hashes (the tag covers the ciphertext); opening hashes a
//! chunk before handing it to be XORed. So opening decrypts chunks before the whole tag is
//! checked, but only in the frame's own buffer, which is wiped if the tag is wrong: no plaintext
//! of a forged box ever leaves [`BoxKey::open_tail`].
//!
//! Poly1305 is fed whole blocks through `update_padded` (the crate's multi-block path) and only
//! the last partial block through `compute_unpadded`, which is NaCl's unpadded MAC all the same.

use super::keystream_pool::{pool, BoxStream, Job, Pool};
use bytes::BytesMut;
use poly1305::universal_hash::{KeyInit, UniversalHash};
use poly1305::Poly1305;
use salsa20::cipher::consts::U10;
use salsa20::cipher::{KeyIvInit, StreamCipher};
use salsa20::XSalsa20;
use std::sync::Arc;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

pub(crate) const KEY_LEN: usize = 32;
pub(crate) const NONCE_LEN: usize = 24;
pub(crate) const TAG_LEN: usize = 16;

/// Bodies at least this long are boxed on several threads (when the machine has more than one).
/// Measured with `cargo bench -p zeromq-napi-engine --bench curve` on the 2-vCPU dev VM; see the
/// README's CURVE section for the numbers.
pub(crate) const PARALLEL_MIN: usize = 64 * 1024;
/// The unit of work is about a sixteenth of the body, so that a worker that wakes late still
/// finds work, within these bounds (the smaller one is the size the tests use as "a chunk").
pub(crate) const CHUNK: usize = 4 * 1024;
const CHUNK_MAX: usize = 64 * 1024;

/// The chunk length for a body of `len` bytes: a multiple of the Salsa20 block (64) and of the
/// Poly1305 block (16), so that every chunk but the last is whole blocks of both.
fn chunk_len(len: usize) -> usize {
    (len / 16).next_multiple_of(64).clamp(CHUNK, CHUNK_MAX)
}

/// A box key: what `crypto_box_beforenm` gives (HSalsa20 of the X25519 shared secret), or a
/// `crypto_secretbox` key as it is. Wiped on drop.
pub(crate) struct BoxKey {
    key: Zeroizing<[u8; KEY_LEN]>,
}

/// The box did not open: forged, damaged, or under another key or nonce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Forged;

impl BoxKey {
    /// The box key of an X25519 shared secret (`crypto_box_beforenm`).
    pub(crate) fn from_shared_secret(shared: &[u8; KEY_LEN]) -> BoxKey {
        let mut key = salsa20::hsalsa::<U10>(shared.into(), &Default::default());
        let out = BoxKey::from_bytes(key.as_ref());
        key.zeroize();
        out
    }

    /// A secretbox key as it is.
    /// A copy of `key` (the caller wipes its own).
    pub(crate) fn from_bytes(key: &[u8; KEY_LEN]) -> BoxKey {
        let mut own = Zeroizing::new([0u8; KEY_LEN]);
        own.copy_from_slice(key);
        BoxKey { key: own }
    }

    /// Encrypts `buf` in place on this thread; returns the tag (which goes before the ciphertext
    /// on the wire).
    pub(crate) fn seal_in_place(&self, nonce: &[u8; NONCE_LEN], buf: &mut [u8]) -> [u8; TAG_LEN] {
        let (mut cipher, mac) = self.start(nonce);
        cipher.apply_keystream(buf);
        finish_mac(mac, buf)
    }

    /// Checks the tag of `buf` (ciphertext) and decrypts it in place on this thread. On `Err`
    /// the buffer has been wiped.
    pub(crate) fn open_in_place(
        &self,
        nonce: &[u8; NONCE_LEN],
        buf: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<(), Forged> {
        let (mut cipher, mac) = self.start(nonce);
        if !tags_match(&finish_mac(mac, buf), tag) {
            // As `open_tail` must: nothing of a forgery is left to misuse.
            buf.zeroize();
            return Err(Forged);
        }
        cipher.apply_keystream(buf);
        Ok(())
    }

    /// [`BoxKey::seal_in_place`] of `buf[at..]`, on several threads when it is large.
    pub(crate) fn seal_tail(
        &self,
        nonce: &[u8; NONCE_LEN],
        buf: &mut BytesMut,
        at: usize,
    ) -> [u8; TAG_LEN] {
        let Some(mut chunks) = self.split(nonce, buf, at) else {
            return self.seal_in_place(nonce, &mut buf[at..]);
        };
        let (_, mut mac) = self.start(nonce);
        // Everything to the workers; the caller takes from the same queue while it waits.
        for index in 0..chunks.chunks.len() {
            let chunk = std::mem::take(&mut chunks.chunks[index]);
            chunks.submit(index, chunk);
        }
        let last = chunks.chunks.len() - 1;
        let mut tag = [0u8; TAG_LEN];
        for front in 0..=last {
            let chunk = chunks.xored(front);
            if front == last {
                tag = finish_mac(mac.clone(), &chunk);
            } else {
                mac.update_padded(&chunk);
            }
            chunks.chunks[front] = chunk;
        }
        chunks.rejoin(buf);
        tag
    }

    /// [`BoxKey::open_in_place`] of `buf[at..]`, on several threads when it is large. On `Err`
    /// `buf[at..]` has been wiped.
    pub(crate) fn open_tail(
        &self,
        nonce: &[u8; NONCE_LEN],
        buf: &mut BytesMut,
        at: usize,
        tag: &[u8; TAG_LEN],
    ) -> Result<(), Forged> {
        let Some(mut chunks) = self.split(nonce, buf, at) else {
            return self.open_in_place(nonce, &mut buf[at..], tag);
        };
        let (_, mut mac) = self.start(nonce);
        let last = chunks.chunks.len() - 1;
        let mut computed = [0u8; TAG_LEN];
        // Each chunk goes to be decrypted once it has been hashed.
        for front in 0..=last {
            let chunk = std::mem::take(&mut chunks.chunks[front]);
            if front == last {
                computed = finish_mac(mac.clone(), &chunk);
            } else {
                mac.update_padded(&chunk);
            }
            chunks.submit(front, chunk);
        }
        for front in 0..=last {
            chunks.chunks[front] = chunks.xored(front);
        }
        chunks.rejoin(buf);
        if tags_match(&computed, tag) {
            Ok(())
        } else {
            buf[at..].zeroize();
            Err(Forged)
        }
    }

    /// `buf[at..]` cut into chunks for the pool, or `None` to box it on this thread (small, or
    /// no pool on this machine).
    fn split(&self, nonce: &[u8; NONCE_LEN], buf: &mut BytesMut, at: usize) -> Option<Split> {
        let len = buf.len().checked_sub(at)?;
        if len < PARALLEL_MIN {
            return None;
        }
        let pool = pool()?;
        let mut body = buf.split_off(at);
        let chunk_len = chunk_len(len);
        let mut chunks = Vec::with_capacity(len.div_ceil(chunk_len));
        while body.len() > chunk_len {
            chunks.push(body.split_to(chunk_len));
        }
        chunks.push(body);
        let stream = BoxStream::new(&self.key, nonce, chunks.len());
        Some(Split {
            pool,
            stream,
            chunks,
            chunk_len,
        })
    }

    /// The keystream at the start of the body and the Poly1305 keyed by its first 32 bytes.
    fn start(&self, nonce: &[u8; NONCE_LEN]) -> (XSalsa20, Poly1305) {
        let mut cipher = XSalsa20::new((&*self.key).into(), nonce.into());
        let mut mac_key = Zeroizing::new([0u8; KEY_LEN]);
        cipher.apply_keystream(&mut *mac_key);
        let mac = Poly1305::new((&*mac_key).into());
        (cipher, mac)
    }
}

/// A body in chunks, each either here (`chunks[i]`) or with the pool.
struct Split {
    pool: &'static Pool,
    stream: Arc<BoxStream>,
    chunks: Vec<BytesMut>,
    /// Every chunk's length but the last's.
    chunk_len: usize,
}

impl Split {
    fn submit(&self, index: usize, chunk: BytesMut) {
        self.pool.submit(Job {
            stream: Arc::clone(&self.stream),
            index,
            at: index * self.chunk_len,
            chunk,
        });
    }

    /// Chunk `i` once XORed: meanwhile this thread runs queued jobs, and only waits when none is
    /// left (a worker is then on chunk `i`).
    fn xored(&self, i: usize) -> BytesMut {
        loop {
            if let Some(chunk) = self.stream.take(i) {
                return chunk;
            }
            if !self.pool.run_one() {
                return self.stream.wait(i);
            }
        }
    }

    /// Puts the chunks back after `buf`'s head: they are consecutive pieces of one allocation, so
    /// this moves no byte.
    fn rejoin(self, buf: &mut BytesMut) {
        for chunk in self.chunks {
            buf.unsplit(chunk);
        }
    }
}

/// The Poly1305 of the whole of `data` after what `mac` has already hashed (whole blocks):
/// whole blocks through the crate's multi-block path, the tail as NaCl's unpadded last block.
fn finish_mac(mut mac: Poly1305, data: &[u8]) -> [u8; TAG_LEN] {
    let whole = data.len() - data.len() % 16;
    mac.update_padded(&data[..whole]);
    mac.compute_unpadded(&data[whole..]).into()
}

fn tags_match(computed: &[u8; TAG_LEN], received: &[u8; TAG_LEN]) -> bool {
    computed.ct_eq(received).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crypto_box::aead::AeadInPlace;
    use crypto_box::{PublicKey, SalsaBox, SecretKey};
    use crypto_secretbox::XSalsa20Poly1305;
    use curve25519_dalek::MontgomeryPoint;
    use proptest::prelude::*;

    /// What goes before the body in the buffer `seal_tail`/`open_tail` get (a MESSAGE's header).
    const HEAD: &[u8] = b"\x07MESSAGE-counter-tag-tag-tag-tag-flags";

    /// Sizes around every boundary the code has: blocks (16, 64), the 32-byte key offset, chunks,
    /// the parallel threshold.
    fn edge_sizes() -> Vec<usize> {
        let mut sizes = vec![0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 1000];
        let big = 1 << 20;
        for base in [
            CHUNK,
            2 * CHUNK,
            PARALLEL_MIN,
            PARALLEL_MIN + CHUNK,
            5 * CHUNK,
            big,
            big + chunk_len(big),
        ] {
            sizes.extend([
                base - 17,
                base - 16,
                base - 1,
                base,
                base + 1,
                base + 15,
                base + 16,
            ]);
        }
        sizes.push(PARALLEL_MIN + 3 * CHUNK + 7);
        sizes
    }

    fn pair(a: [u8; 32], b: [u8; 32]) -> (BoxKey, SalsaBox) {
        let ours = SecretKey::from(a);
        let theirs = PublicKey::from(SecretKey::from(b).public_key().to_bytes());
        let shared = MontgomeryPoint(theirs.to_bytes()).mul_clamped(ours.to_bytes());
        (
            BoxKey::from_shared_secret(&shared.0),
            SalsaBox::new(&theirs, &ours),
        )
    }

    fn body(len: usize, seed: u8) -> Vec<u8> {
        (0..len)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect()
    }

    /// `HEAD` + `bytes`, as a frame's buffer.
    fn framed(bytes: &[u8]) -> BytesMut {
        let mut buf = BytesMut::with_capacity(HEAD.len() + bytes.len());
        buf.extend_from_slice(HEAD);
        buf.extend_from_slice(bytes);
        buf
    }

    /// `seal_tail`, checking that the head is untouched and the buffer was not moved.
    fn seal_framed(key: &BoxKey, nonce: &[u8; 24], plain: &[u8]) -> (BytesMut, [u8; 16]) {
        let mut buf = framed(plain);
        let at = buf.as_ptr();
        let tag = key.seal_tail(nonce, &mut buf, HEAD.len());
        assert_eq!(buf.as_ptr(), at, "rejoined in place");
        assert_eq!(&buf[..HEAD.len()], HEAD);
        (buf, tag)
    }

    fn open_framed(
        key: &BoxKey,
        nonce: &[u8; 24],
        sealed: &[u8],
        tag: &[u8; 16],
    ) -> (BytesMut, Result<(), Forged>) {
        let mut buf = framed(sealed);
        let at = buf.as_ptr();
        let opened = key.open_tail(nonce, &mut buf, HEAD.len(), tag);
        assert_eq!(buf.as_ptr(), at, "rejoined in place");
        assert_eq!(buf.len(), HEAD.len() + sealed.len());
        assert_eq!(&buf[..HEAD.len()], HEAD);
        (buf, opened)
    }

    /// Seals with ours (both paths) and the reference, compares, opens each one's box with the
    /// other.
    fn check(key: &BoxKey, reference: &SalsaBox, nonce: [u8; 24], plain: &[u8]) {
        let len = plain.len();
        let mut theirs = plain.to_vec();
        let their_tag: [u8; 16] = reference
            .encrypt_in_place_detached(&nonce.into(), b"", &mut theirs)
            .expect("seal")
            .into();
        let mut ours = plain.to_vec();
        assert_eq!(
            key.seal_in_place(&nonce, &mut ours),
            their_tag,
            "tag, {len} bytes"
        );
        assert!(ours == theirs, "ciphertext, {len} bytes");
        let (framed_box, tag) = seal_framed(key, &nonce, plain);
        assert_eq!(tag, their_tag, "tag (tail), {len} bytes");
        assert!(
            framed_box[HEAD.len()..] == theirs[..],
            "ciphertext (tail), {len} bytes"
        );

        let (opened, result) = open_framed(key, &nonce, &theirs, &their_tag);
        assert_eq!(result, Ok(()));
        assert!(opened[HEAD.len()..] == *plain, "opened (tail), {len} bytes");
        let mut opened = theirs.clone();
        assert_eq!(key.open_in_place(&nonce, &mut opened, &their_tag), Ok(()));
        assert!(opened == plain, "opened, {len} bytes");
        reference
            .decrypt_in_place_detached(&nonce.into(), b"", &mut ours, &tag.into())
            .expect("the reference opens our box");
        assert!(ours == plain);
    }

    /// A forgery (of a box of `len` bytes) is refused by both paths and leaves zeros only.
    fn refused(key: &BoxKey, nonce: &[u8; 24], sealed: &[u8], tag: &[u8; 16]) {
        let (buf, opened) = open_framed(key, nonce, sealed, tag);
        assert_eq!(opened, Err(Forged), "{} bytes", sealed.len());
        assert!(buf[HEAD.len()..].iter().all(|&b| b == 0), "wiped (tail)");
        let mut buf = sealed.to_vec();
        assert_eq!(key.open_in_place(nonce, &mut buf, tag), Err(Forged));
        assert!(buf.iter().all(|&b| b == 0), "wiped");
    }

    #[test]
    fn same_bytes_as_crypto_box_at_every_boundary() {
        let (key, reference) = pair([1u8; 32], [2u8; 32]);
        for (n, len) in edge_sizes().into_iter().enumerate() {
            let mut nonce = [7u8; 24];
            nonce[23] = n as u8;
            check(&key, &reference, nonce, &body(len, n as u8));
        }
    }

    #[test]
    fn same_bytes_as_crypto_secretbox_with_a_plain_key() {
        let raw = [9u8; 32];
        let key = BoxKey::from_bytes(&raw);
        let reference = XSalsa20Poly1305::new((&raw).into());
        for len in edge_sizes() {
            let plain = body(len, 3);
            let mut theirs = plain.clone();
            let their_tag: [u8; 16] = reference
                .encrypt_in_place_detached(&[4u8; 24].into(), b"", &mut theirs)
                .expect("seal")
                .into();
            let (ours, tag) = seal_framed(&key, &[4u8; 24], &plain);
            assert_eq!(tag, their_tag);
            assert!(ours[HEAD.len()..] == theirs[..]);
        }
    }

    #[test]
    fn forged_boxes_are_refused_and_wiped_at_every_size() {
        let (key, _) = pair([5u8; 32], [6u8; 32]);
        let nonce = [1u8; 24];
        for len in edge_sizes() {
            let plain = body(len, 9);
            let (sealed, tag) = seal_framed(&key, &nonce, &plain);
            let sealed = &sealed[HEAD.len()..];
            let mut bad_tag = tag;
            bad_tag[len % 16] ^= 0x80;
            refused(&key, &nonce, sealed, &bad_tag);
            // A damaged byte of ciphertext: first, middle, last, at a chunk boundary.
            if len > 0 {
                for at in [0, len / 2, len - 1, CHUNK.min(len - 1)] {
                    let mut bad = sealed.to_vec();
                    bad[at] ^= 1;
                    refused(&key, &nonce, &bad, &tag);
                }
            }
            refused(&key, &[2u8; 24], sealed, &tag);
            // The genuine box still opens.
            let (opened, result) = open_framed(&key, &nonce, sealed, &tag);
            assert_eq!(result, Ok(()));
            assert!(opened[HEAD.len()..] == plain[..]);
        }
    }

    #[test]
    fn boxes_from_several_threads_at_once() {
        // Large boxes sealed and opened concurrently share the pool's queue.
        let (key, reference) = pair([3u8; 32], [4u8; 32]);
        let key = Arc::new(key);
        let reference = Arc::new(reference);
        let threads: Vec<_> = (0..4u8)
            .map(|t| {
                let (key, reference) = (key.clone(), reference.clone());
                std::thread::spawn(move || {
                    for round in 0..4u8 {
                        let mut nonce = [t; 24];
                        nonce[0] = round;
                        let len = PARALLEL_MIN * 2 + 5 + usize::from(t) * CHUNK;
                        check(&key, &reference, nonce, &body(len, t ^ round));
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().expect("no panic");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn random_keys_nonces_and_sizes_match_crypto_box(
            a in any::<[u8; 32]>(),
            b in any::<[u8; 32]>(),
            nonce in any::<[u8; 24]>(),
            len in prop_oneof![0usize..200, 0usize..(PARALLEL_MIN * 4)],
            seed in any::<u8>(),
            flip in any::<usize>(),
        ) {
            let (key, reference) = pair(a, b);
            let plain = body(len, seed);
            check(&key, &reference, nonce, &plain);
            // Any single flipped bit, in the tag or the ciphertext, is refused.
            let (sealed, mut tag) = seal_framed(&key, &nonce, &plain);
            let mut sealed = sealed[HEAD.len()..].to_vec();
            let bit = flip % ((len + 16) * 8);
            if bit < 128 {
                tag[bit / 8] ^= 1 << (bit % 8);
            } else {
                let bit = bit - 128;
                sealed[bit / 8] ^= 1 << (bit % 8);
            }
            refused(&key, &nonce, &sealed, &tag);
        }
    }
}

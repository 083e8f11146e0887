//! NaCl's box after `crypto_box_beforenm`: XSalsa20-Poly1305 under the precomputed box key, the
//! primitive every CURVE box (handshake and MESSAGE) is. The box key is HSalsa20 of the X25519
//! shared secret (RustCrypto's `salsa20`); the box itself is libsodium's
//! `crypto_secretbox_detached` / `crypto_secretbox_open_detached` (what `crypto_box_afternm` and
//! `crypto_box_open_afternm` are), detached and in place, as a box goes on the wire as its tag
//! followed by the ciphertext. The tests compare it byte for byte with RustCrypto's `crypto_box`.
//!
//! Why libsodium: its Salsa20 and Poly1305 choose SSE2/AVX2 code at run time, 2-3.5 cycles per
//! byte from 64 KiB up on one core of the dev VM against 7-17 for RustCrypto's scalar `salsa20`
//! composition, the same at 16 B (`cargo bench -p zeromq-napi-engine --bench box_primitives`), so a
//! large box costs about a fifth of what it did.
//!
//! Large boxes are also made of libsodium's pieces (HSalsa20, Salsa20 from any block, Poly1305 fed
//! piece by piece; the same bytes as the one-call box): opened as their bytes arrive ([`Opening`]),
//! a cache-sized pass at a time, and split in two halves that a [`Join`] given by the caller may
//! run at once. Nothing here starts a thread.

use bytes::BytesMut;
use libsodium_sys as sodium;
use salsa20::cipher::consts::U10;
use std::mem::MaybeUninit;
use std::sync::Once;
use zeroize::{Zeroize, Zeroizing};

pub(crate) const KEY_LEN: usize = 32;
pub(crate) const NONCE_LEN: usize = 24;
pub(crate) const TAG_LEN: usize = 16;

/// A box key: what `crypto_box_beforenm` gives (HSalsa20 of the X25519 shared secret), or a
/// `crypto_secretbox` key as it is. Wiped on drop.
pub(crate) struct BoxKey {
    key: Zeroizing<[u8; KEY_LEN]>,
}

/// The box did not open: forged, damaged, or under another key or nonce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Forged;

/// `sodium_init` once per process before the first box: it picks the SIMD implementations for this
/// CPU (before it, libsodium runs its portable ones). Its result is not needed: it fails only when
/// the OS random source is missing, which the box never reads, and the box stays correct anyway.
fn init_sodium() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        // SAFETY: sodium_init takes no arguments, is idempotent and thread-safe; `Once` also
        // keeps it to one call.
        let _ = unsafe { sodium::sodium_init() };
    });
}

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
        init_sodium();
        let mut own = Zeroizing::new([0u8; KEY_LEN]);
        own.copy_from_slice(key);
        BoxKey { key: own }
    }

    /// Encrypts `buf` in place; returns the tag (which goes before the ciphertext on the wire).
    pub(crate) fn seal_in_place(&self, nonce: &[u8; NONCE_LEN], buf: &mut [u8]) -> [u8; TAG_LEN] {
        let mut tag = [0u8; TAG_LEN];
        let ptr = buf.as_mut_ptr();
        // SAFETY: `ptr` is valid for reads and writes of `buf.len()` bytes for this call (we hold
        // `&mut buf`), libsodium documents that the ciphertext may overwrite the message in place
        // (c == m), and `tag`, `nonce` and the key are arrays of the lengths crypto_secretbox
        // reads or writes (MACBYTES 16, NONCEBYTES 24, KEYBYTES 32). It cannot fail: always 0.
        let _ = unsafe {
            sodium::crypto_secretbox_detached(
                ptr,
                tag.as_mut_ptr(),
                ptr,
                buf.len() as u64,
                nonce.as_ptr(),
                self.key.as_ptr(),
            )
        };
        tag
    }

    /// Checks the tag of `buf` (ciphertext) and decrypts it in place. On `Err` the buffer has been
    /// wiped, so nothing of a forgery is left to misuse.
    pub(crate) fn open_in_place(
        &self,
        nonce: &[u8; NONCE_LEN],
        buf: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<(), Forged> {
        let ptr = buf.as_mut_ptr();
        // SAFETY: as in `seal_in_place`: `ptr` is valid for `buf.len()` bytes, libsodium allows
        // the message to overwrite the ciphertext (m == c), and `tag`, `nonce` and the key have
        // the lengths it reads. It checks the tag (in constant time) before writing anything.
        let status = unsafe {
            sodium::crypto_secretbox_open_detached(
                ptr,
                ptr,
                tag.as_ptr(),
                buf.len() as u64,
                nonce.as_ptr(),
                self.key.as_ptr(),
            )
        };
        if status != 0 {
            buf.zeroize();
            return Err(Forged);
        }
        Ok(())
    }
}

/// Splits one box's work into two halves that may run at the same time; given by the layer that
/// owns threads (the connection), which may run them on two threads or one after the other (`a`
/// first: `b` may wait for `a`'s progress, never the reverse). The wire layer itself never starts
/// a thread.
pub type Join = fn(a: &mut (dyn FnMut() + Send), b: &mut (dyn FnMut() + Send));

/// Runs both halves on the calling thread, one after the other.
pub fn serial(a: &mut (dyn FnMut() + Send), b: &mut (dyn FnMut() + Send)) {
    a();
    b();
}

/// Bytes processed at once in one pass (keystream, then MAC): small enough to stay in a core's
/// cache between the two, where libsodium's one-call box makes two passes over the whole message.
const PASS: usize = 64 * 1024;

/// Where a message byte's keystream starts: XSalsa20's first 32 bytes are the Poly1305 key.
const MESSAGE_AT: u64 = 32;

/// The XSalsa20 keystream of one box (HSalsa20 subkey and nonce tail), at any offset of its
/// message: what lets a box be sealed or opened piece by piece, and its pieces on several threads.
struct Keystream {
    subkey: Zeroizing<[u8; KEY_LEN]>,
    nonce: [u8; 8],
}

impl Keystream {
    fn new(key: &BoxKey, nonce: &[u8; NONCE_LEN]) -> Keystream {
        let mut subkey = Zeroizing::new([0u8; KEY_LEN]);
        // SAFETY: hsalsa20 writes 32 bytes to `subkey` and reads 16 of `nonce` and 32 of the key;
        // a null constant selects the standard one. It cannot fail.
        let _ = unsafe {
            sodium::crypto_core_hsalsa20(
                subkey.as_mut_ptr(),
                nonce.as_ptr(),
                key.key.as_ptr(),
                std::ptr::null(),
            )
        };
        let mut tail = [0u8; 8];
        tail.copy_from_slice(&nonce[16..]);
        Keystream {
            subkey,
            nonce: tail,
        }
    }

    /// XORs keystream blocks from block `block` on into `buf` (any length).
    fn xor_blocks(&self, block: u64, buf: &mut [u8]) {
        if buf.is_empty() {
            return;
        }
        let ptr = buf.as_mut_ptr();
        // SAFETY: `ptr` is valid for reads and writes of `buf.len()` bytes (we hold `&mut buf`);
        // libsodium allows c == m; the nonce is 8 bytes and the subkey 32, as salsa20 reads.
        let _ = unsafe {
            sodium::crypto_stream_salsa20_xor_ic(
                ptr,
                ptr,
                buf.len() as u64,
                self.nonce.as_ptr(),
                block,
                self.subkey.as_ptr(),
            )
        };
    }

    /// Writes message bytes `at..` (`src`) XORed with their keystream to `out` (as long as `src`),
    /// and returns them.
    fn xor_into<'o>(&self, at: u64, src: &[u8], out: &'o mut [MaybeUninit<u8>]) -> &'o [u8] {
        let len = src.len().min(out.len());
        let pos = at.saturating_add(MESSAGE_AT);
        let into_block = (pos % 64) as usize;
        let mut done = 0;
        if into_block != 0 {
            let mut block = [0u8; 64];
            self.xor_blocks(pos / 64, &mut block);
            done = (64 - into_block).min(len);
            for ((o, s), k) in out.iter_mut().zip(&src[..done]).zip(&block[into_block..]) {
                o.write(s ^ k);
            }
            block.zeroize();
        }
        if done < len {
            // SAFETY: `out[done..len]` is writable and `src[done..len]` readable for `len - done`
            // bytes, and they do not overlap (`out` is a unique borrow); the nonce is 8 bytes and
            // the subkey 32, as salsa20 reads.
            let _ = unsafe {
                sodium::crypto_stream_salsa20_xor_ic(
                    out[done..len].as_mut_ptr().cast(),
                    src[done..len].as_ptr(),
                    (len - done) as u64,
                    self.nonce.as_ptr(),
                    pos.div_ceil(64),
                    self.subkey.as_ptr(),
                )
            };
        }
        // SAFETY: the loop wrote `out[..done]`, salsa20 `out[done..len]`.
        unsafe { assume_init(&out[..len]) }
    }

    /// XORs the keystream of message bytes `at..at + buf.len()` into `buf`.
    fn xor_at(&self, at: u64, buf: &mut [u8]) {
        let pos = at.saturating_add(MESSAGE_AT);
        let into_block = (pos % 64) as usize;
        let mut rest = buf;
        if into_block != 0 {
            // The keystream block this run starts inside: made whole, then its tail used.
            let mut block = [0u8; 64];
            self.xor_blocks(pos / 64, &mut block);
            let n = (64 - into_block).min(rest.len());
            let (head, tail) = rest.split_at_mut(n);
            for (b, k) in head.iter_mut().zip(&block[into_block..]) {
                *b ^= k;
            }
            block.zeroize();
            rest = tail;
        }
        self.xor_blocks(pos.div_ceil(64), rest);
    }

    /// The Poly1305 key: the first 32 bytes of the keystream.
    fn mac(&self) -> Mac {
        let mut block = Zeroizing::new([0u8; 32]);
        self.xor_blocks(0, &mut block[..]);
        Mac::new(&block)
    }
}

/// Poly1305 over a box's ciphertext, fed piece by piece.
struct Mac(Box<sodium::crypto_onetimeauth_poly1305_state>);

impl Mac {
    fn new(key: &[u8; 32]) -> Mac {
        let mut state = Box::new(sodium::crypto_onetimeauth_poly1305_state { opaque: [0; 256] });
        // SAFETY: `state` is a live state of libsodium's size and the key 32 bytes. Cannot fail.
        let _ = unsafe { sodium::crypto_onetimeauth_poly1305_init(&mut *state, key.as_ptr()) };
        Mac(state)
    }

    fn update(&mut self, bytes: &[u8]) {
        // SAFETY: the state was initialised by `new`; `bytes` is readable for its length.
        let _ = unsafe {
            sodium::crypto_onetimeauth_poly1305_update(
                &mut *self.0,
                bytes.as_ptr(),
                bytes.len() as u64,
            )
        };
    }

    fn finish(mut self) -> [u8; TAG_LEN] {
        let mut tag = [0u8; TAG_LEN];
        // SAFETY: an initialised state; `tag` has the 16 bytes final writes.
        let _ =
            unsafe { sodium::crypto_onetimeauth_poly1305_final(&mut *self.0, tag.as_mut_ptr()) };
        tag
    }
}

impl Drop for Mac {
    fn drop(&mut self) {
        self.0.opaque.zeroize();
    }
}

/// Marks every pass of a split open as MACed when dropped (see `Opening::update_split`).
struct ReleaseAll<'a>(&'a std::sync::Mutex<usize>, &'a std::sync::Condvar);

impl Drop for ReleaseAll<'_> {
    fn drop(&mut self) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = usize::MAX;
        self.1.notify_one();
    }
}

/// One pass of a split open: only one thread touches it at a time (see `Opening::update_split`).
fn lock_piece<'a, 'b>(
    piece: &'a std::sync::Mutex<&'b mut [u8]>,
) -> std::sync::MutexGuard<'a, &'b mut [u8]> {
    piece.lock().unwrap_or_else(|p| p.into_inner())
}

impl BoxKey {
    /// Appends to `dst` the box of `flags` followed by `body` (a CURVE MESSAGE's box), as
    /// [`BoxKey::seal_in_place`] would seal them, and returns its tag. The body is encrypted from
    /// where it is straight into `dst` (no copy of it first), with the work split by `join`: the
    /// second half is encrypted (`b`) while the first is encrypted and MACed (`a`), then the second
    /// half is MACed. The same bytes and tag however `join` runs the halves.
    pub(crate) fn seal_split_into(
        &self,
        nonce: &[u8; NONCE_LEN],
        flags: u8,
        body: &[u8],
        dst: &mut BytesMut,
        join: Join,
    ) -> [u8; TAG_LEN] {
        let stream = Keystream::new(self, nonce);
        let mut mac = stream.mac();
        let mut sealed_flags = [flags];
        stream.xor_at(0, &mut sealed_flags);
        mac.update(&sealed_flags);
        dst.extend_from_slice(&sealed_flags);
        dst.reserve(body.len());
        let out = &mut dst.spare_capacity_mut()[..body.len()];
        // The body is message bytes 1..; its second half starts on a keystream block.
        let half = (body.len() / 2 + 1 + MESSAGE_AT as usize) / 64 * 64;
        let half = half.saturating_sub(1 + MESSAGE_AT as usize).min(body.len());
        let (src_a, src_b) = body.split_at(half);
        let (out_a, out_b) = out.split_at_mut(half);
        {
            let (stream, mac) = (&stream, &mut mac);
            let mut a = || {
                for (i, (src, out)) in src_a.chunks(PASS).zip(out_a.chunks_mut(PASS)).enumerate() {
                    mac.update(stream.xor_into(1 + (i * PASS) as u64, src, out));
                }
            };
            let mut b = || {
                for (i, (src, out)) in src_b.chunks(PASS).zip(out_b.chunks_mut(PASS)).enumerate() {
                    stream.xor_into((1 + half + i * PASS) as u64, src, out);
                }
            };
            join(&mut a, &mut b);
        }
        // SAFETY: `b` wrote every byte of `out_b` (`xor_into` fills its whole output).
        mac.update(unsafe { assume_init(out_b) });
        // SAFETY: `a` and `b` wrote all `body.len()` bytes of the spare capacity after the flags.
        unsafe { dst.set_len(dst.len() + body.len()) };
        mac.finish()
    }
}

/// # Safety
/// Every byte of `bytes` must have been written.
unsafe fn assume_init(bytes: &[MaybeUninit<u8>]) -> &[u8] {
    // SAFETY: `MaybeUninit<u8>` has `u8`'s layout, and the caller says every byte is initialised.
    unsafe { std::slice::from_raw_parts(bytes.as_ptr().cast(), bytes.len()) }
}

/// One box being opened as its ciphertext arrives: each piece is MACed, then decrypted in place,
/// while it is still in cache. Nothing decrypted may be used before [`Opening::finish`] said the
/// tag matched.
pub(crate) struct Opening {
    stream: Keystream,
    mac: Mac,
    tag: [u8; TAG_LEN],
    /// Message bytes processed so far.
    done: u64,
}

impl Opening {
    pub(crate) fn new(key: &BoxKey, nonce: &[u8; NONCE_LEN], tag: &[u8; TAG_LEN]) -> Opening {
        let stream = Keystream::new(key, nonce);
        let mac = stream.mac();
        Opening {
            stream,
            mac,
            tag: *tag,
            done: 0,
        }
    }

    /// [`Opening::update`] with the work split by `join`: `a` MACs the ciphertext a [`PASS`] at a
    /// time and `b` decrypts each pass once `a` has read it (in place, so never before), waiting
    /// (blocked, not spinning) when it catches up. On two threads the MAC's time hides under the
    /// decryption's; one after the other, it is `update`.
    pub(crate) fn update_split(&mut self, buf: &mut [u8], join: Join) {
        let pieces: Vec<std::sync::Mutex<&mut [u8]>> =
            buf.chunks_mut(PASS).map(std::sync::Mutex::new).collect();
        let maced = std::sync::Mutex::new(0usize);
        let more = std::sync::Condvar::new();
        let (mac, stream, start) = (&mut self.mac, &self.stream, self.done);
        let mut a = || {
            // Should the MAC ever panic, `b` must not wait for it forever (the caller waits for
            // `b`): whatever happens, `a` ends by releasing every pass.
            let _release = ReleaseAll(&maced, &more);
            for (i, piece) in pieces.iter().enumerate() {
                mac.update(&lock_piece(piece));
                *maced.lock().unwrap_or_else(|p| p.into_inner()) = i + 1;
                more.notify_one();
            }
        };
        let mut b = || {
            let mut at = start;
            for (i, piece) in pieces.iter().enumerate() {
                let mut ready = maced.lock().unwrap_or_else(|p| p.into_inner());
                while *ready <= i {
                    ready = more.wait(ready).unwrap_or_else(|p| p.into_inner());
                }
                drop(ready);
                let mut piece = lock_piece(piece);
                stream.xor_at(at, &mut piece);
                at += piece.len() as u64;
            }
        };
        join(&mut a, &mut b);
        self.done += buf.len() as u64;
    }

    /// The next ciphertext bytes of the box, decrypted in place (unverified until `finish`).
    pub(crate) fn update(&mut self, buf: &mut [u8]) {
        for piece in buf.chunks_mut(PASS) {
            self.mac.update(piece);
            self.stream.xor_at(self.done, piece);
            self.done += piece.len() as u64;
        }
    }

    /// Whether the tag matches everything fed to `update` (compared in constant time). On `Err`
    /// the caller must wipe what `update` decrypted.
    pub(crate) fn finish(self) -> Result<(), Forged> {
        let Opening { mac, tag, .. } = self;
        let got = mac.finish();
        // SAFETY: both are 16-byte arrays, what crypto_verify_16 reads.
        let same = unsafe { sodium::crypto_verify_16(got.as_ptr(), tag.as_ptr()) } == 0;
        if same {
            Ok(())
        } else {
            Err(Forged)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crypto_box::aead::{AeadInPlace, KeyInit};
    use crypto_box::{PublicKey, SalsaBox, SecretKey};
    use crypto_secretbox::XSalsa20Poly1305;
    use curve25519_dalek::MontgomeryPoint;
    use proptest::prelude::*;
    use std::sync::Arc;

    /// Sizes around the boundaries the primitives have: blocks (16, 64), the 32-byte one-time
    /// key at the start of the keystream, and large bodies (libsodium's SIMD paths take whole
    /// runs of blocks, the scalar tail the rest).
    fn edge_sizes() -> Vec<usize> {
        let mut sizes = vec![0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 1000];
        for base in [256, 512, 4096, 64 * 1024, 1 << 20] {
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

    /// Seals with ours and the reference, compares, opens each one's box with the other.
    fn check(key: &BoxKey, reference: &SalsaBox, nonce: [u8; 24], plain: &[u8]) {
        let len = plain.len();
        let mut theirs = plain.to_vec();
        let their_tag: [u8; 16] = reference
            .encrypt_in_place_detached(&nonce.into(), b"", &mut theirs)
            .expect("seal")
            .into();
        let mut ours = plain.to_vec();
        let tag = key.seal_in_place(&nonce, &mut ours);
        assert_eq!(tag, their_tag, "tag, {len} bytes");
        assert!(ours == theirs, "ciphertext, {len} bytes");

        let mut opened = theirs.clone();
        assert_eq!(key.open_in_place(&nonce, &mut opened, &their_tag), Ok(()));
        assert!(opened == plain, "opened, {len} bytes");
        reference
            .decrypt_in_place_detached(&nonce.into(), b"", &mut ours, &tag.into())
            .expect("the reference opens our box");
        assert!(ours == plain);
    }

    /// A forgery is refused and leaves zeros only.
    fn refused(key: &BoxKey, nonce: &[u8; 24], sealed: &[u8], tag: &[u8; 16]) {
        let mut buf = sealed.to_vec();
        assert_eq!(
            key.open_in_place(nonce, &mut buf, tag),
            Err(Forged),
            "{} bytes",
            sealed.len()
        );
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
            let mut ours = plain.clone();
            assert_eq!(key.seal_in_place(&[4u8; 24], &mut ours), their_tag);
            assert!(ours == theirs);
        }
    }

    #[test]
    fn forged_boxes_are_refused_and_wiped_at_every_size() {
        let (key, _) = pair([5u8; 32], [6u8; 32]);
        let nonce = [1u8; 24];
        for len in edge_sizes() {
            let plain = body(len, 9);
            let mut sealed = plain.clone();
            let tag = key.seal_in_place(&nonce, &mut sealed);
            let mut bad_tag = tag;
            bad_tag[len % 16] ^= 0x80;
            refused(&key, &nonce, &sealed, &bad_tag);
            // A damaged byte of ciphertext: first, middle, last, at a block boundary.
            if len > 0 {
                for at in [0, len / 2, len - 1, 64.min(len - 1)] {
                    let mut bad = sealed.clone();
                    bad[at] ^= 1;
                    refused(&key, &nonce, &bad, &tag);
                }
            }
            refused(&key, &[2u8; 24], &sealed, &tag);
            // The genuine box still opens.
            let mut opened = sealed.clone();
            assert_eq!(key.open_in_place(&nonce, &mut opened, &tag), Ok(()));
            assert!(opened == plain);
        }
    }

    #[test]
    fn boxes_from_several_threads_at_once() {
        // One key shared read-only by a connection's writer and reader.
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
                        let len = 128 * 1024 + 5 + usize::from(t) * 4096;
                        check(&key, &reference, nonce, &body(len, t ^ round));
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().expect("no panic");
        }
    }

    fn threaded(a: &mut (dyn FnMut() + Send), b: &mut (dyn FnMut() + Send)) {
        std::thread::scope(|s| {
            s.spawn(b);
            a();
        });
    }

    /// Opens `sealed` piece by piece, in pieces of `sizes` (cycled).
    fn open_streamed(
        key: &BoxKey,
        nonce: &[u8; 24],
        tag: &[u8; 16],
        sealed: &[u8],
        sizes: &[usize],
    ) -> Result<Vec<u8>, Forged> {
        let mut buf = sealed.to_vec();
        let mut opening = Opening::new(key, nonce, tag);
        let mut at = 0;
        for size in sizes.iter().cycle() {
            if at == buf.len() {
                break;
            }
            let end = (at + size).min(buf.len());
            opening.update(&mut buf[at..end]);
            at = end;
        }
        opening.finish().map(|()| buf)
    }

    #[test]
    fn split_seal_and_streamed_open_match_the_one_call_box() {
        let (key, _) = pair([1u8; 32], [2u8; 32]);
        let mut sizes = edge_sizes();
        sizes.extend([PASS - 1, PASS, PASS + 1, 3 * PASS + 33, (1 << 20) + 33]);
        for (n, len) in sizes.into_iter().enumerate() {
            let mut nonce = [5u8; 24];
            nonce[0] = n as u8;
            let plain = body(len, n as u8);
            let mut whole = plain.clone();
            let tag = key.seal_in_place(&nonce, &mut whole);
            for join in [serial as Join, threaded as Join] {
                // The first byte stands for a MESSAGE's flags, the rest for its body.
                if len > 0 {
                    let mut split = BytesMut::from(&b"head"[..]);
                    let got = key.seal_split_into(&nonce, plain[0], &plain[1..], &mut split, join);
                    assert_eq!(got, tag, "{len}");
                    assert!(split[4..] == whole[..], "ciphertext, {len} bytes");
                }
                // Opened split, after a first piece of an odd length.
                let mut opened = whole.clone();
                let mut opening = Opening::new(&key, &nonce, &tag);
                let (head, rest) = opened.split_at_mut(len.min(37));
                opening.update(head);
                opening.update_split(rest, join);
                assert_eq!(opening.finish(), Ok(()), "{len}");
                assert!(opened == plain, "opened split, {len} bytes");
            }
            // Pieces of every alignment against the 64-byte keystream blocks and 16-byte MAC blocks.
            for pieces in [
                &[1usize][..],
                &[7, 64, 3],
                &[31, 33],
                &[4096, 5],
                &[usize::MAX],
            ] {
                if len > 5000 && pieces[0] < 64 {
                    continue;
                }
                let opened = open_streamed(&key, &nonce, &tag, &whole, pieces);
                assert!(
                    opened == Ok(plain.clone()),
                    "{len} bytes in pieces {pieces:?}"
                );
            }
        }
    }

    #[test]
    fn streamed_open_refuses_forgeries() {
        let (key, _) = pair([5u8; 32], [6u8; 32]);
        let nonce = [1u8; 24];
        for len in [0usize, 1, 100, 70_000] {
            let mut sealed = body(len, 1);
            let tag = key.seal_in_place(&nonce, &mut sealed);
            let mut bad_tag = tag;
            bad_tag[3] ^= 1;
            assert!(open_streamed(&key, &nonce, &bad_tag, &sealed, &[1000]).is_err());
            assert!(open_streamed(&key, &[2u8; 24], &tag, &sealed, &[1000]).is_err());
            if len > 0 {
                let mut bad = sealed.clone();
                bad[len - 1] ^= 0x40;
                assert!(open_streamed(&key, &nonce, &tag, &bad, &[999]).is_err());
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn random_keys_nonces_and_sizes_match_crypto_box(
            a in any::<[u8; 32]>(),
            b in any::<[u8; 32]>(),
            nonce in any::<[u8; 24]>(),
            len in prop_oneof![0usize..200, 0usize..(256 * 1024)],
            seed in any::<u8>(),
            flip in any::<usize>(),
        ) {
            let (key, reference) = pair(a, b);
            let plain = body(len, seed);
            check(&key, &reference, nonce, &plain);
            // Any single flipped bit, in the tag or the ciphertext, is refused.
            let mut sealed = plain.clone();
            let mut tag = key.seal_in_place(&nonce, &mut sealed);
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

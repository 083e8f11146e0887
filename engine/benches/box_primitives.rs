//! The CURVE box alone, one core: libsodium's `crypto_box_afternm` / `crypto_box_open_afternm`
//! (the NaCl API, 32 zero bytes in front, as libzmq calls it) against RustCrypto's XSalsa20-Poly1305
//! (`crypto_secretbox`, the same composition `crypto_box`'s `SalsaBox` uses after its key
//! agreement) at 16 B, 64 KiB and 1 MiB; and libsodium's detached box in place
//! (`crypto_secretbox_detached` / `crypto_secretbox_open_detached`), which is what nacl_box.rs
//! calls. Prints the fastest of several batches, in cycles per
//! byte (time stamp counter on x86_64, otherwise nanoseconds at a nominal 1 GHz: the ratio is what
//! counts). This is the measurement behind the choice of libsodium for the box (nacl_box.rs).
//!
//! `cargo bench -p zeromq-napi-engine --bench box_primitives`; BENCH_QUICK=1 for a short run.

use crypto_secretbox::aead::{AeadInPlace, KeyInit};
use crypto_secretbox::XSalsa20Poly1305;
use libsodium_sys as sodium;
use std::time::Instant;

/// Cycles (x86_64's TSC) or nanoseconds since an arbitrary start.
fn ticks(start: Instant) -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        let _ = start;
        // SAFETY: RDTSC reads a counter; every x86_64 CPU has it.
        unsafe { std::arch::x86_64::_rdtsc() }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        start.elapsed().as_nanos() as u64
    }
}

/// The fastest of `batches` runs of `iters` calls of `f`, per byte.
fn best(batches: usize, iters: usize, size: usize, mut f: impl FnMut()) -> f64 {
    let clock = Instant::now();
    (0..batches)
        .map(|_| {
            let t = ticks(clock);
            for _ in 0..iters {
                f();
            }
            (ticks(clock) - t) as f64 / iters as f64 / size as f64
        })
        .fold(f64::MAX, f64::min)
}

fn main() {
    // SAFETY: no arguments; picks libsodium's SIMD code for this CPU, as nacl_box does.
    assert!(unsafe { sodium::sodium_init() } >= 0);
    let quick = std::env::var_os("BENCH_QUICK").is_some();
    let batches = if quick { 3 } else { 9 };
    let key = [7u8; 32];
    let nonce = [3u8; 24];
    let rust = XSalsa20Poly1305::new((&key).into());
    println!(
        "size        afternm seal  open   detached seal  open   RustCrypto seal  open   (cycles/byte, best of {batches})"
    );
    for size in [16usize, 64 * 1024, 1 << 20] {
        let iters = ((if quick { 32usize } else { 128 } << 20) / size.max(256)).clamp(10, 200_000);
        // libsodium: the NaCl layout (ZEROBYTES of zeros, then the message; the box comes out
        // with BOXZEROBYTES of zeros, then tag and ciphertext).
        let plain = {
            let mut p = vec![0x5au8; size + 32];
            p[..32].fill(0);
            p
        };
        let mut boxed = vec![0u8; size + 32];
        let mut opened = vec![0u8; size + 32];
        let len = (size + 32) as u64;
        // SAFETY (all four calls): every buffer is `size + 32` bytes long, the length passed;
        // nonce and key are the arrays crypto_box reads.
        let sodium_seal = best(batches, iters, size, || unsafe {
            sodium::crypto_box_afternm(
                boxed.as_mut_ptr(),
                plain.as_ptr(),
                len,
                nonce.as_ptr(),
                key.as_ptr(),
            );
        });
        let sodium_open = best(batches, iters, size, || {
            // SAFETY: as above.
            let status = unsafe {
                sodium::crypto_box_open_afternm(
                    opened.as_mut_ptr(),
                    boxed.as_ptr(),
                    len,
                    nonce.as_ptr(),
                    key.as_ptr(),
                )
            };
            assert_eq!(status, 0);
        });
        // libsodium detached, in place: seal, then open what was sealed (the open turns the buffer
        // back into the plaintext, so the pair repeats).
        let mut inplace = vec![0x5au8; size];
        let mut mac = [0u8; 16];
        let ptr = inplace.as_mut_ptr();
        let detached_seal = best(batches, iters, size, || {
            // SAFETY: `ptr` is valid for `size` bytes (libsodium allows c == m), `mac` 16 bytes.
            unsafe {
                sodium::crypto_secretbox_detached(
                    ptr,
                    mac.as_mut_ptr(),
                    ptr,
                    size as u64,
                    nonce.as_ptr(),
                    key.as_ptr(),
                );
            }
        });
        let detached_both = best(batches, iters, size, || {
            // SAFETY: as above.
            let status = unsafe {
                sodium::crypto_secretbox_detached(
                    ptr,
                    mac.as_mut_ptr(),
                    ptr,
                    size as u64,
                    nonce.as_ptr(),
                    key.as_ptr(),
                );
                sodium::crypto_secretbox_open_detached(
                    ptr,
                    ptr,
                    mac.as_ptr(),
                    size as u64,
                    nonce.as_ptr(),
                    key.as_ptr(),
                )
            };
            assert_eq!(status, 0);
        });
        let mut buf = vec![0x5au8; size];
        let mut tag = rust
            .encrypt_in_place_detached(&nonce.into(), b"", &mut buf)
            .expect("seal");
        let rust_seal = best(batches, iters, size, || {
            tag = rust
                .encrypt_in_place_detached(&nonce.into(), b"", &mut buf)
                .expect("seal");
        });
        // Opening in place turns the box into its plaintext: seal it again each time, and take
        // the sealing time (just measured) away.
        let rust_both = best(batches, iters, size, || {
            let tag = rust
                .encrypt_in_place_detached(&nonce.into(), b"", &mut buf)
                .expect("seal");
            rust.decrypt_in_place_detached(&nonce.into(), b"", &mut buf, &tag)
                .expect("open");
        });
        println!(
            "{size:<10} {sodium_seal:>10.2} {sodium_open:>7.2}   {detached_seal:>10.2} {:>7.2}   {rust_seal:>10.2} {:>7.2}",
            detached_both - detached_seal,
            rust_both - rust_seal
        );
    }
}

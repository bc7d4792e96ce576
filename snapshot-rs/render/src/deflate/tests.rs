//! Tests of [`super`]: every band inflated back by miniz_oxide.

use super::*;
use crate::huffman::tests::{fibonacci, huffman_reference};

/// Inflates blocks that [`Deflater::compress`] wrote (none final) with miniz_oxide, after
/// them an empty final block with the fixed codes.
fn inflate(blocks: &[u8]) -> Vec<u8> {
    let mut stream = blocks.to_vec();
    stream.extend_from_slice(&[0x03, 0x00]);
    miniz_oxide::inflate::decompress_to_vec(&stream).expect("inflate")
}

/// [`parse`] of `data`: the symbol counts and the runs.
fn parsed(data: &[u8]) -> ([u32; SYMBOLS], Vec<Run>) {
    let mut runs = Vec::new();
    let (freqs, kept) = parse(data, &mut runs);
    runs.truncate(kept);
    (freqs, runs)
}

/// Compresses `data`, checks that it inflates back and ends with an empty stored block, and
/// returns the bytes and the kind of block chosen.
fn round_trip(data: &[u8]) -> (Vec<u8>, Kind) {
    let (out, kind) = Deflater::default().compress_kind(data);
    assert_eq!(inflate(&out), data, "{kind:?}, {} bytes", data.len());
    if kind != Kind::Stored {
        assert_eq!(&out[out.len() - 4..], &[0, 0, 0xff, 0xff]);
    }
    (out, kind)
}

pub(crate) fn xorshift(seed: u32) -> impl FnMut() -> u32 {
    let mut x = seed | 1;
    move || {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        x
    }
}

/// Filtered rows as a tile's look: each row a filter byte, then transparent stretches (zeros),
/// flat colour (a pixel, then zeros under Sub) and anti-aliased edges (small deltas).
fn tile_like(rows: usize, row_bytes: usize, seed: u32) -> Vec<u8> {
    let mut rng = xorshift(seed);
    let mut out = Vec::with_capacity(rows * (row_bytes + 1));
    for _ in 0..rows {
        out.push((rng() % 5) as u8);
        let mut left = row_bytes;
        while left > 0 {
            let n = (1 + rng() as usize % 64).min(left);
            match rng() % 4 {
                0 | 1 => out.extend(std::iter::repeat_n(0, n)),
                2 => out.extend((0..n).map(|i| if i < 4 { rng() as u8 } else { 0 })),
                _ => out.extend((0..n).map(|_| ((rng() % 9) as i8 - 4) as u8)),
            }
            left -= n;
        }
    }
    out
}

#[test]
fn all_zero_bands_are_a_few_bytes() {
    for len in [1, 2, 5, 8, 9, 1025, 16 * 1025, 32 * 2049, 200_000] {
        let data = vec![0u8; len];
        let (out, kind) = round_trip(&data);
        if len >= 64 {
            assert_ne!(kind, Kind::Stored, "{len} zeros");
        }
        // One literal, then a match of 258 per 258 bytes at a few bits each.
        assert!(
            out.len() < 60 + len / 258,
            "{len} zeros in {} bytes",
            out.len()
        );
    }
}

#[test]
fn all_0xff_bands_are_runs_too() {
    for len in [4, 7, 1025, 16 * 1025] {
        let data = vec![0xffu8; len];
        let (out, kind) = round_trip(&data);
        if len >= 64 {
            assert_ne!(kind, Kind::Stored, "{len} × 0xff");
        }
        assert!(
            out.len() < 60 + len / 258,
            "{len} × 0xff in {} bytes",
            out.len()
        );
    }
}

#[test]
fn random_bytes_are_stored() {
    let mut rng = xorshift(7);
    for len in [1usize, 100, 16 * 1025, 70_000, 140_000] {
        let data: Vec<u8> = (0..len).map(|_| rng() as u8).collect();
        let (out, kind) = round_trip(&data);
        if len >= 100 {
            assert_eq!(kind, Kind::Stored, "{len} random bytes");
        }
        assert!(out.len() <= stored_len(len));
    }
    assert_eq!(inflate(&stored(&[])), Vec::<u8>::new());
}

#[test]
fn tile_like_bands_take_a_code_of_their_own() {
    for (rows, row_bytes, seed) in [(16, 1024, 1), (32, 2048, 2), (1, 4, 3), (3, 37, 4)] {
        let data = tile_like(rows, row_bytes, seed);
        let (out, kind) = round_trip(&data);
        if rows >= 16 {
            assert_eq!(kind, Kind::Dynamic);
            assert!(
                out.len() < data.len() / 2,
                "{} of {}",
                out.len(),
                data.len()
            );
        }
    }
}

#[test]
fn every_literal_and_length_in_both_codes() {
    // Every byte value, then runs of every match length, written with the fixed code and with
    // a code of their own.
    let mut data: Vec<u8> = (0..=255u8).collect();
    for n in 3..=MAX_MATCH {
        data.push(n as u8);
        data.extend(std::iter::repeat_n(n as u8, n));
    }
    let (freqs, runs) = parsed(&data);
    let dynamic = DynamicHeader::new(&freqs);
    for kind in [Kind::Fixed, Kind::Dynamic] {
        let mut w = BitWriter::with_capacity(2 * data.len());
        if kind == Kind::Fixed {
            w.put(0b010, 3);
            write_symbols(&mut w, &fixed_code().code, &data, &runs);
        } else {
            dynamic.write(&mut w);
            write_symbols(&mut w, &Code::new(&dynamic.lengths, 1), &data, &runs);
        }
        w.put(0, 3);
        let mut out = w.into_bytes();
        out.extend_from_slice(&[0, 0, 0xff, 0xff]);
        assert_eq!(inflate(&out), data, "{kind:?}");
    }
}

#[test]
fn a_band_of_the_last_band_s_counts_takes_its_code() {
    // Two bands of the same symbols in another order, then the first again: each written as a
    // deflater of its own writes it.
    let a = tile_like(16, 1024, 21);
    let mut b = a.clone();
    b.reverse();
    assert_eq!(parsed(&a).0, parsed(&b).0);
    let mut d = Deflater::default();
    for band in [&a, &b, &a, &vec![0; 100], &a] {
        let out = d.compress(band);
        assert_eq!(out, Deflater::default().compress(band));
        assert_eq!(inflate(&out), *band);
    }
}

#[test]
fn bands_concatenate() {
    let bands = [
        tile_like(16, 1024, 9),
        vec![0; 5000],
        vec![0xab; 3],
        tile_like(2, 64, 8),
    ];
    let mut d = Deflater::default();
    let blocks: Vec<u8> = bands.iter().flat_map(|b| d.compress(b)).collect();
    assert_eq!(inflate(&blocks), bands.concat());
}

#[test]
fn every_run_length_round_trips() {
    // A run of n copies after a literal, for n across the match lengths and their splits, of
    // zeros and of another byte, at every offset in the eight-byte words the parser reads.
    for n in (0..=40).chain(250..=270).chain(510..=530) {
        for shift in 0..8 {
            for b in [0u8, 0x5a] {
                let mut data: Vec<u8> = (0..shift).map(|i| 1 + i as u8).collect();
                data.push(b);
                data.extend(std::iter::repeat_n(b, n));
                data.push(0x77);
                data.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8, 9]);
                let (out, _) = round_trip(&data);
                if n >= 2 * MIN_RUN {
                    assert_eq!(
                        parsed(&data).1,
                        [Run {
                            at: shift as u32 + 1,
                            len: n as u32
                        }],
                        "{n} × {b} after {shift} ({} bytes)",
                        out.len()
                    );
                }
            }
        }
    }
}

#[test]
fn runs_inside_a_word_are_found() {
    // 1, then four 2s (a literal and three copies would not do: MIN_RUN copies), then 3, ...
    let mut data = vec![9, 1];
    data.extend(std::iter::repeat_n(2, MIN_RUN + 1));
    data.extend_from_slice(&[3; 1]);
    data.extend_from_slice(&[4, 5, 6, 7, 8, 9, 10, 11, 12]);
    assert_eq!(
        parsed(&data).1,
        [Run {
            at: 3,
            len: MIN_RUN as u32
        }]
    );
    round_trip(&data);
}

#[test]
fn a_band_of_fibonacci_counts_inflates() {
    // Literals 0..25 with Fibonacci counts, shuffled, in a band: its code hits the limit.
    let counts = fibonacci(25);
    let mut data: Vec<u8> = counts
        .iter()
        .enumerate()
        .flat_map(|(s, &c)| std::iter::repeat_n(s as u8 * 3 + 1, c as usize))
        .collect();
    let mut rng = xorshift(5);
    for i in (1..data.len()).rev() {
        data.swap(i, rng() as usize % (i + 1));
    }
    let (freqs, _) = parsed(&data);
    let header = DynamicHeader::new(&freqs);
    assert!(header.lengths.iter().all(|&l| l <= MAX_BITS));
    assert!(huffman_reference(&freqs).iter().any(|&l| l > 15));
    let kraft: u64 = header
        .lengths
        .iter()
        .filter(|&&l| l > 0)
        .map(|&l| 1u64 << (15 - l))
        .sum();
    assert_eq!(kraft, 1 << 15);
    let (_, kind) = round_trip(&data);
    assert_eq!(kind, Kind::Dynamic);
}

#[test]
fn length_codes_are_rfc_1951_s() {
    let code = |len: usize| 257 + usize::from(LENGTH_CODE[len - 3]);
    assert_eq!(code(3), 257);
    assert_eq!(code(10), 264);
    assert_eq!(code(11), 265);
    assert_eq!(code(12), 265);
    assert_eq!(code(13), 266);
    assert_eq!(code(227), 284);
    assert_eq!(code(257), 284);
    assert_eq!(code(258), 285);
    for len in 3..=MAX_MATCH {
        let c = usize::from(LENGTH_CODE[len - 3]);
        let extra = len - usize::from(LENGTH_BASE[c]);
        assert!(extra < 1 << LENGTH_EXTRA[c], "{len}");
    }
}

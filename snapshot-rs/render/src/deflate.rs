//! Deflate (RFC 1951) of one band of filtered PNG rows, as blocks none of which is final and which
//! end on a byte boundary, so that bands can be laid one after the other in a zlib stream.
//!
//! The only matches are runs: a byte, then copies of it at distance 1 (filtered image rows are
//! mostly runs of zeros, which the filters make of flat colour, and literals). A run of
//! [`MIN_RUN`] or more repeated bytes after the literal that starts it is one match, or several of
//! at most 258 bytes; everything else is literals. The band is parsed once into its runs, which
//! gives the symbol counts, and from them:
//!
//! - a Huffman code of the band's own literals and lengths (RFC 1951, 3.2.7), at most 15 bits a
//!   code ([`crate::huffman`]), and the band's size in a block with it, its code description
//!   included;
//! - the band's size in a block with the fixed codes (3.2.6), and stored (3.2.4).
//!
//! The smallest of the three is written, then, after a Huffman block, an empty stored block that
//! pads to a byte boundary. The distance code has one code of one bit (distance 1), as 3.2.7
//! allows.

use std::sync::OnceLock;

use crate::bits::BitWriter;
use crate::huffman::{DynamicHeader, canonical_codes};

/// Shortest run of a repeated byte (after its first occurrence) coded as a match instead of
/// literals. A match costs a length code and the distance bit, a few literals of a common byte
/// about as much: on real tiles 4, 5, 6 and 8 give PNGs within 0.3 % of each other, 6 the smallest,
/// and fewer runs are a little faster to parse and write.
const MIN_RUN: usize = 6;

/// Longest match (RFC 1951, 3.2.5).
const MAX_MATCH: usize = 258;

/// Literal/length symbols used: 256 literals, end of block (256) and the 29 length codes.
pub(crate) const SYMBOLS: usize = 286;
const END_OF_BLOCK: usize = 256;

/// Longest code of the literal/length code (RFC 1951, 3.2.7).
pub(crate) const MAX_BITS: u8 = 15;

/// Base length and extra bits of each length code 257–285 (RFC 1951, 3.2.5).
const LENGTH_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LENGTH_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];

/// The length code (minus 257) of each match length 3–258, indexed by length − 3.
const LENGTH_CODE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut code = 0;
    while code < 29 {
        let end = if code + 1 < 29 {
            LENGTH_BASE[code + 1] as usize
        } else {
            MAX_MATCH + 1
        };
        let mut len = LENGTH_BASE[code] as usize;
        while len < end {
            t[len - 3] = code as u8;
            len += 1;
        }
        code += 1;
    }
    t
};

/// Matches of a band: bytes `at..at + len` all equal the byte at `at − 1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Run {
    at: u32,
    len: u32,
}

/// Buffers reused from band to band, and the last band's code.
#[derive(Default)]
pub(crate) struct Deflater {
    runs: Vec<Run>,
    /// The symbol counts, code and description of the last band written with a code of its own:
    /// a band with the same counts (transparent bands of one size) takes them as they are.
    last: Option<Box<(Counts, DynamicHeader, Code)>>,
}

/// How often each literal/length symbol occurs in a band.
type Counts = [u32; SYMBOLS];

/// Which kind of block a band was written as (for tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Stored,
    Fixed,
    Dynamic,
}

impl Deflater {
    /// Deflates `data` as blocks none of which is final, ending on a byte boundary.
    #[inline(always)]
    pub(crate) fn compress(&mut self, data: &[u8]) -> Vec<u8> {
        self.compress_kind(data).0
    }

    /// [`Deflater::compress`], and the kind of block written.
    #[inline(always)]
    pub(crate) fn compress_kind(&mut self, data: &[u8]) -> (Vec<u8>, Kind) {
        let (freqs, kept) = parse(data, &mut self.runs);
        let runs = &self.runs[..kept];
        if self.last.as_ref().is_none_or(|last| last.0 != freqs) {
            let dynamic = DynamicHeader::new(&freqs);
            let code = Code::new(&dynamic.lengths, 1);
            self.last = Some(Box::new((freqs, dynamic, code)));
        }
        let (_, dynamic, code) = &**self.last.as_ref().expect("the band's code, just made");
        let fixed = fixed_code();
        // Block header, symbols, end of block; then the empty stored block: 3 bits, padding to the
        // byte, LEN and NLEN.
        let bytes = |bits: u64| (bits + 3).div_ceil(8) as usize + 4;
        let dynamic_bytes = bytes(dynamic.bits + body_bits(&freqs, &dynamic.lengths, 1));
        let fixed_bytes = bytes(3 + body_bits(&freqs, &fixed.lengths, 5));
        let stored_bytes = stored_len(data.len());
        if stored_bytes <= dynamic_bytes.min(fixed_bytes) {
            return (stored(data), Kind::Stored);
        }
        let mut w = BitWriter::with_capacity(dynamic_bytes.min(fixed_bytes) + 8);
        let kind = if dynamic_bytes <= fixed_bytes {
            dynamic.write(&mut w);
            write_symbols(&mut w, code, data, runs);
            Kind::Dynamic
        } else {
            // BFINAL 0, BTYPE 01.
            w.put(0b010, 3);
            write_symbols(&mut w, &fixed.code, data, runs);
            Kind::Fixed
        };
        // BFINAL 0, BTYPE 00, padding, LEN 0, NLEN 0xffff.
        w.put(0, 3);
        let mut out = w.into_bytes();
        out.extend_from_slice(&[0, 0, 0xff, 0xff]);
        debug_assert_eq!(
            out.len(),
            if kind == Kind::Dynamic {
                dynamic_bytes
            } else {
                fixed_bytes
            }
        );
        (out, kind)
    }
}

/// The high bit of every byte.
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `x` that is not zero, others clear.
#[inline(always)]
fn nonzero_bytes(x: u64) -> u64 {
    // Adding 0x7f to the low 7 bits carries into the high bit when any is set, never further.
    (((x & !HIGH_BITS) + !HIGH_BITS) | x) & HIGH_BITS
}

/// Puts in `runs[..n]` every run of at least [`MIN_RUN`] bytes equal to the byte before them, and
/// returns how often each literal/length symbol occurs in `data` so parsed (end of block once) and
/// `n`. `runs` is grown to as many runs as `data` can hold, never shrunk (nor cleared).
///
/// Eight bytes at a time: XOR with themselves shifted by one byte (the last byte of the previous
/// eight coming in) leaves a zero byte where a byte equals the one before. Eight equal bytes extend
/// the current run; otherwise the equal bytes at the low end end it, those at the high end start
/// the next, and the rare run wholly inside the eight bytes is looked for byte by byte. A run is
/// written in the next slot of `runs` whatever its length and kept (the count moved on) only when
/// long enough, which needs no branch.
///
/// Every byte is counted as a literal (the eight-byte words of one byte together), and the runs'
/// bytes are taken off again at the end.
#[inline(always)]
fn parse(data: &[u8], runs: &mut Vec<Run>) -> (Counts, usize) {
    // A kept run and the literal before it take MIN_RUN + 1 bytes; one more slot for the last
    // written, not kept.
    let slots = data.len() / (MIN_RUN + 1) + 2;
    if runs.len() < slots {
        runs.resize(slots, Run { at: 0, len: 0 });
    }
    let mut kept = 0;
    let mut close = |end: usize, len: usize| {
        runs[kept] = Run {
            at: (end - len) as u32,
            len: len as u32,
        };
        kept += usize::from(len >= MIN_RUN);
    };
    // Four tables, one per byte lane, so that a byte repeated nearby does not wait on its own
    // count.
    let mut counts = [[0u32; 256]; 4];
    // Bytes of the eight-byte words equal to `prev` throughout, since the last other word: counted
    // with the next (adding to one count every word would wait on the addition before).
    let mut uniform = 0u32;
    // Equal bytes just before the current position. The first byte never starts inside a run: it
    // is compared with its complement.
    let mut streak = 0usize;
    let mut prev = data.first().map_or(0, |&b| !b);
    let mut chunks = data.chunks_exact(8);
    let mut at = 0usize;
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        let diff = word ^ (word << 8 | u64::from(prev));
        if diff == 0 {
            uniform += 8;
            streak += 8;
            at += 8;
            continue;
        }
        counts[0][usize::from(prev)] += uniform;
        uniform = 0;
        for (lane, pair) in chunk.chunks_exact(2).enumerate() {
            counts[lane][usize::from(pair[0])] += 1;
            counts[lane][usize::from(pair[1])] += 1;
        }
        prev = chunk[7];
        let differ = nonzero_bytes(diff);
        let low = (differ.trailing_zeros() / 8) as usize;
        let high = (differ.leading_zeros() / 8) as usize;
        close(at + low, streak + low);
        // A run strictly between the first differing byte and the last: windows of MIN_RUN equal
        // bytes starting after the first, ending before the last.
        let equal = (!differ & HIGH_BITS) >> (8 * low) >> 8;
        let mut window = equal;
        for k in 1..MIN_RUN {
            window &= equal >> (8 * k);
        }
        let span = 7 - high - low;
        let starts = span.saturating_sub(MIN_RUN);
        if window & ((1u64 << (8 * starts)) - 1) != 0 {
            let mut s = 0;
            for k in low + 1..8 - high {
                if differ >> (8 * k + 7) & 1 == 0 {
                    s += 1;
                } else {
                    close(at + k, s);
                    s = 0;
                }
            }
        }
        streak = high;
        at += 8;
    }
    counts[0][usize::from(prev)] += uniform;
    for &b in chunks.remainder() {
        counts[0][usize::from(b)] += 1;
        if b == prev {
            streak += 1;
        } else {
            close(at, streak);
            streak = 0;
        }
        prev = b;
        at += 1;
    }
    close(at, streak);
    let mut lengths = [0u32; SYMBOLS - 257];
    for run in &runs[..kept] {
        let b = usize::from(data[run.at as usize - 1]);
        counts[1][b] = counts[1][b].wrapping_sub(run.len);
        for_each_match(run.len as usize, |m| {
            lengths[usize::from(LENGTH_CODE[m - 3])] += 1;
        });
    }
    let mut freqs = [0u32; SYMBOLS];
    for (s, f) in freqs[..256].iter_mut().enumerate() {
        *f = counts[0][s]
            .wrapping_add(counts[1][s])
            .wrapping_add(counts[2][s])
            .wrapping_add(counts[3][s]);
    }
    freqs[END_OF_BLOCK] = 1;
    freqs[257..].copy_from_slice(&lengths);
    (freqs, kept)
}

/// Calls `f` with the length of each match of a run of `len` (≥ 3) copies: 258 bytes each, the last
/// two shortened if need be so that none is under 3.
#[inline(always)]
fn for_each_match(mut len: usize, mut f: impl FnMut(usize)) {
    while len > MAX_MATCH {
        let take = if len - MAX_MATCH >= 3 {
            MAX_MATCH
        } else {
            len - 3
        };
        f(take);
        len -= take;
    }
    f(len);
}

/// Bits of the symbols counted in `freqs` (and their extra bits and distance codes) with code
/// lengths `lengths` and a distance code of `dist_bits`.
fn body_bits(freqs: &[u32; SYMBOLS], lengths: &[u8; SYMBOLS], dist_bits: u64) -> u64 {
    let mut bits = 0u64;
    for (s, (&f, &l)) in freqs.iter().zip(lengths).enumerate() {
        let extra = if s > END_OF_BLOCK {
            u64::from(LENGTH_EXTRA[s - 257]) + dist_bits
        } else {
            0
        };
        bits += u64::from(f) * (u64::from(l) + extra);
    }
    bits
}

/// A literal/length code ready to write symbols with.
struct Code {
    /// Each literal's code in the low 16 bits, its length above.
    literals: [u32; 256],
    /// Each match length 3–258 (index − 3): its length code, extra bits and distance code, as
    /// bits in the low 32 bits and their count above.
    matches: [u64; 256],
    /// End of block, likewise.
    end: u64,
}

impl Code {
    /// The code of `lengths` (of every symbol the code has: the fixed code has 288, two of them
    /// unused), with a distance code of `dist_bits` zero bits (distance 1).
    fn new(lengths: &[u8], dist_bits: u8) -> Code {
        let mut all = [0u16; 288];
        let codes = &mut all[..lengths.len()];
        canonical_codes(lengths, codes);
        let mut literals = [0u32; 256];
        for (lit, (&c, &l)) in literals.iter_mut().zip(codes.iter().zip(lengths)) {
            *lit = u32::from(c) | u32::from(l) << 16;
        }
        // The lengths of the length codes used (the others are never written).
        let mut matches = [0u64; 256];
        for code in (0..29).filter(|&c| lengths[257 + c] > 0) {
            let (c, l) = (codes[257 + code], lengths[257 + code]);
            let bits = u64::from(l + LENGTH_EXTRA[code] + dist_bits) << 32 | u64::from(c);
            let base = usize::from(LENGTH_BASE[code]);
            let end = LENGTH_BASE
                .get(code + 1)
                .map_or(MAX_MATCH + 1, |&b| usize::from(b));
            for (extra, m) in matches[base - 3..end - 3].iter_mut().enumerate() {
                *m = bits | (extra as u64) << l;
            }
        }
        let end = u64::from(codes[END_OF_BLOCK]) | u64::from(lengths[END_OF_BLOCK]) << 32;
        Code {
            literals,
            matches,
            end,
        }
    }
}

/// The fixed code (RFC 1951, 3.2.6).
struct Fixed {
    lengths: [u8; SYMBOLS],
    code: Code,
}

fn fixed_code() -> &'static Fixed {
    static FIXED: OnceLock<Fixed> = OnceLock::new();
    FIXED.get_or_init(|| {
        // 288 codes: 286 and 287 take part in the code's construction, though never sent.
        let mut lengths = [8u8; 288];
        lengths[144..256].fill(9);
        lengths[256..280].fill(7);
        Fixed {
            code: Code::new(&lengths, 5),
            lengths: lengths[..SYMBOLS].try_into().expect("286 lengths"),
        }
    })
}

/// Writes the symbols of `data` parsed into `runs` with `code`, and the end of block.
#[inline(always)]
fn write_symbols(w: &mut BitWriter, code: &Code, data: &[u8], runs: &[Run]) {
    let mut from = 0;
    for run in runs {
        write_literals(w, code, data, from, run.at as usize);
        for_each_match(run.len as usize, |len| {
            let m = code.matches[len - 3];
            w.put(m & 0xffff_ffff, (m >> 32) as u32);
        });
        from = (run.at + run.len) as usize;
    }
    write_literals(w, code, data, from, data.len());
    w.put(code.end & 0xffff_ffff, (code.end >> 32) as u32);
}

/// Writes the literals `data[from..to]`, four at a time (in one write when their codes fit, as
/// common literals' short codes nearly always do).
#[inline(always)]
fn write_literals(w: &mut BitWriter, code: &Code, data: &[u8], from: usize, to: usize) {
    let pair = |x: u8, y: u8| {
        let (a, b) = (code.literals[usize::from(x)], code.literals[usize::from(y)]);
        (
            u64::from(a & 0xffff) | u64::from(b & 0xffff) << (a >> 16),
            (a >> 16) + (b >> 16),
        )
    };
    let mut quads = data[from..to].chunks_exact(4);
    for q in &mut quads {
        let ((b0, n0), (b1, n1)) = (pair(q[0], q[1]), pair(q[2], q[3]));
        if n0 + n1 <= 56 {
            w.put(b0 | b1 << n0, n0 + n1);
        } else {
            w.put(b0, n0);
            w.put(b1, n1);
        }
    }
    for &b in quads.remainder() {
        let a = code.literals[usize::from(b)];
        w.put(u64::from(a & 0xffff), a >> 16);
    }
}

/// Size of `len` bytes as stored blocks.
pub(crate) fn stored_len(len: usize) -> usize {
    len + 5 * len.div_ceil(65535).max(1)
}

/// `data` as stored blocks (RFC 1951, 3.2.4), none final: each a header byte (BFINAL 0, BTYPE 00,
/// padding), LEN and NLEN, then at most 65535 bytes.
fn stored(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(stored_len(data.len()));
    let mut blocks = data.chunks(65535).peekable();
    if blocks.peek().is_none() {
        out.extend_from_slice(&[0, 0, 0, 0xff, 0xff]);
    }
    for block in blocks {
        let len = block.len() as u16;
        out.push(0);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    out
}

#[cfg(test)]
pub(crate) mod tests;

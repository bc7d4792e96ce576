//! Huffman codes of a deflate block (RFC 1951): optimal code lengths from symbol counts, limited to
//! a longest code; canonical codes from lengths (3.2.2); and the description of a dynamic block's
//! codes at its start (3.2.7).

use crate::bits::BitWriter;
use crate::deflate::{MAX_BITS, SYMBOLS};

/// Longest code of the code-length code (RFC 1951, 3.2.7).
const MAX_CL_BITS: u8 = 7;

/// The order in which the code lengths of the code-length alphabet are sent (RFC 1951, 3.2.7).
const CL_ORDER: [usize; 19] = [
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
];

/// Optimal code lengths for `freqs` (at most 286 symbols) with no code longer than `limit` (which
/// must allow a code for every symbol: at most 2^limit of them), into `lengths` (0 for the unused
/// symbols).
///
/// A Huffman code built with two queues (the leaves sorted by count, the merged nodes made in
/// increasing weight order), whose lengths are then limited: every length over the limit becomes
/// the limit, lengthening the longest codes under it until the Kraft sum is at most 1, then
/// shortening codes while it stays so, until it is exactly 1. The lengths go to the symbols by
/// count, the shortest to the most frequent. The code is always complete; a single symbol gets a
/// second of length 1 beside it.
pub(crate) fn code_lengths(freqs: &[u32], limit: u8, lengths: &mut [u8]) {
    debug_assert_eq!(freqs.len(), lengths.len());
    debug_assert!(freqs.len() <= 1 << limit);
    lengths.fill(0);
    // The used symbols by count (then symbol): count in the high bits, symbol in the low 16.
    // Every symbol is written at the end, which moves on past the used ones only (no branch).
    let mut leaves = [0u64; SYMBOLS];
    let mut n = 0;
    for (s, &f) in freqs.iter().enumerate() {
        leaves[n] = u64::from(f) << 16 | s as u64;
        n += usize::from(f > 0);
    }
    if n < 2 {
        // One symbol (or none): a complete code needs two codes of one bit.
        let used = if n == 1 {
            (leaves[0] & 0xffff) as usize
        } else {
            0
        };
        lengths[used] = 1;
        lengths[if used == 0 { 1 } else { 0 }] = 1;
        return;
    }
    let leaves = &mut leaves[..n];
    sort_by_count(leaves);
    // Nodes 0..n are the leaves, n.. the merged nodes in the order made. Each step merges the
    // two lightest of the next leaf and the next merged node (a leaf on a tie, which keeps codes
    // shorter), chosen without a branch: past the last leaf, and past the last merged node, the
    // weights are u64::MAX.
    let mut leaf_weight = [u64::MAX; SYMBOLS + 1];
    for (w, &l) in leaf_weight.iter_mut().zip(leaves.iter()) {
        *w = l >> 16;
    }
    let mut node_weight = [u64::MAX; SYMBOLS];
    let mut parent = [0u16; 2 * SYMBOLS];
    let (mut next_leaf, mut next_node) = (0, 0);
    for made in 0..n - 1 {
        let mut take = || {
            let leaf = leaf_weight[next_leaf] <= node_weight[next_node];
            let (node, w) = if leaf {
                (next_leaf, leaf_weight[next_leaf])
            } else {
                (n + next_node, node_weight[next_node])
            };
            next_leaf += usize::from(leaf);
            next_node += usize::from(!leaf);
            (node, w)
        };
        let ((a, wa), (b, wb)) = (take(), take());
        node_weight[made] = wa + wb;
        parent[a] = (n + made) as u16;
        parent[b] = (n + made) as u16;
    }
    // Depths from the root (the last node made) down: a parent is made after its children.
    let mut depth = [0u16; 2 * SYMBOLS];
    for node in (0..2 * n - 2).rev() {
        depth[node] = depth[usize::from(parent[node])] + 1;
    }
    // Number of codes of each length, the longest cut to the limit.
    let limit_usize = usize::from(limit);
    // (Two tables, alternating: neighbours mostly have one depth, and one table would make each
    // addition wait on the one before.)
    let mut counts = [[0u32; 16]; 2];
    for (i, &d) in depth[..n].iter().enumerate() {
        counts[i & 1][usize::from(d).min(limit_usize)] += 1;
    }
    let mut count = [0u32; 16];
    for (c, (a, b)) in count.iter_mut().zip(counts[0].iter().zip(&counts[1])) {
        *c = a + b;
    }
    // Kraft sum in units of 2^-limit.
    let full = 1u64 << limit;
    let mut kraft: u64 = (1..=limit_usize)
        .map(|l| u64::from(count[l]) << (limit_usize - l))
        .sum();
    while kraft > full {
        // Lengthen one of the longest codes under the limit.
        let l = (1..limit_usize)
            .rev()
            .find(|&l| count[l] > 0)
            .expect("a code under the limit while the sum is over 1");
        count[l] -= 1;
        count[l + 1] += 1;
        kraft -= 1 << (limit_usize - l - 1);
    }
    while kraft < full {
        // Shorten one of the shortest codes whose shortening keeps the sum at most 1.
        let l = (2..=limit_usize)
            .find(|&l| count[l] > 0 && kraft + (1 << (limit_usize - l)) <= full)
            .expect("the longest code fits what the sum lacks");
        count[l] -= 1;
        count[l - 1] += 1;
        kraft += 1 << (limit_usize - l);
    }
    // The longest codes to the rarest symbols.
    let mut rarest = leaves.iter();
    for l in (1..=limit_usize).rev() {
        for _ in 0..count[l] {
            let leaf = rarest.next().expect("as many lengths as symbols");
            lengths[(leaf & 0xffff) as usize] = l as u8;
        }
    }
}

/// Sorts keys `count << 16 | symbol` (given in symbol order) by count, then symbol. Most counts of a
/// band are under 256: those are placed by a counting sort, after them the few larger ones sorted.
fn sort_by_count(keys: &mut [u64]) {
    const SMALL: usize = 256;
    if keys.len() < 64 {
        keys.sort_unstable();
        return;
    }
    let count = |k: u64| (k >> 16) as usize;
    let mut starts = [0u16; SMALL + 1];
    for &k in keys.iter() {
        starts[count(k).min(SMALL)] += 1;
    }
    let mut sum = 0;
    for s in &mut starts {
        (*s, sum) = (sum, sum + *s);
    }
    let mut sorted = [0u64; SYMBOLS];
    // Stable: keys of one count stay in symbol order.
    for &k in keys.iter() {
        let c = count(k).min(SMALL);
        sorted[usize::from(starts[c])] = k;
        starts[c] += 1;
    }
    let sorted = &mut sorted[..keys.len()];
    let large = usize::from(starts[SMALL - 1]);
    sorted[large..].sort_unstable();
    keys.copy_from_slice(sorted);
}

/// Canonical codes of `lengths` (RFC 1951, 3.2.2), bit-reversed since deflate sends a Huffman code
/// from its most significant bit and everything else from its least.
pub(crate) fn canonical_codes(lengths: &[u8], codes: &mut [u16]) {
    // Codes of each length, counted in two tables alternating (see `code_lengths`).
    let mut counts = [[0u16; 16]; 2];
    for (i, &l) in lengths.iter().enumerate() {
        counts[i & 1][usize::from(l)] += 1;
    }
    let mut count = [0u16; 16];
    for (c, (a, b)) in count
        .iter_mut()
        .zip(counts[0].iter().zip(&counts[1]))
        .skip(1)
    {
        *c = a + b;
    }
    let mut next = [0u16; 16];
    let mut code = 0u16;
    for bits in 1..16 {
        code = (code + count[bits - 1]) << 1;
        next[bits] = code;
    }
    // Without a branch on unused symbols (length 0: their code is 0, `next[0]` counts them).
    for (c, &l) in codes.iter_mut().zip(lengths) {
        let l = usize::from(l);
        *c =
            (u32::from(next[l].reverse_bits()) << 16 >> (32 - l).min(31)) as u16 * u16::from(l > 0);
        next[l] += 1;
    }
}

/// A band's Huffman code and its description at the start of a dynamic block.
pub(crate) struct DynamicHeader {
    pub lengths: [u8; SYMBOLS],
    /// Literal/length codes sent (HLIT + 257).
    sent: usize,
    /// The code-length code: lengths, codes.
    cl_lengths: [u8; 19],
    cl_codes: [u16; 19],
    /// Code-length codes sent (HCLEN + 4).
    cl_sent: usize,
    /// The code lengths run-length coded: code-length symbols and their extra bits.
    tokens: Vec<(u8, u8)>,
    /// Bits of the whole header, BFINAL and BTYPE included.
    pub bits: u64,
}

impl DynamicHeader {
    pub(crate) fn new(freqs: &[u32; SYMBOLS]) -> DynamicHeader {
        let mut lengths = [0u8; SYMBOLS];
        code_lengths(freqs, MAX_BITS, &mut lengths);
        let sent = 257.max(SYMBOLS - lengths.iter().rev().take_while(|&&l| l == 0).count());
        // Literal/length lengths, then the distance code's: one code of one bit.
        let mut all = lengths[..sent].to_vec();
        all.push(1);
        let tokens = run_length(&all);
        let mut cl_freqs = [0u32; 19];
        for &(s, _) in &tokens {
            cl_freqs[usize::from(s)] += 1;
        }
        let mut cl_lengths = [0u8; 19];
        code_lengths(&cl_freqs, MAX_CL_BITS, &mut cl_lengths);
        let mut cl_codes = [0u16; 19];
        canonical_codes(&cl_lengths, &mut cl_codes);
        let cl_sent = 4.max(
            19 - CL_ORDER
                .iter()
                .rev()
                .take_while(|&&s| cl_lengths[s] == 0)
                .count(),
        );
        let token_bits: u64 = tokens
            .iter()
            .map(|&(s, _)| u64::from(cl_lengths[usize::from(s)]) + u64::from(cl_extra_bits(s)))
            .sum();
        DynamicHeader {
            lengths,
            sent,
            cl_lengths,
            cl_codes,
            cl_sent,
            tokens,
            bits: 3 + 5 + 5 + 4 + 3 * cl_sent as u64 + token_bits,
        }
    }

    #[inline(always)]
    pub(crate) fn write(&self, w: &mut BitWriter) {
        // BFINAL 0, BTYPE 10, HLIT, HDIST (one distance code), HCLEN.
        w.put(0b100, 3);
        w.put((self.sent - 257) as u64, 5);
        w.put(0, 5);
        w.put((self.cl_sent - 4) as u64, 4);
        for &s in &CL_ORDER[..self.cl_sent] {
            w.put(u64::from(self.cl_lengths[s]), 3);
        }
        for &(s, extra) in &self.tokens {
            let s = usize::from(s);
            w.put(u64::from(self.cl_codes[s]), u32::from(self.cl_lengths[s]));
            w.put(u64::from(extra), u32::from(cl_extra_bits(s as u8)));
        }
    }
}

/// Extra bits of a code-length symbol: 16 repeats the previous length 3–6 times, 17 writes 3–10
/// zeros, 18 writes 11–138.
fn cl_extra_bits(symbol: u8) -> u8 {
    match symbol {
        16 => 2,
        17 => 3,
        18 => 7,
        _ => 0,
    }
}

/// Code lengths as code-length symbols with their extra bits (RFC 1951, 3.2.7).
fn run_length(lengths: &[u8]) -> Vec<(u8, u8)> {
    let mut out = Vec::with_capacity(lengths.len());
    let mut i = 0;
    while i < lengths.len() {
        let l = lengths[i];
        let mut n = lengths[i..].iter().take_while(|&&x| x == l).count();
        i += n;
        if l == 0 {
            while n >= 11 {
                let k = n.min(138);
                out.push((18, (k - 11) as u8));
                n -= k;
            }
            if n >= 3 {
                out.push((17, (n - 3) as u8));
                n = 0;
            }
        } else {
            out.push((l, 0));
            n -= 1;
            while n >= 3 {
                let k = n.min(6);
                out.push((16, (k - 3) as u8));
                n -= k;
            }
        }
        out.extend(std::iter::repeat_n((l, 0), n));
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    use super::*;
    use crate::deflate::tests::xorshift;

    /// Optimal code lengths without a limit (a plain Huffman code, with a heap), for comparison.
    pub(crate) fn huffman_reference(freqs: &[u32]) -> Vec<u32> {
        let used: Vec<usize> = (0..freqs.len()).filter(|&s| freqs[s] > 0).collect();
        let mut lengths = vec![0; freqs.len()];
        if used.len() < 2 {
            return lengths;
        }
        // Each node: its weight and the symbols under it.
        let mut heap: BinaryHeap<Reverse<(u64, Vec<usize>)>> = used
            .iter()
            .map(|&s| Reverse((u64::from(freqs[s]), vec![s])))
            .collect();
        while heap.len() > 1 {
            let Reverse((wa, a)) = heap.pop().unwrap();
            let Reverse((wb, b)) = heap.pop().unwrap();
            for &s in a.iter().chain(&b) {
                lengths[s] += 1;
            }
            heap.push(Reverse((wa + wb, [a, b].concat())));
        }
        lengths
    }

    fn cost(freqs: &[u32], lengths: impl IntoIterator<Item = u32>) -> u64 {
        freqs
            .iter()
            .zip(lengths)
            .map(|(&f, l)| u64::from(f) * u64::from(l))
            .sum()
    }

    /// Checks `code_lengths` of `freqs` at `limit`: no code over the limit, a code for every used
    /// symbol and only for them (or two of one bit for one symbol), Kraft's sum exactly 1, and the
    /// optimal cost when the optimal code fits the limit. Returns the lengths and whether the
    /// optimal code was over the limit.
    fn check_lengths(freqs: &[u32], limit: u8) -> (Vec<u8>, bool) {
        let mut lengths = vec![0u8; freqs.len()];
        code_lengths(freqs, limit, &mut lengths);
        let used = freqs.iter().filter(|&&f| f > 0).count();
        for (s, (&f, &l)) in freqs.iter().zip(&lengths).enumerate() {
            assert!(l <= limit, "symbol {s}: {l} bits");
            if used >= 2 {
                assert_eq!(f > 0, l > 0, "symbol {s}, count {f}, {l} bits");
            }
        }
        let kraft: u64 = lengths
            .iter()
            .filter(|&&l| l > 0)
            .map(|&l| 1u64 << (limit - l))
            .sum();
        assert_eq!(kraft, 1 << limit, "Kraft sum of {lengths:?}");
        let reference = huffman_reference(freqs);
        let over = reference.iter().any(|&l| l > u32::from(limit));
        let ours = cost(freqs, lengths.iter().map(|&l| u32::from(l)));
        let optimal = cost(freqs, reference);
        if over {
            assert!(ours >= optimal);
        } else if used >= 2 {
            assert_eq!(ours, optimal, "{freqs:?}");
        }
        (lengths, over)
    }

    pub(crate) fn fibonacci(n: usize) -> Vec<u32> {
        let mut f = vec![1u32, 1];
        while f.len() < n {
            f.push(f[f.len() - 1] + f[f.len() - 2]);
        }
        f
    }

    #[test]
    fn fibonacci_counts_are_limited_to_15_bits() {
        // Fibonacci counts make the deepest Huffman tree: one more level per symbol.
        for n in [17, 20, 25, 30] {
            let mut freqs = [0u32; SYMBOLS];
            for (s, f) in fibonacci(n).into_iter().enumerate() {
                // Spread over the alphabet, lengths included.
                freqs[(s * 11) % SYMBOLS] = f;
            }
            let (_, over) = check_lengths(&freqs, MAX_BITS);
            assert!(over, "{n} Fibonacci counts fit 15 bits unlimited");
        }
        // Code-length codes: 19 symbols, 7 bits.
        let mut freqs = [0u32; 19];
        freqs.copy_from_slice(&fibonacci(19));
        assert!(check_lengths(&freqs, MAX_CL_BITS).1);
    }

    #[test]
    fn sorting_by_count_is_sorting() {
        let mut rng = xorshift(17);
        for n in [1, 2, 63, 64, 65, 200, SYMBOLS] {
            for max in [1, 255, 256, 300, 1 << 20] {
                let keys: Vec<u64> = (0..n)
                    .map(|s| u64::from(rng() % max + 1) << 16 | s as u64)
                    .collect();
                let mut ours = keys.clone();
                sort_by_count(&mut ours);
                let mut want = keys;
                want.sort_unstable();
                assert_eq!(ours, want, "{n} keys, counts up to {max}");
            }
        }
    }

    #[test]
    fn code_lengths_are_complete_limited_and_optimal_when_they_fit() {
        let mut rng = xorshift(11);
        for round in 0..300 {
            let (symbols, limit) = if round % 3 == 0 {
                (19, MAX_CL_BITS)
            } else {
                (SYMBOLS, MAX_BITS)
            };
            let skew = 1 + rng() % 24;
            let density = rng() % 100;
            let freqs: Vec<u32> = (0..symbols)
                .map(|_| {
                    if rng() % 100 < density {
                        (rng() >> (8 + rng() % skew)).max(1) % 100_000
                    } else {
                        0
                    }
                })
                .collect();
            check_lengths(&freqs, limit);
        }
        // One symbol, or none: two codes of one bit.
        for used in [None, Some(0), Some(5), Some(285)] {
            let mut freqs = [0u32; SYMBOLS];
            if let Some(s) = used {
                freqs[s] = 10;
            }
            let (lengths, _) = check_lengths(&freqs, MAX_BITS);
            assert_eq!(lengths.iter().filter(|&&l| l == 1).count(), 2);
        }
    }

    #[test]
    fn canonical_codes_follow_rfc_1951_example() {
        // RFC 1951, 3.2.2: lengths (3, 3, 3, 3, 3, 2, 4, 4) give codes 010, 011, 100, 101, 110,
        // 00, 1110, 1111 (sent from the most significant bit: reversed here).
        let lengths = [3u8, 3, 3, 3, 3, 2, 4, 4];
        let mut codes = [0u16; 8];
        canonical_codes(&lengths, &mut codes);
        let want = [0b010, 0b011, 0b100, 0b101, 0b110, 0b00, 0b1110, 0b1111];
        for ((&c, &w), &l) in codes.iter().zip(&want).zip(&lengths) {
            assert_eq!(c, (w as u16).reverse_bits() >> (16 - l));
        }
    }

    #[test]
    fn code_length_sequences_round_trip() {
        // Expanding the run-length coded lengths gives them back.
        let mut rng = xorshift(3);
        for _ in 0..200 {
            let lengths: Vec<u8> = (0..1 + rng() as usize % 300)
                .map(|_| match rng() % 4 {
                    0 => 0,
                    1 => 8,
                    _ => (rng() % 16) as u8,
                })
                .collect();
            let mut back = Vec::new();
            for (s, extra) in run_length(&lengths) {
                match s {
                    16 => {
                        assert!(extra < 4);
                        let l = *back.last().expect("a length to repeat");
                        back.extend(std::iter::repeat_n(l, 3 + usize::from(extra)));
                    }
                    17 => back.extend(std::iter::repeat_n(0, 3 + usize::from(extra))),
                    18 => back.extend(std::iter::repeat_n(0, 11 + usize::from(extra))),
                    _ => back.push(s),
                }
            }
            assert_eq!(back, lengths);
        }
    }
}

//! PNG row filters (filter method 0): each row is written as its bytes minus a prediction from the
//! bytes to its left and above, with the filter type that leaves the smallest bytes.

/// PNG filter types.
const NONE: u8 = 0;
const SUB: u8 = 1;
const UP: u8 = 2;
const AVG: u8 = 3;
const PAETH: u8 = 4;

/// Bytes per pixel.
const BPP: usize = 4;

/// Appends the filter byte and the filtered `row` to `out`, with the filter that minimises the sum
/// of the bytes' magnitudes as signed values (`png`'s adaptive heuristic). Without `prev` (a band's
/// first row) only None and Sub are tried, as they do not look at the row above.
#[inline(always)]
pub(crate) fn filter_row(prev: Option<&[u8]>, row: &[u8], out: &mut Vec<u8>, candidate: &mut [u8]) {
    let start = out.len();
    out.push(NONE);
    out.extend_from_slice(row);
    // A transparent row over a transparent one (most rows of a sparse tile): every filter gives
    // zeros.
    if is_zero(row) && prev.is_none_or(is_zero) {
        return;
    }
    let mut best = (cost(row), NONE);
    let filters: &[u8] = if prev.is_some() {
        &[SUB, UP, AVG, PAETH]
    } else {
        &[SUB]
    };
    for &f in filters {
        apply(f, prev.unwrap_or(&[]), row, candidate);
        let c = cost(candidate);
        if c < best.0 {
            best = (c, f);
            out[start] = f;
            out[start + 1..].copy_from_slice(candidate);
        }
    }
}

/// Whether every byte is 0, a block of 32 at a time (an early exit per byte does not vectorise).
#[inline(always)]
fn is_zero(bytes: &[u8]) -> bool {
    bytes
        .chunks(32)
        .all(|c| c.iter().fold(0u8, |acc, &b| acc | b) == 0)
}

#[inline(always)]
fn cost(bytes: &[u8]) -> u64 {
    // Sums of at most 32 values of at most 128 fit a u16 lane; the compiler vectorises this.
    bytes
        .chunks(32)
        .map(|c| {
            u64::from(
                c.iter()
                    .map(|&b| u16::from((b as i8).unsigned_abs()))
                    .sum::<u16>(),
            )
        })
        .sum()
}

/// Filters `row` with filter `f` (not None) into `out`; `prev` is the row above (unused by Sub).
/// The loops run on zipped slices so that they compile to SIMD without bounds checks, as `png`'s
/// own filters do; Paeth uses the all-8-bit form of FPNGE that `png` uses too.
#[inline(always)]
fn apply(f: u8, prev: &[u8], row: &[u8], out: &mut [u8]) {
    let n = row.len();
    let (head, tail) = out.split_at_mut(BPP);
    match f {
        SUB => {
            head.copy_from_slice(&row[..BPP]);
            for ((o, &x), &a) in tail.iter_mut().zip(&row[BPP..]).zip(&row[..n - BPP]) {
                *o = x.wrapping_sub(a);
            }
        }
        UP => {
            for ((o, &x), &b) in out.iter_mut().zip(row).zip(prev) {
                *o = x.wrapping_sub(b);
            }
        }
        AVG => {
            for ((o, &x), &b) in head.iter_mut().zip(row).zip(prev) {
                *o = x.wrapping_sub(b >> 1);
            }
            for (((o, &x), &a), &b) in tail
                .iter_mut()
                .zip(&row[BPP..])
                .zip(&row[..n - BPP])
                .zip(&prev[BPP..])
            {
                // (a + b) / 2 without widening.
                *o = x.wrapping_sub((a & b) + ((a ^ b) >> 1));
            }
        }
        PAETH => {
            // Left and upper left are 0 for the first pixel: the predictor is the byte above.
            for ((o, &x), &b) in head.iter_mut().zip(row).zip(prev) {
                *o = x.wrapping_sub(b);
            }
            for ((((o, &x), &a), &b), &c) in tail
                .iter_mut()
                .zip(&row[BPP..])
                .zip(&row[..n - BPP])
                .zip(&prev[BPP..])
                .zip(&prev[..n - BPP])
            {
                *o = x.wrapping_sub(paeth(a, b, c));
            }
        }
        _ => unreachable!("filter {f}"),
    }
}

/// The Paeth predictor (the byte among left `a`, above `b` and upper left `c` nearest to
/// `a + b − c`, ties in that order) in 8-bit operations only (FPNGE's form, as in `png`): `|b − c|`
/// and `|a − c|` are the distances of `a` and `b`, and that of `c` only matters when `c` lies between
/// `a` and `b`, where it is the difference of the other two.
#[inline(always)]
fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let pa = b.max(c) - b.min(c);
    let pb = a.max(c) - a.min(c);
    let pc = if (a < c) == (c < b) {
        pa.max(pb) - pa.min(pb)
    } else {
        255
    };
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

/// The Paeth predictor as the PNG specification writes it (the reference the tests compare with).
#[cfg(test)]
pub(crate) fn paeth_spec(a: u8, b: u8, c: u8) -> u8 {
    let p = i16::from(a) + i16::from(b) - i16::from(c);
    let (pa, pb, pc) = (
        (p - i16::from(a)).abs(),
        (p - i16::from(b)).abs(),
        (p - i16::from(c)).abs(),
    );
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paeth_is_the_specification_s() {
        for a in 0..=255 {
            for b in 0..=255 {
                for c in 0..=255 {
                    assert_eq!(paeth(a, b, c), paeth_spec(a, b, c), "{a} {b} {c}");
                }
            }
        }
    }
}

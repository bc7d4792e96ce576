//! Bits written least significant first, as deflate packs them (RFC 1951, 3.1.1).

/// Writes bits least significant first, into a buffer of the size known in advance: every write
/// stores eight bytes and moves on by the whole bytes among them, without a branch.
pub(crate) struct BitWriter {
    out: Vec<u8>,
    /// Whole bytes written.
    len: usize,
    /// Bits not yet in a whole byte (fewer than 8), already stored at `out[len]`.
    bits: u64,
    count: u32,
}

impl BitWriter {
    /// A writer of at most `bytes` bytes.
    pub(crate) fn with_capacity(bytes: usize) -> BitWriter {
        BitWriter {
            out: vec![0; bytes + 8],
            len: 0,
            bits: 0,
            count: 0,
        }
    }

    /// Appends the low `count` (at most 56) bits of `bits` (the others zero).
    #[inline(always)]
    pub(crate) fn put(&mut self, bits: u64, count: u32) {
        debug_assert!(count <= 56 && bits >> count == 0);
        self.bits |= bits << self.count;
        self.count += count;
        self.out[self.len..self.len + 8].copy_from_slice(&self.bits.to_le_bytes());
        let whole = self.count / 8;
        self.len += whole as usize;
        self.bits >>= 8 * whole;
        self.count %= 8;
    }

    /// The bytes written, the last padded with zero bits.
    pub(crate) fn into_bytes(mut self) -> Vec<u8> {
        self.out.truncate(self.len + usize::from(self.count > 0));
        self.out
    }
}

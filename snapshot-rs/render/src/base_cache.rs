//! Decoded pixels of tiles this process rendered, so that drawing on top of one skips decoding it.

use std::collections::HashMap;
use std::sync::Mutex;

use tiny_skia::Pixmap;

use crate::bands::Bands;

/// Recently rendered tiles, kept decoded.
///
/// The snapshot policy draws a tile's next snapshot on top of its last one, which is usually a PNG
/// this process wrote. Decoding that PNG (inflate, unfilter, premultiply) was most of the time of an
/// incremental render; with the pixels kept here, a render whose base is byte for byte a PNG this
/// cache holds starts from them instead, and re-encodes only the bands of rows that its strokes
/// changed, copying the others from the base PNG (where they lie in it is kept too).
///
/// Entries are matched by the PNG's exact bytes, so a hit is never a wrong picture. A hit moves the
/// pixels out (the render draws on them) and the result goes back in under its own PNG, so a tile
/// holds one entry however often it is re-rendered. Least recently stored entries are dropped first
/// once `capacity_bytes` (PNG plus pixels) is reached. Safe to share between threads.
pub struct BaseCache {
    capacity_bytes: usize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    entries: HashMap<Fingerprint, Entry>,
    bytes: usize,
    clock: u64,
}

struct Entry {
    png: Vec<u8>,
    pixmap: Pixmap,
    bands: Option<Bands>,
    stored: u64,
}

impl Entry {
    fn bytes(&self) -> usize {
        self.png.len() + self.pixmap.data().len() + self.bands.as_ref().map_or(0, Bands::bytes)
    }
}

/// The PNG's length and last 16 bytes: the IDAT chunk's CRC and the zlib stream's Adler-32 of the
/// pixels sit there, so different tiles almost never share one; equal bytes are still checked.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Fingerprint(usize, [u8; 16]);

impl Fingerprint {
    fn of(png: &[u8]) -> Fingerprint {
        let mut tail = [0u8; 16];
        let n = png.len().min(16);
        tail[..n].copy_from_slice(&png[png.len() - n..]);
        Fingerprint(png.len(), tail)
    }
}

impl BaseCache {
    /// A cache holding up to `capacity_bytes` of PNGs and pixels; 0 keeps nothing.
    pub fn new(capacity_bytes: usize) -> BaseCache {
        BaseCache {
            capacity_bytes,
            state: Mutex::default(),
        }
    }

    /// Bytes held now (PNGs plus pixels).
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    /// Takes out the pixels of `png` (and where its bands lie, when it was stored with them) when it
    /// is a PNG this cache holds, of `size` × `size` pixels.
    pub(crate) fn take(&self, png: &[u8], size: u32) -> Option<(Pixmap, Option<Bands>)> {
        let mut state = self.lock();
        let key = Fingerprint::of(png);
        let entry = state.entries.get(&key)?;
        if entry.png != png || entry.pixmap.width() != size || entry.pixmap.height() != size {
            return None;
        }
        let entry = state.entries.remove(&key)?;
        state.bytes -= entry.bytes();
        Some((entry.pixmap, entry.bands))
    }

    /// Stores `pixmap` as the decoded pixels of `png` (and `bands`, where its bands lie), dropping
    /// the oldest entries beyond capacity.
    pub(crate) fn put(&self, png: &[u8], pixmap: Pixmap, bands: Option<Bands>) {
        let mut state = self.lock();
        let entry = Entry {
            png: png.to_vec(),
            pixmap,
            bands,
            stored: state.clock + 1,
        };
        let entry_bytes = entry.bytes();
        if entry_bytes > self.capacity_bytes {
            return;
        }
        state.clock += 1;
        if let Some(old) = state.entries.insert(Fingerprint::of(png), entry) {
            state.bytes -= old.bytes();
        }
        state.bytes += entry_bytes;
        while state.bytes > self.capacity_bytes {
            let oldest = state
                .entries
                .iter()
                .min_by_key(|(_, e)| e.stored)
                .map(|(k, _)| *k);
            let Some(oldest) = oldest.and_then(|k| state.entries.remove(&k)) else {
                break;
            };
            state.bytes -= oldest.bytes();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave State half-updated in a way that matters:
        // at worst `bytes` is off until entries are replaced, so keep going with it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pixmap(size: u32, shade: u8) -> Pixmap {
        let mut p = Pixmap::new(size, size).unwrap();
        p.data_mut().fill(shade);
        p
    }

    #[test]
    fn a_stored_png_is_taken_once_with_its_pixels() {
        let cache = BaseCache::new(1 << 20);
        cache.put(b"png one", pixmap(4, 7), None);
        assert_eq!(cache.bytes(), 7 + 64);
        assert!(cache.take(b"png two", 4).is_none(), "other bytes");
        assert!(cache.take(b"png one", 8).is_none(), "other size");
        let (got, _) = cache.take(b"png one", 4).expect("hit");
        assert!(got.data().iter().all(|&b| b == 7));
        assert!(cache.take(b"png one", 4).is_none(), "taken out");
        assert_eq!(cache.bytes(), 0);
    }

    #[test]
    fn same_fingerprint_other_bytes_is_a_miss() {
        let cache = BaseCache::new(1 << 20);
        // Same length and same last 16 bytes: only the full comparison tells them apart.
        let a = b"A-0123456789abcdef".to_vec();
        let b = b"B-0123456789abcdef".to_vec();
        cache.put(&a, pixmap(2, 1), None);
        assert!(cache.take(&b, 2).is_none());
        assert!(cache.take(&a, 2).is_some());
    }

    #[test]
    fn the_oldest_entries_go_first_beyond_capacity() {
        let entry = 1 + 16 * 16 * 4;
        let cache = BaseCache::new(2 * entry);
        cache.put(b"1", pixmap(16, 1), None);
        cache.put(b"2", pixmap(16, 2), None);
        cache.put(b"3", pixmap(16, 3), None);
        assert_eq!(cache.bytes(), 2 * entry);
        assert!(cache.take(b"1", 16).is_none(), "evicted");
        assert!(cache.take(b"2", 16).is_some());
        assert!(cache.take(b"3", 16).is_some());
    }

    #[test]
    fn zero_capacity_keeps_nothing() {
        let cache = BaseCache::new(0);
        cache.put(b"png", pixmap(4, 1), None);
        assert_eq!(cache.bytes(), 0);
        assert!(cache.take(b"png", 4).is_none());
    }
}

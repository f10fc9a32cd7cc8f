//! The one interner of the workspace's frames: values to dense `u32`
//! codes in order of first appearance. The CSV loader interns raw bytes
//! per chunk and merges the chunks' dictionaries;
//! [`CategoricalBuilder`](crate::CategoricalBuilder) interns `&str` values
//! through the same table, so both give the same codes for the same values.

use std::hash::Hasher;

/// FxHash: fast for the short keys of categorical interning.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.0 = (self.0.rotate_left(5) ^ u64::from(i)).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(feature = "csv")]
pub(crate) type FxBuild = std::hash::BuildHasherDefault<FxHasher>;

/// Open-addressing interner over raw bytes (UTF-8 checked once per level).
#[derive(Debug)]
pub(crate) struct Interner {
    /// Slots hold `code + 1`, 0 = empty; length a power of two.
    table: Vec<u32>,
    shift: u32,
    hashes: Vec<u64>,
    pub(crate) raw: Vec<Vec<u8>>,
}

fn fx_hash(b: &[u8]) -> u64 {
    let mut h = FxHasher::default();
    h.write(b);
    // Final mix so that the high bits used for the slot depend on every byte.
    h.0.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (b.len() as u64)
}

impl Default for Interner {
    fn default() -> Self {
        Interner::new()
    }
}

impl Interner {
    pub(crate) fn new() -> Self {
        Interner { table: vec![0; 64], shift: 64 - 6, hashes: Vec::new(), raw: Vec::new() }
    }

    #[inline]
    pub(crate) fn intern(&mut self, b: &[u8]) -> u32 {
        let h = fx_hash(b);
        let mask = self.table.len() - 1;
        let mut i = (h >> self.shift) as usize;
        loop {
            let e = self.table[i];
            if e == 0 {
                break;
            }
            let c = (e - 1) as usize;
            if self.hashes[c] == h && self.raw[c] == b {
                return c as u32;
            }
            i = (i + 1) & mask;
        }
        let code = self.raw.len() as u32;
        self.raw.push(b.to_vec());
        self.hashes.push(h);
        self.table[i] = code + 1;
        if self.raw.len() * 2 > self.table.len() {
            self.grow();
        }
        code
    }

    fn grow(&mut self) {
        let n = self.table.len() * 2;
        self.shift -= 1;
        self.table = vec![0; n];
        let mask = n - 1;
        for (c, &h) in self.hashes.iter().enumerate() {
            let mut i = (h >> self.shift) as usize;
            while self.table[i] != 0 {
                i = (i + 1) & mask;
            }
            self.table[i] = c as u32 + 1;
        }
    }

    /// Levels as strings (invalid UTF-8 replaced) and how many were invalid.
    pub(crate) fn levels(raw: Vec<Vec<u8>>) -> (Vec<String>, usize) {
        let mut invalid = 0;
        let levels = raw
            .into_iter()
            .map(|v| {
                String::from_utf8(v).unwrap_or_else(|e| {
                    invalid += 1;
                    String::from_utf8_lossy(e.as_bytes()).into_owned()
                })
            })
            .collect();
        (levels, invalid)
    }
}

//! Keys as integer codes: the hashing that matches millions of ids and periods (panel
//! construction, weights files) without a string per row.
//!
//! [`FastHasher`] is a multiply–rotate hash over 8-byte words (the "Fx" hash of rustc) with the
//! 64-bit finaliser of MurmurHash3 (Appleby, `fmix64`) so that every output bit depends on every
//! input bit (hashbrown takes the bucket from the low bits and a tag from the high bits). It is
//! not resistant to chosen collisions, which is irrelevant for ids read from a user's own files.
//! [`Coder`] numbers keys in order of first appearance; [`StrCoder`] does so for text keys,
//! holding a key of at most 15 bytes inside the table (a lookup compares two integers instead
//! of following a pointer to the key's bytes, which is what costs at a million keys).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};

/// A fast non-cryptographic hasher for keys (see the module doc).
#[derive(Debug, Default, Clone, Copy)]
pub struct FastHasher {
    h: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FastHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.h = (self.h.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().unwrap_or([0; 8])));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut buf = [0u8; 8];
            buf[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(buf));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        // MurmurHash3 fmix64.
        let mut k = self.h;
        k ^= k >> 33;
        k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
        k ^= k >> 33;
        k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        k ^ (k >> 33)
    }
}

/// A `HashMap` with [`FastHasher`].
pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// An empty [`FastMap`] with room for `n` entries.
pub fn fast_map<K, V>(n: usize) -> FastMap<K, V> {
    FastMap::with_capacity_and_hasher(n, BuildHasherDefault::default())
}

/// Numbers distinct keys 0, 1, 2, ... in order of first appearance.
#[derive(Debug, Clone)]
pub struct Coder<K> {
    codes: FastMap<K, u32>,
    keys: Vec<K>,
}

impl<K: Hash + Eq + Clone> Coder<K> {
    /// An empty coder expecting about `n` distinct keys.
    pub fn with_capacity(n: usize) -> Self {
        Coder {
            codes: fast_map(n),
            keys: Vec::with_capacity(n),
        }
    }

    /// The code of `key`, registering it if new.
    #[inline]
    pub fn code(&mut self, key: K) -> u32 {
        let next = self.keys.len() as u32;
        match self.codes.entry(key) {
            std::collections::hash_map::Entry::Occupied(e) => *e.get(),
            std::collections::hash_map::Entry::Vacant(e) => {
                self.keys.push(e.key().clone());
                e.insert(next);
                next
            }
        }
    }

    /// The code of `key` if it was registered.
    #[inline]
    pub fn get(&self, key: &K) -> Option<u32> {
        self.codes.get(key).copied()
    }

    /// Number of distinct keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when no key was registered.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The distinct keys in order of first appearance (code order).
    pub fn into_keys(self) -> Vec<K> {
        self.keys
    }

    /// The distinct keys in code order.
    pub fn keys(&self) -> &[K] {
        &self.keys
    }
}

/// Numbers distinct text keys in order of first appearance (see the module doc).
#[derive(Debug, Clone)]
pub struct StrCoder {
    small: FastMap<u128, u32>,
    long: FastMap<Box<str>, u32>,
    keys: Vec<String>,
}

/// `s` packed into an integer when it has at most 15 bytes: the bytes, then the length in the
/// top byte (so two different strings never pack alike).
#[inline]
fn pack(s: &str) -> Option<u128> {
    let b = s.as_bytes();
    if b.len() > 15 {
        return None;
    }
    let mut buf = [0u8; 16];
    buf[..b.len()].copy_from_slice(b);
    buf[15] = b.len() as u8;
    Some(u128::from_le_bytes(buf))
}

impl StrCoder {
    /// An empty coder expecting about `n` distinct keys.
    pub fn with_capacity(n: usize) -> Self {
        StrCoder {
            small: fast_map(n),
            long: fast_map(0),
            keys: Vec::with_capacity(n),
        }
    }

    /// The code of `key`, registering it if new.
    #[inline]
    pub fn code(&mut self, key: &str) -> u32 {
        let next = self.keys.len() as u32;
        let code = match pack(key) {
            Some(p) => *self.small.entry(p).or_insert(next),
            None => match self.long.get(key) {
                Some(&c) => c,
                None => {
                    self.long.insert(key.into(), next);
                    next
                }
            },
        };
        if code == next {
            self.keys.push(key.to_string());
        }
        code
    }

    /// The code of `key` if it was registered.
    #[inline]
    pub fn get(&self, key: &str) -> Option<u32> {
        match pack(key) {
            Some(p) => self.small.get(&p).copied(),
            None => self.long.get(key).copied(),
        }
    }

    /// The key of code `c`.
    pub fn key(&self, c: u32) -> &str {
        &self.keys[c as usize]
    }

    /// Number of distinct keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when no key was registered.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The distinct keys in code order.
    pub fn keys(&self) -> &[String] {
        &self.keys
    }

    /// The distinct keys in order of first appearance (code order).
    pub fn into_keys(self) -> Vec<String> {
        self.keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_in_order_of_first_appearance() {
        let mut c = Coder::with_capacity(4);
        let got: Vec<u32> = ["b", "a", "b", "c", "a"].iter().map(|k| c.code(*k)).collect();
        assert_eq!(got, [0, 1, 0, 2, 1]);
        assert_eq!(c.keys(), &["b", "a", "c"]);
        assert_eq!(c.get(&"c"), Some(2));
        assert_eq!(c.get(&"d"), None);
    }

    #[test]
    fn str_codes_short_and_long_keys() {
        let long = "a key longer than fifteen bytes";
        let mut c = StrCoder::with_capacity(2);
        let keys = [
            "u1",
            long,
            "u1\0",
            "",
            "u1",
            long,
            "123456789012345",
            "1234567890123456",
        ];
        let got: Vec<u32> = keys.iter().map(|k| c.code(k)).collect();
        assert_eq!(got, [0, 1, 2, 3, 0, 1, 4, 5]);
        assert_eq!(c.keys()[1], long);
        assert_eq!(c.get("u1\0"), Some(2));
        assert_eq!(c.get("u2"), None);
        assert_eq!(c.key(5), "1234567890123456");
    }

    #[test]
    fn hash_spreads_short_keys() {
        use std::hash::BuildHasher;
        let b = BuildHasherDefault::<FastHasher>::default();
        let mut low = std::collections::HashSet::new();
        for i in 0..4096 {
            low.insert(b.hash_one(format!("u{i}")) & 0xfff);
        }
        // A good hash puts 4096 keys into about 2590 of 4096 buckets (1 − 1/e).
        assert!(low.len() > 2400, "{}", low.len());
    }
}

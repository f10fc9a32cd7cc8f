//! Fast, parallel interning of string ids (accounts, reps) into dense `u32` indices.

use crate::{EngagementError, Result};
use std::hash::{BuildHasher, RandomState};

/// Distinct ids in first-seen order, and the dense index of every input id.
///
/// `ids[indices[i]] == input[i]` for every input position `i`; the result is
/// the same as inserting the ids one by one into an [`IdIndex`](crate::IdIndex).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Interned {
    /// The distinct ids, in order of first appearance.
    pub ids: Vec<String>,
    /// Per input id, its index into `ids`.
    pub indices: Vec<u32>,
}

/// Bits of the hash choosing a partition.
const PART_BITS: u32 = 6;
/// Number of partitions (fixed, so the work never depends on the thread count).
const PARTS: usize = 1 << PART_BITS;
/// Ids up to this many bytes are compared inline, without touching the input.
const INLINE: usize = 16;

#[inline]
fn part_of(hash: u64) -> usize {
    (hash >> (64 - PART_BITS)) as usize
}

/// One distinct id of a partition's table.
#[derive(Clone, Copy)]
struct Key {
    hash: u64,
    /// Input position of its first occurrence.
    first: u32,
    len: usize,
    inline: [u8; INLINE],
}

/// A partition's result: the local id of each of its inputs (in input order)
/// and the first input position of each local id.
struct PartResult {
    locals: Vec<u32>,
    firsts: Vec<u32>,
}

fn intern_part<S: AsRef<str>>(input: &[S], hashes: &[u64], positions: &[u32]) -> PartResult {
    let mut slots: Vec<u32> = vec![0; 1024];
    let mut mask = slots.len() - 1;
    let mut keys: Vec<Key> = Vec::new();
    let mut locals = Vec::with_capacity(positions.len());
    for &pos in positions {
        let (hash, s) = (hashes[pos as usize], input[pos as usize].as_ref().as_bytes());
        let mut slot = hash as usize & mask;
        let local = loop {
            match slots[slot] {
                0 => {
                    let mut inline = [0u8; INLINE];
                    let n = s.len().min(INLINE);
                    inline[..n].copy_from_slice(&s[..n]);
                    keys.push(Key { hash, first: pos, len: s.len(), inline });
                    let local = keys.len() as u32 - 1;
                    slots[slot] = local + 1;
                    if keys.len() * 2 > slots.len() {
                        slots = vec![0; slots.len() * 2];
                        mask = slots.len() - 1;
                        for (j, k) in keys.iter().enumerate() {
                            let mut t = k.hash as usize & mask;
                            while slots[t] != 0 {
                                t = (t + 1) & mask;
                            }
                            slots[t] = j as u32 + 1;
                        }
                    }
                    break local;
                }
                occupied => {
                    let k = &keys[occupied as usize - 1];
                    let equal = k.hash == hash
                        && k.len == s.len()
                        && if s.len() <= INLINE {
                            k.inline[..s.len()] == *s
                        } else {
                            input[k.first as usize].as_ref().as_bytes() == s
                        };
                    if equal {
                        break occupied - 1;
                    }
                    slot = (slot + 1) & mask;
                }
            }
        };
        locals.push(local);
    }
    PartResult { locals, firsts: keys.iter().map(|k| k.first).collect() }
}

/// Interns string ids: the distinct ids in first-seen order and each input's
/// dense index, as [`IdIndex`](crate::IdIndex) would give one insert at a time.
///
/// Built for millions of ids: ids are hashed (SipHash with a random key,
/// so crafted ids cannot degrade it), split into 64 partitions by hash, and
/// each partition is interned in a small cache-resident table (in parallel
/// with the `parallel` feature); ids of up to 16 bytes are compared without
/// touching the input again. The result does not depend on the hash key or
/// the thread count.
///
/// # Errors
/// [`EngagementError::TooManyIds`] for more than `u32::MAX` inputs.
pub fn intern<S: AsRef<str> + Sync>(input: &[S]) -> Result<Interned> {
    if input.len() > u32::MAX as usize {
        return Err(EngagementError::TooManyIds { found: input.len() });
    }
    let state = RandomState::new();
    let hash = |s: &S| state.hash_one(s.as_ref());
    #[cfg(feature = "parallel")]
    let hashes: Vec<u64> = {
        use rayon::prelude::*;
        input.par_iter().map(hash).collect()
    };
    #[cfg(not(feature = "parallel"))]
    let hashes: Vec<u64> = input.iter().map(hash).collect();

    // Stable counting sort of input positions by partition.
    let mut starts = [0usize; PARTS + 1];
    for &h in &hashes {
        starts[part_of(h) + 1] += 1;
    }
    for p in 0..PARTS {
        starts[p + 1] += starts[p];
    }
    let mut fill = starts;
    let mut order = vec![0u32; input.len()];
    for (i, &h) in hashes.iter().enumerate() {
        let p = part_of(h);
        order[fill[p]] = i as u32;
        fill[p] += 1;
    }
    let run = |p: usize| intern_part(input, &hashes, &order[starts[p]..starts[p + 1]]);
    #[cfg(feature = "parallel")]
    let parts: Vec<PartResult> = {
        use rayon::prelude::*;
        (0..PARTS).into_par_iter().map(run).collect()
    };
    #[cfg(not(feature = "parallel"))]
    let parts: Vec<PartResult> = (0..PARTS).map(run).collect();

    // Global ids in first-seen order.
    let mut distinct: Vec<(u32, u32, u32)> = parts
        .iter()
        .enumerate()
        .flat_map(|(p, r)| r.firsts.iter().enumerate().map(move |(l, &first)| (first, p as u32, l as u32)))
        .collect();
    distinct.sort_unstable();
    let mut maps: Vec<Vec<u32>> = parts.iter().map(|r| vec![0; r.firsts.len()]).collect();
    let mut ids = Vec::with_capacity(distinct.len());
    for (g, &(first, p, l)) in distinct.iter().enumerate() {
        maps[p as usize][l as usize] = g as u32;
        ids.push(input[first as usize].as_ref().to_owned());
    }
    let mut cursors = [0usize; PARTS];
    let indices = hashes
        .iter()
        .map(|&h| {
            let p = part_of(h);
            let local = parts[p].locals[cursors[p]];
            cursors[p] += 1;
            maps[p][local as usize]
        })
        .collect();
    Ok(Interned { ids, indices })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::IdIndex;
    use proptest::prelude::*;

    #[test]
    fn matches_one_by_one_insertion() {
        let long = "an-account-id-longer-than-sixteen-bytes";
        let input = vec!["b", "a", "b", long, "", "a", long, "a\0", "c"];
        let got = intern(&input).expect("ok");
        assert_eq!(got.ids, vec!["b", "a", long, "", "a\0", "c"]);
        assert_eq!(got.indices, vec![0, 1, 0, 2, 3, 1, 2, 4, 5]);
        assert_eq!(intern::<&str>(&[]).expect("ok"), Interned::default());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn equals_id_index(ids in proptest::collection::vec("[a-c]{0,3}|[a-c]{15,18}", 0..3000)) {
            let got = intern(&ids).expect("ok");
            let mut idx = IdIndex::new();
            let want: Vec<u32> = ids.iter().map(|s| idx.insert(s).expect("fits")).collect();
            prop_assert_eq!(got.indices, want);
            prop_assert_eq!(&got.ids[..], idx.ids());
        }
    }
}

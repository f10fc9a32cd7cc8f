//! Fast, parallel interning of string ids (accounts, reps) into dense `u32` indices.

use crate::{EngagementError, Result};
use std::hash::{BuildHasher, RandomState};

/// Distinct ids in first-seen order, and the dense index of every input id.
///
/// `ids[indices[i]] == input[i]` for every input position `i`; the result is
/// the same as inserting the ids one by one into a map in first-seen order.
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
/// Inputs per chunk of the bucketing and final passes.
const CHUNK: usize = 1 << 20;

#[inline]
fn part_of(hash: u64) -> usize {
    (hash >> (64 - PART_BITS)) as usize
}

/// One input, bucketed by partition: its hash, position, length and first
/// 16 bytes, so that a partition is interned reading its records in order.
#[derive(Debug, Clone, Copy, Default)]
struct Rec {
    hash: u64,
    pos: u32,
    /// Length, saturated at `u32::MAX` (longer ids are compared in full anyway).
    len: u32,
    inline: [u8; INLINE],
}

impl Rec {
    fn new(hash: u64, pos: usize, s: &[u8]) -> Self {
        let mut inline = [0u8; INLINE];
        let n = s.len().min(INLINE);
        inline[..n].copy_from_slice(&s[..n]);
        Rec { hash, pos: pos as u32, len: u32::try_from(s.len()).unwrap_or(u32::MAX), inline }
    }
}

/// A partition's result: the local id of each of its inputs (in input order)
/// and the first input position of each local id.
struct PartResult {
    locals: Vec<u32>,
    firsts: Vec<u32>,
}

/// Interns one partition with a small open-addressing table (linear probing).
fn intern_part<S: AsRef<str>>(input: &[S], recs: &[Rec]) -> PartResult {
    let mut slots: Vec<u32> = vec![0; 1024];
    let mut mask = slots.len() - 1;
    let mut keys: Vec<Rec> = Vec::new();
    let mut locals = Vec::with_capacity(recs.len());
    for r in recs {
        let mut slot = r.hash as usize & mask;
        let local = loop {
            match slots[slot] {
                0 => {
                    keys.push(*r);
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
                    let equal = k.hash == r.hash
                        && k.len == r.len
                        && k.inline == r.inline
                        && (r.len as usize <= INLINE
                            || input[k.pos as usize].as_ref() == input[r.pos as usize].as_ref());
                    if equal {
                        break occupied - 1;
                    }
                    slot = (slot + 1) & mask;
                }
            }
        };
        locals.push(local);
    }
    PartResult { locals, firsts: keys.iter().map(|k| k.pos).collect() }
}

/// Maps `f` over `0..n` (in parallel with the `parallel` feature), in order.
fn map_range<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync + Send) -> Vec<T> {
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        (0..n).into_par_iter().map(f).collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        (0..n).map(f).collect()
    }
}

/// Interns string ids: the distinct ids in first-seen order and each input's
/// dense index, as a map filled one insert at a time would give.
///
/// Built for millions of ids: ids are hashed (SipHash with a random key,
/// so crafted ids cannot degrade it), bucketed into 64 partitions by hash
/// together with their first 16 bytes, and each partition is interned in a
/// small cache-resident table reading its bucket in order (ids of up to 16
/// bytes are compared without touching the input again). Chunks and
/// partitions run in parallel with the `parallel` feature. The result does
/// not depend on the hash key or the thread count.
///
/// # Errors
/// [`EngagementError::TooManyIds`] for `u32::MAX` inputs or more.
pub fn intern<S: AsRef<str> + Sync>(input: &[S]) -> Result<Interned> {
    intern_chunked(input, CHUNK)
}

/// [`intern`] with a given chunk size (small in tests, to cover several chunks).
fn intern_chunked<S: AsRef<str> + Sync>(input: &[S], chunk_len: usize) -> Result<Interned> {
    if input.len() >= u32::MAX as usize {
        return Err(EngagementError::TooManyIds { found: input.len() });
    }
    let n = input.len();
    let n_chunks = n.div_ceil(chunk_len);
    let chunk = |c: usize| c * chunk_len..((c + 1) * chunk_len).min(n);
    let state = RandomState::new();

    // 1. Hash and count per (chunk, partition).
    let hashed: Vec<(Vec<u64>, [usize; PARTS])> = map_range(n_chunks, |c| {
        let mut counts = [0usize; PARTS];
        let hashes: Vec<u64> = input[chunk(c)]
            .iter()
            .map(|s| {
                let h = state.hash_one(s.as_ref());
                counts[part_of(h)] += 1;
                h
            })
            .collect();
        (hashes, counts)
    });

    // 2. Bucket records by partition (stable: chunk order, then input order),
    //    each chunk writing its own disjoint sub-slices.
    let mut starts = [0usize; PARTS + 1];
    for (_, counts) in &hashed {
        for p in 0..PARTS {
            starts[p + 1] += counts[p];
        }
    }
    for p in 0..PARTS {
        starts[p + 1] += starts[p];
    }
    let mut recs = vec![Rec::default(); n];
    let mut per_chunk: Vec<Vec<&mut [Rec]>> = (0..n_chunks).map(|_| Vec::with_capacity(PARTS)).collect();
    let mut rest: &mut [Rec] = &mut recs;
    for p in 0..PARTS {
        for (c, (_, counts)) in hashed.iter().enumerate() {
            let (mine, tail) = std::mem::take(&mut rest).split_at_mut(counts[p]);
            per_chunk[c].push(mine);
            rest = tail;
        }
    }
    let fill = |(c, mut outs): (usize, Vec<&mut [Rec]>)| {
        let mut cursor = [0usize; PARTS];
        let range = chunk(c);
        for (k, (&h, s)) in hashed[c].0.iter().zip(&input[range.clone()]).enumerate() {
            let p = part_of(h);
            outs[p][cursor[p]] = Rec::new(h, range.start + k, s.as_ref().as_bytes());
            cursor[p] += 1;
        }
    };
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        per_chunk.into_par_iter().enumerate().for_each(fill);
    }
    #[cfg(not(feature = "parallel"))]
    per_chunk.into_iter().enumerate().for_each(fill);

    // 3. Intern each partition.
    let parts: Vec<PartResult> = map_range(PARTS, |p| intern_part(input, &recs[starts[p]..starts[p + 1]]));
    drop(recs);

    // 4. Global ids in first-seen order.
    let mut distinct: Vec<(u32, u32, u32)> = parts
        .iter()
        .enumerate()
        .flat_map(|(p, r)| r.firsts.iter().enumerate().map(move |(l, &first)| (first, p as u32, l as u32)))
        .collect();
    distinct.sort_unstable();
    let mut maps: Vec<Vec<u32>> = parts.iter().map(|r| vec![0; r.firsts.len()]).collect();
    for (g, &(_, p, l)) in distinct.iter().enumerate() {
        maps[p as usize][l as usize] = g as u32;
    }
    let ids = distinct.iter().map(|&(first, _, _)| input[first as usize].as_ref().to_owned()).collect();

    // 5. Each input's global index; a chunk's cursors start after the earlier chunks' inputs.
    let mut cursor_starts = Vec::with_capacity(n_chunks);
    let mut running = [0usize; PARTS];
    for (_, counts) in &hashed {
        cursor_starts.push(running);
        for (r, &k) in running.iter_mut().zip(counts) {
            *r += k;
        }
    }
    let indices: Vec<Vec<u32>> = map_range(n_chunks, |c| {
        let mut cursors = cursor_starts[c];
        hashed[c]
            .0
            .iter()
            .map(|&h| {
                let p = part_of(h);
                let local = parts[p].locals[cursors[p]];
                cursors[p] += 1;
                maps[p][local as usize]
            })
            .collect()
    });
    Ok(Interned { ids, indices: indices.concat() })
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
            prop_assert_eq!(&intern_chunked(&ids, 97).expect("ok"), &got);
            let mut idx = IdIndex::new();
            let want: Vec<u32> = ids.iter().map(|s| idx.insert(s).expect("fits")).collect();
            prop_assert_eq!(got.indices, want);
            prop_assert_eq!(&got.ids[..], idx.ids());
        }
    }
}

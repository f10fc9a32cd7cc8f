//! The id index of the accounts (numbered ids by arithmetic, others hashed),
//! which also enforces the duplicate-id policy, and the digit parsers the
//! events reader shares with it.

use super::*;

/// Account id → row. Ids that share one prefix followed by digits of one
/// width (`acct_0001234`, the common CRM shape) are looked up by their
/// number: when the file lists them in order with no gap (row = number −
/// first) by arithmetic alone, otherwise in a dense table, without hashing;
/// any other ids go through a hash map. A repeated id is found while the
/// index is built (a number's slot or a map entry already taken) and is an
/// error, or gives its first or last row, as [`DuplicateIds`] says.
pub(super) enum IdIndex<'a> {
    Sequential { prefix: &'a [u8], width: usize, first: usize, len: usize },
    Numbered { prefix: &'a [u8], width: usize, rows: Vec<u32> },
    Hashed(HashMap<&'a [u8], u32>),
}

pub(super) const NO_ROW: u32 = u32::MAX;

impl<'a> IdIndex<'a> {
    pub(super) fn new(ids: &'a Column, duplicates: DuplicateIds) -> Result<Self, PoolError> {
        let values: Vec<Option<&'a [u8]>> = match ids {
            Column::Text(v) => v.iter().map(|s| s.map(str::as_bytes)).collect(),
            Column::Categorical(c) => (0..c.len()).map(|k| c.get(k).map(str::as_bytes)).collect(),
            _ => Vec::new(),
        };
        if let Some(index) = Self::numbered(&values, duplicates) {
            return index;
        }
        let mut map: HashMap<&'a [u8], u32> = HashMap::with_capacity(values.len());
        for (k, id) in values.iter().enumerate() {
            if let Some(id) = id {
                match map.entry(*id) {
                    std::collections::hash_map::Entry::Vacant(e) => {
                        e.insert(k as u32);
                    }
                    std::collections::hash_map::Entry::Occupied(mut e) => {
                        Self::repeated(id, e.get_mut(), k, duplicates)?;
                    }
                }
            }
        }
        Ok(IdIndex::Hashed(map))
    }

    /// Row `k` holds `id` again, whose row so far is `*row`.
    #[cold]
    pub(super) fn repeated(id: &[u8], row: &mut u32, k: usize, duplicates: DuplicateIds) -> Result<(), PoolError> {
        match duplicates {
            DuplicateIds::First => Ok(()),
            DuplicateIds::Last => {
                *row = k as u32;
                Ok(())
            }
            _ => Err(PoolError::DuplicateId {
                id: String::from_utf8_lossy(id).into_owned(),
                first_row: *row as usize,
                row: k,
            }),
        }
    }

    /// The index of ids that share a prefix and a width of digits; `None`
    /// when they do not.
    pub(super) fn numbered(values: &[Option<&'a [u8]>], duplicates: DuplicateIds) -> Option<Result<Self, PoolError>> {
        let first = (*values.first()?)?;
        let digits = first.iter().rev().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 || digits > 9 {
            return None;
        }
        let (prefix, _) = first.split_at(first.len() - digits);
        let number = |id: Option<&[u8]>| id?.strip_prefix(prefix).filter(|d| d.len() == digits).and_then(parse_digits);
        let start = number(Some(first))?;
        if values.iter().enumerate().all(|(k, id)| number(*id) == Some(start + k)) {
            return Some(Ok(IdIndex::Sequential { prefix, width: digits, first: start, len: values.len() }));
        }
        let limit = values.len().saturating_mul(4).max(1024);
        let mut rows = Vec::new();
        for (k, id) in values.iter().enumerate() {
            let number = number(*id)?;
            if number >= limit {
                return None;
            }
            if rows.len() <= number {
                rows.resize(number + 1, NO_ROW);
            }
            match rows.get_mut(number) {
                Some(row) if *row == NO_ROW => *row = k as u32,
                Some(row) => {
                    if let Err(e) = Self::repeated(id.unwrap_or_default(), row, k, duplicates) {
                        return Some(Err(e));
                    }
                }
                None => {}
            }
        }
        Some(Ok(IdIndex::Numbered { prefix, width: digits, rows }))
    }

    /// The number after `prefix` in `id` when `id` is `prefix` and `width`
    /// digits. The prefix is compared inline (a slice comparison would call
    /// `memcmp` for a handful of bytes); up to eight digits that end an id
    /// of eight bytes or more are read as one word (SWAR).
    #[inline]
    pub(super) fn number(id: &[u8], prefix: &[u8], width: usize) -> Option<usize> {
        if id.len() != prefix.len() + width || !prefix.iter().zip(id).all(|(a, b)| a == b) {
            return None;
        }
        match id.last_chunk::<8>() {
            Some(last) if width <= 8 => {
                // The bytes before the digits (the low ones, little-endian) become '0'.
                let keep = if width == 8 { u64::MAX } else { !(u64::MAX >> (8 * width)) };
                let w = (u64::from_le_bytes(*last) & keep) | (0x3030_3030_3030_3030 & !keep);
                all_digits(w).then(|| eight_digits(w) as usize)
            }
            _ => parse_digits(id.get(prefix.len()..)?),
        }
    }

    pub(super) fn get(&self, id: &[u8]) -> Option<u32> {
        match self {
            IdIndex::Sequential { prefix, width, first, len } => {
                let row = Self::number(id, prefix, *width)?.checked_sub(*first).filter(|r| r < len)?;
                u32::try_from(row).ok()
            }
            IdIndex::Numbered { prefix, width, rows } => {
                let row = *rows.get(Self::number(id, prefix, *width)?)?;
                (row != NO_ROW).then_some(row)
            }
            IdIndex::Hashed(map) => map.get(id).copied(),
        }
    }
}

pub(super) fn parse_digits(d: &[u8]) -> Option<usize> {
    d.iter().try_fold(0usize, |v, &b| b.is_ascii_digit().then(|| v * 10 + usize::from(b - b'0')))
}

pub(super) fn parse_i64(b: &[u8]) -> Option<i64> {
    let (neg, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() || digits.len() > 18 {
        return std::str::from_utf8(b).ok()?.trim().parse().ok();
    }
    // Eight digits at a time (a Unix time has ten), then one at a time.
    let mut v: u64 = 0;
    let mut rest = digits;
    while let Some((eight, tail)) = rest.split_first_chunk::<8>() {
        let w = u64::from_le_bytes(*eight);
        if !all_digits(w) {
            return std::str::from_utf8(b).ok()?.trim().parse().ok();
        }
        v = v * 100_000_000 + eight_digits(w);
        rest = tail;
    }
    for &d in rest {
        if !d.is_ascii_digit() {
            return std::str::from_utf8(b).ok()?.trim().parse().ok();
        }
        v = v * 10 + u64::from(d - b'0');
    }
    // At most 18 digits: below 10^18 < i64::MAX.
    let v = i64::try_from(v).ok()?;
    Some(if neg { -v } else { v })
}

/// Whether the eight bytes of `w` (little-endian) are all ASCII digits.
#[inline]
pub(super) fn all_digits(w: u64) -> bool {
    let a = w.wrapping_add(0x4646_4646_4646_4646);
    let b = w.wrapping_sub(0x3030_3030_3030_3030);
    (a | b) & 0x8080_8080_8080_8080 == 0
}

/// The number written by eight ASCII digits loaded little-endian (SWAR:
/// pairs, then quads, then the whole).
#[inline]
pub(super) fn eight_digits(w: u64) -> u64 {
    let d = w - 0x3030_3030_3030_3030;
    let pairs = (d * 10 + (d >> 8)) & 0x00FF_00FF_00FF_00FF;
    let quads = (pairs * 100 + (pairs >> 16)) & 0x0000_FFFF_0000_FFFF;
    (quads * 10_000 + (quads >> 32)) & 0xFFFF_FFFF
}

/// Account id → row of an id column, looked up as the events readers look
/// ids up: ids of one prefix and a fixed width of digits (the CRM shape
/// `acct_0001234`) by their number (arithmetic, or one dense table), other
/// ids through a hash map. For a tool that reads its own files keyed by
/// the accounts' ids (who engaged which account, …) at the events readers'
/// speed.
///
/// ```
/// use acctscore_frame::Column;
/// use acctscore_scorer::pool::AccountIndex;
///
/// let ids = Column::text(vec![Some("acct_0003"), Some("acct_0001"), Some("acct_0002")]);
/// let index = AccountIndex::new(&ids)?;
/// assert_eq!(index.get(b"acct_0001"), Some(1));
/// assert_eq!(index.get(b"acct_0009"), None);
/// # Ok::<(), acctscore_scorer::pool::PoolError>(())
/// ```
pub struct AccountIndex<'a>(IdIndex<'a>);

impl<'a> AccountIndex<'a> {
    /// The index of `ids` (a text or categorical column; missing ids are left out).
    ///
    /// # Errors
    /// [`PoolError::DuplicateId`] for an id on two rows.
    pub fn new(ids: &'a Column) -> Result<Self, PoolError> {
        IdIndex::new(ids, DuplicateIds::Error).map(AccountIndex)
    }

    /// The row of `id`, if it is in the column.
    pub fn get(&self, id: &[u8]) -> Option<usize> {
        self.0.get(id).map(|row| row as usize)
    }
}

impl std::fmt::Debug for AccountIndex<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.0 {
            IdIndex::Sequential { .. } => "sequential",
            IdIndex::Numbered { .. } => "numbered",
            IdIndex::Hashed(_) => "hashed",
        };
        f.debug_tuple("AccountIndex").field(&kind).finish()
    }
}

//! Free-text columns: one byte buffer plus offsets, and the loader's
//! growable form of it.

use super::*;

/// A free-text column: every present value's bytes in one buffer, so a
/// million values are two allocations, not a million.
///
/// ```
/// use acctscore_frame::TextColumn;
///
/// let titles: TextColumn = [Some("VP Sales"), None, Some("")].into_iter().collect();
/// assert_eq!(titles.len(), 3);
/// assert_eq!(titles.get(0), Some("VP Sales"));
/// assert_eq!(titles.get(1), None);
/// assert_eq!(titles.get(2), Some(""));
/// assert_eq!(titles.iter().collect::<Vec<_>>(), [Some("VP Sales"), None, Some("")]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(from = "Vec<Option<String>>")]
pub struct TextColumn {
    /// The present values, concatenated.
    text: String,
    /// Per row, the end of its value in `text` (its start is the previous
    /// row's end), with [`TextColumn::MISSING`] set for a missing value.
    ends: Vec<u64>,
}

impl TextColumn {
    /// Flag of a missing row's end.
    pub(crate) const MISSING: u64 = 1 << 63;

    /// An empty column with room for `rows` values of `bytes` bytes in all.
    pub fn with_capacity(rows: usize, bytes: usize) -> Self {
        TextColumn { text: String::with_capacity(bytes), ends: Vec::with_capacity(rows) }
    }

    /// Makes room for `rows` more values.
    #[cfg(feature = "arrow")]
    pub(crate) fn reserve(&mut self, rows: usize) {
        self.ends.reserve(rows);
    }

    /// Appends one value (`None` = missing).
    pub fn push(&mut self, value: Option<&str>) {
        match value {
            Some(v) => {
                self.text.push_str(v);
                self.ends.push(self.text.len() as u64);
            }
            None => self.ends.push(self.text.len() as u64 | Self::MISSING),
        }
    }

    /// Keeps the first `rows` values.
    pub fn truncate(&mut self, rows: usize) {
        if rows < self.ends.len() {
            self.ends.truncate(rows);
            let end = self.ends.last().map_or(0, |e| e & !Self::MISSING);
            self.text.truncate(end as usize);
        }
    }

    /// Appends every value of `other`.
    pub fn append(&mut self, other: &TextColumn) {
        let shift = self.text.len() as u64;
        self.text.push_str(&other.text);
        self.ends.extend(other.ends.iter().map(|e| e + shift));
    }

    /// The value of row `i` (`None` when missing or out of range).
    pub fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)?;
        if end & Self::MISSING != 0 {
            return None;
        }
        let start = i.checked_sub(1).and_then(|p| self.ends.get(p)).map_or(0, |e| e & !Self::MISSING);
        self.text.get(start as usize..end as usize)
    }

    /// Whether row `i` is missing (rows out of range count as missing).
    pub fn is_missing(&self, i: usize) -> bool {
        self.ends.get(i).is_none_or(|e| e & Self::MISSING != 0)
    }

    /// The values in row order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Option<&str>> + DoubleEndedIterator + Clone + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The given rows, in order (indices out of range become missing).
    pub fn take(&self, rows: &[usize]) -> TextColumn {
        rows.iter().map(|&i| self.get(i)).collect()
    }
}

/// A [`TextColumn`] in the making from raw bytes (the CSV loader's): every
/// value is checked as UTF-8 in one pass over the whole buffer at the end,
/// not one call per value.
#[cfg(feature = "csv")]
#[derive(Debug, Default)]
pub(crate) struct TextBytes {
    bytes: Vec<u8>,
    /// As [`TextColumn`]'s `ends`.
    ends: Vec<u64>,
}

#[cfg(feature = "csv")]
impl TextBytes {
    /// Writes row `r` (a row already there, and any after it, is replaced).
    #[inline]
    pub(crate) fn put(&mut self, r: usize, value: Option<&[u8]>) {
        if r < self.ends.len() {
            self.truncate(r);
        }
        match value {
            Some(v) => {
                self.bytes.extend_from_slice(v);
                self.ends.push(self.bytes.len() as u64);
            }
            None => self.ends.push(self.bytes.len() as u64 | TextColumn::MISSING),
        }
    }

    /// Keeps the first `rows` values.
    pub(crate) fn truncate(&mut self, rows: usize) {
        if rows < self.ends.len() {
            self.ends.truncate(rows);
            let end = self.ends.last().map_or(0, |e| e & !TextColumn::MISSING);
            self.bytes.truncate(end as usize);
        }
    }

    /// The values of every part, in order, in one allocation each.
    pub(crate) fn concat(parts: Vec<TextBytes>) -> TextBytes {
        let bytes = parts.iter().map(|p| p.bytes.len()).sum();
        let rows = parts.iter().map(|p| p.ends.len()).sum();
        let mut all = TextBytes { bytes: Vec::with_capacity(bytes), ends: Vec::with_capacity(rows) };
        for part in &parts {
            let shift = all.bytes.len() as u64;
            all.bytes.extend_from_slice(&part.bytes);
            all.ends.extend(part.ends.iter().map(|e| e + shift));
        }
        all
    }

    /// The column, with each value that is not UTF-8 decoded lossily, and
    /// how many were.
    pub(crate) fn finish(self) -> (TextColumn, usize) {
        let ends = self.ends;
        // Valid as a whole, and every value ends between two characters:
        // then every value is valid on its own.
        let bytes = match String::from_utf8(self.bytes) {
            Ok(text) if ends.iter().all(|e| text.is_char_boundary((e & !TextColumn::MISSING) as usize)) => {
                return (TextColumn { text, ends }, 0);
            }
            Ok(text) => text.into_bytes(),
            Err(e) => e.into_bytes(),
        };
        let mut column = TextColumn::with_capacity(ends.len(), bytes.len());
        let mut invalid = 0;
        let mut start = 0;
        for e in ends {
            let end = (e & !TextColumn::MISSING) as usize;
            let value = bytes.get(start..end).unwrap_or_default();
            start = end;
            if e & TextColumn::MISSING != 0 {
                column.push(None);
                continue;
            }
            match std::str::from_utf8(value) {
                Ok(v) => column.push(Some(v)),
                Err(_) => {
                    invalid += 1;
                    column.push(Some(&String::from_utf8_lossy(value)));
                }
            }
        }
        (column, invalid)
    }
}

impl<S: AsRef<str>> FromIterator<Option<S>> for TextColumn {
    fn from_iter<I: IntoIterator<Item = Option<S>>>(values: I) -> Self {
        let mut column = TextColumn::default();
        for v in values {
            column.push(v.as_ref().map(AsRef::as_ref));
        }
        column
    }
}

impl Serialize for TextColumn {
    /// As `Option<String>` per row, without a copy.
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl From<Vec<Option<String>>> for TextColumn {
    fn from(values: Vec<Option<String>>) -> Self {
        values.into_iter().collect()
    }
}

impl From<TextColumn> for Vec<Option<String>> {
    fn from(column: TextColumn) -> Self {
        column.iter().map(|v| v.map(str::to_string)).collect()
    }
}

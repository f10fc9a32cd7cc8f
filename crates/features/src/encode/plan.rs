//! The per-frame plan of a fitted pipeline: each fitted column bound to its
//! frame column once, then written into design rows block by block.

use super::*;

/// A fitted column bound to a frame's column, ready to fill rows.
#[derive(Debug)]
pub(super) enum Plan<'a> {
    Numeric(&'a NumericFit, &'a [f64]),
    Boolean(FlagPlan<'a>),
    Slots(SlotPlan<'a>),
    Title(TitlePlan<'a>),
    Timestamp(&'a NumericFit, i64, &'a [Option<i64>]),
}

/// A boolean column: keys 0 (false), 1 (true), 2 (missing).
#[derive(Debug)]
pub(super) struct FlagPlan<'a> {
    pub(super) has_missing: bool,
    pub(super) values: &'a [Option<bool>],
}

impl FlagPlan<'_> {
    const KEYS: usize = 3;

    #[inline]
    pub(super) fn key(&self, i: usize) -> usize {
        match self.values.get(i).copied().flatten() {
            Some(false) => 0,
            Some(true) => 1,
            None => 2,
        }
    }

    /// Writes the flag (and its missing indicator) of `key` into `out`.
    #[inline]
    pub(super) fn encode_key(&self, key: usize, out: &mut [f64]) {
        out[0] = f64::from(u8::from(key == 1));
        if self.has_missing {
            out[1] = f64::from(u8::from(key == 2));
        }
    }
}

/// A categorical column: the key of a row is its output slot (a kept
/// level, the rare bucket or the missing level).
#[derive(Debug)]
pub(super) struct SlotPlan<'a> {
    /// Output slot per dictionary code.
    pub(super) slot_of_code: Vec<usize>,
    /// Slot of missing values.
    pub(super) missing_slot: usize,
    /// Codes ([`crate::CategoricalColumn::MISSING`] beyond every slot).
    pub(super) codes: &'a [u32],
    pub(super) width: usize,
}

impl SlotPlan<'_> {
    #[inline]
    pub(super) fn key(&self, i: usize) -> usize {
        self.codes.get(i).and_then(|&k| self.slot_of_code.get(k as usize).copied()).unwrap_or(self.missing_slot)
    }

    /// Sets the one-hot slot `key` of a zeroed `out`.
    #[inline]
    pub(super) fn encode_key(key: usize, out: &mut [f64]) {
        out[key] = 1.0;
    }
}

/// A job-title column: the key of a row is its (seniority, function) bucket pair.
#[derive(Debug)]
pub(super) enum TitlePlan<'a> {
    /// Bucket slots (seniority, function) per dictionary code.
    Codes { pairs: Vec<(usize, usize)>, codes: &'a [u32] },
    /// Bucket slots per row of free text (computed per distinct value).
    Text(Vec<(usize, usize)>),
}

pub(super) const FUNCTION_WIDTH: usize = JobFunction::ALL.len();

impl TitlePlan<'_> {
    const KEYS: usize = SENIORITY_WIDTH * FUNCTION_WIDTH;

    #[inline]
    pub(super) fn pair(&self, i: usize) -> (usize, usize) {
        match self {
            TitlePlan::Codes { pairs, codes } => {
                codes.get(i).and_then(|&k| pairs.get(k as usize).copied()).unwrap_or(MISSING_TITLE)
            }
            TitlePlan::Text(pairs) => pairs.get(i).copied().unwrap_or(MISSING_TITLE),
        }
    }

    #[inline]
    pub(super) fn key(&self, i: usize) -> usize {
        let (s, f) = self.pair(i);
        s * FUNCTION_WIDTH + (f - SENIORITY_WIDTH)
    }

    /// Sets the two bucket slots of `pair` in a zeroed `out`.
    #[inline]
    pub(super) fn encode_pair((s, f): (usize, usize), out: &mut [f64]) {
        out[s] = 1.0;
        out[f] = 1.0;
    }

    pub(super) fn encode_key(key: usize, out: &mut [f64]) {
        Self::encode_pair((key / FUNCTION_WIDTH, SENIORITY_WIDTH + key % FUNCTION_WIDTH), out);
    }
}

pub(super) const SENIORITY_WIDTH: usize = Seniority::ALL.len();

pub(super) fn title_slots(t: &str) -> (usize, usize) {
    let n = title::normalise(t);
    let s = Seniority::ALL.iter().position(|x| *x == n.seniority).unwrap_or(0);
    let f = JobFunction::ALL.iter().position(|x| *x == n.function).unwrap_or(0);
    (s, SENIORITY_WIDTH + f)
}

pub(super) const MISSING_TITLE: (usize, usize) = (SENIORITY_WIDTH - 1, SENIORITY_WIDTH + FUNCTION_WIDTH - 1);

impl FittedColumn {
    pub(super) fn width(&self) -> usize {
        match &self.encoder {
            ColumnEncoder::Numeric(f) | ColumnEncoder::Timestamp { fit: f, .. } => f.width(),
            ColumnEncoder::Boolean { has_missing } => 1 + usize::from(*has_missing),
            ColumnEncoder::Categorical { levels, has_missing, .. } => levels.len() + 1 + usize::from(*has_missing),
            ColumnEncoder::Title => Seniority::ALL.len() + JobFunction::ALL.len(),
        }
    }

    pub(super) fn describe(&self, out: &mut Vec<FeatureInfo>) {
        let c = &self.column;
        let mut push = |name: String, role| out.push(FeatureInfo { name, column: c.clone(), role });
        match &self.encoder {
            ColumnEncoder::Numeric(f) | ColumnEncoder::Timestamp { fit: f, .. } => {
                let role = if matches!(self.encoder, ColumnEncoder::Timestamp { .. }) {
                    FeatureRole::AgeDays
                } else {
                    FeatureRole::Value
                };
                push(c.clone(), role);
                if f.has_missing {
                    push(format!("{c}:missing"), FeatureRole::MissingIndicator);
                }
                if !f.sentinels.is_empty() {
                    push(format!("{c}:sentinel"), FeatureRole::SentinelIndicator);
                }
            }
            ColumnEncoder::Boolean { has_missing } => {
                push(c.clone(), FeatureRole::Flag);
                if *has_missing {
                    push(format!("{c}:missing"), FeatureRole::MissingIndicator);
                }
            }
            ColumnEncoder::Categorical { levels, has_missing, .. } => {
                for l in levels {
                    push(format!("{c}={l}"), FeatureRole::Level(l.clone()));
                }
                push(format!("{c}={RARE_LEVEL}"), FeatureRole::Level(RARE_LEVEL.to_string()));
                if *has_missing {
                    push(format!("{c}={MISSING_LEVEL}"), FeatureRole::Level(MISSING_LEVEL.to_string()));
                }
            }
            ColumnEncoder::Title => {
                for s in Seniority::ALL {
                    push(format!("{c}:seniority={}", s.as_str()), FeatureRole::Seniority(s));
                }
                for f in JobFunction::ALL {
                    push(format!("{c}:function={}", f.as_str()), FeatureRole::Function(f));
                }
            }
        }
    }

    /// Binds this encoder to `col` (checking its kind) for rows `rows`.
    pub(super) fn plan<'a>(&'a self, col: &'a Column, rows: Range<usize>) -> Result<Plan<'a>> {
        let wrong = |expected| {
            FeaturesError::from(FrameError::WrongKind { column: self.column.clone(), expected, found: col.kind() })
        };
        // The rows of a column's values (a range past its end is an error).
        fn part<'v, T>(v: &'v [T], rows: &Range<usize>) -> Result<&'v [T]> {
            v.get(rows.clone()).ok_or_else(|| {
                acctscore_core::CoreError::ShapeMismatch {
                    what: "row range end vs column rows",
                    expected: v.len(),
                    found: rows.end,
                }
                .into()
            })
        }
        Ok(match (&self.encoder, col) {
            (ColumnEncoder::Numeric(f), Column::Numeric(v)) => Plan::Numeric(f, part(v.values(), &rows)?),
            (ColumnEncoder::Numeric(_), _) => return Err(wrong(ColumnKind::Numeric)),
            (ColumnEncoder::Boolean { has_missing }, Column::Boolean(v)) => {
                Plan::Boolean(FlagPlan { has_missing: *has_missing, values: part(v, &rows)? })
            }
            (ColumnEncoder::Boolean { .. }, _) => return Err(wrong(ColumnKind::Boolean)),
            (ColumnEncoder::Categorical { levels, has_missing, placeholders }, Column::Categorical(c)) => {
                // Map the frame's own dictionary to output slots once.
                let index: HashMap<&str, usize> = levels.iter().enumerate().map(|(k, l)| (l.as_str(), k)).collect();
                let rare = levels.len();
                // Missing at transform time without a missing level: use the rare bucket.
                let missing_slot = if *has_missing { rare + 1 } else { rare };
                let slot_of_code = c
                    .levels()
                    .iter()
                    .map(|l| {
                        let f = fold_level(l);
                        if placeholders.contains(&f) { missing_slot } else { *index.get(f.as_str()).unwrap_or(&rare) }
                    })
                    .collect();
                Plan::Slots(SlotPlan {
                    slot_of_code,
                    missing_slot,
                    codes: part(c.codes(), &rows)?,
                    width: self.width(),
                })
            }
            (ColumnEncoder::Categorical { .. }, _) => return Err(wrong(ColumnKind::Categorical)),
            (ColumnEncoder::Title, Column::Categorical(c)) => {
                // Titles are normalised once per level.
                Plan::Title(TitlePlan::Codes {
                    pairs: c.levels().iter().map(|l| title_slots(l)).collect(),
                    codes: part(c.codes(), &rows)?,
                })
            }
            (ColumnEncoder::Title, Column::Text(v)) => {
                let mut cache: HashMap<&str, (usize, usize)> = HashMap::new();
                Plan::Title(TitlePlan::Text(
                    rows.map(|i| v.get(i))
                        .map(|t| match t {
                            Some(t) => *cache.entry(t).or_insert_with(|| title_slots(t)),
                            None => MISSING_TITLE,
                        })
                        .collect(),
                ))
            }
            (ColumnEncoder::Title, _) => return Err(wrong(ColumnKind::Text)),
            (ColumnEncoder::Timestamp { reference, fit }, Column::Timestamp(v)) => {
                Plan::Timestamp(fit, *reference, part(v, &rows)?)
            }
            (ColumnEncoder::Timestamp { .. }, _) => return Err(wrong(ColumnKind::Timestamp)),
        })
    }
}

/// The raw value of row `i` of a numeric column's values (`None` when
/// missing, that is NaN, or out of range).
#[inline]
pub(super) fn numeric_at(v: &[f64], i: usize) -> Option<f64> {
    v.get(i).copied().filter(|x| !x.is_nan())
}

/// The age in days of row `i` of a timestamp column.
#[inline]
pub(super) fn age_at(reference: i64, v: &[Option<i64>], i: usize) -> Option<f64> {
    v.get(i).copied().flatten().map(|t| age_days(reference, t))
}

impl Plan<'_> {
    /// Fills rows `r` (relative to the plan's rows) of `x` (whose row 0 is
    /// row `r.start`) at columns `offset..`.
    pub(super) fn fill(&self, x: &mut ArrayViewMut2<f64>, r: Range<usize>, offset: usize) {
        let width = x.ncols();
        let Some(block) = x.as_slice_mut() else {
            return;
        };
        // One match per block; rows of `block` are contiguous, `width` apart.
        // Keyed arms run the same per-row code as `key` and `encode_key`.
        let rows = block.chunks_exact_mut(width).zip(r).filter_map(|(row, i)| Some((row.get_mut(offset..)?, i)));
        match self {
            Plan::Numeric(f, v) => rows.for_each(|(out, i)| f.encode(numeric_at(v, i), out)),
            Plan::Boolean(p) => rows.for_each(|(out, i)| p.encode_key(p.key(i), out)),
            Plan::Slots(p) => rows.for_each(|(out, i)| SlotPlan::encode_key(p.key(i), out)),
            Plan::Title(p) => rows.for_each(|(out, i)| TitlePlan::encode_pair(p.pair(i), out)),
            Plan::Timestamp(f, reference, v) => rows.for_each(|(out, i)| f.encode(age_at(*reference, v, i), out)),
        }
    }

    /// Number of keys of a keyed column; `None` for numbers and timestamps.
    pub(super) fn keys(&self) -> Option<usize> {
        match self {
            Plan::Numeric(..) | Plan::Timestamp(..) => None,
            Plan::Boolean(_) => Some(FlagPlan::KEYS),
            Plan::Slots(p) => Some(p.width),
            Plan::Title(_) => Some(TitlePlan::KEYS),
        }
    }

    #[inline]
    pub(super) fn key(&self, i: usize) -> Option<usize> {
        match self {
            Plan::Numeric(..) | Plan::Timestamp(..) => None,
            Plan::Boolean(p) => Some(p.key(i)),
            Plan::Slots(p) => Some(p.key(i)),
            Plan::Title(p) => Some(p.key(i)),
        }
    }

    /// Writes `f(features)` of each row of `rows` into `out` (as long),
    /// the row's encoded features held in `scratch` (the column's width).
    #[inline]
    pub(super) fn fold_rows(
        &self,
        rows: Range<usize>,
        scratch: &mut [f64],
        out: &mut [f64],
        f: impl Fn(&[f64]) -> f64,
    ) {
        let rows = out.iter_mut().zip(rows);
        // The numeric encoders write every feature; the others set ones in a zeroed row.
        match self {
            Plan::Numeric(fit, v) => {
                for (o, i) in rows {
                    fit.encode(numeric_at(v, i), scratch);
                    *o = f(scratch);
                }
            }
            Plan::Timestamp(fit, reference, v) => {
                for (o, i) in rows {
                    fit.encode(age_at(*reference, v, i), scratch);
                    *o = f(scratch);
                }
            }
            Plan::Boolean(p) => {
                for (o, i) in rows {
                    scratch.fill(0.0);
                    p.encode_key(p.key(i), scratch);
                    *o = f(scratch);
                }
            }
            Plan::Slots(p) => {
                for (o, i) in rows {
                    scratch.fill(0.0);
                    SlotPlan::encode_key(p.key(i), scratch);
                    *o = f(scratch);
                }
            }
            Plan::Title(p) => {
                for (o, i) in rows {
                    scratch.fill(0.0);
                    TitlePlan::encode_pair(p.pair(i), scratch);
                    *o = f(scratch);
                }
            }
        }
    }

    /// Writes the key of each row of `rows` into `out` (as long); false for
    /// numbers and timestamps, which have no keys.
    pub(super) fn keys_into(&self, rows: Range<usize>, out: &mut [usize]) -> bool {
        let rows = out.iter_mut().zip(rows);
        match self {
            Plan::Numeric(..) | Plan::Timestamp(..) => return false,
            Plan::Boolean(p) => rows.for_each(|(o, i)| *o = p.key(i)),
            Plan::Slots(p) => rows.for_each(|(o, i)| *o = p.key(i)),
            Plan::Title(p) => rows.for_each(|(o, i)| *o = p.key(i)),
        }
        true
    }

    /// Writes the features of `key` (below [`Plan::keys`]) into a zeroed `out`.
    pub(super) fn encode_key(&self, key: usize, out: &mut [f64]) {
        match self {
            Plan::Numeric(..) | Plan::Timestamp(..) => {}
            Plan::Boolean(p) => p.encode_key(key, out),
            Plan::Slots(_) => SlotPlan::encode_key(key, out),
            Plan::Title(_) => TitlePlan::encode_key(key, out),
        }
    }
}

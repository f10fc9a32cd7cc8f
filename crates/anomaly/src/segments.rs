//! Segment-robust statistics of log revenue per employee: median and MAD
//! within industry × size band, fitted on a training set.

use crate::error::Result;
use crate::inputs::AnomalyInputs;
use acctscore_core::envelope::{self, Envelope};
use acctscore_core::{CoreError, EnvelopeError, InvalidModel};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Format version of the serialised segment model (version 1, without
/// checksum, is still read).
pub(crate) const SEGMENT_FORMAT_VERSION: u32 = 2;

/// The format name in the segment model file's envelope.
pub(crate) const SEGMENT_FORMAT_NAME: &str = "acctscore-segments";

/// Consistency constant: `1.4826 × MAD` estimates σ for normal data.
const MAD_TO_SIGMA: f64 = 1.482_602_218_505_602;

/// Settings of the segment fit.
///
/// ```
/// use acctscore_anomaly::SegmentParams;
/// use acctscore_anomaly::AnomalyInputs;
/// let rows: Vec<AnomalyInputs> = (0..100)
///     .map(|i| AnomalyInputs::new().with_employees(20.0).with_monthly_revenue(9_000.0 + i as f64))
///     .collect();
/// let p = SegmentParams::new().with_band_edges(vec![5.0, 50.0, 500.0]).with_min_count(20);
/// let model = p.fit(rows.iter().copied())?;
/// assert_eq!(model.band_count(), 4);
/// assert!(SegmentParams::new().with_min_count(0).fit(rows.iter().copied()).is_err());
/// # Ok::<(), acctscore_anomaly::AnomalyError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentParams {
    band_edges: Vec<f64>,
    min_count: usize,
    min_scale: f64,
}

impl Default for SegmentParams {
    fn default() -> Self {
        SegmentParams {
            band_edges: vec![2.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 5000.0],
            min_count: 30,
            min_scale: 0.1,
        }
    }
}

impl SegmentParams {
    /// Defaults: size bands split at 2, 5, 10, 25, 50, 100, 250, 500, 1000
    /// and 5000 employees; a segment needs 30 rows (else the size band across
    /// industries is used, else all rows); robust scale floored at 0.1 (log units).
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets the employee counts where size bands split (strictly increasing,
    /// finite, at most 64 edges). Band `k` holds accounts with
    /// `edges[k-1] <= employees < edges[k]`.
    pub fn with_band_edges(mut self, edges: Vec<f64>) -> Self {
        self.band_edges = edges;
        self
    }
    /// Sets the minimum number of rows for a segment of its own (≥ 1).
    pub fn with_min_count(mut self, n: usize) -> Self {
        self.min_count = n;
        self
    }
    /// Sets the floor of the robust scale, in log units (positive).
    pub fn with_min_scale(mut self, s: f64) -> Self {
        self.min_scale = s;
        self
    }

    /// Checks the settings once and fits on a training set. Rows without a positive finite revenue and a
    /// finite head count ≥ 1 are ignored; rows without an industry count
    /// towards the band and overall statistics only.
    ///
    /// # Errors
    /// [`CoreError::ParameterOutOfRange`](acctscore_core::CoreError::ParameterOutOfRange) for bad settings;
    /// [`CoreError::Empty`] when no row is usable.
    pub fn fit<'a, I>(&self, rows: I) -> Result<SegmentModel>
    where
        I: IntoIterator<Item = AnomalyInputs<'a>>,
    {
        let params = self;
        params.validate()?;
        let nb = params.band_edges.len() + 1;
        let mut by_industry: BTreeMap<String, Vec<Vec<f64>>> = BTreeMap::new();
        let mut by_band: Vec<Vec<f64>> = vec![Vec::new(); nb];
        for row in rows {
            let Some(l) = log_rpe(row.monthly_revenue, row.employees) else { continue };
            let e = row.employees.unwrap_or(1.0);
            let b = params.band_edges.partition_point(|edge| *edge <= e);
            by_band[b].push(l);
            if let Some(ind) = row.industry {
                let ind = ind.trim();
                if let Some(v) = by_industry.get_mut(ind) {
                    v[b].push(l);
                } else {
                    let mut v = vec![Vec::new(); nb];
                    v[b].push(l);
                    by_industry.insert(ind.to_string(), v);
                }
            }
        }
        let mut all: Vec<f64> = by_band.iter().flatten().copied().collect();
        let Some(global) = robust(&mut all, 1, params.min_scale) else {
            return Err(CoreError::Empty { what: "rows with positive revenue and employees" }.into());
        };
        let bands = by_band.iter_mut().map(|v| robust(v, params.min_count, params.min_scale)).collect();
        let industries = by_industry
            .into_iter()
            .map(|(k, mut v)| (k, v.iter_mut().map(|b| robust(b, params.min_count, params.min_scale)).collect()))
            .collect();
        Ok(SegmentModel { band_edges: params.band_edges.clone(), industries, bands, global })
    }

    fn validate(&self) -> Result<()> {
        let e = &self.band_edges;
        if e.len() > 64 || e.iter().any(|v| !v.is_finite()) || e.windows(2).any(|w| w[0] >= w[1]) {
            return Err(acctscore_core::CoreError::ParameterOutOfRange {
                name: "band_edges",
                value: e.len() as f64,
                reason: "must be finite, strictly increasing, at most 64",
            }
            .into());
        }
        if self.min_count == 0 {
            return Err(acctscore_core::CoreError::ParameterOutOfRange {
                name: "min_count",
                value: 0.0,
                reason: "must be ≥ 1",
            }
            .into());
        }
        if !(self.min_scale.is_finite() && self.min_scale > 0.0) {
            return Err(acctscore_core::CoreError::ParameterOutOfRange {
                name: "min_scale",
                value: self.min_scale,
                reason: "must be positive and finite",
            }
            .into());
        }
        Ok(())
    }
}

/// Robust location and scale of log revenue per employee in one segment.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SegmentStats {
    /// Median of ln(monthly revenue / employees).
    pub median: f64,
    /// `1.4826 × MAD`, floored at the model's minimum scale.
    pub scale: f64,
    /// Rows it was fitted on.
    pub count: usize,
}

/// Fitted segment statistics: per industry × size band, per size band
/// across industries, and overall; plain data (serde), cheap to share.
///
/// ```
/// use acctscore_anomaly::{AnomalyInputs, SegmentModel, SegmentParams};
/// let rows: Vec<AnomalyInputs> = (0..200)
///     .map(|i| AnomalyInputs::new().with_industry("Software")
///         .with_employees(10.0).with_monthly_revenue(5_000.0 + 10.0 * i as f64))
///     .collect();
/// let model = SegmentParams::new().fit(rows.iter().copied())?;
/// let s = model.stats(Some("Software"), 10.0);
/// assert!((s.median - (5_995.0f64 / 10.0).ln()).abs() < 0.01);
/// let back = SegmentModel::from_json(&model.to_json()?)?;
/// assert_eq!(back, model);
/// # Ok::<(), acctscore_anomaly::AnomalyError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentModel {
    band_edges: Vec<f64>,
    industries: BTreeMap<String, Vec<Option<SegmentStats>>>,
    bands: Vec<Option<SegmentStats>>,
    global: SegmentStats,
}

/// Version 1: `{"format_version":1,"kind":"segment_model","model":…}`, no checksum.
#[derive(Deserialize)]
struct V1 {
    format_version: u32,
    kind: String,
    model: SegmentModel,
}

fn robust(values: &mut [f64], min_count: usize, min_scale: f64) -> Option<SegmentStats> {
    if values.len() < min_count.max(1) {
        return None;
    }
    let median = median_in_place(values)?;
    let mut dev: Vec<f64> = values.iter().map(|v| (v - median).abs()).collect();
    let mad = median_in_place(&mut dev)?;
    Some(SegmentStats { median, scale: (MAD_TO_SIGMA * mad).max(min_scale), count: values.len() })
}

fn median_in_place(v: &mut [f64]) -> Option<f64> {
    let n = v.len();
    if n == 0 {
        return None;
    }
    let mid = n / 2;
    let (_, m, _) = v.select_nth_unstable_by(mid, f64::total_cmp);
    let m = *m;
    if n % 2 == 1 {
        Some(m)
    } else {
        let lower = v[..mid].iter().copied().fold(f64::NEG_INFINITY, f64::max);
        Some(0.5 * (lower + m))
    }
}

/// Log revenue per employee when both are usable (revenue > 0, employees ≥ 1, finite).
#[inline]
pub(crate) fn log_rpe(revenue: Option<f64>, employees: Option<f64>) -> Option<f64> {
    match (revenue, employees) {
        (Some(r), Some(e)) if r.is_finite() && r > 0.0 && e.is_finite() && e >= 1.0 => Some((r / e).ln()),
        _ => None,
    }
}

impl SegmentModel {
    /// The size band of a head count.
    #[inline]
    pub(crate) fn band(&self, employees: f64) -> usize {
        self.band_edges.partition_point(|edge| *edge <= employees)
    }

    /// The statistics for an industry and head count: the industry × band
    /// segment when it had enough rows, else the band across industries,
    /// else all rows.
    #[inline]
    pub fn stats(&self, industry: Option<&str>, employees: f64) -> SegmentStats {
        self.stats_in_band(industry, self.band(employees))
    }

    /// The statistics for an industry and a size band (as [`SegmentModel::stats`]).
    pub fn stats_in_band(&self, industry: Option<&str>, band: usize) -> SegmentStats {
        let seg = industry.and_then(|i| {
            self.industries
                .get(i)
                .or_else(|| self.industries.iter().find(|(k, _)| k.eq_ignore_ascii_case(i.trim())).map(|(_, v)| v))
        });
        seg.and_then(|v| v.get(band).copied().flatten())
            .or_else(|| self.bands.get(band).copied().flatten())
            .unwrap_or(self.global)
    }

    /// Number of size bands (edges + 1).
    pub fn band_count(&self) -> usize {
        self.band_edges.len() + 1
    }

    /// The industries with statistics of their own (in label order).
    pub fn industries(&self) -> impl Iterator<Item = &str> + '_ {
        self.industries.keys().map(String::as_str)
    }

    /// Checks the invariants a fitted model holds (as at fit time): band
    /// edges finite and strictly increasing, one statistic per band for
    /// every industry, medians finite, scales finite and > 0.
    ///
    /// # Errors
    /// [`InvalidModel`] naming the field and what is wrong.
    pub fn validate(&self) -> std::result::Result<(), InvalidModel> {
        use acctscore_core::envelope::{check_finite, check_len, check_positive, check_sorted};
        const PART: &str = "segment model";
        let nb = self.band_edges.len() + 1;
        check_sorted(PART, "band_edges", &self.band_edges, true)?;
        check_len(PART, "bands", nb, self.bands.len())?;
        let stats = |field: &str, s: &SegmentStats| {
            check_finite(PART, &format!("{field}.median"), &[s.median])?;
            check_positive(PART, &format!("{field}.scale"), &[s.scale])
        };
        stats("global", &self.global)?;
        for (i, s) in self.bands.iter().enumerate() {
            if let Some(s) = s {
                stats(&format!("bands[{i}]"), s)?;
            }
        }
        for (name, v) in &self.industries {
            check_len(PART, &format!("industries[{name}]"), nb, v.len())?;
            for (i, s) in v.iter().enumerate() {
                if let Some(s) = s {
                    stats(&format!("industries[{name}][{i}]"), s)?;
                }
            }
        }
        Ok(())
    }

    /// Serialises to JSON inside the checksummed envelope of
    /// [`acctscore_core::envelope`] (format `acctscore-segments`, version 2).
    ///
    /// # Errors
    /// [`AnomalyError::ModelFile`](crate::AnomalyError::ModelFile) if serialisation fails.
    pub fn to_json(&self) -> Result<String> {
        Ok(Envelope::new(SEGMENT_FORMAT_NAME, SEGMENT_FORMAT_VERSION).seal(self)?)
    }

    /// Reads a model written by [`SegmentModel::to_json`] (or version 1),
    /// checking the envelope and the model's invariants
    /// ([`SegmentModel::validate`]).
    ///
    /// # Errors
    /// [`AnomalyError::ModelFile`](crate::AnomalyError::ModelFile): malformed, another format or version, a
    /// checksum mismatch, or [`EnvelopeError::Invalid`].
    pub fn from_json(text: &str) -> Result<Self> {
        let malformed = |reason: String| EnvelopeError::Malformed { format: SEGMENT_FORMAT_NAME.to_string(), reason };
        #[derive(Deserialize)]
        struct Probe {
            format: Option<String>,
        }
        let probe: Probe = serde_json::from_str(text).map_err(|e| malformed(e.to_string()))?;
        let m = if probe.format.is_none() {
            let v1: V1 = serde_json::from_str(text).map_err(|e| malformed(e.to_string()))?;
            if v1.format_version != 1 {
                let readable = vec![1, SEGMENT_FORMAT_VERSION];
                return Err(EnvelopeError::Version {
                    format: SEGMENT_FORMAT_NAME.to_string(),
                    found: v1.format_version,
                    readable,
                }
                .into());
            }
            if v1.kind != "segment_model" {
                return Err(malformed(format!("kind `{}` is not `segment_model`", v1.kind)).into());
            }
            v1.model
        } else {
            envelope::open(text, SEGMENT_FORMAT_NAME, &[SEGMENT_FORMAT_VERSION])?.body::<SegmentModel>()?
        };
        m.validate().map_err(EnvelopeError::from)?;
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AnomalyError;

    #[test]
    fn medians_and_fallbacks() {
        let mut v = vec![3.0, 1.0, 2.0, 10.0];
        assert_eq!(median_in_place(&mut v), Some(2.5));
        let rows: Vec<AnomalyInputs> = (0..100)
            .map(|i| {
                AnomalyInputs::new()
                    .with_industry(if i < 50 { "A" } else { "B" })
                    .with_employees(if i % 2 == 0 { 1.0 } else { 100.0 })
                    .with_monthly_revenue(1000.0)
            })
            .chain([AnomalyInputs::new().with_employees(f64::NAN).with_monthly_revenue(5.0)])
            .collect();
        let m = SegmentParams::new().with_min_count(20).fit(rows.iter().copied()).expect("fits");
        assert!((m.stats(Some("A"), 1.0).median - 1000f64.ln()).abs() < 1e-12);
        assert_eq!(m.stats(Some("A"), 1.0).count, 25);
        assert_eq!(m.stats(Some("a"), 1.0).count, 25);
        assert_eq!(m.stats(Some("zzz"), 1.0).count, 50); // band fallback
        assert_eq!(m.stats(None, 3.0).count, 100); // global fallback (empty band)
        assert_eq!(m.stats(Some("A"), 1.0).scale, 0.1); // floored
    }

    #[test]
    fn errors() {
        assert!(matches!(
            SegmentParams::new().fit(Vec::<AnomalyInputs>::new()),
            Err(AnomalyError::Core(CoreError::Empty { .. }))
        ));
        assert!(SegmentParams::new().with_band_edges(vec![5.0, 2.0]).fit(Vec::new()).is_err());
        assert!(SegmentParams::new().with_min_scale(f64::NAN).fit(Vec::new()).is_err());
        let rows = [AnomalyInputs::new().with_employees(2.0).with_monthly_revenue(10.0)];
        let m = SegmentParams::new().fit(rows).expect("fits");
        let json = m.to_json().expect("ok");
        let v9 = json.replacen("\"format_version\":2", "\"format_version\":9", 1);
        assert!(matches!(
            SegmentModel::from_json(&v9),
            Err(AnomalyError::ModelFile(EnvelopeError::Version { found: 9, .. }))
        ));
        assert!(matches!(
            SegmentModel::from_json("[1,2"),
            Err(AnomalyError::ModelFile(EnvelopeError::Malformed { .. }))
        ));
        // an edited body is caught by the checksum
        let edited = json.replace("\"bands\":[", "\"bands\":[null,");
        assert!(matches!(
            SegmentModel::from_json(&edited),
            Err(AnomalyError::ModelFile(EnvelopeError::Checksum { .. }))
        ));
        // the same edit with a recomputed checksum is caught by validation
        let body = envelope::open(&json, SEGMENT_FORMAT_NAME, &[2]).expect("opens").body_json().to_string();
        let resealed = |b: String| envelope::reseal(&json, &b).expect("reseals");
        let err = SegmentModel::from_json(&resealed(body.replace("\"bands\":[", "\"bands\":[null,")));
        assert_eq!(err.expect_err("refused").to_string(), "invalid segment model: `bands` has 12 values, expected 11");
        let zero = body.replacen("\"scale\":0.1", "\"scale\":0.0", 1);
        assert_ne!(zero, body);
        assert!(matches!(
            SegmentModel::from_json(&resealed(zero)),
            Err(AnomalyError::ModelFile(EnvelopeError::Invalid(InvalidModel {
                part: "segment model",
                problem: acctscore_core::Problem::NotPositive { index: 0, .. },
                ..
            })))
        ));
        // version 1 (no checksum) is still read
        let v1 = format!("{{\"format_version\":1,\"kind\":\"segment_model\",\"model\":{body}}}");
        assert_eq!(SegmentModel::from_json(&v1).expect("v1 reads"), m);
    }
}

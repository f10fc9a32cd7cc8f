//! The charts, drawn by plotters into SVG strings.
//!
//! Text is emitted as SVG `<text>` (plotters' SVG backend never loads a
//! font: layout uses its built-in size estimate). Data marks (lines, bars,
//! points, cells) use the colours of [`Chart::marks`]; axes, grid,
//! reference lines and text are black or grey, so a mark is any element (or
//! pixel) in one of those colours.

use crate::figures::{Factors, Figures, Histogram, Migration, TierRow};
use crate::input::Tier;
use acctscore_calibration::metrics::{GainsRow, ReliabilityPoint};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

pub(crate) type DrawResult<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// An SVG chart and the colours its data marks are drawn in.
pub(crate) struct Chart {
    pub(crate) svg: String,
    /// `#RRGGBB`, as plotters writes `fill` and `stroke`.
    pub(crate) marks: Vec<&'static str>,
}

const BLUE_C: RGBColor = RGBColor(0x1F, 0x77, 0xB4);
const ORANGE_C: RGBColor = RGBColor(0xFF, 0x7F, 0x0E);
const GREEN_C: RGBColor = RGBColor(0x2C, 0xA0, 0x2C);
const RED_C: RGBColor = RGBColor(0xD6, 0x27, 0x28);
const PURPLE_C: RGBColor = RGBColor(0x94, 0x67, 0xBD);
const GREY_C: RGBColor = RGBColor(0x88, 0x88, 0x88);
const BLUE: &str = "#1F77B4";
const ORANGE: &str = "#FF7F0E";
const GREEN: &str = "#2CA02C";
const RED: &str = "#D62728";
const PURPLE: &str = "#9467BD";

/// Chart sizes in pixels (the page lays the SVGs out at these sizes).
pub(crate) const WIDE: (u32, u32) = (760, 360);
pub(crate) const SIZE: (u32, u32) = (560, 360);

const FONT: &str = "sans-serif";

fn tier_color(t: Tier) -> (RGBColor, &'static str) {
    match t {
        Tier::A => (GREEN_C, GREEN),
        Tier::B => (BLUE_C, BLUE),
        Tier::C => (ORANGE_C, ORANGE),
        Tier::D => (RED_C, RED),
    }
}

fn svg(
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, plotters::coord::Shift>) -> DrawResult<()>,
) -> DrawResult<String> {
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, size).into_drawing_area();
        root.fill(&WHITE)?;
        draw(&root)?;
        root.present()?;
    }
    Ok(buf)
}

/// The mesh of chart `$c` in the report's look: a light grid at the
/// labelled ticks only, readable label sizes.
macro_rules! mesh {
    ($c:expr) => {
        $c.configure_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(BLACK.mix(0.12))
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 14))
    };
}

/// The series legend of chart `$c` at `$position`, in the report's look.
macro_rules! legend {
    ($c:expr, $position:expr) => {
        $c.configure_series_labels()
            .position($position)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.3))
            .label_font((FONT, 13))
    };
}

/// Cumulative gains (left) and lift by decile (right).
pub(crate) fn gains(rows: &[GainsRow], accounts: usize) -> DrawResult<Chart> {
    let svg = svg(WIDE, |root| {
        let (left, right) = root.split_horizontally(WIDE.0 / 2);
        let mut c = ChartBuilder::on(&left)
            .caption("Cumulative gains", (FONT, 18))
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(0f64..1f64, 0f64..1f64)?;
        mesh!(c)
            .x_desc("share of accounts, best scores first")
            .y_desc("share of conversions")
            .x_labels(6)
            .y_labels(6)
            .x_label_formatter(&|v| format!("{:.0}%", v * 100.0))
            .y_label_formatter(&|v| format!("{:.0}%", v * 100.0))
            .draw()?;
        c.draw_series(DashedLineSeries::new([(0.0, 0.0), (1.0, 1.0)], 6, 4, GREY_C.stroke_width(1)))?;
        let n = accounts.max(1) as f64;
        let points: Vec<(f64, f64)> = std::iter::once((0.0, 0.0))
            .chain(rows.iter().map(|r| (r.cumulative_rows as f64 / n, r.cumulative_gain)))
            .collect();
        c.draw_series(LineSeries::new(points.iter().copied(), BLUE_C.stroke_width(3)))?;
        c.draw_series(points.iter().map(|&p| Circle::new(p, 4, BLUE_C.filled())))?;

        let top = rows.iter().map(|r| r.lift).fold(1.0, f64::max) * 1.15;
        let k = rows.len().max(1) as i32;
        let mut c = ChartBuilder::on(&right)
            .caption("Lift by decile", (FONT, 18))
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d((1..k).into_segmented(), 0f64..top)?;
        mesh!(c).disable_x_mesh().x_desc("decile (1 = best scores)").y_desc("lift (× base rate)").y_labels(6).draw()?;
        c.draw_series(rows.iter().map(|r| {
            let g = r.group as i32;
            let mut bar = Rectangle::new(
                [(SegmentValue::Exact(g), 0.0), (SegmentValue::Exact(g + 1), r.lift)],
                ORANGE_C.filled(),
            );
            bar.set_margin(0, 0, 4, 4);
            bar
        }))?;
        c.draw_series(DashedLineSeries::new(
            [(SegmentValue::Exact(1), 1.0), (SegmentValue::Last, 1.0)],
            6,
            4,
            GREY_C.stroke_width(1),
        ))?;
        Ok(())
    })?;
    Ok(Chart { svg, marks: vec![BLUE, ORANGE] })
}

/// Observed conversion against mean predicted probability per bin, with the diagonal.
pub(crate) fn reliability(points: &[ReliabilityPoint]) -> DrawResult<Chart> {
    let top = points.iter().map(|p| p.mean_predicted.max(p.fraction_positive)).fold(0.0, f64::max);
    let hi = ((top * 10.0).ceil() / 10.0).clamp(0.1, 1.0);
    let svg = svg(SIZE, |root| {
        let mut c = ChartBuilder::on(root)
            .caption("Reliability: predicted vs observed", (FONT, 18))
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(55)
            .build_cartesian_2d(0f64..hi, 0f64..hi)?;
        mesh!(c)
            .x_desc("mean predicted probability")
            .y_desc("observed conversion rate")
            .x_labels(6)
            .y_labels(6)
            .draw()?;
        c.draw_series(DashedLineSeries::new([(0.0, 0.0), (hi, hi)], 6, 4, GREY_C.stroke_width(1)))?
            .label("perfectly calibrated")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], GREY_C));
        let pts: Vec<(f64, f64)> = points.iter().map(|p| (p.mean_predicted, p.fraction_positive)).collect();
        c.draw_series(LineSeries::new(pts.iter().copied(), BLUE_C.stroke_width(2)))?
            .label("observed")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE_C.stroke_width(2)));
        c.draw_series(pts.iter().map(|&p| Circle::new(p, 5, BLUE_C.filled())))?;
        legend!(c, SeriesLabelPosition::UpperLeft).draw()?;
        Ok(())
    })?;
    Ok(Chart { svg, marks: vec![BLUE] })
}

/// Histogram of scores, stacked by tier.
pub(crate) fn tier_distribution(h: &Histogram, tiers: &[TierRow]) -> DrawResult<Chart> {
    let bins = h.counts.len().max(1);
    let width = h.hi / bins as f64;
    let top = h.counts.iter().map(|c| c.iter().sum::<u64>()).max().unwrap_or(0).max(1) as f64 * 1.1;
    let present: Vec<Tier> = tiers.iter().filter(|r| r.accounts > 0).map(|r| r.tier).collect();
    let svg = svg(SIZE, |root| {
        let mut c = ChartBuilder::on(root)
            .caption("Score distribution by tier", (FONT, 18))
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(55)
            .build_cartesian_2d(0f64..h.hi, 0f64..top)?;
        mesh!(c)
            .disable_x_mesh()
            .x_desc("score")
            .y_desc("accounts")
            .x_labels(6)
            .y_labels(6)
            .y_label_formatter(&|v| format!("{v:.0}"))
            .draw()?;
        for &t in &present {
            let (color, _) = tier_color(t);
            let p = t.position();
            let bars = h.counts.iter().enumerate().filter(|(_, c)| c[p] > 0).map(move |(b, c)| {
                let below: u64 = c[..p].iter().sum();
                let x0 = b as f64 * width;
                let mut r = Rectangle::new([(x0, below as f64), (x0 + width, (below + c[p]) as f64)], color.filled());
                r.set_margin(0, 0, 1, 1);
                r
            });
            c.draw_series(bars)?
                .label(format!("tier {}", t.letter()))
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
        }
        legend!(c, SeriesLabelPosition::UpperRight).draw()?;
        Ok(())
    })?;
    Ok(Chart { svg, marks: present.iter().map(|&t| tier_color(t).1).collect() })
}

/// The migration matrix as a heat map: rows baseline tier, columns current tier.
pub(crate) fn migration(m: &Migration) -> DrawResult<Option<Chart>> {
    let Some(matrix) = &m.matrix else { return Ok(None) };
    let max = matrix.counts().iter().flatten().copied().max().unwrap_or(0).max(1) as f64;
    // Columns: position x (A first, left); rows: position 3 − y (A at the top).
    let tier_at = |i: i32| {
        usize::try_from(i).ok().and_then(|i| Tier::ALL.get(i)).map_or(String::new(), |t| t.letter().to_string())
    };
    let x_letter = |v: &SegmentValue<i32>| match v {
        SegmentValue::CenterOf(i) => tier_at(*i),
        _ => String::new(),
    };
    let y_letter = |v: &SegmentValue<i32>| match v {
        SegmentValue::CenterOf(i) => tier_at(3 - *i),
        _ => String::new(),
    };
    let svg = svg(SIZE, |root| {
        let mut c = ChartBuilder::on(root)
            .caption("Tier migration: baseline → current", (FONT, 18))
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(55)
            .build_cartesian_2d((0..3).into_segmented(), (0..3).into_segmented())?;
        mesh!(c)
            .disable_mesh()
            .x_desc("current tier")
            .y_desc("baseline tier")
            .x_label_formatter(&x_letter)
            .y_label_formatter(&y_letter)
            .draw()?;
        // Position 0 (A) at the top: row y = 3 − position.
        for (from, &t_from) in Tier::ALL.iter().enumerate() {
            for (to, &t_to) in Tier::ALL.iter().enumerate() {
                let count = matrix.count(t_from.rank(), t_to.rank());
                let (x, y) = (to as i32, 3 - from as i32);
                let shade = 0.08 + 0.92 * count as f64 / max;
                let mut cell = Rectangle::new(
                    [
                        (SegmentValue::Exact(x), SegmentValue::Exact(y)),
                        (SegmentValue::Exact(x + 1), SegmentValue::Exact(y + 1)),
                    ],
                    BLUE_C.mix(shade).filled(),
                );
                cell.set_margin(2, 2, 2, 2);
                c.draw_series(std::iter::once(cell))?;
                let ink = if shade > 0.55 { &WHITE } else { &BLACK };
                let style =
                    TextStyle::from((FONT, 18).into_font()).color(ink).pos(Pos::new(HPos::Center, VPos::Center));
                c.draw_series(std::iter::once(Text::new(
                    count.to_string(),
                    (SegmentValue::CenterOf(x), SegmentValue::CenterOf(y)),
                    style,
                )))?;
            }
        }
        Ok(())
    })?;
    Ok(Some(Chart { svg, marks: vec![BLUE] }))
}

/// The top reason codes: mean contribution per account naming it, as horizontal bars.
pub(crate) fn factors(f: &Factors) -> DrawResult<Option<Chart>> {
    if f.top.is_empty() {
        return Ok(None);
    }
    let k = f.top.len() as f64;
    let means: Vec<f64> = f.top.iter().map(|r| r.sum / r.accounts.max(1) as f64).collect();
    let lo = means.iter().copied().fold(0.0, f64::min);
    let hi = means.iter().copied().fold(0.0, f64::max);
    let pad = (hi - lo) * 0.1;
    let (lo, mut hi) = (if lo < 0.0 { lo - pad } else { 0.0 }, if hi > 0.0 { hi + pad } else { 0.0 });
    if hi - lo < 1e-12 {
        hi = lo + 1.0;
    }
    let svg = svg(SIZE, |root| {
        let mut c = ChartBuilder::on(root)
            .caption("Top factors across the pool", (FONT, 18))
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(170)
            .build_cartesian_2d(lo..hi, 0f64..k)?;
        mesh!(c).disable_y_mesh().x_desc("mean contribution per account naming it").y_labels(0).x_labels(6).draw()?;
        // Largest first at the top: bar i spans y in [k − 1 − i, k − i].
        let top = |i: usize| k - i as f64;
        c.draw_series(means.iter().enumerate().map(|(i, &m)| {
            let color = if m >= 0.0 { PURPLE_C } else { RED_C };
            let mut bar = Rectangle::new([(0.0, top(i) - 1.0), (m, top(i))], color.filled());
            bar.set_margin(3, 3, 0, 0);
            bar
        }))?;
        c.draw_series(std::iter::once(PathElement::new(vec![(0.0, 0.0), (0.0, k)], BLACK.stroke_width(1))))?;
        // The codes, right-aligned left of the axis at each bar's middle.
        let style = TextStyle::from((FONT, 13).into_font()).pos(Pos::new(HPos::Right, VPos::Center));
        for (i, r) in f.top.iter().enumerate() {
            let (x, y) = c.backend_coord(&(lo, top(i) - 0.5));
            root.draw(&Text::new(short(&r.code, 24), (x - 8, y), style.clone()))?;
        }
        Ok(())
    })?;
    let mut marks = vec![PURPLE];
    if means.iter().any(|&m| m < 0.0) {
        marks.push(RED);
    }
    Ok(Some(Chart { svg, marks }))
}

/// `s` cut to `max` characters with an ellipsis.
pub(crate) fn short(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// Every chart of the page, in order, each `Err` as the text the page shows instead.
pub(crate) struct Charts {
    pub(crate) gains: DrawResult<Chart>,
    pub(crate) reliability: DrawResult<Chart>,
    pub(crate) tiers: DrawResult<Chart>,
    pub(crate) migration: Option<DrawResult<Option<Chart>>>,
    pub(crate) factors: Option<DrawResult<Option<Chart>>>,
}

impl Charts {
    pub(crate) fn draw(f: &Figures) -> Charts {
        Charts {
            gains: gains(&f.gains, f.headline.accounts),
            reliability: reliability(&f.reliability),
            tiers: tier_distribution(&f.histogram, &f.tiers),
            migration: f.migration.as_ref().map(migration),
            factors: f.factors.as_ref().map(factors),
        }
    }
}

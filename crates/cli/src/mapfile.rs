//! The mapping file (TOML) that names a CSV's columns, says how to read it,
//! and where an activity log's and a reps file's columns are.

use crate::common::{Context, Result, fail};
use acctscore::ColumnMapping;
use acctscore::frame::Frame;
use acctscore::frame::csv::{CsvOptions, Encoding};
use acctscore::pool::{EventOptions, TimeUnit};
use serde::Deserialize;
use std::path::Path;

/// The mapping file (TOML): which column of a CSV holds what, and how to
/// read the CSV. Every key is optional; an unknown key is an error.
///
/// ```toml
/// id = "Prospect ID"
/// industry = "Lead Source"
/// not_features = ["Lead Number"]
///
/// [csv]
/// delimiter = ","
/// missing_tokens = ["", "Select"]
///
/// [events]            # the activity log's columns (default: the pool format's)
/// account = "account"
/// timestamp = "engage_date"
/// time = "iso"
/// fixed_kind = "meeting"
/// rep = "sales_agent"
/// undated = "skip"
///
/// [reps]              # the reps file's columns (for `assign`)
/// id = "sales_agent"
/// ```
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MapFile {
    /// The account id column (never a feature).
    pub(crate) id: Option<String>,
    /// Industry (categorical).
    pub(crate) industry: Option<String>,
    /// Business model (ecommerce, saas, services, marketplace, other).
    pub(crate) business_model: Option<String>,
    /// Number of employees.
    pub(crate) employees: Option<String>,
    /// Reported monthly revenue, USD (a revenue input; not an ICP feature).
    pub(crate) monthly_revenue: Option<String>,
    /// Monthly web visits.
    pub(crate) web_traffic: Option<String>,
    /// Relative 90-day change of web traffic.
    pub(crate) traffic_growth: Option<String>,
    /// Share of visits that buy.
    pub(crate) conversion_rate: Option<String>,
    /// Average SKU price.
    pub(crate) sku_price: Option<String>,
    /// Whether the company sells online (boolean).
    pub(crate) has_ecommerce: Option<String>,
    /// Founding year.
    pub(crate) founded_year: Option<String>,
    /// Columns never used as ICP features.
    #[serde(default)]
    pub(crate) not_features: Vec<String>,
    /// How to read the CSV.
    #[serde(default)]
    pub(crate) csv: CsvSection,
    /// How to read the activity log.
    #[serde(default)]
    pub(crate) events: EventsSection,
    /// How to read the reps file.
    #[serde(default)]
    pub(crate) reps: RepsSection,
}

/// The `[events]` section of a mapping file: the activity log's columns and
/// how its timestamps are written. Every key is optional: the pool format's
/// `account_id`, `kind`, `timestamp` (Unix seconds), `rep_id` otherwise.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EventsSection {
    /// The account id column (its values match the accounts' `id` column).
    account: Option<String>,
    /// The activity kind column.
    kind: Option<String>,
    /// The kind of every row, for a log without a kind column (not with `kind`).
    fixed_kind: Option<String>,
    /// The timestamp column.
    timestamp: Option<String>,
    /// How timestamps are written (default: Unix seconds).
    time: Option<TimeForm>,
    /// The column of the rep who did the activity (for `assign`).
    rep: Option<String>,
    /// What a row with an empty timestamp does (default: an error).
    undated: Option<Undated>,
}

/// How an activity log's timestamps are written.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum TimeForm {
    Seconds,
    Milliseconds,
    Microseconds,
    Nanoseconds,
    /// ISO 8601 dates or date-times (`2016-10-20`), UTC unless an offset says otherwise.
    Iso,
}

/// What a row with an empty timestamp does.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum Undated {
    /// The run fails, naming the line.
    Error,
    /// The row is left out, and the count is printed as a warning.
    Skip,
}

/// The `[reps]` section of a mapping file: the reps file's columns (default
/// `rep_id`, `capacity`, `segment`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RepsSection {
    /// The rep id column (its values match the activity log's rep column).
    pub(crate) id: Option<String>,
    /// The capacity column (accounts per rep).
    pub(crate) capacity: Option<String>,
    /// The optional segment column.
    pub(crate) segment: Option<String>,
}

impl EventsSection {
    /// The events readers' options it declares.
    ///
    /// # Errors
    /// Both `kind` and `fixed_kind`.
    pub(crate) fn options(&self) -> Result<EventOptions> {
        let mut o = EventOptions::new();
        if self.kind.is_some() && self.fixed_kind.is_some() {
            return Err(fail(
                "[events] names both `kind` (a column) and `fixed_kind` (one kind for every row): keep one",
            ));
        }
        if let Some(c) = &self.account {
            o = o.account_column(c);
        }
        if let Some(c) = &self.kind {
            o = o.kind_column(c);
        }
        if let Some(c) = &self.timestamp {
            o = o.timestamp_column(c);
        }
        if let Some(c) = &self.rep {
            o = o.rep_column(c);
        }
        if let Some(kind) = &self.fixed_kind {
            o = o.fixed_kind(kind);
        }
        o = match self.time {
            None | Some(TimeForm::Seconds) => o,
            Some(TimeForm::Milliseconds) => o.time_unit(TimeUnit::Milliseconds),
            Some(TimeForm::Microseconds) => o.time_unit(TimeUnit::Microseconds),
            Some(TimeForm::Nanoseconds) => o.time_unit(TimeUnit::Nanoseconds),
            Some(TimeForm::Iso) => o.iso_dates(),
        };
        if self.undated == Some(Undated::Skip) {
            o = o.skip_undated();
        }
        Ok(o)
    }
}

/// The `[csv]` section of a mapping file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CsvSection {
    /// Field delimiter, one ASCII character (`"\t"` for tab); detected when absent.
    pub(crate) delimiter: Option<String>,
    /// Values read as missing in numeric, boolean and timestamp columns
    /// (replacing the loader's defaults).
    pub(crate) missing_tokens: Option<Vec<String>>,
    /// Numbers written with a decimal comma.
    #[serde(default)]
    pub(crate) decimal_comma: bool,
    /// `utf8` (default), `utf8_lossy`, `latin1` or `windows1252`.
    pub(crate) encoding: Option<Encoding>,
    /// Whether columns of only `yes`/`no` are booleans (default true).
    pub(crate) yes_no_boolean: Option<bool>,
}

impl MapFile {
    /// Reads and checks a mapping file.
    ///
    /// # Errors
    /// The file cannot be read, is not TOML of this form (an unknown key
    /// included), or its delimiter is not one ASCII character.
    pub(crate) fn read(path: &Path) -> Result<MapFile> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading mapping file {}", path.display()))?;
        let map: MapFile = toml::from_str(&text)
            .map_err(|e| fail(e.message().to_string()))
            .with_context(|| format!("mapping file {}", path.display()))?;
        map.csv_options().with_context(|| format!("mapping file {}", path.display()))?;
        map.events.options().with_context(|| format!("mapping file {}", path.display()))?;
        Ok(map)
    }

    /// The [`ColumnMapping`] it declares, with `label` as the outcome column.
    pub(crate) fn mapping(&self, label: Option<&str>) -> ColumnMapping {
        let mut m = ColumnMapping::new();
        let set = |m: ColumnMapping, v: &Option<String>, f: fn(ColumnMapping, String) -> ColumnMapping| match v {
            Some(c) => f(m, c.clone()),
            None => m,
        };
        m = set(m, &self.id, |m, c| m.id(c));
        m = set(m, &self.industry, |m, c| m.industry(c));
        m = set(m, &self.business_model, |m, c| m.business_model(c));
        m = set(m, &self.employees, |m, c| m.employees(c));
        m = set(m, &self.monthly_revenue, |m, c| m.monthly_revenue(c));
        m = set(m, &self.web_traffic, |m, c| m.web_traffic(c));
        m = set(m, &self.traffic_growth, |m, c| m.traffic_growth(c));
        m = set(m, &self.conversion_rate, |m, c| m.conversion_rate(c));
        m = set(m, &self.sku_price, |m, c| m.sku_price(c));
        m = set(m, &self.has_ecommerce, |m, c| m.has_ecommerce(c));
        m = set(m, &self.founded_year, |m, c| m.founded_year(c));
        for c in &self.not_features {
            m = m.not_feature(c.clone());
        }
        if let Some(label) = label {
            m = m.label(label);
        }
        m
    }

    /// Every column the file names, with its key.
    pub(crate) fn named_columns(&self) -> Vec<(&'static str, &str)> {
        let keys: [(&'static str, &Option<String>); 11] = [
            ("id", &self.id),
            ("industry", &self.industry),
            ("business_model", &self.business_model),
            ("employees", &self.employees),
            ("monthly_revenue", &self.monthly_revenue),
            ("web_traffic", &self.web_traffic),
            ("traffic_growth", &self.traffic_growth),
            ("conversion_rate", &self.conversion_rate),
            ("sku_price", &self.sku_price),
            ("has_ecommerce", &self.has_ecommerce),
            ("founded_year", &self.founded_year),
        ];
        let mut out: Vec<(&'static str, &str)> =
            keys.iter().filter_map(|(k, v)| v.as_deref().map(|c| (*k, c))).collect();
        out.extend(self.not_features.iter().map(|c| ("not_features", c.as_str())));
        out
    }

    /// The CSV options of its `[csv]` section.
    ///
    /// # Errors
    /// A delimiter that is not one ASCII character.
    pub(crate) fn csv_options(&self) -> Result<CsvOptions> {
        let c = &self.csv;
        let mut o = CsvOptions::new().decimal_comma(c.decimal_comma);
        if let Some(d) = &c.delimiter {
            let b = match (d.as_str(), d.as_bytes()) {
                ("\\t" | "tab", _) => b'\t',
                (_, &[b]) if b.is_ascii() => b,
                (s, _) => return Err(fail(format!("csv.delimiter `{s}` is not one ASCII character"))),
            };
            o = o.delimiter(b);
        }
        if let Some(t) = &c.missing_tokens {
            o = o.missing_tokens(t.clone());
        }
        if let Some(e) = c.encoding {
            o = o.encoding(e);
        }
        if let Some(y) = c.yes_no_boolean {
            o = o.yes_no_boolean(y);
        }
        Ok(o)
    }

    /// Checks that every column the file names is a column of `frame` (read from `path`).
    ///
    /// # Errors
    /// The first that is not, naming the key, the column, the file and the
    /// columns there are.
    pub(crate) fn check_columns(&self, frame: &Frame, path: &Path) -> Result<()> {
        for (key, column) in self.named_columns() {
            if frame.column(column).is_err() {
                return Err(fail(format!(
                    "{}: no column `{column}` (named by the mapping's `{key}`); the columns are: {}",
                    path.display(),
                    acctscore::core::names_in_words(frame.names())
                )));
            }
        }
        Ok(())
    }
}

//! Arrow and Parquet input: the same data read from CSV and from Arrow or
//! Parquet gives equal frames; unsupported types, wrong declared kinds and
//! damaged files are typed errors naming the column and the file.
#![cfg(all(feature = "parquet", feature = "csv"))]

use acctscore_frame::arrow::arrow_array::types::Int32Type;
use acctscore_frame::arrow::arrow_array::{
    ArrayRef, BooleanArray, DictionaryArray, Float64Array, Int64Array, ListArray, RecordBatch, StringArray,
    StringViewArray, TimestampMillisecondArray,
};
use acctscore_frame::arrow::{ArrowOptions, arrow_schema};
use acctscore_frame::csv::CsvOptions;
use acctscore_frame::{Column, ColumnKind, Frame, FrameError};
use std::sync::Arc;

const CSV: &str = "id,industry,employees,active,title,signed_up\n\
a1,Software,12,true,VP Sales,2024-01-02\n\
a2,Retail,,false,,2024-01-03T00:00:01Z\n\
a3,,3.5,,CTO,\n\
a4,Software,7,true,Intern,2023-12-31\n";

fn csv_frame() -> Frame {
    let options = CsvOptions::new()
        .id("id")
        .kind("industry", ColumnKind::Categorical)
        .kind("title", ColumnKind::Text)
        .kind("signed_up", ColumnKind::Timestamp);
    Frame::from_csv_reader(CSV.as_bytes(), &options).expect("valid CSV")
}

/// The CSV's rows as Arrow columns, `industry` a dictionary, in batches cut before the given rows.
fn batches(cuts: &[usize]) -> Vec<RecordBatch> {
    let bounds: Vec<usize> = std::iter::once(0).chain(cuts.iter().copied()).chain(std::iter::once(4)).collect();
    let splits: Vec<std::ops::Range<usize>> = bounds.windows(2).map(|w| w[0]..w[1]).collect();
    let id = ["a1", "a2", "a3", "a4"];
    let industry = [Some("Software"), Some("Retail"), None, Some("Software")];
    let employees = [Some(12.0), None, Some(3.5), Some(7.0)];
    let active = [Some(true), Some(false), None, Some(true)];
    let title = [Some("VP Sales"), None, Some("CTO"), Some("Intern")];
    let signed_up = [Some(1_704_153_600_000), Some(1_704_240_001_000), None, Some(1_703_980_800_000)];
    // One dictionary shared by every batch (as a Parquet column chunk's batches share one).
    let dict: DictionaryArray<Int32Type> = industry.iter().copied().collect();
    splits
        .iter()
        .map(|r| {
            // Every column nullable, whatever the batch holds (one schema for all batches).
            let columns: Vec<(&str, ArrayRef, bool)> = vec![
                ("id", Arc::new(StringViewArray::from_iter(id[r.clone()].iter().map(|s| Some(*s)))), true),
                ("industry", Arc::new(dict.slice(r.start, r.len())), true),
                ("employees", Arc::new(Float64Array::from(employees[r.clone()].to_vec())), true),
                ("active", Arc::new(BooleanArray::from(active[r.clone()].to_vec())), true),
                ("title", Arc::new(StringArray::from(title[r.clone()].to_vec())), true),
                ("signed_up", Arc::new(TimestampMillisecondArray::from(signed_up[r.clone()].to_vec())), true),
            ];
            RecordBatch::try_from_iter_with_nullable(columns).expect("valid batch")
        })
        .collect()
}

fn assert_same(a: &Frame, b: &Frame) {
    assert_eq!(a.names(), b.names());
    for ((name, x), y) in a.names().iter().zip(a.columns()).zip(b.columns()) {
        assert_eq!(x, y, "column {name}");
    }
}

fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("acctscore-frame-arrow-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn write_parquet(path: &std::path::Path, batches: &[RecordBatch]) {
    let file = std::fs::File::create(path).expect("create");
    let props = parquet::file::properties::WriterProperties::builder().set_max_row_group_row_count(Some(2)).build();
    let mut w = parquet::arrow::ArrowWriter::try_new(file, batches[0].schema(), Some(props)).expect("writer");
    for b in batches {
        w.write(b).expect("write");
    }
    w.close().expect("close");
}

#[test]
fn arrow_batches_read_as_the_same_frame_as_csv() {
    let csv = csv_frame();
    let one = Frame::from_record_batch(&batches(&[])[0]).expect("one batch");
    assert_same(&csv, &one);
    // Several batches sharing one dictionary: the same codes, levels in order of first appearance.
    let all = batches(&[1, 3]);
    let several = Frame::from_record_batches(all[0].schema_ref(), &all, &ArrowOptions::new()).expect("batches");
    assert_same(&csv, &several);
    let Column::Categorical(industry) = several.column("industry").expect("present") else { panic!("categorical") };
    assert_eq!(industry.levels(), ["Software", "Retail"]);
    // Declared kinds: the dictionary as text, the text as categorical; a projection.
    let options = ArrowOptions::new()
        .kind("industry", ColumnKind::Text)
        .kind("title", ColumnKind::Categorical)
        .only(["title", "industry"]);
    let declared = Frame::from_record_batches(all[0].schema_ref(), &all, &options).expect("declared");
    assert_eq!(declared.names(), ["industry", "title"]);
    assert_eq!(
        declared.column("industry").expect("present"),
        &Column::text([Some("Software"), Some("Retail"), None, Some("Software")])
    );
    assert_eq!(declared.column("title").expect("present").kind(), ColumnKind::Categorical);
}

#[test]
fn parquet_reads_as_csv_does_and_reads_only_the_projection() {
    let dir = temp("roundtrip");
    let path = dir.join("accounts.parquet");
    write_parquet(&path, &batches(&[2]));
    let frame = Frame::from_parquet_path(&path, &ArrowOptions::new()).expect("reads");
    assert_same(&csv_frame(), &frame);
    let only =
        Frame::from_parquet_path(&path, &ArrowOptions::new().only(["employees", "id", "absent"])).expect("reads");
    assert_eq!(only.names(), ["id", "employees"]);
    assert_eq!(only.nrows(), 4);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unsupported_types_and_wrong_declared_kinds_name_the_column() {
    let list = ListArray::from_iter_primitive::<Int32Type, _, _>([Some(vec![Some(1)]), None]);
    let batch = RecordBatch::try_from_iter([
        ("n", Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef),
        ("tags", Arc::new(list) as ArrayRef),
    ])
    .expect("batch");
    let e = Frame::from_record_batch(&batch).expect_err("a list column");
    assert!(matches!(&e, FrameError::ArrowType { column, wanted: None, .. } if column == "tags"), "{e:?}");
    assert!(e.to_string().starts_with("column `tags` has Arrow type List("), "{e}");
    assert!(e.to_string().contains("supported: integers"), "{e}");
    let only_n = Frame::from_record_batch_with(&batch, &ArrowOptions::new().only(["n"])).expect("projected away");
    assert_eq!(only_n.column("n").expect("present"), &Column::numeric(vec![Some(1.0), Some(2.0)]));
    let e = Frame::from_record_batch_with(&batch, &ArrowOptions::new().only(["n"]).kind("n", ColumnKind::Boolean))
        .expect_err("not boolean");
    assert_eq!(
        e.to_string(),
        "column `n` has Arrow type Int64, which cannot be read as boolean (declared); supported: Boolean"
    );
    let ts = Frame::from_record_batch_with(&batch, &ArrowOptions::new().only(["n"]).kind("n", ColumnKind::Timestamp))
        .expect("integers as Unix seconds");
    assert_eq!(ts.column("n").expect("present"), &Column::Timestamp(vec![Some(1), Some(2)]));
}

#[test]
fn a_present_nan_or_infinity_is_refused_with_its_row() {
    let batch = RecordBatch::try_from_iter([(
        "x",
        Arc::new(Float64Array::from(vec![Some(1.0), None, Some(f64::NAN)])) as ArrayRef,
    )])
    .expect("batch");
    let e = Frame::from_record_batch(&batch).expect_err("NaN");
    assert!(matches!(e, FrameError::NonFinite { ref column, row: 2, .. } if column == "x"), "{e:?}");
    let batch = RecordBatch::try_from_iter([("x", Arc::new(Float64Array::from(vec![f64::INFINITY])) as ArrayRef)])
        .expect("batch");
    assert!(matches!(Frame::from_record_batch(&batch), Err(FrameError::NonFinite { row: 0, .. })));
}

#[test]
fn parquet_errors_name_the_file_and_the_column() {
    let dir = temp("errors");
    let path = dir.join("accounts.parquet");
    write_parquet(&path, &batches(&[]));
    let e = Frame::from_parquet_path(&path, &ArrowOptions::new().kind("title", ColumnKind::Numeric))
        .expect_err("text is not numeric");
    let message = e.to_string();
    assert!(matches!(&e, FrameError::InFile { source, .. } if matches!(**source, FrameError::ArrowType { .. })));
    assert!(
        message.contains(&path.display().to_string()) && message.contains("column `title` has Arrow type Utf8"),
        "{message}"
    );
    // Damaged: the footer cut off.
    let bytes = std::fs::read(&path).expect("read");
    let damaged = dir.join("damaged.parquet");
    std::fs::write(&damaged, &bytes[..bytes.len() / 2]).expect("write");
    let e = Frame::from_parquet_path(&damaged, &ArrowOptions::new()).expect_err("damaged");
    assert!(matches!(&e, FrameError::Parquet { path, .. } if path.ends_with("damaged.parquet")), "{e:?}");
    let csv = dir.join("not.parquet");
    std::fs::write(&csv, CSV).expect("write");
    let e = Frame::from_parquet_path(&csv, &ArrowOptions::new()).expect_err("not Parquet");
    assert!(e.to_string().starts_with(&format!("cannot read `{}` as Parquet", csv.display())), "{e}");
    let e = Frame::from_parquet_path(dir.join("absent.parquet"), &ArrowOptions::new()).expect_err("absent");
    assert!(matches!(e, FrameError::Io { .. }));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_schema_without_batches_gives_an_empty_frame_and_mismatched_batches_are_refused() {
    let b = batches(&[]);
    let empty = Frame::from_record_batches(b[0].schema_ref(), &[], &ArrowOptions::new()).expect("empty");
    assert_eq!((empty.nrows(), empty.ncols()), (0, 6));
    let other = RecordBatch::try_from_iter([("id", Arc::new(Int64Array::from(vec![1])) as ArrayRef)]).expect("batch");
    let schema = arrow_schema::Schema::new(vec![arrow_schema::Field::new("id", arrow_schema::DataType::Utf8, true)]);
    assert!(matches!(
        Frame::from_record_batches(&schema, &[other], &ArrowOptions::new()),
        Err(FrameError::InvalidConfig { .. })
    ));
}

#[test]
fn the_first_batch_then_the_first_column_with_a_bad_value_is_named_at_any_thread_count() {
    let batch = |x: Vec<f64>, y: Vec<f64>| {
        RecordBatch::try_from_iter([
            ("x", Arc::new(Float64Array::from(x)) as ArrayRef),
            ("y", Arc::new(Float64Array::from(y)) as ArrayRef),
        ])
        .expect("batch")
    };
    // Batch 0: `y` is bad at row 1; batch 1: `x` is bad too (row 2 of the frame).
    let batches = [batch(vec![1.0, 2.0], vec![1.0, f64::NAN]), batch(vec![f64::INFINITY], vec![3.0])];
    for _ in 0..20 {
        let e = Frame::from_record_batches(batches[0].schema_ref(), &batches, &ArrowOptions::new()).expect_err("NaN");
        assert!(matches!(e, FrameError::NonFinite { ref column, row: 1, .. } if column == "y"), "{e:?}");
    }
    // In one batch, the first column that has a bad value (not the earliest row).
    let one = [batch(vec![1.0, f64::NAN], vec![f64::NAN, 2.0])];
    let e = Frame::from_record_batches(one[0].schema_ref(), &one, &ArrowOptions::new()).expect_err("NaN");
    assert!(matches!(e, FrameError::NonFinite { ref column, row: 1, .. } if column == "x"), "{e:?}");
    // A value error of an earlier batch comes before a later batch's wrong schema.
    let other =
        RecordBatch::try_from_iter([("x", Arc::new(Float64Array::from(vec![1.0])) as ArrayRef)]).expect("batch");
    let mixed = [batch(vec![1.0], vec![f64::NAN]), other];
    let e = Frame::from_record_batches(mixed[0].schema_ref(), &mixed, &ArrowOptions::new()).expect_err("NaN");
    assert!(matches!(e, FrameError::NonFinite { ref column, row: 0, .. } if column == "y"), "{e:?}");
}

#[test]
fn a_parquet_file_names_the_same_bad_value_as_its_record_batch_at_any_thread_count() {
    let dir = temp("order");
    let path = dir.join("bad.parquet");
    // Row groups of two rows; the reader decodes each column on its own, in
    // one batch here: the first column with a bad value is named, as for the
    // one record batch, not the column whose bad row comes first.
    let batch = RecordBatch::try_from_iter([
        ("x", Arc::new(Float64Array::from(vec![1.0, 2.0, f64::INFINITY])) as ArrayRef),
        ("y", Arc::new(Float64Array::from(vec![1.0, f64::NAN, 3.0])) as ArrayRef),
    ])
    .expect("batch");
    write_parquet(&path, std::slice::from_ref(&batch));
    let want = Frame::from_record_batch(&batch).expect_err("bad values");
    assert!(matches!(want, FrameError::NonFinite { ref column, row: 2, .. } if column == "x"), "{want:?}");
    for _ in 0..20 {
        match Frame::from_parquet_path(&path, &ArrowOptions::new()).expect_err("bad values") {
            FrameError::InFile { source, .. } => assert_eq!(source.to_string(), want.to_string()),
            other => panic!("{other:?}"),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

use super::*;

#[test]
fn frame_checks_shape_names_and_finiteness() {
    let a = ("a".to_string(), Column::numeric(vec![Some(1.0), None]));
    let b = ("b".to_string(), Column::numeric(vec![Some(1.0)]));
    assert!(matches!(Frame::new(vec![a.clone(), b]), Err(FrameError::RaggedColumns { .. })));
    assert!(matches!(Frame::new(vec![a.clone(), a.clone()]), Err(FrameError::DuplicateColumn { .. })));
    let nan = ("n".to_string(), Column::numeric(vec![Some(f64::NAN), None]));
    assert!(matches!(Frame::new(vec![nan]), Err(FrameError::NonFinite { row: 0, .. })));
    let f = Frame::new(vec![a]).expect("valid");
    assert_eq!(f.nrows(), 2);
    assert!(f.column("a").expect("present").is_missing(1));
    assert!(f.column("zz").is_err());
}

#[test]
fn kinds_print_as_lowercase_words_in_messages() {
    let kinds = [ColumnKind::Numeric, ColumnKind::Boolean, ColumnKind::Categorical, ColumnKind::Text];
    let names: Vec<String> = kinds.iter().map(ToString::to_string).collect();
    assert_eq!(names, ["numeric", "boolean", "categorical", "text"]);
    assert_eq!(ColumnKind::Timestamp.to_string(), "timestamp");
    let e = FrameError::WrongKind {
        column: "Prospect ID".into(),
        expected: ColumnKind::Text,
        found: ColumnKind::Categorical,
    };
    assert_eq!(e.to_string(), "column `Prospect ID` is categorical, expected text");
    let e = crate::CsvErrorKind::BadValue { column: "n".into(), value: "x".into(), expected: ColumnKind::Numeric };
    assert_eq!(e.to_string(), "column `n`: `x` is not a valid numeric value");
}

#[test]
fn a_missing_column_lists_the_frame_s_columns() {
    let f = Frame::new(vec![
        ("account_id".into(), Column::text(vec![Some("a")])),
        ("industry".into(), Column::categorical([Some("x")])),
    ])
    .expect("valid");
    let e = f.column("employees").expect_err("absent");
    assert!(matches!(&e, FrameError::MissingColumn { available, .. } if available == f.names()));
    assert_eq!(e.to_string(), "column `employees` not found; the frame has: account_id, industry");
    let wide =
        Frame::new((0..25).map(|k| (format!("c{k:02}"), Column::numeric(vec![Some(1.0)]))).collect()).expect("valid");
    let message = wide.column("x").expect_err("absent").to_string();
    assert!(message.ends_with("c17, c18, c19, and 5 more"), "{message}");
}

#[test]
fn numeric_column_reads_missing_as_none_and_keeps_its_serde_form() {
    let c: NumericColumn = [Some(1.5), None, Some(-0.0)].into_iter().collect();
    assert_eq!(c.iter().collect::<Vec<_>>(), [Some(1.5), None, Some(-0.0)]);
    assert!(c.is_missing(1) && c.is_missing(9) && !c.is_missing(2));
    assert_eq!(c.take(&[2, 7, 0]).iter().collect::<Vec<_>>(), [Some(-0.0), None, Some(1.5)]);
    // Missing rows are equal to each other; values compare as numbers.
    assert_eq!(c, NumericColumn::from_nan_missing(vec![1.5, f64::NAN, 0.0]));
    assert_ne!(c, NumericColumn::from_nan_missing(vec![1.5, 2.0, 0.0]));
    let json = serde_json::to_string(&Column::Numeric(c.clone())).expect("serialises");
    assert_eq!(json, r#"{"Numeric":[1.5,null,-0.0]}"#);
    assert_eq!(serde_json::from_str::<Column>(&json).expect("reads"), Column::Numeric(c));
}

#[test]
fn a_present_nan_is_never_read_as_missing() {
    let nan = Column::numeric(vec![Some(1.0), Some(f64::NAN), None]);
    assert_ne!(nan, Column::numeric(vec![Some(1.0), None, None]));
    assert_eq!(nan, nan.clone());
    assert!(!nan.is_missing(1) && nan.is_missing(2));
    // Taken rows keep it, at its new row, and the frame still refuses it.
    let taken = nan.take(&[2, 1, 0]);
    let Column::Numeric(t) = &taken else { panic!("numeric") };
    assert!(t.get(1).is_some_and(f64::is_nan));
    let err = Frame::new(vec![("x".to_string(), taken)]);
    assert!(matches!(err, Err(FrameError::NonFinite { row: 1, value, .. }) if value.is_nan()));
    // Any NaN bits are missing in raw values.
    let raw = NumericColumn::from_nan_missing(vec![f64::from_bits(f64::NAN.to_bits() | 7), -f64::NAN, 2.0]);
    assert_eq!(raw.iter().collect::<Vec<_>>(), [None, None, Some(2.0)]);
}

#[test]
fn categorical_rows_taken_or_filtered_keep_their_missing_rows() {
    let c = Column::categorical([Some("a"), None, Some("b"), None]);
    let Column::Categorical(t) = c.take(&[3, 2, 9, 0]) else { panic!("categorical") };
    assert_eq!((0..4).map(|i| t.get(i)).collect::<Vec<_>>(), [None, Some("b"), None, Some("a")]);
    assert_eq!(t.codes(), [CategoricalColumn::MISSING, 1, CategoricalColumn::MISSING, 0]);
    let f = Frame::new(vec![("c".to_string(), c)]).expect("valid");
    let kept = f.filter_rows(&[false, true, true, false]).expect("mask fits");
    let Ok(Column::Categorical(k)) = kept.column("c") else { panic!("categorical") };
    assert_eq!(k.codes(), [CategoricalColumn::MISSING, 1]);
    assert_eq!((k.get(0), k.get(1)), (None, Some("b")));
}

#[test]
fn a_non_finite_number_never_enters_a_frame_as_missing() {
    // A present NaN is not a missing value: the frame names it.
    for (values, row) in [(vec![None, Some(2.0), Some(f64::NAN)], 2), (vec![Some(f64::INFINITY), None], 0)] {
        let col = ("x".to_string(), Column::numeric(values));
        assert!(matches!(Frame::new(vec![col]), Err(FrameError::NonFinite { row: r, .. }) if r == row));
    }
    let raw = NumericColumn::from_nan_missing(vec![f64::NAN, 1.0, f64::NEG_INFINITY]);
    let err = Frame::new(vec![("x".to_string(), Column::Numeric(raw))]);
    assert!(matches!(err, Err(FrameError::NonFinite { row: 2, value, .. }) if value == f64::NEG_INFINITY));
    // Rows kept by a filter are the frame's own, finite or missing.
    let f = Frame::new(vec![("x".to_string(), Column::numeric(vec![Some(1.0), None, Some(3.0)]))]).expect("valid");
    let kept = f.filter_rows(&[false, true, true]).expect("mask fits");
    assert_eq!(kept.column("x").expect("x"), &Column::numeric(vec![None, Some(3.0)]));
}

#[test]
fn text_column_appends_truncates_and_keeps_its_serde_form() {
    let mut a: TextColumn = [Some("ab"), None, Some("")].into_iter().collect();
    let b: TextColumn = [None, Some("ü"), Some("cd")].into_iter().collect();
    a.append(&b);
    assert_eq!(a.iter().collect::<Vec<_>>(), [Some("ab"), None, Some(""), None, Some("ü"), Some("cd")]);
    assert_eq!(a.take(&[5, 9, 0]).iter().collect::<Vec<_>>(), [Some("cd"), None, Some("ab")]);
    assert!(a.is_missing(3) && a.is_missing(99) && !a.is_missing(2));
    a.truncate(5);
    a.push(Some("x"));
    assert_eq!(a.get(5), Some("x"));
    a.truncate(1);
    assert_eq!(a.iter().collect::<Vec<_>>(), [Some("ab")]);
    let json = serde_json::to_string(&Column::Text(a.clone())).expect("serialises");
    assert_eq!(json, r#"{"Text":["ab"]}"#);
    assert_eq!(serde_json::from_str::<Column>(&json).expect("reads"), Column::Text(a));
}

#[test]
fn categorical_interns_levels_in_order() {
    let c = CategoricalColumn::from_values([Some("b"), Some("a"), None, Some("b")]);
    assert_eq!(c.levels(), ["b", "a"]);
    assert_eq!(c.codes(), [0, 1, CategoricalColumn::MISSING, 0]);
    assert_eq!((c.code(0), c.code(2), c.code(9)), (Some(0), None, None));
    // The serialised codes are `Option<u32>`; an out-of-range code reads as missing.
    let json = serde_json::to_string(&c).expect("serialises");
    assert_eq!(json, r#"{"levels":["b","a"],"codes":[0,1,null,0]}"#);
    assert_eq!(serde_json::from_str::<CategoricalColumn>(&json).expect("reads"), c);
    // A code out of range, `MISSING` included, is an error.
    for bad in [r#"{"levels":["x"],"codes":[0,7,null]}"#, r#"{"levels":["x"],"codes":[4294967295]}"#] {
        assert!(serde_json::from_str::<CategoricalColumn>(bad).is_err(), "{bad}");
    }
    assert!(CategoricalColumn::from_parts(vec!["x".into()], vec![0, 1]).is_err());
    assert!(CategoricalColumn::from_parts(vec!["x".into()], vec![0, CategoricalColumn::MISSING]).is_ok());
    assert_eq!(c.get(3), Some("b"));
    assert_eq!(c.get(2), None);
    assert_eq!(c.get(99), None);
}

use super::*;

fn frame() -> Frame {
    Frame::new(vec![
        ("n".to_string(), Column::numeric(vec![Some(1.0), Some(3.0), None, Some(5.0)])),
        ("c".to_string(), Column::categorical([Some("A"), Some(" a "), Some("b"), None])),
        ("f".to_string(), Column::Boolean(vec![Some(true), Some(false), Some(true), Some(false)])),
    ])
    .expect("valid frame")
}

#[test]
fn encodes_numbers_levels_and_flags() {
    let f = frame();
    let p =
        PipelineParams::new().numeric_transform(NumericTransform::Standardize).min_frequency(2).fit(&f).expect("fit");
    assert_eq!(p.feature_names(), ["n", "n:missing", "c=a", "c=__rare__", "c=__missing__", "f"]);
    let x = p.transform(&f).expect("transform");
    // mean 3, population std sqrt(8/3); missing imputed with the median 3 -> 0.
    let std = (8.0f64 / 3.0).sqrt();
    assert!((x[[0, 0]] - (1.0 - 3.0) / std).abs() < 1e-12);
    assert_eq!(x[[2, 0]], 0.0);
    assert_eq!(x.column(1).to_vec(), [0.0, 0.0, 1.0, 0.0]);
    assert_eq!(x.column(2).to_vec(), [1.0, 1.0, 0.0, 0.0]);
    assert_eq!(x.column(3).to_vec(), [0.0, 0.0, 1.0, 0.0]);
    assert_eq!(x.column(4).to_vec(), [0.0, 0.0, 0.0, 1.0]);
    assert_eq!(x.column(5).to_vec(), [1.0, 0.0, 1.0, 0.0]);
}

#[test]
fn unseen_levels_go_to_rare_and_serde_round_trips() {
    let f = frame();
    let p = PipelineParams::new().min_frequency(1).fit(&f).expect("fit");
    let other = Frame::new(vec![
        ("c".to_string(), Column::categorical([Some("zzz")])),
        ("n".to_string(), Column::numeric(vec![Some(2.0)])),
        ("f".to_string(), Column::Boolean(vec![None])),
    ])
    .expect("valid");
    let x = p.transform(&other).expect("unseen is fine");
    let names = p.feature_names();
    let rare = names.iter().position(|n| *n == "c=__rare__").expect("rare exists");
    assert_eq!(x[[0, rare]], 1.0);
    let json = serde_json::to_string(&p).expect("ser");
    let back: FittedPipeline = serde_json::from_str(&json).expect("de");
    assert_eq!(back, p);
}

#[test]
fn wrong_kind_and_missing_columns_are_errors() {
    let f = frame();
    let p = PipelineParams::new().fit(&f).expect("fit");
    let bad = Frame::new(vec![("n".to_string(), Column::Boolean(vec![Some(true)]))]).expect("valid");
    assert!(p.transform(&bad).is_err());
    assert!(PipelineParams::new().min_frequency(0).fit(&f).is_err());
    assert!(PipelineParams::new().clip_quantiles(0.9, 0.1).fit(&f).is_err());
}

#[test]
fn clipping_titles_timestamps_sentinels_and_placeholders() {
    let n = 200;
    let vals: Vec<Option<f64>> = (0..n).map(|i| Some(if i == 0 { 1e9 } else { i as f64 })).collect();
    let days: Vec<Option<f64>> = (0..n).map(|i| Some(if i % 4 == 0 { -1.0 } else { i as f64 })).collect();
    let titles: Vec<Option<&str>> =
        (0..n).map(|i| [Some("VP Sales"), Some("Mktg Mgr"), None, Some("ceo")][i % 4]).collect();
    let forms: Vec<Option<&str>> = (0..n).map(|i| [Some("Select"), Some("Finance"), Some("HR")][i % 3]).collect();
    let ts: Vec<Option<i64>> = (0..n).map(|i| Some(1_700_000_000 - i as i64 * 86_400)).collect();
    let f = Frame::new(vec![
        ("v".to_string(), Column::numeric(vals)),
        ("d".to_string(), Column::numeric(days)),
        ("t".to_string(), Column::categorical(titles)),
        ("form".to_string(), Column::categorical(forms)),
        ("ts".to_string(), Column::Timestamp(ts)),
    ])
    .expect("frame");
    let p = PipelineParams::new()
        .numeric_transform(NumericTransform::Standardize)
        .clip_quantiles(0.0, 0.99)
        .sentinel("d", -1.0)
        .title_column("t")
        .reference_time(1_700_000_000)
        .fit(&f)
        .expect("fit");
    let names = p.feature_names();
    assert!(names.contains(&"d:sentinel"));
    assert!(names.contains(&"t:seniority=vp"));
    assert!(names.contains(&"t:function=sales"));
    assert!(names.contains(&"form=select"), "placeholders keep their level by default");
    let x = p.transform(&f).expect("transform");
    let col = |name: &str| names.iter().position(|n| *n == name).expect("feature");
    // The outlier is clipped to the 99% quantile, so its z-score stays moderate.
    assert!(x[[0, col("v")]] < 3.0);
    assert_eq!(x[[0, col("d:sentinel")]], 1.0);
    assert_eq!(x[[1, col("d:sentinel")]], 0.0);
    assert_eq!(x[[0, col("t:seniority=vp")]], 1.0);
    assert_eq!(x[[2, col("t:seniority=missing")]], 1.0);
    assert_eq!(x[[3, col("t:seniority=clevel")]], 1.0);
    // Ages grow with the row index (one day each).
    assert!(x[[10, col("ts")]] > x[[5, col("ts")]]);
    let q = PipelineParams::new().placeholders_as_missing(true).fit(&f).expect("fit");
    let qn = q.feature_names();
    assert!(!qn.contains(&"form=select"));
    assert!(qn.contains(&"form=__missing__"));
    let json = serde_json::to_string(&p).expect("ser");
    assert_eq!(serde_json::from_str::<FittedPipeline>(&json).expect("de"), p);
}

#[test]
fn max_levels_keeps_the_most_frequent() {
    let c: Vec<Option<&str>> = ["a", "a", "a", "b", "b", "c"].iter().map(|s| Some(*s)).collect();
    let f = Frame::new(vec![("c".to_string(), Column::categorical(c))]).expect("frame");
    let p = PipelineParams::new().min_frequency(1).max_levels(2).fit(&f).expect("fit");
    assert_eq!(p.feature_names(), ["c=a", "c=b", "c=__rare__"]);
}

#[test]
fn signed_log1p_looks_up_exactly_what_ln_1p_gives() {
    let table = LOG1P_TABLE as f64;
    for x in [0.0, -0.0, 1.0, 2.5, 7.0, table - 1.0, table - 0.5, table, table + 1.0, 1e12, 1e300, 0.1] {
        assert_eq!(signed_log1p(x).to_bits(), x.abs().ln_1p().to_bits(), "{x}");
        if x != 0.0 {
            assert_eq!(signed_log1p(-x).to_bits(), (-x.abs().ln_1p()).to_bits(), "{}", -x);
        }
    }
    assert!(signed_log1p(f64::NAN).is_nan());
}

#[test]
fn bound_columns_encode_rows_and_keys_as_the_matrix() {
    let n = 300;
    let f = |k: usize| {
        Frame::new(vec![
            (
                "v".to_string(),
                Column::numeric((0..n).map(|i| [None, Some(-1.0), Some((i * k) as f64 / 7.0)][i % 3]).collect()),
            ),
            (
                "c".to_string(),
                Column::categorical(
                    (0..n).map(|i| [None, Some("A"), Some(" b"), Some("rare"), Some("new")][(i * k + i / 50) % 5]),
                ),
            ),
            ("b".to_string(), Column::Boolean((0..n).map(|i| [None, Some(true), Some(false)][(i * k) % 3]).collect())),
            ("t".to_string(), Column::categorical((0..n).map(|i| [Some("VP Sales"), None, Some("cto")][(i + k) % 3]))),
            (
                "tt".to_string(),
                Column::Text((0..n).map(|i| (i % 2 == 0).then(|| "Head of Marketing".to_string())).collect()),
            ),
            (
                "ts".to_string(),
                Column::Timestamp(
                    (0..n).map(|i| (i % 4 != 0).then_some(1_700_000_000 - (i * k) as i64 * 3600)).collect(),
                ),
            ),
        ])
        .expect("frame")
    };
    let train = f(1);
    let p = PipelineParams::new()
        .min_frequency(60)
        .sentinel("v", -1.0)
        .title_column("t")
        .title_column("tt")
        .fit(&train)
        .expect("fit");
    // Another frame: other dictionary order, an unseen level, other values.
    let other = f(2);
    let x = p.transform(&other).expect("transform");
    let bound = p.bind(&other).expect("bind");
    assert_eq!(bound.iter().map(|c| c.column()).collect::<Vec<_>>(), p.input_columns());
    assert_eq!(bound.last().map(|c| c.features().end), Some(p.features().len()));
    for c in &bound {
        let mut buf = vec![f64::NAN; c.width()];
        for i in 0..n {
            let want = x.row(i).to_vec();
            c.encode_row(i, &mut buf).expect("width");
            assert_eq!(buf, want[c.features()], "{} row {i}", c.column());
            match (c.keys(), c.key(i)) {
                (Some(keys), Some(k)) => {
                    assert!(k < keys);
                    buf.fill(f64::NAN);
                    c.encode_key(k, &mut buf).expect("key");
                    assert_eq!(buf, want[c.features()], "{} key {k}", c.column());
                }
                (None, None) => assert!(c.encode_key(0, &mut buf).is_err()),
                other => panic!("keys and key disagree: {other:?}"),
            }
        }
        // Blocks of rows, as the matrix's block and the rows' keys.
        let mut block = vec![f64::NAN; 37 * c.width()];
        c.encode_rows(100..137, &mut block).expect("shape");
        let want: Vec<f64> = (100..137).flat_map(|i| x.row(i).to_vec()[c.features()].to_vec()).collect();
        assert_eq!(block, want, "{}", c.column());
        // Folded row by row, as the block's rows.
        let weights: Vec<f64> = (0..c.width()).map(|j| 1.0 + j as f64 / 3.0).collect();
        let dot = |x: &[f64]| x.iter().zip(&weights).map(|(x, w)| x * w).sum::<f64>();
        let mut folded = vec![f64::NAN; 37];
        c.fold_rows(100..137, &mut vec![0.0; c.width()], &mut folded, dot).expect("shapes");
        assert_eq!(folded, block.chunks_exact(c.width()).map(dot).collect::<Vec<_>>(), "{}", c.column());
        assert!(c.fold_rows(100..137, &mut vec![0.0; c.width() + 1], &mut folded, dot).is_err());
        assert!(c.fold_rows(100..130, &mut vec![0.0; c.width()], &mut folded, dot).is_err());
        let mut keys = vec![usize::MAX; 37];
        match c.keys() {
            Some(_) => {
                c.keys_into(100..137, &mut keys).expect("keyed");
                assert_eq!(keys, (100..137).filter_map(|i| c.key(i)).collect::<Vec<_>>());
            }
            None => assert!(c.keys_into(100..137, &mut keys).is_err()),
        }
        assert!(c.keys_into(0..3, &mut keys).is_err());
        assert!(c.encode_rows(0..3, &mut block).is_err());
        assert!(c.encode_row(0, &mut [0.0; 40][..c.width() + 1]).is_err());
        if let Some(keys) = c.keys() {
            assert!(c.encode_key(keys, &mut buf).is_err());
        }
    }
}

#[test]
fn blocks_and_row_ranges_agree() {
    let n = 3 * BLOCK_ROWS + 7;
    let v: Vec<Option<f64>> = (0..n).map(|i| if i % 5 == 0 { None } else { Some(i as f64) }).collect();
    let c: Vec<Option<String>> = (0..n).map(|i| Some(format!("l{}", i % 7))).collect();
    let f = Frame::new(vec![("v".to_string(), Column::numeric(v)), ("c".to_string(), Column::categorical(c))])
        .expect("frame");
    let p = PipelineParams::new().fit(&f).expect("fit");
    let all = p.transform(&f).expect("all");
    let part = p.transform_rows(&f, 600..1500).expect("part");
    let mut reused = Array2::from_elem(all.dim(), 7.0);
    p.transform_into(&f, &mut reused).expect("into");
    assert_eq!(reused, all);
    // A column-major output is written whole too.
    let mut fortran = Array2::from_elem(ndarray::ShapeBuilder::f(all.dim()), 7.0);
    p.transform_into(&f, &mut fortran).expect("into column-major");
    assert_eq!(fortran, all);
    assert_eq!(part, all.slice_axis(Axis(0), ndarray::Slice::from(600..1500)));
}

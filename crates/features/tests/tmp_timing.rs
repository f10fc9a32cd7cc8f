//! Temporary timing diagnostic (to be removed).
#[test]
#[ignore]
fn time_pool_csv() {
    let path = "/tmp/pool/accounts_1M.csv";
    let opts = acctscore_features::csv::CsvOptions::new();
    for _ in 0..5 {
        let t = std::time::Instant::now();
        let data = std::fs::read(path).expect("read");
        let t1 = t.elapsed();
        let f = acctscore_features::csv::load_bytes(&data, &opts).expect("x");
        eprintln!("read {:?} parse {:?} rows {}", t1, t.elapsed() - t1, f.frame.nrows());
    }
}

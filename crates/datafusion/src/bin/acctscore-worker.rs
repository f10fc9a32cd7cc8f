//! A datafusion-distributed worker with acctscore's functions:
//! `acctscore-worker --model MODEL [--listen ADDR]` (see
//! `acctscore_datafusion::distributed::worker_main`).

fn main() -> std::process::ExitCode {
    acctscore_datafusion::distributed::worker_main(std::env::args().skip(1))
}

//! Fuzz target: `acctscore::fuzzing::csv_loader` on arbitrary bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| acctscore::fuzzing::csv_loader(data));

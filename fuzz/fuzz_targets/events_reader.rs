//! Fuzz target: `acctscore::fuzzing::events_reader` on arbitrary bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| acctscore::fuzzing::events_reader(data));

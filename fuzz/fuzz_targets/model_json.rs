//! Fuzz target: `acctscore::fuzzing::model_json` on arbitrary strings.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        acctscore::fuzzing::model_json(text);
    }
});

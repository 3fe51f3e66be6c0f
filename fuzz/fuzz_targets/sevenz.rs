#![no_main]
//! Fuzzes the 7z extractor alone: probe, then extract into a throwaway folder
//! under tight quotas. Any panic, hang or escape is a bug.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    baseliner_fuzz::run("7z", data);
});

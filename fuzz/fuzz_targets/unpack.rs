#![no_main]
//! Fuzzes the whole driver: carving, every format, recursion.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    baseliner_fuzz::run_all(data);
});

#![no_main]
//! Fuzzes the dlink_encrpted_img extractor alone: probe, then extract into a throwaway folder under
//! tight quotas. Any panic, hang or escape is a bug.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    baseliner_fuzz::run("dlink_encrpted_img", data);
});

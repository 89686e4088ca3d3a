#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| incidentlens_fuzz::run("statuspage", "incidents.json", data));

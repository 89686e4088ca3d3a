#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| incidentlens_fuzz::run("pagerduty_csv", "incidents.csv", data));

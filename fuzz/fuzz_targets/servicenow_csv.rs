#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| incidentlens_fuzz::run("servicenow_csv", "event_log.csv", data));

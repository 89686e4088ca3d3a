#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| incidentlens_fuzz::run("incidentio", "incidents.json", data));

#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| incidentlens_fuzz::run("jira", "search.json", data));

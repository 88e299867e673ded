#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| chi_fuzz::link_frame(data));

//! Support for the end-to-end tests: build the firmware with a given bundle, run it in QEMU,
//! read what it reports. The tests themselves are in `tests/`.

pub mod firmware;
pub mod qemu;

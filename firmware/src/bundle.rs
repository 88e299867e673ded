//! The weight bundle in flash, chosen at build time (`CHI_BUNDLE`, see build.rs).

use crate::sizes::Bundle;
use chi_embedded::bundle::BundleError;

/// Forces the 16-byte alignment the bundle needs to be read in place.
#[repr(C, align(16))]
struct Aligned<T: ?Sized>(T);

static BYTES: &Aligned<[u8]> = &Aligned(*include_bytes!(concat!(env!("OUT_DIR"), "/bundle.chib")));

/// The bundle's bytes as flashed.
pub fn bytes() -> &'static [u8] {
    &BYTES.0
}

/// Decodes and validates the bundle for the compiled sizes.
pub fn load() -> Result<Bundle<'static>, BundleError> {
    Bundle::parse(bytes())
}

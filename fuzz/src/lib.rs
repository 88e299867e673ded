//! chi's fuzz targets. Each is a function of arbitrary bytes that panics only on a bug:
//! libFuzzer drives them through the harnesses in `fuzz_targets/` (`cargo xtask fuzz`, nightly),
//! and `tests/corpora.rs` replays every stored input and every crash ever found through the
//! same functions on stable, so a regression fails the normal test suite.
//!
//! What each checks beyond "no panic" is what the decoder promises its caller: a bundle that
//! decodes yields a controller whose action is finite and in [-1, 1]; every frame on the link
//! gets exactly one well-formed reply; a file chi wrote reads back as what was written.

mod board;
mod bundle;
mod host_files;
mod link;

pub use bundle::{bundle_bytes, bundle_fields};
pub use host_files::host_files;
pub use link::{link_frame, link_stream};

/// A fuzz target: its name (the harness's, and its corpus directory's) and its body.
pub struct Target {
    /// `fuzz_targets/<name>.rs`, `corpus/<name>/`, `artifacts/<name>/`.
    pub name: &'static str,
    /// The body the harness calls.
    pub run: fn(&[u8]),
    /// Inputs that reach deep from the start (valid bundles, frames, files), written by
    /// `seeds` into the corpus before a first run.
    pub seeds: fn() -> Vec<Vec<u8>>,
}

/// Every target, in the order `cargo xtask fuzz` runs them.
pub const TARGETS: [Target; 5] = [
    Target {
        name: "bundle_bytes",
        run: bundle_bytes,
        seeds: bundle::seeds_bytes,
    },
    Target {
        name: "bundle_fields",
        run: bundle_fields,
        seeds: bundle::seeds_fields,
    },
    Target {
        name: "link_frame",
        run: link_frame,
        seeds: link::seeds_frame,
    },
    Target {
        name: "link_stream",
        run: link_stream,
        seeds: link::seeds_stream,
    },
    Target {
        name: "host_files",
        run: host_files,
        seeds: host_files::seeds,
    },
];

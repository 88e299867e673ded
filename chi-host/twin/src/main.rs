//! The twin of a board: the controller of the bundle named on its command line, at the sizes
//! it was built for (from a bundle's header, as the firmware's), behind the same link server
//! as the firmware's hil job, reading request frames on stdin and writing replies on stdout
//! until stdin ends. chi-embedded's portable kernels
//! compute what the board's Cortex-M4 kernels do bit for bit, so the host checks a board (or
//! QEMU) against this process, and runs a bundle's controller exactly as the board would
//! (`chi run`, the int8 check of `chi export`), whatever the bundle's sizes.

use std::io::{Read, Write};
use std::process::ExitCode;

use chi_embedded::link::{ControllerHandler, Info, Server};

include!(concat!(env!("OUT_DIR"), "/sizes.rs"));

/// `path`'s bytes, 16-aligned as a bundle lies in flash, for the life of the process.
fn read_aligned(path: &str) -> std::io::Result<&'static [u8]> {
    let bytes = std::fs::read(path)?;
    let mut words = vec![0u128; bytes.len().div_ceil(16)];
    let aligned: &mut [u8] = as_bytes_mut(&mut words);
    aligned[..bytes.len()].copy_from_slice(&bytes);
    let words: &'static mut [u128] = Box::leak(words.into_boxed_slice());
    Ok(&as_bytes_mut(words)[..bytes.len()])
}

/// The bytes of `words`.
fn as_bytes_mut(words: &mut [u128]) -> &mut [u8] {
    // SAFETY: u8 has no alignment or validity requirement and the length covers exactly the
    // words' bytes.
    unsafe { std::slice::from_raw_parts_mut(words.as_mut_ptr().cast::<u8>(), words.len() * 16) }
}

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: chi-twin BUNDLE (a bundle of the sizes this twin was built for)");
        return ExitCode::FAILURE;
    };
    let bytes = match read_aligned(&path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("chi-twin: cannot read {path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let bundle = match Bundle::parse(bytes) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("chi-twin: bundle {path} refused: {e}");
            return ExitCode::FAILURE;
        }
    };
    let task: builtin_task!() = match bundle.task() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("chi-twin: bundle refused: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut chi = Controller::from_bundle(&bundle, task, bundle.header.seed);
    let info = Info::new(&bundle.header, bytes, env!("CARGO_PKG_VERSION"));
    let mut handler = ControllerHandler::new(&mut chi, info, || 0);
    let mut server = Box::new(Server::new());
    let (mut input, mut output) = (std::io::stdin().lock(), std::io::stdout().lock());
    let mut chunk = [0u8; 256];
    loop {
        let n = match input.read(&mut chunk) {
            Ok(0) => return ExitCode::SUCCESS,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                eprintln!("chi-twin: stdin: {e}");
                return ExitCode::FAILURE;
            }
        };
        for byte in chunk.iter().take(n) {
            if let Some(reply) = server.push(*byte, &mut handler)
                && output
                    .write_all(reply)
                    .and_then(|()| output.flush())
                    .is_err()
            {
                return ExitCode::SUCCESS;
            }
        }
    }
}

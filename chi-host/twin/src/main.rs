//! The twin of a board: the controller of the bundle it was built with, at that bundle's
//! sizes, behind the same link server as the firmware's hil job, reading request frames on
//! stdin and writing replies on stdout until stdin ends. chi-embedded's portable kernels
//! compute what the board's Cortex-M4 kernels do bit for bit, so the host checks a board (or
//! QEMU) against this process, and runs a bundle's controller exactly as the board would
//! (`chi run`, the int8 check of `chi export`), whatever the bundle's sizes.

use std::io::{Read, Write};
use std::process::ExitCode;

use chi_embedded::link::{ControllerHandler, Info, Server};

include!(concat!(env!("OUT_DIR"), "/sizes.rs"));

/// The bundle, 16-aligned as in flash.
#[repr(C, align(16))]
struct Aligned<T: ?Sized>(T);

static BYTES: &Aligned<[u8]> = &Aligned(*include_bytes!(concat!(env!("OUT_DIR"), "/bundle.chib")));

fn main() -> ExitCode {
    let bytes = &BYTES.0;
    let bundle = match Bundle::parse(bytes) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("chi-twin: bundle refused: {e}");
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

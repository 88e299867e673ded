//! `chi`: the command line of chi-host ([`cli`]).

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    match cli::Cli::parse().run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chi: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

//! The host's side of the firmware: build it for a bundle, run it in QEMU (or talk to a board
//! over its serial port), read its defmt log, and drive an environment with its actions.
//!
//! - [`build`]: `cargo build` of `firmware/` with a bundle and a job (selftest, hil, bench).
//! - [`machine`]: the QEMU machines, one per chip of the firmware's.
//! - [`qemu`]: QEMU's command line for an image's machine, a run to exit, a run serving its
//!   serial port.
//! - [`cycles`]: the cycle model of the STM32F405 (a QEMU plugin) and the spans it costs.
//! - [`log`]: the firmware's defmt frames decoded with the ELF's table.
//! - [`led`]: the status LED's pulses (one a decision) as QEMU reports them.
//! - [`client`]: the host end of the link protocol, over TCP (QEMU) or a serial port.
//! - [`flood`]: hostile frames among valid requests, every reply checked against the twin.
//! - [`hil`]: an environment on the host against the controller on the firmware.
//! - [`bench`](mod@bench): the bench job's report and what it implies at 168 MHz.
//! - [`selftest`]: the self-test job's report.
//! - [`twin`]: the board's controller for one bundle built for the workstation, to check a
//!   board against and to run any bundle as the board would.

pub mod bench;
pub mod build;
pub mod client;
pub mod cycles;
pub mod flood;
pub mod hil;
pub mod led;
pub mod log;
pub mod machine;
pub mod profile;
pub mod qemu;
pub mod selftest;
pub mod twin;

/// SysTick ticks per instruction under QEMU with `-icount shift=0`: one instruction takes
/// 1 ns of virtual time and QEMU's netduinoplus2 clocks SysTick at 168 MHz (RECIPES.md).
pub const TICKS_PER_INSTRUCTION: f64 = 0.168;

/// The STM32F405's core clock: a tick is a cycle on the board.
pub const CORE_HZ: f64 = chi_embedded::cost::CORE_HZ;

/// Instructions that `ticks` SysTick ticks stand for under `-icount shift=0`.
pub fn instructions(ticks: u64) -> f64 {
    ticks as f64 / TICKS_PER_INSTRUCTION
}

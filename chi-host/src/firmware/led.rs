//! The firmware's status LED as QEMU shows it. The firmware lights it while each decision
//! computes (on a board a scope on the pin shows every step's time); QEMU reports the writes
//! on its standard error: the STM32F405's GPIO port is an unimplemented device there, whose
//! accesses `-d unimp` logs, and the MPS2 boards' FPGA I/O block has a trace event.

use super::machine::Machine;

/// QEMU's arguments that make the status LED's writes visible on `machine`.
pub fn qemu_args(machine: Machine) -> &'static [&'static str] {
    match machine {
        Machine::Netduinoplus2 => &["-d", "unimp"],
        Machine::Mps2An500 | Machine::Mps2An505 => &["-trace", "mps2_fpgaio_write"],
    }
}

/// What the LED did over a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pulses {
    /// Times it was lit from dark (decisions seen).
    pub lit: usize,
    /// Whether it was lit when the run ended (a decision unfinished).
    pub lit_at_end: bool,
}

/// The LED's pulses in QEMU's standard error of a run on `machine` (started with
/// [`qemu_args`]).
pub fn pulses(machine: Machine, qemu_stderr: &str) -> Pulses {
    let mut p = Pulses::default();
    for lit in qemu_stderr.lines().filter_map(|l| write_of(machine, l)) {
        if lit && !p.lit_at_end {
            p.lit += 1;
        }
        p.lit_at_end = lit;
    }
    p
}

/// Whether a line of QEMU's log is a write to the LED, and if so whether it lights it.
fn write_of(machine: Machine, line: &str) -> Option<bool> {
    match machine {
        // "GPIOC: unimplemented device write (size 4, offset 0x018, value 0x00000002)": a
        // write to BSRR sets PC1 with bit 1 and resets it with bit 17.
        Machine::Netduinoplus2 => {
            let rest = line.strip_prefix("GPIOC: unimplemented device write")?;
            if !rest.contains("offset 0x018,") {
                return None;
            }
            let value = rest.split("value 0x").nth(1)?.trim_end_matches(')');
            let bits = u32::from_str_radix(value.trim(), 16).ok()?;
            match (bits & (1 << 1) != 0, bits & (1 << 17) != 0) {
                (true, _) => Some(true),
                (false, true) => Some(false),
                _ => None,
            }
        }
        // "...mps2_fpgaio_write MPS2 FPGAIO write: offset 0x0 data 0x1 size 4": LED0, bit 0.
        Machine::Mps2An500 | Machine::Mps2An505 => {
            let rest = line.split("MPS2 FPGAIO write: offset 0x0 data 0x").nth(1)?;
            let bits = u32::from_str_radix(rest.split_whitespace().next()?, 16).ok()?;
            Some(bits & 1 != 0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_stm32_port_writes_and_the_mps2_register() {
        let f405 = "RCC: unimplemented device read  (size 4, offset 0x010)\n\
            GPIOC: unimplemented device write (size 4, offset 0x018, value 0x00020000)\n\
            GPIOC: unimplemented device write (size 4, offset 0x018, value 0x00000002)\n\
            GPIOC: unimplemented device write (size 4, offset 0x000, value 0x00000004)\n\
            GPIOC: unimplemented device write (size 4, offset 0x018, value 0x00020000)\n\
            GPIOC: unimplemented device write (size 4, offset 0x018, value 0x00000002)\n";
        assert_eq!(
            pulses(Machine::Netduinoplus2, f405),
            Pulses {
                lit: 2,
                lit_at_end: true
            }
        );
        let mps2 = "12@1.5:mps2_fpgaio_write MPS2 FPGAIO write: offset 0x0 data 0x1 size 4\n\
            mps2_fpgaio_write MPS2 FPGAIO write: offset 0x4 data 0x1 size 4\n\
            mps2_fpgaio_write MPS2 FPGAIO write: offset 0x0 data 0x0 size 4\n";
        assert_eq!(
            pulses(Machine::Mps2An505, mps2),
            Pulses {
                lit: 1,
                lit_at_end: false
            }
        );
        assert_eq!(pulses(Machine::Mps2An500, f405), Pulses::default());
    }
}

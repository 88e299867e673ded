//! chi-cycles: an estimate of what chi's firmware costs on a real STM32F405 at 168 MHz, in
//! core cycles, from what QEMU executes.
//!
//! QEMU counts instructions (`-icount`), and a Cortex-M4 does not run one a cycle: loads,
//! multiply-accumulates of the FPU, divisions and taken branches take more, and flash answers
//! in 6 cycles a 128-bit line behind the ART accelerator's prefetch buffer and caches. This
//! crate is a TCG plugin that QEMU loads: each executed instruction is timed by the core's
//! tables ([`timing`], from its disassembly), control transfers pay a refill ([`core`]), and
//! every instruction fetch and data access goes through a model of the flash interface
//! ([`memory`]). The firmware brackets what it measures with stores to a mark array; the
//! plugin writes the counts at each mark (see `plugin` for the format), and `chi bench
//! --qemu` turns them into cycles per MAC, per control step, and steps a second.
//!
//! What it does not model, so an estimate may be low: the register dependencies that stall
//! a load's address on the previous load's result, the FPU's result latencies beyond the
//! manual's issue cycles, contention between instruction and data reads of the flash, and
//! the caches' real organisation (modelled fully associative, least recently used). What may
//! make it high: IT folding is not taken, a divide is always its middle cost.

pub mod core;
pub mod memory;
#[cfg(not(test))]
mod plugin;
pub mod timing;

/// Words of the firmware's mark array: mark `2 s` begins span `s`, `2 s + 1` ends it.
pub const MARK_WORDS: u64 = 32;

/// The plugin's arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arguments {
    /// The marks file to write.
    pub out: String,
    /// The mark array's address.
    pub marks: u64,
    /// The span whose instructions are profiled (cycles by address, written at exit).
    pub profile: Option<u64>,
}

/// The plugin's arguments: `out=PATH`, `marks=0xADDRESS`, optionally `profile=SPAN`.
pub fn arguments(args: &[String]) -> Result<Arguments, String> {
    let mut out = None;
    let mut marks = None;
    let mut profile = None;
    for a in args {
        match a.split_once('=') {
            Some(("out", path)) => out = Some(path.to_string()),
            Some(("profile", span)) => {
                let span: u64 = span
                    .parse()
                    .map_err(|e| format!("profile={span}: not a span number ({e})"))?;
                if 2 * span + 1 >= MARK_WORDS {
                    return Err(format!("profile={span}: past the mark array"));
                }
                profile = Some(span);
            }
            Some(("marks", address)) => {
                let hex = address.trim_start_matches("0x");
                marks = Some(
                    u64::from_str_radix(hex, 16)
                        .map_err(|e| format!("marks={address}: not a hex address ({e})"))?,
                );
            }
            _ => {
                return Err(format!(
                    "unknown argument {a} (expected out=PATH, marks=0xADDRESS, profile=SPAN)"
                ));
            }
        }
    }
    Ok(Arguments {
        out: out.ok_or("missing out=PATH")?,
        marks: marks.ok_or("missing marks=0xADDRESS")?,
        profile,
    })
}

#[cfg(test)]
mod tests {

    #[test]
    fn arguments_are_read_or_refused() {
        let a = |v: &[&str]| super::arguments(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(
            a(&["out=/tmp/m", "marks=0x20000100"]),
            Ok(super::Arguments {
                out: "/tmp/m".to_string(),
                marks: 0x2000_0100,
                profile: None
            })
        );
        assert_eq!(
            a(&["out=/tmp/m", "marks=0x10", "profile=2"]).map(|a| a.profile),
            Ok(Some(2))
        );
        assert!(a(&["out=/tmp/m", "marks=0x10", "profile=16"]).is_err());
        assert!(a(&["out=/tmp/m", "marks=0x10", "profile=x"]).is_err());
        assert!(a(&["out=/tmp/m"]).is_err());
        assert!(a(&["out=/tmp/m", "marks=zz"]).is_err());
        assert!(a(&["out=/tmp/m", "marks=0x1", "speed=9"]).is_err());
    }
}

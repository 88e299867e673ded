//! The core's clock: each executed instruction's cycles from [`crate::timing`], the refill
//! when control does not fall through, and the memory system's stalls from
//! [`crate::memory`].

use crate::memory::{Memory, Stalls};
use crate::timing::{Kind, Timing};

/// Cycles of a pipeline refill after a taken branch: the manual's `P`, 1 to 3 by the target's
/// alignment and width and whether the core speculated it; the middle.
pub const REFILL: u64 = 2;

/// Cycles from an exception's arrival to its handler's first instruction (the manual's 12,
/// with zero wait states; the stacking is SRAM writes).
pub const EXCEPTION_ENTRY: u64 = 12;

/// One instruction as the model keeps it (made once when QEMU translates it).
#[derive(Clone, Copy, Debug)]
pub struct Instruction {
    /// Its address.
    pub address: u64,
    /// Its size in bytes (2 or 4).
    pub size: u64,
    /// Its timing.
    pub timing: Timing,
}

/// Cycles so far, split by cause.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Instructions executed.
    pub instructions: u64,
    /// The core's own cycles at zero wait states, pipelining included.
    pub core: u64,
    /// Pipeline refills after taken branches.
    pub refill: u64,
    /// Exception entries.
    pub exception: u64,
    /// What the memory system added.
    pub stalls: Stalls,
}

impl Counts {
    /// All cycles.
    pub fn cycles(&self) -> u64 {
        self.core
            + self.refill
            + self.exception
            + self.stalls.fetch
            + self.stalls.data
            + self.stalls.literal
            + self.stalls.peripheral
    }
}

/// The previous instruction, to see whether control fell through and whether a load may
/// pipeline behind it.
#[derive(Clone, Copy, Debug)]
struct Previous {
    next: u64,
    kind: Kind,
}

/// The model's state.
#[derive(Clone, Debug, Default)]
pub struct Core {
    memory: Memory,
    previous: Option<Previous>,
    /// The current instruction is a PC-relative load (its data access is a literal).
    literal: bool,
    counts: Counts,
}

impl Core {
    /// Called as `instruction` begins executing.
    pub fn execute(&mut self, instruction: &Instruction) {
        let c = &mut self.counts;
        if let Some(p) = self.previous
            && p.next != instruction.address
        {
            if p.kind == Kind::Branch {
                c.refill += REFILL;
            } else {
                // Control left an instruction that does not branch: an exception came.
                c.exception += EXCEPTION_ENTRY;
            }
        }
        let now = self.cycles();
        self.memory
            .fetch(instruction.address, instruction.size, now);
        let t = instruction.timing;
        let pipelined = matches!(t.kind, Kind::Load | Kind::Store)
            && matches!(
                self.previous,
                Some(Previous {
                    kind: Kind::Load,
                    ..
                })
            );
        let c = &mut self.counts;
        c.core += if pipelined {
            u64::from(t.cycles) - 1
        } else {
            u64::from(t.cycles)
        };
        c.instructions += 1;
        self.literal = t.literal;
        self.previous = Some(Previous {
            next: instruction.address + instruction.size,
            kind: t.kind,
        });
    }

    /// Called after the current instruction's data access to `address`.
    pub fn access(&mut self, address: u64, store: bool) {
        self.memory.access(address, store, self.literal);
    }

    /// Cycles so far.
    pub fn cycles(&self) -> u64 {
        self.counts().cycles()
    }

    /// Cycles so far by cause.
    pub fn counts(&self) -> Counts {
        Counts {
            stalls: self.memory.stalls,
            ..self.counts
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timing::classify;

    /// Runs `program` (address, disassembly) from SRAM, so only the core's timing counts.
    fn run(program: &[(u64, &str)]) -> Counts {
        let mut core = Core::default();
        for &(address, text) in program {
            let timing = classify(text).0;
            let size = if text.contains(".w") { 4 } else { 2 };
            core.execute(&Instruction {
                address,
                size,
                timing,
            });
        }
        core.counts()
    }

    #[test]
    fn neighbouring_loads_pipeline_as_the_manual_says() {
        // The manual's example: LDR R0,[R1]; LDR R1,[R2] takes 3 cycles, not 4.
        let c = run(&[(0x2000_0000, "ldr r0, [r1]"), (0x2000_0002, "ldr r1, [r2]")]);
        assert_eq!(c.core, 3);
        // Nothing pipelines after a store.
        let c = run(&[(0x2000_0000, "str r0, [r1]"), (0x2000_0002, "ldr r1, [r2]")]);
        assert_eq!(c.core, 4);
        // A store behind a load does.
        let c = run(&[(0x2000_0000, "ldr r0, [r1]"), (0x2000_0002, "str r1, [r2]")]);
        assert_eq!(c.core, 3);
    }

    #[test]
    fn a_taken_branch_refills_and_one_not_taken_does_not() {
        let taken = run(&[
            (0x2000_0000, "cmp r0, #0"),
            (0x2000_0002, "bne #0x20000010"),
            (0x2000_0010, "adds r0, #1"),
        ]);
        assert_eq!((taken.core, taken.refill), (3, REFILL));
        let not_taken = run(&[
            (0x2000_0000, "cmp r0, #0"),
            (0x2000_0002, "bne #0x20000010"),
            (0x2000_0004, "adds r0, #1"),
        ]);
        assert_eq!((not_taken.core, not_taken.refill), (3, 0));
    }

    #[test]
    fn a_hand_counted_f32_dot_product_loop() {
        // Four MACs an iteration, as chi's f32 kernel unrolls: two pipelined pairs of loads
        // per two MACs, the loop counter and the branch back.
        let body: [(u64, &str); 11] = [
            (0x2000_0000, "vldmia r0!, {s0, s1, s2, s3}"), // 5
            (0x2000_0002, "vldmia r1!, {s4, s5, s6, s7}"), // 5
            (0x2000_0004, "vmla.f32 s8, s0, s4"),          // 3
            (0x2000_0006, "vmla.f32 s9, s1, s5"),          // 3
            (0x2000_0008, "vmla.f32 s10, s2, s6"),         // 3
            (0x2000_000a, "vmla.f32 s11, s3, s7"),         // 3
            (0x2000_000c, "subs r2, #1"),                  // 1
            (0x2000_000e, "bne #0x20000000"),              // 1 + P
            (0x2000_0000, "vldmia r0!, {s0, s1, s2, s3}"),
            (0x2000_0002, "vldmia r1!, {s4, s5, s6, s7}"),
            (0x2000_0004, "vmla.f32 s8, s0, s4"),
        ];
        let c = run(&body);
        let first_iteration = 5 + 5 + 4 * 3 + 1 + 1;
        assert_eq!(c.core, first_iteration + 5 + 5 + 3);
        assert_eq!(c.refill, REFILL);
        // 26 cycles for 4 MACs: 6.5 a MAC at the manual's VMLA latency of 3.
        assert_eq!(first_iteration + REFILL, 26);
    }

    #[test]
    fn an_interrupt_counts_its_entry() {
        let c = run(&[(0x2000_0000, "adds r0, #1"), (0x2000_0100, "push {r7, lr}")]);
        assert_eq!(c.exception, EXCEPTION_ENTRY);
    }

    #[test]
    fn code_in_flash_pays_for_its_first_fetch() {
        let mut core = Core::default();
        let timing = classify("adds r0, #1").0;
        for i in 0..8 {
            core.execute(&Instruction {
                address: 0x0800_0000 + 2 * i,
                size: 2,
                timing,
            });
        }
        assert_eq!(core.counts().stalls.fetch, crate::memory::WAIT_STATES);
        assert_eq!(core.cycles(), 8 + crate::memory::WAIT_STATES);
    }
}

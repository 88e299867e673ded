//! The Cortex-M4F's instruction timing, from the disassembly QEMU gives each instruction.
//!
//! The numbers are those of ARM's Cortex-M4 Technical Reference Manual (r0p1): the
//! instruction set summary's cycle column (Table 3-1) and the FPU's (Table 7-1), with zero
//! wait-state memory. What the memory system adds is [`crate::memory`]'s; what a taken branch
//! adds (the pipeline refill, `P` in the manual) is [`crate::core`]'s, since only the next
//! executed address tells whether a branch was taken.

/// What the core does with one instruction, as far as its timing goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Everything issued in a fixed number of cycles: data processing, multiplies, the
    /// FPU's arithmetic, a branch before its refill.
    Fixed,
    /// LDR, LDRB, LDRH, LDRSB, LDRSH, VLDR: two cycles, one when it follows another single
    /// load (the manual's pipelining of neighbouring loads).
    Load,
    /// STR, STRB, STRH, VSTR: as a load, but nothing pipelines after a store.
    Store,
    /// A data-processing instruction whose destination is the PC, or any branch: a refill
    /// follows when control does not fall through.
    Branch,
}

/// One instruction's timing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    /// Cycles at zero wait states, not pipelined, branch not taken.
    pub cycles: u8,
    /// How it interacts with its neighbours.
    pub kind: Kind,
    /// A load relative to the PC (a literal pool in flash), counted apart from data.
    pub literal: bool,
}

/// Whether [`classify`] knew the mnemonic; unknown ones count one cycle and are reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Known {
    /// In the tables.
    Yes,
    /// Not in the tables: timed as one cycle.
    No,
}

/// Cycles of SDIV and UDIV: 2 to 12 by the operands (early termination); the middle.
pub const DIVIDE_CYCLES: u8 = 7;

const CONDITIONS: [&str; 16] = [
    "eq", "ne", "cs", "hs", "cc", "lo", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le",
];

/// Mnemonics that take one cycle.
const ONE_CYCLE: &[&str] = &[
    "mov", "mvn", "add", "adc", "sub", "sbc", "rsb", "and", "orr", "orn", "eor", "bic", "cmp",
    "cmn", "tst", "teq", "lsl", "lsr", "asr", "ror", "rrx", "adr", "movw", "movt", "addw", "subw",
    "clz", "rbit", "rev", "rev16", "revsh", "bfi", "bfc", "ubfx", "sbfx", "sxtb", "sxth", "uxtb",
    "uxth", "sxtab", "sxtah", "uxtab", "uxtah", "sxtb16", "uxtb16", "sxtab16", "uxtab16", "ssat",
    "usat", "ssat16", "usat16", "sel", "qadd", "qsub", "qdadd", "qdsub", "usad8", "usada8",
    "pkhbt", "pkhtb", "nop", "yield", "sev", "cpsid", "cpsie", "mrs", "msr", "mul", "smull",
    "umull", "smlal", "umlal", "umaal", "smulbb", "smulbt", "smultb", "smultt", "smulwb", "smulwt",
    "smlabb", "smlabt", "smlatb", "smlatt", "smlawb", "smlawt", "smlalbb", "smlalbt", "smlaltb",
    "smlaltt", "smlad", "smladx", "smlsd", "smlsdx", "smuad", "smuadx", "smusd", "smusdx", "smmul",
    "smmulr", "smmla", "smmlar", "smmls", "smmlsr", "smlald", "smlaldx", "smlsld", "smlsldx",
    "dmb", "dsb", "isb", "bkpt", "svc", "udf", "wfi", "wfe",
    // The FPU's one-cycle operations.
    "vadd", "vsub", "vmul", "vnmul", "vabs", "vneg", "vcmp", "vcmpe", "vcvt", "vcvtr", "vcvtb",
    "vcvtt", "vmrs", "vmsr", "vsel",
];

/// Parallel additions and subtractions (SADD16, UQSUB8, ...): one cycle each.
fn parallel_add(m: &str) -> bool {
    ["s", "q", "sh", "u", "uq", "uh"].iter().any(|p| {
        m.strip_prefix(p)
            .is_some_and(|rest| ["add16", "sub16", "add8", "sub8", "asx", "sax"].contains(&rest))
    })
}

fn base(m: &str, operands: &str) -> Option<Timing> {
    let fixed = |cycles| Timing {
        cycles,
        kind: Kind::Fixed,
        literal: false,
    };
    let branch = |cycles| Timing {
        cycles,
        kind: Kind::Branch,
        literal: false,
    };
    let writes_pc = first_operand(operands) == "pc";
    let t = match m {
        "b" | "bl" | "bx" | "blx" | "cbz" | "cbnz" => branch(1),
        "tbb" | "tbh" => branch(2),
        "mla" | "mls" => fixed(2),
        "sdiv" | "udiv" => fixed(DIVIDE_CYCLES),
        "ldr" | "ldrb" | "ldrh" | "ldrsb" | "ldrsh" | "ldrt" | "ldrbt" | "ldrht" | "ldrsbt"
        | "ldrsht" | "vldr" => Timing {
            cycles: 2,
            kind: if writes_pc { Kind::Branch } else { Kind::Load },
            literal: operands.contains("[pc"),
        },
        "ldrex" | "ldrexb" | "ldrexh" | "strex" | "strexb" | "strexh" => fixed(2),
        "str" | "strb" | "strh" | "strt" | "strbt" | "strht" | "vstr" => Timing {
            cycles: 2,
            kind: Kind::Store,
            literal: false,
        },
        // 1 + N with N = 2 words.
        "ldrd" | "strd" => fixed(3),
        "ldm" | "ldmia" | "ldmdb" | "ldmfd" | "ldmea" | "pop" => Timing {
            cycles: 1 + list_words(operands),
            kind: if list_has_pc(operands) {
                Kind::Branch
            } else {
                Kind::Fixed
            },
            literal: false,
        },
        "stm" | "stmia" | "stmdb" | "stmfd" | "stmea" | "push" | "vldm" | "vldmia" | "vldmdb"
        | "vstm" | "vstmia" | "vstmdb" | "vpush" | "vpop" => fixed(1 + list_words(operands)),
        "vmla" | "vmls" | "vnmla" | "vnmls" | "vfma" | "vfms" | "vfnma" | "vfnms" => fixed(3),
        "vdiv" | "vsqrt" => fixed(14),
        // Between two core registers and a double (or two singles) it moves two words.
        "vmov" => fixed(if operands.split(',').count() > 2 {
            2
        } else {
            1
        }),
        _ if ONE_CYCLE.contains(&m) || parallel_add(m) => {
            if writes_pc {
                branch(1)
            } else {
                fixed(1)
            }
        }
        _ => return None,
    };
    Some(t)
}

/// The timing of an instruction from its disassembly (`"ldr r3, [r2, #4]"`, `"vmla.f32 s0,
/// s1, s2"`, `"addsne r0, r0, #1"`), and whether the tables knew it.
pub fn classify(disassembly: &str) -> (Timing, Known) {
    let text = disassembly.trim();
    let (mnemonic, operands) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    let mnemonic = mnemonic.to_ascii_lowercase();
    // Width qualifiers (`.w`, `.n`) and data types (`.f32`, `.u8`) do not change the timing
    // in these tables (VMOV's operand count does, and is looked at).
    let root = mnemonic.split('.').next().unwrap_or("");
    if root.starts_with("it") && root.len() <= 5 && root[2..].chars().all(|c| c == 't' || c == 'e')
    {
        // The manual lets IT fold into a preceding 16-bit instruction (zero cycles); not
        // counting the fold is an upper bound by one cycle an IT block.
        return (
            Timing {
                cycles: 1,
                kind: Kind::Fixed,
                literal: false,
            },
            Known::Yes,
        );
    }
    for candidate in candidates(root) {
        if let Some(t) = base(&candidate, operands) {
            return (t, Known::Yes);
        }
    }
    (
        Timing {
            cycles: 1,
            kind: Kind::Fixed,
            literal: false,
        },
        Known::No,
    )
}

/// The mnemonic as written, without its condition, without the flag-setting `s`, and without
/// both (`addseq` is ADD, S, EQ): tried in this order, so `teq` and `mls` are found before a
/// condition is taken off them, and `bls` is B with LS before it could be BL with an `s`.
fn candidates(m: &str) -> impl Iterator<Item = String> + '_ {
    let no_cond = CONDITIONS
        .iter()
        .find_map(|c| m.strip_suffix(c))
        .filter(|r| !r.is_empty());
    let no_s = |x: &str| {
        x.strip_suffix('s')
            .filter(|r| !r.is_empty())
            .map(str::to_string)
    };
    let mut out = vec![m.to_string()];
    if let Some(r) = no_cond {
        out.push(r.to_string());
    }
    if let Some(r) = no_s(m) {
        out.push(r);
    }
    if let Some(r) = no_cond.and_then(no_s) {
        out.push(r);
    }
    out.into_iter()
}

fn first_operand(operands: &str) -> &str {
    operands.split(',').next().unwrap_or("").trim()
}

fn register_list(operands: &str) -> &str {
    match (operands.find('{'), operands.rfind('}')) {
        (Some(a), Some(b)) if a < b => &operands[a + 1..b],
        _ => "",
    }
}

fn list_has_pc(operands: &str) -> bool {
    register_list(operands)
        .split(',')
        .any(|r| r.trim() == "pc" || r.trim() == "r15")
}

/// Words a register list moves: `{r4, r5, lr}` is 3, `{s16-s31}` 16, `{d8-d9}` 4.
fn list_words(operands: &str) -> u8 {
    let mut words = 0u32;
    for entry in register_list(operands).split(',') {
        let entry = entry.trim();
        let (first, last) = entry.split_once('-').unwrap_or((entry, entry));
        let width = if first.trim().starts_with('d') { 2 } else { 1 };
        let number = |r: &str| -> Option<u32> {
            let r = r.trim();
            match r {
                "sp" => Some(13),
                "lr" => Some(14),
                "pc" => Some(15),
                "ip" => Some(12),
                "fp" => Some(11),
                "sb" => Some(9),
                "sl" => Some(10),
                _ => r.get(1..)?.parse().ok(),
            }
        };
        let count = match (number(first), number(last)) {
            (Some(a), Some(b)) if b >= a => b - a + 1,
            _ => 1,
        };
        words += width * count;
    }
    u8::try_from(words.max(1)).unwrap_or(u8::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cycles(d: &str) -> (u8, Kind) {
        let (t, known) = classify(d);
        assert_eq!(known, Known::Yes, "{d}");
        (t.cycles, t.kind)
    }

    #[test]
    fn data_processing_and_multiplies() {
        assert_eq!(cycles("adds r0, r0, #1"), (1, Kind::Fixed));
        assert_eq!(cycles("addseq r0, r0, #1"), (1, Kind::Fixed));
        assert_eq!(cycles("teq r0, r1"), (1, Kind::Fixed));
        assert_eq!(cycles("lsls r0, r1, #2"), (1, Kind::Fixed));
        assert_eq!(cycles("bics r0, r1"), (1, Kind::Fixed));
        assert_eq!(cycles("smlad r0, r1, r2, r0"), (1, Kind::Fixed));
        assert_eq!(cycles("sxtb16 r1, r2, ror #8"), (1, Kind::Fixed));
        assert_eq!(cycles("mla r0, r1, r2, r3"), (2, Kind::Fixed));
        assert_eq!(cycles("mls r0, r1, r2, r3"), (2, Kind::Fixed));
        assert_eq!(cycles("udiv r0, r1, r2"), (DIVIDE_CYCLES, Kind::Fixed));
        assert_eq!(cycles("uqadd8 r0, r1, r2"), (1, Kind::Fixed));
        assert_eq!(cycles("mov pc, lr"), (1, Kind::Branch));
    }

    #[test]
    fn loads_stores_and_lists() {
        assert_eq!(cycles("ldr r3, [r2, #4]"), (2, Kind::Load));
        assert_eq!(cycles("ldr.w r3, [r2], #4"), (2, Kind::Load));
        assert!(classify("ldr r0, [pc, #16]").0.literal);
        assert!(!classify("ldr r0, [r1, #16]").0.literal);
        assert_eq!(cycles("ldrsbne r3, [r2]"), (2, Kind::Load));
        assert_eq!(cycles("vldr s0, [r1, #4]"), (2, Kind::Load));
        assert_eq!(cycles("strh r3, [r2]"), (2, Kind::Store));
        assert_eq!(cycles("ldrd r2, r3, [r0]"), (3, Kind::Fixed));
        assert_eq!(cycles("push {r4, r5, r6, r7, lr}"), (6, Kind::Fixed));
        assert_eq!(cycles("pop {r4, r5, r6, r7, pc}"), (6, Kind::Branch));
        assert_eq!(cycles("ldm.w r0, {r1, r2, r3}"), (4, Kind::Fixed));
        assert_eq!(cycles("vpush {d8, d9, d10}"), (7, Kind::Fixed));
        assert_eq!(cycles("vldmia r0!, {s0, s1, s2, s3}"), (5, Kind::Fixed));
        assert_eq!(cycles("vpop {s16-s31}"), (17, Kind::Fixed));
        assert_eq!(cycles("ldr pc, [sp], #4"), (2, Kind::Branch));
    }

    #[test]
    fn floating_point() {
        assert_eq!(cycles("vmla.f32 s0, s1, s2"), (3, Kind::Fixed));
        assert_eq!(cycles("vfma.f32 s0, s1, s2"), (3, Kind::Fixed));
        assert_eq!(cycles("vadd.f32 s0, s1, s2"), (1, Kind::Fixed));
        assert_eq!(cycles("vdiv.f32 s0, s1, s2"), (14, Kind::Fixed));
        assert_eq!(cycles("vsqrt.f32 s0, s1"), (14, Kind::Fixed));
        assert_eq!(cycles("vcvt.s32.f32 s0, s0"), (1, Kind::Fixed));
        assert_eq!(cycles("vmov r0, s0"), (1, Kind::Fixed));
        assert_eq!(cycles("vmov r0, r1, d0"), (2, Kind::Fixed));
        assert_eq!(cycles("vmrs APSR_nzcv, fpscr"), (1, Kind::Fixed));
    }

    #[test]
    fn branches_and_it() {
        assert_eq!(cycles("b #0x8000100"), (1, Kind::Branch));
        assert_eq!(cycles("bls #0x8000100"), (1, Kind::Branch));
        assert_eq!(cycles("blt #0x8000100"), (1, Kind::Branch));
        assert_eq!(cycles("bl #0x8000100"), (1, Kind::Branch));
        assert_eq!(cycles("b.w #0x8000100"), (1, Kind::Branch));
        assert_eq!(cycles("bx lr"), (1, Kind::Branch));
        assert_eq!(cycles("cbz r0, #0x8000100"), (1, Kind::Branch));
        assert_eq!(cycles("tbb [pc, r0]"), (2, Kind::Branch));
        assert_eq!(cycles("ittet ne"), (1, Kind::Fixed));
    }

    #[test]
    fn unknown_mnemonics_are_one_cycle_and_said() {
        let (t, known) = classify("frobnicate r0");
        assert_eq!((t.cycles, known), (1, Known::No));
    }
}

//! The cycle model on the host's side: the QEMU plugin built from `chi-host/cycles` (its own
//! workspace, like the twin), the firmware's mark array found in its ELF, and the plugin's
//! counts at each mark turned into spans of modelled cycles.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, anyhow, bail};
use object::{Object, ObjectSymbol};

/// The symbol of the firmware's mark words (`firmware/src/marks.rs`).
pub const MARKS_SYMBOL: &str = "CHI_CYCLE_MARKS";

/// The firmware's spans (`firmware/src/marks.rs`, `Span`).
pub mod span {
    /// One kernel's repetitions in the bench.
    pub const KERNEL: usize = 0;
    /// The amortised phase of a bench step.
    pub const AMORTISE: usize = 1;
    /// A whole decision, in the bench and in the hil firmware.
    pub const ACT: usize = 2;
}

/// Spans the mark array has room for (two words each).
pub const SPANS: usize = 16;

/// The plugin's crate, beside this one in the repository.
fn crate_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("cycles")
}

/// The plugin library, built if need be (cargo's no-op when it is current).
pub fn library() -> anyhow::Result<PathBuf> {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = crate_dir();
    if !dir.join("Cargo.toml").exists() {
        bail!(
            "no sources at {} (the cycle model is built from the chi repository)",
            dir.display()
        );
    }
    let target = dir.join("../../target/cycles");
    let target_arg = target.to_string_lossy();
    super::build::cargo_release(&dir, &["--target-dir", &target_arg], &[], None)
        .map_err(|stderr| anyhow!("building the cycle model failed:\n{stderr}"))?;
    Ok(target.join("release/libchi_cycles.so"))
}

/// The address of the mark array in `elf`.
pub fn marks_address(elf: &[u8]) -> anyhow::Result<u64> {
    let file = object::File::parse(elf).context("reading the firmware's ELF")?;
    file.symbols()
        .find(|s| s.name() == Ok(MARKS_SYMBOL))
        .map(|s| s.address())
        .ok_or_else(|| anyhow!("the firmware has no {MARKS_SYMBOL} symbol"))
}

/// The plugin loaded for a run: where it writes its marks.
#[derive(Clone, Debug)]
pub struct Plugin {
    library: PathBuf,
    marks: u64,
    /// The file the plugin writes.
    pub out: PathBuf,
    /// The span whose instructions the plugin profiles.
    pub profile: Option<usize>,
}

impl Plugin {
    /// The plugin for `elf`, writing to `out`.
    pub fn new(elf: &Path, out: PathBuf) -> anyhow::Result<Self> {
        let image = std::fs::read(elf).with_context(|| format!("reading {}", elf.display()))?;
        Ok(Self {
            library: library()?,
            marks: marks_address(&image)?,
            out,
            profile: None,
        })
    }

    /// The plugin that also profiles the instructions run inside `span` (see [`Marks::profile`]).
    pub fn profiling(self, span: usize) -> Self {
        Self {
            profile: Some(span),
            ..self
        }
    }

    /// QEMU's `-plugin` argument.
    pub fn argument(&self) -> String {
        let profile = self
            .profile
            .map(|s| format!(",profile={s}"))
            .unwrap_or_default();
        format!(
            "{},out={},marks={:#x}{profile}",
            self.library.display(),
            self.out.display(),
            self.marks
        )
    }

    /// What the plugin wrote.
    pub fn read(&self) -> anyhow::Result<Marks> {
        let text = std::fs::read_to_string(&self.out)
            .with_context(|| format!("reading the cycle model's {}", self.out.display()))?;
        Marks::parse(&text)
    }
}

/// Counts of the model over a stretch of execution.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Instructions executed.
    pub instructions: u64,
    /// Modelled core cycles, all causes.
    pub cycles: u64,
    /// The core's own cycles at zero wait states.
    pub core: u64,
    /// Pipeline refills after taken branches.
    pub refill: u64,
    /// Exception entries.
    pub exception: u64,
    /// Instruction fetches waiting on flash.
    pub fetch: u64,
    /// Data reads of flash missing the data cache (weights read in place, tables).
    pub data: u64,
    /// Literal-pool reads missing the data cache.
    pub literal: u64,
    /// Peripheral accesses.
    pub peripheral: u64,
}

impl Counts {
    /// The counts in the order the plugin writes them.
    fn fields(&self) -> [u64; 9] {
        [
            self.instructions,
            self.cycles,
            self.core,
            self.refill,
            self.exception,
            self.fetch,
            self.data,
            self.literal,
            self.peripheral,
        ]
    }

    fn from_fields(
        [
            instructions,
            cycles,
            core,
            refill,
            exception,
            fetch,
            data,
            literal,
            peripheral,
        ]: [u64; 9],
    ) -> Self {
        Self {
            instructions,
            cycles,
            core,
            refill,
            exception,
            fetch,
            data,
            literal,
            peripheral,
        }
    }

    fn parse(words: &[&str]) -> anyhow::Result<Self> {
        let n: Vec<u64> = words
            .iter()
            .map(|w| w.parse::<u64>())
            .collect::<Result<_, _>>()
            .map_err(|e| anyhow!("a count of the cycle model is not a number: {e}"))?;
        let fields = <[u64; 9]>::try_from(n.as_slice())
            .map_err(|_| anyhow!("the cycle model wrote {} counts, not 9", n.len()))?;
        Ok(Self::from_fields(fields))
    }

    /// Each count of `self` combined with the same count of `other` by `f`.
    fn zip(&self, other: &Self, f: impl Fn(u64, u64) -> u64) -> Self {
        let (a, b) = (self.fields(), other.fields());
        Self::from_fields(std::array::from_fn(|i| f(a[i], b[i])))
    }

    fn since(&self, start: &Self) -> Self {
        self.zip(start, |a, b| a - b)
    }

    /// The sum of `spans`.
    pub fn sum<'a>(spans: impl IntoIterator<Item = &'a Self>) -> Self {
        spans
            .into_iter()
            .fold(Self::default(), |a, s| a.zip(s, |x, y| x + y))
    }

    /// Modelled cycles per instruction.
    pub fn cycles_per_instruction(&self) -> f64 {
        self.cycles as f64 / self.instructions.max(1) as f64
    }

    /// Cycles had the data read from flash been in SRAM (or CCM): the weights copied there
    /// once at boot.
    pub fn cycles_with_data_in_ram(&self) -> u64 {
        self.cycles - self.data
    }
}

/// What the plugin wrote: every span from its begin mark to its end mark, in order, by span.
#[derive(Clone, Debug, Default)]
pub struct Marks {
    /// `spans[s]`: span `s`'s stretches, in the order they ran.
    pub spans: Vec<Vec<Counts>>,
    /// The counts of the whole run, if QEMU exited (a killed run has none).
    pub total: Option<Counts>,
    /// Mnemonics the model's tables did not know (timed as one cycle), with their count of
    /// distinct instructions.
    pub unknown: Vec<(String, u64)>,
    /// With a profiled span, and if QEMU exited: each address run inside it, with its
    /// executions and the cycles charged to it.
    pub profile: Vec<Site>,
}

/// One address of the profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Site {
    /// The instruction's address.
    pub address: u64,
    /// Times it ran inside the profiled span.
    pub executions: u64,
    /// Modelled cycles charged to it: from its start to the next instruction's.
    pub cycles: u64,
}

impl Marks {
    /// Reads the plugin's file. A mark ending a span that did not begin, or beginning one
    /// already open, is an error: the firmware and this parser disagree on the layout.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let mut marks = Self {
            spans: vec![Vec::new(); SPANS],
            ..Self::default()
        };
        let mut open: Vec<Option<Counts>> = vec![None; SPANS];
        for (i, line) in text.lines().enumerate() {
            let words: Vec<&str> = line.split_whitespace().collect();
            let at = || format!("line {} of the cycle model's marks", i + 1);
            match words.as_slice() {
                ["mark", word, counts @ ..] => {
                    let word: usize = word.parse().with_context(at)?;
                    let counts = Counts::parse(counts).with_context(at)?;
                    let span = word / 2;
                    let Some(slot) = open.get_mut(span) else {
                        bail!("{}: mark word {word} is past the array", at());
                    };
                    if word.is_multiple_of(2) {
                        if slot.replace(counts).is_some() {
                            bail!("{}: span {span} begun twice", at());
                        }
                    } else {
                        let Some(start) = slot.take() else {
                            bail!("{}: span {span} ended without beginning", at());
                        };
                        marks.spans[span].push(counts.since(&start));
                    }
                }
                ["total", counts @ ..] => {
                    marks.total = Some(Counts::parse(counts).with_context(at)?);
                }
                ["profile", address, executions, cycles] => {
                    let hex = address.trim_start_matches("0x");
                    marks.profile.push(Site {
                        address: u64::from_str_radix(hex, 16).with_context(at)?,
                        executions: executions.parse().with_context(at)?,
                        cycles: cycles.parse().with_context(at)?,
                    });
                }
                ["unknown", mnemonic, n] => {
                    marks
                        .unknown
                        .push((mnemonic.to_string(), n.parse().with_context(at)?));
                }
                [] => {}
                _ => bail!("{}: cannot read '{line}'", at()),
            }
        }
        Ok(marks)
    }

    /// Span `s`'s stretches.
    pub fn span(&self, s: usize) -> &[Counts] {
        self.spans.get(s).map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_are_the_differences_between_their_marks() {
        let text = "mark 0 10 20 1 1 1 1 1 1 1\n\
                    mark 1 110 320 2 2 2 2 2 2 2\n\
                    mark 4 200 400 2 2 2 2 2 2 2\n\
                    mark 5 260 500 3 3 3 3 3 3 3\n\
                    total 300 600 3 3 3 3 3 3 3\n\
                    unknown frob 2\n";
        let m = Marks::parse(text).unwrap();
        assert_eq!(m.span(0).len(), 1);
        assert_eq!(m.span(0)[0].instructions, 100);
        assert_eq!(m.span(0)[0].cycles, 300);
        assert_eq!(m.span(2)[0].cycles, 100);
        assert_eq!(m.span(2)[0].data, 1);
        assert_eq!(m.total.unwrap().instructions, 300);
        assert_eq!(m.unknown, [("frob".to_string(), 2)]);
    }

    #[test]
    fn a_layout_the_parser_does_not_share_is_refused() {
        assert!(Marks::parse("mark 1 1 1 1 1 1 1 1 1 1\n").is_err());
        assert!(Marks::parse("mark 0 1 1 1 1 1 1 1 1 1\nmark 0 2 2 2 2 2 2 2 2 2\n").is_err());
        assert!(Marks::parse("mark 99 1 1 1 1 1 1 1 1 1\n").is_err());
        assert!(Marks::parse("mark 0 1 1\n").is_err());
        assert!(Marks::parse("garbage\n").is_err());
    }
}

//! The QEMU machines the firmware runs on, one per chip of `firmware/src/board/`: the
//! STM32F405 (Cortex-M4F) that the cycle model describes, a Cortex-M7 and a Cortex-M33. An
//! image names its machine under the symbol `CHI_QEMU_MACHINE`, so whoever runs it needs
//! no flag to start QEMU right.

use anyhow::{Context, anyhow, bail};
use object::{Object, ObjectSection, ObjectSymbol};

/// A QEMU machine of the firmware's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Machine {
    /// QEMU's `netduinoplus2`: an STM32F405, Cortex-M4F (`thumbv7em-none-eabihf`).
    #[default]
    #[value(name = "netduinoplus2")]
    Netduinoplus2,
    /// QEMU's `mps2-an500`: Arm's MPS2 board with a Cortex-M7 (`thumbv7em-none-eabihf`).
    #[value(name = "mps2-an500")]
    Mps2An500,
    /// QEMU's `mps2-an505`: Arm's MPS2 board with a Cortex-M33 (`thumbv8m.main-none-eabihf`).
    #[value(name = "mps2-an505")]
    Mps2An505,
}

impl Machine {
    /// Every machine.
    pub const ALL: [Self; 3] = [Self::Netduinoplus2, Self::Mps2An500, Self::Mps2An505];

    /// QEMU's name of the machine (`-machine`), which the firmware's chip module records.
    pub fn qemu_name(self) -> &'static str {
        match self {
            Self::Netduinoplus2 => "netduinoplus2",
            Self::Mps2An500 => "mps2-an500",
            Self::Mps2An505 => "mps2-an505",
        }
    }

    /// Its CPU (`-cpu`).
    pub fn cpu(self) -> &'static str {
        match self {
            Self::Netduinoplus2 => "cortex-m4",
            Self::Mps2An500 => "cortex-m7",
            Self::Mps2An505 => "cortex-m33",
        }
    }

    /// The Rust target the firmware is built for.
    pub fn target(self) -> &'static str {
        match self {
            Self::Netduinoplus2 | Self::Mps2An500 => "thumbv7em-none-eabihf",
            Self::Mps2An505 => "thumbv8m.main-none-eabihf",
        }
    }

    /// The firmware's cargo feature for the chip.
    pub fn feature(self) -> &'static str {
        match self {
            Self::Netduinoplus2 => "stm32f405",
            Self::Mps2An500 => "mps2-an500",
            Self::Mps2An505 => "mps2-an505",
        }
    }

    /// SysTick ticks a second of QEMU's virtual time (the firmware's `board::TICK_HZ`).
    pub fn tick_hz(self) -> f64 {
        match self {
            Self::Netduinoplus2 => 168e6,
            Self::Mps2An500 => 25e6,
            Self::Mps2An505 => 20e6,
        }
    }

    /// Instructions that `ticks` SysTick ticks stand for under `-icount shift=0` (one
    /// instruction a nanosecond of virtual time).
    pub fn instructions(self, ticks: u64) -> f64 {
        ticks as f64 * 1e9 / self.tick_hz()
    }

    /// The machine `elf` was built for: the `CHI_QEMU_MACHINE` symbol, or the
    /// netduinoplus2 for an image without it (a firmware of chi's before it had chips).
    pub fn of_elf(elf: &[u8]) -> anyhow::Result<Self> {
        let file = object::File::parse(elf).context("reading the firmware's ELF")?;
        let Some(symbol) = file.symbols().find(|s| s.name() == Ok("CHI_QEMU_MACHINE")) else {
            return Ok(Self::Netduinoplus2);
        };
        let section = symbol
            .section_index()
            .and_then(|i| file.section_by_index(i).ok())
            .ok_or_else(|| anyhow!("CHI_QEMU_MACHINE is in no section"))?;
        let data = section
            .data()
            .context("reading CHI_QEMU_MACHINE's section")?;
        let start = usize::try_from(symbol.address() - section.address())?;
        let bytes = data
            .get(start..start + symbol.size() as usize)
            .ok_or_else(|| anyhow!("CHI_QEMU_MACHINE lies outside its section"))?;
        let name = String::from_utf8_lossy(bytes)
            .trim_end_matches('\0')
            .to_string();
        match Self::ALL.iter().find(|m| m.qemu_name() == name) {
            Some(m) => Ok(*m),
            None => {
                bail!("the firmware is built for QEMU machine '{name}', which chi does not know")
            }
        }
    }
}

impl std::fmt::Display for Machine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.qemu_name())
    }
}

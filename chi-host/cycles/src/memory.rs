//! The STM32F405's memory system as the core sees it (RM0090, "Embedded Flash memory
//! interface" and "Adaptive real-time memory accelerator"): flash read 128 bits at a time
//! with 5 wait states at 168 MHz (so 6 cycles a line), behind the ART accelerator's
//! instruction prefetch buffer, its 64-line instruction cache and its 8-line data cache
//! (lines of 128 bits); SRAM and CCM with no wait states; the APB peripherals a few cycles
//! away.
//!
//! The reference manual does not give the caches' organisation or replacement; they are
//! modelled fully associative with least-recently-used replacement, the best case for a
//! given capacity. Contention between the instruction and the data side for the flash is not
//! modelled either: both are reasons the model can be optimistic, said in its report.

/// Flash wait states at 168 MHz (RM0090, Table 10: 150 < HCLK <= 168 MHz at 2.7-3.6 V).
pub const WAIT_STATES: u64 = 5;

/// Cycles of one 128-bit flash read: the wait states and the access itself.
pub const LINE_READ: u64 = WAIT_STATES + 1;

/// Extra cycles of an access to an APB peripheral (the AHB-APB bridge and APB2 at half the
/// core clock).
pub const PERIPHERAL_WAIT: u64 = 2;

/// Where an address lies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Region {
    /// The main flash at 0x0800_0000 (and its alias at 0 when booting from it).
    Flash,
    /// SRAM1/SRAM2 and the 64 KB core-coupled memory: no wait states.
    Ram,
    /// The peripherals' buses.
    Peripheral,
    /// The core's own registers (SysTick, NVIC) and anything else: no wait states.
    Other,
}

/// The region of `address`.
pub fn region(address: u64) -> Region {
    match address {
        0x0000_0000..0x0010_0000 | 0x0800_0000..0x0810_0000 => Region::Flash,
        0x1000_0000..0x1001_0000 | 0x2000_0000..0x2002_0000 => Region::Ram,
        0x4000_0000..0x6000_0000 => Region::Peripheral,
        _ => Region::Other,
    }
}

/// A fully associative cache of `N` 128-bit lines with least-recently-used replacement.
#[derive(Clone, Debug)]
pub struct Cache<const N: usize> {
    /// Line tags (address / 16), most recently used first; `u64::MAX` is empty.
    lines: [u64; N],
}

impl<const N: usize> Default for Cache<N> {
    fn default() -> Self {
        Self {
            lines: [u64::MAX; N],
        }
    }
}

impl<const N: usize> Cache<N> {
    /// Whether `line` is held; it becomes the most recently used either way (a miss fills
    /// it, evicting the least recently used).
    pub fn touch(&mut self, line: u64) -> bool {
        let found = self.lines.iter().position(|&l| l == line);
        let at = found.unwrap_or(N - 1);
        self.lines.copy_within(0..at, 1);
        self.lines[0] = line;
        found.is_some()
    }

    /// Whether `line` is held, without using it.
    pub fn holds(&self, line: u64) -> bool {
        self.lines.contains(&line)
    }
}

/// Stall cycles of the memory system, by cause.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stalls {
    /// Instruction fetches waiting on flash.
    pub fetch: u64,
    /// Data reads from flash (weights read in place, constants), missing the data cache.
    pub data: u64,
    /// Literal-pool loads (PC-relative) missing the data cache.
    pub literal: u64,
    /// Peripheral accesses.
    pub peripheral: u64,
}

/// The flash interface and its accelerator.
#[derive(Clone, Debug, Default)]
pub struct Memory {
    instruction_cache: Cache<64>,
    data_cache: Cache<8>,
    /// The line being executed from: fetches within it are free (the core's own prefetch
    /// buffer holds it).
    current: Option<u64>,
    /// The line the prefetch buffer is reading or holds, and the cycle it is ready.
    prefetch: Option<(u64, u64)>,
    /// Stall cycles so far.
    pub stalls: Stalls,
}

impl Memory {
    /// The stall of fetching the instruction of `size` bytes at `address` at cycle `now`.
    pub fn fetch(&mut self, address: u64, size: u64, now: u64) -> u64 {
        if region(address) != Region::Flash {
            self.current = None;
            return 0;
        }
        let mut stall = 0;
        // An instruction may straddle two lines: both are fetched in order.
        for line in address / 16..=(address + size.max(1) - 1) / 16 {
            if self.current == Some(line) {
                continue;
            }
            let at = now + stall;
            stall += if self.instruction_cache.touch(line) {
                0
            } else {
                match self.prefetch {
                    Some((l, ready)) if l == line => ready.saturating_sub(at),
                    _ => WAIT_STATES,
                }
            };
            self.current = Some(line);
            // The prefetch buffer reads the next line while this one executes.
            let next = line + 1;
            if !self.instruction_cache.holds(next) {
                self.prefetch = Some((next, now + stall + LINE_READ));
            }
        }
        self.stalls.fetch += stall;
        stall
    }

    /// The stall of a data access to `address`; `literal` for a PC-relative load.
    pub fn access(&mut self, address: u64, store: bool, literal: bool) -> u64 {
        match region(address) {
            Region::Flash if !store => {
                if self.data_cache.touch(address / 16) {
                    0
                } else if literal {
                    self.stalls.literal += WAIT_STATES;
                    WAIT_STATES
                } else {
                    self.stalls.data += WAIT_STATES;
                    WAIT_STATES
                }
            }
            Region::Peripheral => {
                self.stalls.peripheral += PERIPHERAL_WAIT;
                PERIPHERAL_WAIT
            }
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions() {
        assert_eq!(region(0x0800_1234), Region::Flash);
        assert_eq!(region(0x2001_0000), Region::Ram);
        assert_eq!(region(0x1000_0100), Region::Ram);
        assert_eq!(region(0x4001_1000), Region::Peripheral);
        assert_eq!(region(0xE000_E018), Region::Other);
    }

    #[test]
    fn least_recently_used_lines_are_evicted() {
        let mut c = Cache::<2>::default();
        assert!(!c.touch(1));
        assert!(!c.touch(2));
        assert!(c.touch(1));
        assert!(!c.touch(3)); // evicts 2, the least recently used
        assert!(c.holds(1) && c.holds(3) && !c.holds(2));
    }

    #[test]
    fn a_jump_to_flash_not_cached_waits_the_wait_states() {
        let mut m = Memory::default();
        assert_eq!(m.fetch(0x0800_0100, 2, 0), WAIT_STATES);
        // The rest of the line is free.
        assert_eq!(m.fetch(0x0800_0102, 2, 1), 0);
        assert_eq!(m.fetch(0x0800_010E, 2, 7), 0);
    }

    #[test]
    fn straight_line_code_waits_only_for_what_the_prefetch_has_not_read() {
        let mut m = Memory::default();
        let first = m.fetch(0x0800_0000, 4, 0);
        assert_eq!(first, WAIT_STATES);
        // The next line was started at cycle 5 and is ready at 11: at cycle 8 the core
        // waits 3; had it got there at 12, nothing.
        assert_eq!(m.fetch(0x0800_0010, 4, 8), 3);
        assert_eq!(m.fetch(0x0800_0020, 4, 8 + 3 + 10), 0);
    }

    #[test]
    fn a_loop_that_fits_the_cache_stops_waiting() {
        let mut m = Memory::default();
        let body: Vec<u64> = (0..32).map(|i| 0x0800_0400 + 16 * i).collect();
        let mut now = 0;
        let mut pass = |m: &mut Memory| {
            let mut stall = 0;
            for &a in &body {
                let s = m.fetch(a, 4, now);
                stall += s;
                now += s + 1;
            }
            stall
        };
        assert!(pass(&mut m) > 0);
        assert_eq!(pass(&mut m), 0);
        // 80 lines do not fit 64: a loop over them misses on every jump back.
        let mut m = Memory::default();
        let big: Vec<u64> = (0..80).map(|i| 0x0800_0400 + 16 * i).collect();
        let mut now = 0u64;
        for _ in 0..3 {
            for &a in &big {
                now += m.fetch(a, 4, now) + 4;
            }
        }
        assert!(m.fetch(big[0], 4, now) > 0);
    }

    #[test]
    fn data_from_flash_waits_once_a_line() {
        let mut m = Memory::default();
        let stalls: Vec<u64> = (0..8)
            .map(|i| m.access(0x0801_0000 + 4 * i, false, false))
            .collect();
        assert_eq!(stalls, [WAIT_STATES, 0, 0, 0, WAIT_STATES, 0, 0, 0]);
        assert_eq!(m.access(0x2000_0000, false, false), 0);
        assert_eq!(m.access(0x0801_0000, true, false), 0);
        assert_eq!(m.stalls.data, 2 * WAIT_STATES);
    }
}

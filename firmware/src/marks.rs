//! Marks for the cycle model: a store to a word of [`CHI_CYCLE_MARKS`] tells QEMU's cycle
//! plugin (`chi-host/cycles`) to write its counts at that point, so a span of work can be
//! costed in modelled cycles beside the SysTick ticks the firmware measures itself. On a
//! board, or in QEMU without the plugin, a mark is one store to SRAM.

use core::mem::MaybeUninit;

/// What is measured; mark word `2 s` begins span `s`, `2 s + 1` ends it.
#[derive(Clone, Copy)]
pub enum Span {
    /// One kernel's repetitions in the bench.
    #[cfg(feature = "bench")]
    Kernel = 0,
    /// The amortised phase of a bench step.
    #[cfg(feature = "bench")]
    Amortise = 1,
    /// A whole decision (the amortised phase and the planner).
    Act = 2,
}

/// The words the plugin watches (the host finds them by this symbol in the ELF). Sixteen
/// spans' worth: the host's parser knows the same layout. Left out of the start-up code's
/// zeroing (cortex-m-rt's `.uninit`), which would otherwise store to every word.
#[unsafe(no_mangle)]
#[unsafe(link_section = ".uninit.CHI_CYCLE_MARKS")]
static mut CHI_CYCLE_MARKS: MaybeUninit<[u32; 32]> = MaybeUninit::uninit();

/// Never inlined: under `-icount` QEMU executes again the start of a translation block that
/// reads a device (SysTick), so a mark stored in the same block as a following tick read
/// would be reported twice. In a function of its own the store's block ends at its return.
#[inline(never)]
fn mark(word: usize) {
    // SAFETY: a volatile store to a static nothing reads: the plugin sees the address, and
    // the index is below 32 by construction of `Span`.
    unsafe {
        let words = (&raw mut CHI_CYCLE_MARKS).cast::<u32>();
        core::ptr::write_volatile(words.add(word), 1);
    }
}

/// Marks the start of `span`.
pub fn begin(span: Span) {
    mark(2 * span as usize);
}

/// Marks the end of `span`.
pub fn end(span: Span) {
    mark(2 * span as usize + 1);
}

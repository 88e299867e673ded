//! The stack's high-water mark: paint the free stack with a pattern at start, later find how
//! far down the pattern was overwritten.

const PATTERN: u32 = 0xC0FF_EE00;
/// Left unpainted below the stack pointer at the time of painting (the painter's own frame).
const MARGIN: usize = 256;

unsafe extern "C" {
    /// Lowest address the stack may reach (cortex-m-rt: end of .bss/.uninit).
    static mut _stack_end: u32;
    /// Top of the stack (cortex-m-rt: end of RAM).
    static mut _stack_start: u32;
}

fn bounds() -> (usize, usize) {
    // Only the addresses of the linker symbols are taken, never their contents.
    (
        (&raw const _stack_end) as usize,
        (&raw const _stack_start) as usize,
    )
}

/// Paints the unused stack. Call first thing in `main`.
pub fn paint() {
    let (low, _) = bounds();
    let sp = cortex_m::register::msp::read() as usize;
    let mut p = low.next_multiple_of(4);
    while p + MARGIN < sp {
        // SAFETY: [low, sp - MARGIN) is stack nobody uses yet; word-aligned writes.
        unsafe { core::ptr::write_volatile(p as *mut u32, PATTERN) };
        p += 4;
    }
}

/// Bytes of stack used so far at most (from the top of RAM to the deepest overwritten word).
#[allow(dead_code)]
pub fn high_water() -> usize {
    let (low, top) = bounds();
    let mut p = low.next_multiple_of(4);
    // SAFETY: reads of RAM inside the stack region.
    while p < top && unsafe { core::ptr::read_volatile(p as *const u32) } == PATTERN {
        p += 4;
    }
    top - p
}

/// Bytes the stack may grow to (RAM above .bss).
#[allow(dead_code)]
pub fn capacity() -> usize {
    let (low, top) = bounds();
    top - low
}

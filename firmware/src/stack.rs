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

/// A word in the statics the test overflow watches: the stack reaching it would change it.
/// In `.uninit`, the statics' highest section, so the first a stack growing down into them
/// would meet; set when the test starts.
#[cfg(feature = "stack-overflow")]
#[unsafe(link_section = ".uninit.CHI_CANARY")]
static mut CANARY: u32 = 0;

/// Recurses until the stack runs out (feature `stack-overflow`, for the test that an overflow
/// faults before it reaches the statics). Each frame keeps a 256-byte array alive and reads
/// the canary; with flip-link the stack lies below the statics, so the recursion faults at
/// the bottom of RAM and the canary is never reached; with the default layout the stack
/// grows down into the statics and this reports it.
#[cfg(feature = "stack-overflow")]
pub fn overflow() {
    #[inline(never)]
    #[allow(unconditional_recursion)]
    fn deeper(n: u32) -> u32 {
        // SAFETY: a volatile read of a static nothing writes but an overflowing stack.
        if unsafe { core::ptr::read_volatile(&raw const CANARY) } != 0x5AFE_C0DE {
            // No log: the few bytes of stack left go to the exit call.
            crate::exit::fail()
        }
        let mut frame = [n; 64];
        core::hint::black_box(&mut frame);
        let below = deeper(n.wrapping_add(1));
        frame.iter().fold(below, |a, v| a.wrapping_add(*v))
    }
    // SAFETY: a volatile write of a static only this test uses, before the recursion.
    unsafe { core::ptr::write_volatile(&raw mut CANARY, 0x5AFE_C0DE) };
    let depth = deeper(0);
    defmt::println!("chi: the stack never overflowed ({=u32})", depth);
    crate::exit::fail();
}

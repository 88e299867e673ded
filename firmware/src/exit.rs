//! Ending a run. Under QEMU (or a debugger) semihosting hands the exit code to the host, so
//! a test passes or fails on it; a board without a debugger attached just sleeps.

use cortex_m_semihosting::debug;

/// Ends with success (the hil job serves forever and never does).
#[cfg_attr(feature = "hil", allow(dead_code))]
pub fn success() -> ! {
    end(debug::EXIT_SUCCESS)
}

/// Ends with failure.
pub fn fail() -> ! {
    end(debug::EXIT_FAILURE)
}

fn end(code: debug::ExitStatus) -> ! {
    #[cfg(feature = "qemu")]
    debug::exit(code);
    #[cfg(not(feature = "qemu"))]
    let _ = code;
    loop {
        cortex_m::asm::wfi();
    }
}

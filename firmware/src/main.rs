//! The firmware for a bundle of one of chi's own tasks: the task type is the one the bundle
//! records (`builtin_task!`, generated from its header). A task of your own has a binary
//! like this one in its own crate, naming its type.
#![no_std]
#![no_main]

use cortex_m_rt::entry;

#[entry]
fn main() -> ! {
    chi_firmware::run::<chi_firmware::builtin_task!()>()
}

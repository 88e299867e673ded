//! chi's firmware for the motor: the bundle comes from `CHI_BUNDLE`, its sizes from its
//! header (chi-firmware's build script); this binary only names the task.
#![no_std]
#![no_main]

#[cortex_m_rt::entry]
fn main() -> ! {
    chi_firmware::run::<dc_motor::DcMotor>()
}

//! Hardware in the loop: serve the controller over USART1. The host sends states, the board
//! answers with actions (`chi_embedded::link`), timing each decision with SysTick.

use chi_embedded::link::{ControllerHandler, Info, Server};
use chi_embedded::task::Task;

use crate::board::Usart1;
use crate::sizes::{A, Bundle, Controller, S};
use crate::{bundle, exit, marks};

pub fn run<T: Task<S, A>>(
    bundle: &Bundle<'static>,
    chi: &mut Controller<'static, T>,
    mut serial: Usart1,
) -> ! {
    let info = Info::new(&bundle.header, bundle::bytes(), env!("CARGO_PKG_VERSION"));
    let mut handler = ControllerHandler::new(chi, info, marks::decision_clock);
    defmt::println!("chi: hil serving on USART1 at {=u32} baud", crate::BAUD);
    let mut server = Server::new();
    // The USART never fails (its error type is Infallible), so serve only returns on a bug.
    let _ = server.serve(&mut serial, &mut handler);
    exit::fail()
}

//! Hardware in the loop: serve the controller over USART1. The host sends states, the board
//! answers with actions (`chi_embedded::link`), timing each decision with SysTick.

use chi_embedded::link::{ControllerHandler, Info, Server};

use crate::board::{self, Usart1};
use crate::task::{Bundle, Controller, REWARD};
use crate::{bundle, exit};

pub fn run(bundle: &Bundle<'static>, mut serial: Usart1) -> ! {
    let info = Info::new(&bundle.header, bundle::bytes(), env!("CARGO_PKG_VERSION"));
    let mut chi = Controller::from_bundle(bundle, REWARD, bundle.header.seed);
    let mut handler = ControllerHandler::new(&mut chi, info, board::ticks);
    defmt::println!("chi: hil serving on USART1 at {=u32} baud", crate::BAUD);
    let mut server = Server::new();
    // The USART never fails (its error type is Infallible), so serve only returns on a bug.
    let _ = server.serve(&mut serial, &mut handler);
    exit::fail()
}

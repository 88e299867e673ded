//! A peripheral that an interrupt handler and the main loop both use (a HAL's serial
//! receiver, the status LED, the watchdog), moved into a `static` once at start-up and
//! reached inside a critical section: the ecosystem's `Mutex<RefCell<Option<T>>>`, named.

use core::cell::RefCell;

use critical_section::Mutex;

/// Holds `T` once [`Shared::put`] has moved it in.
pub struct Shared<T>(Mutex<RefCell<Option<T>>>);

impl<T> Shared<T> {
    /// Empty until [`Shared::put`].
    pub const fn new() -> Self {
        Self(Mutex::new(RefCell::new(None)))
    }

    /// Moves `value` in (start-up, before the interrupt that uses it is unmasked).
    pub fn put(&self, value: T) {
        critical_section::with(|cs| *self.0.borrow_ref_mut(cs) = Some(value));
    }

    /// Runs `f` on the value with interrupts masked; `None` before [`Shared::put`].
    pub fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        critical_section::with(|cs| self.0.borrow_ref_mut(cs).as_mut().map(f))
    }
}

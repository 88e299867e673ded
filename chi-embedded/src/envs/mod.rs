//! Environments the board can simulate itself (closed-loop self-test with no host).

pub mod half_cheetah;
pub mod point_mass;

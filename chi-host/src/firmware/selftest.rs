//! The self-test job's report line.

use chi_embedded::envs::point_mass::EpisodeSummary;

use super::log::{line, number};

/// Reads `chi: selftest steps N return R first_success F final_state X Y actions_crc 0x...`.
/// f32 values arrive as bits and print as the shortest text that reads back to the same
/// bits, so the summary compares exactly with the host's.
pub fn parse(log: &[String]) -> anyhow::Result<EpisodeSummary> {
    let l = line(log, "chi: selftest ")?;
    let first: u32 = number(l, "first_success", 1)?;
    Ok(EpisodeSummary {
        ret: number(l, "return", 1)?,
        first_success: (first > 0).then_some(first),
        closest: f32::NAN,
        final_state: [number(l, "final_state", 1)?, number(l, "final_state", 2)?],
        steps: number(l, "steps", 1)?,
        actions_crc: number(l, "actions_crc", 1)?,
    })
}

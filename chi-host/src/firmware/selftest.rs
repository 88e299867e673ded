//! The self-test job's report line.

use anyhow::{Context, bail};
use chi_embedded::episode::Episode;

use super::log::{line, number};

/// Reads `chi: selftest steps N return R terminated B actions_crc 0x... ticks T stack B
/// final_state [x, y, ...]`. f32 values arrive as bits and print as the shortest text that
/// reads back to the same bits, so the episode compares exactly with the host's.
pub fn parse<const S: usize>(log: &[String]) -> anyhow::Result<Episode<S>> {
    let l = line(log, "chi: selftest ")?;
    let state = l
        .split_once("final_state [")
        .and_then(|(_, rest)| rest.split_once(']'))
        .map(|(values, _)| values)
        .context("the self-test line lacks its final state")?;
    let values: Vec<f32> = state
        .split(',')
        .map(|v| v.trim().parse())
        .collect::<Result<_, _>>()
        .with_context(|| format!("final state '{state}'"))?;
    let Ok(final_state) = <[f32; S]>::try_from(values.as_slice()) else {
        bail!(
            "the board's final state has {} values, not {S}",
            values.len()
        );
    };
    Ok(Episode {
        ret: number(l, "return", 1)?,
        steps: number(l, "steps", 1)?,
        terminated: super::log::field(l, "terminated", 1)? == "true",
        final_state,
        actions_crc: number(l, "actions_crc", 1)?,
    })
}

/// SysTick ticks the self-test's episode took (the machine's tick rate converts them).
pub fn ticks(log: &[String]) -> anyhow::Result<u64> {
    number(line(log, "chi: selftest ")?, "ticks", 1)
}

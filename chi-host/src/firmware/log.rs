//! The firmware's defmt log, decoded on the host with the table in its ELF: the board sends
//! only indices and argument bits, so the log costs little flash and time there.

use anyhow::{Context, anyhow};
use defmt_decoder::{DecodeError, Table};

/// Decodes a defmt byte stream into its messages, one string each. Bytes after the last
/// complete frame (a run killed mid-message) are ignored; a malformed frame is an error.
pub fn decode(elf: &[u8], bytes: &[u8]) -> anyhow::Result<Vec<String>> {
    let table = Table::parse(elf)
        .context("reading the firmware's defmt table")?
        .ok_or_else(|| anyhow!("the firmware has no defmt table"))?;
    let mut decoder = table.new_stream_decoder();
    decoder.received(bytes);
    let mut lines = Vec::new();
    loop {
        match decoder.decode() {
            Ok(frame) => lines.push(frame.display_message().to_string()),
            Err(DecodeError::UnexpectedEof) => return Ok(lines),
            Err(DecodeError::Malformed) => {
                return Err(anyhow!(
                    "malformed defmt frame after {} messages: {lines:?}",
                    lines.len()
                ));
            }
        }
    }
}

/// The words after `key` in a report line `chi: ... key v1 v2 ...`.
pub fn field<'l>(line: &'l str, key: &str, n: usize) -> anyhow::Result<&'l str> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let at = words
        .iter()
        .position(|w| *w == key)
        .ok_or_else(|| anyhow!("no '{key}' in '{line}'"))?;
    words
        .get(at + n)
        .copied()
        .ok_or_else(|| anyhow!("'{key}' has no value in '{line}'"))
}

/// A number after `key`.
pub fn number<T: std::str::FromStr>(line: &str, key: &str, n: usize) -> anyhow::Result<T>
where
    T::Err: std::fmt::Display,
{
    let word = field(line, key, n)?;
    let word = word.strip_prefix("0x").map_or_else(
        || {
            word.parse::<T>()
                .map_err(|e| anyhow!("{key}: {e} in '{line}'"))
        },
        |hex| {
            u64::from_str_radix(hex, 16)
                .map_err(|e| anyhow!("{key}: {e}"))
                .and_then(|v| {
                    v.to_string()
                        .parse::<T>()
                        .map_err(|e| anyhow!("{key}: {e}"))
                })
        },
    )?;
    Ok(word)
}

/// The first line starting with `prefix`.
pub fn line<'l>(lines: &'l [String], prefix: &str) -> anyhow::Result<&'l str> {
    lines
        .iter()
        .find(|l| l.starts_with(prefix))
        .map(String::as_str)
        .ok_or_else(|| anyhow!("no '{prefix}' line in the firmware's log: {lines:?}"))
}

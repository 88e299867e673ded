//! The byte frame around header and payload:
//!
//! ```text
//! offset 0   magic "CHIB"
//!        4   format version, u16 LE
//!        6   flags, u16 LE (reserved, 0)
//!        8   header length, u32 LE
//!       12   payload length, u32 LE
//!       16   header (postcard)
//!            zero padding to a multiple of 16
//!            payload (tensors, see `layout`)
//!   end - 4  CRC-32 (ISO-HDLC) of every byte before it, u32 LE
//! ```
//!
//! The CRC is checked before anything inside is decoded: any single-bit flip and any burst
//! of up to 32 bits is caught, and the decoder never reads corrupt lengths or weights.

use super::error::BundleError;

/// First four bytes of every bundle.
pub const MAGIC: [u8; 4] = *b"CHIB";
/// The format version this build writes and reads. Version 2 stores int8 rows in the order
/// the Cortex-M4's SXTB16/SMLAD pair wants ([`crate::nn::smlad_order`]); version 3 adds the
/// header's terminal-value weight and the value network after the policy; version 4 records
/// the task by name, definition version and parameters ([`crate::task::TaskRecord`]); version 5 adds the controller's habitual exit
/// ([`crate::habit::HabitConfig`]); version 6 pads the ensemble's input
/// ([`super::ensemble_input`]).
pub const VERSION: u16 = 6;
/// Bytes before the header.
pub const PREFIX_LEN: usize = 16;
/// Bytes of the trailing CRC.
pub const CRC_LEN: usize = 4;
/// The payload starts at a multiple of this (relative to the bundle start).
pub const PAYLOAD_ALIGN: usize = 16;
/// The CRC used over the bundle.
pub use crate::checksum::CRC32;

/// A bundle split into its parts, lengths and checksum verified.
#[derive(Clone, Copy, Debug)]
pub struct Frame<'a> {
    /// Postcard header bytes.
    pub header: &'a [u8],
    /// Tensor bytes, starting 16-aligned relative to the bundle.
    pub payload: &'a [u8],
}

/// Where the payload starts for a header of `header_len` bytes.
pub fn payload_offset(header_len: usize) -> Option<usize> {
    PREFIX_LEN
        .checked_add(header_len)?
        .checked_next_multiple_of(PAYLOAD_ALIGN)
}

fn le_u16(bytes: &[u8], at: usize) -> Option<u16> {
    bytes
        .get(at..)?
        .first_chunk::<2>()
        .map(|b| u16::from_le_bytes(*b))
}

fn le_u32(bytes: &[u8], at: usize) -> Option<u32> {
    bytes
        .get(at..)?
        .first_chunk::<4>()
        .map(|b| u32::from_le_bytes(*b))
}

/// The CRC-32 stored in a bundle's last four bytes: a short name for the weights (the board
/// reports it in its link `Info`). Meaningful once [`split`] accepted the bundle.
pub fn stored_crc(bytes: &[u8]) -> Option<u32> {
    bytes
        .last_chunk::<CRC_LEN>()
        .map(|b| u32::from_le_bytes(*b))
}

/// Checks the frame and returns header and payload.
pub fn split(bytes: &[u8]) -> Result<Frame<'_>, BundleError> {
    let too_short = BundleError::TooShort { found: bytes.len() };
    if bytes.len() < PREFIX_LEN + CRC_LEN {
        return Err(too_short);
    }
    if !(bytes.as_ptr() as usize).is_multiple_of(4) {
        return Err(BundleError::Misaligned);
    }
    if bytes.first_chunk::<4>() != Some(&MAGIC) {
        return Err(BundleError::BadMagic);
    }
    let version = le_u16(bytes, 4).ok_or(too_short)?;
    if version != VERSION {
        return Err(BundleError::UnsupportedVersion { found: version });
    }
    let flags = le_u16(bytes, 6).ok_or(too_short)?;
    if flags != 0 {
        return Err(BundleError::ReservedFlags { found: flags });
    }
    let header_len = le_u32(bytes, 8).ok_or(too_short)? as usize;
    let payload_len = le_u32(bytes, 12).ok_or(too_short)? as usize;
    let declared = payload_offset(header_len)
        .and_then(|o| o.checked_add(payload_len))
        .and_then(|n| n.checked_add(CRC_LEN));
    let mismatch = BundleError::LengthMismatch {
        declared: declared.unwrap_or(usize::MAX),
        found: bytes.len(),
    };
    if declared != Some(bytes.len()) {
        return Err(mismatch);
    }
    let body_len = bytes.len() - CRC_LEN;
    let (body, crc) = bytes.split_at_checked(body_len).ok_or(mismatch)?;
    let stored = le_u32(crc, 0).ok_or(mismatch)?;
    let computed = CRC32.checksum(body);
    if stored != computed {
        return Err(BundleError::Checksum { stored, computed });
    }
    let payload_start = payload_offset(header_len).ok_or(mismatch)?;
    let header_end = PREFIX_LEN + header_len;
    let header = body.get(PREFIX_LEN..header_end).ok_or(mismatch)?;
    let padding = body.get(header_end..payload_start).ok_or(mismatch)?;
    if padding.iter().any(|b| *b != 0) {
        return Err(BundleError::NonZeroPadding);
    }
    let payload = body.get(payload_start..).ok_or(mismatch)?;
    Ok(Frame { header, payload })
}

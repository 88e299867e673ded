//! The one CRC-32 of chi (ISO-HDLC, as zlib and Ethernet): bundles end with it, link frames
//! carry it, and an episode's actions are summed into it so two runs can be compared bit for
//! bit by one number.

/// CRC-32/ISO-HDLC.
pub const CRC32: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);

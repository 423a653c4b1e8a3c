//! TFRecord framing, the container of an event file: each record is
//!
//! ```text
//! u64 length (little-endian) | u32 masked CRC32C of those 8 bytes | payload | u32 masked CRC32C of payload
//! ```
//!
//! (all little-endian). A reader that finds fewer bytes than a record announces stops there and
//! waits for more, so a file cut anywhere reads up to its last whole record.

use anyhow::{Result, bail};
use prost::Message;

/// Length field plus its checksum.
pub const HEADER_LEN: usize = 12;
/// The payload's checksum.
pub const FOOTER_LEN: usize = 4;

/// TFRecord's mask: checksums of data that itself holds checksums stay distinguishable.
const MASK_DELTA: u32 = 0xa282_ead8;

/// The masked CRC32C (Castagnoli) of `bytes`: rotated right by 15 bits, plus a constant.
pub fn masked_crc32c(bytes: &[u8]) -> u32 {
    crc32c::crc32c(bytes).rotate_right(15).wrapping_add(MASK_DELTA)
}

/// Replaces `out` with one whole record holding `message`: encoded in place after the header,
/// so the record needs no second buffer and can be written with one call.
pub fn encode_record(message: &impl Message, out: &mut Vec<u8>) {
    out.clear();
    out.resize(HEADER_LEN, 0);
    message
        .encode(out)
        .expect("a Vec<u8> grows as needed, so encoding cannot run out of room");
    let len = (out.len() - HEADER_LEN) as u64;
    out[..8].copy_from_slice(&len.to_le_bytes());
    let len_crc = masked_crc32c(&out[..8]);
    out[8..HEADER_LEN].copy_from_slice(&len_crc.to_le_bytes());
    let payload_crc = masked_crc32c(&out[HEADER_LEN..]);
    out.extend_from_slice(&payload_crc.to_le_bytes());
}

/// The records of a TFRecord byte stream.
#[derive(Debug)]
pub struct Records<'a> {
    /// Payloads of the whole records, in order.
    pub payloads: Vec<&'a [u8]>,
    /// Bytes taken by whole records; less than the input when its last record is cut short.
    pub whole_len: usize,
}

/// Splits `data` into records, checking both checksums of each. A cut-short last record is not
/// an error (a writer may be mid-record): it ends the list. A checksum that does not match is.
pub fn split_records(data: &[u8]) -> Result<Records<'_>> {
    let mut payloads = Vec::new();
    let mut pos = 0;
    while data.len() - pos >= HEADER_LEN {
        let header = &data[pos..pos + HEADER_LEN];
        let len_bytes: [u8; 8] = header[..8].try_into().unwrap();
        if masked_crc32c(&len_bytes) != u32::from_le_bytes(header[8..].try_into().unwrap()) {
            bail!("TFRecord at byte {pos}: the length's checksum does not match");
        }
        let len = u64::from_le_bytes(len_bytes);
        let rest = (data.len() - pos - HEADER_LEN) as u64;
        if rest < len.saturating_add(FOOTER_LEN as u64) {
            break;
        }
        let start = pos + HEADER_LEN;
        let end = start + len as usize;
        let payload = &data[start..end];
        let crc = u32::from_le_bytes(data[end..end + FOOTER_LEN].try_into().unwrap());
        if masked_crc32c(payload) != crc {
            bail!("TFRecord at byte {pos}: the payload's checksum does not match");
        }
        payloads.push(payload);
        pos = end + FOOTER_LEN;
    }
    Ok(Records {
        payloads,
        whole_len: pos,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{Event, event::What};

    fn file_version(step: i64) -> Event {
        Event {
            wall_time: 1.5,
            step,
            what: Some(What::FileVersion("brain.Event:2".into())),
        }
    }

    #[test]
    fn crc32c_is_castagnoli() {
        // The CRC-32C check value (RFC 3720, appendix B.4 test vectors; CRC catalogue "check").
        assert_eq!(crc32c::crc32c(b"123456789"), 0xe306_9283);
        assert_eq!(crc32c::crc32c(&[0u8; 32]), 0x8a91_36aa);
    }

    #[test]
    fn masked_crc32c_matches_tensorboards() {
        // `tensorboard.summary.writer.record_writer.masked_crc32c` (2.21) on the same bytes.
        assert_eq!(masked_crc32c(b"123456789"), 0xc78a_b0e5);
        assert_eq!(masked_crc32c(b""), 0xa282_ead8);
    }

    #[test]
    fn record_layout() {
        let mut out = Vec::new();
        let event = file_version(7);
        encode_record(&event, &mut out);
        let payload = event.encode_to_vec();
        assert_eq!(out.len(), HEADER_LEN + payload.len() + FOOTER_LEN);
        assert_eq!(&out[..8], &(payload.len() as u64).to_le_bytes());
        assert_eq!(&out[8..12], &masked_crc32c(&out[..8]).to_le_bytes());
        assert_eq!(&out[12..12 + payload.len()], &payload[..]);
        assert_eq!(&out[12 + payload.len()..], &masked_crc32c(&payload).to_le_bytes());
    }

    #[test]
    fn records_round_trip_and_a_cut_tail_is_dropped() {
        let mut stream = Vec::new();
        let mut record = Vec::new();
        let mut ends = Vec::new();
        for step in 0..4 {
            encode_record(&file_version(step), &mut record);
            stream.extend_from_slice(&record);
            ends.push(stream.len());
        }
        let all = split_records(&stream).unwrap();
        assert_eq!(all.whole_len, stream.len());
        let steps: Vec<i64> = all
            .payloads
            .iter()
            .map(|p| Event::decode(*p).unwrap().step)
            .collect();
        assert_eq!(steps, [0, 1, 2, 3]);

        // Every cut inside the last record (header, payload or footer) leaves the first three.
        for cut in ends[2] + 1..ends[3] {
            let part = split_records(&stream[..cut]).unwrap();
            assert_eq!(part.payloads.len(), 3, "cut at {cut}");
            assert_eq!(part.whole_len, ends[2]);
        }
    }

    #[test]
    fn a_flipped_bit_is_an_error_not_a_short_file() {
        let mut record = Vec::new();
        encode_record(&file_version(3), &mut record);
        for (at, what) in [(2, "length"), (HEADER_LEN + 1, "payload")] {
            let mut bad = record.clone();
            bad[at] ^= 0x10;
            let err = split_records(&bad).unwrap_err().to_string();
            assert!(err.contains(what), "{err}");
        }
    }
}

//! Byte-level fixtures in the real file formats, shared by the reader and fuzz tests.
#![allow(dead_code)] // each test binary uses a subset

use std::io::Write;

pub mod tiny;

/// An IDX file of unsigned bytes (type 0x08) with the given dimensions and payload.
pub fn idx_bytes(ndims: u8, dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut b = vec![0, 0, 0x08, ndims];
    for d in dims {
        b.extend_from_slice(&d.to_be_bytes());
    }
    b.extend_from_slice(data);
    b
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

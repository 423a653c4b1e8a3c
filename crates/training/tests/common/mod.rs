//! Byte-level fixtures in the real file formats, shared by the reader and fuzz tests.
#![allow(dead_code)] // each test binary uses a subset

use std::collections::HashMap;
use std::io::Write;

use safetensors::{Dtype, tensor::TensorView};

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

/// A small file in the format scripts/make_mnist1d.py writes, with arrays replaced or left out.
pub fn mnist1d_file(edit: impl FnOnce(&mut Vec<(&'static str, Dtype, Vec<usize>, Vec<u8>)>)) -> Vec<u8> {
    let f64s = |n: usize| {
        (0..n)
            .flat_map(|i| (i as f64 * 0.5 - 3.0).to_le_bytes())
            .collect::<Vec<u8>>()
    };
    let labels = |n: usize| {
        (0..n as i64)
            .flat_map(|i| (i % 10).to_le_bytes())
            .collect::<Vec<u8>>()
    };
    let mut arrays = vec![
        ("x_train", Dtype::F64, vec![20, 5], f64s(100)),
        ("y_train", Dtype::I64, vec![20], labels(20)),
        ("x_test", Dtype::F64, vec![10, 5], f64s(50)),
        ("y_test", Dtype::I64, vec![10], labels(10)),
    ];
    edit(&mut arrays);
    let views: Vec<(&str, TensorView)> = arrays
        .iter()
        .map(|(name, dtype, shape, data)| (*name, TensorView::new(*dtype, shape.clone(), data).unwrap()))
        .collect();
    let meta: HashMap<String, String> = [
        ("generator", "mnist1d"),
        ("version", "test"),
        ("call", "hand-made"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    safetensors::serialize(views, Some(meta)).unwrap()
}

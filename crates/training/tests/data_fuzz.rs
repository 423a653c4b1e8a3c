//! Fuzzing the IDX, CIFAR-10 and MNIST-1D readers with proptest: arbitrary and mutated bytes (raw
//! and gzip) must give `Ok` or an error naming the file, never a panic. Runs in `cargo test`; raise
//! `PROPTEST_CASES` for a longer session.

use std::path::Path;

use proptest::prelude::*;
use training::data::{cifar, idx, mnist1d};

mod common;
use common::{gzip, idx_bytes, mnist1d_file};

const NAME: &str = "fuzz-input";

/// A valid small images file: 4 images of 3x5.
fn valid_images() -> Vec<u8> {
    idx_bytes(3, &[4, 3, 5], &(0..60).collect::<Vec<u8>>())
}

/// Byte edits: (position, new value), a cut and an appended tail.
#[derive(Debug, Clone)]
struct Mutation {
    edits: Vec<(usize, u8)>,
    cut: Option<usize>,
    tail: Vec<u8>,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    (
        prop::collection::vec((any::<usize>(), any::<u8>()), 0..6),
        prop::option::of(any::<usize>()),
        prop::collection::vec(any::<u8>(), 0..4),
    )
        .prop_map(|(edits, cut, tail)| Mutation { edits, cut, tail })
}

fn mutate(mut bytes: Vec<u8>, m: &Mutation) -> Vec<u8> {
    if !bytes.is_empty() {
        for &(pos, v) in &m.edits {
            let n = bytes.len();
            bytes[pos % n] = v;
        }
    }
    if let Some(cut) = m.cut {
        bytes.truncate(cut % (bytes.len() + 1));
    }
    bytes.extend_from_slice(&m.tail);
    bytes
}

fn check<T>(r: Result<T, training::data::DataError>) {
    if let Err(e) = r {
        assert!(e.to_string().contains(NAME), "error does not name the file: {e}");
    }
}

fn idx_all_ways(bytes: &[u8]) {
    let p = Path::new(NAME);
    for ndims in [1, 3] {
        check(idx::parse_idx(bytes, ndims, p));
    }
    // Whatever parses must also make a split or a named error, never a panic.
    if let Ok(images) = idx::parse_idx(bytes, 3, p) {
        let n = images.dims[0];
        let labels: Vec<u8> = (0..n.min(10_000)).map(|i| (i % 12) as u8).collect();
        check(idx::idx_split(&images, p, &labels, p));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn idx_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        idx_all_ways(&bytes);
        idx_all_ways(&gzip(&bytes));
    }

    #[test]
    fn idx_header_with_arbitrary_dims(ndims in 0u8..5, dims in prop::collection::vec(any::<u32>(), 0..5),
                                      data in prop::collection::vec(any::<u8>(), 0..128)) {
        let bytes = idx_bytes(ndims, &dims, &data);
        idx_all_ways(&bytes);
        // Small dims that really match their data must parse.
        let dims3 = [dims.first().copied().unwrap_or(1) % 4 + 1, 2, 3];
        let n = (dims3[0] * 6) as usize;
        let exact = idx_bytes(3, &dims3, &vec![7; n]);
        prop_assert_eq!(idx::parse_idx(&exact, 3, Path::new(NAME)).unwrap().data.len(), n);
    }

    #[test]
    fn idx_mutated_valid_file(m in mutation(), gz_after in any::<bool>()) {
        let mutated = mutate(valid_images(), &m);
        idx_all_ways(&mutated);
        if gz_after {
            // Mutate the compressed stream itself (header, deflate data, CRC, length).
            idx_all_ways(&mutate(gzip(&valid_images()), &m));
        }
    }

    #[test]
    fn mnist1d_mutated_valid_file(m in mutation()) {
        let bytes = mutate(mnist1d_file(|_| {}), &m);
        check(mnist1d::parse_mnist1d(&bytes, Path::new(NAME)));
    }

    #[test]
    fn mnist1d_arbitrary_header(len in any::<u64>(), header in "[ -~]{0,120}", tail in prop::collection::vec(any::<u8>(), 0..64)) {
        // A header-length word, then JSON-ish text: sizes and offsets the file cannot back.
        let mut bytes = len.to_le_bytes().to_vec();
        bytes.extend_from_slice(header.as_bytes());
        bytes.extend_from_slice(&tail);
        check(mnist1d::parse_mnist1d(&bytes, Path::new(NAME)));
    }

    #[test]
    fn cifar_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..(2 * cifar::RECORD + 8))) {
        check(cifar::parse_cifar(&bytes, Path::new(NAME)));
    }

    #[test]
    fn cifar_whole_records_parse_iff_labels_are_valid(labels in prop::collection::vec(0u8..14, 1..4),
                                                     fill in any::<u8>()) {
        let mut bytes = Vec::new();
        for &l in &labels {
            bytes.push(l);
            bytes.extend(std::iter::repeat_n(fill, cifar::PIXELS));
        }
        let r = cifar::parse_cifar(&bytes, Path::new(NAME));
        prop_assert_eq!(r.is_ok(), labels.iter().all(|&l| l < 10));
        if let Ok(rec) = r {
            prop_assert_eq!(&rec.labels, &labels);
            prop_assert_eq!(rec.pixels.len(), rec.len() * cifar::PIXELS);
        }
    }
}

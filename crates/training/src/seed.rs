//! libtorch's random generator is one per process. Concurrent runs (`runner --jobs`) each seed it
//! and then draw their initial weights: without a lock, one run's reseed (at the start of its
//! epoch) can land in the middle of another's initialisation, and that run's weights no longer
//! follow from its seed alone.

use std::sync::Mutex;

static LOCK: Mutex<()> = Mutex::new(());

/// Seeds tch's global RNG and runs `draw` with no other seeding in between.
///
/// Draws made later, outside `draw` (drop path, dropout), still share the generator with
/// concurrent runs: only one run per process is bit-reproducible for those.
pub fn seeded<T>(seed: i64, draw: impl FnOnce() -> T) -> T {
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    tch::manual_seed(seed);
    draw()
}

/// Seeds tch's global RNG (for the draws that follow, e.g. drop path in the next epoch).
pub fn reseed(seed: i64) {
    seeded(seed, || ());
}

/// The seed of tch's RNG for `epoch` of a run seeded with `seed` (a splitmix64 mix, so nearby
/// seeds and epochs give unrelated streams).
pub fn epoch_seed(seed: u64, epoch: usize) -> i64 {
    let mut z = seed ^ (epoch as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    ((z ^ (z >> 31)) >> 1) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_seeds_differ() {
        assert_ne!(epoch_seed(0, 0), epoch_seed(0, 1));
        assert_ne!(epoch_seed(0, 1), epoch_seed(1, 1));
        assert!(epoch_seed(7, 3) >= 0);
    }

    #[test]
    fn draws_follow_the_seed_while_other_threads_reseed() {
        let draw = || seeded(7, || tch::Tensor::randn([4096], tch::kind::FLOAT_CPU));
        let expected = draw();
        std::thread::scope(|s| {
            s.spawn(|| {
                for i in 0..2000 {
                    reseed(i);
                }
            });
            for _ in 0..200 {
                assert!(draw().equal(&expected), "a concurrent reseed changed the draw");
            }
        });
    }
}

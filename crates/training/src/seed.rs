//! libtorch's random generator is one per process. Concurrent runs (`runner --jobs`) each seed it
//! and then draw their initial weights: without a lock, one run's reseed (at each of its training
//! steps) can land in the middle of another's initialisation, and that run's weights no longer
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

/// Seeds tch's global RNG (for the draws that follow, e.g. drop path in the next step).
pub fn reseed(seed: i64) {
    seeded(seed, || ());
}

/// The seed of tch's RNG for step `step` of `epoch` in a run seeded with `seed` (splitmix64
/// mixes, so nearby seeds, epochs and steps give unrelated streams). Reseeding at every step
/// makes each step's draws independent of where the process started: a run resumed mid-epoch
/// draws what an uninterrupted one does.
pub fn step_seed(seed: u64, epoch: usize, step: usize) -> i64 {
    let z = mix(seed ^ (epoch as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    (mix(z ^ (step as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)) >> 1) as i64
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_seeds_differ() {
        assert_ne!(step_seed(0, 0, 0), step_seed(0, 1, 0));
        assert_ne!(step_seed(0, 0, 0), step_seed(0, 0, 1));
        assert_ne!(step_seed(0, 1, 0), step_seed(0, 0, 1));
        assert_ne!(step_seed(0, 1, 1), step_seed(1, 1, 1));
        assert!(step_seed(7, 3, 2) >= 0);
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

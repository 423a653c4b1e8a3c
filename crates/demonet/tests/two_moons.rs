//! The reference's two-moons toy: the star DemoNet reaches clearly higher training accuracy than
//! the sum DemoNet (reference: about 95% vs 85%), averaged over 5 seeds. (The SVM baselines live
//! beside the moons kind that uses them: `kinds/tests/moons_baselines.rs`.)

use demonet::{Config2d, DemoNet2d, Grid, Mode, class1_probability};
use tch::{Device, nn};
use training::data::LoaderConfig;
use training::data::moons::make_moons;
use training::{TrainConfig, Trainer};

/// Training seeds (model init, batch order); the data set is fixed, as the reference fixes
/// `random_state=0`.
const SEEDS: [u64; 5] = [0, 1, 2, 3, 4];
const DATA_SEED: u64 = 0;

/// Best training accuracy of the reference recipe on the reference data (100 points, noise 0.4).
fn best_train_acc(mode: Mode, seed: u64) -> f64 {
    let data = make_moons(100, 0.4, DATA_SEED).unwrap().to_split();
    tch::manual_seed(seed as i64);
    let vs = nn::VarStore::new(Device::Cpu);
    let net = DemoNet2d::new(&vs.root(), &Config2d::reference(mode)).unwrap();
    let cfg = TrainConfig {
        seed,
        threads: Some(1),
        ..TrainConfig::two_moons()
    };
    let loader = LoaderConfig {
        drop_last: true,
        ..LoaderConfig::default()
    };
    let rec = Trainer::new(&net, &vs, &cfg)
        .unwrap()
        .loader(&loader)
        .fit(&data, &data)
        .unwrap();
    if seed == 0 {
        // the decision-boundary grid is a probability map of the right size
        let p = class1_probability(&net, &Grid::reference(), Device::Cpu);
        assert_eq!(p.len(), 250 * 225);
        assert!(p.iter().all(|v| (0.0..=1.0).contains(v)));
    }
    // the best epoch on the training points, as the reference reports it
    rec.epochs.iter().filter_map(|m| m.test_top1).fold(0.0, f64::max)
}

#[test]
fn star_beats_sum_on_two_moons() {
    let mean = |mode| SEEDS.iter().map(|&s| best_train_acc(mode, s)).sum::<f64>() / SEEDS.len() as f64;
    let (sum, star) = (mean(Mode::Sum), mean(Mode::Star));
    println!(
        "two-moons best training accuracy over {} seeds: sum {sum:.3}, star {star:.3}",
        SEEDS.len()
    );
    // Measured: sum 0.848, star 0.904 (the reference reports about 0.85 and 0.95 on sklearn's
    // draw of the moons; ours come from a different RNG).
    assert!(
        star - sum >= 0.03,
        "star {star:.3} is not clearly above sum {sum:.3}"
    );
    assert!(star >= 0.88, "star only reached {star:.3}");
}

//! What a run's metrics are called (README, "Metrics"): a name says which split it was computed
//! on, and record schema 1's names, which said less, map onto today's (`runner migrate` renames
//! old records; a config that still names an old metric is refused, naming the new one).

use crate::name::KindName;

/// What the loop's evaluation split is, which names its metrics (README, "Metrics"):
/// `test_*` on a held-out test set, `eval_*` in eval mode on the training points themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evaluated {
    /// The data set's test split (`train` kind): `test_loss`, `test_top1`, `test_top5`.
    TestSet,
    /// The training points, in eval mode (`moons` kind, as the reference reports it):
    /// `eval_loss`, `eval_top1`.
    TrainingPoints,
}

impl Evaluated {
    pub fn prefix(self) -> &'static str {
        match self {
            Evaluated::TestSet => "test",
            Evaluated::TrainingPoints => "eval",
        }
    }
}

/// The evaluation metrics of schema 1 and their names now, for one kind: per-epoch, best and
/// final `top1`/`top5`/`loss` were the evaluation split's, `test_*` for `train` (the test split),
/// `eval_*` for `moons` (eval mode on the training points: moons has no test set).
pub fn epoch_renames(kind: KindName) -> Vec<(&'static str, String)> {
    let prefix = match kind {
        KindName::Train => Evaluated::TestSet.prefix(),
        KindName::Moons => Evaluated::TrainingPoints.prefix(),
        // Neither has per-epoch metrics.
        KindName::ImplicitDim | KindName::Latency => return Vec::new(),
    };
    ["top1", "top5", "loss"]
        .into_iter()
        .map(|m| (m, format!("{prefix}_{m}")))
        .collect()
}

/// Summary names of schema 1 and now (`best_top1` -> `best_test_top1`, `final_loss` -> ...).
pub fn summary_renames(kind: KindName) -> Vec<(String, String)> {
    epoch_renames(kind)
        .into_iter()
        .flat_map(|(old, new)| ["best", "final"].map(|w| (format!("{w}_{old}"), format!("{w}_{new}"))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renames_follow_the_kind() {
        let train = summary_renames(KindName::Train);
        assert!(train.contains(&("best_top1".into(), "best_test_top1".into())));
        assert!(train.contains(&("final_loss".into(), "final_test_loss".into())));
        let moons = summary_renames(KindName::Moons);
        assert!(moons.contains(&("best_top1".into(), "best_eval_top1".into())));
        assert!(summary_renames(KindName::Latency).is_empty());
    }
}

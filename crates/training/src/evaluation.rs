//! [`evaluate`]: loss and accuracies of a model on a split, in eval mode.

use serde::{Deserialize, Serialize};
use tch::{Kind, Reduction, Tensor, nn};

use crate::data::{LoaderConfig, Split};
use crate::metrics::correct_topk;

/// Loss (cross-entropy, no smoothing) and accuracies of a model on a split, in eval mode.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    pub loss: f64,
    pub top1: f64,
    /// When there are more than 5 classes.
    pub top5: Option<f64>,
}

/// `model` on `split` in eval mode, with the weights it has now; `compute_kind` is the kind the
/// model computes in (bf16 under mixed precision).
pub fn evaluate(
    model: &dyn nn::ModuleT,
    split: &Split,
    loader: &LoaderConfig,
    device: tch::Device,
    compute_kind: Option<Kind>,
) -> Evaluation {
    tch::no_grad(|| {
        let k5 = split.num_classes > 5;
        let mut loss = Tensor::zeros([], (Kind::Double, device));
        let mut t1 = Tensor::zeros([], (Kind::Int64, device));
        let mut t5 = Tensor::zeros([], (Kind::Int64, device));
        for (x, y) in split.batches(0, loader) {
            let x = x.to_device(device);
            let y = y.to_device(device);
            let x = compute_kind.map_or_else(|| x.shallow_clone(), |k| x.to_kind(k));
            let logits = model.forward_t(&x, false).to_kind(Kind::Float);
            let l = logits.cross_entropy_loss::<Tensor>(&y, None, Reduction::Sum, -100, 0.0);
            loss += l.to_kind(Kind::Double);
            t1 += correct_topk(&logits, &y, 1);
            if k5 {
                t5 += correct_topk(&logits, &y, 5);
            }
        }
        let n = split.len().max(1) as f64;
        Evaluation {
            loss: loss.double_value(&[]) / n,
            top1: t1.int64_value(&[]) as f64 / n,
            top5: k5.then(|| t5.int64_value(&[]) as f64 / n),
        }
    })
}

//! [`evaluate`]: loss and accuracies of a model on a split, in eval mode; [`correct_topk`], the
//! count the loop's running training accuracy shares.

use serde::{Deserialize, Serialize};
use tch::{Kind, Reduction, Tensor, nn};

use crate::data::{LoaderConfig, Split};

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

/// How many of `logits`' rows have the label among their `k` highest entries (a 0-dim tensor,
/// left on the device so that no host sync happens per batch).
pub fn correct_topk(logits: &Tensor, labels: &Tensor, k: i64) -> Tensor {
    let k = k.min(logits.size()[1]);
    let (_, idx) = logits.topk(k, 1, true, false);
    idx.eq_tensor(&labels.unsqueeze(1))
        .any_dim(1, false)
        .sum(Kind::Int64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topk_counts_by_hand() {
        let logits = Tensor::from_slice(&[0.1f32, 0.5, 0.4, 3.0, 2.0, 1.0, 0.0, 0.2, 0.1]).view([3, 3]);
        let labels = Tensor::from_slice(&[2i64, 0, 0]);
        // row 0: top1 = 1, top2 = {1, 2}; row 1: top1 = 0; row 2: top1 = 1, top2 = {1, 2}
        assert_eq!(correct_topk(&logits, &labels, 1).int64_value(&[]), 1);
        assert_eq!(correct_topk(&logits, &labels, 2).int64_value(&[]), 2);
        assert_eq!(correct_topk(&logits, &labels, 5).int64_value(&[]), 3);
    }
}

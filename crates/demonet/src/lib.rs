//! DemoNet, the isotropic sum-vs-star ablation network of the paper, and its baselines.
//!
//! - [`demonet`]: the image DemoNet ([`Config`], [`DemoNet`]); [`cost`]: its parameters and MACs.
//! - [`demonet1d`]: the same DemoNet on 1-D signals (MNIST-1D), with the image [`Config`].
//! - [`demonet2d`]: the two-moons DemoNet and its decision-boundary grid.
//! - [`linear_baseline`]: the linear classifier the no-activation ablation is read against.
//! - [`mlp1d`], [`cnn1d`]: the MNIST-1D paper's MLP and small CNN, its table's anchors, with
//!   PyTorch's default initialisation ([`torch_default`]).
//!
//! The star operation and the other shared blocks (drop path, init, norms) live in the `layers`
//! crate; [`Mode`] and [`Act`] are re-exported here because every DemoNet config names them.

pub mod cnn1d;
pub mod cost;
pub mod demonet;
pub mod demonet1d;
pub mod demonet2d;
pub mod linear_baseline;
pub mod mlp1d;
pub mod torch_default;

pub use cnn1d::{Cnn1d, Cnn1dConfig};
pub use cost::{macs, params};
pub use demonet::{Config, DemoNet};
pub use demonet1d::DemoNet1d;
pub use demonet2d::{Config2d, DemoNet2d, Grid, class1_probability};
pub use layers::{Act, Mode};
pub use linear_baseline::{LinearClassifier, LinearConfig};
pub use mlp1d::{Mlp1d, Mlp1dConfig};

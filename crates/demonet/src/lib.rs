//! DemoNet (sum vs star) and the star operation itself.
//!
//! - [`star`]: the merge of two branches (`sum`, `star`, `star_both`, `star_after`) and activations.
//! - [`demonet`]: the image DemoNet of the paper's ablations, with parameter and MAC counts.
//! - [`demonet2d`]: the two-moons DemoNet and its decision-boundary grid.
//! - [`svm_baseline`]: the kernel SVMs the reference puts beside the 2-D nets.
//! - [`linear_baseline`]: the linear classifier the no-activation ablation is read against.

pub mod demonet;
pub mod demonet2d;
pub mod init;
pub mod linear_baseline;
pub mod star;
pub mod svm_baseline;

pub use demonet::{Config, DemoNet, macs, params};
pub use demonet2d::{Config2d, DemoNet2d, Grid, class1_probability};
pub use linear_baseline::{LinearClassifier, LinearConfig};
pub use star::{Act, Mode};

//! The building blocks DemoNet and StarNet share, one idea per file (timm's `timm.layers`):
//!
//! - [`star`]: **the star operation** — [`Mode`] (`sum`, `star`, `star_both`, `star_after`),
//!   [`Act`], [`star()`], its in-place form [`star_`] and [`split_star`].
//! - [`drop_path`](mod@drop_path): stochastic depth and the per-block rate schedule.
//! - [`init`]: trunc-normal weights ([`trunc_normal`]), PyTorch's default ([`fan_in_uniform`]) and
//!   the choice between timm's and the official code's init ([`InitScheme`]).
//! - [`linear`](mod@linear): `nn.Linear` with timm's init.
//! - [`conv`]: [`Conv`] (settings kept readable for BN folding), [`conv2d`] and StarNet's [`ConvBn`].
//! - [`norm`]: LayerNorm and BatchNorm2d with PyTorch's defaults.
//!
//! Every constructor creates its variables in a fixed order (weight, then bias) from tch's global
//! RNG, so a model built from these blocks draws the same initial weights for the same seed.

pub mod conv;
pub mod drop_path;
pub mod init;
pub mod linear;
pub mod norm;
pub mod star;

pub use conv::{BiasInit, Conv, ConvBn, ConvConfig, WeightInit, conv2d};
pub use drop_path::{drop_path, drop_path_rates};
pub use init::{InitScheme, fan_in_uniform, trunc_normal};
pub use linear::linear;
pub use norm::{batch_norm2d, layer_norm};
pub use star::{Act, Mode, split_star, star, star_};

//! StarNet S050..S4 ("Rewrite the Stars", Ma et al., CVPR 2024) on tch, weight-compatible with
//! timm's `starnet_*`.
//!
//! - [`config`]: [`Config`] (timm's presets, the paper's ablation switches).
//! - [`model`]: [`StarNet`] (an [`tch::nn::ModuleT`]), built from the `layers` crate's blocks.
//! - [`fused`]: [`StarNet::fuse`] folds every BatchNorm for inference ([`FusedStarNet`]);
//!   [`folded`]: its weights in standard layouts, for exporters ([`FusedStarNet::folded`]).
//! - [`weights`]: load/save safetensors with timm's names, checked tensor by tensor.
//! - [`cost`]: parameters and MACs of any config at any input size ([`describe`]).
//! - [`predict`]: timm's eval preprocessing, `.npy` inputs, top-k with ImageNet names.
//!
//! # Training through the shared loop
//! `StarNet` implements `ModuleT` (`forward_t(x, train)`: BatchNorm uses batch statistics and drop
//! path is active when `train` is true), which is what `training`'s loop drives; its variables live
//! in the caller's `VarStore`. StarNet downsamples by 32 (stem + 4 stride-2 stages), so inputs must
//! be at least 32 px and are best a multiple of 32. Fashion-MNIST (28 x 28 grey) is therefore fed
//! at **64 px with the grey channel repeated 3 times** (`in_chans = 3`): 64 px leaves a 2 x 2 map at
//! the last stage rather than 1 x 1 (at 32 px the last stage's 7 x 7 depthwise convs would only see
//! padding around one pixel), it is the smallest power-of-two size above 28 (an integer 64/28 scale is
//! not needed with bilinear resizing), and 3 channels keep the stem identical to ImageNet
//! StarNet's, so the same architecture (and even ImageNet weights) apply unchanged. `in_chans = 1`
//! works too for a purely grey network.

pub mod config;
pub mod cost;
pub mod folded;
pub mod fused;
pub mod imagenet;
pub mod model;
pub mod predict;
pub mod weights;

pub use config::{Config, VARIANTS};
pub use cost::{Cost, cost, describe};
pub use fused::FusedStarNet;
pub use layers::{Act, Mode};
pub use model::StarNet;

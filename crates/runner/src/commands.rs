//! The commands (the runner's top layer): what each `runner` subcommand does, over the report, the
//! results store and the lower crates. `main.rs` parses the command line (`cli.rs`) and calls
//! these.
//!
//! - `execute.rs` (`run`): run a plan's runs that are not done, `--jobs` at a time, with
//!   `progress.rs`'s bars and `interrupt.rs`'s Ctrl-C;
//! - `plan.rs` (`plan`), `check.rs` (`check`), `migrate.rs` (`migrate`), `slurm.rs` (`slurm`),
//!   `defaults.rs` (`config --defaults`);
//! - `tensorboard.rs` (`tensorboard`): TensorBoard on a results folder's `tb/` (which
//!   `execute/events.rs` writes while runs train);
//! - `describe.rs`, `predict.rs`, `export.rs`: model sizes, ImageNet inference on tch or ONNX
//!   Runtime, ONNX files;
//! - `fault_hooks.rs`: the test builds' fault injection (nothing in other builds).

pub mod check;
pub mod defaults;
pub mod describe;
pub mod execute;
pub mod export;
pub mod fault_hooks;
pub mod interrupt;
pub mod migrate;
pub mod plan;
pub mod predict;
pub mod progress;
pub mod slurm;
pub mod tensorboard;

//! The experiment file: TOML in, typed sections out (the runner's second layer, above `kinds`).
//!
//! A config has the sections `[experiment]`, `[output]`, `[sweep]` and the kind's own (`[model]`,
//! `[data]`, `[train]`, ...; which ones and their types belong to the kind). Every mistake is an
//! error that names the file, the line and the column (toml keeps spans; serde lists the valid
//! fields and variants). Read it in this order:
//!
//! - [`source`]: the file's text and `path:line:col` errors; [`locate`]: where a field is in it;
//! - [`json_path`]: TOML values as JSON trees and dotted field paths (what sweeps and overrides
//!   address);
//! - [`sections`]: `[experiment]` and `[output]` (with its paired [`Compare`]s);
//! - [`sweep`]: `[sweep]`, its axes and `[[sweep.extra]]` points;
//! - [`overrides`]: `--override section.field=value`;
//! - [`experiment`]: [`Experiment::parse`], which puts them together: the base run config as
//!   canonical JSON with every default filled in, plus the sweep. The `sweep` crate expands it.

pub mod experiment;
pub mod json_path;
pub mod locate;
pub mod overrides;
pub mod sections;
pub mod source;
pub mod sweep;

pub use experiment::Experiment;
pub use overrides::Override;
pub use sections::{Compare, ExperimentSection, OutputSection, RowGroup};
pub use source::Source;
pub use sweep::{Axis, Extra, MAX_RUNS};

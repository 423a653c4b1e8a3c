//! The algebra of the star operation, checked numerically.
//!
//! - [`monomials`]: monomial counts and the explicit feature maps φ(x) of the kernel view.
//! - [`kernel`]: one star-op channel as ⟨α(W1, W2, b1, b2), φ(x)⟩; the sum op as an affine map.
//! - [`families`]: star/sum networks and the paper's Cases I-III, with hand-derived counts.
//! - [`rank`]: numerical rank from faer's singular values, with a documented tolerance rule.
//! - [`implicit_dim`]: the experiment the runner calls ([`run`], [`ImplicitDimConfig`], [`Record`]).

pub mod families;
pub mod implicit_dim;
pub mod kernel;
pub mod monomials;
pub mod rank;

pub use families::{Activation, Family, Probe, Scope};
pub use implicit_dim::{ConfigError, ImplicitDimConfig, ProbeSet, Record, RunError, run};

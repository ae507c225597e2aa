//! immunoporosis: bone remodeling under immune control.
//!
//! Scenario TOML + parameter TOML → [`config::Scenario`] → [`engine::simulate`] →
//! [`engine::RunResult`] → CSV, manifest and plots ([`output`]).
//! `model` and `engine` do no I/O; `config` is the only TOML reader; `output` the only writer;
//! `engine::solver` the only caller of the ODE solver. See `ARCHITECTURE.md`.
//!
//! Using the library without the command line:
//!
//! ```
//! use immunoporosis::{config, engine, model::ModelId};
//!
//! // The Pivonka 2008 steady state from its bundled parameter file.
//! let params = config::bundled_params(ModelId::Pivonka2008).unwrap();
//! let ss = engine::steady_state(ModelId::Pivonka2008, &params).unwrap();
//! assert!((ss.state[2] / 8.069e-4 - 1.0).abs() < 1e-3); // OCa, pM
//! assert!(ss.stable);
//!
//! // A scenario, run in memory.
//! let scenario = config::parse_scenario(
//!     std::path::Path::new("example.toml"),
//!     r#"
//!         name = "example"
//!         model = "bone"
//!         duration_days = 365.25
//!         [[input]]
//!         name = "P_RANKL_d"
//!         value = 200.0
//!         unit = "pM/day"
//!     "#,
//! )
//! .unwrap();
//! let result = engine::simulate(&scenario.spec).unwrap();
//! let bmd = result.trajectory.column("bmd_lumbar_spine_change_pct").unwrap();
//! assert!(*bmd.last().unwrap() < 0.0); // excess RANKL loses bone
//! ```
#![deny(missing_docs)]

pub mod analysis;
pub mod app;
pub mod calibration;
pub mod cli;
pub mod config;
pub mod engine;
pub mod error;
pub mod identifiability;
pub mod model;
pub mod output;
pub mod params;
pub mod validation;

//! immunoporosis: bone remodeling under immune control.
//!
//! Scenario TOML + parameter TOML → [`config::Scenario`] → [`engine::simulate`] →
//! [`engine::RunResult`] → CSV, manifest and plots ([`output`]).
//! `model` and `engine` do no I/O; `config` is the only TOML reader; `output` the only writer;
//! `engine::solver` the only caller of the ODE solver. See `ARCHITECTURE.md`.
#![deny(missing_docs)]

pub mod app;
pub mod cli;
pub mod config;
pub mod engine;
pub mod error;
pub mod model;
pub mod output;
pub mod params;

//! One module per subcommand: its `Args` (clap) and its `run`.
//!
//! Still to come (issue 19), each as a module here and a variant of
//! `Command` in `main.rs`: `engagement` (`engagement update`: fold new
//! activities into a saved engagement state), `assign` (capacity-aware
//! assignment of ranked accounts to reps, reading the reps file that
//! `generate` writes) and `report` (the HTML report; `demo` calls
//! [`demo::write_report`], its hook).

pub mod assign;
pub mod demo;
pub mod engagement;
pub mod evaluate;
pub mod explain;
pub mod fit;
pub mod generate;
pub mod quality;
pub mod score;

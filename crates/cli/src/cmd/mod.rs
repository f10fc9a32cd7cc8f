//! One module per subcommand: its `Args` (clap) and its `run`.

pub mod assign;
pub mod demo;
pub mod engagement;
pub mod evaluate;
pub mod explain;
pub mod fit;
pub mod generate;
pub mod quality;
pub mod report;
pub mod score;

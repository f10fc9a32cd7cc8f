//! One module per subcommand: its `Args` (clap) and its `run`.

pub(crate) mod assign;
pub(crate) mod demo;
pub(crate) mod engagement;
pub(crate) mod evaluate;
pub(crate) mod explain;
pub(crate) mod fit;
pub(crate) mod generate;
pub(crate) mod quality;
pub(crate) mod report;
pub(crate) mod score;

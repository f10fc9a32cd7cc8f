//! The long fits open `tracing` spans an embedder's subscriber sees: the
//! whole fit and each of its stages, with `auto`'s cross-validation inside
//! the ICP stage.

use acctscore::pool::PoolGenerator;
use acctscore::prelude::*;
use std::sync::{Arc, Mutex};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Records the name of every span opened, in order.
#[derive(Clone, Default)]
struct Names(Arc<Mutex<Vec<&'static str>>>);

impl Subscriber for Names {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut names = self.0.lock().expect("not poisoned");
        names.push(span.metadata().name());
        Id::from_u64(names.len() as u64)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, _: &Event<'_>) {}
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[test]
fn a_fit_opens_a_span_per_stage() {
    let pool = PoolGenerator::new(3_000).seed(5).generate();
    let frame = accounts_to_frame(&pool.accounts).expect("finite pool");
    let names = Names::default();
    tracing::subscriber::with_default(names.clone(), || ScorerParams::new().fit(&frame).expect("fits"));
    let seen = names.0.lock().expect("not poisoned").clone();
    let at = |name: &str| seen.iter().position(|n| *n == name).unwrap_or_else(|| panic!("span {name} in {seen:?}"));
    let order = ["acctscore.fit", "quality_gate", "icp", "auto_cross_validation", "revenue", "tiers"].map(at);
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
}

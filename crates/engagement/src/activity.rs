//! Activity rows: the full [`Activity`] and the compact [`Touch`] of the batch hot path.

use crate::KindId;
use acctscore_core::Timestamp;
use serde::{Deserialize, Serialize};

/// One sales activity on an account, with dense ids.
///
/// Accounts and reps are dense `u32` indices: the caller maps its string ids
/// to indices once (for example with [`crate::intern`]); kinds are resolved
/// once with [`crate::EngagementModel::kind_id`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    /// Dense index of the account.
    pub account: u32,
    /// The kind, resolved against the model.
    pub kind: KindId,
    /// When it happened.
    pub at: Timestamp,
    /// Dense index of the rep who did it, if known.
    pub rep: Option<u32>,
    /// Its own weight, replacing the kind's weight, if given.
    pub weight: Option<f64>,
}

impl Activity {
    /// An activity with no rep and the kind's weight.
    pub fn new(account: u32, kind: KindId, at: Timestamp) -> Self {
        Activity { account, kind, at, rep: None, weight: None }
    }

    /// The same activity done by `rep`.
    pub fn with_rep(mut self, rep: u32) -> Self {
        self.rep = Some(rep);
        self
    }

    /// The same activity with its own weight (checked when used).
    pub fn with_weight(mut self, weight: f64) -> Self {
        self.weight = Some(weight);
        self
    }
}

/// A compact activity (16 bytes: account, kind, time; the kind's weight, no
/// rep) for aggregating millions of activities with
/// [`crate::EngagementModel::aggregate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Touch {
    /// When it happened.
    pub at: Timestamp,
    /// Dense index of the account.
    pub account: u32,
    /// The kind, resolved against the model.
    pub kind: KindId,
}

impl Touch {
    /// A touch of `account` by an activity of `kind` at `at`.
    pub fn new(account: u32, kind: KindId, at: Timestamp) -> Self {
        Touch { at, account, kind }
    }
}

impl From<Touch> for Activity {
    fn from(t: Touch) -> Self {
        Activity::new(t.account, t.kind, t.at)
    }
}

/// Maps string ids (accounts, reps) to dense `u32` indices in first-seen order,
/// one at a time: the reference [`crate::intern`] is tested against.
#[cfg(test)]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct IdIndex {
    map: std::collections::HashMap<String, u32>,
    ids: Vec<String>,
}

#[cfg(test)]
impl IdIndex {
    /// An empty index.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// The index of `id`, adding it if new; `None` once `u32::MAX` ids exist.
    pub(crate) fn insert(&mut self, id: &str) -> Option<u32> {
        if let Some(&i) = self.map.get(id) {
            return Some(i);
        }
        let i = u32::try_from(self.ids.len()).ok().filter(|&i| i < u32::MAX)?;
        self.map.insert(id.to_owned(), i);
        self.ids.push(id.to_owned());
        Some(i)
    }

    /// The index of `id`, if present.
    pub(crate) fn get(&self, id: &str) -> Option<u32> {
        self.map.get(id).copied()
    }

    /// The id at `index`, if any.
    pub(crate) fn id(&self, index: u32) -> Option<&str> {
        self.ids.get(index as usize).map(String::as_str)
    }

    /// All ids, by index.
    pub(crate) fn ids(&self) -> &[String] {
        &self.ids
    }

    /// Number of ids.
    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether the index holds no id.
    pub(crate) fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touch_is_compact_and_index_is_stable() {
        assert_eq!(std::mem::size_of::<Touch>(), 16);
        let mut idx = IdIndex::new();
        assert_eq!(idx.insert("b"), Some(0));
        assert_eq!(idx.insert("a"), Some(1));
        assert_eq!(idx.insert("b"), Some(0));
        assert_eq!(idx.get("a"), Some(1));
        assert_eq!(idx.get("z"), None);
        assert_eq!(idx.id(1), Some("a"));
        assert_eq!(idx.len(), 2);
        assert!(!idx.is_empty());
    }
}

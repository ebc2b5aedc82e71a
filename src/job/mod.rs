//! Jobs: which assets belong in an album. [`file`] reads job files; [`account`] evaluates one
//! selection (include searches intersected, exclude searches subtracted, local rules applied) for one
//! account.

pub mod account;
pub mod copy;
pub mod dates;
pub mod decide;
pub mod file;
pub mod merge;
pub mod run;

pub use account::{
    AccountPlan, AccountResult, Evaluated, Node, PeopleIndex, PlanBuilder, SearchCount, Selection,
    TagIndex, evaluate, evaluate_plan, people_index, tag_index,
};
pub use file::{AcrossServers, Condition, JobFile, JobSpec, SafeSpec};

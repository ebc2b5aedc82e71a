//! Jobs: which assets belong in an album, and running a job across its accounts.
//!
//! [`file`](mod@file) reads job files into a [`JobSpec`]; [`account`] evaluates one account's selection (include
//! searches intersected, exclude searches subtracted, local rules applied). A run is the pipeline in
//! [`run`]: [`plan`] (resolve names, plan searches) → [`search`] → [`combine`] (over the pure
//! [`merge`] and [`decide`]) →
//! [`effects`] (each returns an outcome) → [`report`] (built from the decisions and the outcomes).
//! [`model`] holds what the steps share.

pub mod account;
pub mod combine;
pub mod dates;
pub mod decide;
pub mod effects;
pub mod file;
pub mod merge;
pub mod model;
pub mod plan;
pub mod remember;
pub mod report;
pub mod run;
pub mod search;
pub mod since;

pub use account::{
    AccountPlan, AccountResult, Evaluated, Node, PeopleIndex, PlanBuilder, SearchCount, Selection,
    TagIndex, evaluate, evaluate_plan, people_index, tag_index,
};
pub use effects::copies as copy;
pub use file::{AcrossServers, Condition, JobFile, JobSpec, SafeSpec};
pub use model::{Account, Mode, RunOptions, Slot};
pub use report::JobReport;
pub use run::{run_job, run_job_with};

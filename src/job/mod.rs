//! Jobs: which assets belong in an album. [`account`] evaluates one selection (include searches
//! intersected, exclude searches subtracted, local rules applied) for one account.

pub mod account;

pub use account::{AccountResult, SearchCount, Selection, evaluate};

//! Filters: what to search on the server ([`SearchFilter`], metadata and smart), what to check locally on
//! each asset's JSON ([`LocalFilters`]), and how a search is run into a set of hits ([`run_search`]).

mod local;
mod query;
mod search;

pub use local::{LocalFilters, LocalRule, RuleGroup, RuleList};
pub use query::{Hit, Hits, decode_search_page, run_search};
pub use search::{RESULT_LIMIT, SearchFilter, is_date_field};

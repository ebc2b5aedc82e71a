//! What a run works with: the job's accounts as they were connected ([`Slot`], [`Account`]), what a
//! run may do ([`Mode`], [`RunOptions`]), and each account's way through the pipeline
//! ([`AccountRun`]): every step reads and writes its own account's fields, never a vector indexed by
//! position.

use super::account::{AccountPlan, Evaluated, PeopleIndex, TagIndex};
use super::merge::Merged;
use super::since::{AccountReading, Reading};
use crate::immich::{ApiError, ApiErrorKind, Client, User};

/// A connected account. Its client carries the in-flight limit of its server (shared by the accounts
/// on one server), attached once where the account is connected.
#[derive(Debug, Clone)]
pub struct Account {
    pub name: String,
    pub client: Client,
    pub user: User,
}

/// An account of the job: connected, or why it could not be.
#[derive(Debug)]
pub struct Slot {
    pub name: String,
    pub account: Result<Account, String>,
}

/// Whether a run only looks or also changes albums.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Preview,
    Sync,
}

/// What a run may do and what its report carries besides the counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// Links to the assets to add and to remove (`--list`).
    pub list: bool,
    /// The ids of the assets to add, of those a safe album leaves out, of those to remove, and of the
    /// dropped duplicates with the copies kept instead.
    pub ids: bool,
    /// Record what the albums hold and the job selects as the tool's own (`sync --adopt`).
    pub adopt: bool,
    /// Let removals past the circuit breaker through, this once (`sync --confirm-removals`).
    pub confirm_removals: bool,
    /// Whether a sync may read only what changed since its last complete run (`job::since`).
    pub reading: Reading,
}

/// One account's way through a run. It starts with the account's connection; each step fills in
/// what it learned, or sets [`failed`](AccountRun::failed), after which no later step asks the
/// account anything and whatever depends on it fails closed.
#[derive(Debug)]
pub struct AccountRun<'a> {
    pub slot: &'a Slot,
    /// Why this account does not take part: the first failure (connecting, its people or tags, a
    /// search).
    pub failed: Option<String>,
    /// Resolve: its person names → its own person ids (empty when the job names nobody).
    pub people: PeopleIndex,
    /// Resolve: its tag values → its own tag ids.
    pub tags: TagIndex,
    /// Plan: its searches.
    pub plan: AccountPlan,
    /// Where its searches start from (everything, or what changed since), and what they leave for
    /// the next run.
    pub reading: AccountReading,
    /// Search: what its searches found (`None` when it failed, before or during its searches).
    pub found: Option<Evaluated>,
    /// Merge: the copies it contributes (`None` when it failed).
    pub share: Option<Merged>,
}

impl<'a> AccountRun<'a> {
    pub fn new(slot: &'a Slot) -> AccountRun<'a> {
        AccountRun {
            slot,
            failed: slot.account.as_ref().err().cloned(),
            people: PeopleIndex::new(),
            tags: TagIndex::new(),
            plan: AccountPlan::default(),
            reading: AccountReading::default(),
            found: None,
            share: None,
        }
    }

    pub fn name(&self) -> &str {
        &self.slot.name
    }

    /// The account's connection, while it has not failed.
    pub fn live(&self) -> Option<&'a Account> {
        match (&self.slot.account, &self.failed) {
            (Ok(account), None) => Some(account),
            _ => None,
        }
    }

    /// Its client, when it connected (also after a later failure: its server's version and links).
    pub fn client(&self) -> Option<&'a Client> {
        self.slot.account.as_ref().ok().map(|a| &a.client)
    }

    /// Marks it failed, unless it had already.
    pub fn fail(&mut self, error: String) {
        self.failed.get_or_insert(error);
    }

    /// Marks it failed by a request to its server, unless it had already: the reason names the
    /// server, and the next step: the one the error gives (a key to replace, a permission to grant),
    /// or the next run, which tries again.
    pub fn fail_request(&mut self, error: &ApiError) {
        let server = self
            .client()
            .map(|c| c.site().as_str().trim_end_matches('/').to_string())
            .unwrap_or_else(|| "its server".to_string());
        let own_fix = matches!(error.status(), Some(401 | 403))
            || matches!(
                error.kind,
                ApiErrorKind::Setup(_) | ApiErrorKind::WrongScheme { .. }
            );
        let next = if own_fix {
            ""
        } else {
            "; the next run tries again"
        };
        self.fail(format!("at {server}: {error}{next}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed_by(kind: ApiErrorKind) -> String {
        let slot = Slot {
            name: "bob".into(),
            account: Err("not connected".into()),
        };
        let mut run = AccountRun::new(&slot);
        run.failed = None;
        run.fail_request(&ApiError::new("POST /api/search/metadata", kind));
        run.failed.expect("failed")
    }

    #[test]
    fn a_failed_request_names_the_server_and_says_the_next_run_tries_again_unless_a_person_must_act()
     {
        let status = |status| ApiErrorKind::Status {
            status,
            message: "no".into(),
            correlation_id: None,
        };
        for (kind, retried) in [
            (status(500), true),
            (status(502), true),
            (
                ApiErrorKind::Transport {
                    message: "reset".into(),
                    timeout: false,
                },
                true,
            ),
            (status(401), false),
            (status(403), false),
            (ApiErrorKind::Setup("no CA certificates".into()), false),
        ] {
            let said = failed_by(kind);
            assert!(
                said.starts_with("at its server: POST /api/search/metadata"),
                "{said}"
            );
            assert_eq!(
                said.ends_with("; the next run tries again"),
                retried,
                "{said}"
            );
        }
    }

    #[test]
    fn the_first_failure_is_the_one_kept() {
        let slot = Slot {
            name: "bob".into(),
            account: Err("bob's key is not set".into()),
        };
        let mut run = AccountRun::new(&slot);
        run.fail("later".into());
        assert_eq!(run.failed.as_deref(), Some("bob's key is not set"));
        assert!(run.live().is_none());
    }
}

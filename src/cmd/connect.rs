//! Connecting a job file's accounts, once per run, concurrently: each account's key read from its
//! source, its server's version asked, its user known; an account that cannot be connected fails alone,
//! and why says its server and what to do next.

use std::collections::HashMap;
use std::sync::Arc;

use futures::future::join_all;
use tokio::sync::Semaphore;

use url::Url;

use crate::immich::{ApiError, ApiErrorKind, Client};
use crate::job::Account;
use crate::profile;

use super::jobfile::Loaded;

/// The accounts of a job file, by name: connected, or why not.
pub type Connected = HashMap<String, Result<Account, String>>;

/// Connects every account the selected jobs need, once each, concurrently. Keys are read first, so a
/// missing key is an input error before any request.
pub async fn connect(
    loaded: &Loaded,
    job: Option<&str>,
) -> anyhow::Result<HashMap<String, Result<Account, String>>> {
    let jobs = loaded.file.select(job)?;
    let mut needed: Vec<&profile::ProfileAccount> = Vec::new();
    for spec in &jobs {
        for account in &loaded.profile.accounts {
            let wanted = spec
                .accounts
                .as_ref()
                .is_none_or(|names| names.contains(&account.name));
            if wanted && !needed.iter().any(|a| a.name == account.name) {
                needed.push(account);
            }
        }
    }
    let mut prepared = Vec::new();
    for account in needed {
        let server = account.server_url()?;
        let key = account
            .read_api_key(loaded.settings.key_command_timeout)
            .await?;
        prepared.push((account.name.clone(), server, key));
    }
    let mut limiters: HashMap<String, Arc<Semaphore>> = HashMap::new();
    for (_, server, _) in &prepared {
        limiters
            .entry(server.site.to_string())
            .or_insert_with(|| crate::job::account::limiter(loaded.settings.max_in_flight));
    }
    let options = loaded.settings.client_options();
    let profile = profile_arg(loaded);
    let connected = join_all(prepared.into_iter().map(|(name, server, key)| {
        let limiter = limiters[&server.site.to_string()].clone();
        let options = options.clone();
        let profile = &profile;
        async move {
            let account = async {
                let failed = |error: ApiError| failure(&name, &server.site, profile, &error);
                // The one place a job's client gets its server's in-flight limit.
                let client = Client::connect(&server, key, &options)
                    .await
                    .map_err(failed)?
                    .with_limiter(limiter);
                let user = client.me().await.map_err(failed)?;
                Ok(Account {
                    name: name.clone(),
                    client,
                    user,
                })
            }
            .await;
            (name, account)
        }
    }))
    .await;
    Ok(connected.into_iter().collect())
}

/// The profile as `profiles test` takes it: its name, or its path when the job file gave a path.
fn profile_arg(loaded: &Loaded) -> String {
    if profile::is_path(&loaded.file.profile) {
        loaded.profile.path.display().to_string()
    } else {
        loaded.file.profile.clone()
    }
}

/// Why an account could not be connected, for every line that reports it: the server, what went
/// wrong, and the next step (the key or the server to check, with `profiles test`, which says more).
fn failure(name: &str, site: &Url, profile: &str, error: &ApiError) -> String {
    let test = format!("`immich-smart-albums profiles test {profile}`");
    let next = if error.wrong_scheme().is_some() {
        format!("change {name}'s `server:` in profile {profile}, then check it with {test}")
    } else {
        match (&error.kind, error.status()) {
            (_, Some(401 | 403)) => format!("check {name}'s key with {test}"),
            (ApiErrorKind::Transport { .. }, _) => format!(
                "check that the server is up and reachable from here, and {name}'s `server:` in \
                 profile {profile}; {test} checks both"
            ),
            _ => format!("{test} checks {name}'s server and key"),
        }
    };
    format!(
        "connecting to {}: {error}; {next}",
        site.as_str().trim_end_matches('/')
    )
}

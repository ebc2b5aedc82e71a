//! Connecting a job file's accounts, once per run, concurrently: each account's key read from its
//! source, its server's version asked, its user known; an account that cannot be connected fails alone.

use std::collections::HashMap;
use std::sync::Arc;

use futures::future::join_all;
use tokio::sync::Semaphore;

use crate::immich::Client;
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
    let connected = join_all(prepared.into_iter().map(|(name, server, key)| {
        let limiter = limiters[&server.site.to_string()].clone();
        let options = options.clone();
        async move {
            let account = async {
                // The one place a job's client gets its server's in-flight limit.
                let client = Client::connect(&server, key, &options)
                    .await
                    .map_err(|e| e.to_string())?
                    .with_limiter(limiter);
                let user = client.me().await.map_err(|e| e.to_string())?;
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

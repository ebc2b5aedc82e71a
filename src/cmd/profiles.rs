//! `immich-smart-albums profiles …`: add (check a key against its server, store it, record the
//! account), list, show, test and remove. What they print goes through [`crate::output::profiles`];
//! what they write goes through `profile/store.rs`; keys are read and kept by `profile/keys.rs`. Key reads, the key prompt and keyring
//! calls block, so they run off the async runtime ([`keys::off_runtime`]): an interrupt is noticed
//! while they wait.

use std::io::Read;
use std::path::{Path, PathBuf};

use futures::future::join_all;

use crate::cli::{GlobalArgs, ProfilesAddArgs, ProfilesArgs, ProfilesCommand, ProfilesRemoveArgs};
use crate::error::{InputError, Status, input_error};
use crate::immich::{Client, NEEDED_PERMISSIONS, ServerUrl, User};
use crate::output;
use crate::output::profiles::{AccountShown, AccountTested, KeyCheck, ProfileListing};
use crate::profile::keys::{self, KeyringStatus};
use crate::profile::store;
use crate::profile::{
    AccountFile, KeySource, Profile, ProfileAccount, check_name, is_path, merge_settings,
    process_env, profiles_dir, resolve_profile_path,
};
use crate::secret::ApiKey;

/// Runs a `profiles` subcommand; returns the exit code.
pub async fn profiles(args: &ProfilesArgs, global: &GlobalArgs) -> anyhow::Result<Status> {
    let cwd = std::env::current_dir()?;
    let mut out = output::stdout();
    match &args.command {
        ProfilesCommand::Add(add_args) => add(add_args, global, &cwd, &mut out).await,
        ProfilesCommand::List => list(&mut out),
        ProfilesCommand::Show(profile) => show(&profile.profile, global, &cwd, &mut out).await,
        ProfilesCommand::Test(profile) => test(&profile.profile, global, &cwd, &mut out).await,
        ProfilesCommand::Remove(remove_args) => remove(remove_args, &cwd, &mut out).await,
    }
}

/// Where `profiles add` keeps the key.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Store {
    Keyring,
    File(PathBuf),
}

fn parse_store(text: &str, cwd: &Path) -> Result<Store, InputError> {
    if text == "keyring" {
        return Ok(Store::Keyring);
    }
    match text.strip_prefix("file:") {
        Some(path) if !path.trim().is_empty() => Ok(Store::File(cwd.join(path.trim()))),
        _ => Err(InputError::new(format!(
            "--store `{text}`: expected `keyring` or `file:PATH` (e.g. file:/etc/immich/bob.key)"
        ))),
    }
}

/// `Name <email>`, or whichever of the two the server gave.
fn describe_user(user: &User) -> String {
    match (user.name.trim(), user.email.trim()) {
        ("", "") => format!("user {}", user.id),
        (name, "") => name.to_string(),
        ("", email) => email.to_string(),
        (name, email) => format!("{name} <{email}>"),
    }
}

/// The profile's name as the user gave it, for commands suggested in messages.
fn profile_arg(name_or_path: &str, path: &Path) -> String {
    if is_path(name_or_path) {
        path.display().to_string()
    } else {
        name_or_path.to_string()
    }
}

fn profile_name(path: &Path) -> String {
    path.file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Reads the key: from stdin with `--api-key-stdin`, else from the terminal without echo. Ctrl-C at
/// the prompt is an interrupt (the prompt passes it on as SIGINT), never a wrong key.
async fn read_key(args: &ProfilesAddArgs) -> anyhow::Result<ApiKey> {
    let args = args.clone();
    keys::off_runtime(move || read_key_blocking(&args)).await
}

fn read_key_blocking(args: &ProfilesAddArgs) -> anyhow::Result<ApiKey> {
    let text = if args.api_key_stdin {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|error| input_error(format!("--api-key-stdin: reading stdin: {error}")))?;
        text
    } else {
        rpassword::prompt_password(format!(
            "API key for {} on {} (input is hidden): ",
            args.account,
            args.server.trim()
        ))
        .map_err(|error| {
            if error.kind() == std::io::ErrorKind::Interrupted {
                anyhow::Error::new(crate::error::Interrupted::ctrl_c())
            } else {
                input_error(format!(
                    "could not read the API key from the terminal ({error}); pipe it in with \
                     --api-key-stdin instead"
                ))
            }
        })?
    };
    ApiKey::new(text).ok_or_else(|| {
        input_error("the API key is empty (create one in Immich under Account Settings > API Keys)")
    })
}

async fn add(
    args: &ProfilesAddArgs,
    global: &GlobalArgs,
    cwd: &Path,
    out: &mut impl std::io::Write,
) -> anyhow::Result<Status> {
    if !is_path(&args.profile) {
        check_name("profile", &args.profile)?;
    }
    check_name("account", &args.account)?;
    let path = resolve_profile_path(&args.profile, cwd);
    let name = profile_name(&path);
    check_name("profile", &name)?;
    let server = ServerUrl::parse(&args.server)
        .map_err(|message| input_error(format!("--server: {message}")))?;
    let store_to = parse_store(&args.store, cwd)?;
    let mut file = store::read_for_update(&path)?;
    let settings = merge_settings(global, &process_env, Some(&file.settings()))?;

    // A host without a keyring should hear so before it is asked for a key.
    let status = if store_to == Store::Keyring {
        let (name, account) = (name.clone(), args.account.clone());
        keys::off_runtime(move || keys::keyring_status_for(&name, &account)).await
    } else {
        KeyringStatus::Available
    };
    if let KeyringStatus::Unavailable(reason) = status {
        return Err(input_error(keys::no_keyring_help(
            &reason,
            &profile_arg(&args.profile, &path),
            &args.account,
            args.server.trim(),
        )));
    }

    let key = read_key(args).await?;
    let site = server.site.as_str().trim_end_matches('/').to_string();
    let client = Client::connect(&server, key.clone(), &settings.client_options()).await?;
    let version = client.version();
    let user = client.me().await?;
    let info = client.api_key_info().await?;
    let missing = info.missing(NEEDED_PERMISSIONS);
    output::profiles::key_check(
        out,
        &KeyCheck {
            account: &args.account,
            server: &site,
            version: version.to_string(),
            user: describe_user(&user),
            key_name: &info.name,
            missing: &missing,
        },
    )?;
    if !missing.is_empty() && !args.force {
        return Err(input_error(format!(
            "the key lacks {} permission{} that jobs need: {}; nothing was stored. Edit the key in \
             Immich under Account Settings > API Keys and grant them, or give --force to store it \
             anyway",
            missing.len(),
            if missing.len() == 1 { "" } else { "s" },
            missing.join(", ")
        )));
    }

    let mut account = AccountFile {
        server: args.server.trim().to_string(),
        ..AccountFile::default()
    };
    let key_place = match &store_to {
        Store::Keyring => {
            let (profile, account, stored) = (name.clone(), args.account.clone(), key.clone());
            keys::off_runtime(move || keys::store_in_keyring(&profile, &account, &stored))
                .await
                .map_err(|reason| {
                    input_error(keys::no_keyring_help(
                        &reason,
                        &profile_arg(&args.profile, &path),
                        &args.account,
                        args.server.trim(),
                    ))
                })?;
            format!(
                "the OS keyring (service {}, user {})",
                crate::profile::KEYRING_SERVICE,
                crate::profile::keyring_user(&name, &args.account)
            )
        }
        Store::File(key_path) => {
            store::write_key_file(key_path, &key)?;
            account.api_key_file = Some(key_path.clone());
            format!("{} (mode 0600)", key_path.display())
        }
    };
    let replaced = file
        .accounts
        .insert(args.account.clone(), account)
        .is_some();
    store::write_profile(&path, &file)?;
    output::profiles::account_added(
        out,
        &args.account,
        &name,
        &path.display().to_string(),
        &key_place,
        replaced,
    )?;
    Ok(Status::Ok)
}

fn list(out: &mut impl std::io::Write) -> anyhow::Result<Status> {
    let dir = profiles_dir();
    let mut profiles = Vec::new();
    match std::fs::read_dir(&dir) {
        Ok(entries) => {
            for entry in entries {
                let path = entry?.path();
                if path.extension().and_then(|e| e.to_str()) != Some("yaml") {
                    continue;
                }
                let accounts = std::fs::read_to_string(&path)
                    .map_err(|error| error.to_string())
                    .and_then(|text| Profile::parse(&text, &path).map_err(|e| e.to_string()))
                    .map(|profile| profile.accounts.into_iter().map(|a| a.name).collect());
                profiles.push(ProfileListing {
                    name: profile_name(&path),
                    accounts,
                });
            }
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => anyhow::bail!("reading {}: {error}", dir.display()),
    }
    profiles.sort_by(|a, b| a.name.cmp(&b.name));
    output::profiles::profile_list(out, &dir.display().to_string(), &profiles)?;
    Ok(Status::Ok)
}

fn settings_of(profile: &Profile) -> Vec<(&'static str, String)> {
    let settings = &profile.settings;
    let mut shown = Vec::new();
    if let Some(value) = settings.timeout {
        shown.push(("timeout", format!("{value} s")));
    }
    if let Some(value) = settings.connect_timeout {
        shown.push(("connect_timeout", format!("{value} s")));
    }
    if let Some(value) = settings.max_in_flight {
        shown.push(("max_in_flight", value.to_string()));
    }
    if let Some(value) = settings.key_command_timeout {
        shown.push(("key_command_timeout", format!("{value} s")));
    }
    if let Some(value) = settings.stale_lock_after {
        shown.push(("stale_lock_after", format!("{value} s")));
    }
    if let Some(value) = settings.attempts {
        shown.push(("attempts", value.to_string()));
    }
    if let Some(notify) = &profile.notify {
        shown.extend(notify.channels());
    }
    shown
}

async fn show(
    name_or_path: &str,
    global: &GlobalArgs,
    cwd: &Path,
    out: &mut impl std::io::Write,
) -> anyhow::Result<Status> {
    let profile = Profile::load(name_or_path, cwd)?;
    let settings = merge_settings(global, &process_env, Some(&profile.settings))?;
    let mut accounts: Vec<AccountShown> = Vec::new();
    for account in &profile.accounts {
        let key = account.read_api_key(settings.key_command_timeout).await;
        accounts.push(AccountShown {
            name: account.name.clone(),
            server: account.server.clone(),
            key_source: account.key_source.to_string(),
            key: key.map(drop).map_err(|error| format!("{error:#}")),
        });
    }
    output::profiles::profile_shown(
        out,
        &profile.name,
        &profile.path.display().to_string(),
        &settings_of(&profile),
        &accounts,
    )?;
    Ok(Status::Ok)
}

/// Tests one account: key, server, version, user, permissions. Never fails; what went wrong is in
/// the result.
async fn test_account(
    account: &ProfileAccount,
    settings: &crate::profile::Settings,
    needed: &[&str],
) -> AccountTested {
    let options = &settings.client_options();
    let mut tested = AccountTested {
        name: account.name.clone(),
        server: account.server.clone(),
        contacted: false,
        version: None,
        user: None,
        missing: None,
        error: None,
    };
    let server = match account.server_url() {
        Ok(server) => server,
        Err(error) => {
            tested.error = Some(error.to_string());
            return tested;
        }
    };
    let key = match account.read_api_key(settings.key_command_timeout).await {
        Ok(key) => key,
        Err(error) => {
            tested.error = Some(format!("{error:#}"));
            return tested;
        }
    };
    tested.contacted = true;
    let result: Result<(), crate::immich::ApiError> = async {
        let client = Client::connect(&server, key, options).await?;
        tested.version = Some(client.version().to_string());
        tested.user = Some(describe_user(&client.me().await?));
        let info = client.api_key_info().await?;
        tested.missing = Some(
            info.missing(needed)
                .into_iter()
                .map(str::to_string)
                .collect(),
        );
        Ok(())
    }
    .await;
    if let Err(error) = result {
        tested.error = Some(error.to_string());
    }
    tested
}

async fn test(
    name_or_path: &str,
    global: &GlobalArgs,
    cwd: &Path,
    out: &mut impl std::io::Write,
) -> anyhow::Result<Status> {
    let profile = Profile::load(name_or_path, cwd)?;
    let settings = merge_settings(global, &process_env, Some(&profile.settings))?;
    // Accounts on more than one server: a job may copy between them (`across_servers: copy`), which
    // needs downloads from every server and uploads to the album's.
    let mut sites: Vec<String> = profile
        .accounts
        .iter()
        .filter_map(|a| a.server_url().ok())
        .map(|s| s.site.to_string())
        .collect();
    sites.sort();
    sites.dedup();
    let needed: Vec<&str> = if sites.len() > 1 {
        NEEDED_PERMISSIONS
            .iter()
            .copied()
            .chain(["asset.download", "asset.upload"])
            .collect()
    } else {
        NEEDED_PERMISSIONS.to_vec()
    };
    let results = join_all(
        profile
            .accounts
            .iter()
            .map(|account| test_account(account, &settings, &needed)),
    )
    .await;
    output::profiles::profile_tested(
        out,
        &profile.name,
        &profile.path.display().to_string(),
        &results,
    )?;
    Ok(if results.iter().all(AccountTested::passed) {
        Status::Ok
    } else {
        Status::Failure
    })
}

/// Deletes an account's keyring entry, if its key lives there; says what happened.
async fn forget_key(account: &ProfileAccount) -> String {
    match &account.key_source {
        KeySource::Keyring { user, .. } => {
            let (profile, name) = (account.profile.clone(), account.name.clone());
            match keys::off_runtime(move || keys::delete_from_keyring(&profile, &name)).await {
                Ok(true) => format!(
                    "Deleted the keyring entry {user} of account {}.",
                    account.name
                ),
                Ok(false) => format!("Account {} had no keyring entry.", account.name),
                Err(reason) => {
                    tracing::warn!(
                        "could not delete the keyring entry {user} of account {}: {reason}",
                        account.name
                    );
                    format!(
                        "The keyring entry {user} of account {} could not be deleted (see the warning).",
                        account.name
                    )
                }
            }
        }
        KeySource::File(path) => format!(
            "The key file {} of account {} was left in place; delete it if no longer needed.",
            path.display(),
            account.name
        ),
        KeySource::Env(_) | KeySource::Command(_) => String::new(),
    }
}

async fn remove(
    args: &ProfilesRemoveArgs,
    cwd: &Path,
    out: &mut impl std::io::Write,
) -> anyhow::Result<Status> {
    let profile = Profile::load(&args.profile, cwd)?;
    let mut lines = Vec::new();
    match &args.account {
        Some(name) => {
            let Some(account) = profile.account(name) else {
                let names: Vec<&str> = profile.accounts.iter().map(|a| a.name.as_str()).collect();
                return Err(input_error(format!(
                    "profile {}: no account `{name}` (it has: {})",
                    profile.path.display(),
                    if names.is_empty() {
                        "none".to_string()
                    } else {
                        names.join(", ")
                    }
                )));
            };
            let mut file = store::read_for_update(&profile.path)?;
            file.accounts.shift_remove(name);
            lines.push(forget_key(account).await);
            store::write_profile(&profile.path, &file)?;
            lines.push(format!(
                "Removed account {name} from profile {} ({}).",
                profile.name,
                profile.path.display()
            ));
        }
        None => {
            for account in &profile.accounts {
                lines.push(forget_key(account).await);
            }
            std::fs::remove_file(&profile.path)
                .map_err(|error| anyhow::anyhow!("removing {}: {error}", profile.path.display()))?;
            lines.push(format!(
                "Removed profile {} ({}).",
                profile.name,
                profile.path.display()
            ));
        }
    }
    lines.retain(|line| !line.is_empty());
    output::profiles::removed(out, &lines)?;
    Ok(Status::Ok)
}

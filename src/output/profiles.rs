//! What `profiles` prints: the list, one profile shown, a key's check, what was added and removed.

use std::io::{self, Write};

/// What `profiles add` found out about a key before storing it.
pub struct KeyCheck<'a> {
    pub account: &'a str,
    pub server: &'a str,
    pub version: String,
    /// `Name <email>` of the key's user.
    pub user: String,
    pub key_name: &'a str,
    pub missing: &'a [&'a str],
}

/// The user a key belongs to and the permissions it lacks (never the key).
pub fn key_check(out: &mut impl Write, check: &KeyCheck<'_>) -> io::Result<()> {
    writeln!(
        out,
        "Account {} on {} (Immich {}): the key \"{}\" belongs to {}",
        check.account, check.server, check.version, check.key_name, check.user
    )?;
    if check.missing.is_empty() {
        writeln!(out, "  permissions: everything jobs need")
    } else {
        writeln!(
            out,
            "  missing permissions: {} (jobs that need them will fail)",
            check.missing.join(", ")
        )
    }
}

/// `profiles add` is done: where the key went and which file holds the account.
pub fn account_added(
    out: &mut impl Write,
    account: &str,
    profile: &str,
    profile_path: &str,
    key_place: &str,
    replaced: bool,
) -> io::Result<()> {
    writeln!(out, "Stored the key in {key_place}.")?;
    let verb = if replaced { "Updated" } else { "Added" };
    writeln!(
        out,
        "{verb} account {account} in profile {profile} ({profile_path})."
    )
}

/// One line of `profiles list`: a profile and its accounts, or why its file could not be read.
pub struct ProfileListing {
    pub name: String,
    pub accounts: Result<Vec<String>, String>,
}

/// `profiles list`.
pub fn profile_list(
    out: &mut impl Write,
    dir: &str,
    profiles: &[ProfileListing],
) -> io::Result<()> {
    if profiles.is_empty() {
        writeln!(out, "No profiles in {dir}.")?;
        return writeln!(
            out,
            "Add one with: immich-smart-albums profiles add NAME ACCOUNT --server URL"
        );
    }
    writeln!(out, "Profiles in {dir}:")?;
    let width = profiles.iter().map(|p| p.name.len()).max().unwrap_or(0);
    for profile in profiles {
        match &profile.accounts {
            Ok(accounts) if accounts.is_empty() => {
                writeln!(out, "  {:<width$}  (no accounts)", profile.name)?
            }
            Ok(accounts) => writeln!(
                out,
                "  {:<width$}  {}: {}",
                profile.name,
                super::count(accounts.len(), "account"),
                accounts.join(", ")
            )?,
            Err(problem) => writeln!(out, "  {:<width$}  unreadable: {problem}", profile.name)?,
        }
    }
    Ok(())
}

/// One account in `profiles show`.
pub struct AccountShown {
    pub name: String,
    pub server: String,
    pub key_source: String,
    /// `Ok(())` when the key is found, else why not.
    pub key: Result<(), String>,
}

/// `profiles show`: the settings the profile sets, then each account, its key source and whether the
/// key is found (never the key).
pub fn profile_shown(
    out: &mut impl Write,
    name: &str,
    path: &str,
    settings: &[(&str, String)],
    accounts: &[AccountShown],
) -> io::Result<()> {
    writeln!(out, "Profile {name} ({path})")?;
    if settings.is_empty() {
        writeln!(
            out,
            "  settings: none (defaults, environment and flags apply)"
        )?;
    } else {
        let text: Vec<String> = settings.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        writeln!(out, "  settings: {}", text.join(", "))?;
    }
    if accounts.is_empty() {
        writeln!(out, "  no accounts")?;
    }
    for account in accounts {
        writeln!(out, "  account {}", account.name)?;
        writeln!(out, "    server: {}", account.server)?;
        writeln!(out, "    key source: {}", account.key_source)?;
        match &account.key {
            Ok(()) => writeln!(out, "    key: found")?,
            Err(why) => writeln!(out, "    key: NOT FOUND: {why}")?,
        }
    }
    Ok(())
}

/// The outcome of `profiles test` for one account.
pub struct AccountTested {
    pub name: String,
    pub server: String,
    /// Whether the server was asked at all (not when the key or URL was missing).
    pub contacted: bool,
    /// The server version, when it answered.
    pub version: Option<String>,
    /// `Name <email>` of the key's user, when the key was accepted.
    pub user: Option<String>,
    /// Needed permissions the key lacks, when they could be read.
    pub missing: Option<Vec<String>>,
    /// What failed, if anything.
    pub error: Option<String>,
}

impl AccountTested {
    /// Passed: the key was accepted and has every needed permission.
    pub fn passed(&self) -> bool {
        self.error.is_none() && self.missing.as_ref().is_some_and(Vec::is_empty)
    }
}

/// `profiles test`: a block per account, then how many failed.
pub fn profile_tested(
    out: &mut impl Write,
    name: &str,
    path: &str,
    accounts: &[AccountTested],
) -> io::Result<()> {
    writeln!(out, "Profile {name} ({path})")?;
    for account in accounts {
        let verdict = if account.passed() { "ok" } else { "FAILED" };
        writeln!(out, "  account {}: {verdict}", account.name)?;
        writeln!(out, "    server: {}", account.server)?;
        match (&account.version, account.contacted) {
            (Some(version), _) => writeln!(out, "    reachable: yes, Immich {version}")?,
            (None, true) => writeln!(out, "    reachable: no")?,
            (None, false) => writeln!(out, "    reachable: not tried")?,
        }
        if let Some(user) = &account.user {
            writeln!(out, "    user: {user}")?;
        }
        match account.missing.as_deref() {
            Some([]) => writeln!(out, "    permissions: everything jobs need")?,
            Some(missing) => writeln!(out, "    missing permissions: {}", missing.join(", "))?,
            None => {}
        }
        if let Some(error) = &account.error {
            writeln!(out, "    error: {error}")?;
        }
    }
    let failed = accounts.iter().filter(|a| !a.passed()).count();
    match (failed, accounts.len()) {
        (0, 1) => writeln!(out, "The account passed."),
        (0, n) => writeln!(out, "All {n} accounts passed."),
        (failed, n) => writeln!(out, "{failed} of {} failed.", super::count(n, "account")),
    }
}

/// `profiles remove`: what was removed, one line each.
pub fn removed(out: &mut impl Write, lines: &[String]) -> io::Result<()> {
    for line in lines {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tested(name: &str, passed: bool) -> AccountTested {
        AccountTested {
            name: name.into(),
            server: "https://photos.example.com".into(),
            contacted: true,
            version: Some("3.1.0".into()),
            user: Some(format!("{name} <{name}@example.com>")),
            missing: Some(Vec::new()),
            error: (!passed).then(|| "GET /api/users/me answered 401: Invalid API key".into()),
        }
    }

    fn last_line(accounts: &[AccountTested]) -> String {
        let mut out = Vec::new();
        profile_tested(&mut out, "family", "/p/family.yaml", accounts).unwrap();
        let text = String::from_utf8(out).unwrap();
        text.lines().last().unwrap().to_string()
    }

    #[test]
    fn the_verdict_counts_one_account_and_several() {
        assert_eq!(last_line(&[tested("alice", true)]), "The account passed.");
        assert_eq!(
            last_line(&[tested("alice", true), tested("bob", true)]),
            "All 2 accounts passed."
        );
        assert_eq!(
            last_line(&[tested("alice", false)]),
            "1 of 1 account failed."
        );
        assert_eq!(
            last_line(&[tested("alice", true), tested("bob", false)]),
            "1 of 2 accounts failed."
        );
    }
}

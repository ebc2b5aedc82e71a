//! Writing what `profiles add` and `profiles remove` change: the profile file (created with its
//! directory when needed) and key files (mode 0600). A profile file is rewritten whole from its parsed
//! form, so the order of accounts is kept but comments are not.

use std::io::Write;
use std::path::Path;

use super::{ProfileFile, parse_file};
use crate::error::InputError;
use crate::secret::ApiKey;

const HEADER: &str = "# immich-smart-albums profile: the accounts of one family. API keys are not kept \
here;\n# see docs/profiles.md for key sources (api_key_env, api_key_file, api_key_command, keyring).\n";

/// Reads a profile file for changing it; a file that does not exist yet is an empty profile.
pub(crate) fn read_for_update(path: &Path) -> Result<ProfileFile, InputError> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse_file(&text, path),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(ProfileFile::default()),
        Err(error) => Err(InputError::new(format!(
            "profile {}: {error}",
            path.display()
        ))),
    }
}

/// Writes a profile file, creating its directory; replaces the old file only once the new one is
/// complete.
pub(crate) fn write_profile(path: &Path, file: &ProfileFile) -> anyhow::Result<()> {
    let yaml = serde_saphyr::to_string(file)
        .map_err(|error| anyhow::anyhow!("profile {}: {error}", path.display()))?;
    let text = format!("{HEADER}{yaml}");
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|error| {
            anyhow::anyhow!("creating the profile directory {}: {error}", dir.display())
        })?;
    }
    let temporary = path.with_extension("yaml.tmp");
    std::fs::write(&temporary, text)
        .map_err(|error| anyhow::anyhow!("writing {}: {error}", temporary.display()))?;
    std::fs::rename(&temporary, path)
        .map_err(|error| anyhow::anyhow!("writing {}: {error}", path.display()))?;
    Ok(())
}

/// Writes a key file readable only by its owner (mode 0600 on unix, also when the file existed).
pub(crate) fn write_key_file(path: &Path, key: &ApiKey) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|error| {
            anyhow::anyhow!(
                "creating the key file's directory {}: {error}",
                dir.display()
            )
        })?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|error| anyhow::anyhow!("key file {}: {error}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|error| anyhow::anyhow!("key file {}: {error}", path.display()))?;
    }
    writeln!(file, "{}", key.expose())
        .map_err(|error| anyhow::anyhow!("key file {}: {error}", path.display()))?;
    Ok(())
}

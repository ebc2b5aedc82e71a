//! Writing what `profiles add` and `profiles remove` change: the profile file (created with its
//! directory when needed) and key files (mode 0600). A profile file is rewritten whole from its parsed
//! form, so the order of accounts is kept but comments are not.

use std::path::Path;

use super::{ProfileFile, parse_file};
use crate::error::InputError;
use crate::files::{Access, write_whole};
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
    write_whole(path, text.as_bytes(), Access::Normal)
        .map_err(|error| anyhow::anyhow!("writing profile {}: {error}", path.display()))
}

/// Writes a key file readable only by its owner (mode 0600 on unix, also when the file existed).
pub(crate) fn write_key_file(path: &Path, key: &ApiKey) -> anyhow::Result<()> {
    let text = format!("{}\n", key.expose());
    write_whole(path, text.as_bytes(), Access::Private)
        .map_err(|error| anyhow::anyhow!("key file {}: {error}", path.display()))
}

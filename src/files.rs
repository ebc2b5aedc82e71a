//! Writing local files whole. Every file the tool writes (profiles, key files, reports given with
//! `--output`, the demo's copies) goes through [`write_whole`]: the content goes to a temporary file
//! beside the target, which then replaces it in one rename. An interrupt or a crash leaves either the
//! old file or the new one, never half of one.

use std::io::Write;
use std::path::Path;

/// Who may read the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// As the umask allows.
    Normal,
    /// The owner only (mode 0600 on Unix), for key files; set before any byte is written.
    Private,
}

/// Writes `content` to `path` whole, creating the parent directory when needed.
pub fn write_whole(path: &Path, content: &[u8], access: Access) -> std::io::Result<()> {
    let dir = match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            dir
        }
        None => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".").suffix(".tmp");
    // tempfile creates owner-only files; a normal file gets what the umask allows, as `File::create`.
    #[cfg(unix)]
    if access == Access::Normal {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    #[cfg(not(unix))]
    let _ = access;
    // Removed again when dropped on any error below.
    let mut temporary = builder.tempfile_in(dir)?;
    temporary.write_all(content)?;
    temporary.as_file().sync_all()?;
    temporary.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_file_whole_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/report.html");
        write_whole(&path, b"first", Access::Normal).unwrap();
        write_whole(&path, b"second", Access::Normal).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file is left behind");
    }

    #[cfg(unix)]
    #[test]
    fn private_files_are_readable_by_their_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_whole(&path, b"new", Access::Private).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

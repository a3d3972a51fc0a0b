//! Atomic file output: write to a temporary file beside the target, then rename, so an
//! interrupted or failed write never leaves half a file or truncates an existing one.

use crate::error::{Error, Result};
use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` atomically.
pub fn write_atomic(path: &str, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |f| f.write_all(bytes))
}

/// Calls `fill` with a temporary file beside `path` and renames it over `path` on success.
pub fn write_atomic_with(path: &str, fill: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>) -> Result<()> {
    let target = Path::new(path);
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(Error::io(
            path,
            format!(
                "cannot write: folder '{}' does not exist; create it first",
                dir.display()
            ),
        ));
    }
    let name = target
        .file_name()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    if name.is_empty() {
        return Err(Error::io(path, "cannot write: the path names a folder, not a file"));
    }
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        fill(&mut f)?;
        f.sync_all()?;
        std::fs::rename(&tmp, target)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io(path, format!("cannot write: {e}")));
    }
    Ok(())
}

/// Reads the whole file `path`; a missing file or a folder is an error saying what to check.
pub fn read_file(path: &str) -> Result<Vec<u8>> {
    let p = Path::new(path);
    if p.is_dir() {
        return Err(Error::io(
            path,
            "is a folder, not a file; give the path of the file to read",
        ));
    }
    std::fs::read(p).map_err(|e| {
        Error::io(
            path,
            match e.kind() {
                std::io::ErrorKind::NotFound => {
                    let cwd = std::env::current_dir()
                        .map(|d| d.display().to_string())
                        .unwrap_or_default();
                    format!("file not found; check the path (relative paths start from the current directory {cwd})")
                }
                std::io::ErrorKind::PermissionDenied => "permission denied; check the file's access rights".into(),
                _ => format!("cannot read: {e}"),
            },
        )
    })
}

/// Reads the file `path` as UTF-8 text (see [`read_file`]); a leading byte-order mark is skipped.
pub fn read_text(path: &str) -> Result<String> {
    let mut bytes = read_file(path)?;
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        Error::Parse {
            path: path.to_string(),
            line: valid.iter().filter(|&&b| b == b'\n').count() as u64 + 1,
            column: 1,
            message: "not valid UTF-8 text; save the file as UTF-8".into(),
        }
    })
}

/// Creates `dir` and its parents if missing.
pub fn ensure_dir(dir: &str) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, format!("cannot create folder: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_write_keeps_old_file() {
        let dir = std::env::temp_dir().join(format!("spill_io_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("a.txt");
        let ps = p.to_str().unwrap();
        write_atomic(ps, b"old").unwrap();
        let r = write_atomic_with(ps, |f| {
            f.write_all(b"half")?;
            Err(std::io::Error::other("boom"))
        });
        assert!(r.is_err());
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "old");
        assert!(write_atomic(dir.join("nope/x.txt").to_str().unwrap(), b"x").is_err());
        std::fs::remove_dir_all(&dir).ok();
    }
}

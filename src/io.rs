//! Atomic file output: write to a temporary file beside the target, then rename, so an
//! interrupted or failed write never leaves half a file or truncates an existing one.

use crate::error::{Error, Result};
use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` atomically.
pub fn write_atomic(path: &str, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |f| f.write_all(bytes))
}

/// Prefix of the temporary files of a save of `name`: `.NAME.spillover-tmp-`, followed by the
/// process id and a counter.
fn temp_prefix(name: &str) -> String {
    format!(".{name}.spillover-tmp-")
}

/// True when process `pid` may still be running (it may be writing its temporary file). On
/// systems without `/proc`, temporary files younger than an hour count as in use.
fn writer_alive(pid: u32, file: &Path) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let proc_root = Path::new("/proc");
    if proc_root.join("self").exists() {
        return proc_root.join(pid.to_string()).exists();
    }
    std::fs::symlink_metadata(file)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_none_or(|age| age < std::time::Duration::from_secs(3600))
}

/// Removes the temporary files that earlier saves of `name` in `dir` left behind when they were
/// killed (their process is gone). Symbolic links are removed, never followed.
fn remove_stale_temps(dir: &Path, name: &str) {
    let prefix = temp_prefix(name);
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let file = e.file_name().to_string_lossy().to_string();
        let Some(rest) = file.strip_prefix(&prefix) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if !writer_alive(pid, &e.path()) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Creates a new temporary file `.NAME.spillover-tmp-PID-K` in `dir`, exclusively (an existing
/// file or symbolic link of that name is never opened or followed: the next K is tried).
fn create_temp(dir: &Path, name: &str) -> std::io::Result<(std::path::PathBuf, std::fs::File)> {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let mut last = None;
    for _ in 0..64 {
        let k = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = dir.join(format!("{}{}-{k}", temp_prefix(name), std::process::id()));
        match std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free temporary file name")))
}

/// Calls `fill` with a new temporary file beside `path` and renames it over `path` on success:
/// the one way every writer of spillover writes a file. The temporary file is created
/// exclusively under a unique name (`.NAME.spillover-tmp-PID-K`, never through a symbolic
/// link); temporary files of earlier, killed saves of the same target are removed.
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
    remove_stale_temps(&dir, &name);
    let (tmp, mut f) = create_temp(&dir, &name).map_err(|e| Error::io(path, format!("cannot write: {e}")))?;
    let result = (|| -> std::io::Result<()> {
        fill(&mut f)?;
        f.sync_all()?;
        drop(f);
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

/// Lower-case extension of a path ("" if none).
pub fn extension(path: &str) -> String {
    std::path::Path::new(path)
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default()
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

    #[test]
    fn stale_temps_of_the_target_go_and_others_stay() {
        let dir = std::env::temp_dir().join(format!("spill_io_stale_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // pid 4294967 is above Linux's largest pid (4194304): no such process.
        let stale = dir.join(".a.txt.spillover-tmp-4294967-0");
        let other = dir.join(".b.txt.spillover-tmp-4294967-0");
        std::fs::write(&stale, b"half").unwrap();
        std::fs::write(&other, b"half").unwrap();
        write_atomic(dir.join("a.txt").to_str().unwrap(), b"new").unwrap();
        assert!(!stale.exists());
        assert!(other.exists());
        assert_eq!(std::fs::read_to_string(dir.join("a.txt")).unwrap(), "new");
        let left: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(left.len(), 2, "{left:?}");
        std::fs::remove_dir_all(&dir).ok();
    }
}

//! An output folder written all at once: a study writes into a staging folder next to the
//! final one (`<out>.spillover-staging-<pid>`) and [`commit_dir`] moves it into place at the
//! end, so a failed run never leaves old and new files mixed under the final name.
//!
//! The final folder is replaced as a whole. To protect folders that are not a study's output,
//! an existing folder is replaced only when it is empty or carries the marker file
//! [`MARKER`] (written by [`stage_dir`]) or a `report.md` (outputs of earlier versions).
//! A staging folder left by a killed run (Ctrl-C stops a script without running its error
//! handlers) is removed by the next run of the same output folder.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// The marker file that identifies a folder written by a study.
pub const MARKER: &str = ".spillover-study";

/// What follows a study's output folder name in the name of its staging folder (then the pid).
const STAGING_TAG: &str = ".spillover-staging-";

/// `path` as it will be named once its study's staging folder is committed: the folder
/// `<out>.spillover-staging-<pid>` in it is read as `<out>` (for messages about a file being
/// written); other paths are returned as they are.
pub fn final_path(path: &str) -> String {
    let Some(at) = path.find(STAGING_TAG) else {
        return path.to_string();
    };
    let rest = &path[at + STAGING_TAG.len()..];
    let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    format!("{}{}", &path[..at], &rest[digits..])
}

/// The final folder `out` as a path without trailing separators, and its parent and name.
fn split(out: &str) -> Result<(PathBuf, PathBuf, String)> {
    let trimmed = out.trim_end_matches(['/', '\\']);
    let p = Path::new(trimmed);
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .filter(|n| !trimmed.is_empty() && n != "." && n != "..")
        .ok_or_else(|| {
            Error::invalid(format!(
                "study output folder '{out}' must name a folder of its own (e.g. \"out/my_study\"), \
                 not '.', '..' or '/': it is replaced as a whole"
            ))
        })?;
    let parent = p.parent().map(Path::to_path_buf).unwrap_or_default();
    Ok((p.to_path_buf(), parent, name))
}

/// True when `dir` may be replaced: empty, or holding [`MARKER`] or `report.md`.
fn replaceable(dir: &Path) -> Result<bool> {
    let mut entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir.display(), e))?;
    Ok(entries.next().is_none() || dir.join(MARKER).exists() || dir.join("report.md").exists())
}

/// Checks that `out` can be replaced (a folder written by a study, empty, or absent).
fn check_target(out: &Path) -> Result<()> {
    if !out.exists() {
        return Ok(());
    }
    if !out.is_dir() {
        return Err(Error::io(
            out.display(),
            "the study's output folder is a file; choose another `out`",
        ));
    }
    if !replaceable(out)? {
        return Err(Error::io(
            out.display(),
            format!(
                "the folder exists and was not written by a study (no {MARKER} or report.md), and a study \
                 replaces its output folder as a whole; choose another `out` or empty the folder"
            ),
        ));
    }
    Ok(())
}

/// Creates the empty staging folder of the final folder `out` (next to it, named
/// `<out>.spillover-staging-<pid>`, replacing a leftover of the same name) and returns its path.
/// Fails at once when `out` exists but cannot be replaced (see the module doc).
pub fn stage_dir(out: &str) -> Result<String> {
    let (final_dir, parent, name) = split(out)?;
    check_target(&final_dir)?;
    remove_stale_staging(&parent, &name);
    let staging = parent.join(format!("{name}{STAGING_TAG}{}", std::process::id()));
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(|e| Error::io(staging.display(), e))?;
    }
    std::fs::create_dir_all(&staging).map_err(|e| Error::io(staging.display(), e))?;
    std::fs::write(
        staging.join(MARKER),
        "written by spillover's study::run; the next run replaces this folder as a whole\n",
    )
    .map_err(|e| Error::io(staging.join(MARKER).display(), e))?;
    Ok(staging.to_string_lossy().to_string())
}

/// Removes the staging folders of `name` left by runs that were killed (their process no
/// longer exists). Only where `/proc` tells which processes exist (Linux); elsewhere they stay.
fn remove_stale_staging(parent: &Path, name: &str) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let prefix = format!("{name}{STAGING_TAG}");
    let dir = if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    };
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let file = e.file_name().to_string_lossy().to_string();
        let Some(pid) = file.strip_prefix(&prefix).and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Moves the finished staging folder into place as `out`: an existing `out` is renamed aside,
/// the staging folder renamed to `out`, then the old folder removed. If the second rename
/// fails, the old folder is put back.
pub fn commit_dir(staging: &str, out: &str) -> Result<()> {
    let (final_dir, parent, name) = split(out)?;
    check_staging(staging)?;
    check_target(&final_dir)?;
    if !final_dir.exists() {
        return std::fs::rename(staging, &final_dir).map_err(|e| Error::io(final_dir.display(), e));
    }
    let old = parent.join(format!("{name}.spillover-old-{}", std::process::id()));
    if old.exists() {
        std::fs::remove_dir_all(&old).map_err(|e| Error::io(old.display(), e))?;
    }
    std::fs::rename(&final_dir, &old).map_err(|e| Error::io(final_dir.display(), e))?;
    if let Err(e) = std::fs::rename(staging, &final_dir) {
        let _ = std::fs::rename(&old, &final_dir);
        return Err(Error::io(final_dir.display(), e));
    }
    std::fs::remove_dir_all(&old).map_err(|e| {
        Error::io(
            old.display(),
            format!("the new output is in place but the previous one could not be removed: {e}"),
        )
    })
}

/// Removes a staging folder (after a failed run).
pub fn discard_dir(staging: &str) -> Result<()> {
    check_staging(staging)?;
    match std::fs::remove_dir_all(staging) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io(staging, e)),
        _ => Ok(()),
    }
}

/// Refuses paths that are not staging folders made by [`stage_dir`].
fn check_staging(staging: &str) -> Result<()> {
    let ok = Path::new(staging)
        .file_name()
        .is_some_and(|n| n.to_string_lossy().contains(STAGING_TAG));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "'{staging}' is not a staging folder made by study_stage"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn final_path_reads_the_staging_folder_as_the_output_folder() {
        assert_eq!(final_path("out/res.spillover-staging-123/t.tex"), "out/res/t.tex");
        assert_eq!(final_path("out/res/t.tex"), "out/res/t.tex");
    }

    #[test]
    fn commit_replaces_and_discard_keeps_the_old_folder() {
        let base = std::env::temp_dir().join(format!("spillover_staging_unit_{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let out = base.join("res");
        let out_s = out.to_string_lossy().to_string();
        let s = stage_dir(&out_s).unwrap();
        std::fs::write(Path::new(&s).join("a.txt"), "1").unwrap();
        commit_dir(&s, &out_s).unwrap();
        assert_eq!(std::fs::read_to_string(out.join("a.txt")).unwrap(), "1");
        let s = stage_dir(&format!("{out_s}/")).unwrap();
        std::fs::write(Path::new(&s).join("b.txt"), "2").unwrap();
        discard_dir(&s).unwrap();
        assert!(out.join("a.txt").exists() && !Path::new(&s).exists());
        let s = stage_dir(&out_s).unwrap();
        std::fs::write(Path::new(&s).join("b.txt"), "2").unwrap();
        commit_dir(&s, &out_s).unwrap();
        assert!(!out.join("a.txt").exists() && out.join("b.txt").exists());
        assert_eq!(
            std::fs::read_dir(&base).unwrap().count(),
            1,
            "only the final folder remains"
        );
        // a folder that is not a study's output is not replaced
        let other = base.join("mine");
        std::fs::create_dir_all(&other).unwrap();
        std::fs::write(other.join("thesis.tex"), "x").unwrap();
        let e = stage_dir(&other.to_string_lossy()).unwrap_err().to_string();
        assert!(e.contains("not written by a study"), "{e}");
        assert!(stage_dir(".").is_err() && stage_dir("/").is_err());
        // a staging folder of a process that no longer exists is removed by the next run
        if Path::new("/proc/self").exists() {
            let stale = base.join(format!("res.spillover-staging-{}", u32::MAX - 1));
            std::fs::create_dir_all(&stale).unwrap();
            let s = stage_dir(&out_s).unwrap();
            assert!(!stale.exists());
            discard_dir(&s).unwrap();
        }
        std::fs::remove_dir_all(&base).unwrap();
    }
}

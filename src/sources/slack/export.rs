//! The export as a container: an unpacked folder or a zip (its root found, unsafe
//! entries and zip bombs refused), and which of its files are channel day files.

use super::*;

/// Whether a folder is the root of a Slack export.
pub(crate) fn is_export_dir(dir: &Path) -> bool {
    dir.join("channels.json").is_file() && dir.join("users.json").is_file()
}

pub(crate) fn zip_has_channels(path: &Path) -> bool {
    std::fs::File::open(path)
        .ok()
        .and_then(|f| zip::ZipArchive::new(f).ok())
        .is_some_and(|z| export_root(&z.file_names().collect::<Vec<_>>()).is_some())
}

/// Where the export sits in a zip: `""` when `channels.json` is at the top, as Slack
/// writes it, or `name/` when every entry is inside one folder holding it (an export
/// unzipped and zipped again). None when the zip holds no export.
pub(crate) fn export_root(names: &[&str]) -> Option<String> {
    if names.contains(&"channels.json") {
        return Some(String::new());
    }
    let inside = names
        .iter()
        .find_map(|n| n.strip_suffix("channels.json").filter(|d| d.ends_with('/')))?;
    (!inside[..inside.len() - 1].contains('/')
        && names
            .iter()
            .all(|n| n.starts_with(inside) || inside.starts_with(n)))
    .then(|| inside.to_string())
}

/// A day file's name: `YYYY-MM-DD.json`.
pub(crate) fn is_day_file(name: &str) -> bool {
    name.len() == 15
        && name.ends_with(".json")
        && chrono::NaiveDate::parse_from_str(&name[..10], "%Y-%m-%d").is_ok()
}

/// The files of an export, from a folder or a zip.
pub(crate) trait Export {
    /// A member by its path within the export, if present.
    fn open(&mut self, member: &str) -> Result<Option<Box<dyn Read + '_>>, FileError>;
    /// (channel, day file) pairs, sorted.
    fn day_files(&self) -> Vec<(String, String)>;
    /// Members refused for safety, with the reason.
    fn refused(&self) -> Vec<(String, String)> {
        Vec::new()
    }
}

pub(crate) struct Folder {
    pub(crate) root: std::path::PathBuf,
    pub(crate) days: Vec<(String, String)>,
    /// Members that are links: not followed, so nothing outside the export is read.
    pub(crate) refused: Vec<(String, String)>,
}

/// Why a link inside an export folder is not read.
pub(crate) const LINK_REFUSED: &str =
    "a symbolic link inside the export: not followed, so that nothing \
                            outside the export is read";

impl Folder {
    pub(crate) fn new(root: &Path) -> Result<Folder, FileError> {
        let mut days = Vec::new();
        let mut refused = Vec::new();
        let mut entries: Vec<std::fs::DirEntry> = std::fs::read_dir(root)?.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let name = e.file_name().to_string_lossy().into_owned();
            // `DirEntry::file_type` does not follow links.
            let kind = e.file_type()?;
            if kind.is_symlink() {
                refused.push((name, LINK_REFUSED.to_string()));
                continue;
            }
            if !kind.is_dir() {
                continue;
            }
            let mut inner: Vec<std::fs::DirEntry> =
                std::fs::read_dir(e.path())?.flatten().collect();
            inner.sort_by_key(|d| d.file_name());
            for d in inner {
                let day = d.file_name().to_string_lossy().into_owned();
                if !is_day_file(&day) {
                    continue;
                }
                if d.file_type()?.is_symlink() {
                    refused.push((format!("{name}/{day}"), LINK_REFUSED.to_string()));
                } else {
                    days.push((name.clone(), day));
                }
            }
        }
        days.sort();
        Ok(Folder {
            root: root.to_path_buf(),
            days,
            refused,
        })
    }
}

impl Export for Folder {
    fn open(&mut self, member: &str) -> Result<Option<Box<dyn Read + '_>>, FileError> {
        let p = self.root.join(member);
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                if !self.refused.iter().any(|(n, _)| n == member) {
                    self.refused
                        .push((member.to_string(), LINK_REFUSED.to_string()));
                }
                return Ok(None);
            }
            Ok(m) if m.is_file() => {}
            _ => return Ok(None),
        }
        let f = std::fs::File::open(&p)
            .map_err(|e| FileError::new(Fault::Unreadable, member, format!("cannot read: {e}")))?;
        Ok(Some(Box::new(f)))
    }

    fn day_files(&self) -> Vec<(String, String)> {
        self.days.clone()
    }

    fn refused(&self) -> Vec<(String, String)> {
        self.refused.clone()
    }
}

/// A zipped export, read entry by entry. Entries whose names escape the archive (an
/// absolute path, `..`) are refused; an archive whose entries would inflate beyond the
/// configured limit is refused before anything is read.
pub(crate) struct Zipped {
    pub(crate) zip: zip::ZipArchive<std::fs::File>,
    /// The folder the export sits in (`""` or `name/`), see [`export_root`].
    pub(crate) root: String,
    pub(crate) days: Vec<(String, String)>,
    pub(crate) refused: Vec<(String, String)>,
}

impl Zipped {
    pub(crate) fn open(path: &Path, max_ratio: f64, max_bytes: u64) -> Result<Zipped, FileError> {
        let file = std::fs::File::open(path)?;
        let archive_size = file.metadata()?.len();
        let mut zip = zip::ZipArchive::new(file).map_err(|e| {
            FileError::new(
                Fault::Unreadable,
                "file",
                format!("not a readable zip: {e}"),
            )
        })?;
        let root = export_root(&zip.file_names().collect::<Vec<_>>()).unwrap_or_default();
        let mut inflated: u64 = 0;
        let mut days = Vec::new();
        let mut refused = Vec::new();
        for i in 0..zip.len() {
            let entry = zip.by_index_raw(i).map_err(|e| {
                FileError::new(
                    Fault::Unreadable,
                    "file",
                    format!("unreadable zip entry {i}: {e}"),
                )
            })?;
            inflated = inflated.saturating_add(entry.size());
            let name = entry.name().to_string();
            if entry.enclosed_name().is_none()
                || name.starts_with('/')
                || name.split(['/', '\\']).any(|p| p == "..")
            {
                refused.push((
                    name,
                    "zip entry path escapes the archive (absolute or '..'): not read".to_string(),
                ));
                continue;
            }
            if name.to_ascii_lowercase().ends_with(".zip") {
                refused.push((
                    name,
                    "a zip inside the export is not read (nested archives are refused)".to_string(),
                ));
                continue;
            }
            let within = name.strip_prefix(root.as_str()).unwrap_or(&name);
            if let Some((channel, day)) = within.split_once('/') {
                if !day.contains('/') && is_day_file(day) {
                    days.push((channel.to_string(), day.to_string()));
                }
            }
        }
        let limit = ((archive_size as f64 * max_ratio) as u64).min(max_bytes);
        if inflated > limit {
            return Err(FileError::new(
                Fault::Refused, "file",
                format!(
                    "the archive would inflate to {inflated} bytes, more than {limit} ({max_ratio}× its {archive_size} bytes, at most {max_bytes}); refused as a possible zip bomb (raise [slack] max_inflate_ratio / max_inflate_bytes if it is genuine)"
                ),
            ));
        }
        days.sort();
        Ok(Zipped {
            zip,
            root,
            days,
            refused,
        })
    }
}

impl Export for Zipped {
    fn open(&mut self, member: &str) -> Result<Option<Box<dyn Read + '_>>, FileError> {
        let name = format!("{}{member}", self.root);
        if self.refused.iter().any(|(n, _)| *n == name) {
            return Ok(None);
        }
        match self.zip.by_name(&name) {
            // Declared sizes can lie: never read more than the entry says it holds.
            Ok(f) => {
                let size = f.size();
                Ok(Some(Box::new(f.take(size))))
            }
            Err(zip::result::ZipError::FileNotFound) => Ok(None),
            Err(e) => Err(FileError::new(
                Fault::Unreadable,
                member,
                format!("unreadable zip entry: {e}"),
            )),
        }
    }

    fn day_files(&self) -> Vec<(String, String)> {
        self.days.clone()
    }

    fn refused(&self) -> Vec<(String, String)> {
        self.refused.clone()
    }
}

//! Finding the file a probe names: a path, an executable on `PATH`, or a
//! shared library by its short name (`libc`, `c`, `libc.so.6`) the way the
//! dynamic linker finds it: `/etc/ld.so.cache` first, then the standard
//! directories.

use std::path::{Path, PathBuf};

use crate::file::ElfFile;

const LD_SO_CACHE: &str = "/etc/ld.so.cache";
const CACHE_MAGIC: &[u8] = b"glibc-ld.so.cache1.1";
const CACHE_HEADER: usize = 48;
const CACHE_ENTRY: usize = 24;

/// Where the dynamic linker looks when the cache does not know a library.
const STANDARD_DIRS: &[&str] = &[
    "/lib",
    "/usr/lib",
    "/lib64",
    "/usr/lib64",
    "/usr/local/lib",
    #[cfg(target_arch = "x86_64")]
    "/lib/x86_64-linux-gnu",
    #[cfg(target_arch = "x86_64")]
    "/usr/lib/x86_64-linux-gnu",
    #[cfg(target_arch = "aarch64")]
    "/lib/aarch64-linux-gnu",
    #[cfg(target_arch = "aarch64")]
    "/usr/lib/aarch64-linux-gnu",
];

/// The file a probe's target `name` means. A name with a `/` is a path
/// (relative to the current directory, or under `/proc/PID/root` for a
/// traced process in another mount namespace); otherwise it is an
/// executable on `PATH`, a library mapped by process `pid`, or a library
/// the dynamic linker knows.
pub fn find_binary(name: &str, pid: Option<u32>) -> Result<PathBuf, String> {
    if name.contains('/') {
        let path = PathBuf::from(name);
        if path.exists() || crate::archive::split_archive_path(name).is_some() {
            return Ok(path);
        }
        if let Some(pid) = pid {
            let inside = Path::new("/proc")
                .join(pid.to_string())
                .join("root")
                .join(name.trim_start_matches('/'));
            if inside.exists() {
                return Ok(inside);
            }
        }
        return Err(format!("{name}: No such file or directory"));
    }
    if let Some(pid) = pid {
        if let Some(found) = mapped_library(pid, name) {
            return Ok(found);
        }
    }
    if let Some(found) = find_in_path(name) {
        return Ok(found);
    }
    if let Some(found) = find_library(name) {
        return Ok(found);
    }
    Err(format!(
        "could not find '{name}': not a path, not on PATH and not a library the dynamic linker knows"
    ))
}

/// An executable called `name` in a directory of `$PATH`.
pub fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file() && ElfFile::is_elf(candidate))
}

/// The shared library `name` (`c`, `libc`, `libc.so`, `libc.so.6`) as the
/// dynamic linker would load it: from `$LD_LIBRARY_PATH`'s directories,
/// then `/etc/ld.so.cache`, then the standard directories.
pub fn find_library(name: &str) -> Option<PathBuf> {
    let stems = library_stems(name);
    let matches = |file: &str| stems.iter().any(|stem| library_matches(stem, file));
    let search = |dir: &Path| -> Option<PathBuf> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .ok()?
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|f| matches(f))
            .collect();
        names.sort_by_key(String::len);
        names
            .into_iter()
            .map(|file| dir.join(file))
            .find(|path| ElfFile::is_elf(path) && native(path))
    };
    let from_env = std::env::var_os("LD_LIBRARY_PATH").unwrap_or_default();
    if let Some(found) = std::env::split_paths(&from_env)
        .filter(|dir| !dir.as_os_str().is_empty())
        .find_map(|dir| search(&dir))
    {
        return Some(found);
    }
    if let Ok(cache) = std::fs::read(LD_SO_CACHE) {
        let mut entries = parse_ld_so_cache(&cache);
        // Prefer the plain soname over development symlinks of the same library.
        entries.sort_by_key(|(soname, _)| soname.len());
        for (soname, path) in entries {
            if matches(&soname) && ElfFile::is_elf(&path) && native(&path) {
                return Some(PathBuf::from(path));
            }
        }
    }
    STANDARD_DIRS.iter().find_map(|dir| search(Path::new(dir)))
}

/// A library of process `pid` whose file name fits `name`, from its maps.
fn mapped_library(pid: u32, name: &str) -> Option<PathBuf> {
    let stems = library_stems(name);
    mapped_files(pid)
        .into_iter()
        .find(|path| {
            let file = path.rsplit('/').next().unwrap_or(path);
            stems.iter().any(|stem| library_matches(stem, file))
        })
        .map(|p| process_view(pid, &p))
}

/// Every file mapped executable into process `pid`, in the order of its
/// maps, each once: paths as the process sees them.
pub fn mapped_files(pid: u32) -> Vec<String> {
    let Ok(maps) = std::fs::read_to_string(format!("/proc/{pid}/maps")) else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for line in maps.lines() {
        let mut fields = line.split_whitespace();
        let perms = fields.nth(1).unwrap_or("");
        let path = fields.nth(3).unwrap_or("");
        if !perms.contains('x') || !path.starts_with('/') {
            continue;
        }
        if !out.iter().any(|p| p == path) {
            out.push(path.to_string());
        }
    }
    out
}

/// Where this process can read a file that process `pid` sees at `path`:
/// the path itself when it names the same file here, else the path under
/// `/proc/PID/root` (another mount namespace).
pub fn process_view(pid: u32, path: &str) -> PathBuf {
    let inside = Path::new("/proc")
        .join(pid.to_string())
        .join("root")
        .join(path.trim_start_matches('/'));
    let same = |a: &Path, b: &Path| {
        use std::os::unix::fs::MetadataExt;
        match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
            _ => false,
        }
    };
    if same(Path::new(path), &inside) || !inside.exists() {
        PathBuf::from(path)
    } else {
        inside
    }
}

/// `c` and `libc` both mean `libc.so*`; a full soname means itself.
fn library_stems(name: &str) -> Vec<String> {
    if name.contains(".so") {
        return vec![name.to_string()];
    }
    if name.starts_with("lib") {
        vec![format!("{name}.so")]
    } else {
        vec![format!("lib{name}.so"), format!("{name}.so")]
    }
}

/// `libc.so` matches `libc.so`, `libc.so.6`, but not `libcap.so`.
fn library_matches(stem: &str, file: &str) -> bool {
    file == stem
        || file
            .strip_prefix(stem)
            .is_some_and(|rest| rest.starts_with('.'))
}

fn native(path: impl AsRef<Path>) -> bool {
    ElfFile::open(path)
        .map(|f| f.header().is_ok())
        .unwrap_or(false)
}

/// `(soname, path)` pairs of a glibc `ld.so.cache` in the 1.1 format.
pub fn parse_ld_so_cache(data: &[u8]) -> Vec<(String, String)> {
    let Some(start) = find(data, CACHE_MAGIC) else {
        return Vec::new();
    };
    let base = &data[start..];
    let u32_at = |off: usize| -> Option<usize> {
        base.get(off..off + 4)
            .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")) as usize)
    };
    let Some(count) = u32_at(20) else {
        return Vec::new();
    };
    let string_at = |off: usize| -> Option<String> {
        let tail = base.get(off..)?;
        let end = tail.iter().position(|&b| b == 0)?;
        String::from_utf8(tail[..end].to_vec()).ok()
    };
    (0..count)
        .filter_map(|i| {
            let entry = CACHE_HEADER + i * CACHE_ENTRY;
            let key = u32_at(entry + 4)?;
            let value = u32_at(entry + 8)?;
            Some((string_at(key)?, string_at(value)?))
        })
        .collect()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_names() {
        assert!(library_matches("libc.so", "libc.so.6"));
        assert!(library_matches("libc.so", "libc.so"));
        assert!(!library_matches("libc.so", "libcap.so.2"));
        assert_eq!(library_stems("c"), ["libc.so", "c.so"]);
        assert_eq!(library_stems("libc"), ["libc.so"]);
        assert_eq!(library_stems("libc.so.6"), ["libc.so.6"]);
    }

    #[test]
    fn a_synthetic_cache_is_read() {
        let mut data = CACHE_MAGIC.to_vec();
        data.extend_from_slice(&1u32.to_le_bytes()); // nlibs
        data.resize(CACHE_HEADER, 0);
        let strings = CACHE_HEADER + CACHE_ENTRY;
        let mut entry = vec![0u8; CACHE_ENTRY];
        entry[4..8].copy_from_slice(&(strings as u32).to_le_bytes());
        entry[8..12].copy_from_slice(&(strings as u32 + 10).to_le_bytes());
        data.extend_from_slice(&entry);
        data.extend_from_slice(b"libz.so.1\0/l/libz.so.1\0");
        assert_eq!(
            parse_ld_so_cache(&data),
            vec![("libz.so.1".to_string(), "/l/libz.so.1".to_string())]
        );
        assert!(parse_ld_so_cache(b"garbage").is_empty());
        assert!(parse_ld_so_cache(&data[..30]).is_empty());
    }

    #[test]
    fn libc_is_found_by_its_short_names() {
        let by_short = find_library("c").expect("every test machine has libc");
        assert_eq!(find_library("libc"), Some(by_short.clone()));
        assert!(by_short
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("libc.so"));
        assert_eq!(find_binary("libc", None).unwrap(), by_short);
        assert!(find_binary("no_such_library_xyz", None).is_err());
    }
}

//! Files inside zip archives, named `ARCHIVE!/ENTRY` (`app.apk!/lib/x86_64/libfoo.so`).
//!
//! Android maps a library stored uncompressed in an APK straight from the
//! archive, so the kernel sees the archive's inode: a uprobe on such a
//! library goes on the archive, at the entry's data offset plus the
//! function's offset in the library. Only the zip directory is read here;
//! nothing is ever decompressed, because only a stored entry can be mapped
//! and probed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

const END_OF_DIRECTORY: u32 = 0x0605_4b50;
const ZIP64_LOCATOR: u32 = 0x0706_4b50;
const ZIP64_END_OF_DIRECTORY: u32 = 0x0606_4b50;
const DIRECTORY_ENTRY: u32 = 0x0201_4b50;
const LOCAL_HEADER: u32 = 0x0403_4b50;
const ZIP64_EXTRA: u16 = 0x0001;
const STORED: u16 = 0;

/// Where an entry's bytes lie in its archive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub data_offset: u64,
    pub size: u64,
}

/// `ARCHIVE` and `ENTRY` of a path `ARCHIVE!/ENTRY` whose archive is a file.
pub fn split_archive_path(path: &str) -> Option<(&Path, &str)> {
    let (archive, entry) = path.split_once("!/")?;
    let archive = Path::new(archive);
    (archive.is_file() && !entry.is_empty()).then_some((archive, entry))
}

/// The file and offset the kernel sees for `offset` of file `path`: the
/// archive and the offset within it for `ARCHIVE!/ENTRY` (unless a file
/// has that very name, as `ElfFile::open` decides), else the same. Each
/// entry is looked up once per process: a wildcard attaches many sites.
pub fn on_disk(path: &str, offset: u64) -> Result<(PathBuf, u64), String> {
    static ENTRIES: OnceLock<Mutex<HashMap<String, (PathBuf, u64)>>> = OnceLock::new();
    let Some((archive, name)) = split_archive_path(path).filter(|_| !Path::new(path).exists())
    else {
        return Ok((PathBuf::from(path), offset));
    };
    let cache = ENTRIES.get_or_init(Default::default);
    if let Some((file, start)) = cache.lock().expect("not poisoned").get(path) {
        return Ok((file.clone(), start + offset));
    }
    let data =
        std::fs::read(archive).map_err(|e| format!("cannot read {}: {e}", archive.display()))?;
    let entry = stored_entry(&data, name).map_err(|e| format!("{}: {e}", archive.display()))?;
    cache
        .lock()
        .expect("not poisoned")
        .insert(path.to_string(), (archive.to_path_buf(), entry.data_offset));
    Ok((archive.to_path_buf(), entry.data_offset + offset))
}

/// The entry called `name` of the zip archive `data`, which must be stored
/// uncompressed.
pub fn stored_entry(data: &[u8], name: &str) -> Result<Entry, String> {
    let malformed = || "not a zip archive, or a damaged one".to_string();
    // Offsets below are added to only after a read at them succeeded, so
    // they are within `data` and the sums cannot overflow.
    let (mut at, count) = directory(data).ok_or_else(malformed)?;
    for _ in 0..count {
        if u32_at(data, at) != Some(DIRECTORY_ENTRY) {
            return Err(malformed());
        }
        let field = |off: usize| u16_at(data, at + off).ok_or_else(malformed);
        let (method, name_len, extra_len, comment_len) =
            (field(10)?, field(28)?, field(30)?, field(32)?);
        let (name_len, extra_len) = (usize::from(name_len), usize::from(extra_len));
        let entry_name = data
            .get(at + 46..at + 46 + name_len)
            .ok_or_else(malformed)?;
        if entry_name == name.as_bytes() {
            if method != STORED {
                return Err(format!(
                    "{name} is compressed: only an entry stored uncompressed (zip -0) can be mapped and probed"
                ));
            }
            let extra = data
                .get(at + 46 + name_len..at + 46 + name_len + extra_len)
                .ok_or_else(malformed)?;
            let mut size = u64::from(u32_at(data, at + 20).ok_or_else(malformed)?);
            let mut header = u64::from(u32_at(data, at + 42).ok_or_else(malformed)?);
            apply_zip64(extra, data, at, &mut size, &mut header).ok_or_else(malformed)?;
            let header = usize::try_from(header).map_err(|_| malformed())?;
            if u32_at(data, header) != Some(LOCAL_HEADER) {
                return Err(malformed());
            }
            let local_name = usize::from(u16_at(data, header + 26).ok_or_else(malformed)?);
            let local_extra = usize::from(u16_at(data, header + 28).ok_or_else(malformed)?);
            let data_offset = (header as u64) + 30 + local_name as u64 + local_extra as u64;
            if data_offset.saturating_add(size) > data.len() as u64 {
                return Err(malformed());
            }
            return Ok(Entry { data_offset, size });
        }
        at += 46 + name_len + extra_len + usize::from(comment_len);
    }
    Err(format!("no entry {name} in the archive"))
}

/// Where the central directory starts and how many entries it has.
fn directory(data: &[u8]) -> Option<(usize, u64)> {
    // The end record is the last 22 bytes, unless a comment (up to 64 KiB)
    // follows it.
    let last = data.len().checked_sub(22)?;
    let end = (last.saturating_sub(0xffff)..=last)
        .rev()
        .find(|&at| u32_at(data, at) == Some(END_OF_DIRECTORY))?;
    let count = u64::from(u16_at(data, end + 10)?);
    let start = u64::from(u32_at(data, end + 16)?);
    // Zip64: a locator just before the end record points at a larger one
    // (the small one's fields then say 0xffff...; 65,535 entries may also
    // be just that many).
    let locator = end.checked_sub(20);
    let zip64 = locator.is_some_and(|l| u32_at(data, l) == Some(ZIP64_LOCATOR));
    if !zip64 {
        return (start != 0xffff_ffff).then(|| Some((usize::try_from(start).ok()?, count)))?;
    }
    let locator = locator?;
    let end64 = usize::try_from(u64_at(data, locator + 8)?).ok()?;
    if u32_at(data, end64) != Some(ZIP64_END_OF_DIRECTORY) {
        return None;
    }
    let count = u64_at(data, end64.checked_add(32)?)?;
    let start = usize::try_from(u64_at(data, end64.checked_add(48)?)?).ok()?;
    Some((start, count))
}

/// Sizes and offsets too large for 32 bits are 0xffffffff in the directory
/// entry and follow, in order, in its zip64 extra field.
fn apply_zip64(
    extra: &[u8],
    data: &[u8],
    entry: usize,
    size: &mut u64,
    header: &mut u64,
) -> Option<()> {
    if *size != 0xffff_ffff && *header != 0xffff_ffff {
        return Some(());
    }
    let uncompressed = u64::from(u32_at(data, entry + 24)?);
    let mut at = 0;
    while at + 4 <= extra.len() {
        let id = u16_at(extra, at)?;
        let len = usize::from(u16_at(extra, at + 2)?);
        if id == ZIP64_EXTRA {
            let mut field = at + 4;
            let mut next = || {
                let value = u64_at(extra, field);
                field += 8;
                value
            };
            if uncompressed == 0xffff_ffff {
                next()?;
            }
            if *size == 0xffff_ffff {
                *size = next()?;
            }
            if *header == 0xffff_ffff {
                *header = next()?;
            }
            return Some(());
        }
        at += 4 + len;
    }
    None
}

fn u16_at(data: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        data.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        data.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn u64_at(data: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(
        data.get(at..at.checked_add(8)?)?.try_into().ok()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A zip archive of `entries` (name, method, bytes), as `zip` writes
    /// one; a compressed entry's bytes are taken as already compressed.
    fn archive(entries: &[(&str, u16, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut directory = Vec::new();
        for (name, method, bytes) in entries {
            let header = out.len() as u32;
            out.extend(LOCAL_HEADER.to_le_bytes());
            out.extend([20, 0, 0, 0]);
            out.extend(method.to_le_bytes());
            out.extend([0; 8]); // time, date, crc
            out.extend((bytes.len() as u32).to_le_bytes());
            out.extend((bytes.len() as u32).to_le_bytes());
            out.extend((name.len() as u16).to_le_bytes());
            out.extend(3u16.to_le_bytes()); // an extra field the reader must skip
            out.extend(name.as_bytes());
            out.extend([0xaa; 3]);
            out.extend(*bytes);
            directory.extend(DIRECTORY_ENTRY.to_le_bytes());
            directory.extend([20, 3, 20, 0, 0, 0]);
            directory.extend(method.to_le_bytes());
            directory.extend([0; 8]);
            directory.extend((bytes.len() as u32).to_le_bytes());
            directory.extend((bytes.len() as u32).to_le_bytes());
            directory.extend((name.len() as u16).to_le_bytes());
            directory.extend([0; 12]); // extra, comment, disk, attributes
            directory.extend(header.to_le_bytes());
            directory.extend(name.as_bytes());
        }
        let start = out.len() as u32;
        let size = directory.len() as u32;
        out.extend(directory);
        out.extend(END_OF_DIRECTORY.to_le_bytes());
        out.extend([0; 4]);
        out.extend((entries.len() as u16).to_le_bytes());
        out.extend((entries.len() as u16).to_le_bytes());
        out.extend(size.to_le_bytes());
        out.extend(start.to_le_bytes());
        out.extend(5u16.to_le_bytes());
        out.extend(b"hello"); // a comment after the end record
        out
    }

    #[test]
    fn finds_a_stored_entry_after_others() {
        let zip = archive(&[("a.txt", 0, b"first"), ("lib/x.so", 0, b"\x7fELF...")]);
        let entry = stored_entry(&zip, "lib/x.so").unwrap();
        assert_eq!(entry.size, 7);
        let at = entry.data_offset as usize;
        assert_eq!(&zip[at..at + 7], b"\x7fELF...");
    }

    #[test]
    fn refuses_compressed_missing_and_damaged() {
        let zip = archive(&[("x.so", 8, b"deflated")]);
        assert_eq!(
            stored_entry(&zip, "x.so").unwrap_err(),
            "x.so is compressed: only an entry stored uncompressed (zip -0) can be mapped and probed"
        );
        assert_eq!(
            stored_entry(&zip, "y.so").unwrap_err(),
            "no entry y.so in the archive"
        );
        for cut in [0, 10, zip.len() / 2, zip.len() - 30] {
            assert!(stored_entry(&zip[..cut], "x.so").is_err(), "cut at {cut}");
        }
        assert!(stored_entry(b"\x7fELF not a zip", "x.so").is_err());
    }

    #[test]
    fn paths_split_at_the_first_bang_slash_of_an_existing_file() {
        let dir = std::env::temp_dir().join(format!("sonde_archive_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let zip = dir.join("a.zip");
        std::fs::write(&zip, archive(&[("x.so", 0, b"abc")])).unwrap();
        let named = format!("{}!/x.so", zip.display());
        assert_eq!(split_archive_path(&named), Some((zip.as_path(), "x.so")));
        assert_eq!(split_archive_path("/no/such.zip!/x.so"), None);
        assert_eq!(split_archive_path(&format!("{}!/", zip.display())), None);
        let (file, offset) = on_disk(&named, 1).unwrap();
        assert_eq!(file, zip);
        assert_eq!(std::fs::read(&zip).unwrap()[offset as usize], b'b');
        assert_eq!(
            on_disk("/bin/true", 5).unwrap(),
            (PathBuf::from("/bin/true"), 5)
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}

//! The compilation units of a file's DWARF, wherever their entries live.
//!
//! A file built with `-gsplit-dwarf` keeps only skeleton units (a name, a
//! DWO id, the line table) and moves the entries that describe functions
//! and types to a `.dwo` file per unit, or to one `.dwp` package beside
//! the binary. Readers of entries see the split unit in place of its
//! skeleton, so they need not know which kind of file they read.

use std::path::{Path, PathBuf};

use gimli::{EndianSlice, RunTimeEndian};

use crate::file::ElfFile;

pub(crate) type R<'a> = EndianSlice<'a, RunTimeEndian>;

impl ElfFile {
    pub(crate) fn runtime_endian(&self) -> RunTimeEndian {
        if self.is_little_endian() {
            RunTimeEndian::Little
        } else {
            RunTimeEndian::Big
        }
    }

    /// The file's own DWARF sections, as gimli reads them.
    pub(crate) fn dwarf(&self) -> Option<gimli::Dwarf<R<'_>>> {
        let endian = self.runtime_endian();
        gimli::Dwarf::load(|id| -> Result<R<'_>, gimli::Error> {
            let data = self.section(id.name()).map(|(d, _)| d).unwrap_or(&[]);
            Ok(EndianSlice::new(data, endian))
        })
        .ok()
    }

    /// Call `visit` with each unit that holds entries (a split unit in
    /// place of its skeleton) until it returns something. A skeleton whose
    /// split unit cannot be found is skipped: its entries are elsewhere.
    pub(crate) fn find_in_units<T>(
        &self,
        debug_dirs: &[PathBuf],
        mut visit: impl for<'x> FnMut(&gimli::Dwarf<R<'x>>, &gimli::Unit<R<'x>>) -> Option<T>,
    ) -> Option<T> {
        let dwarf = self.dwarf()?;
        // Opened at the first skeleton: most files have none.
        let mut package: Option<Option<ElfFile>> = None;
        let mut units = dwarf.units();
        while let Ok(Some(header)) = units.next() {
            let Ok(unit) = dwarf.unit(header) else {
                continue;
            };
            let dwo_id = match (unit.dwo_id, unit.dwo_name()) {
                (Some(id), Ok(Some(_))) => id,
                _ => {
                    if let Some(found) = visit(&dwarf, &unit) {
                        return Some(found);
                    }
                    continue;
                }
            };
            let package = package.get_or_insert_with(|| self.dwarf_package());
            let found = match package {
                Some(dwp) => in_package(dwp, &dwarf, &unit, dwo_id, &mut visit),
                None => self.in_dwo_file(&dwarf, &unit, dwo_id, debug_dirs, &mut visit),
            };
            if found.is_some() {
                return found;
            }
        }
        None
    }

    /// `FILE.dwp` beside the file, where gdb and bpftrace look for it.
    fn dwarf_package(&self) -> Option<ElfFile> {
        let mut name = self.path().as_os_str().to_owned();
        name.push(".dwp");
        let path = PathBuf::from(name);
        ElfFile::open(path)
            .ok()
            .filter(|f| f.section(".debug_cu_index").is_some())
    }

    /// The `.dwo` file a skeleton names, relative to the directory it was
    /// compiled in, beside the binary, or in one of `debug_dirs`.
    fn in_dwo_file<T>(
        &self,
        dwarf: &gimli::Dwarf<R<'_>>,
        skeleton: &gimli::Unit<R<'_>>,
        dwo_id: gimli::DwoId,
        debug_dirs: &[PathBuf],
        visit: &mut impl for<'x> FnMut(&gimli::Dwarf<R<'x>>, &gimli::Unit<R<'x>>) -> Option<T>,
    ) -> Option<T> {
        let value = skeleton.dwo_name().ok()??;
        let name = dwarf.attr_string(skeleton, value).ok()?;
        let name = PathBuf::from(String::from_utf8_lossy(name.slice()).into_owned());
        let comp_dir = skeleton
            .comp_dir
            .map(|d| PathBuf::from(String::from_utf8_lossy(d.slice()).into_owned()));
        let here = self.path().parent().unwrap_or(Path::new("."));
        let base = name.file_name().map(PathBuf::from).unwrap_or_default();
        let mut candidates = Vec::new();
        if let Some(dir) = comp_dir {
            candidates.push(dir.join(&name));
        }
        candidates.push(here.join(&name));
        candidates.push(here.join(&base));
        candidates.extend(debug_dirs.iter().map(|d| d.join(&base)));
        let file = candidates
            .into_iter()
            .filter(|c| c.is_file())
            .find_map(|c| ElfFile::open(c).ok())?;
        let endian = file.runtime_endian();
        let mut split = gimli::Dwarf::load(|id| -> Result<R<'_>, gimli::Error> {
            let data = id
                .dwo_name()
                .and_then(|n| file.section(n))
                .map_or(&[][..], |(d, _)| d);
            Ok(EndianSlice::new(data, endian))
        })
        .ok()?;
        split.make_dwo(dwarf);
        let mut units = split.units();
        while let Ok(Some(header)) = units.next() {
            let Ok(mut unit) = split.unit(header) else {
                continue;
            };
            if unit.dwo_id == Some(dwo_id) {
                unit.copy_relocated_attributes(skeleton);
                return visit(&split, &unit);
            }
        }
        None
    }
}

fn in_package<T>(
    file: &ElfFile,
    dwarf: &gimli::Dwarf<R<'_>>,
    skeleton: &gimli::Unit<R<'_>>,
    dwo_id: gimli::DwoId,
    visit: &mut impl for<'x> FnMut(&gimli::Dwarf<R<'x>>, &gimli::Unit<R<'x>>) -> Option<T>,
) -> Option<T> {
    let endian = file.runtime_endian();
    let package = gimli::DwarfPackage::load(
        |id| -> Result<R<'_>, gimli::Error> {
            let data = id
                .dwo_name()
                .and_then(|n| file.section(n))
                .map_or(&[][..], |(d, _)| d);
            Ok(EndianSlice::new(data, endian))
        },
        EndianSlice::new(&[], endian),
    )
    .ok()?;
    // The package's sections are borrowed by `split`, which borrows the
    // skeleton's `dwarf` for its addresses: both live in this frame.
    let split = package.find_cu(dwo_id, dwarf).ok()??;
    let header = split.units().next().ok()??;
    let mut unit = split.unit(header).ok()?;
    unit.copy_relocated_attributes(skeleton);
    visit(&split, &unit)
}

//! One ELF file read into memory: its function symbols and its address
//! layout.

use std::path::{Path, PathBuf};

use object::elf;
use object::read::elf::{FileHeader, ProgramHeader, SectionHeader, Sym};
use object::Endianness;

use crate::archive;

type Header = elf::FileHeader64<Endianness>;

/// A function symbol of an ELF file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    /// The name as stored (mangled for C++ and Rust).
    pub name: String,
    /// Its virtual address in the file's own address layout.
    pub addr: u64,
    pub size: u64,
}

/// An ELF file's bytes and where they came from.
#[derive(Debug)]
pub struct ElfFile {
    path: PathBuf,
    data: Vec<u8>,
}

/// A loadable segment: virtual address range and where it starts in the file.
#[derive(Clone, Copy, Debug)]
struct Segment {
    vaddr: u64,
    filesz: u64,
    offset: u64,
    executable: bool,
}

impl ElfFile {
    /// Read `path`, or entry `ENTRY` of zip archive `ARCHIVE` for a path
    /// `ARCHIVE!/ENTRY`; an error unless it is a 64-bit ELF file.
    pub fn open(path: impl AsRef<Path>) -> Result<ElfFile, String> {
        let path = path.as_ref();
        let read = |path: &Path| {
            std::fs::read(path)
                .map_err(|e| format!("cannot read {}: {}", path.display(), os_reason(&e)))
        };
        let in_archive = path
            .to_str()
            .and_then(archive::split_archive_path)
            .filter(|_| !path.exists());
        let data = match in_archive {
            Some((archive, name)) => {
                let mut data = read(archive)?;
                let entry = archive::stored_entry(&data, name)
                    .map_err(|e| format!("{}: {e}", archive.display()))?;
                data.truncate((entry.data_offset + entry.size) as usize);
                data.drain(..entry.data_offset as usize);
                data
            }
            None => read(path)?,
        };
        ElfFile::from_bytes(path, data)
    }

    /// An ELF file already in memory (tests, files read elsewhere).
    pub fn from_bytes(path: impl AsRef<Path>, data: Vec<u8>) -> Result<ElfFile, String> {
        let file = ElfFile {
            path: path.as_ref().to_path_buf(),
            data,
        };
        file.header()?;
        Ok(file)
    }

    /// True when the first bytes of `path` are an ELF header (cheap: reads 4 bytes).
    pub fn is_elf(path: impl AsRef<Path>) -> bool {
        use std::io::Read;
        let mut magic = [0u8; 4];
        std::fs::File::open(path)
            .and_then(|mut f| f.read_exact(&mut magic))
            .is_ok()
            && magic == *b"\x7fELF"
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn data(&self) -> &[u8] {
        &self.data
    }

    pub(crate) fn header(&self) -> Result<(&Header, Endianness), String> {
        let header = Header::parse(&*self.data)
            .map_err(|_| format!("{} is not a 64-bit ELF file", self.path.display()))?;
        let endian = header
            .endian()
            .map_err(|_| format!("{} has an unknown byte order", self.path.display()))?;
        Ok((header, endian))
    }

    /// The file's `e_machine`: which architecture its code is for.
    pub(crate) fn machine(&self) -> elf::Machine {
        self.header()
            .map(|(h, e)| h.e_machine(e))
            .unwrap_or(elf::EM_NONE)
    }

    /// True for position-independent files (shared libraries, PIE
    /// executables): their addresses are relative to where they are mapped.
    pub fn is_dynamic(&self) -> bool {
        self.header()
            .map(|(h, e)| h.e_type(e) == elf::ET_DYN)
            .unwrap_or(false)
    }

    fn segments(&self) -> Vec<Segment> {
        let Ok((header, endian)) = self.header() else {
            return Vec::new();
        };
        let Ok(phdrs) = header.program_headers(endian, &*self.data) else {
            return Vec::new();
        };
        phdrs
            .iter()
            .filter(|p| p.p_type(endian) == elf::PT_LOAD)
            .map(|p| Segment {
                vaddr: p.p_vaddr(endian),
                filesz: p.p_filesz(endian),
                offset: p.p_offset(endian),
                executable: p.p_flags(endian).0 & elf::PF_X.0 != 0,
            })
            .collect()
    }

    /// The file offset holding virtual address `vaddr`, which is what the
    /// kernel's uprobe API takes.
    pub fn vaddr_to_offset(&self, vaddr: u64) -> Option<u64> {
        self.segments()
            .into_iter()
            .find(|s| vaddr >= s.vaddr && vaddr < s.vaddr + s.filesz)
            .map(|s| vaddr - s.vaddr + s.offset)
    }

    /// The virtual address at file offset `offset` (inverse of
    /// [`ElfFile::vaddr_to_offset`]).
    pub fn offset_to_vaddr(&self, offset: u64) -> Option<u64> {
        self.segments()
            .into_iter()
            .find(|s| offset >= s.offset && offset < s.offset + s.filesz)
            .map(|s| offset - s.offset + s.vaddr)
    }

    /// The virtual address range the loadable segments span.
    pub fn load_range(&self) -> Option<(u64, u64)> {
        let segments = self.segments();
        let lo = segments.iter().map(|s| s.vaddr).min()?;
        let hi = segments.iter().map(|s| s.vaddr + s.filesz).max()?;
        Some((lo, hi))
    }

    /// True when `vaddr` lies in an executable segment.
    pub fn is_code(&self, vaddr: u64) -> bool {
        self.segments()
            .into_iter()
            .any(|s| s.executable && vaddr >= s.vaddr && vaddr < s.vaddr + s.filesz)
    }

    /// Every defined function of `.symtab` and `.dynsym`, sorted by name then
    /// address, without duplicates.
    pub fn functions(&self) -> Result<Vec<Symbol>, String> {
        self.symbols(&[elf::STT_FUNC, elf::STT_GNU_IFUNC])
    }

    /// The defined function or variable called `name`.
    pub fn symbol(&self, name: &str) -> Option<Symbol> {
        self.symbols(&[elf::STT_FUNC, elf::STT_GNU_IFUNC, elf::STT_OBJECT])
            .ok()?
            .into_iter()
            .find(|s| s.name == name)
    }

    fn symbols(&self, types: &[elf::SymbolType]) -> Result<Vec<Symbol>, String> {
        let (header, endian) = self.header()?;
        let data = &*self.data;
        let sections = header
            .sections(endian, data)
            .map_err(|_| format!("{}: cannot read the section headers", self.path.display()))?;
        let mut out = Vec::new();
        for kind in [elf::SHT_SYMTAB, elf::SHT_DYNSYM] {
            let Ok(table) = sections.symbols(endian, data, kind) else {
                continue;
            };
            for sym in table.iter() {
                if !types.contains(&sym.st_type()) {
                    continue;
                }
                if sym.st_shndx(endian) == elf::SHN_UNDEF || sym.st_value(endian) == 0 {
                    continue;
                }
                let Ok(name) = table.symbol_name(endian, sym) else {
                    continue;
                };
                if name.is_empty() {
                    continue;
                }
                out.push(Symbol {
                    name: String::from_utf8_lossy(name).into_owned(),
                    addr: sym.st_value(endian),
                    size: sym.st_size(endian),
                });
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name).then(a.addr.cmp(&b.addr)));
        out.dedup_by(|a, b| a.name == b.name && a.addr == b.addr);
        Ok(out)
    }

    /// The bytes of the first section called `name` with its virtual
    /// address, if the file has it.
    pub fn section(&self, name: &str) -> Option<(&[u8], u64)> {
        let (header, endian) = self.header().ok()?;
        let data = &*self.data;
        let sections = header.sections(endian, data).ok()?;
        let (_, section) = sections.section_by_name(endian, name.as_bytes())?;
        let bytes = section.data(endian, data).ok()?;
        Some((bytes, section.sh_addr(endian)))
    }

    /// Every section of type SHT_NOTE called `name`, as raw bytes.
    pub(crate) fn note_sections(&self, name: &str) -> Vec<&[u8]> {
        let Ok((header, endian)) = self.header() else {
            return Vec::new();
        };
        let data = &*self.data;
        let Ok(sections) = header.sections(endian, data) else {
            return Vec::new();
        };
        sections
            .iter()
            .filter(|s| s.sh_type(endian) == elf::SHT_NOTE)
            .filter(|s| sections.section_name(endian, s).ok() == Some(name.as_bytes()))
            .filter_map(|s| s.data(endian, data).ok())
            .collect()
    }

    pub(crate) fn is_little_endian(&self) -> bool {
        use object::Endian;
        self.endian().is_little_endian()
    }

    pub(crate) fn endian(&self) -> Endianness {
        self.header().map(|(_, e)| e).unwrap_or(Endianness::Little)
    }
}

/// An I/O error as its OS message alone (`No such file or directory`).
pub(crate) fn os_reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(cut) => text[..cut].to_string(),
        None => text,
    }
}

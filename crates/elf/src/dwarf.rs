//! DWARF debug info of a file: the parameters of a function and their C
//! types, for typed `args` of uprobes and for `-lv`.
//!
//! Types come back as a [`CType`] tree, deep enough to follow a few
//! pointers (`args.bar->foos[0]->a`); records further away are left
//! without fields.

use std::path::{Path, PathBuf};

use gimli::{AttributeValue, UnitOffset};

use crate::demangle::{demangle, demangle_full};
use crate::file::ElfFile;
use crate::units::R;

/// How many pointers deep record fields are described.
const DEPTH: u32 = 4;

/// A C type as the debug info describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CType {
    Void,
    Int {
        bytes: u8,
        signed: bool,
    },
    /// `char`, `signed char`, `unsigned char`: arrays of them are strings.
    Char {
        signed: bool,
    },
    Bool,
    Float {
        bytes: u8,
    },
    Ptr(Box<CType>),
    /// A struct or union: `name` is `struct Foo`, `union U`.
    Record {
        name: String,
        size: u32,
        union: bool,
        /// `None` when not described (too deep, or only declared).
        fields: Option<Vec<CField>>,
    },
    Array {
        elem: Box<CType>,
        len: u32,
    },
    Enum {
        name: String,
        bytes: u8,
        variants: Vec<(String, u64)>,
    },
    /// A function (reached through a function pointer).
    Function,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CField {
    pub name: String,
    pub offset: u32,
    pub ty: CType,
}

/// One parameter: its name, its type, and the type as C spells it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    pub name: String,
    pub ty: CType,
    pub c_type: String,
}

impl ElfFile {
    /// The parameters of function `func`, from the file's own debug info
    /// or, for a stripped file, from its separate debug file (found in
    /// `debug_dirs`, next to the file, in its `.debug` directory or under
    /// `/usr/lib/debug`, by `.gnu_debuglink` name or build id).
    pub fn function_params(&self, func: &str, debug_dirs: &[PathBuf]) -> Option<Vec<Param>> {
        if self.section(".debug_info").is_some() {
            return self.own_function_params(func, debug_dirs);
        }
        self.debug_file(debug_dirs)?
            .own_function_params(func, debug_dirs)
    }

    /// The separate debug file of a stripped file.
    pub fn debug_file(&self, debug_dirs: &[PathBuf]) -> Option<ElfFile> {
        let name = match self.section(".gnu_debuglink") {
            Some((data, _)) => {
                let end = data.iter().position(|&b| b == 0).unwrap_or(data.len());
                String::from_utf8_lossy(&data[..end]).into_owned()
            }
            None => format!("{}.debug", self.path().file_name()?.to_string_lossy()),
        };
        let dir = self
            .path()
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let absolute_dir = std::fs::canonicalize(&dir).unwrap_or_else(|_| dir.clone());
        // A relative directory is relative to the file's own directory (as
        // debuggers read a debug-file search path), or to ours.
        let mut candidates: Vec<PathBuf> = debug_dirs
            .iter()
            .flat_map(|d| [dir.join(d).join(&name), d.join(&name)])
            .collect();
        candidates.push(dir.join(&name));
        candidates.push(dir.join(".debug").join(&name));
        candidates.push(
            Path::new("/usr/lib/debug")
                .join(absolute_dir.strip_prefix("/").unwrap_or(&absolute_dir))
                .join(&name),
        );
        if let Some(id) = self.build_id() {
            let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
            if hex.len() > 2 {
                candidates.push(
                    Path::new("/usr/lib/debug/.build-id")
                        .join(&hex[..2])
                        .join(format!("{}.debug", &hex[2..])),
                );
            }
        }
        candidates
            .into_iter()
            .filter(|c| c.is_file() && c.as_path() != self.path())
            .filter_map(|c| ElfFile::open(c).ok())
            .find(|f| f.section(".debug_info").is_some())
    }

    /// Record `name` (`struct Foo`, `union U`) as the debug info describes
    /// it, from the file's own or its separate debug info.
    pub fn record_type(&self, name: &str, debug_dirs: &[PathBuf]) -> Option<CType> {
        if self.section(".debug_info").is_some() {
            return self.own_record_type(name, debug_dirs);
        }
        self.debug_file(debug_dirs)?
            .own_record_type(name, debug_dirs)
    }

    fn own_record_type(&self, name: &str, debug_dirs: &[PathBuf]) -> Option<CType> {
        let (kind, bare) = name.split_once(' ')?;
        let tag = match kind {
            "struct" => gimli::DW_TAG_structure_type,
            "union" => gimli::DW_TAG_union_type,
            _ => return None,
        };
        self.find_in_units(debug_dirs, |dwarf, unit| {
            let reader = Reader { dwarf, unit };
            let mut entries = unit.entries();
            while let Ok(Some(entry)) = entries.next_dfs() {
                if entry.tag() == tag
                    && entry.attr_value(gimli::DW_AT_declaration).is_none()
                    && reader.name(entry).as_deref() == Some(bare)
                {
                    return Some(reader.ctype(entry.offset(), 0));
                }
            }
            None
        })
    }

    /// The lowest address the line table gives to `line` of a source file
    /// whose path ends with `file` (a statement boundary, where a probe can
    /// go), from the file's own or its separate debug info.
    pub fn line_address(&self, file: &str, line: u64, debug_dirs: &[PathBuf]) -> Option<u64> {
        if self.section(".debug_info").is_some() {
            return self.own_line_address(file, line);
        }
        self.debug_file(debug_dirs)?.own_line_address(file, line)
    }

    fn own_line_address(&self, file: &str, line: u64) -> Option<u64> {
        // Line tables stay in the file even when its entries are split off.
        let dwarf = self.dwarf()?;
        let mut best: Option<u64> = None;
        let mut units = dwarf.units();
        while let Ok(Some(header)) = units.next() {
            let Ok(unit) = dwarf.unit(header) else {
                continue;
            };
            let Some(program) = unit.line_program.clone() else {
                continue;
            };
            let mut rows = program.rows();
            while let Ok(Some((header, row))) = rows.next_row() {
                if !row.is_stmt() || row.end_sequence() || row.line().map(|l| l.get()) != Some(line)
                {
                    continue;
                }
                let Some(entry) = row.file(header) else {
                    continue;
                };
                let Ok(name) = dwarf.attr_string(&unit, entry.path_name()) else {
                    continue;
                };
                let name = String::from_utf8_lossy(name.slice());
                let matches = name == file
                    || name.ends_with(&format!("/{file}"))
                    || file.ends_with(&format!("/{name}"));
                if matches {
                    best = Some(best.map_or(row.address(), |b| b.min(row.address())));
                }
            }
        }
        best
    }

    /// The GNU build id note's bytes.
    pub fn build_id(&self) -> Option<Vec<u8>> {
        let (data, _) = self.section(".note.gnu.build-id")?;
        let u32_at = |off: usize| -> Option<usize> {
            let b: [u8; 4] = data.get(off..off + 4)?.try_into().ok()?;
            Some(if self.is_little_endian() {
                u32::from_le_bytes(b)
            } else {
                u32::from_be_bytes(b)
            } as usize)
        };
        let (namesz, descsz) = (u32_at(0)?, u32_at(4)?);
        let desc = 12 + namesz.next_multiple_of(4);
        data.get(desc..desc + descsz).map(<[u8]>::to_vec)
    }

    fn own_function_params(&self, func: &str, debug_dirs: &[PathBuf]) -> Option<Vec<Param>> {
        self.find_in_units(debug_dirs, |dwarf, unit| {
            Reader { dwarf, unit }.function(func)
        })
    }
}

struct Reader<'d, 'a> {
    dwarf: &'d gimli::Dwarf<R<'a>>,
    unit: &'d gimli::Unit<R<'a>>,
}

impl<'a> Reader<'_, 'a> {
    fn name(&self, entry: &gimli::DebuggingInformationEntry<R<'a>>) -> Option<String> {
        let value = entry.attr_value(gimli::DW_AT_name)?;
        let text = self.dwarf.attr_string(self.unit, value).ok()?;
        Some(String::from_utf8_lossy(text.slice()).into_owned())
    }

    fn type_of(&self, entry: &gimli::DebuggingInformationEntry<R<'a>>) -> Option<UnitOffset> {
        match entry.attr_value(gimli::DW_AT_type)? {
            AttributeValue::UnitRef(offset) => Some(offset),
            _ => None,
        }
    }

    fn udata(
        &self,
        entry: &gimli::DebuggingInformationEntry<R<'a>>,
        at: gimli::DwAt,
    ) -> Option<u64> {
        entry.attr_value(at)?.udata_value()
    }

    /// The parameters of the defined (not declared) function `func`: its
    /// plain name (`f`), or for C++ and Rust its symbol or the symbol
    /// demangled with or without parameters (`ns::K::get(long)`), found in
    /// namespaces and classes too.
    fn function(&self, func: &str) -> Option<Vec<Param>> {
        let mut entries = self.unit.entries();
        while let Ok(Some(entry)) = entries.next_dfs() {
            if entry.tag() != gimli::DW_TAG_subprogram
                || entry.attr_value(gimli::DW_AT_declaration).is_some()
                || !self.is_named(entry, func)
            {
                continue;
            }
            return Some(self.params(entry.offset()));
        }
        None
    }

    /// Whether `func` names `entry`, or the declaration it completes (a
    /// method defined outside its class) or the function it is an
    /// instance of.
    fn is_named(&self, entry: &gimli::DebuggingInformationEntry<R<'a>>, func: &str) -> bool {
        let mut offset = entry.offset();
        for _ in 0..3 {
            let Ok(current) = self.unit.entry(offset) else {
                return false;
            };
            for at in [gimli::DW_AT_linkage_name, gimli::DW_AT_MIPS_linkage_name] {
                let Some(symbol) = current
                    .attr_value(at)
                    .and_then(|v| self.dwarf.attr_string(self.unit, v).ok())
                else {
                    continue;
                };
                let symbol = String::from_utf8_lossy(symbol.slice());
                if symbol == func
                    || demangle_full(&symbol).as_deref() == Some(func)
                    || demangle(&symbol).as_deref() == Some(func)
                {
                    return true;
                }
            }
            if self.name(&current).as_deref() == Some(func) {
                return true;
            }
            let next = [gimli::DW_AT_specification, gimli::DW_AT_abstract_origin]
                .into_iter()
                .find_map(|at| match current.attr_value(at) {
                    Some(AttributeValue::UnitRef(o)) => Some(o),
                    _ => None,
                });
            match next {
                Some(o) => offset = o,
                None => return false,
            }
        }
        false
    }

    fn params(&self, function: UnitOffset) -> Vec<Param> {
        let mut params = Vec::new();
        let Ok(mut tree) = self.unit.entries_tree(Some(function)) else {
            return params;
        };
        let Ok(root) = tree.root() else {
            return params;
        };
        let mut children = root.children();
        while let Ok(Some(param)) = children.next() {
            let entry = param.entry();
            if entry.tag() != gimli::DW_TAG_formal_parameter {
                continue;
            }
            // A concrete instance of an inlined function names its
            // parameters' abstract entries rather than repeating them.
            let origin = match entry.attr_value(gimli::DW_AT_abstract_origin) {
                Some(AttributeValue::UnitRef(o)) => self.unit.entry(o).ok(),
                _ => None,
            };
            let name = self
                .name(entry)
                .or_else(|| origin.as_ref().and_then(|o| self.name(o)))
                .unwrap_or_default();
            let offset = self
                .type_of(entry)
                .or_else(|| origin.as_ref().and_then(|o| self.type_of(o)));
            params.push(Param {
                name,
                ty: offset.map_or(CType::Void, |o| self.ctype(o, 0)),
                c_type: offset.map_or_else(|| "void".into(), |o| self.c_name(o, 0)),
            });
        }
        params
    }

    fn ctype(&self, offset: UnitOffset, depth: u32) -> CType {
        let Ok(entry) = self.unit.entry(offset) else {
            return CType::Void;
        };
        let inner = |r: &Self| r.type_of(&entry).map_or(CType::Void, |o| r.ctype(o, depth));
        match entry.tag() {
            gimli::DW_TAG_base_type => {
                let bytes = self.udata(&entry, gimli::DW_AT_byte_size).unwrap_or(0) as u8;
                match entry.attr_value(gimli::DW_AT_encoding) {
                    Some(AttributeValue::Encoding(gimli::DW_ATE_boolean)) => CType::Bool,
                    Some(AttributeValue::Encoding(gimli::DW_ATE_float)) => CType::Float { bytes },
                    Some(AttributeValue::Encoding(gimli::DW_ATE_signed_char)) => {
                        CType::Char { signed: true }
                    }
                    Some(AttributeValue::Encoding(gimli::DW_ATE_unsigned_char)) => {
                        CType::Char { signed: false }
                    }
                    Some(AttributeValue::Encoding(gimli::DW_ATE_signed)) => CType::Int {
                        bytes,
                        signed: true,
                    },
                    _ => CType::Int {
                        bytes,
                        signed: false,
                    },
                }
            }
            gimli::DW_TAG_pointer_type | gimli::DW_TAG_reference_type => {
                let pointee = match self.type_of(&entry) {
                    Some(o) if depth < DEPTH => self.ctype(o, depth + 1),
                    Some(o) => self.shallow(o),
                    None => CType::Void,
                };
                CType::Ptr(Box::new(pointee))
            }
            gimli::DW_TAG_const_type
            | gimli::DW_TAG_volatile_type
            | gimli::DW_TAG_typedef
            | gimli::DW_TAG_restrict_type
            | gimli::DW_TAG_atomic_type => inner(self),
            gimli::DW_TAG_structure_type | gimli::DW_TAG_union_type | gimli::DW_TAG_class_type => {
                let union = entry.tag() == gimli::DW_TAG_union_type;
                let name = self.record_name(&entry, union);
                let size = self.udata(&entry, gimli::DW_AT_byte_size).unwrap_or(0) as u32;
                CType::Record {
                    name,
                    size,
                    union,
                    fields: self.fields(offset, depth),
                }
            }
            gimli::DW_TAG_array_type => {
                let elem = inner(self);
                CType::Array {
                    elem: Box::new(elem),
                    len: self.array_len(offset).unwrap_or(0),
                }
            }
            gimli::DW_TAG_enumeration_type => CType::Enum {
                name: format!("enum {}", self.name(&entry).unwrap_or_default()),
                bytes: self.udata(&entry, gimli::DW_AT_byte_size).unwrap_or(4) as u8,
                variants: self.enumerators(offset),
            },
            gimli::DW_TAG_subroutine_type => CType::Function,
            _ => CType::Void,
        }
    }

    /// A record reached too deep: named and sized, without fields.
    fn shallow(&self, offset: UnitOffset) -> CType {
        match self.ctype_kind(offset) {
            Some((name, size, union)) => CType::Record {
                name,
                size,
                union,
                fields: None,
            },
            None => CType::Void,
        }
    }

    fn ctype_kind(&self, mut offset: UnitOffset) -> Option<(String, u32, bool)> {
        loop {
            let entry = self.unit.entry(offset).ok()?;
            match entry.tag() {
                gimli::DW_TAG_structure_type | gimli::DW_TAG_union_type => {
                    let union = entry.tag() == gimli::DW_TAG_union_type;
                    let size = self.udata(&entry, gimli::DW_AT_byte_size).unwrap_or(0) as u32;
                    return Some((self.record_name(&entry, union), size, union));
                }
                gimli::DW_TAG_typedef | gimli::DW_TAG_const_type | gimli::DW_TAG_volatile_type => {
                    offset = self.type_of(&entry)?;
                }
                _ => return None,
            }
        }
    }

    fn record_name(&self, entry: &gimli::DebuggingInformationEntry<R<'a>>, union: bool) -> String {
        let kind = if union { "union" } else { "struct" };
        match self.name(entry) {
            Some(name) => format!("{kind} {name}"),
            None => format!("{kind} (anonymous {})", entry.offset().0),
        }
    }

    fn fields(&self, offset: UnitOffset, depth: u32) -> Option<Vec<CField>> {
        let mut tree = self.unit.entries_tree(Some(offset)).ok()?;
        let root = tree.root().ok()?;
        if root.entry().attr_value(gimli::DW_AT_declaration).is_some() {
            return None;
        }
        let mut out = Vec::new();
        let mut children = root.children();
        while let Ok(Some(child)) = children.next() {
            let entry = child.entry();
            if entry.tag() != gimli::DW_TAG_member {
                continue;
            }
            let field_offset = match entry.attr_value(gimli::DW_AT_data_member_location) {
                Some(v) => v.udata_value().unwrap_or(0) as u32,
                None => 0,
            };
            out.push(CField {
                name: self.name(entry).unwrap_or_default(),
                offset: field_offset,
                ty: self
                    .type_of(entry)
                    .map_or(CType::Void, |o| self.ctype(o, depth)),
            });
        }
        Some(out)
    }

    fn array_len(&self, offset: UnitOffset) -> Option<u32> {
        let mut tree = self.unit.entries_tree(Some(offset)).ok()?;
        let root = tree.root().ok()?;
        let mut children = root.children();
        while let Ok(Some(child)) = children.next() {
            let entry = child.entry();
            if entry.tag() != gimli::DW_TAG_subrange_type {
                continue;
            }
            if let Some(count) = self.udata(entry, gimli::DW_AT_count) {
                return Some(count as u32);
            }
            if let Some(upper) = self.udata(entry, gimli::DW_AT_upper_bound) {
                return Some(upper as u32 + 1);
            }
        }
        None
    }

    fn enumerators(&self, offset: UnitOffset) -> Vec<(String, u64)> {
        let mut out = Vec::new();
        let Ok(mut tree) = self.unit.entries_tree(Some(offset)) else {
            return out;
        };
        let Ok(root) = tree.root() else {
            return out;
        };
        let mut children = root.children();
        while let Ok(Some(child)) = children.next() {
            let entry = child.entry();
            if entry.tag() != gimli::DW_TAG_enumerator {
                continue;
            }
            let value = match entry.attr_value(gimli::DW_AT_const_value) {
                Some(AttributeValue::Sdata(v)) => v as u64,
                Some(v) => v.udata_value().unwrap_or(0),
                None => 0,
            };
            out.push((self.name(entry).unwrap_or_default(), value));
        }
        out
    }

    /// The type as C spells it, bpftrace style: `int`, `int*`,
    /// `struct Foo*`, `const char*`.
    fn c_name(&self, offset: UnitOffset, depth: u32) -> String {
        if depth > 16 {
            return "void".into();
        }
        let Ok(entry) = self.unit.entry(offset) else {
            return "void".into();
        };
        let inner = |r: &Self| {
            r.type_of(&entry)
                .map_or_else(|| "void".to_string(), |o| r.c_name(o, depth + 1))
        };
        match entry.tag() {
            gimli::DW_TAG_pointer_type => format!("{}*", inner(self)),
            // A qualified pointer is written after the star (`int* const`).
            gimli::DW_TAG_const_type | gimli::DW_TAG_volatile_type => {
                let qualifier = if entry.tag() == gimli::DW_TAG_const_type {
                    "const"
                } else {
                    "volatile"
                };
                let inner = inner(self);
                if inner.ends_with('*') {
                    format!("{inner} {qualifier}")
                } else {
                    format!("{qualifier} {inner}")
                }
            }
            gimli::DW_TAG_structure_type => {
                format!("struct {}", self.name(&entry).unwrap_or_default())
            }
            gimli::DW_TAG_union_type => format!("union {}", self.name(&entry).unwrap_or_default()),
            gimli::DW_TAG_enumeration_type => {
                format!("enum {}", self.name(&entry).unwrap_or_default())
            }
            gimli::DW_TAG_array_type => {
                format!("{}[{}]", inner(self), self.array_len(offset).unwrap_or(0))
            }
            gimli::DW_TAG_subroutine_type => "void (*)()".into(),
            _ => self.name(&entry).unwrap_or_else(|| "void".into()),
        }
    }
}

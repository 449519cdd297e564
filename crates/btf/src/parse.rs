//! The BTF container: header, type section, string section; the index of
//! type offsets and names built on opening; decoding on demand.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};

use crate::types::{kind, Kind, Member, Param, TypeId, TypeInfo};

const MAGIC: u16 = 0xeb9f;
const HEADER_LEN: usize = 24;

/// Why a BTF blob cannot be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error(pub String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// Whatever holds a BTF blob's bytes: a `Vec<u8>`, or a mapping of the
/// kernel's file that its reader owns.
pub trait BtfBytes: AsRef<[u8]> + Send + Sync {}

impl<T: AsRef<[u8]> + Send + Sync> BtfBytes for T {}

/// The types of one BTF blob (and of its base, for split module BTF).
pub struct Btf {
    data: Box<dyn BtfBytes>,
    /// Where the type records start in `data`.
    types_start: usize,
    strings_start: usize,
    strings_len: usize,
    /// Byte offset (from `types_start`) of each type of this blob, in id
    /// order starting at `first_id`.
    offsets: Vec<u32>,
    first_id: TypeId,
    /// Types of this blob by name, built once lookups are many (see
    /// `find`).
    by_name: OnceLock<HashMap<String, Vec<TypeId>>>,
    /// Lookups so far.
    lookups: AtomicU32,
    /// Enum variants by the offset of their name: (enum type, index).
    variants: OnceLock<HashMap<u32, (TypeId, u32)>>,
    base: Option<Arc<Btf>>,
}

impl Btf {
    fn bytes(&self) -> &[u8] {
        (*self.data).as_ref()
    }
}

impl fmt::Debug for Btf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Btf")
            .field("types", &self.offsets.len())
            .field("first_id", &self.first_id)
            .finish()
    }
}

impl Btf {
    /// Read a BTF file, e.g. `/sys/kernel/btf/vmlinux`.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Btf, Error> {
        let path = path.as_ref();
        let data =
            std::fs::read(path).map_err(|e| Error(format!("read {}: {e}", path.display())))?;
        Btf::from_bytes(data)
    }

    /// A complete BTF blob (the kernel's, or one built by a test).
    pub fn from_bytes(data: impl BtfBytes + 'static) -> Result<Btf, Error> {
        Btf::parse(Box::new(data), None)
    }

    /// A module's BTF, whose ids and strings continue those of `base`.
    pub fn from_split_bytes(data: impl BtfBytes + 'static, base: Arc<Btf>) -> Result<Btf, Error> {
        Btf::parse(Box::new(data), Some(base))
    }

    fn parse(owner: Box<dyn BtfBytes>, base: Option<Arc<Btf>>) -> Result<Btf, Error> {
        let data: &[u8] = (*owner).as_ref();
        let u16_at = |at: usize| {
            data.get(at..at + 2)
                .map(|b| u16::from_le_bytes([b[0], b[1]]))
        };
        let u32_at = |at: usize| {
            data.get(at..at + 4)
                .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")))
        };
        match u16_at(0) {
            Some(MAGIC) => {}
            Some(0x9feb) => return Err(Error("big-endian BTF is not supported".into())),
            _ => return Err(Error("not BTF (bad magic number)".into())),
        }
        let short = || Error("BTF header is truncated".into());
        let hdr_len = u32_at(4).ok_or_else(short)? as usize;
        if hdr_len < HEADER_LEN {
            return Err(short());
        }
        let type_off = u32_at(8).ok_or_else(short)? as usize;
        let type_len = u32_at(12).ok_or_else(short)? as usize;
        let str_off = u32_at(16).ok_or_else(short)? as usize;
        let str_len = u32_at(20).ok_or_else(short)? as usize;
        let types_start = hdr_len + type_off;
        let strings_start = hdr_len + str_off;
        if types_start + type_len > data.len() || strings_start + str_len > data.len() {
            return Err(Error("BTF sections run past the end of the data".into()));
        }
        let first_id = match &base {
            Some(b) => b.first_id + b.offsets.len() as u32,
            None => 1,
        };
        let mut btf = Btf {
            data: owner,
            types_start,
            strings_start,
            strings_len: str_len,
            offsets: Vec::new(),
            first_id,
            by_name: OnceLock::new(),
            lookups: AtomicU32::new(0),
            variants: OnceLock::new(),
            base,
        };
        btf.index(type_len)?;
        Ok(btf)
    }

    /// One pass over the type records: where each starts, and its name.
    fn index(&mut self, type_len: usize) -> Result<(), Error> {
        let mut at = 0usize;
        let mut id = self.first_id;
        while at < type_len {
            if at + 12 > type_len {
                return Err(Error(format!("type {id} is truncated")));
            }
            let name_off = self.u32(self.types_start + at);
            let info = self.u32(self.types_start + at + 4);
            let vlen = (info & 0xffff) as usize;
            let extra = match (info >> 24) & 0x1f {
                kind::INT | kind::VAR | kind::DECL_TAG => 4,
                kind::ARRAY => 12,
                kind::STRUCT | kind::UNION | kind::DATASEC | kind::ENUM64 => 12 * vlen,
                kind::ENUM | kind::FUNC_PROTO => 8 * vlen,
                kind::PTR
                | kind::FWD
                | kind::TYPEDEF
                | kind::VOLATILE
                | kind::CONST
                | kind::RESTRICT
                | kind::FUNC
                | kind::FLOAT
                | kind::TYPE_TAG => 0,
                other => return Err(Error(format!("type {id} has unknown kind {other}"))),
            };
            let _ = name_off;
            self.offsets.push(at as u32);
            at += 12 + extra;
            id += 1;
        }
        if at != type_len {
            return Err(Error("the type section ends inside a type".into()));
        }
        Ok(())
    }

    fn u32(&self, at: usize) -> u32 {
        u32::from_le_bytes(self.bytes()[at..at + 4].try_into().expect("4 bytes"))
    }

    /// The number of types, the base's included (ids run from 1 to this).
    pub fn len(&self) -> u32 {
        self.first_id - 1 + self.offsets.len() as u32
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The string at `off` of the (combined) string section.
    fn string(&self, off: u32) -> String {
        if let Some(base) = &self.base {
            if (off as usize) < base.strings_len {
                return base.string(off);
            }
            return self.own_string(off as usize - base.strings_len);
        }
        self.own_string(off as usize)
    }

    fn own_string(&self, off: usize) -> String {
        let strings = &self.bytes()[self.strings_start..self.strings_start + self.strings_len];
        let Some(tail) = strings.get(off..) else {
            return String::new();
        };
        let end = tail.iter().position(|&b| b == 0).unwrap_or(tail.len());
        String::from_utf8_lossy(&tail[..end]).into_owned()
    }

    /// The offset of `name` in this blob's own string section, in the
    /// combined numbering.
    fn own_string_offset(&self, name: &str) -> Option<u32> {
        if name.is_empty() {
            return None;
        }
        let strings = &self.bytes()[self.strings_start..self.strings_start + self.strings_len];
        let needle = name.as_bytes();
        let base_len = self.base.as_ref().map_or(0, |b| b.strings_len) as u32;
        // Strings are NUL-separated: a match must start after a NUL and be
        // followed by one.
        let mut from = 0;
        while let Some(pos) = find(&strings[from..], needle) {
            let start = from + pos;
            let end = start + needle.len();
            if (start == 0 || strings[start - 1] == 0) && strings.get(end) == Some(&0) {
                return Some(base_len + start as u32);
            }
            from = start + 1;
        }
        None
    }

    /// Every type called `name`, the base's first.
    pub fn find(&self, name: &str) -> Vec<TypeId> {
        let mut found = match &self.base {
            Some(base) => base.find(name),
            None => Vec::new(),
        };
        found.extend(self.own_find(name));
        found
    }

    /// Types of this blob called `name`. The first lookups search the
    /// string section and scan the type headers (a fraction of a
    /// millisecond each); after that (listing every function's signature
    /// looks up thousands) an index by name pays for itself and is built.
    fn own_find(&self, name: &str) -> Vec<TypeId> {
        const SCANS_BEFORE_INDEX: u32 = 16;
        if self.by_name.get().is_some()
            || self.lookups.fetch_add(1, Ordering::Relaxed) >= SCANS_BEFORE_INDEX
        {
            let index = self.by_name.get_or_init(|| {
                let mut index: HashMap<String, Vec<TypeId>> = HashMap::new();
                for (i, &at) in self.offsets.iter().enumerate() {
                    let off = self.u32(self.types_start + at as usize);
                    if off != 0 {
                        index
                            .entry(self.string(off))
                            .or_default()
                            .push(self.first_id + i as u32);
                    }
                }
                index
            });
            return index.get(name).cloned().unwrap_or_default();
        }
        // A module's types may be named with its own strings or with
        // strings of the base.
        let offsets = [
            self.own_string_offset(name),
            self.base.as_ref().and_then(|b| b.own_string_offset(name)),
        ];
        let mut found = Vec::new();
        for off in offsets.into_iter().flatten() {
            found.extend(
                self.offsets
                    .iter()
                    .enumerate()
                    .filter(|(_, &at)| self.u32(self.types_start + at as usize) == off)
                    .map(|(i, _)| self.first_id + i as u32),
            );
        }
        found
    }

    /// The names of this blob's own typedefs that start with `prefix`, the
    /// prefix removed, in id order. One pass over the type headers comparing
    /// bytes in place: the way to enumerate families such as the
    /// `btf_trace_*` typedefs that declare the raw tracepoints.
    pub fn own_typedefs_with_prefix(&self, prefix: &str) -> Vec<String> {
        self.own_names_with_prefix(kind::TYPEDEF, prefix)
    }

    /// The names of this file's own structs that start with `prefix`,
    /// without it (`bpf_iter__` gives `task`, `task_file`, ...).
    pub fn own_structs_with_prefix(&self, prefix: &str) -> Vec<String> {
        self.own_names_with_prefix(kind::STRUCT, prefix)
    }

    fn own_names_with_prefix(&self, wanted: u32, prefix: &str) -> Vec<String> {
        let prefix = prefix.as_bytes();
        let base_len = self.base.as_ref().map_or(0, |b| b.strings_len);
        let (strings, base_strings) = (
            &self.bytes()[self.strings_start..self.strings_start + self.strings_len],
            self.base
                .as_ref()
                .map(|b| &b.bytes()[b.strings_start..b.strings_start + b.strings_len]),
        );
        let mut names = Vec::new();
        for &at in &self.offsets {
            let header = self.types_start + at as usize;
            if (self.u32(header + 4) >> 24) & 0x1f != wanted {
                continue;
            }
            let off = self.u32(header) as usize;
            // Names below the base's string count are the base's strings.
            let tail = match base_strings {
                Some(base) if off < base_len => base.get(off..),
                Some(_) => strings.get(off - base_len..),
                None => strings.get(off..),
            };
            let Some(tail) = tail.filter(|t| t.starts_with(prefix)) else {
                continue;
            };
            let end = tail.iter().position(|&b| b == 0).unwrap_or(tail.len());
            names.push(String::from_utf8_lossy(&tail[prefix.len()..end]).into_owned());
        }
        names
    }

    /// The enum that has a variant called `name`, and the variant's value.
    pub fn enum_variant(&self, name: &str) -> Option<(TypeId, u64)> {
        if let Some(found) = self.base.as_ref().and_then(|b| b.enum_variant(name)) {
            return Some(found);
        }
        let off = self.own_string_offset(name)?;
        let index = self.variants.get_or_init(|| self.index_variants());
        let &(id, i) = index.get(&off)?;
        match self.type_by_id(id)?.kind {
            Kind::Enum { variants, .. } => variants.get(i as usize).map(|(_, v)| (id, *v)),
            _ => None,
        }
    }

    fn index_variants(&self) -> HashMap<u32, (TypeId, u32)> {
        let mut index = HashMap::new();
        for (i, &at) in self.offsets.iter().enumerate() {
            let at = self.types_start + at as usize;
            let info = self.u32(at + 4);
            let step = match (info >> 24) & 0x1f {
                kind::ENUM => 8,
                kind::ENUM64 => 12,
                _ => continue,
            };
            for v in 0..(info & 0xffff) as usize {
                let name_off = self.u32(at + 12 + v * step);
                index
                    .entry(name_off)
                    .or_insert((self.first_id + i as u32, v as u32));
            }
        }
        index
    }

    /// Decode type `id`; `None` for an id out of range.
    pub fn type_by_id(&self, id: TypeId) -> Option<TypeInfo> {
        if id == 0 {
            return Some(TypeInfo {
                name: String::new(),
                kind: Kind::Void,
            });
        }
        if id < self.first_id {
            return self.base.as_ref()?.type_by_id(id);
        }
        let at = self.types_start + *self.offsets.get((id - self.first_id) as usize)? as usize;
        let name = self.string(self.u32(at));
        let info = self.u32(at + 4);
        let vlen = (info & 0xffff) as usize;
        let kind_flag = info >> 31 == 1;
        let size_or_type = self.u32(at + 8);
        let body = at + 12;
        let members = || {
            (0..vlen)
                .map(|i| {
                    let m = body + 12 * i;
                    let offset = self.u32(m + 8);
                    let (bit_offset, bitfield_size) = if kind_flag {
                        (offset & 0xff_ffff, offset >> 24)
                    } else {
                        (offset, 0)
                    };
                    Member {
                        name: self.string(self.u32(m)),
                        ty: self.u32(m + 4),
                        bit_offset,
                        bitfield_size,
                    }
                })
                .collect()
        };
        let kind = match (info >> 24) & 0x1f {
            kind::INT => {
                let encoding = self.u32(body) >> 24;
                Kind::Int {
                    size: size_or_type,
                    signed: encoding & 1 != 0,
                    char: encoding & 2 != 0,
                    bool: encoding & 4 != 0,
                }
            }
            kind::PTR => Kind::Ptr(size_or_type),
            kind::ARRAY => Kind::Array {
                elem: self.u32(body),
                len: self.u32(body + 8),
            },
            kind::STRUCT => Kind::Struct {
                size: size_or_type,
                members: members(),
            },
            kind::UNION => Kind::Union {
                size: size_or_type,
                members: members(),
            },
            kind::ENUM => Kind::Enum {
                size: size_or_type,
                signed: kind_flag,
                variants: (0..vlen)
                    .map(|i| {
                        let v = body + 8 * i;
                        let raw = self.u32(v + 4);
                        let value = if kind_flag {
                            raw as i32 as i64 as u64
                        } else {
                            raw as u64
                        };
                        (self.string(self.u32(v)), value)
                    })
                    .collect(),
            },
            kind::ENUM64 => Kind::Enum {
                size: size_or_type,
                signed: kind_flag,
                variants: (0..vlen)
                    .map(|i| {
                        let v = body + 12 * i;
                        let value = self.u32(v + 4) as u64 | (self.u32(v + 8) as u64) << 32;
                        (self.string(self.u32(v)), value)
                    })
                    .collect(),
            },
            kind::FWD => Kind::Fwd { union: kind_flag },
            kind::TYPEDEF => Kind::Typedef(size_or_type),
            kind::VOLATILE => Kind::Volatile(size_or_type),
            kind::CONST => Kind::Const(size_or_type),
            kind::RESTRICT => Kind::Restrict(size_or_type),
            kind::TYPE_TAG => Kind::TypeTag(size_or_type),
            kind::FUNC => Kind::Func(size_or_type),
            kind::FUNC_PROTO => Kind::FuncProto {
                ret: size_or_type,
                params: (0..vlen)
                    .map(|i| {
                        let p = body + 8 * i;
                        Param {
                            name: self.string(self.u32(p)),
                            ty: self.u32(p + 4),
                        }
                    })
                    .collect(),
            },
            kind::FLOAT => Kind::Float { size: size_or_type },
            kind::VAR => Kind::Var(size_or_type),
            _ => Kind::Other,
        };
        Some(TypeInfo { name, kind })
    }

    /// Follow typedefs and qualifiers to the type they stand for.
    pub fn resolve(&self, mut id: TypeId) -> TypeId {
        for _ in 0..64 {
            match self.type_by_id(id).map(|t| t.kind) {
                Some(
                    Kind::Typedef(next)
                    | Kind::Volatile(next)
                    | Kind::Const(next)
                    | Kind::Restrict(next)
                    | Kind::TypeTag(next),
                ) => id = next,
                _ => break,
            }
        }
        id
    }
}

/// The first position of `needle` in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, rest) = needle.split_first()?;
    let mut from = 0;
    while from + needle.len() <= hay.len() {
        let pos = from
            + hay[from..=hay.len() - needle.len()]
                .iter()
                .position(|&b| b == first)?;
        if hay[pos + 1..pos + needle.len()] == *rest {
            return Some(pos);
        }
        from = pos + 1;
    }
    None
}

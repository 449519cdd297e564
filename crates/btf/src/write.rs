//! Writing BTF. Sonde loads one kind: the small BTF a program with
//! subprograms must be loaded with, one function type per function, so
//! the kernel can tell where each function starts ([`functions`]). Every
//! function is `static long NAME(long a0, ...)`; the verifier takes the
//! arguments of static functions from the calls it sees, not from these
//! prototypes. [`Builder`] writes other types too, for tests that need a
//! kernel's BTF.

use crate::types::kind;

const MAGIC: u16 = 0xeb9f;
const VERSION: u8 = 1;
const HEADER_LEN: u32 = 24;
/// `BTF_INT_SIGNED`, `BTF_INT_CHAR`, `BTF_INT_BOOL`: an integer's
/// encoding bits.
const INT_SIGNED: u32 = 1;
const INT_CHAR: u32 = 2;
const INT_BOOL: u32 = 4;

/// A function for [`functions`]: its name (a C identifier) and how many
/// arguments it takes.
pub struct Function<'a> {
    pub name: &'a str,
    pub params: u8,
}

/// The BTF blob and, for each function in order, the id of its `FUNC` type
/// (what `struct bpf_func_info` records pair with instruction offsets).
pub fn functions(funcs: &[Function<'_>]) -> (Vec<u8>, Vec<u32>) {
    let mut b = Builder::new();
    let long = b.int("long", 8, true);
    let arg_names: Vec<String> = (0..8).map(|i| format!("a{i}")).collect();
    let ids = funcs
        .iter()
        .map(|f| {
            let count = usize::from(f.params).min(arg_names.len());
            let params: Vec<(&str, u32)> = arg_names[..count]
                .iter()
                .map(|n| (n.as_str(), long))
                .collect();
            b.func(f.name, long, &params)
        })
        .collect();
    (b.finish(), ids)
}

/// Builds a BTF blob type by type; each method returns the new type's id.
/// Sonde loads only [`functions`]; the rest describes kernels for tests
/// that need one (a fake vmlinux with a few structs and functions).
pub struct Builder {
    types: Vec<u8>,
    strings: Strings,
    next_id: u32,
}

impl Default for Builder {
    fn default() -> Self {
        Builder::new()
    }
}

impl Builder {
    pub fn new() -> Builder {
        Builder {
            types: Vec::new(),
            strings: Strings::default(),
            next_id: 1,
        }
    }

    fn push(&mut self, words: &[u32]) -> u32 {
        for w in words {
            self.types.extend_from_slice(&w.to_le_bytes());
        }
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    fn name(&mut self, name: &str) -> u32 {
        if name.is_empty() {
            0
        } else {
            self.strings.add(name)
        }
    }

    /// An integer of `size` bytes; `char` and `_Bool` say so by name.
    pub fn int(&mut self, name: &str, size: u32, signed: bool) -> u32 {
        let mut encoding = if signed { INT_SIGNED } else { 0 };
        match name {
            "char" => encoding |= INT_CHAR,
            "_Bool" => encoding |= INT_BOOL,
            _ => {}
        }
        let n = self.name(name);
        self.push(&[n, kind::INT << 24, size, (encoding << 24) | (size * 8)])
    }

    pub fn ptr(&mut self, to: u32) -> u32 {
        self.push(&[0, kind::PTR << 24, to])
    }

    pub fn typedef(&mut self, name: &str, to: u32) -> u32 {
        let n = self.name(name);
        self.push(&[n, kind::TYPEDEF << 24, to])
    }

    pub fn konst(&mut self, to: u32) -> u32 {
        self.push(&[0, kind::CONST << 24, to])
    }

    /// `__attribute__((btf_type_tag(name)))` on `to` (the kernel's
    /// `__user` is the tag `user` on a pointee).
    pub fn type_tag(&mut self, name: &str, to: u32) -> u32 {
        let n = self.name(name);
        self.push(&[n, kind::TYPE_TAG << 24, to])
    }

    /// A struct of `size` bytes with `(name, type, byte offset)` members.
    pub fn structure(&mut self, name: &str, size: u32, members: &[(&str, u32, u32)]) -> u32 {
        let n = self.name(name);
        let mut words = vec![n, (kind::STRUCT << 24) | members.len() as u32, size];
        for (member, ty, offset) in members {
            words.extend([self.name(member), *ty, offset * 8]);
        }
        self.push(&words)
    }

    /// A struct declared but not defined.
    pub fn forward(&mut self, name: &str) -> u32 {
        let n = self.name(name);
        self.push(&[n, kind::FWD << 24, 0])
    }

    /// A function with static linkage: its prototype (`ret` and `(name,
    /// type)` parameters), then the `FUNC`, whose id is returned.
    pub fn func(&mut self, name: &str, ret: u32, params: &[(&str, u32)]) -> u32 {
        let mut words = vec![0, (kind::FUNC_PROTO << 24) | params.len() as u32, ret];
        for (param, ty) in params {
            words.extend([self.name(param), *ty]);
        }
        let proto = self.push(&words);
        let n = self.name(name);
        // vlen 0: static linkage.
        self.push(&[n, kind::FUNC << 24, proto])
    }

    /// The blob: header, types, strings.
    pub fn finish(self) -> Vec<u8> {
        let strings = self.strings.bytes;
        let types = self.types;
        let mut blob = Vec::with_capacity(HEADER_LEN as usize + types.len() + strings.len());
        blob.extend_from_slice(&MAGIC.to_le_bytes());
        blob.push(VERSION);
        blob.push(0);
        for word in [
            HEADER_LEN,
            0,
            types.len() as u32,
            types.len() as u32,
            strings.len() as u32,
        ] {
            blob.extend_from_slice(&word.to_le_bytes());
        }
        blob.extend_from_slice(&types);
        blob.extend_from_slice(&strings);
        blob
    }
}

/// The string section: NUL-separated, starting with the empty string;
/// each string is written once.
struct Strings {
    bytes: Vec<u8>,
    offsets: std::collections::HashMap<String, u32>,
}

impl Default for Strings {
    fn default() -> Self {
        Strings {
            bytes: vec![0],
            offsets: Default::default(),
        }
    }
}

impl Strings {
    fn add(&mut self, s: &str) -> u32 {
        if let Some(&at) = self.offsets.get(s) {
            return at;
        }
        let at = self.bytes.len() as u32;
        self.bytes.extend_from_slice(s.as_bytes());
        self.bytes.push(0);
        self.offsets.insert(s.to_string(), at);
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Btf, Kind};

    #[test]
    fn the_reader_sees_the_functions_written() {
        let (blob, ids) = functions(&[
            Function {
                name: "main",
                params: 1,
            },
            Function {
                name: "cb",
                params: 4,
            },
        ]);
        let btf = Btf::from_bytes(blob).unwrap();
        assert_eq!(ids, [3, 5]);
        let cb = btf.type_by_id(5).unwrap();
        assert_eq!(cb.name, "cb");
        assert_eq!(cb.kind, Kind::Func(4));
        let Kind::FuncProto { ret, params } = btf.type_by_id(4).unwrap().kind else {
            panic!("not a prototype");
        };
        assert_eq!(ret, 1);
        assert_eq!(params.len(), 4);
        assert_eq!(params[3].name, "a3");
        assert_eq!(btf.find("main"), [3]);
    }

    #[test]
    fn built_types_read_back() {
        let mut b = Builder::new();
        let char_ = b.int("char", 1, true);
        let user = b.type_tag("user", char_);
        let ptr = b.ptr(user);
        let long = b.int("long", 8, true);
        let file = b.structure("file", 16, &[("f_flags", long, 0), ("f_pos", long, 8)]);
        let fp = b.ptr(file);
        let f = b.func("vfs_read", long, &[("file", fp), ("buf", ptr)]);
        let btf = Btf::from_bytes(b.finish()).unwrap();
        assert!(matches!(
            btf.type_by_id(char_).unwrap().kind,
            Kind::Int {
                char: true,
                signed: true,
                size: 1,
                ..
            }
        ));
        assert_eq!(btf.type_by_id(user).unwrap().name, "user");
        let Kind::Struct { members, size } = btf.type_by_id(file).unwrap().kind else {
            panic!("not a struct");
        };
        assert_eq!((size, members[1].bit_offset), (16, 64));
        let Kind::Func(proto) = btf.type_by_id(f).unwrap().kind else {
            panic!("not a function");
        };
        let Kind::FuncProto { ret, params } = btf.type_by_id(proto).unwrap().kind else {
            panic!("not a prototype");
        };
        assert_eq!(ret, long);
        assert_eq!(params[1].name, "buf");
        assert_eq!(params[1].ty, ptr);
    }
}

//! Writing the small BTF a program with subprograms must be loaded with:
//! one function type per function, so the kernel can tell where each
//! function starts. Every function is `static long NAME(long a0, ...)`;
//! the verifier takes the arguments of static functions from the calls it
//! sees, not from these prototypes.

use crate::types::kind;

const MAGIC: u16 = 0xeb9f;
const VERSION: u8 = 1;
const HEADER_LEN: u32 = 24;
/// `BTF_INT_SIGNED` in an integer's encoding byte.
const INT_SIGNED: u32 = 1;

/// A function for [`functions`]: its name (a C identifier) and how many
/// arguments it takes.
pub struct Function<'a> {
    pub name: &'a str,
    pub params: u8,
}

/// The BTF blob and, for each function in order, the id of its `FUNC` type
/// (what `struct bpf_func_info` records pair with instruction offsets).
pub fn functions(funcs: &[Function<'_>]) -> (Vec<u8>, Vec<u32>) {
    let mut strings = Strings::default();
    let mut types = Vec::new();
    let mut next_id = 1u32;
    let push = |types: &mut Vec<u8>, words: &[u32]| {
        for w in words {
            types.extend_from_slice(&w.to_le_bytes());
        }
    };
    let long = next_id;
    next_id += 1;
    let long_name = strings.add("long");
    push(
        &mut types,
        &[long_name, kind::INT << 24, 8, (INT_SIGNED << 24) | 64],
    );
    let arg_names: Vec<u32> = (0..8).map(|i| strings.add(&format!("a{i}"))).collect();
    let mut ids = Vec::with_capacity(funcs.len());
    for f in funcs {
        let proto = next_id;
        let params = u32::from(f.params).min(arg_names.len() as u32);
        push(&mut types, &[0, (kind::FUNC_PROTO << 24) | params, long]);
        for name in &arg_names[..params as usize] {
            push(&mut types, &[*name, long]);
        }
        let func = proto + 1;
        let name = strings.add(f.name);
        // vlen 0: static linkage.
        push(&mut types, &[name, kind::FUNC << 24, proto]);
        next_id = func + 1;
        ids.push(func);
    }
    let strings = strings.bytes;
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
    (blob, ids)
}

/// The string section: NUL-separated, starting with the empty string.
struct Strings {
    bytes: Vec<u8>,
}

impl Default for Strings {
    fn default() -> Self {
        Strings { bytes: vec![0] }
    }
}

impl Strings {
    fn add(&mut self, s: &str) -> u32 {
        let at = self.bytes.len() as u32;
        self.bytes.extend_from_slice(s.as_bytes());
        self.bytes.push(0);
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
}

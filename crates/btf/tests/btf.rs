//! The reader on blobs built here, and on the running kernel's own BTF.

use sonde_btf::{Btf, Kind, Member};

/// A little-endian BTF blob written by hand: types as (name, info, size or
/// type, extra words), strings as given.
struct Builder {
    strings: Vec<u8>,
    types: Vec<u8>,
}

impl Builder {
    fn new() -> Builder {
        Builder {
            strings: vec![0],
            types: Vec::new(),
        }
    }

    fn string(&mut self, s: &str) -> u32 {
        if s.is_empty() {
            return 0;
        }
        let off = self.strings.len() as u32;
        self.strings.extend_from_slice(s.as_bytes());
        self.strings.push(0);
        off
    }

    fn ty(&mut self, name: &str, kind: u32, vlen: u32, flag: bool, size: u32, extra: &[u32]) {
        let name = self.string(name);
        let info = (kind << 24) | vlen | if flag { 1 << 31 } else { 0 };
        for w in [name, info, size].iter().chain(extra) {
            self.types.extend_from_slice(&w.to_le_bytes());
        }
    }

    fn finish(self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&0xeb9fu16.to_le_bytes());
        out.push(1);
        out.push(0);
        let words = [
            24u32,
            0,
            self.types.len() as u32,
            self.types.len() as u32,
            self.strings.len() as u32,
        ];
        for w in words {
            out.extend_from_slice(&w.to_le_bytes());
        }
        out.extend_from_slice(&self.types);
        out.extend_from_slice(&self.strings);
        out
    }
}

/// 1 int, 2 struct node { int v; struct node *next; unsigned flag:3; },
/// 3 struct node *, 4 enum E { A = 1, B = -2 }, 5 typedef int myint.
fn sample() -> Vec<u8> {
    let mut b = Builder::new();
    b.ty("int", 1, 0, false, 4, &[(1 << 24) | 32]);
    let v = b.string("v");
    let next = b.string("next");
    let flag = b.string("flag");
    b.ty(
        "node",
        4,
        3,
        true,
        24,
        &[v, 1, 0, next, 3, 64, flag, 1, (3 << 24) | 128],
    );
    b.ty("", 2, 0, false, 2, &[]);
    let a = b.string("A");
    let bb = b.string("B");
    b.ty("E", 6, 2, true, 4, &[a, 1, bb, (-2i32) as u32]);
    b.ty("myint", 8, 0, false, 1, &[]);
    b.finish()
}

#[test]
fn finds_and_decodes_types_by_name() {
    let btf = Btf::from_bytes(sample()).unwrap();
    assert_eq!(btf.len(), 5);
    assert_eq!(btf.find("node"), [2]);
    assert_eq!(btf.find("nod"), Vec::<u32>::new());
    assert_eq!(btf.find("missing"), Vec::<u32>::new());
    let node = btf.type_by_id(2).unwrap();
    assert_eq!(node.name, "node");
    let Kind::Struct { size, members } = node.kind else {
        panic!("not a struct: {node:?}");
    };
    assert_eq!(size, 24);
    assert_eq!(
        members[2],
        Member {
            name: "flag".into(),
            ty: 1,
            bit_offset: 128,
            bitfield_size: 3
        }
    );
    assert_eq!(btf.type_by_id(3).unwrap().kind, Kind::Ptr(2));
    assert_eq!(btf.resolve(5), 1);
    assert_eq!(
        btf.type_by_id(1).unwrap().kind,
        Kind::Int {
            size: 4,
            signed: true,
            char: false,
            bool: false
        }
    );
    assert_eq!(btf.enum_variant("B"), Some((4, (-2i64) as u64)));
    assert_eq!(btf.enum_variant("C"), None);
    assert_eq!(btf.type_by_id(6), None);
}

#[test]
fn split_btf_continues_the_base() {
    let base = std::sync::Arc::new(Btf::from_bytes(sample()).unwrap());
    let mut b = Builder::new();
    // A module type pointing at the base's `struct node`.
    b.ty("modptr", 8, 0, false, 3, &[]);
    let mut blob = b.finish();
    // Split string offsets continue after the base's strings: rewrite the one name offset to follow the base's string section.
    let base_len = {
        let s = sample();
        u32::from_le_bytes(s[20..24].try_into().unwrap())
    };
    let name_off = u32::from_le_bytes(blob[24..28].try_into().unwrap()) + base_len;
    blob[24..28].copy_from_slice(&name_off.to_le_bytes());
    let module = Btf::from_split_bytes(blob, base).unwrap();
    assert_eq!(module.len(), 6);
    assert_eq!(module.find("modptr"), [6]);
    assert_eq!(module.find("node"), [2]);
    assert_eq!(module.resolve(6), 3);
    assert_eq!(module.type_by_id(2).unwrap().name, "node");
}

#[test]
fn bad_blobs_are_errors_not_panics() {
    assert!(Btf::from_bytes(Vec::new()).is_err());
    assert!(Btf::from_bytes(vec![0x9f, 0xeb, 1, 0]).is_err());
    let mut truncated = sample();
    truncated.truncate(40);
    assert!(Btf::from_bytes(truncated).is_err());
    // Every prefix of a valid blob fails cleanly or parses.
    let full = sample();
    for n in 0..full.len() {
        let _ = Btf::from_bytes(full[..n].to_vec());
    }
}

#[test]
fn the_running_kernel_describes_task_struct() {
    let btf = Btf::from_file("/sys/kernel/btf/vmlinux").expect("this kernel has BTF");
    let ids = btf.find("task_struct");
    let task = ids
        .iter()
        .filter_map(|&id| btf.type_by_id(id))
        .find(|t| matches!(t.kind, Kind::Struct { .. }))
        .expect("struct task_struct");
    let Kind::Struct { members, .. } = task.kind else {
        unreachable!()
    };
    for field in ["pid", "tgid", "comm", "parent"] {
        assert!(
            members.iter().any(|m| m.name == field),
            "task_struct has no {field}"
        );
    }
    // An enum constant every kernel with BTF has.
    let (id, value) = btf.enum_variant("BTF_VAR_STATIC").expect("BTF_VAR_STATIC");
    assert_eq!(value, 0);
    assert!(matches!(
        btf.type_by_id(id).unwrap().kind,
        Kind::Enum { .. }
    ));
}

#[test]
fn definitions_are_written_back_as_c() {
    let btf = Btf::from_bytes(sample()).unwrap();
    assert_eq!(
        btf.c_definition(2),
        "struct node {\n\tint v;\n\tstruct node *next;\n\tint flag: 3;\n};\n"
    );
    assert_eq!(btf.c_definition(4), "enum E {\n\tA = 1,\n\tB = -2,\n};\n");
    assert_eq!(btf.c_type_name(3), "struct node *");
    assert_eq!(btf.c_type_name(5), "myint");
}

#[test]
fn qualified_pointers_are_qualified_after_their_star() {
    let mut b = sonde_btf::write::Builder::new();
    let attr = b.structure("nlattr", 4, &[]);
    let const_attr = b.konst(attr);
    let ptr = b.ptr(const_attr);
    let const_ptr = b.konst(ptr);
    let tb = b.ptr(const_ptr);
    let char_ = b.int("char", 1, true);
    let user = b.type_tag("user", char_);
    let user_ptr = b.ptr(user);
    let btf = Btf::from_bytes(b.finish()).unwrap();
    assert_eq!(btf.c_type_name(ptr), "const struct nlattr *");
    assert_eq!(btf.c_type_name(const_ptr), "const struct nlattr * const");
    assert_eq!(btf.c_type_name(tb), "const struct nlattr * const *");
    assert_eq!(btf.c_type_name(user_ptr), "char *");
}

#[test]
fn many_lookups_switch_to_an_index_with_the_same_answers() {
    let btf = Btf::from_bytes(sample()).unwrap();
    for _ in 0..40 {
        assert_eq!(btf.find("node"), [2]);
        assert_eq!(btf.find("myint"), [5]);
        assert_eq!(btf.find("v"), Vec::<u32>::new());
    }
}

#[test]
fn typedefs_are_enumerated_by_prefix() {
    let mut b = Builder::new();
    b.ty("int", 1, 0, false, 4, &[32]);
    b.ty("btf_trace_alpha", 8, 0, false, 1, &[]);
    // Not a typedef: a struct of the same family of names is left out.
    b.ty("btf_trace_beta", 4, 0, false, 0, &[]);
    b.ty("btf_trace_gamma", 8, 0, false, 1, &[]);
    b.ty("other", 8, 0, false, 1, &[]);
    let btf = Btf::from_bytes(b.finish()).unwrap();
    assert_eq!(
        btf.own_typedefs_with_prefix("btf_trace_"),
        ["alpha", "gamma"]
    );
    assert!(btf.own_typedefs_with_prefix("nothing_").is_empty());
}

#[test]
fn the_running_kernel_declares_its_raw_tracepoints() {
    let btf = Btf::from_file("/sys/kernel/btf/vmlinux").expect("this kernel has BTF");
    let names = btf.own_typedefs_with_prefix("btf_trace_");
    for expected in ["sched_switch", "sys_enter", "sys_exit"] {
        assert!(names.iter().any(|n| n == expected), "{expected} missing");
    }
    // Syscall events are not raw tracepoints of their own.
    assert!(!names.iter().any(|n| n == "sys_enter_openat"));
}

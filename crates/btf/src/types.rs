//! BTF types as this reader hands them out, decoded one at a time.

/// A type's number in its BTF: 0 is `void`, the first type is 1.
pub type TypeId = u32;

/// One decoded type: its name (empty when anonymous) and what it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeInfo {
    pub name: String,
    pub kind: Kind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    Void,
    /// An integer of `size` bytes; `bool` and `char` say how C declared it.
    Int {
        size: u32,
        signed: bool,
        char: bool,
        bool: bool,
    },
    Ptr(TypeId),
    Array {
        elem: TypeId,
        len: u32,
    },
    Struct {
        size: u32,
        members: Vec<Member>,
    },
    Union {
        size: u32,
        members: Vec<Member>,
    },
    /// `enum` and `enum64`: the values of its variants, sign-extended when
    /// `signed`.
    Enum {
        size: u32,
        signed: bool,
        variants: Vec<(String, u64)>,
    },
    /// A struct or union declared but not defined here.
    Fwd {
        union: bool,
    },
    Typedef(TypeId),
    Volatile(TypeId),
    Const(TypeId),
    Restrict(TypeId),
    /// `__attribute__((btf_type_tag))` on a pointee: transparent.
    TypeTag(TypeId),
    /// A function: its prototype.
    Func(TypeId),
    FuncProto {
        ret: TypeId,
        params: Vec<Param>,
    },
    Float {
        size: u32,
    },
    /// A global variable of the given type (`percpu_kaddr` asks for the
    /// kernel's per-CPU ones by name).
    Var(TypeId),
    /// Data sections and declaration tags: nothing a type checker reads.
    Other,
}

/// A member of a struct or union.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// Empty for an anonymous struct or union member.
    pub name: String,
    pub ty: TypeId,
    /// From the start of the record.
    pub bit_offset: u32,
    /// Non-zero for a bitfield.
    pub bitfield_size: u32,
}

/// A parameter of a function prototype.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    pub name: String,
    pub ty: TypeId,
}

/// BTF kind numbers (`BTF_KIND_*`).
pub(crate) mod kind {
    pub const INT: u32 = 1;
    pub const PTR: u32 = 2;
    pub const ARRAY: u32 = 3;
    pub const STRUCT: u32 = 4;
    pub const UNION: u32 = 5;
    pub const ENUM: u32 = 6;
    pub const FWD: u32 = 7;
    pub const TYPEDEF: u32 = 8;
    pub const VOLATILE: u32 = 9;
    pub const CONST: u32 = 10;
    pub const RESTRICT: u32 = 11;
    pub const FUNC: u32 = 12;
    pub const FUNC_PROTO: u32 = 13;
    pub const VAR: u32 = 14;
    pub const DATASEC: u32 = 15;
    pub const FLOAT: u32 = 16;
    pub const DECL_TAG: u32 = 17;
    pub const TYPE_TAG: u32 = 18;
    pub const ENUM64: u32 = 19;
}

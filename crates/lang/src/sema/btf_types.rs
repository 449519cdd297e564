//! The kernel's BTF seen as the language's types: [`KernelTypes`] over a
//! [`sonde_btf::Btf`]. Types are converted when first asked for and kept.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use sonde_btf::{Btf, Kind, TypeId};

use super::ctypes::{array_of, bitfield_place};
use super::env::{CSignature, FunctionProto, KernelTypes};
use super::records::{Bitfield, EnumDef, Field, Record};
use super::types::Type;

/// The kernel's types from one BTF (vmlinux, or a module's over it).
#[derive(Debug)]
pub struct BtfTypes {
    btf: Arc<Btf>,
    records: RefCell<HashMap<TypeId, Arc<Record>>>,
    enums: RefCell<HashMap<TypeId, Arc<EnumDef>>>,
    /// How deeply `to_type` is nested: BTF from a file may be malformed, and
    /// a struct that contains itself must not recurse without end.
    depth: std::cell::Cell<u32>,
}

/// Deeper than any real kernel type (embedded structs and arrays of them).
const MAX_DEPTH: u32 = 64;

impl BtfTypes {
    /// Over `btf`; an `Arc` lets modules' split BTF share it as their base.
    pub fn new(btf: impl Into<Arc<Btf>>) -> BtfTypes {
        BtfTypes {
            btf: btf.into(),
            records: RefCell::new(HashMap::new()),
            enums: RefCell::new(HashMap::new()),
            depth: std::cell::Cell::new(0),
        }
    }

    /// The parameters and return type id (0: void) of function `name`.
    fn function_parts(&self, name: &str) -> Option<(Vec<sonde_btf::Param>, TypeId)> {
        let func = self.find(name, |k| matches!(k, Kind::Func(_)))?;
        let Kind::Func(proto) = self.btf.type_by_id(func)?.kind else {
            return None;
        };
        match self.btf.type_by_id(self.btf.resolve(proto))?.kind {
            Kind::FuncProto { ret, params } => Some((params, ret)),
            _ => None,
        }
    }

    pub fn btf(&self) -> &Arc<Btf> {
        &self.btf
    }

    /// The language type of BTF type `id`.
    fn to_type(&self, id: TypeId) -> Type {
        if self.depth.get() >= MAX_DEPTH {
            return Type::Void;
        }
        self.depth.set(self.depth.get() + 1);
        let ty = self.convert(id);
        self.depth.set(self.depth.get() - 1);
        ty
    }

    fn convert(&self, id: TypeId) -> Type {
        let id = self.btf.resolve(id);
        let Some(info) = self.btf.type_by_id(id) else {
            return Type::Void;
        };
        match info.kind {
            // Plain `char` counts as `int8` whatever the kernel's compiler
            // made it, so that `char[N]` reads as a string.
            Kind::Int { bool: true, .. } => Type::Bool,
            Kind::Int {
                size, signed, char, ..
            } => int_type(size, signed || char || info.name == "char"),
            Kind::Ptr(pointee) => Type::ptr(self.pointee(pointee), self.user_tagged(pointee)),
            Kind::Array { elem, len } => array_of(self.to_type(elem), len),
            Kind::Struct { .. } | Kind::Union { .. } => Type::Record(self.record_by_id(id)),
            Kind::Enum { .. } => Type::Enum(self.enum_by_id(id)),
            Kind::Fwd { union } => {
                let keyword = if union { "union" } else { "struct" };
                Type::Record(Arc::new(Record::stub(
                    format!("{keyword} {}", info.name),
                    0,
                )))
            }
            Kind::Float { size } => Type::Float {
                bytes: size.clamp(1, 16) as u8,
            },
            _ => Type::Void,
        }
    }

    /// What a pointer points to: records only by name (see [`Record`]),
    /// functions as `void`.
    fn pointee(&self, id: TypeId) -> Type {
        let id = self.btf.resolve(id);
        let Some(info) = self.btf.type_by_id(id) else {
            return Type::Void;
        };
        match info.kind {
            Kind::Struct { size, .. } | Kind::Union { size, .. } => {
                Type::Record(Arc::new(Record::stub(record_name(&info, id), size)))
            }
            Kind::FuncProto { .. } | Kind::Func(_) => Type::Void,
            _ => self.to_type(id),
        }
    }

    /// Whether a pointee carries the `user` type tag (`char __user *` in
    /// kernels built with BTF type tags): the pointer is a user address.
    fn user_tagged(&self, mut id: TypeId) -> bool {
        for _ in 0..16 {
            let Some(info) = self.btf.type_by_id(id) else {
                return false;
            };
            match info.kind {
                Kind::TypeTag(_) if info.name == "user" => return true,
                Kind::TypeTag(next)
                | Kind::Const(next)
                | Kind::Volatile(next)
                | Kind::Restrict(next) => id = next,
                _ => return false,
            }
        }
        false
    }

    fn record_by_id(&self, id: TypeId) -> Arc<Record> {
        if let Some(r) = self.records.borrow().get(&id) {
            return r.clone();
        }
        let info = self.btf.type_by_id(id).expect("resolved ids exist");
        let (size, members) = match &info.kind {
            Kind::Struct { size, members } | Kind::Union { size, members } => (*size, members),
            _ => unreachable!("record_by_id is called on structs and unions"),
        };
        let fields = members
            .iter()
            .map(|m| {
                let ty = self.to_type(m.ty);
                let (offset, bitfield) = if m.bitfield_size > 0 {
                    let (offset, shift) = bitfield_place(
                        m.bit_offset as u64,
                        m.bitfield_size as u64,
                        ty.size() as u64,
                    );
                    (
                        offset,
                        Some(Bitfield {
                            shift,
                            bits: m.bitfield_size as u8,
                        }),
                    )
                } else {
                    (m.bit_offset / 8, None)
                };
                Field {
                    name: m.name.clone(),
                    offset,
                    ty,
                    bitfield,
                }
            })
            .collect();
        let record = Arc::new(Record {
            name: record_name(&info, id),
            size,
            fields,
            complete: true,
        });
        self.records.borrow_mut().insert(id, record.clone());
        record
    }

    fn enum_by_id(&self, id: TypeId) -> Arc<EnumDef> {
        if let Some(e) = self.enums.borrow().get(&id) {
            return e.clone();
        }
        let info = self.btf.type_by_id(id).expect("resolved ids exist");
        let Kind::Enum { size, variants, .. } = info.kind else {
            unreachable!("enum_by_id is called on enums")
        };
        let name = if info.name.is_empty() {
            format!("enum (anonymous {id})")
        } else {
            format!("enum {}", info.name)
        };
        let def = Arc::new(EnumDef {
            name,
            bytes: size.clamp(1, 8) as u8,
            variants,
        });
        self.enums.borrow_mut().insert(id, def.clone());
        def
    }

    /// The first type called `name` whose kind `want` accepts.
    fn find(&self, name: &str, want: impl Fn(&Kind) -> bool) -> Option<TypeId> {
        self.btf
            .find(name)
            .into_iter()
            .find(|&id| self.btf.type_by_id(id).is_some_and(|info| want(&info.kind)))
    }
}

fn int_type(size: u32, signed: bool) -> Type {
    match size {
        1 | 2 | 4 | 8 => Type::Int {
            bytes: size as u8,
            signed,
        },
        _ => Type::array(
            Type::Int {
                bytes: 1,
                signed: false,
            },
            size,
        ),
    }
}

fn record_name(info: &sonde_btf::TypeInfo, id: TypeId) -> String {
    let keyword = if matches!(info.kind, Kind::Union { .. }) {
        "union"
    } else {
        "struct"
    };
    if info.name.is_empty() {
        format!("{keyword} (anonymous {id})")
    } else {
        format!("{keyword} {}", info.name)
    }
}

impl KernelTypes for BtfTypes {
    fn record(&self, name: &str) -> Option<Arc<Record>> {
        let (union, tag) = match name.split_once(' ') {
            Some(("struct", tag)) => (false, tag),
            Some(("union", tag)) => (true, tag),
            _ => return None,
        };
        let id = self.find(tag, |k| match k {
            Kind::Struct { .. } => !union,
            Kind::Union { .. } => union,
            _ => false,
        })?;
        Some(self.record_by_id(id))
    }

    fn enum_def(&self, name: &str) -> Option<Arc<EnumDef>> {
        let tag = name.strip_prefix("enum ")?;
        let id = self.find(tag, |k| matches!(k, Kind::Enum { .. }))?;
        Some(self.enum_by_id(id))
    }

    fn enum_variant(&self, name: &str) -> Option<(Arc<EnumDef>, u64)> {
        let (id, value) = self.btf.enum_variant(name)?;
        Some((self.enum_by_id(id), value))
    }

    fn type_named(&self, name: &str) -> Option<Type> {
        let id = self.find(name, |k| matches!(k, Kind::Typedef(_) | Kind::Int { .. }))?;
        Some(self.to_type(id))
    }

    fn c_definition(&self, name: &str) -> Option<String> {
        let (keyword, tag) = name.split_once(' ')?;
        let id = self.find(tag, |k| match k {
            Kind::Struct { .. } => keyword == "struct",
            Kind::Union { .. } => keyword == "union",
            Kind::Enum { .. } => keyword == "enum",
            _ => false,
        })?;
        Some(self.btf.c_definition(id))
    }

    fn function_prototype(&self, _module: Option<&str>, name: &str) -> Option<FunctionProto> {
        let (params, ret) = self.function_parts(name)?;
        Some(FunctionProto {
            params: params
                .iter()
                .map(|p| (p.name.clone(), self.to_type(p.ty)))
                .collect(),
            ret: self.to_type(ret),
        })
    }

    fn kernel_var(&self, name: &str) -> Option<u32> {
        self.find(name, |k| matches!(k, Kind::Var(_)))
    }

    fn function_signature(&self, _module: Option<&str>, name: &str) -> Option<CSignature> {
        let (params, ret) = self.function_parts(name)?;
        Some(CSignature {
            params: params
                .iter()
                .map(|p| (self.btf.c_type_name(p.ty), p.name.clone()))
                .collect(),
            ret: (ret != 0).then(|| self.btf.c_type_name(ret)),
        })
    }

    fn raw_tracepoints(&self) -> Vec<(String, String)> {
        self.btf
            .own_typedefs_with_prefix("btf_trace_")
            .into_iter()
            .map(|name| ("vmlinux".to_string(), name))
            .collect()
    }

    fn iterators(&self) -> Vec<String> {
        // `bpf_iter__task__safe_trusted` and the like are verifier
        // annotations, not iterators.
        let mut names: Vec<String> = self
            .btf
            .own_structs_with_prefix("bpf_iter__")
            .into_iter()
            .filter(|name| !name.is_empty() && !name.contains("__"))
            .collect();
        names.sort();
        names.dedup();
        names
    }

    fn raw_tracepoint_args(&self, name: &str) -> Option<Vec<(String, Type)>> {
        // The prototype of `btf_trace_<name>` has the argument types but
        // no names; the function `__bpf_trace_<name>` has both.
        let proto = match self.find(&format!("__bpf_trace_{name}"), |k| {
            matches!(k, Kind::Func(_))
        }) {
            Some(func) => match self.btf.type_by_id(func)?.kind {
                Kind::Func(proto) => proto,
                _ => return None,
            },
            None => {
                let id = self.find(&format!("btf_trace_{name}"), |k| {
                    matches!(k, Kind::Typedef(_))
                })?;
                let Kind::Ptr(proto) = self.btf.type_by_id(self.btf.resolve(id))?.kind else {
                    return None;
                };
                proto
            }
        };
        let Kind::FuncProto { params, .. } = self.btf.type_by_id(self.btf.resolve(proto))?.kind
        else {
            return None;
        };
        // The first parameter is the tracepoint's private data pointer.
        Some(
            params
                .iter()
                .skip(1)
                .map(|p| (p.name.clone(), self.to_type(p.ty)))
                .collect(),
        )
    }
}

//! The named types a script can use: its own C definitions, laid out as a C
//! compiler lays them out, and the kernel's types (BTF), asked for by name
//! only when a script names one.

use std::collections::HashMap;
use std::sync::Arc;

use super::env::{KernelTypes, ProbeEnv};
use super::records::{Bitfield, EnumDef, Field, Record};
use super::types::Type;
use crate::ast::{CBase, CDefKind, CDefinition, CEnum, CRecord};
use crate::diag::Diagnostic;

/// Every named type a script can use.
pub struct TypeTable<'a> {
    records: HashMap<String, Arc<Record>>,
    enums: HashMap<String, Arc<EnumDef>>,
    /// Enum variant name → its enum and value.
    variants: HashMap<String, (Arc<EnumDef>, u64)>,
    env: &'a dyn ProbeEnv,
    anonymous: u32,
    /// Files the script's uprobes are on: their debug info describes
    /// records too (`(struct Foo *)arg0`), after the script's own.
    user_files: std::cell::RefCell<Vec<String>>,
}

impl<'a> TypeTable<'a> {
    /// The environment the table reads kernel types from (also what
    /// `kaddr`/`uaddr` ask for symbols).
    pub fn env(&self) -> &'a dyn ProbeEnv {
        self.env
    }

    /// The table of a script's definitions over the kernel's types.
    pub fn new(defs: &[CDefinition], env: &'a dyn ProbeEnv) -> Result<TypeTable<'a>, Diagnostic> {
        let mut table = TypeTable {
            records: HashMap::new(),
            enums: HashMap::new(),
            variants: HashMap::new(),
            env,
            anonymous: 0,
            user_files: std::cell::RefCell::new(Vec::new()),
        };
        for def in defs {
            match &def.kind {
                CDefKind::Record(r) => {
                    table.define_record(r)?;
                }
                CDefKind::Enum(e) => {
                    table.define_enum(e);
                }
            }
        }
        Ok(table)
    }

    /// The kernel's types, if this kernel has BTF; loaded on first use.
    pub fn kernel(&self) -> Option<&'a dyn KernelTypes> {
        self.env.kernel_types()
    }

    /// A struct or union by its full name (`struct task_struct`): the
    /// script's own definition first, then the kernel's.
    pub fn record(&self, name: &str) -> Option<Arc<Record>> {
        if let Some(r) = self.records.get(name) {
            return Some(r.clone());
        }
        let user = self
            .user_files
            .borrow()
            .iter()
            .find_map(|path| self.env.user_record(path, name));
        if user.is_some() {
            return user;
        }
        self.kernel()?.record(name)
    }

    /// The files whose debug info describes records, once the script's
    /// uprobes are expanded.
    pub fn set_user_files(&self, paths: Vec<String>) {
        *self.user_files.borrow_mut() = paths;
    }

    /// The enum called `name` (`enum Foo`).
    pub fn enum_def(&self, name: &str) -> Option<Arc<EnumDef>> {
        if let Some(e) = self.enums.get(name) {
            return Some(e.clone());
        }
        self.kernel()?.enum_def(name)
    }

    /// An enum variant by name: its enum and value.
    pub fn variant(&self, name: &str) -> Option<(Arc<EnumDef>, u64)> {
        if let Some(v) = self.variants.get(name) {
            return Some(v.clone());
        }
        self.kernel()?.enum_variant(name)
    }

    /// The type a name stands for: integer names, `struct X`, `enum X`,
    /// kernel typedefs. `None` when nothing is called so.
    pub fn named(&self, name: &str) -> Option<Type> {
        if let Some(t) = super::check::scalar_type(name) {
            return Some(t);
        }
        if name.starts_with("struct ") || name.starts_with("union ") {
            return self.record(name).map(Type::Record);
        }
        if name.starts_with("enum ") {
            return self.enum_def(name).map(Type::Enum);
        }
        self.kernel()?.type_named(name)
    }

    fn define_enum(&mut self, e: &CEnum) -> Arc<EnumDef> {
        let name = match &e.name {
            Some(n) => format!("enum {n}"),
            None => {
                self.anonymous += 1;
                format!("enum (anonymous {})", self.anonymous)
            }
        };
        let mut next = 0i64;
        let mut variants = Vec::with_capacity(e.variants.len());
        for (variant, value) in &e.variants {
            let v = value.unwrap_or(next);
            next = v.wrapping_add(1);
            variants.push((variant.clone(), v as u64));
        }
        let bytes = if variants.iter().all(|(_, v)| *v <= u32::MAX as u64) {
            4
        } else {
            8
        };
        let def = Arc::new(EnumDef {
            name: name.clone(),
            bytes,
            variants,
        });
        for (variant, value) in &def.variants {
            self.variants.insert(variant.clone(), (def.clone(), *value));
        }
        self.enums.insert(name, def.clone());
        def
    }

    fn define_record(&mut self, r: &CRecord) -> Result<Arc<Record>, Diagnostic> {
        let keyword = if r.union { "union" } else { "struct" };
        let name = match &r.name {
            Some(n) => format!("{keyword} {n}"),
            None => {
                self.anonymous += 1;
                format!("{keyword} (anonymous {})", self.anonymous)
            }
        };
        let mut layout = Layout::new(r.union, r.packed);
        for field in &r.fields {
            let mut ty = match &field.ty.base {
                CBase::Named(n) => match self.field_base(n, field.ty.pointer_depth > 0) {
                    Some(t) => t,
                    None => {
                        return Err(Diagnostic::error(
                            field.ty.span,
                            format!("Unknown type: '{n}'"),
                        )
                        .with_help("define it before this struct, or check its spelling"))
                    }
                },
                CBase::Record(inner) => Type::Record(self.define_record(inner)?),
                CBase::Enum(inner) => Type::Enum(self.define_enum(inner)),
            };
            for _ in 0..field.ty.pointer_depth {
                ty = Type::ptr(ty, false);
            }
            for &len in field.array_dims.iter().rev() {
                ty = array_of(ty, len);
            }
            if field.ty.pointer_depth == 0 && field.array_dims.is_empty() {
                if let Type::Record(rec) = &ty {
                    if !rec.complete {
                        return Err(Diagnostic::error(
                            field.ty.span,
                            format!("Unknown type: '{}'", rec.name),
                        ));
                    }
                }
            }
            // A char array of the script's own struct reads as a string one
            // byte longer than the array (as bpftrace types it): the array
            // is read whole, and its text printed whole, even when it fills
            // the array and so has no NUL. Its place in the struct is the
            // array's.
            let char_array = match (&ty, field.array_dims.as_slice()) {
                (Type::Str { size }, [_]) => Some(*size),
                _ => None,
            };
            layout.add(field.name.clone(), ty, field.bits);
            if let (Some(size), Some(last)) = (char_array, layout.fields.last_mut()) {
                last.ty = Type::Str { size: size + 1 };
            }
        }
        let record = Arc::new(layout.finish(name.clone()));
        self.records.insert(name, record.clone());
        Ok(record)
    }

    /// The type named in a field; a pointer may point to a struct that is
    /// not defined (yet), as in C.
    fn field_base(&self, name: &str, behind_pointer: bool) -> Option<Type> {
        if name == "void" && behind_pointer {
            return Some(Type::Void);
        }
        match name {
            "float" => return Some(Type::Float { bytes: 4 }),
            "double" => return Some(Type::Float { bytes: 8 }),
            "_Bool" | "bool" => return Some(Type::Bool),
            _ => {}
        }
        match self.named(name) {
            Some(t) => Some(t),
            None if behind_pointer
                && (name.starts_with("struct ") || name.starts_with("union ")) =>
            {
                Some(Type::Record(Arc::new(Record::stub(name, 0))))
            }
            None => None,
        }
    }
}

/// `elem[len]`; arrays of `char` (`int8`) are strings, as bpftrace makes
/// them, while `unsigned char` arrays stay arrays of bytes.
pub fn array_of(elem: Type, len: u32) -> Type {
    match elem {
        Type::Int {
            bytes: 1,
            signed: true,
        } if len > 0 => Type::Str { size: len },
        elem => Type::array(elem, len),
    }
}

/// C's struct layout rules (System V): each field at the next offset that
/// is a multiple of its alignment, bitfields packed into units of their
/// declared type, the size rounded up to the largest alignment.
struct Layout {
    union: bool,
    packed: bool,
    fields: Vec<Field>,
    /// Next free bit.
    bit: u64,
    size: u64,
    align: u32,
}

impl Layout {
    fn new(union: bool, packed: bool) -> Layout {
        Layout {
            union,
            packed,
            fields: Vec::new(),
            bit: 0,
            size: 0,
            align: 1,
        }
    }

    fn add(&mut self, name: String, ty: Type, bits: Option<u32>) {
        let size = ty.size() as u64;
        let align = if self.packed { 1 } else { ty.align() as u64 };
        self.align = self.align.max(align as u32);
        let start = if self.union { 0 } else { self.bit };
        match bits {
            Some(0) => {
                // `int :0` closes the current unit.
                self.bit = start.next_multiple_of(8 * size.max(1));
            }
            Some(bits) => {
                let bits = bits as u64;
                let unit = 8 * size.max(1);
                let mut at = start;
                if !self.packed && at / unit != (at + bits - 1) / unit {
                    at = at.next_multiple_of(unit);
                }
                let (offset, shift) = bitfield_place(at, bits, size);
                self.fields.push(Field {
                    name,
                    offset,
                    ty,
                    bitfield: Some(Bitfield {
                        shift,
                        bits: bits as u8,
                    }),
                });
                self.bit = at + bits;
                self.size = self.size.max((at + bits).div_ceil(8));
            }
            None => {
                let offset = start.div_ceil(8).next_multiple_of(align.max(1));
                self.fields.push(Field {
                    name,
                    offset: offset as u32,
                    ty,
                    bitfield: None,
                });
                self.bit = (offset + size) * 8;
                self.size = self.size.max(offset + size);
            }
        }
    }

    fn finish(self, name: String) -> Record {
        let align = if self.packed { 1 } else { self.align as u64 };
        Record {
            name,
            size: self.size.next_multiple_of(align) as u32,
            fields: self.fields,
            complete: true,
        }
    }
}

/// Where to read a bitfield at bit `at` of `bits` bits declared with a type
/// of `size` bytes: the offset of a `size`-aligned unit holding all of it if
/// there is one, else the byte it starts in.
pub(crate) fn bitfield_place(at: u64, bits: u64, size: u64) -> (u32, u8) {
    let unit = 8 * size.max(1);
    let aligned = at / unit * unit;
    if at + bits <= aligned + unit {
        ((aligned / 8) as u32, (at - aligned) as u8)
    } else {
        ((at / 8) as u32, (at % 8) as u8)
    }
}

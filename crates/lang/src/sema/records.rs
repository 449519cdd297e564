//! Structs, unions and enums: their layouts as the type checker and the code
//! generator see them, whether they come from C definitions in the script
//! or from the kernel's BTF.

use std::hash::{Hash, Hasher};

use super::types::Type;

/// A struct or union with its fields at their byte offsets.
///
/// A record reached through a pointer may be a *stub*: its name and size
/// only, with no fields, so that self-referential types (`struct list_head
/// *next`) stay finite. Dereferencing the pointer looks the full record up
/// by name. Records compare by name and size alone.
#[derive(Clone, Debug)]
pub struct Record {
    /// `struct task_struct`, `union N`; anonymous records get a name of
    /// their own that no script can write, e.g. `struct (anonymous 12)`.
    pub name: String,
    pub size: u32,
    pub fields: Vec<Field>,
    /// False for a stub (see above) and for a declared but undefined record.
    pub complete: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Field {
    /// Empty for an anonymous struct or union member, whose fields are
    /// reached as if they were the parent's own.
    pub name: String,
    /// Byte offset from the record's start (of the first byte holding the
    /// bits, for a bitfield).
    pub offset: u32,
    pub ty: Type,
    pub bitfield: Option<Bitfield>,
}

/// Where a bitfield's bits are within the bytes read at its field's offset:
/// read `ty`'s width of bytes, shift right by `shift`, keep `bits` bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Bitfield {
    pub shift: u8,
    pub bits: u8,
}

impl Record {
    /// A record known by name only (see the type's documentation).
    pub fn stub(name: impl Into<String>, size: u32) -> Record {
        Record {
            name: name.into(),
            size,
            fields: Vec::new(),
            complete: false,
        }
    }

    /// The field called `name`, looking into anonymous members too, with
    /// the offsets of the anonymous members on the way added in.
    pub fn field(&self, name: &str) -> Option<Field> {
        for f in &self.fields {
            if f.name == name {
                return Some(f.clone());
            }
            if f.name.is_empty() {
                if let Type::Record(inner) = &f.ty {
                    if let Some(mut found) = inner.field(name) {
                        found.offset += f.offset;
                        return Some(found);
                    }
                }
            }
        }
        None
    }

    pub fn is_union(&self) -> bool {
        self.name.starts_with("union ")
    }
}

impl PartialEq for Record {
    fn eq(&self, other: &Record) -> bool {
        self.name == other.name && self.size == other.size
    }
}

impl Eq for Record {}

impl Hash for Record {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
        self.size.hash(state);
    }
}

/// An enum: its integer width and its named values.
#[derive(Clone, Debug)]
pub struct EnumDef {
    /// `enum Foo`, or a name of its own for an anonymous enum.
    pub name: String,
    pub bytes: u8,
    pub variants: Vec<(String, u64)>,
}

impl EnumDef {
    /// The name of the variant with `value`, if any.
    pub fn name_of(&self, value: u64) -> Option<&str> {
        let mask = if self.bytes >= 8 {
            u64::MAX
        } else {
            (1u64 << (8 * self.bytes as u32)) - 1
        };
        self.variants
            .iter()
            .find(|(_, v)| v & mask == value & mask)
            .map(|(n, _)| n.as_str())
    }
}

impl PartialEq for EnumDef {
    fn eq(&self, other: &EnumDef) -> bool {
        self.name == other.name
    }
}

impl Eq for EnumDef {}

impl Hash for EnumDef {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

//! Merging the types a map or variable is given in different places: string
//! buffers grow to the largest, integers to the widest, anything else must
//! agree.

use crate::sema::types::{MapValue, Type};

/// The type that can hold both `old` and `new`, or `None` if they conflict.
pub fn unify(old: &Type, new: &Type) -> Option<Type> {
    match (old, new) {
        (Type::Int { bytes: a, signed }, Type::Int { bytes: b, .. }) => Some(Type::Int {
            bytes: (*a).max(*b),
            signed: *signed,
        }),
        (Type::Str { size: a }, Type::Str { size: b }) => Some(Type::Str { size: (*a).max(*b) }),
        (Type::Buffer { size: a }, Type::Buffer { size: b }) => {
            Some(Type::Buffer { size: (*a).max(*b) })
        }
        (Type::Tuple(a), Type::Tuple(b)) if a.len() == b.len() => a
            .iter()
            .zip(b)
            .map(|(x, y)| unify(x, y))
            .collect::<Option<Vec<_>>>()
            .map(Type::Tuple),
        // Records with the same fields in another order are the same
        // record, laid out as first seen.
        (
            Type::NamedTuple { names, fields },
            Type::NamedTuple {
                names: new_names,
                fields: new_fields,
            },
        ) if names.len() == new_names.len() => names
            .iter()
            .zip(fields)
            .map(|(name, old)| {
                let at = new_names.iter().position(|n| n == name)?;
                unify(old, &new_fields[at])
            })
            .collect::<Option<Vec<_>>>()
            .map(|fields| Type::NamedTuple {
                names: names.clone(),
                fields,
            }),
        // Pointers of different pointee types keep the first one's: a
        // variable first assigned `(int8 *)x` stays a byte pointer.
        (p @ Type::Ptr { .. }, Type::Ptr { .. }) => Some(p.clone()),
        (p @ Type::Ptr { .. }, Type::Int { .. }) | (Type::Int { .. }, p @ Type::Ptr { .. }) => {
            Some(p.clone())
        }
        // An enum mixed with other integers is an integer: its values
        // no longer print as names.
        (Type::Enum(a), Type::Enum(b)) if a != b => Some(Type::U64),
        (Type::Enum(_), Type::Int { .. }) | (Type::Int { .. }, Type::Enum(_)) => Some(Type::U64),
        (a, b) if a == b => Some(a.clone()),
        _ => None,
    }
}

pub fn unify_value(old: &MapValue, new: &MapValue) -> Option<MapValue> {
    match (old, new) {
        (MapValue::Plain(a), MapValue::Plain(b)) => unify(a, b).map(MapValue::Plain),
        (a, b) if a == b => Some(a.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_grow_and_kinds_conflict() {
        assert_eq!(
            unify(&Type::Str { size: 16 }, &Type::Str { size: 64 }),
            Some(Type::Str { size: 64 })
        );
        assert_eq!(unify(&Type::Str { size: 16 }, &Type::I64), None);
        assert_eq!(
            unify(
                &Type::Tuple(vec![Type::U32, Type::Str { size: 2 }]),
                &Type::Tuple(vec![Type::I64, Type::Str { size: 16 }])
            ),
            Some(Type::Tuple(vec![Type::U64, Type::Str { size: 16 }]))
        );
        assert_eq!(unify_value(&MapValue::Count, &MapValue::Sum), None);
    }
}

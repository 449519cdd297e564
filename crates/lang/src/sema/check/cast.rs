//! Casts: `(uint8)x`, `(int32 *)addr`, `(struct task_struct *)p`, and the
//! names of types written in a script.

use super::expr::{texpr, Checked};
use super::Checker;
use crate::ast;
use crate::diag::Diagnostic;
use crate::sema::typed::{TExpr, TExprKind};
use crate::sema::types::Type;
use crate::span::Span;

impl Checker<'_> {
    pub(super) fn cast(
        &mut self,
        ty: &ast::TypeName,
        expr: &ast::Expr,
        span: Span,
    ) -> Checked<TExpr> {
        let inner = self.value(expr)?;
        let base = self.named_type(&ty.name, ty.pointer_depth > 0, ty.span)?;
        if let Some(len) = ty.array {
            if ty.pointer_depth > 0 {
                return Err(Diagnostic::error(
                    ty.span,
                    "cannot cast to an array of pointers",
                ));
            }
            return array_cast(inner, base, len, span);
        }
        if let Type::Array { .. } = inner.ty {
            return from_array_cast(inner, base, span);
        }
        if ty.pointer_depth == 0 {
            return scalar_cast(inner, base, span);
        }
        let user = match &inner.ty {
            Type::Ptr { user, .. } => *user,
            _ => self.default_user_space(),
        };
        let mut target = base;
        for _ in 0..ty.pointer_depth {
            target = Type::ptr(target, user);
        }
        if !inner.ty.is_integer_like() {
            return Err(Diagnostic::error(
                span,
                format!("Cannot cast from \"{}\" to \"{}\"", inner.ty, target),
            ));
        }
        Ok(texpr(TExprKind::Cast(Box::new(inner)), target, span))
    }

    /// Whether a pointer made from a plain integer points into user memory:
    /// what the probe's own pointers do.
    pub(super) fn default_user_space(&self) -> bool {
        self.inst.user_pointers
    }

    /// The type a name in a cast stands for. `behind_pointer` allows
    /// `void`, which only exists as a pointee.
    pub(super) fn named_type(
        &mut self,
        name: &str,
        behind_pointer: bool,
        span: Span,
    ) -> Checked<Type> {
        if name == "void" && behind_pointer {
            return Ok(Type::Void);
        }
        if let Some(t) = self.types.named(name) {
            return Ok(t);
        }
        if behind_pointer && (name.starts_with("struct ") || name.starts_with("union ")) {
            // A pointer to a struct nobody describes is still an address;
            // it fails when dereferenced.
            return Ok(Type::Record(std::sync::Arc::new(
                crate::sema::records::Record::stub(name, 0),
            )));
        }
        Err(
            Diagnostic::error(span, format!("Unknown type: '{name}'")).with_help(
                "integer types (int8 ... uint64), bool, structs, enums and pointers can be cast to",
            ),
        )
    }
}

/// `(int8[8])x`, `(uint8[])"abc"`: the bytes of a value seen as an array.
fn array_cast(inner: TExpr, elem: Type, len: Option<u32>, span: Span) -> Checked<TExpr> {
    let elem_size = elem.size();
    let source_size = match inner.ty {
        Type::Int { bytes, .. } => bytes as u32,
        Type::Bool | Type::Enum(_) | Type::Ptr { .. } => 8,
        Type::Str { size } => size,
        _ => 0,
    };
    let valid = matches!(elem, Type::Int { .. } | Type::Bool) && source_size > 0;
    let len = len.unwrap_or(source_size.checked_div(elem_size).unwrap_or(0));
    if !valid || len == 0 || elem_size * len != source_size {
        return Err(Diagnostic::error(
            span,
            format!("Cannot cast from \"{}\" to \"{}[{len}]\"", inner.ty, elem),
        )
        .with_help(format!(
            "the array must have the size of the value ({source_size} bytes)"
        )));
    }
    Ok(texpr(
        TExprKind::Cast(Box::new(inner)),
        Type::array(elem, len),
        span,
    ))
}

/// `(uint32)arr`: an integer array's bytes read as one integer.
fn from_array_cast(inner: TExpr, target: Type, span: Span) -> Checked<TExpr> {
    let ok = matches!(target, Type::Int { .. }) && inner.ty.size() == target.size();
    if !ok {
        return Err(Diagnostic::error(
            span,
            format!("Cannot cast from \"{}\" to \"{}\"", inner.ty, target),
        ));
    }
    Ok(texpr(TExprKind::Cast(Box::new(inner)), target, span))
}

/// `(uint8)x`, `(bool)s`: integer conversions and truth tests.
fn scalar_cast(inner: TExpr, target: Type, span: Span) -> Checked<TExpr> {
    let ok = match target {
        Type::Int { .. } | Type::Enum(_) => inner.ty.is_integer_like(),
        Type::Bool => inner.ty.is_integer_like() || matches!(inner.ty, Type::Str { .. }),
        _ => false,
    };
    if !ok {
        return Err(Diagnostic::error(
            span,
            format!("Cannot cast from \"{}\" to \"{}\"", inner.ty, target),
        ));
    }
    Ok(texpr(TExprKind::Cast(Box::new(inner)), target, span))
}

/// The integer types bpftrace knows without BTF, by every spelling it takes.
pub(crate) fn scalar_type(name: &str) -> Option<Type> {
    let int = |bytes: u8, signed: bool| Some(Type::Int { bytes, signed });
    match name {
        "bool" => Some(Type::Bool),
        "int8" | "s8" | "char" | "signed char" | "int8_t" | "__s8" => int(1, true),
        "uint8" | "u8" | "unsigned char" | "uint8_t" | "__u8" => int(1, false),
        "int16" | "s16" | "short" | "int16_t" | "__s16" => int(2, true),
        "uint16" | "u16" | "unsigned short" | "uint16_t" | "__u16" => int(2, false),
        "int32" | "s32" | "int" | "int32_t" | "__s32" => int(4, true),
        "uint32" | "u32" | "unsigned int" | "unsigned" | "uint32_t" | "__u32" => int(4, false),
        "int64" | "s64" | "long" | "long long" | "int64_t" | "__s64" => int(8, true),
        "uint64" | "u64" | "unsigned long" | "unsigned long long" | "uint64_t" | "__u64" => {
            int(8, false)
        }
        _ => None,
    }
}

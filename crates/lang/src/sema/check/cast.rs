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
        scalar_type(name).ok_or_else(|| {
            Diagnostic::error(span, format!("Unknown type: '{name}'")).with_help(
                "integer types (int8 ... uint64), bool, and pointers to them can be cast to",
            )
        })
    }
}

/// `(uint8)x`, `(bool)s`: integer conversions and truth tests.
fn scalar_cast(inner: TExpr, target: Type, span: Span) -> Checked<TExpr> {
    let ok = match target {
        Type::Int { .. } => inner.ty.is_integer_like(),
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

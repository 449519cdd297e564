//! Reaching into memory: `p->field` and `s.field` (pointers are followed
//! automatically), `*p`, `a[i]` on arrays and pointers, `&$var`, and the
//! compile-time `sizeof` and `offsetof`.
//!
//! Reads through a pointer stay lazy: `p->a.b[2]` is one read of the final
//! field at its address, never a copy of the whole struct.

use std::sync::Arc;

use super::expr::{texpr, Checked};
use super::Checker;
use crate::ast::{self, BinOp, ExprKind, SizeofArg};
use crate::diag::Diagnostic;
use crate::sema::records::{Field, Record};
use crate::sema::typed::{TExpr, TExprKind};
use crate::sema::types::Type;
use crate::span::Span;

impl Checker<'_> {
    /// `.field` or `->field` on a struct, union or pointer to one.
    pub(super) fn record_field(&mut self, base: TExpr, name: &str, span: Span) -> Checked<TExpr> {
        match base.ty.clone() {
            Type::Ptr { pointee, user } => {
                let Type::Record(stub) = *pointee else {
                    return Err(no_field(name, &base.ty, span));
                };
                let record = self.complete(&stub, span)?;
                let field = find_field(&record, name, span)?;
                let addr = offset_address(base, field.offset, span);
                Ok(self.read_field(addr, user, &field, span))
            }
            Type::Record(record) => {
                let record = self.complete(&record, span)?;
                let field = find_field(&record, name, span)?;
                Ok(match base.kind {
                    TExprKind::Deref { addr, user } => {
                        let addr = offset_address(*addr, field.offset, span);
                        self.read_field(addr, user, &field, span)
                    }
                    _ => {
                        let ty = field.ty.clone();
                        let member = texpr(
                            TExprKind::Member {
                                base: Box::new(base),
                                offset: field.offset,
                            },
                            ty,
                            span,
                        );
                        extract_bits(member, &field)
                    }
                })
            }
            other => Err(no_field(name, &other, span)),
        }
    }

    /// The record behind a stub, looked up by name.
    pub(super) fn complete(&self, record: &Arc<Record>, span: Span) -> Checked<Arc<Record>> {
        if record.complete {
            return Ok(record.clone());
        }
        match self.types.record(&record.name) {
            Some(full) if full.complete => Ok(full),
            _ => Err(
                Diagnostic::error(span, format!("Unknown type: '{}'", record.name))
                    .with_help("the kernel's BTF or a definition in the script must describe it"),
            ),
        }
    }

    /// `field` read from memory at `addr`, pointers in it keeping `user`.
    fn read_field(&self, addr: TExpr, user: bool, field: &Field, span: Span) -> TExpr {
        let ty = in_space(&field.ty, user);
        let read = texpr(
            TExprKind::Deref {
                addr: Box::new(addr),
                user,
            },
            ty,
            span,
        );
        extract_bits(read, field)
    }

    /// `*p`.
    pub(super) fn deref(&mut self, inner: &ast::Expr, span: Span) -> Checked<TExpr> {
        let p = self.value(inner)?;
        let Type::Ptr { pointee, user } = p.ty.clone() else {
            return Err(
                Diagnostic::error(span, format!("Can not dereference type '{}'", p.ty)).with_help(
                    "only pointers can be dereferenced; cast an address first: *(int64 *)addr",
                ),
            );
        };
        let ty = match *pointee {
            Type::Void => {
                return Err(
                    Diagnostic::error(span, "Can not dereference a void pointer")
                        .with_help("cast it to a pointer to what it points to"),
                )
            }
            Type::Record(r) => Type::Record(self.complete(&r, span)?),
            other => in_space(&other, user),
        };
        Ok(texpr(
            TExprKind::Deref {
                addr: Box::new(p),
                user,
            },
            ty,
            span,
        ))
    }

    /// `&$var`.
    pub(super) fn address_of(&mut self, inner: &ast::Expr, span: Span) -> Checked<TExpr> {
        if let ExprKind::Map { name, keys } = &inner.kind {
            return self.map_address(name, keys, span);
        }
        let ExprKind::Var(_) = &inner.kind else {
            return Err(Diagnostic::error(
                span,
                "The & operator can only take the address of a variable or a map value",
            ));
        };
        if self.for_depth > 0 {
            // A loop body works on copies of the variables (see the code
            // generator's loops), and a pointer to one would not outlive
            // the iteration.
            return Err(Diagnostic::error(
                span,
                "the address of a variable cannot be taken inside a for loop",
            )
            .with_help("take it before the loop: $p = &$x; for (...) { ... *$p ... }"));
        }
        let var = self.value(inner)?;
        let TExprKind::Var(index) = var.kind else {
            // The first run has not seen the variable yet.
            return Ok(texpr(TExprKind::Int(0), Type::void_ptr(false), span));
        };
        Ok(texpr(
            TExprKind::AddrOfVar(index),
            Type::ptr(var.ty, false),
            span,
        ))
    }

    /// `&@m[key]`: a kernel pointer to the map's value.
    fn map_address(&mut self, name: &str, keys: &[ast::Expr], span: Span) -> Checked<TExpr> {
        let key = self.map_key(keys, span)?;
        let Some((map, value)) = self.map_for_read(name, key.as_ref(), keys.len() > 1, span)?
        else {
            return Ok(texpr(TExprKind::Int(0), Type::void_ptr(false), span));
        };
        let crate::sema::types::MapValue::Plain(ty) = value else {
            return Err(Diagnostic::error(
                span,
                format!(
                    "cannot take the address of a {} map's value",
                    value.describe()
                ),
            ));
        };
        Ok(texpr(
            TExprKind::AddrOfMap {
                map,
                key: key.map(Box::new),
            },
            Type::ptr(ty, false),
            span,
        ))
    }

    /// `a[i]` on an array or a pointer.
    pub(super) fn element(&mut self, base: TExpr, index: &ast::Expr, span: Span) -> Checked<TExpr> {
        let idx = self.value(index)?;
        if !idx.ty.is_integer_like() {
            return Err(Diagnostic::error(
                index.span,
                format!("The array index must be an integer, not '{}'", idx.ty),
            ));
        }
        let constant = match idx.kind {
            TExprKind::Int(i) => Some(i),
            _ => None,
        };
        match base.ty.clone() {
            Type::Ptr { pointee, user } => {
                let elem = match *pointee {
                    Type::Void => {
                        return Err(Diagnostic::error(span, "Can not index a void pointer"))
                    }
                    Type::Record(r) => Type::Record(self.complete(&r, span)?),
                    other => other,
                };
                let addr = element_address(base, idx, elem.size(), span);
                Ok(texpr(
                    TExprKind::Deref {
                        addr: Box::new(addr),
                        user,
                    },
                    in_space(&elem, user),
                    span,
                ))
            }
            Type::Array { elem, len } => {
                if let Some(i) = constant {
                    if len > 0 && i >= len as u64 {
                        return Err(Diagnostic::error(
                            index.span,
                            format!("the index {i} is out of bounds for array of size {len}"),
                        ));
                    }
                }
                let elem = *elem;
                Ok(match (base.kind, constant) {
                    (TExprKind::Deref { addr, user }, _) => {
                        let idx = match constant {
                            // A zero-length array is a flexible array member:
                            // any index may be meant.
                            None if len > 0 => {
                                let ty = idx.ty.clone();
                                texpr(
                                    TExprKind::CheckedIndex {
                                        index: Box::new(idx),
                                        len,
                                    },
                                    ty,
                                    span,
                                )
                            }
                            _ => idx,
                        };
                        let addr = element_address(*addr, idx, elem.size(), span);
                        texpr(
                            TExprKind::Deref {
                                addr: Box::new(addr),
                                user,
                            },
                            in_space(&elem, user),
                            span,
                        )
                    }
                    (kind, Some(i)) => {
                        let base = TExpr { kind, ..base };
                        texpr(
                            TExprKind::Member {
                                base: Box::new(base),
                                offset: i as u32 * elem.size(),
                            },
                            elem,
                            span,
                        )
                    }
                    (kind, None) => {
                        let base = TExpr { kind, ..base };
                        texpr(
                            TExprKind::Element {
                                base: Box::new(base),
                                index: Box::new(idx),
                            },
                            elem,
                            span,
                        )
                    }
                })
            }
            other => Err(Diagnostic::error(
                span,
                format!("The array index operator [] can not be used on type '{other}'"),
            )),
        }
    }

    /// `args.name` of a raw tracepoint: its argument typed from the
    /// kernel's `btf_trace_<name>` prototype.
    pub(super) fn raw_tracepoint_arg(&mut self, name: &str, span: Span) -> Checked<TExpr> {
        let point = match self.inst.attach.first() {
            Some((crate::sema::probes::Attach::RawTracepoint { name }, _)) => name.clone(),
            _ => String::new(),
        };
        let Some(kernel) = self.types.kernel() else {
            return Err(Diagnostic::error(
                span,
                "rawtracepoint args need the kernel's BTF (/sys/kernel/btf/vmlinux), which this kernel lacks",
            )
            .with_help("use arg0, arg1, ... instead"));
        };
        let Some(params) = kernel.raw_tracepoint_args(&point) else {
            return Err(Diagnostic::error(
                span,
                format!(
                    "the kernel's BTF does not describe the arguments of rawtracepoint {point}"
                ),
            )
            .with_help("use arg0, arg1, ... instead"));
        };
        let Some(index) = params.iter().position(|(n, _)| n == name) else {
            let known: Vec<&str> = params.iter().map(|(n, _)| n.as_str()).collect();
            return Err(Diagnostic::error(
                span,
                format!("Can't find a field {name} in rawtracepoint {point}"),
            )
            .with_help(format!("its arguments are: {}", known.join(", "))));
        };
        let ty = params[index].1.clone();
        let arg = texpr(TExprKind::Arg(index as u8), Type::U64, span);
        Ok(match ty {
            Type::Int { bytes: 8, .. } | Type::Ptr { .. } => TExpr { ty, ..arg },
            Type::Int { .. } | Type::Enum(_) | Type::Bool => {
                texpr(TExprKind::Cast(Box::new(arg)), ty, span)
            }
            other => {
                return Err(Diagnostic::error(
                    span,
                    format!("args.{name} has type '{other}', which cannot be read yet"),
                ))
            }
        })
    }

    /// The type of a tracepoint field declared as `c_type` (`struct
    /// __kernel_timespec *`, `const unsigned long *`): what it points to
    /// when the script or the kernel's BTF knows the name, else `void *`.
    pub(super) fn c_pointer_type(&self, c_type: &str, user: bool) -> Type {
        let words: Vec<&str> = c_type
            .split(|c: char| c.is_whitespace() || c == '*')
            .filter(|w| !w.is_empty() && !matches!(*w, "const" | "volatile" | "__user"))
            .collect();
        let depth = c_type.matches('*').count();
        let base = words.join(" ");
        let mut ty = match base.as_str() {
            "void" | "" => Type::Void,
            name if name.starts_with("struct ") || name.starts_with("union ") => {
                match self.types.record(name) {
                    Some(r) => Type::Record(r),
                    None => Type::Void,
                }
            }
            name => self.types.named(name).unwrap_or(Type::Void),
        };
        for _ in 0..depth.max(1) {
            ty = Type::ptr(ty, user);
        }
        ty
    }

    /// `uptr(p)` and `kptr(p)`: the same address, read from then on in the
    /// user (or kernel) address space.
    pub(super) fn address_space(
        &mut self,
        user: bool,
        args: &[ast::Expr],
        span: Span,
    ) -> Checked<TExpr> {
        let name = if user { "uptr" } else { "kptr" };
        let [arg] = args else {
            return Err(Diagnostic::error(
                span,
                format!("{name}() requires one argument ({} provided)", args.len()),
            ));
        };
        let value = self.value(arg)?;
        let ty = match &value.ty {
            Type::Ptr { pointee, .. } => Type::Ptr {
                pointee: pointee.clone(),
                user,
            },
            t if t.is_integer_like() => Type::void_ptr(user),
            other => {
                return Err(Diagnostic::error(
                    arg.span,
                    format!("{name}() expects a pointer or an integer ({other} provided)"),
                ))
            }
        };
        Ok(TExpr { ty, span, ..value })
    }

    /// `sizeof(type)` or `sizeof(expr)`: a constant.
    pub(super) fn sizeof(&mut self, arg: &SizeofArg, span: Span) -> Checked<TExpr> {
        let size = match arg {
            SizeofArg::Type(t) => self.type_of_name(t)?.size(),
            SizeofArg::Expr(e) => {
                if let Some(ty) = self.bare_type_name(e) {
                    return Ok(size_literal(ty.size(), span));
                }
                let checked = self.expr(e)?;
                match checked.ty {
                    // Enum constants are 64-bit values, as bpftrace has them.
                    Type::Enum(_) if matches!(checked.kind, TExprKind::Int(_)) => 8,
                    ref t => t.size(),
                }
            }
        };
        Ok(size_literal(size, span))
    }

    /// `offsetof(struct T, a.b)`: a constant.
    pub(super) fn offsetof(
        &mut self,
        of: &SizeofArg,
        fields: &[String],
        span: Span,
    ) -> Checked<TExpr> {
        let mut ty = match of {
            SizeofArg::Type(t) => self.type_of_name(t)?,
            SizeofArg::Expr(e) => match self.bare_type_name(e) {
                Some(t) => t,
                None => self.expr(e)?.ty,
            },
        };
        let mut offset = 0;
        for name in fields {
            let Type::Record(r) = &ty else {
                return Err(no_field(name, &ty, span));
            };
            let r = self.complete(r, span)?;
            let field = find_field(&r, name, span)?;
            offset += field.offset;
            ty = field.ty;
        }
        Ok(size_literal(offset, span))
    }

    /// A lone name in `sizeof(x)` or `offsetof(x, f)` that is a type:
    /// a typedef, or a struct or union written without its keyword (as
    /// bpftrace allows: `offsetof(qspinlock, tail)`). Builtins and enum
    /// constants are values.
    pub(super) fn bare_type_name(&self, e: &ast::Expr) -> Option<Type> {
        let ExprKind::Ident(name) = &e.kind else {
            return None;
        };
        if self.types.variant(name).is_some() {
            return None;
        }
        if let Some(t) = self.types.named(name) {
            return Some(t);
        }
        ["struct", "union"]
            .iter()
            .find_map(|k| self.types.record(&format!("{k} {name}")))
            .map(Type::Record)
    }

    /// The type a written type name stands for, with its stars and `[N]`.
    pub(super) fn type_of_name(&mut self, t: &ast::TypeName) -> Checked<Type> {
        let mut ty = self.named_type(&t.name, t.pointer_depth > 0, t.span)?;
        for _ in 0..t.pointer_depth {
            ty = Type::ptr(ty, self.default_user_space());
        }
        if let Some(Some(len)) = t.array {
            ty = Type::array(ty, len);
        }
        Ok(ty)
    }
}

fn size_literal(size: u32, span: Span) -> TExpr {
    texpr(TExprKind::Int(size as u64), Type::U64, span)
}

fn find_field(record: &Record, name: &str, span: Span) -> Checked<Field> {
    record.field(name).ok_or_else(|| {
        Diagnostic::error(
            span,
            format!("'{}' has no field named '{name}'", record.name),
        )
    })
}

fn no_field(name: &str, ty: &Type, span: Span) -> Diagnostic {
    Diagnostic::error(
        span,
        format!("Can not access field '{name}' on expression of type '{ty}'"),
    )
}

/// `addr + offset` as an address (an unsigned integer).
pub(super) fn offset_address(addr: TExpr, offset: u32, span: Span) -> TExpr {
    if offset == 0 {
        return addr;
    }
    // `(p + a) + b` folds to `p + (a + b)`.
    if let TExprKind::Binary {
        op: BinOp::Add,
        lhs,
        rhs,
    } = &addr.kind
    {
        if let (TExprKind::Int(a), true) = (&rhs.kind, addr.ty == Type::U64) {
            let total = a.wrapping_add(offset as u64);
            return texpr(
                TExprKind::Binary {
                    op: BinOp::Add,
                    lhs: lhs.clone(),
                    rhs: Box::new(texpr(TExprKind::Int(total), Type::U64, span)),
                },
                Type::U64,
                span,
            );
        }
    }
    texpr(
        TExprKind::Binary {
            op: BinOp::Add,
            lhs: Box::new(addr),
            rhs: Box::new(texpr(TExprKind::Int(offset as u64), Type::U64, span)),
        },
        Type::U64,
        span,
    )
}

/// `addr + index * stride`.
fn element_address(addr: TExpr, index: TExpr, stride: u32, span: Span) -> TExpr {
    if let TExprKind::Int(i) = index.kind {
        return offset_address(addr, (i as u32).wrapping_mul(stride), span);
    }
    let scaled = texpr(
        TExprKind::Binary {
            op: BinOp::Mul,
            lhs: Box::new(index),
            rhs: Box::new(texpr(TExprKind::Int(stride as u64), Type::U64, span)),
        },
        Type::U64,
        span,
    );
    texpr(
        TExprKind::Binary {
            op: BinOp::Add,
            lhs: Box::new(addr),
            rhs: Box::new(scaled),
        },
        Type::U64,
        span,
    )
}

/// A bitfield's value out of the integer read at its offset.
fn extract_bits(read: TExpr, field: &Field) -> TExpr {
    let Some(bits) = field.bitfield else {
        return read;
    };
    let span = read.span;
    let int = |v: u64| texpr(TExprKind::Int(v), Type::U64, span);
    let unsigned = Type::Int {
        bytes: read.ty.size().clamp(1, 8) as u8,
        signed: false,
    };
    let read = TExpr {
        ty: unsigned.clone(),
        ..read
    };
    let shifted = texpr(
        TExprKind::Binary {
            op: BinOp::Shr,
            lhs: Box::new(read),
            rhs: Box::new(int(bits.shift as u64)),
        },
        Type::U64,
        span,
    );
    let mask = if bits.bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits.bits) - 1
    };
    texpr(
        TExprKind::Binary {
            op: BinOp::BitAnd,
            lhs: Box::new(shifted),
            rhs: Box::new(int(mask)),
        },
        Type::U64,
        span,
    )
}

/// `ty` as read from the `user` (or kernel) address space: pointers in it
/// point into the same space.
pub(super) fn in_space(ty: &Type, user: bool) -> Type {
    match ty {
        Type::Ptr { pointee, .. } => Type::Ptr {
            pointee: pointee.clone(),
            user,
        },
        other => other.clone(),
    }
}

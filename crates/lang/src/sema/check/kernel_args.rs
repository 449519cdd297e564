//! `args` and `retval` of probes on kernel functions, typed from the
//! function's BTF prototype: a kprobe reads its arguments from registers
//! (and the stack past the sixth), fentry and fexit from their context, an
//! array of u64s holding every argument and, for fexit, the return value
//! after them.

use super::expr::{texpr, Checked};
use super::Checker;
use crate::diag::Diagnostic;
use crate::sema::env::FunctionProto;
use crate::sema::probes::Attach;
use crate::sema::typed::{ProbeKind, TExpr, TExprKind};
use crate::sema::types::Type;
use crate::span::Span;

/// The largest struct passed in registers (two of them, on x86-64 and
/// arm64); a larger one goes in memory, where neither a kprobe's pt_regs
/// nor a trampoline's context has it.
const MAX_BY_VALUE: u32 = 16;

impl Checker<'_> {
    /// The function this instance probes and its prototype.
    fn kernel_function(&self, span: Span) -> Checked<(String, FunctionProto)> {
        let (module, function, offset) = match self.inst.attach.first().map(|(a, _)| a) {
            Some(Attach::Kprobe {
                module,
                function,
                offset,
                ..
            }) => (module.as_deref(), function.as_str(), *offset),
            Some(Attach::Fentry {
                module, function, ..
            }) => (Some(module.as_str()), function.as_str(), 0),
            _ => (None, "", 0),
        };
        let fallback = match self.inst.kind {
            ProbeKind::Kprobe { .. } => "use arg0, arg1, ... instead",
            _ => "trace the function with a kprobe and read arg0, arg1, ... instead",
        };
        if function.is_empty() {
            return Err(Diagnostic::error(
                span,
                "args needs a probe on a named function, not an address",
            )
            .with_help(fallback));
        }
        if offset != 0 {
            return Err(Diagnostic::error(
                span,
                format!(
                    "args are the arguments at {function}'s entry; at {function}+{offset} the registers may hold anything"
                ),
            )
            .with_help("probe the function's entry, or read registers with reg()"));
        }
        let Some(kernel) = self.types.kernel() else {
            return Err(Diagnostic::error(
                span,
                "the arguments of kernel functions are typed from the kernel's BTF (/sys/kernel/btf/vmlinux), which this kernel lacks",
            )
            .with_help(fallback));
        };
        let proto = kernel.function_prototype(module, function).ok_or_else(|| {
            Diagnostic::error(
                span,
                format!("the kernel's BTF does not describe the function {function}"),
            )
            .with_help(fallback)
        })?;
        Ok((function.to_string(), proto))
    }

    /// Slot `slot` of the function's arguments, as `ty`.
    fn kernel_slot(&self, slot: usize, ty: Type, what: &str, span: Span) -> Checked<TExpr> {
        let slot = u8::try_from(slot).map_err(|_| {
            Diagnostic::error(
                span,
                format!("{what} is past the arguments a probe can read"),
            )
        })?;
        let kprobe = matches!(self.inst.kind, ProbeKind::Kprobe { .. });
        let read = |slot: u8| {
            let raw = if kprobe {
                TExprKind::RegArg(slot)
            } else {
                TExprKind::Arg(slot)
            };
            texpr(raw, Type::U64, span)
        };
        let cannot = |ty: &Type| {
            Diagnostic::error(
                span,
                format!("{what} has type '{ty}', which cannot be read yet"),
            )
        };
        match &ty {
            Type::Record(record) if record.size <= MAX_BY_VALUE => {
                // A struct passed by value fills its slots as it fills
                // memory: each scalar member is its slot's bytes at its
                // offset.
                let mut values = Vec::new();
                leaves(&ty, 0, &mut values).ok_or_else(|| cannot(&ty))?;
                let values = values
                    .into_iter()
                    .map(|(offset, leaf)| {
                        let slot = slot + (offset / 8) as u8;
                        let shift = (offset % 8) * 8;
                        let word = if shift == 0 {
                            read(slot)
                        } else {
                            texpr(
                                TExprKind::Binary {
                                    op: crate::ast::BinOp::Shr,
                                    lhs: Box::new(read(slot)),
                                    rhs: Box::new(texpr(
                                        TExprKind::Int(u64::from(shift)),
                                        Type::U64,
                                        span,
                                    )),
                                },
                                Type::U64,
                                span,
                            )
                        };
                        (offset, as_scalar(word, leaf, span))
                    })
                    .collect();
                Ok(texpr(TExprKind::ArgsRecord(values), ty, span))
            }
            Type::Int { .. } | Type::Ptr { .. } | Type::Enum(_) | Type::Bool => {
                Ok(as_scalar(read(slot), ty, span))
            }
            other => Err(cannot(other)),
        }
    }

    /// `args.name` of a kprobe, fentry or fexit probe.
    pub(super) fn kernel_arg(&mut self, name: &str, span: Span) -> Checked<TExpr> {
        let (function, proto) = self.kernel_function(span)?;
        let Some(index) = proto.params.iter().position(|(n, _)| n == name) else {
            let known: Vec<&str> = proto.params.iter().map(|(n, _)| n.as_str()).collect();
            let help = if known.is_empty() {
                format!("{function} takes no arguments")
            } else {
                format!("its arguments are: {}", known.join(", "))
            };
            return Err(Diagnostic::error(
                span,
                format!("Can't find a field {name} in args of {function}"),
            )
            .with_help(help));
        };
        self.check_by_value(&function, &proto, index, span)?;
        let ty = proto.params[index].1.clone();
        self.kernel_slot(proto.slot(index), ty, &format!("args.{name}"), span)
    }

    /// Whether parameter `index` (`params.len()`: the return value) can
    /// be found: a struct larger than two registers before it is passed
    /// in memory, which shifts a kprobe's arguments out of reach; and BPF
    /// trampolines refuse functions that take one at all.
    fn check_by_value(
        &self,
        function: &str,
        proto: &FunctionProto,
        index: usize,
        span: Span,
    ) -> Checked<()> {
        let kprobe = matches!(self.inst.kind, ProbeKind::Kprobe { .. });
        let before = if kprobe { index } else { proto.params.len() };
        let Some((big, ty)) = proto.params[..before.min(proto.params.len())]
            .iter()
            .find(|(_, ty)| ty.size() > MAX_BY_VALUE)
        else {
            return Ok(());
        };
        let taken = format!(
            "{function} takes '{big}' ({ty}, {} bytes) by value",
            ty.size()
        );
        Err(if kprobe {
            Diagnostic::error(
                span,
                format!(
                    "{taken}, which is passed in memory: the arguments after it cannot be located"
                ),
            )
            .with_help("read them through a pointer the caller passed, or in a function it calls")
        } else {
            Diagnostic::error(
                span,
                format!(
                    "{taken}: BPF trampolines cannot trace it, so neither can fentry and fexit"
                ),
            )
            .with_help("trace it with a kprobe or kretprobe")
        })
    }

    /// `args` of a kernel function as one value: a record of every
    /// parameter.
    pub(super) fn kernel_args_value(&mut self, span: Span) -> Checked<TExpr> {
        let (_, proto) = self.kernel_function(span)?;
        let names: Vec<String> = proto.params.iter().map(|(n, _)| n.clone()).collect();
        if names.is_empty() {
            return Err(Diagnostic::error(span, "Cannot read function parameters")
                .with_help("the function takes no arguments"));
        }
        self.args_record(names, span, |c, name| c.kernel_arg(name, span))
    }

    /// `retval` of fexit: the slot after the arguments, typed as the
    /// function returns.
    pub(super) fn fexit_retval(&mut self, span: Span) -> Checked<TExpr> {
        let (function, proto) = self.kernel_function(span)?;
        self.check_by_value(&function, &proto, proto.params.len(), span)?;
        if proto.ret == Type::Void {
            return Err(Diagnostic::error(
                span,
                format!("{function} returns void: there is no retval"),
            ));
        }
        self.kernel_slot(proto.slots(), proto.ret.clone(), "retval", span)
    }
}

impl Checker<'_> {
    /// Whether this instance is a kprobe on a bare address, whose function
    /// has no name in the attach point.
    pub(super) fn at_address(&self) -> bool {
        matches!(
            self.inst.attach.as_slice(),
            [(Attach::Kprobe { addr: Some(_), .. }, _)]
        )
    }

    /// `func` of a kprobe at an address: the kernel symbol there, found
    /// when the event is printed, as `ksym(addr)` would.
    pub(super) fn func_at_address(&mut self, span: Span) -> Checked<TExpr> {
        let [(
            Attach::Kprobe {
                addr: Some(addr), ..
            },
            _,
        )] = self.inst.attach.as_slice()
        else {
            unreachable!("at_address() held")
        };
        let addr = texpr(TExprKind::Int(*addr), Type::U64, span);
        Ok(texpr(
            TExprKind::Sym {
                user: false,
                addr: Box::new(addr),
            },
            Type::Sym { user: false },
            span,
        ))
    }
}

/// A u64 argument word as `ty`: retyped when 8 bytes wide, cast (cut to
/// its width) otherwise.
fn as_scalar(word: TExpr, ty: Type, span: Span) -> TExpr {
    match ty {
        Type::Int { bytes: 8, .. } | Type::Ptr { .. } => TExpr { ty, ..word },
        ty => texpr(TExprKind::Cast(Box::new(word)), ty, span),
    }
}

/// The scalar members of `ty` (at byte `base`) with their offsets, nested
/// structs and unions flattened; `None` when one is not a scalar that
/// lies within one 8-byte word (a bitfield, an array, a float).
fn leaves(ty: &Type, base: u32, out: &mut Vec<(u32, Type)>) -> Option<()> {
    match ty {
        Type::Record(record) => {
            for field in &record.fields {
                if field.bitfield.is_some() {
                    return None;
                }
                leaves(&field.ty, base + field.offset, out)?;
            }
            Some(())
        }
        Type::Int { .. } | Type::Ptr { .. } | Type::Enum(_) | Type::Bool => {
            let size = ty.size();
            (base % 8 + size <= 8 && size.is_power_of_two()).then(|| out.push((base, ty.clone())))
        }
        _ => None,
    }
}

//! Stacks and symbols: `kstack`/`ustack` (with a mode and a frame limit),
//! `ksym`/`usym` of an address, and `kaddr`/`uaddr` of a symbol name.

use super::expr::{texpr, Checked};
use super::Checker;
use crate::ast::{self, ExprKind};
use crate::diag::Diagnostic;
use crate::sema::probes::Attach;
use crate::sema::typed::{ProbeKind, TExpr, TExprKind};
use crate::sema::types::{StackMode, StackType, Type, DEFAULT_STACK_LIMIT};
use crate::span::Span;

/// The most frames a stack may keep (the kernel's `perf_event_max_stack`
/// default).
const MAX_STACK_LIMIT: u64 = 127;

impl Checker<'_> {
    /// `kstack`, `ustack` with bpftrace's defaults.
    pub(super) fn stack_builtin(&mut self, user: bool, span: Span) -> TExpr {
        let ty = StackType {
            user,
            mode: self.default_stack_mode(user, span),
            limit: DEFAULT_STACK_LIMIT,
        };
        texpr(TExprKind::Stack(ty), Type::Stack(ty), span)
    }

    /// The configured stack mode; a kernel stack cannot have build ids
    /// (the kernel has no file of its own) and falls back to raw.
    fn default_stack_mode(&mut self, user: bool, span: Span) -> StackMode {
        match self.opts.stack_mode.unwrap_or(StackMode::Bpftrace) {
            StackMode::BuildId if !user => {
                self.warnings.push(Diagnostic::error(
                    span,
                    "'build_id' stack mode can only be used for ustack. Falling back to 'raw' mode.",
                ));
                StackMode::Raw
            }
            mode => mode,
        }
    }

    /// `kstack(mode)`, `kstack(limit)`, `kstack(mode, limit)`.
    pub(super) fn stack_call(
        &mut self,
        user: bool,
        args: &[ast::Expr],
        span: Span,
    ) -> Checked<TExpr> {
        let name = if user { "ustack" } else { "kstack" };
        let explicit_mode = matches!(
            args.first(),
            Some(ast::Expr {
                kind: ExprKind::Ident(_),
                ..
            })
        );
        let mut ty = StackType {
            user,
            mode: if explicit_mode {
                StackMode::Bpftrace
            } else {
                self.default_stack_mode(user, span)
            },
            limit: DEFAULT_STACK_LIMIT,
        };
        if args.len() > 2 {
            return Err(Diagnostic::error(
                span,
                format!(
                    "{name}() takes at most 2 arguments ({} provided)",
                    args.len()
                ),
            ));
        }
        for (i, arg) in args.iter().enumerate() {
            match &arg.kind {
                ExprKind::Ident(mode) if i == 0 => {
                    ty.mode = StackMode::from_name(mode).ok_or_else(|| {
                        Diagnostic::error(arg.span, format!("{mode} is not a valid stack mode"))
                            .with_help("stack modes are bpftrace, perf, raw and build_id")
                    })?;
                    if ty.mode == StackMode::BuildId && !user {
                        return Err(Diagnostic::error(
                            span,
                            "'build_id' stack mode can only be used for ustack",
                        ));
                    }
                }
                _ => {
                    // A constant: a literal, or a positional parameter.
                    let n = match self.expr(arg).map(|e| e.kind) {
                        Ok(TExprKind::Int(n)) if !matches!(arg.kind, ExprKind::Ident(_)) => n,
                        _ => return Err(Diagnostic::error(
                            arg.span,
                            format!("{name}() takes a stack mode (bpftrace, perf, raw, build_id) and a literal frame limit"),
                        )),
                    };
                    if n == 0 || n > MAX_STACK_LIMIT {
                        return Err(Diagnostic::error(
                            arg.span,
                            format!("{name}() limit must be between 1 and {MAX_STACK_LIMIT}"),
                        ));
                    }
                    ty.limit = n as u32;
                }
            }
        }
        Ok(texpr(TExprKind::Stack(ty), Type::Stack(ty), span))
    }

    /// `ksym(addr)`, `usym(addr)`.
    pub(super) fn sym_call(
        &mut self,
        user: bool,
        args: &[ast::Expr],
        span: Span,
    ) -> Checked<TExpr> {
        let name = if user { "usym" } else { "ksym" };
        let [arg] = args else {
            return Err(Diagnostic::error(
                span,
                format!("{name}() takes 1 argument ({} provided)", args.len()),
            ));
        };
        let addr = self.value(arg)?;
        if !addr.ty.is_integer_like() {
            return Err(Diagnostic::error(
                arg.span,
                format!(
                    "{name}() expects an integer or a pointer ({} provided)",
                    addr.ty
                ),
            ));
        }
        Ok(texpr(
            TExprKind::Sym {
                user,
                addr: Box::new(addr),
            },
            Type::Sym { user },
            span,
        ))
    }

    /// `kaddr("name")`: the address of a kernel symbol, known when compiling.
    pub(super) fn kaddr_call(&mut self, args: &[ast::Expr], span: Span) -> Checked<TExpr> {
        let name = self.symbol_name_arg("kaddr", args, span)?;
        let addr = self.types.env().kernel_symbol(&name).ok_or_else(|| {
            Diagnostic::error(span, format!("Failed to resolve kernel symbol: {name}"))
        })?;
        Ok(texpr(TExprKind::Int(addr), Type::U64, span))
    }

    /// `percpu_kaddr("name"[, cpu])`: where the kernel's per-CPU variable
    /// `name` lives on CPU `cpu` (or this CPU), found through its BTF.
    pub(super) fn percpu_kaddr_call(&mut self, args: &[ast::Expr], span: Span) -> Checked<TExpr> {
        let (name_arg, cpu_arg) = match args {
            [name] => (name, None),
            [name, cpu] => (name, Some(cpu)),
            _ => {
                return Err(Diagnostic::error(
                    span,
                    format!(
                        "percpu_kaddr() requires 1 or 2 arguments ({} provided)",
                        args.len()
                    ),
                ))
            }
        };
        let name = self.symbol_name_arg("percpu_kaddr", std::slice::from_ref(name_arg), span)?;
        let btf_id = self
            .types
            .kernel()
            .and_then(|k| k.kernel_var(&name))
            .ok_or_else(|| {
                Diagnostic::error(
                    span,
                    format!("Could not resolve variable \"{name}\" from BTF"),
                )
            })?;
        // The kernel finds the variable's address by name in its symbol
        // table, which lists variables only when built with
        // CONFIG_KALLSYMS_ALL; without it loading would fail obscurely.
        if self.types.env().kernel_symbol(&name).is_none() {
            return Err(Diagnostic::error(
                span,
                format!(
                    "percpu_kaddr(\"{name}\") is unavailable: the kernel cannot look up the \
                     address of variable {name} (/proc/kallsyms lists no variables: the kernel \
                     was built without CONFIG_KALLSYMS_ALL)"
                ),
            )
            .with_help(
                "read the value from a probe's arguments or a struct the probe reaches instead",
            ));
        }
        let cpu = match cpu_arg {
            Some(arg) => {
                let cpu = self.expr(arg)?;
                if !matches!(cpu.ty, Type::Int { .. }) {
                    return Err(Diagnostic::error(
                        arg.span,
                        format!(
                            "percpu_kaddr() expects an integer cpu ({} provided)",
                            cpu.ty
                        ),
                    ));
                }
                Some(Box::new(cpu))
            }
            None => None,
        };
        Ok(texpr(
            TExprKind::PercpuAddr { btf_id, cpu },
            Type::ptr(Type::U64, false),
            span,
        ))
    }

    /// `uaddr("name")`: the address of a symbol of the probed file, as a
    /// pointer sized by the symbol.
    pub(super) fn uaddr_call(&mut self, args: &[ast::Expr], span: Span) -> Checked<TExpr> {
        let name = self.symbol_name_arg("uaddr", args, span)?;
        if !matches!(self.inst.kind, ProbeKind::Uprobe { .. } | ProbeKind::Usdt) {
            return Err(Diagnostic::error(
                span,
                "uaddr can only be used with uprobe and usdt probes",
            ));
        }
        let mut paths = self.inst.attach.iter().filter_map(|(a, _)| match a {
            Attach::Uprobe { path, .. } | Attach::Usdt { path, .. } => Some(path.as_str()),
            _ => None,
        });
        let path = paths.next().unwrap_or_default().to_string();
        if paths.any(|p| p != path) {
            return Err(Diagnostic::error(
                span,
                "uaddr is ambiguous in a probe attached to several files",
            ));
        }
        let sym = self.types.env().user_symbol(&path, &name).ok_or_else(|| {
            Diagnostic::error(span, format!("Could not resolve symbol: {path}:{name}"))
        })?;
        let pointee = match sym.size {
            1 | 2 | 4 | 8 => Type::Int {
                bytes: sym.size as u8,
                signed: false,
            },
            _ => Type::Int {
                bytes: 1,
                signed: false,
            },
        };
        let ty = Type::ptr(pointee, true);
        if !sym.relocatable {
            return Ok(texpr(TExprKind::Int(sym.vaddr), ty, span));
        }
        // The probe's own address tells where the file is loaded; that
        // needs one probe site (whose offset this program knows).
        let offsets: Vec<u64> = self
            .inst
            .attach
            .iter()
            .filter_map(|(a, _)| match a {
                Attach::Uprobe {
                    offset, ret: false, ..
                } => Some(*offset),
                Attach::Usdt { offset, .. } => Some(*offset),
                _ => None,
            })
            .collect();
        let site_vaddr = match offsets.as_slice() {
            [offset] => self.types.env().user_offset_vaddr(&path, *offset),
            _ => None,
        }
        .ok_or_else(|| {
            Diagnostic::error(
                span,
                "uaddr of a position-independent file needs a probe on one function entry",
            )
        })?;
        Ok(texpr(
            TExprKind::UserAddr {
                vaddr: sym.vaddr,
                site_vaddr,
            },
            ty,
            span,
        ))
    }

    fn symbol_name_arg(&self, func: &str, args: &[ast::Expr], span: Span) -> Checked<String> {
        // A positional parameter is text known now, as a literal is.
        let positional = |arg: &ast::Expr| match &arg.kind {
            ExprKind::Positional(n) => Some(*n),
            ExprKind::Call { name, args } if name == "str" && args.len() == 1 => {
                match args[0].kind {
                    ExprKind::Positional(n) => Some(n),
                    _ => None,
                }
            }
            _ => None,
        };
        match args {
            [ast::Expr {
                kind: ExprKind::Str(bytes),
                ..
            }] => Ok(String::from_utf8_lossy(bytes).into_owned()),
            [arg] if positional(arg).is_some() => Ok(positional(arg)
                .and_then(|n| self.positional_text(n))
                .unwrap_or("")
                .to_string()),
            _ => Err(Diagnostic::error(
                span,
                format!("{func}() takes one string literal, the symbol's name"),
            )),
        }
    }
}

impl Checker<'_> {
    /// `args.name` of a uprobe: the function's parameter typed from the
    /// file's debug info, read from its argument register.
    pub(super) fn uprobe_arg(&mut self, name: &str, span: Span) -> Checked<TExpr> {
        let mut functions = self.inst.attach.iter().filter_map(|(a, _)| match a {
            Attach::Uprobe { path, func, .. } => Some((path.clone(), func.clone())),
            _ => None,
        });
        let Some((path, func)) = functions.next() else {
            return Err(Diagnostic::error(span, "args needs a uprobe on a function"));
        };
        let params = self
            .types
            .env()
            .user_function_args(&path, &func)
            .ok_or_else(|| {
                Diagnostic::error(
                    span,
                    format!("no debug info describes the arguments of {func} in {path}"),
                )
                .with_help("use arg0, arg1, ... instead")
            })?;
        let Some(index) = params.iter().position(|p| p.name == name) else {
            let known: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
            return Err(Diagnostic::error(
                span,
                format!("Can't find a field {name} in args of {func}"),
            )
            .with_help(format!("its arguments are: {}", known.join(", "))));
        };
        let ty = params[index].ty.clone();
        let arg = texpr(TExprKind::RegArg(index as u8), Type::U64, span);
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
}

impl Checker<'_> {
    /// `args` of a uprobe as one value: a record of every parameter, laid
    /// out as C would lay out a struct of them.
    pub(super) fn uprobe_args_value(&mut self, span: Span) -> Checked<TExpr> {
        let names: Vec<String> = match self.inst.attach.first() {
            Some((Attach::Uprobe { path, func, .. }, _)) => self
                .types
                .env()
                .user_function_args(path, func)
                .unwrap_or_default()
                .into_iter()
                .map(|a| a.name)
                .collect(),
            _ => Vec::new(),
        };
        if names.is_empty() {
            return Err(Diagnostic::error(span, "Cannot read function parameters")
                .with_help("the function needs debug info (DWARF) that describes its parameters"));
        }
        self.args_record(names, span, |c, name| c.uprobe_arg(name, span))
    }

    /// `args` as one value: a record of the parameters `names`, each read
    /// by `read`, laid out as C would lay out a struct of them.
    pub(super) fn args_record(
        &mut self,
        names: Vec<String>,
        span: Span,
        mut read: impl FnMut(&mut Self, &str) -> Checked<TExpr>,
    ) -> Checked<TExpr> {
        let mut fields = Vec::new();
        let mut values = Vec::new();
        let mut offset = 0u32;
        let mut align = 1u32;
        for name in names {
            let value = read(self, &name)?;
            // A struct passed by value is a member as wide as it is.
            let size = value.ty.size().max(1);
            let member_align = value.ty.align().clamp(1, 8);
            offset = offset.next_multiple_of(member_align);
            align = align.max(member_align);
            fields.push(crate::sema::records::Field {
                name,
                offset,
                ty: value.ty.clone(),
                bitfield: None,
            });
            values.push((offset, value));
            offset += size;
        }
        let record = crate::sema::records::Record {
            name: "args".into(),
            size: offset.next_multiple_of(align),
            fields,
            complete: true,
        };
        Ok(texpr(
            TExprKind::ArgsRecord(values),
            Type::Record(std::sync::Arc::new(record)),
            span,
        ))
    }
}

impl Checker<'_> {
    /// `reg("ip")`: a register of the probe's context.
    pub(super) fn reg_call(&mut self, args: &[ast::Expr], span: Span) -> Checked<TExpr> {
        let name = self.symbol_name_arg("reg", args, span)?;
        if !self.inst.kind.has_pt_regs() && self.inst.kind != ProbeKind::PerfEvent {
            return Err(Diagnostic::error(
                span,
                "reg can only be used with kprobe, uprobe, usdt and profile probes",
            ));
        }
        Ok(texpr(TExprKind::Reg(name), Type::U64, span))
    }
}

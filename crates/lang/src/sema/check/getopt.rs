//! `getopt()`: named parameters given after `--` on the command line
//! (`-- --name=value`), read when the script is compiled. The default's type
//! is the parameter's: a boolean without one.

use super::calls::range_error;
use super::expr::{int_literal, str_literal, texpr, Checked};
use super::Checker;
use crate::ast::{self, ExprKind, UnOp};
use crate::diag::Diagnostic;
use crate::sema::typed::{TExpr, TExprKind};
use crate::sema::types::Type;
use crate::span::Span;

/// What a named parameter holds, from its default.
enum Default {
    Bool(bool),
    Signed(i64),
    Unsigned(u64),
    Text(String),
}

impl Checker<'_> {
    pub(super) fn getopt_call(&mut self, args: &[ast::Expr], span: Span) -> Checked<TExpr> {
        if args.is_empty() || args.len() > 3 {
            return Err(range_error("getopt", 1, 3, args.len(), span));
        }
        let name = self.literal_string("getopt", &args[0])?;
        let default = match args.get(1) {
            None => Default::Bool(false),
            Some(arg) => match &arg.kind {
                ExprKind::Bool(b) => Default::Bool(*b),
                ExprKind::Str(text) => Default::Text(String::from_utf8_lossy(text).into_owned()),
                ExprKind::Int(n) => Default::Unsigned(*n),
                ExprKind::Unary {
                    op: UnOp::Neg,
                    expr,
                } if matches!(expr.kind, ExprKind::Int(_)) => {
                    let ExprKind::Int(n) = expr.kind else {
                        unreachable!("checked by the guard")
                    };
                    Default::Signed((n as i64).wrapping_neg())
                }
                _ => {
                    return Err(Diagnostic::error(
                        arg.span,
                        "getopt() expects a literal default: an integer, a boolean or a string",
                    ))
                }
            },
        };
        let description = match args.get(2) {
            Some(arg) => self.literal_string("getopt", arg)?,
            None => String::new(),
        };
        if !self.maps.getopts.iter().any(|(n, _)| *n == name) {
            self.maps.getopts.push((name.clone(), description));
        }
        let given = self.opts.named_params.iter().find_map(|p| {
            let (key, value) = match p.split_once('=') {
                Some((key, value)) => (key, Some(value)),
                None => (p.as_str(), None),
            };
            (key == name).then_some(value)
        });
        let value = match given {
            None => default,
            Some(text) => parse_value(&name, &default, text)?,
        };
        Ok(match value {
            Default::Bool(b) => texpr(TExprKind::Bool(b), Type::Bool, span),
            Default::Signed(n) => texpr(TExprKind::Int(n as u64), Type::I64, span),
            Default::Unsigned(n) => {
                let mut e = int_literal(n, span);
                e.ty = Type::U64;
                e
            }
            Default::Text(text) => str_literal(text.into_bytes(), span),
        })
    }
}

/// The value of `--name[=text]` as the default's type reads it, or
/// bpftrace's error.
fn parse_value(name: &str, default: &Default, text: Option<&str>) -> Checked<Default> {
    let fail = |value: &str, why: &str| {
        Err(unplaced(format!(
            "program command line option --{name} {why} (value: {value})"
        )))
    };
    let Some(text) = text else {
        return match default {
            Default::Bool(_) => Ok(Default::Bool(true)),
            Default::Text(_) => fail("true", "expects a string"),
            _ => fail("true", "expects an integer"),
        };
    };
    match default {
        Default::Bool(_) => match text.to_ascii_lowercase().as_str() {
            "true" | "1" => Ok(Default::Bool(true)),
            "false" | "0" => Ok(Default::Bool(false)),
            _ => fail(text, "expects a boolean (e.g. 'true')"),
        },
        Default::Text(_) => Ok(Default::Text(text.to_string())),
        Default::Signed(_) => match parse_int(text) {
            Some(v) => Ok(Default::Signed(v as i64)),
            None => fail(text, "invalid integer"),
        },
        Default::Unsigned(_) => match parse_int(text) {
            Some(v) if !text.starts_with('-') => Ok(Default::Unsigned(v)),
            _ => fail(text, "invalid integer"),
        },
    }
}

/// Decimal or `0x` hexadecimal, optionally negative.
fn parse_int(text: &str) -> Option<u64> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let value = match digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        Some(hex) => u64::from_str_radix(hex, 16).ok()?,
        None => digits.parse().ok()?,
    };
    Some(if negative {
        value.wrapping_neg()
    } else {
        value
    })
}

/// An error about the command line rather than a place in the script.
fn unplaced(message: String) -> Diagnostic {
    Diagnostic::error(Span::new(0, 0), message)
}

/// Every named parameter given must be one the script reads; `--help`
/// asks for the list of them.
pub(super) fn check_named_params(
    given: &[String],
    expected: &[(String, String)],
) -> Result<(), Diagnostic> {
    let unexpected: Vec<&str> = given
        .iter()
        .map(|p| p.split_once('=').map_or(p.as_str(), |(k, _)| k))
        .filter(|k| !expected.iter().any(|(n, _)| n == k))
        .collect();
    if unexpected.is_empty() {
        return Ok(());
    }
    let help = unexpected.contains(&"help");
    let hint = if expected.is_empty() {
        "no custom program options defined.".to_string()
    } else if help {
        let lines: Vec<String> = expected
            .iter()
            .map(|(n, d)| {
                if d.is_empty() {
                    format!("--{n}")
                } else {
                    format!("--{n}: {d}")
                }
            })
            .collect();
        format!("expected program options:\n{}", lines.join("\n"))
    } else {
        let names: Vec<String> = expected.iter().map(|(n, _)| format!("--{n}")).collect();
        format!("expected program options: {}", names.join(": "))
    };
    let wrong: Vec<String> = unexpected
        .iter()
        .filter(|k| **k != "help")
        .map(|k| format!("--{k}"))
        .collect();
    let message = if wrong.is_empty() {
        String::new()
    } else {
        format!(
            "unexpected program command line options: {}",
            wrong.join(", ")
        )
    };
    Err(unplaced(message).with_help(hint))
}

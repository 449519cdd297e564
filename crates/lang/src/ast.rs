//! The syntax tree, as the parser produces it. Every node carries the byte
//! span of its source text so that later stages can point at it.

use crate::span::Span;

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Program {
    /// `#define NAME value` lines, in order.
    pub defines: Vec<Define>,
    /// `#include` lines, kept for messages; types come from BTF.
    pub includes: Vec<Include>,
    /// `config = { key = value; ... }`
    pub config: Option<Config>,
    /// `import "path";` at the top level.
    pub imports: Vec<Import>,
    /// `macro name(params) { ... }`
    pub macros: Vec<Macro>,
    /// `let @name = kind(max_entries);`
    pub map_decls: Vec<MapDecl>,
    /// `struct`, `union` and `enum` definitions written before the probes.
    pub c_definitions: Vec<CDefinition>,
    pub probes: Vec<Probe>,
}

/// A C type definition in the script: `struct Foo { int a; char b[16]; };`
/// or `enum { A, B = 5 };`.
#[derive(Clone, Debug, PartialEq)]
pub struct CDefinition {
    pub kind: CDefKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum CDefKind {
    Record(CRecord),
    Enum(CEnum),
}

/// `struct Name { fields }` or `union Name { fields }`.
#[derive(Clone, Debug, PartialEq)]
pub struct CRecord {
    pub union: bool,
    /// `None` for `struct { ... }`.
    pub name: Option<String>,
    pub fields: Vec<CField>,
    /// `__attribute__((packed))`: no padding between fields.
    pub packed: bool,
    pub span: Span,
}

/// `type name[N]...;` or `type name : bits;` in a struct or union.
#[derive(Clone, Debug, PartialEq)]
pub struct CField {
    pub ty: CType,
    /// Empty for an anonymous struct or union member.
    pub name: String,
    /// `[N]` suffixes, outermost first; `[]` counts as 0.
    pub array_dims: Vec<u32>,
    pub bits: Option<u32>,
    pub span: Span,
}

/// A C type in a field: a base with `*`s.
#[derive(Clone, Debug, PartialEq)]
pub struct CType {
    pub base: CBase,
    pub pointer_depth: u32,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum CBase {
    /// `int`, `unsigned long long`, `struct task_struct`, `uint32_t`, `enum E`.
    Named(String),
    /// A struct or union defined in place.
    Record(Box<CRecord>),
    /// An enum defined in place.
    Enum(CEnum),
}

/// `enum Name { A, B = 5 }`.
#[derive(Clone, Debug, PartialEq)]
pub struct CEnum {
    pub name: Option<String>,
    /// Each variant with its explicit value, if written.
    pub variants: Vec<(String, Option<i64>)>,
    pub span: Span,
}

/// `#define NAME text`. Only object-like defines are kept; the text is
/// parsed as an expression where the name is used, as bpftrace does.
#[derive(Clone, Debug, PartialEq)]
pub struct Define {
    pub name: String,
    pub text: String,
    /// The whole line.
    pub span: Span,
    /// Where `text` starts in the source.
    pub text_start: usize,
}

/// `#include <path>` or `#include "path"`, as written.
#[derive(Clone, Debug, PartialEq)]
pub struct Include {
    pub text: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub items: Vec<ConfigItem>,
    pub span: Span,
}

/// One `key = value` of a config block; `span` covers both.
#[derive(Clone, Debug, PartialEq)]
pub struct ConfigItem {
    pub key: String,
    pub value: ConfigValue,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigValue {
    Int(u64),
    Bool(bool),
    Str(String),
    /// A bare word such as `raw` or `warn`.
    Ident(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Import {
    pub path: String,
    pub span: Span,
}

/// `macro name(params) { body }`; `span` covers `macro name`.
#[derive(Clone, Debug, PartialEq)]
pub struct Macro {
    pub name: String,
    pub params: Vec<MacroParam>,
    pub body: Block,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MacroParam {
    pub kind: MacroParamKind,
    /// Without its sigil.
    pub name: String,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MacroParamKind {
    /// `$name`: the caller passes a variable, which the body may change.
    Var,
    /// `@name`: the caller passes a map.
    Map,
    /// `name`: the caller passes an expression, inserted at every use.
    Expr,
}

/// `let @name = kind(max_entries);` at the top level.
#[derive(Clone, Debug, PartialEq)]
pub struct MapDecl {
    /// Without the `@`.
    pub name: String,
    /// `hash`, `lruhash`, `percpuhash`, `percpulruhash` (checked later).
    pub kind: String,
    pub kind_span: Span,
    pub max_entries: u64,
    pub span: Span,
}

/// `attach, attach /predicate/ { body }`
#[derive(Clone, Debug, PartialEq)]
pub struct Probe {
    pub attach_points: Vec<AttachPoint>,
    pub predicate: Option<Expr>,
    pub body: Block,
    pub span: Span,
}

/// The text of one attach point, exactly as written (quotes kept), e.g.
/// `tracepoint:syscalls:sys_enter_*` or `BEGIN`. Semantic analysis splits it.
#[derive(Clone, Debug, PartialEq)]
pub struct AttachPoint {
    pub raw: String,
    pub span: Span,
}

/// `{ statements }`, optionally ending in an expression without `;` that
/// gives the block its value. Probe and loop bodies never keep one: there the
/// parser turns it into a statement.
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    pub stmts: Vec<Stmt>,
    pub expr: Option<Box<Expr>>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind {
    /// An expression evaluated for its effect: `printf(...)`, `@x++`, `count()` alone is an error later.
    Expr(Expr),
    /// `target = value` or, with `op`, `target op= value`. `target` is a
    /// `Map` or `Var` expression (the parser rejects anything else).
    Assign {
        target: Expr,
        op: Option<BinOp>,
        value: Expr,
    },
    If {
        cond: Expr,
        then: Block,
        /// `else { }` or `else if ...` (an `If` statement wrapped in a block).
        otherwise: Option<Block>,
    },
    /// `unroll (N) { }`
    Unroll {
        count: Expr,
        body: Block,
    },
    /// `while (cond) { }`
    While {
        cond: Expr,
        body: Block,
    },
    /// `for ($var : @map) { }` or `for ($var : start..end) { }`
    For {
        var: String,
        var_span: Span,
        iter: ForIter,
        body: Block,
    },
    /// `let $var[: type] [= value];`
    Let {
        var: String,
        var_span: Span,
        ty: Option<TypeSpec>,
        value: Option<Expr>,
    },
    /// `_ = expr;`
    Discard(Expr),
    Break,
    Continue,
    /// `return;` or `return expr;`
    Return(Option<Expr>),
    /// A nested `{ ... }`.
    Block(Block),
}

/// What a `for` loop walks over.
#[derive(Clone, Debug, PartialEq)]
pub enum ForIter {
    /// Every entry of a map: the variable is `(key, value)`.
    Map { name: String, span: Span },
    /// `start..end`, end excluded; both evaluated once.
    Range { start: Expr, end: Expr },
}

/// A type written in a declaration: `let $x: uint8` or `let $y: typeof(e)`.
#[derive(Clone, Debug, PartialEq)]
pub enum TypeSpec {
    Name(TypeName),
    Typeof { expr: Box<Expr>, span: Span },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// An integer literal. Literals above `i64::MAX` keep their bits.
    Int(u64),
    /// A string literal with escapes already decoded.
    Str(Vec<u8>),
    /// `true` / `false`.
    Bool(bool),
    /// A bare identifier that is not a call: builtins (`pid`, `comm`,
    /// `args`, `arg0`, `retval`, ...). Semantic analysis decides what it is.
    Ident(String),
    /// `$1`, `$2`, ...
    Positional(u32),
    /// `$#`
    PositionalCount,
    /// `$name`
    Var(String),
    /// `@name` (name may be empty for `@`) with zero, one or several keys:
    /// `@x`, `@x[k]`, `@x[a, b]`.
    Map {
        name: String,
        keys: Vec<Expr>,
    },
    /// `name(args)`
    Call {
        name: String,
        args: Vec<Expr>,
    },
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Unary {
        op: UnOp,
        expr: Box<Expr>,
    },
    /// `cond ? then : otherwise`
    Ternary {
        cond: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
    /// `expr.field` or `expr->field` (`arrow` tells which was written).
    Field {
        expr: Box<Expr>,
        field: String,
        arrow: bool,
    },
    /// `expr[index]` on something that is not a map.
    Index {
        expr: Box<Expr>,
        index: Box<Expr>,
    },
    /// `()`, `(a,)`, `(a, b, ...)`.
    Tuple(Vec<Expr>),
    /// `(name = value, ...)`
    Record(Vec<RecordField>),
    /// `{ statements; value }`
    Block(Box<Block>),
    /// `if cond { ... } else { ... }` used for its value.
    If {
        cond: Box<Expr>,
        then: Box<Block>,
        otherwise: Option<Box<Block>>,
    },
    /// `(type) expr`
    Cast {
        ty: TypeName,
        expr: Box<Expr>,
    },
    /// `sizeof(type)` or `sizeof(expr)`.
    Sizeof(Box<SizeofArg>),
    /// `offsetof(struct T, a.b)` or `offsetof(expr, a.b)`.
    Offsetof {
        of: Box<SizeofArg>,
        fields: Vec<String>,
    },
    /// `x++`, `++x`, `x--`, `--x` on a map or variable.
    IncDec {
        target: Box<Expr>,
        increment: bool,
        prefix: bool,
    },
}

/// One `name = value` of a record.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordField {
    pub name: String,
    pub name_span: Span,
    pub value: Expr,
}

/// What `sizeof` and `offsetof` measure: a type, or the type of an expression.
#[derive(Clone, Debug, PartialEq)]
pub enum SizeofArg {
    Type(TypeName),
    Expr(Expr),
}

/// A type as written in a cast: `uint8`, `int64`, `struct task_struct *`,
/// `int8[8]`.
#[derive(Clone, Debug, PartialEq)]
pub struct TypeName {
    /// Base name, e.g. `uint32`, `struct task_struct`, `char`.
    pub name: String,
    /// Number of `*` after the name.
    pub pointer_depth: u32,
    /// `[N]` after the name and stars: `Some(Some(N))`; `[]`: `Some(None)`.
    pub array: Option<Option<u32>>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    BitAnd,
    BitOr,
    BitXor,
    Shl,
    Shr,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    LogicalAnd,
    LogicalOr,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    /// `-x`
    Neg,
    /// `!x`
    Not,
    /// `~x`
    BitNot,
    /// `*x`
    Deref,
    /// `&x`
    AddrOf,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Mod => "%",
            BinOp::BitAnd => "&",
            BinOp::BitOr => "|",
            BinOp::BitXor => "^",
            BinOp::Shl => "<<",
            BinOp::Shr => ">>",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::LogicalAnd => "&&",
            BinOp::LogicalOr => "||",
        }
    }

    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge
        )
    }
}

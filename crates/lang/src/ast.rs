//! The syntax tree, as the parser produces it. Every node carries the byte
//! span of its source text so that later stages can point at it.

use crate::span::Span;

#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    pub probes: Vec<Probe>,
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

#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    pub stmts: Vec<Stmt>,
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
    Break,
    Continue,
    /// `return;`
    Return,
    /// A nested `{ ... }`.
    Block(Block),
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
    /// `(a, b, ...)` with at least two elements.
    Tuple(Vec<Expr>),
    /// `(type) expr`
    Cast {
        ty: TypeName,
        expr: Box<Expr>,
    },
    /// `x++`, `++x`, `x--`, `--x` on a map or variable.
    IncDec {
        target: Box<Expr>,
        increment: bool,
        prefix: bool,
    },
}

/// A type as written in a cast: `uint8`, `int64`, `struct task_struct *`.
#[derive(Clone, Debug, PartialEq)]
pub struct TypeName {
    /// Base name, e.g. `uint32`, `struct task_struct`, `char`.
    pub name: String,
    /// Number of `*` after the name.
    pub pointer_depth: u32,
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

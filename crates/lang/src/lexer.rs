//! Tokens of the language, read on demand by the parser.
//!
//! bpftrace has no context-free token grammar: attach points are raw text up
//! to whitespace, `{` or `,`, so the parser asks for them with
//! [`Lexer::attach_point`] instead of [`Lexer::next_token`]. Everything else is
//! read greedily (longest operator first), which matches how bpftrace's
//! character-level parser splits `a---b` or `x->y`.
//!
//! A malformed token does not fail the lexer: it becomes [`Tok::Invalid`]
//! carrying its diagnostic, which the parser raises only if it actually needs
//! that token. Text that later turns out to be an attach point is lexed
//! ahead by accident and must not produce an error.

mod attach;
mod number;
mod string;

use crate::ast::BinOp;
use crate::diag::Diagnostic;
use crate::span::Span;

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Token {
    pub kind: Tok,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    Ident(String),
    Int(u64),
    Str(Vec<u8>),
    /// `$name`
    Var(String),
    /// `$1`, `$2`, ...
    Positional(u32),
    /// `$#`
    PositionalCount,
    /// `@name`, or `@` alone with an empty name.
    Map(String),
    Punct(Punct),
    /// A character that starts no token.
    Unknown(char),
    /// A malformed token; using it reports the diagnostic.
    Invalid(Box<Diagnostic>),
    Eof,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Punct {
    LParen,
    RParen,
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    Comma,
    Semi,
    Colon,
    Question,
    Dot,
    /// `..` of a `for` range.
    DotDot,
    Arrow,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Amp,
    Pipe,
    Caret,
    Bang,
    Tilde,
    Lt,
    Gt,
    Le,
    Ge,
    EqEq,
    Ne,
    Shl,
    Shr,
    AndAnd,
    OrOr,
    PlusPlus,
    MinusMinus,
    Assign,
    /// `+=`, `<<=`, ...: the operator applied before assigning.
    CompoundAssign(BinOp),
}

impl Punct {
    pub fn text(self) -> &'static str {
        match self {
            Punct::LParen => "(",
            Punct::RParen => ")",
            Punct::LBrace => "{",
            Punct::RBrace => "}",
            Punct::LBracket => "[",
            Punct::RBracket => "]",
            Punct::Comma => ",",
            Punct::Semi => ";",
            Punct::Colon => ":",
            Punct::Question => "?",
            Punct::Dot => ".",
            Punct::DotDot => "..",
            Punct::Arrow => "->",
            Punct::Plus => "+",
            Punct::Minus => "-",
            Punct::Star => "*",
            Punct::Slash => "/",
            Punct::Percent => "%",
            Punct::Amp => "&",
            Punct::Pipe => "|",
            Punct::Caret => "^",
            Punct::Bang => "!",
            Punct::Tilde => "~",
            Punct::Lt => "<",
            Punct::Gt => ">",
            Punct::Le => "<=",
            Punct::Ge => ">=",
            Punct::EqEq => "==",
            Punct::Ne => "!=",
            Punct::Shl => "<<",
            Punct::Shr => ">>",
            Punct::AndAnd => "&&",
            Punct::OrOr => "||",
            Punct::PlusPlus => "++",
            Punct::MinusMinus => "--",
            Punct::Assign => "=",
            Punct::CompoundAssign(op) => compound_text(op),
        }
    }
}

fn compound_text(op: BinOp) -> &'static str {
    match op {
        BinOp::Add => "+=",
        BinOp::Sub => "-=",
        BinOp::Mul => "*=",
        BinOp::Div => "/=",
        BinOp::Mod => "%=",
        BinOp::BitAnd => "&=",
        BinOp::BitOr => "|=",
        BinOp::BitXor => "^=",
        BinOp::Shl => "<<=",
        BinOp::Shr => ">>=",
        // Never produced by the lexer.
        _ => "=",
    }
}

pub(crate) fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

pub(crate) fn is_ident_body(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Length in bytes of the UTF-8 character that starts at `pos`.
fn char_len(src: &str, pos: usize) -> usize {
    src[pos..].chars().next().map_or(0, char::len_utf8)
}

#[derive(Clone, Debug)]
pub(crate) struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    pub fn new(src: &'a str) -> Lexer<'a> {
        Lexer { src, pos: 0 }
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Moves to `pos`, which must be a position this lexer produced.
    pub fn set_pos(&mut self, pos: usize) {
        self.pos = pos.min(self.src.len());
    }

    fn bytes(&self) -> &'a [u8] {
        self.src.as_bytes()
    }

    fn byte_at(&self, pos: usize) -> u8 {
        self.bytes().get(pos).copied().unwrap_or(0)
    }

    /// Skips whitespace and comments. An unterminated `/*` is returned as an
    /// error token (positioned at the `/*`) instead of being skipped.
    pub fn skip_layout(&mut self) -> Option<Token> {
        loop {
            let b = self.byte_at(self.pos);
            if self.pos < self.src.len() && b.is_ascii_whitespace() {
                self.pos += 1;
            } else if b == b'/' && self.byte_at(self.pos + 1) == b'/' {
                while self.pos < self.src.len() && self.byte_at(self.pos) != b'\n' {
                    self.pos += 1;
                }
            } else if b == b'/' && self.byte_at(self.pos + 1) == b'*' {
                let start = self.pos;
                match self.src[start + 2..].find("*/") {
                    Some(off) => self.pos = start + 2 + off + 2,
                    None => {
                        self.pos = self.src.len();
                        let span = Span::new(start, start + 2);
                        let diag = Diagnostic::error(span, "syntax: unterminated comment")
                            .with_help("close the comment with '*/'");
                        return Some(Token {
                            kind: Tok::Invalid(Box::new(diag)),
                            span,
                        });
                    }
                }
            } else {
                return None;
            }
        }
    }

    /// If the text at the current position (after layout) is a `#!` line,
    /// skips it.
    pub fn skip_shebang(&mut self) {
        let mut probe = self.clone();
        if probe.skip_layout().is_some() {
            return;
        }
        if self.src[probe.pos..].starts_with("#!") {
            self.pos = match self.src[probe.pos..].find('\n') {
                Some(off) => probe.pos + off + 1,
                None => self.src.len(),
            };
        }
    }

    pub fn next_token(&mut self) -> Token {
        if let Some(bad) = self.skip_layout() {
            return bad;
        }
        let start = self.pos;
        let kind = self.token_kind(start);
        Token {
            kind,
            span: Span::new(start, self.pos),
        }
    }

    fn token_kind(&mut self, start: usize) -> Tok {
        let Some(&b) = self.bytes().get(start) else {
            return Tok::Eof;
        };
        if is_ident_start(b) {
            self.pos = self.ident_end(start);
            return Tok::Ident(self.src[start..self.pos].to_string());
        }
        if b.is_ascii_digit() {
            let (end, value) = number::scan_integer(self.src, start);
            self.pos = end;
            return match value {
                Ok(v) => Tok::Int(v),
                Err(diag) => Tok::Invalid(Box::new(diag)),
            };
        }
        match b {
            b'"' => {
                let (end, value) = string::scan_string(self.src, start);
                self.pos = end;
                match value {
                    Ok(bytes) => Tok::Str(bytes),
                    Err(diag) => Tok::Invalid(Box::new(diag)),
                }
            }
            b'$' => self.dollar(start),
            b'@' => {
                if is_ident_start(self.byte_at(start + 1)) {
                    self.pos = self.ident_end(start + 1);
                    Tok::Map(self.src[start + 1..self.pos].to_string())
                } else {
                    self.pos = start + 1;
                    Tok::Map(String::new())
                }
            }
            _ => match self.punct(start) {
                Some((p, len)) => {
                    self.pos = start + len;
                    Tok::Punct(p)
                }
                None => {
                    let c = self.src[start..].chars().next().unwrap_or('\0');
                    self.pos = start + c.len_utf8().max(1);
                    Tok::Unknown(c)
                }
            },
        }
    }

    fn ident_end(&self, mut pos: usize) -> usize {
        while is_ident_body(self.byte_at(pos)) {
            pos += 1;
        }
        pos
    }

    fn dollar(&mut self, start: usize) -> Tok {
        let next = self.byte_at(start + 1);
        if next == b'#' {
            self.pos = start + 2;
            return Tok::PositionalCount;
        }
        if next.is_ascii_digit() {
            let mut end = start + 1;
            while self.byte_at(end).is_ascii_digit() {
                end += 1;
            }
            self.pos = end;
            let digits = &self.src[start + 1..end];
            return match digits.parse::<u64>() {
                Ok(n) if n >= 1 && n <= u64::from(u32::MAX) => Tok::Positional(n as u32),
                parsed => {
                    // bpftrace's own bound is i64::MAX; ours is lower only
                    // because the tree stores u32.
                    let max = match parsed {
                        Ok(n) if n > 0 && n <= i64::MAX as u64 => u64::from(u32::MAX),
                        _ => i64::MAX as u64,
                    };
                    let span = Span::new(start, end);
                    Tok::Invalid(Box::new(Diagnostic::error(
                        span,
                        format!("syntax: param ${digits} is out of integer range [1, {max}]"),
                    )))
                }
            };
        }
        if is_ident_start(next) {
            self.pos = self.ident_end(start + 1);
            return Tok::Var(self.src[start + 1..self.pos].to_string());
        }
        self.pos = start + 1;
        Tok::Invalid(Box::new(
            Diagnostic::error(
                Span::new(start, start + 1),
                "syntax: expected identifier after '$'",
            )
            .with_help("variables are written $name, positional parameters $1, $2, ..."),
        ))
    }

    /// The operator at `pos` and its length, longest match first.
    fn punct(&self, pos: usize) -> Option<(Punct, usize)> {
        let b0 = self.byte_at(pos);
        let b1 = self.byte_at(pos + 1);
        let b2 = self.byte_at(pos + 2);
        let compound = |op| Some((Punct::CompoundAssign(op), 2));
        match (b0, b1) {
            (b'<', b'<') if b2 == b'=' => Some((Punct::CompoundAssign(BinOp::Shl), 3)),
            (b'>', b'>') if b2 == b'=' => Some((Punct::CompoundAssign(BinOp::Shr), 3)),
            (b'<', b'<') => Some((Punct::Shl, 2)),
            (b'>', b'>') => Some((Punct::Shr, 2)),
            (b'<', b'=') => Some((Punct::Le, 2)),
            (b'>', b'=') => Some((Punct::Ge, 2)),
            (b'=', b'=') => Some((Punct::EqEq, 2)),
            (b'!', b'=') => Some((Punct::Ne, 2)),
            (b'&', b'&') => Some((Punct::AndAnd, 2)),
            (b'|', b'|') => Some((Punct::OrOr, 2)),
            (b'+', b'+') => Some((Punct::PlusPlus, 2)),
            (b'-', b'-') => Some((Punct::MinusMinus, 2)),
            (b'-', b'>') => Some((Punct::Arrow, 2)),
            (b'.', b'.') => Some((Punct::DotDot, 2)),
            (b'+', b'=') => compound(BinOp::Add),
            (b'-', b'=') => compound(BinOp::Sub),
            (b'*', b'=') => compound(BinOp::Mul),
            (b'/', b'=') => compound(BinOp::Div),
            (b'%', b'=') => compound(BinOp::Mod),
            (b'&', b'=') => compound(BinOp::BitAnd),
            (b'|', b'=') => compound(BinOp::BitOr),
            (b'^', b'=') => compound(BinOp::BitXor),
            _ => {
                let p = match b0 {
                    b'(' => Punct::LParen,
                    b')' => Punct::RParen,
                    b'{' => Punct::LBrace,
                    b'}' => Punct::RBrace,
                    b'[' => Punct::LBracket,
                    b']' => Punct::RBracket,
                    b',' => Punct::Comma,
                    b';' => Punct::Semi,
                    b':' => Punct::Colon,
                    b'?' => Punct::Question,
                    b'.' => Punct::Dot,
                    b'+' => Punct::Plus,
                    b'-' => Punct::Minus,
                    b'*' => Punct::Star,
                    b'/' => Punct::Slash,
                    b'%' => Punct::Percent,
                    b'&' => Punct::Amp,
                    b'|' => Punct::Pipe,
                    b'^' => Punct::Caret,
                    b'!' => Punct::Bang,
                    b'~' => Punct::Tilde,
                    b'<' => Punct::Lt,
                    b'>' => Punct::Gt,
                    b'=' => Punct::Assign,
                    _ => return None,
                };
                Some((p, 1))
            }
        }
    }

    /// Reads one attach point as raw text (see [`attach`]); `None` when there
    /// is none at the current position.
    pub fn attach_point(&mut self) -> Option<(String, Span)> {
        attach::scan(self)
    }
}

/// The span bpftrace underlines for a syntax error found at `pos`: a whole
/// identifier, number or `$`/`@` name, else a single character (empty at the
/// end of the input).
pub(crate) fn error_span_at(src: &str, pos: usize) -> Span {
    let bytes = src.as_bytes();
    let pos = pos.min(src.len());
    let Some(&first) = bytes.get(pos) else {
        return Span::new(pos, pos);
    };
    let mut end = pos;
    let run = |mut end: usize, keep: fn(u8) -> bool| {
        while bytes.get(end).is_some_and(|&b| keep(b)) {
            end += 1;
        }
        end
    };
    if is_ident_start(first) {
        end = run(end, is_ident_body);
    } else if first.is_ascii_digit() {
        end = run(end, |b| b.is_ascii_alphanumeric() || b == b'.');
    } else if first == b'@' || first == b'$' {
        end = run(end + 1, is_ident_body);
    } else if src.is_char_boundary(pos) {
        end += char_len(src, pos).max(1);
    } else {
        end += 1;
    }
    Span::new(pos, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Tok> {
        let mut lexer = Lexer::new(src);
        let mut out = Vec::new();
        loop {
            let t = lexer.next_token();
            if t.kind == Tok::Eof {
                return out;
            }
            out.push(t.kind);
        }
    }

    #[test]
    fn longest_operator_wins() {
        use Punct::*;
        let p = Tok::Punct;
        assert_eq!(
            kinds("a---b x->y <<= >>= <= << ! != &&&"),
            vec![
                Tok::Ident("a".into()),
                p(MinusMinus),
                p(Minus),
                Tok::Ident("b".into()),
                Tok::Ident("x".into()),
                p(Arrow),
                Tok::Ident("y".into()),
                p(CompoundAssign(BinOp::Shl)),
                p(CompoundAssign(BinOp::Shr)),
                p(Le),
                p(Shl),
                p(Bang),
                p(Ne),
                p(AndAnd),
                p(Amp),
            ]
        );
    }

    #[test]
    fn sigils() {
        assert_eq!(
            kinds("$x $12 $# @ @m @_a1"),
            vec![
                Tok::Var("x".into()),
                Tok::Positional(12),
                Tok::PositionalCount,
                Tok::Map(String::new()),
                Tok::Map("m".into()),
                Tok::Map("_a1".into()),
            ]
        );
    }

    #[test]
    fn comments_are_layout() {
        assert_eq!(
            kinds("a // x\n /* y \n */ b"),
            vec![Tok::Ident("a".into()), Tok::Ident("b".into())]
        );
    }

    #[test]
    fn unknown_characters_keep_whole_utf8_char() {
        let mut lexer = Lexer::new("é");
        let t = lexer.next_token();
        assert_eq!(t.kind, Tok::Unknown('é'));
        assert_eq!(t.span, Span::new(0, 2));
    }

    #[test]
    fn error_spans_follow_bpftrace() {
        let src = "ab1 12x.3 $abc @ ; é";
        assert_eq!(error_span_at(src, 0), Span::new(0, 3));
        assert_eq!(error_span_at(src, 4), Span::new(4, 9));
        assert_eq!(error_span_at(src, 10), Span::new(10, 14));
        assert_eq!(error_span_at(src, 15), Span::new(15, 16));
        assert_eq!(error_span_at(src, 17), Span::new(17, 18));
        assert_eq!(error_span_at(src, 19), Span::new(19, 21));
        assert_eq!(error_span_at(src, 21), Span::new(21, 21));
    }
}

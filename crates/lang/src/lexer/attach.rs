//! Attach points, read as raw text the way bpftrace v0.26.1 reads them.
//!
//! An attach point runs up to whitespace, `{` or `,`. A `/` ends it only
//! while no `:` has been seen, so `BEGIN/pid/` has a predicate while
//! `uprobe:/bin/bash:readline` keeps its path; a predicate after a path needs
//! whitespace before it. Double-quoted parts (`uprobe:"/a b":f`) are taken
//! whole, quotes included.

use super::Lexer;
use crate::span::Span;

pub(super) fn scan(lexer: &mut Lexer<'_>) -> Option<(String, Span)> {
    let before = lexer.pos;
    if lexer.skip_layout().is_some() {
        // Leave the unterminated comment for the parser to report.
        lexer.pos = before;
        return None;
    }
    let src = lexer.src;
    let bytes = src.as_bytes();
    let start = lexer.pos;
    let mut pos = start;
    let mut seen_colon = false;
    while let Some(&b) = bytes.get(pos) {
        let next = bytes.get(pos + 1).copied().unwrap_or(0);
        let ends = match b {
            b'{' | b',' => true,
            // Text that cannot begin a probe: a stray closing bracket or `;`.
            b'}' | b';' | b')' | b']' => pos == start,
            b'/' if next == b'/' || next == b'*' => true,
            b'/' => pos > start && !seen_colon,
            _ => b.is_ascii_whitespace(),
        };
        if ends {
            break;
        }
        match b {
            b'"' => pos = quoted_end(bytes, pos),
            b':' => {
                seen_colon = true;
                pos += 1;
            }
            _ => pos += super::char_len(src, pos).max(1),
        }
    }
    lexer.pos = pos;
    if pos == start {
        return None;
    }
    Some((src[start..pos].to_string(), Span::new(start, pos)))
}

/// The end of the quoted part starting at `open`: after the closing quote,
/// or the end of input when there is none. A backslash keeps the next
/// character inside the quotes.
fn quoted_end(bytes: &[u8], open: usize) -> usize {
    let mut pos = open + 1;
    while let Some(&b) = bytes.get(pos) {
        match b {
            b'"' => return pos + 1,
            b'\\' => pos += 2,
            _ => pos += 1,
        }
    }
    bytes.len()
}

//! Diagnostics: an error with a primary span, rendered in bpftrace's layout
//!
//! ```text
//! stdin:1:12-15: ERROR: unknown function: 'foo'
//! kprobe:f { foo(); }
//!            ~~~
//! HINT: ...
//! ```

use crate::span::Span;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub span: Span,
    pub message: String,
    /// Printed after the underline as `HINT: ...`.
    pub help: Option<String>,
    /// More places, each printed after the error in the same layout with
    /// its own message (`expanded from` for the call of a macro).
    pub notes: Vec<(Span, String)>,
}

impl Diagnostic {
    pub fn error(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            span,
            message: message.into(),
            help: None,
            notes: Vec::new(),
        }
    }

    pub fn with_note(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.notes.push((span, message.into()));
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }
}

/// Render `diag` against `source`; `filename` is `stdin` for `-e` scripts.
/// The result ends with a newline.
///
/// The layout is bpftrace v0.26.1's. Lines and columns are 1-based and
/// counted in bytes; the end column is exclusive. A span within one line
/// prints `FILE:LINE:START-END`, the line (tabs widened to four spaces) and
/// a `~` under each byte of the span. A span over several lines prints
/// `FILE:FIRST-LAST` and those lines as they are, without underline.
pub fn render(diag: &Diagnostic, source: &str, filename: &str) -> String {
    let mut out = render_as("ERROR", diag, source, filename);
    for (span, message) in &diag.notes {
        out.push_str(&render_as(
            "ERROR",
            &Diagnostic::error(*span, message.clone()),
            source,
            filename,
        ));
    }
    out
}

/// [`render`] for something that does not stop the script:
/// `FILE:LINE:COLS: WARNING: ...`.
pub fn render_warning(diag: &Diagnostic, source: &str, filename: &str) -> String {
    let mut out = render_as("WARNING", diag, source, filename);
    for (span, message) in &diag.notes {
        out.push_str(&render_as(
            "WARNING",
            &Diagnostic::error(*span, message.clone()),
            source,
            filename,
        ));
    }
    out
}

/// One place and its message, without the notes.
pub(crate) fn render_as(label: &str, diag: &Diagnostic, source: &str, filename: &str) -> String {
    let (begin_line, begin_col) = line_col(source, diag.span.start);
    let (end_line, end_col) = line_col(source, diag.span.end.max(diag.span.start));
    let lines = source_lines(source);

    let mut out = String::new();
    if begin_line == end_line {
        out.push_str(&format!("{filename}:{begin_line}:{begin_col}-{end_col}: "));
    } else {
        out.push_str(&format!("{filename}:{begin_line}-{end_line}: "));
    }
    out.push_str(label);
    out.push_str(": ");
    out.push_str(&diag.message);
    out.push('\n');

    if begin_line != end_line {
        for line in lines.iter().take(end_line).skip(begin_line - 1) {
            out.push_str(line);
            out.push('\n');
        }
    } else if let Some(line) = lines.get(begin_line - 1) {
        out.push_str(&line.replace('\t', "    "));
        out.push('\n');
        out.push_str(&underline(line, begin_col, end_col));
        out.push('\n');
    }

    if let Some(help) = &diag.help {
        out.push_str("HINT: ");
        out.push_str(help);
        out.push('\n');
    }
    out
}

/// 1-based line and byte column of byte offset `pos` (clamped to the source).
pub fn line_col(source: &str, pos: usize) -> (usize, usize) {
    let before = &source.as_bytes()[..pos.min(source.len())];
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    (line, before.len() - line_start + 1)
}

/// The lines bpftrace shows from: split at each newline, so text ending in a
/// newline has an empty last line, and empty text has none.
fn source_lines(source: &str) -> Vec<&str> {
    if source.is_empty() {
        Vec::new()
    } else {
        source.split('\n').collect()
    }
}

/// Spaces up to `begin_col`, then `~` up to (not including) `end_col`; a tab
/// takes four of either so that the marks stay under their text.
fn underline(line: &str, begin_col: usize, end_col: usize) -> String {
    let mut marks = String::new();
    for (i, &b) in line.as_bytes().iter().enumerate().take(end_col - 1) {
        let mark = if i + 1 < begin_col { ' ' } else { '~' };
        let width = if b == b'\t' { 4 } else { 1 };
        for _ in 0..width {
            marks.push(mark);
        }
    }
    marks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(start: usize, end: usize, message: &str) -> Diagnostic {
        Diagnostic::error(Span::new(start, end), message)
    }

    #[test]
    fn single_line_layout() {
        let src = "i:s:1 { < }";
        assert_eq!(
            render(&err(8, 9, "syntax: expected expression"), src, "stdin"),
            "stdin:1:9-10: ERROR: syntax: expected expression\n\
             i:s:1 { < }\n        ~\n"
        );
    }

    #[test]
    fn hint_follows_the_underline() {
        let d = err(0, 2, "bad").with_help("fix it");
        assert_eq!(
            render(&d, "ab", "f.bt"),
            "f.bt:1:1-3: ERROR: bad\nab\n~~\nHINT: fix it\n"
        );
    }

    #[test]
    fn tabs_widen_in_line_and_underline() {
        let src = "i:s:1\t\t\t$a";
        assert_eq!(
            render(&err(8, 10, "syntax: expected '{'"), src, "stdin"),
            "stdin:1:9-11: ERROR: syntax: expected '{'\n\
             i:s:1            $a\n                 ~~\n"
        );
        // A tab inside the span is four marks.
        assert_eq!(
            render(&err(1, 3, "m"), "a\tb", "s"),
            "s:1:2-4: ERROR: m\na    b\n ~~~~~\n"
        );
    }

    #[test]
    fn empty_span_at_end_underlines_nothing() {
        let src = "kprobe:f { \"asdf }";
        assert_eq!(
            render(&err(18, 18, "syntax: expected ';'"), src, "stdin"),
            format!(
                "stdin:1:19-19: ERROR: syntax: expected ';'\n{src}\n{}\n",
                " ".repeat(18)
            )
        );
    }

    #[test]
    fn later_lines_count_from_their_start() {
        let src = "BEGIN {\n  foo(1);\n}\n";
        assert_eq!(
            render(&err(10, 13, "unknown function"), src, "stdin"),
            "stdin:2:3-6: ERROR: unknown function\n  foo(1);\n  ~~~\n"
        );
    }

    #[test]
    fn multi_line_span_lists_lines_without_underline() {
        let src = "i:s:1 {\n  print(1);\n}\n";
        assert_eq!(
            render(&err(0, src.len(), "m"), src, "testfile"),
            "testfile:1-4: ERROR: m\ni:s:1 {\n  print(1);\n}\n\n"
        );
    }

    #[test]
    fn error_on_the_empty_line_after_a_final_newline() {
        assert_eq!(
            render(&err(4, 4, "m"), "abc\n", "s"),
            "s:2:1-1: ERROR: m\n\n\n"
        );
    }

    #[test]
    fn empty_source_and_wild_spans_do_not_panic() {
        assert_eq!(render(&err(0, 0, "m"), "", "s"), "s:1:1-1: ERROR: m\n");
        assert_eq!(
            render(&err(50, 99, "m"), "ab", "s"),
            "s:1:3-3: ERROR: m\nab\n  \n"
        );
        assert_eq!(
            render(&err(5, 1, "m"), "abcdefg", "s"),
            "s:1:6-6: ERROR: m\nabcdefg\n     \n"
        );
    }
}

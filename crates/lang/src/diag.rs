//! Diagnostics: an error with a primary span, rendered in bpftrace's layout
//!
//! ```text
//! stdin:1:38-39: ERROR: unknown function: 'foo'
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
}

impl Diagnostic {
    pub fn error(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            span,
            message: message.into(),
            help: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }
}

/// Render `diag` against `source`; `filename` is `stdin` for `-e` scripts.
/// The result ends with a newline.
pub fn render(diag: &Diagnostic, source: &str, filename: &str) -> String {
    let _ = (diag, source, filename);
    todo!("parser helper")
}

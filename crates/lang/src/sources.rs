//! Scripts made of several files (`import "other.bt";`). Every file's
//! text is placed after the previous ones in one address space, so a span
//! names a place in exactly one file; rendering finds that file and shows
//! its name, lines and columns. The script itself comes first, so its
//! spans are its own byte offsets.

use crate::diag::{render_as, Diagnostic};
use crate::span::Span;

#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
    /// Every file's text, each after a newline, as one string.
    combined: String,
}

#[derive(Clone, Debug)]
struct SourceFile {
    name: String,
    start: usize,
    len: usize,
}

impl SourceMap {
    /// A map of the script alone.
    pub fn new(name: &str, text: &str) -> SourceMap {
        SourceMap {
            files: vec![SourceFile {
                name: name.to_string(),
                start: 0,
                len: text.len(),
            }],
            combined: text.to_string(),
        }
    }

    /// Adds a file; returns where its text starts.
    pub fn add(&mut self, name: &str, text: &str) -> usize {
        self.combined.push('\n');
        let start = self.combined.len();
        self.combined.push_str(text);
        self.files.push(SourceFile {
            name: name.to_string(),
            start,
            len: text.len(),
        });
        start
    }

    /// The text of every file, at the offsets spans use.
    pub fn text(&self) -> &str {
        &self.combined
    }

    pub fn render(&self, d: &Diagnostic) -> String {
        self.render_labelled("ERROR", d)
    }

    pub fn render_warning(&self, d: &Diagnostic) -> String {
        self.render_labelled("WARNING", d)
    }

    /// The diagnostic, then each note in the file it points into.
    fn render_labelled(&self, label: &str, d: &Diagnostic) -> String {
        let (name, text, local) = self.locate(d);
        let mut out = render_as(label, &local, text, name);
        for (span, message) in &d.notes {
            let note = Diagnostic::error(*span, message.clone());
            let (name, text, local) = self.locate(&note);
            out.push_str(&render_as(label, &local, text, name));
        }
        out
    }

    /// The file `d` points into, its text, and `d` with its span made
    /// relative to that text.
    fn locate(&self, d: &Diagnostic) -> (&str, &str, Diagnostic) {
        let file = self
            .files
            .iter()
            .rev()
            .find(|f| f.start <= d.span.start)
            .unwrap_or(&self.files[0]);
        let end = (file.start + file.len).min(self.combined.len());
        let text = &self.combined[file.start..end];
        let mut local = d.clone();
        local.span = Span::new(
            d.span.start.saturating_sub(file.start).min(file.len),
            d.span.end.saturating_sub(file.start).min(file.len),
        );
        (&file.name, text, local)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_render_in_the_file_they_point_into() {
        let mut map = SourceMap::new("main.bt", "import \"a.bt\";\nBEGIN { }");
        let start = map.add("/x/a.bt", "macro f() {\n  bad\n}");
        assert_eq!(&map.text()[start..start + 5], "macro");
        let d = Diagnostic::error(Span::new(start + 14, start + 17), "oops");
        assert_eq!(map.render(&d), "/x/a.bt:2:3-6: ERROR: oops\n  bad\n  ~~~\n");
        let d = Diagnostic::error(Span::new(0, 6), "here");
        assert_eq!(
            map.render(&d),
            "main.bt:1:1-7: ERROR: here\nimport \"a.bt\";\n~~~~~~\n"
        );
    }
}

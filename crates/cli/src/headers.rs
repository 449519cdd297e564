//! Numeric macros of the C headers a script includes (`#include <errno.h>`,
//! `--include errno.h`), so that names such as `EPERM` mean what they mean
//! in C. Sonde has no C compiler and takes its types from BTF: of a header
//! it reads only `#include` lines (to follow them) and `#define NAME VALUE`
//! lines whose value is a number or the name of another macro. A header
//! that cannot be found is passed over, as one whose types BTF provides.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use regex::Regex;
use sonde_lang::ast::{Define, Program};
use sonde_lang::span::Span;

/// How many files one script's includes may pull in: a runaway guard.
const MAX_FILES: usize = 500;

/// Add the numeric macros of the headers `program` includes and of
/// `extra` (`--include`) to its defines, before its own (which win).
pub fn add_defines(program: &mut Program, extra: &[String], dirs: &[String]) {
    let include = Regex::new(r#"^\s*#\s*include\s*[<"]([^>"]+)[>"]"#).expect("valid pattern");
    let mut names: Vec<String> = extra.to_vec();
    names.extend(
        program
            .includes
            .iter()
            .filter_map(|i| include.captures(&i.text).map(|c| c[1].to_string())),
    );
    if names.is_empty() {
        return;
    }
    let mut search: Vec<PathBuf> = dirs.iter().map(PathBuf::from).collect();
    search.push("/usr/local/include".into());
    search.push(format!("/usr/include/{}-linux-gnu", std::env::consts::ARCH).into());
    search.push("/usr/include".into());
    let define = Regex::new(
        r"^\s*#\s*define\s+([A-Za-z_]\w*)\s+(\(?\s*-?(?:0[xX][0-9a-fA-F]+|[0-9]+)[uUlL]*\s*\)?|[A-Za-z_]\w*)\s*(?:/[*/].*)?$",
    )
    .expect("valid pattern");
    let mut scan = Scan {
        search,
        include,
        define,
        seen: HashSet::new(),
        found: Vec::new(),
    };
    for name in &names {
        scan.header(name, None);
    }
    let own: HashSet<String> = program.defines.iter().map(|d| d.name.clone()).collect();
    let mut defines: Vec<Define> = scan
        .found
        .into_iter()
        .filter(|(name, _)| !own.contains(name))
        .map(|(name, text)| Define {
            name,
            text,
            span: Span::new(0, 0),
            text_start: 0,
        })
        .collect();
    defines.append(&mut program.defines);
    program.defines = defines;
}

struct Scan {
    search: Vec<PathBuf>,
    include: Regex,
    define: Regex,
    seen: HashSet<PathBuf>,
    /// (name, value text), first definition first.
    found: Vec<(String, String)>,
}

impl Scan {
    fn header(&mut self, name: &str, from: Option<&Path>) {
        let local = from.map(|dir| dir.join(name));
        let Some(path) = local
            .into_iter()
            .chain(self.search.iter().map(|d| d.join(name)))
            .find(|p| p.is_file())
        else {
            return;
        };
        if self.seen.len() >= MAX_FILES || !self.seen.insert(path.clone()) {
            return;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            return;
        };
        let dir = path.parent().map(Path::to_path_buf);
        for line in text.lines() {
            if let Some(c) = self.include.captures(line) {
                let next = c[1].to_string();
                self.header(&next, dir.as_deref());
            } else if let Some(c) = self.define.captures(line) {
                let value = c[2].trim_end_matches(|ch: char| "uUlL".contains(ch));
                let value = value
                    .trim_start_matches('(')
                    .trim_end_matches(')')
                    .trim()
                    .trim_end_matches(|ch: char| "uUlL".contains(ch));
                if !self.found.iter().any(|(n, _)| n == &c[1]) {
                    self.found.push((c[1].to_string(), value.to_string()));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_names_come_from_the_system_headers() {
        let mut program = Program::default();
        add_defines(&mut program, &["errno.h".to_string()], &[]);
        let find = |name: &str| {
            program
                .defines
                .iter()
                .find(|d| d.name == name)
                .map(|d| d.text.clone())
        };
        if !Path::new("/usr/include/errno.h").is_file() {
            // Nothing to read: nothing added.
            assert!(program.defines.is_empty());
            return;
        }
        assert_eq!(find("EPERM").as_deref(), Some("1"));
        assert_eq!(find("ENOENT").as_deref(), Some("2"));
        // An alias keeps the name it stands for.
        assert_eq!(find("EWOULDBLOCK").as_deref(), Some("EAGAIN"));
    }
}

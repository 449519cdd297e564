//! `import "path";`: the files a script imports, read, parsed and merged
//! into it, as bpftrace v0.26.1 does for bpftrace scripts.
//!
//! A path is relative to the directory of the script that imports it (the
//! current directory for `-e` and standard input); a directory imports the
//! `.bt` files in it, in name order. Each file is imported once however
//! often it is named, and may import others. Its macros, map declarations,
//! C definitions and probes join the script's, before the script's own. An
//! imported script may not have a config block, and Sonde has no C
//! compiler, so `.h` and `.bpf.c` imports are refused. As bpftrace does,
//! nothing is imported from a world-writable directory.
//!
//! Every file's text goes into one [`SourceMap`], so an error anywhere
//! renders with the right file, line and column.

use std::collections::HashSet;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use sonde_lang::ast::{Import, Program};
use sonde_lang::sources::SourceMap;
use sonde_lang::{parse_at, Diagnostic};

use crate::compile::Script;

/// The script with everything it imports, and where each part came from.
pub struct Loaded {
    pub program: Program,
    pub sources: SourceMap,
}

pub fn load(script: &Script) -> Result<Loaded, String> {
    let sources = SourceMap::new(&script.filename, &script.source);
    let mut program = parse_at(sources.text(), 0).map_err(|d| sources.render(&d))?;
    let base = if script.filename == "stdin" {
        std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."))
    } else {
        Path::new(&script.filename)
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    };
    let mut loader = Loader {
        sources,
        seen: HashSet::new(),
        imported: Program::default(),
    };
    let imports = std::mem::take(&mut program.imports);
    loader
        .import_all(&imports, &base)
        .map_err(|d| loader.sources.render(&d))?;
    let Loader {
        sources,
        mut imported,
        ..
    } = loader;
    // What is imported comes first, as if written where the import is.
    imported.defines.append(&mut program.defines);
    imported.includes.append(&mut program.includes);
    imported.c_definitions.append(&mut program.c_definitions);
    imported.macros.append(&mut program.macros);
    imported.map_decls.append(&mut program.map_decls);
    imported.probes.append(&mut program.probes);
    imported.config = program.config;
    imported.imports = imports;
    Ok(Loaded {
        program: imported,
        sources,
    })
}

struct Loader {
    sources: SourceMap,
    seen: HashSet<PathBuf>,
    /// Everything imported so far, merged.
    imported: Program,
}

impl Loader {
    fn import_all(&mut self, imports: &[Import], dir: &Path) -> Result<(), Diagnostic> {
        for import in imports {
            let path = dir.join(&import.path);
            let fail = |why: String| {
                Diagnostic::error(import.span, format!("cannot import {}: {why}", import.path))
            };
            let files = if path.is_dir() {
                let mut files: Vec<PathBuf> = std::fs::read_dir(&path)
                    .map_err(|e| fail(reason(&e)))?
                    .filter_map(|entry| entry.ok().map(|e| e.path()))
                    .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "bt"))
                    .collect();
                files.sort();
                files
            } else {
                vec![path]
            };
            for file in files {
                self.import_file(&file, import).map_err(|why| match why {
                    Failure::Here(message) => fail(message),
                    Failure::Inside(d) => d,
                })?;
            }
        }
        Ok(())
    }

    fn import_file(&mut self, file: &Path, import: &Import) -> Result<(), Failure> {
        let name = file.to_string_lossy();
        if name.ends_with(".h") || name.ends_with(".bpf.c") {
            return Err(Failure::Here(
                "importing C is not supported: Sonde has no C compiler (types come from BTF, and C structs can be defined in the script)".into(),
            ));
        }
        if !name.ends_with(".bt") {
            return Err(Failure::Here(
                "only bpftrace scripts (.bt) and directories of them can be imported".into(),
            ));
        }
        let canonical = file.canonicalize().map_err(|e| Failure::Here(reason(&e)))?;
        if !self.seen.insert(canonical.clone()) {
            return Ok(());
        }
        let dir = canonical.parent().unwrap_or(Path::new("/")).to_path_buf();
        let mode = std::fs::metadata(&dir)
            .map_err(|e| Failure::Here(reason(&e)))?
            .permissions()
            .mode();
        if mode & 0o002 != 0 {
            return Err(Failure::Here(format!(
                "{} is world-writable",
                dir.display()
            )));
        }
        let text = std::fs::read_to_string(file).map_err(|e| Failure::Here(reason(&e)))?;
        let start = self.sources.add(&name, &text);
        let mut program = parse_at(self.sources.text(), start).map_err(Failure::Inside)?;
        if let Some(config) = &program.config {
            return Err(Failure::Inside(
                Diagnostic::error(config.span, "an imported script cannot have a config block")
                    .with_help(format!("set it in the script that imports {}", import.path)),
            ));
        }
        let nested = std::mem::take(&mut program.imports);
        self.import_all(&nested, &dir).map_err(Failure::Inside)?;
        let into = &mut self.imported;
        into.defines.append(&mut program.defines);
        into.includes.append(&mut program.includes);
        into.c_definitions.append(&mut program.c_definitions);
        into.macros.append(&mut program.macros);
        into.map_decls.append(&mut program.map_decls);
        into.probes.append(&mut program.probes);
        Ok(())
    }
}

/// An I/O error as `strerror` words it, without Rust's "(os error N)".
fn reason(e: &std::io::Error) -> String {
    e.raw_os_error()
        .map(sonde_sys::strerror)
        .unwrap_or_else(|| e.to_string())
}

/// Why a file could not be imported: a reason to report at the import, or
/// an error inside the file (or a file it imports).
enum Failure {
    Here(String),
    Inside(Diagnostic),
}

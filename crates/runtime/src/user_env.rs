//! The compiler's view of user-space files: which files a probe's target
//! names (a path, a library, a wildcard, every file a process maps), their
//! functions and their USDT probes, read with `sonde-elf`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use sonde_elf::boundary::Boundary;
use sonde_elf::demangle::{demangle, demangle_full};
use sonde_elf::dwarf::CType;
use sonde_elf::resolve::{find_binary, mapped_files, process_view};
use sonde_elf::usdt::{parse_args, ArgLocation, UsdtArg as ParsedArg};
use sonde_elf::ElfFile;
use sonde_lang::sema::env::{
    UsdtArg, UsdtArgLocation, UsdtSite, UserArg, UserQuery, UserSite, UserSymbol,
};
use sonde_lang::sema::probes::{glob_match, has_wildcard};
use sonde_lang::sema::records::{EnumDef, Field, Record};
use sonde_lang::sema::types::Type;
use std::sync::Arc;

/// Files read so far, by the path they were opened at.
#[derive(Debug, Default)]
pub(crate) struct UserFiles {
    files: RefCell<HashMap<PathBuf, Rc<ElfFile>>>,
    /// `--debuginfo` directories: where separate debug files are looked
    /// for first.
    pub debug_dirs: RefCell<Vec<PathBuf>>,
}

/// A file a query names: as the probe name shows it, and where to open it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Target {
    pub shown: String,
    pub path: PathBuf,
}

impl UserFiles {
    fn open(&self, path: &Path) -> Result<Rc<ElfFile>, String> {
        if let Some(file) = self.files.borrow().get(path) {
            return Ok(file.clone());
        }
        let file = Rc::new(ElfFile::open(path)?);
        self.files
            .borrow_mut()
            .insert(path.to_path_buf(), file.clone());
        Ok(file)
    }

    /// Every file `query` names, in a stable order.
    pub fn targets(&self, query: UserQuery<'_>) -> Result<Vec<Target>, String> {
        let target = query.target;
        if target.is_empty() || target == "*" {
            return Ok(process_files(query.pid));
        }
        if has_wildcard(target) {
            return glob_files(target);
        }
        let path = find_binary(target, query.pid)?;
        let shown = if target.contains('/') {
            target.to_string()
        } else {
            path.display().to_string()
        };
        Ok(vec![Target {
            shown,
            path: absolute(&path),
        }])
    }

    pub fn functions(
        &self,
        query: UserQuery<'_>,
        pattern: &str,
        demangled: bool,
    ) -> Result<Vec<UserSite>, String> {
        let mut out = Vec::new();
        let targets = self.targets(query)?;
        let several = targets.len() > 1;
        for target in targets {
            let file = match self.open(&target.path) {
                Ok(file) => file,
                // A wildcard may name files that are not ELF: skip those.
                Err(_) if several => continue,
                Err(e) => return Err(e),
            };
            for sym in file.functions()? {
                // With demangling, a pattern matches the name without or
                // with its parameters (`ns::f`, `ns::f(int)`), and names
                // that are not mangled as they are (C functions).
                let name = if demangled {
                    let short = demangle(&sym.name);
                    let full = demangle_full(&sym.name);
                    let matches = [short.as_deref(), full.as_deref()]
                        .into_iter()
                        .flatten()
                        .any(|n| glob_match(pattern, n))
                        || (short.is_none() && glob_match(pattern, &sym.name));
                    if !matches {
                        continue;
                    }
                    full.unwrap_or_else(|| sym.name.clone())
                } else {
                    if !glob_match(pattern, &sym.name) {
                        continue;
                    }
                    sym.name.clone()
                };
                let Some(offset) = file.vaddr_to_offset(sym.addr) else {
                    continue;
                };
                out.push(UserSite {
                    path: target.shown.clone(),
                    attach_path: target.path.display().to_string(),
                    func: name,
                    symbol: sym.name.clone(),
                    offset,
                    size: sym.size,
                });
            }
        }
        Ok(out)
    }

    pub fn symbol(&self, path: &str, name: &str) -> Option<UserSymbol> {
        let file = self.open(Path::new(path)).ok()?;
        let sym = file.symbol(name)?;
        Some(UserSymbol {
            vaddr: sym.addr,
            size: sym.size,
            relocatable: file.is_dynamic(),
        })
    }

    pub fn starts_instruction(&self, path: &str, offset: u64) -> Option<bool> {
        match self
            .open(Path::new(path))
            .ok()?
            .instruction_boundary(offset)
        {
            Boundary::Start => Some(true),
            Boundary::Inside => Some(false),
            Boundary::Unknown => None,
        }
    }

    pub fn offset_vaddr(&self, path: &str, offset: u64) -> Option<u64> {
        self.open(Path::new(path)).ok()?.offset_to_vaddr(offset)
    }

    pub fn source_line(
        &self,
        query: UserQuery<'_>,
        source: &str,
        line: u64,
    ) -> Result<UserSite, String> {
        let unresolved = || format!("No matches for uprobe {}@{source}:{line}.", query.target);
        let targets = self.targets(query)?;
        let [target] = targets.as_slice() else {
            return Err(unresolved());
        };
        let file = self.open(&target.path)?;
        let vaddr = file
            .line_address(source, line, &self.debug_dirs.borrow())
            .ok_or_else(unresolved)?;
        let mut site = self.address(query, vaddr)?;
        site.path = target.shown.clone();
        Ok(site)
    }

    /// Offset `offset` of a file that is not ELF (see
    /// `ProbeEnv::user_raw_site`).
    pub fn raw_site(&self, query: UserQuery<'_>, offset: u64) -> Result<UserSite, String> {
        let targets = self.targets(query)?;
        let [target] = targets.as_slice() else {
            return Err(format!("{} names more than one file", query.target));
        };
        let mut magic = [0u8; 4];
        let is_elf = std::fs::File::open(&target.path)
            .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
            .map(|_| magic == *b"\x7fELF")
            .unwrap_or(false);
        if is_elf {
            return Err(format!("{} is an ELF file", target.path.display()));
        }
        Ok(UserSite {
            path: target.shown.clone(),
            attach_path: target.path.display().to_string(),
            func: format!("{offset:#x}"),
            symbol: format!("{offset:#x}"),
            offset,
            size: 0,
        })
    }

    pub fn address(&self, query: UserQuery<'_>, addr: u64) -> Result<UserSite, String> {
        let unresolved = || format!("Could not resolve address: {}:{addr:#x}", query.target);
        let targets = self.targets(query)?;
        let [target] = targets.as_slice() else {
            return Err(unresolved());
        };
        let file = self.open(&target.path)?;
        let offset = file
            .vaddr_to_offset(addr)
            .filter(|_| file.is_code(addr))
            .ok_or_else(unresolved)?;
        let func = file
            .functions()?
            .into_iter()
            .find(|s| addr >= s.addr && addr < s.addr + s.size.max(1))
            .map_or_else(|| format!("{addr:#x}"), |s| s.name);
        let symbol = func.clone();
        Ok(UserSite {
            path: target.shown.clone(),
            attach_path: target.path.display().to_string(),
            func,
            symbol,
            offset,
            size: 0,
        })
    }

    pub fn usdt(
        &self,
        query: UserQuery<'_>,
        provider: &str,
        name: &str,
    ) -> Result<Vec<UsdtSite>, String> {
        let mut out = Vec::new();
        let targets = self.targets(query)?;
        let several = targets.len() > 1;
        for target in targets {
            let file = match self.open(&target.path) {
                Ok(file) => file,
                Err(_) if several => continue,
                Err(e) => return Err(e),
            };
            for note in file.usdt_notes() {
                if !(provider.is_empty() || glob_match(provider, &note.provider))
                    || !glob_match(name, &note.name)
                {
                    continue;
                }
                let Some(offset) = file.vaddr_to_offset(note.addr) else {
                    continue;
                };
                let semaphore_offset = match note.semaphore {
                    0 => 0,
                    sem => file.vaddr_to_offset(sem).unwrap_or(0),
                };
                let args = parse_args(&note.args)
                    .into_iter()
                    .map(|arg| usdt_arg(&file, note.addr, arg))
                    .collect();
                out.push(UsdtSite {
                    path: target.shown.clone(),
                    attach_path: target.path.display().to_string(),
                    provider: note.provider,
                    name: note.name,
                    offset,
                    semaphore_offset,
                    args,
                });
            }
        }
        Ok(out)
    }
}

/// A USDT argument as the checker takes it, symbols placed relative to
/// the probe site at `site` (both are addresses in the file's layout).
fn usdt_arg(file: &ElfFile, site: u64, arg: Result<ParsedArg, String>) -> UsdtArg {
    let arg = match arg {
        Ok(arg) => arg,
        Err(text) => {
            return UsdtArg {
                size: 8,
                signed: false,
                location: UsdtArgLocation::Unsupported(text),
            }
        }
    };
    let location = match arg.location {
        ArgLocation::Const(v) => UsdtArgLocation::Const(v),
        ArgLocation::Reg(r) => UsdtArgLocation::Reg(r),
        ArgLocation::RegHigh(r) => UsdtArgLocation::RegHigh(r),
        ArgLocation::Mem {
            base,
            index,
            offset,
        } => UsdtArgLocation::Mem {
            base,
            index,
            offset,
        },
        ArgLocation::Symbol { name, offset } => match file.symbol(&name).map(|s| s.addr) {
            Some(vaddr) => UsdtArgLocation::Symbol {
                from_site: vaddr.wrapping_add(offset as u64).wrapping_sub(site) as i64,
                name: match offset {
                    0 => name,
                    _ => format!("{name}{offset:+}"),
                },
            },
            None => UsdtArgLocation::Unsupported(format!(
                "symbol '{name}' of a USDT argument is not in {}",
                file.path().display()
            )),
        },
    };
    UsdtArg {
        size: arg.size,
        signed: arg.signed,
        location,
    }
}

/// The files process `pid` maps executable, or (without a pid) those of
/// every process, each once.
fn process_files(pid: Option<u32>) -> Vec<Target> {
    let pids: Vec<u32> = match pid {
        Some(pid) => vec![pid],
        None => std::fs::read_dir("/proc")
            .map(|dir| {
                dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                    .collect()
            })
            .unwrap_or_default(),
    };
    let mut out: Vec<Target> = Vec::new();
    for pid in pids {
        for shown in mapped_files(pid) {
            if out.iter().any(|t| t.shown == shown) {
                continue;
            }
            let path = process_view(pid, &shown);
            out.push(Target { shown, path });
        }
    }
    out
}

/// Files matching a path whose last component has wildcards
/// (`./testprogs/uprobe*`), shown with the directory as written.
fn glob_files(pattern: &str) -> Result<Vec<Target>, String> {
    let (dir, file) = match pattern.rsplit_once('/') {
        Some((dir, file)) => (dir, file),
        None => (".", pattern),
    };
    if has_wildcard(dir) {
        return Err(format!(
            "{pattern}: wildcards are only supported in the last part of a path"
        ));
    }
    let listing = std::fs::read_dir(if dir.is_empty() { "/" } else { dir })
        .map_err(|e| format!("cannot list {dir}: {e}"))?;
    let mut names: Vec<String> = listing
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| glob_match(file, name))
        .collect();
    names.sort();
    Ok(names
        .into_iter()
        .map(|name| {
            let shown = if pattern.contains('/') {
                format!("{dir}/{name}")
            } else {
                name
            };
            Target {
                path: absolute(Path::new(&shown)),
                shown,
            }
        })
        .filter(|t| t.path.is_file() && ElfFile::is_elf(&t.path))
        .collect())
}

/// `path` from the current directory, without resolving symbolic links
/// (which would break `/proc/PID/root/...`).
fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        return path.to_path_buf();
    }
    match std::env::current_dir() {
        Ok(cwd) => {
            let joined = cwd.join(path);
            // Drop `.` components for a tidier path.
            joined.components().collect()
        }
        Err(_) => path.to_path_buf(),
    }
}

impl UserFiles {
    /// The parameters of `func` in the file at `path`, typed for the
    /// checker from the file's DWARF.
    pub fn function_args(&self, path: &str, func: &str) -> Option<Vec<UserArg>> {
        let file = self.open(Path::new(path)).ok()?;
        let params = file.function_params(func, &self.debug_dirs.borrow())?;
        Some(
            params
                .into_iter()
                .map(|p| UserArg {
                    name: p.name,
                    c_type: p.c_type,
                    ty: lang_type(&p.ty),
                })
                .collect(),
        )
    }
}

impl UserFiles {
    /// Record `name` of the file at `path`, typed for the checker.
    pub fn record(&self, path: &str, name: &str) -> Option<Arc<Record>> {
        let file = self.open(Path::new(path)).ok()?;
        match lang_type(&file.record_type(name, &self.debug_dirs.borrow())?) {
            Type::Record(r) => Some(r),
            _ => None,
        }
    }
}

/// A DWARF type as the checker's type: user-space pointers, records laid
/// out as the debug info says.
fn lang_type(ty: &CType) -> Type {
    match ty {
        CType::Void | CType::Function => Type::Void,
        CType::Int { bytes, signed } => Type::Int {
            bytes: (*bytes).clamp(1, 8),
            signed: *signed,
        },
        CType::Char { signed } => Type::Int {
            bytes: 1,
            signed: *signed,
        },
        CType::Array { elem, len } if matches!(**elem, CType::Char { .. }) => {
            Type::Str { size: *len }
        }
        CType::Bool => Type::Bool,
        CType::Float { bytes } => Type::Int {
            bytes: (*bytes).clamp(1, 8),
            signed: false,
        },
        CType::Ptr(inner) => Type::ptr(lang_type(inner), true),
        CType::Record {
            name, size, fields, ..
        } => Type::Record(Arc::new(Record {
            name: name.clone(),
            size: *size,
            complete: fields.is_some(),
            fields: fields
                .iter()
                .flatten()
                .map(|f| Field {
                    name: f.name.clone(),
                    offset: f.offset,
                    ty: lang_type(&f.ty),
                    bitfield: None,
                })
                .collect(),
        })),
        CType::Array { elem, len } => Type::Array {
            elem: Box::new(lang_type(elem)),
            len: *len,
        },
        CType::Enum {
            name,
            bytes,
            variants,
        } => Type::Enum(Arc::new(EnumDef {
            name: name.clone(),
            bytes: *bytes,
            variants: variants.clone(),
        })),
    }
}

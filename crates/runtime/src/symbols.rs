//! Stack frames and addresses to text, as bpftrace prints them: kernel
//! addresses through `/proc/kallsyms`, user addresses through the ELF files
//! (and their DWARF line tables) a process maps, with blazesym.
//!
//! A process's maps are read the first time one of its addresses is
//! resolved and kept, and [`Symbols::watch`] reads them while a traced
//! process runs, so that stacks taken in a process that has since exited
//! still resolve. Without maps, an address of a probe on a file is looked
//! up in that file as it is laid out on disk (right for executables that
//! are not position-independent).

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;
use std::rc::Rc;

use blazesym::symbolize::source::{Elf, Kernel, Source};
use blazesym::symbolize::{CodeInfo, Input, Symbolized, Symbolizer};
use sonde_codegen::object::{stack_map_name, AttachTarget, MapKind, Object, StackMode};
use sonde_sys::Map;

use crate::decode::{Names, Resolver};

/// Padding of a frame in bpftrace's stack mode.
const FRAME_INDENT: &str = "        ";

/// One file mapping of a process.
#[derive(Clone, Debug)]
struct Mapping {
    start: u64,
    end: u64,
    offset: u64,
    /// As the process names it.
    path: String,
    /// Where this process reads it.
    open: PathBuf,
}

/// The file a uprobe or USDT probe is on, for resolving addresses of a
/// process that exited before its maps were read.
#[derive(Clone, Debug)]
struct ProbeFile {
    path: String,
    /// The probe site's address in the file's layout, when the probe fires
    /// there (not on a return): the first frame of its user stacks.
    site_vaddr: Option<u64>,
    /// The addresses the file's loadable segments span.
    range: (u64, u64),
}

/// One symbol of a frame: a function, or a function inlined into it.
struct FrameSym {
    name: String,
    offset: u64,
    /// `dir/file:line` when debug info says.
    place: Option<String>,
    inlined: bool,
    module: Option<String>,
}

pub struct Symbols {
    blaze: Symbolizer,
    /// Whether frames show `@file:line` (bpftrace's `show_debug_info`).
    debug_info: bool,
    processes: RefCell<HashMap<u32, Rc<Vec<Mapping>>>>,
    /// Mappings the kernel reported as the traced process made them
    /// (`sonde_sys::MappingTracker`): what still resolves its addresses
    /// after it exits, when its maps were read too early or never.
    reported: RefCell<HashMap<u32, Vec<Mapping>>>,
    /// By probe index: the file a uprobe or USDT probe is on.
    probe_files: Vec<Option<ProbeFile>>,
}

impl Symbols {
    pub fn new(object: &Object) -> Symbols {
        let mut probe_files = vec![None; object.probe_names.len()];
        for program in &object.programs {
            for point in &program.attach {
                let AttachTarget::Uprobe {
                    path, offset, ret, ..
                } = &point.target
                else {
                    continue;
                };
                let Some(slot) = probe_files.get_mut(point.probe as usize) else {
                    continue;
                };
                let Ok(file) = sonde_elf::ElfFile::open(path) else {
                    continue;
                };
                *slot = Some(ProbeFile {
                    path: path.clone(),
                    site_vaddr: if *ret {
                        None
                    } else {
                        file.offset_to_vaddr(*offset)
                    },
                    range: file.load_range().unwrap_or((0, u64::MAX)),
                });
            }
        }
        let debug_info = !object.hide_debug_info;
        Symbols {
            blaze: Symbolizer::builder()
                .enable_code_info(debug_info)
                .enable_inlined_fns(debug_info)
                .enable_demangling(true)
                .build(),
            debug_info,
            processes: RefCell::new(HashMap::new()),
            reported: RefCell::new(HashMap::new()),
            probe_files,
        }
    }

    /// Keep mappings the kernel reported a traced process making.
    pub fn add_mappings(&self, records: Vec<sonde_sys::MappingRecord>) {
        let mut reported = self.reported.borrow_mut();
        for r in records {
            // JIT code (`//anon`) and special areas have no file to read.
            if !r.path.starts_with('/') || r.path.starts_with("//") {
                continue;
            }
            let mapping = Mapping {
                start: r.start,
                end: r.start.saturating_add(r.len),
                offset: r.offset,
                open: PathBuf::from(&r.path),
                path: r.path,
            };
            // A newer mapping replaces what it overlaps (dlclose, then a
            // dlopen at the same place).
            let maps = reported.entry(r.pid).or_default();
            maps.retain(|m| m.end <= mapping.start || m.start >= mapping.end);
            maps.push(mapping);
        }
    }

    /// The mapping holding `addr` in process `pid`: from its maps, else
    /// from what the kernel reported.
    fn mapping(&self, pid: u32, addr: u64) -> Option<Mapping> {
        let contains = |m: &&Mapping| addr >= m.start && addr < m.end;
        if let Some(found) = self
            .maps(pid)
            .and_then(|maps| maps.iter().find(contains).cloned())
        {
            return Some(found);
        }
        self.reported
            .borrow()
            .get(&pid)
            .and_then(|maps| maps.iter().find(contains).cloned())
    }

    /// Read (again) the maps of process `pid` while it runs.
    pub fn watch(&self, pid: u32) {
        if let Some(maps) = read_maps(pid) {
            self.processes.borrow_mut().insert(pid, Rc::new(maps));
        }
    }

    fn maps(&self, pid: u32) -> Option<Rc<Vec<Mapping>>> {
        if let Some(maps) = self.processes.borrow().get(&pid) {
            return Some(maps.clone());
        }
        let maps = Rc::new(read_maps(pid)?);
        self.processes.borrow_mut().insert(pid, maps.clone());
        Some(maps)
    }

    fn kernel_syms(&self, addr: u64) -> Vec<FrameSym> {
        let src = Source::Kernel(Kernel {
            vmlinux: blazesym::MaybeDefault::None,
            debug_syms: false,
            ..Kernel::default()
        });
        self.syms(&src, Input::AbsAddr(addr), None)
    }

    /// `bias`: how far the probe's file was moved when loaded, when known.
    fn user_syms(&self, addr: u64, pid: u32, probe: u32, bias: Option<u64>) -> Vec<FrameSym> {
        if let Some(m) = self.mapping(pid, addr) {
            let mut src = Elf::new(&m.open);
            src.debug_syms = self.debug_info;
            let module = Some(m.path.clone());
            return self.syms(
                &Source::Elf(src),
                Input::FileOffset(addr - m.start + m.offset),
                module,
            );
        }
        // The process is gone and its maps were never read: try the
        // probe's own file, as if loaded where it was linked.
        let Some(Some(file)) = self.probe_files.get(probe as usize) else {
            return Vec::new();
        };
        let vaddr = addr.wrapping_sub(bias.unwrap_or(0));
        if vaddr < file.range.0 || vaddr >= file.range.1 {
            return Vec::new();
        }
        let mut src = Elf::new(&file.path);
        src.debug_syms = self.debug_info;
        self.syms(
            &Source::Elf(src),
            Input::VirtOffset(vaddr),
            Some(file.path.clone()),
        )
    }

    fn syms(&self, src: &Source<'_>, input: Input<u64>, module: Option<String>) -> Vec<FrameSym> {
        let Ok(Symbolized::Sym(sym)) = self.blaze.symbolize_single(src, input) else {
            return Vec::new();
        };
        let place = |info: Option<&CodeInfo<'_>>| {
            let info = info?;
            let line = info.line?;
            Some(format!("{}:{line}", info.to_path().display()))
        };
        // Leaf first: inlined functions innermost first, then the function.
        let mut out: Vec<FrameSym> = sym
            .inlined
            .iter()
            .rev()
            .map(|f| FrameSym {
                name: f.name.to_string(),
                offset: 0,
                place: place(f.code_info.as_ref()),
                inlined: true,
                module: module.clone(),
            })
            .collect();
        out.push(FrameSym {
            name: sym.name.to_string(),
            offset: sym.offset as u64,
            place: place(sym.code_info.as_deref()),
            inlined: false,
            module,
        });
        out
    }

    /// How far the file of `probe` moved when loaded, given the address
    /// `at` where the probe fired.
    fn bias(&self, probe: u32, at: u64) -> Option<u64> {
        let site = self.probe_files.get(probe as usize)?.as_ref()?.site_vaddr?;
        Some(at.wrapping_sub(site))
    }

    /// A stack's addresses as bpftrace prints them (leading newline, one
    /// line per frame).
    pub fn format_stack(
        &self,
        ips: &[u64],
        user: bool,
        mode: StackMode,
        pid: u32,
        probe: u32,
    ) -> String {
        let mut out = String::from("\n");
        // The first frame of a stack taken at a probe site is the site
        // itself: how far it moved from its place in the file is how far
        // the whole file moved.
        let bias = ips.first().and_then(|&first| self.bias(probe, first));
        for &ip in ips {
            if mode == StackMode::Raw {
                out.push_str(&format!("{ip:x}\n"));
                continue;
            }
            let syms = if user {
                self.user_syms(ip, pid, probe, bias)
            } else {
                self.kernel_syms(ip)
            };
            if syms.is_empty() {
                match mode {
                    StackMode::Perf if user => {
                        out.push_str(&format!("\t{ip:x} {ip:#x} ([unknown])\n"))
                    }
                    StackMode::Perf => out.push_str(&format!("\t{ip:x} {ip:#x}\n")),
                    _ => out.push_str(&format!("{FRAME_INDENT}{ip:#x}\n")),
                }
                continue;
            }
            for sym in syms {
                out.push_str(&match mode {
                    StackMode::Perf => format!("\t{ip:x} {}\n", perf_text(&sym, user)),
                    _ => format!("{FRAME_INDENT}{}\n", bpftrace_text(&sym, self.debug_info)),
                });
            }
        }
        out
    }

    /// `ksym(addr)`/`usym(addr)`: the function's name, or the address.
    /// `at` is where the probe fired (0: unknown).
    pub fn symbol(&self, user: bool, addr: u64, pid: u32, probe: u32, at: u64) -> String {
        let syms = if user {
            let bias = (at != 0).then(|| self.bias(probe, at)).flatten();
            self.user_syms(addr, pid, probe, bias)
        } else {
            self.kernel_syms(addr)
        };
        match syms.last() {
            Some(sym) => sym.name.clone(),
            None => format!("{addr:#x}"),
        }
    }
}

fn bpftrace_text(sym: &FrameSym, debug_info: bool) -> String {
    let mut text = String::new();
    if sym.inlined {
        text.push_str("[inlined] ");
    }
    text.push_str(&sym.name);
    if !sym.inlined {
        text.push_str(&format!("+{}", sym.offset));
    }
    if let (true, Some(place)) = (debug_info, &sym.place) {
        text.push('@');
        text.push_str(place);
    }
    text
}

fn perf_text(sym: &FrameSym, user: bool) -> String {
    if sym.inlined {
        return format!("{} (inlined)", sym.name);
    }
    let mut text = format!("{}+{}", sym.name, sym.offset);
    if user {
        match &sym.module {
            Some(module) => text.push_str(&format!(" ({module})")),
            None => text.push_str(" ([unknown])"),
        }
    }
    text
}

/// The file mappings of `pid`, or `None` once it is gone.
fn read_maps(pid: u32) -> Option<Vec<Mapping>> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/maps")).ok()?;
    let mut out = Vec::new();
    for line in text.lines() {
        let mut fields = line.split_whitespace();
        let (Some(range), Some(_perms), Some(offset)) =
            (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let path = fields.nth(2).unwrap_or("");
        if !path.starts_with('/') {
            continue;
        }
        let Some((start, end)) = range.split_once('-') else {
            continue;
        };
        let hex = |t: &str| u64::from_str_radix(t, 16).ok();
        let (Some(start), Some(end), Some(offset)) = (hex(start), hex(end), hex(offset)) else {
            continue;
        };
        out.push(Mapping {
            start,
            end,
            offset,
            path: path.to_string(),
            open: sonde_elf::resolve::process_view(pid, path),
        });
    }
    (!out.is_empty()).then_some(out)
}

/// Decoding with symbols: the object's probe names, its stack-trace maps
/// and a [`Symbols`].
pub struct SymbolNames<'a> {
    pub probes: &'a [String],
    pub symbols: &'a Symbols,
    stack_maps: HashMap<String, &'a Map>,
    trunc_trailer: &'a str,
}

impl<'a> SymbolNames<'a> {
    pub fn new(object: &'a Object, maps: &'a [Map], symbols: &'a Symbols) -> SymbolNames<'a> {
        let stack_maps = object
            .maps
            .iter()
            .zip(maps)
            .filter(|(def, _)| matches!(def.kind, MapKind::StackTrace | MapKind::StackTraceBuildId))
            .map(|(def, map)| (def.name.clone(), map))
            .collect();
        SymbolNames {
            probes: &object.probe_names,
            symbols,
            stack_maps,
            trunc_trailer: "..",
        }
    }

    /// Print cut strings with `trailer` instead of `..`.
    pub fn with_trunc_trailer(self, trailer: &'a str) -> SymbolNames<'a> {
        SymbolNames {
            trunc_trailer: trailer,
            ..self
        }
    }
}

impl Names for SymbolNames<'_> {
    fn probe_names(&self) -> &[String] {
        self.probes
    }

    fn resolver(&self) -> Option<&dyn Resolver> {
        Some(self)
    }

    fn trunc_trailer(&self) -> &str {
        self.trunc_trailer
    }
}

impl Resolver for SymbolNames<'_> {
    fn stack(
        &self,
        user: bool,
        limit: u32,
        mode: StackMode,
        id: i64,
        pid: u32,
        probe: u32,
    ) -> String {
        let build_id = mode == StackMode::BuildId;
        let Some(map) = self.stack_maps.get(&stack_map_name(user, limit, build_id)) else {
            return "\n".into();
        };
        let Ok(id) = u32::try_from(id) else {
            return "\n".into();
        };
        let Ok(Some(value)) = map.get(&id.to_le_bytes()) else {
            return "\n".into();
        };
        if build_id {
            return format_build_id_stack(&value);
        }
        let ips: Vec<u64> = value
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
            .take_while(|&ip| ip != 0)
            .collect();
        self.symbols.format_stack(&ips, user, mode, pid, probe)
    }

    fn symbol(&self, user: bool, addr: u64, pid: u32, probe: u32, at: u64) -> String {
        self.symbols.symbol(user, addr, pid, probe, at)
    }
}

/// A stack of `struct bpf_stack_build_id` frames as bpftrace prints it:
/// `BUILDID 0xOFFSET` per frame with a build id, the address in hex for
/// one without; the first empty frame ends the stack.
fn format_build_id_stack(value: &[u8]) -> String {
    let mut out = String::from("\n");
    for frame in value.chunks_exact(32) {
        let status = i32::from_le_bytes(frame[..4].try_into().expect("4 bytes"));
        let at = u64::from_le_bytes(frame[24..].try_into().expect("8 bytes"));
        match status {
            // BPF_STACK_BUILD_ID_EMPTY
            0 => break,
            // BPF_STACK_BUILD_ID_VALID: the file's build id and offset.
            1 => {
                let id: String = frame[4..24].iter().map(|b| format!("{b:02x}")).collect();
                out.push_str(&format!("{id} 0x{at:02x}\n"));
            }
            // BPF_STACK_BUILD_ID_IP: no build id; the address.
            _ => out.push_str(&format!("{at:x}\n")),
        }
    }
    out
}

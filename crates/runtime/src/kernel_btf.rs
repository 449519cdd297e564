//! The kernel's types: vmlinux BTF, and the BTF of loaded modules (split
//! over vmlinux's) consulted only for names vmlinux does not have.

use std::cell::OnceCell;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sonde_btf::Btf;
use sonde_lang::sema::btf_types::BtfTypes;
use sonde_lang::sema::env::{CSignature, FunctionProto, KernelTypes};
use sonde_lang::sema::records::{EnumDef, Record};
use sonde_lang::sema::types::Type;

/// Types from a BTF directory laid out as `/sys/kernel/btf`: `vmlinux`
/// and one file per module.
#[derive(Debug)]
pub struct KernelBtf {
    vmlinux: BtfTypes,
    dir: PathBuf,
    /// Read the first time vmlinux lacks a name.
    modules: OnceCell<Vec<(String, BtfTypes)>>,
}

impl KernelBtf {
    /// Read `dir/vmlinux`; `None` when the kernel has no BTF there.
    pub fn open(dir: &Path) -> Option<KernelBtf> {
        let vmlinux = if dir == Path::new("/sys/kernel/btf") {
            crate::btf_ids::vmlinux().ok()?
        } else {
            Arc::new(Btf::from_file(dir.join("vmlinux")).ok()?)
        };
        Some(KernelBtf {
            vmlinux: BtfTypes::new(vmlinux),
            dir: dir.to_path_buf(),
            modules: OnceCell::new(),
        })
    }

    /// Every module's BTF, by module name, sorted; unreadable ones skipped.
    fn modules(&self) -> &[(String, BtfTypes)] {
        self.modules.get_or_init(|| {
            let base: Arc<Btf> = self.vmlinux.btf().clone();
            let Ok(entries) = std::fs::read_dir(&self.dir) else {
                return Vec::new();
            };
            let mut modules: Vec<(String, BtfTypes)> = entries
                .flatten()
                .filter_map(|entry| {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    if name == "vmlinux" {
                        return None;
                    }
                    let data = sonde_sys::read_kernel_btf(&entry.path()).ok()?;
                    let btf = Btf::from_split_bytes(data, base.clone()).ok()?;
                    Some((name, BtfTypes::new(btf)))
                })
                .collect();
            modules.sort_by(|a, b| a.0.cmp(&b.0));
            modules
        })
    }

    /// The first answer of vmlinux, then of each module.
    fn ask<T>(&self, question: impl Fn(&BtfTypes) -> Option<T>) -> Option<T> {
        question(&self.vmlinux).or_else(|| self.modules().iter().find_map(|(_, m)| question(m)))
    }
}

impl KernelTypes for KernelBtf {
    fn record(&self, name: &str) -> Option<Arc<Record>> {
        // A struct vmlinux only declares (a forward declaration) may be
        // defined by the module that owns it.
        self.ask(|t| t.record(name).filter(|r| r.complete))
    }

    fn enum_def(&self, name: &str) -> Option<Arc<EnumDef>> {
        self.ask(|t| t.enum_def(name))
    }

    fn enum_variant(&self, name: &str) -> Option<(Arc<EnumDef>, u64)> {
        self.ask(|t| t.enum_variant(name))
    }

    fn type_named(&self, name: &str) -> Option<Type> {
        self.ask(|t| t.type_named(name))
    }

    fn raw_tracepoints(&self) -> Vec<(String, String)> {
        let mut all = self.vmlinux.raw_tracepoints();
        for (module, types) in self.modules() {
            all.extend(
                types
                    .raw_tracepoints()
                    .into_iter()
                    .map(|(_, name)| (module.clone(), name)),
            );
        }
        all
    }

    fn raw_tracepoint_args(&self, name: &str) -> Option<Vec<(String, Type)>> {
        self.ask(|t| t.raw_tracepoint_args(name))
    }

    /// vmlinux's only: an iterator program attaches to a vmlinux function.
    fn iterators(&self) -> Vec<String> {
        self.vmlinux.iterators()
    }

    fn c_definition(&self, name: &str) -> Option<String> {
        self.ask(|t| t.c_definition(name))
    }

    fn function_prototype(&self, module: Option<&str>, name: &str) -> Option<FunctionProto> {
        self.ask_module(module, |t| t.function_prototype(None, name))
    }

    fn function_signature(&self, module: Option<&str>, name: &str) -> Option<CSignature> {
        self.ask_module(module, |t| t.function_signature(None, name))
    }

    /// vmlinux's variables only: a module's would need its BTF object's
    /// descriptor in the instruction as well.
    fn kernel_var(&self, name: &str) -> Option<u32> {
        self.vmlinux.kernel_var(name)
    }
}

impl KernelBtf {
    /// The answer of `module`'s BTF (`vmlinux`: the core kernel's), or the
    /// first answer of any when no module is named.
    fn ask_module<T>(
        &self,
        module: Option<&str>,
        question: impl Fn(&BtfTypes) -> Option<T>,
    ) -> Option<T> {
        match module {
            Some("vmlinux") => question(&self.vmlinux),
            Some(module) => question(&self.modules().iter().find(|(m, _)| m == module)?.1),
            None => self.ask(question),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A BTF blob: `types` as (name offset, info, size or type, extra
    /// words), with `strings`.
    fn blob(types: &[&[u32]], strings: &[u8]) -> Vec<u8> {
        let words: Vec<u8> = types
            .iter()
            .flat_map(|t| t.iter())
            .flat_map(|w| w.to_le_bytes())
            .collect();
        let mut out = Vec::new();
        out.extend_from_slice(&0xeb9fu16.to_le_bytes());
        out.extend_from_slice(&[1, 0]);
        for w in [
            24u32,
            0,
            words.len() as u32,
            words.len() as u32,
            strings.len() as u32,
        ] {
            out.extend_from_slice(&w.to_le_bytes());
        }
        out.extend(words);
        out.extend_from_slice(strings);
        out
    }

    #[test]
    fn module_types_are_found_when_vmlinux_lacks_them() {
        let dir = std::env::temp_dir().join(format!("sonde-kbtf-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // vmlinux: 1 int; 2 struct ctxt declared only (a forward).
        let vmlinux = blob(
            &[&[1, 1 << 24, 4, (1 << 24) | 32], &[5, 7 << 24, 0]],
            b"\0int\0ctxt\0",
        );
        // The module (strings continue after vmlinux's 10 bytes):
        // 3 struct ctxt { int mode; } and 4 enum kvm_e { KVM_X = 9 }.
        let module = blob(
            &[
                &[0, (4 << 24) | 1, 4, 10 + 1, 1, 0],
                &[10 + 6, (6 << 24) | 1, 4, 10 + 12, 9],
            ],
            b"\0mode\0kvm_e\0KVM_X\0",
        );
        let mut module = module;
        // The struct is named with vmlinux's string "ctxt" (offset 5).
        module[24..28].copy_from_slice(&5u32.to_le_bytes());
        std::fs::write(dir.join("vmlinux"), vmlinux).unwrap();
        std::fs::write(dir.join("kvm"), module).unwrap();
        let kernel = KernelBtf::open(&dir).expect("vmlinux");
        assert!(kernel.modules.get().is_none(), "modules read before needed");
        assert_eq!(
            kernel.type_named("int"),
            Some(Type::Int {
                bytes: 4,
                signed: true
            })
        );
        assert!(
            kernel.modules.get().is_none(),
            "modules read for a vmlinux name"
        );
        let ctxt = kernel.record("struct ctxt").expect("the module's ctxt");
        assert_eq!(ctxt.fields[0].name, "mode");
        assert_eq!(kernel.enum_variant("KVM_X").map(|(_, v)| v), Some(9));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// The running kernel's own prototype of `vfs_read`, which has been
    /// `ssize_t vfs_read(struct file *, char __user *, size_t, loff_t *)`
    /// since 2.6.
    #[test]
    fn prototypes_of_the_running_kernel() {
        let kernel = KernelBtf::open(Path::new("/sys/kernel/btf")).expect("this kernel has BTF");
        let proto = kernel
            .function_prototype(Some("vmlinux"), "vfs_read")
            .expect("vfs_read is described");
        let shown: Vec<String> = proto
            .params
            .iter()
            .map(|(name, ty)| format!("{ty} {name}"))
            .collect();
        assert_eq!(
            shown,
            [
                "struct file * file",
                "int8 * buf",
                "uint64 count",
                "int64 * pos"
            ]
        );
        assert_eq!(
            proto.ret,
            Type::Int {
                bytes: 8,
                signed: true
            }
        );
        assert_eq!(proto.slots(), 4);
        // `int __sys_bpf(enum bpf_cmd cmd, bpfptr_t uattr, unsigned int size)`:
        // bpfptr_t is a 16-byte struct passed by value in two slots, so
        // size is in slot 3 and fexit's retval in slot 4.
        let proto = kernel
            .function_prototype(Some("vmlinux"), "__sys_bpf")
            .expect("__sys_bpf is described");
        let names: Vec<&str> = proto.params.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["cmd", "uattr", "size"]);
        assert_eq!(proto.params[1].1.size(), 16);
        assert_eq!((proto.slot(2), proto.slots()), (3, 4));
        assert_eq!(
            proto.ret,
            Type::Int {
                bytes: 4,
                signed: true
            }
        );
        assert_eq!(
            kernel.function_prototype(Some("vmlinux"), "no_such_fn"),
            None
        );
        assert_eq!(
            kernel.function_prototype(Some("no_such_module"), "vfs_read"),
            None
        );
    }

    /// bpftrace's "fexit large args" script compiled against this
    /// kernel's own BTF: each argument and retval is read from its slot.
    #[test]
    fn fexit_of_a_function_with_a_struct_argument_reads_the_right_slots() {
        use sonde_lang::sema::{analyse, fake_env::FakeEnv, Options};
        let mut env = FakeEnv {
            btf: Some(BtfTypes::new(
                Btf::from_file("/sys/kernel/btf/vmlinux").expect("this kernel has BTF"),
            )),
            ..FakeEnv::default()
        };
        env.functions.push(("vmlinux".into(), "__sys_bpf".into()));
        let src = "fexit:__sys_bpf { if (args.cmd == 1111 && args.size == 2222 && \
                   (int64)retval == -7) { printf(\"SUCCESS %d\\n\", pid); exit(); } }";
        let ast = sonde_lang::parse(src).expect("parses");
        let typed = analyse(&ast, &env, &Options::default()).expect("checks");
        let object = sonde_codegen::compile(&typed, &Default::default()).expect("compiles");
        let loads: Vec<String> = sonde_isa::disassemble(&object.programs[0].insns)
            .into_iter()
            .filter(|l| l.contains("(r6 +"))
            .map(|l| l.split_once(": ").map_or(l.clone(), |(_, i)| i.to_string()))
            .collect();
        assert_eq!(
            loads,
            [
                "r0 = *(u64 *)(r6 +0)",
                "r0 = *(u64 *)(r6 +24)",
                "r0 = *(u64 *)(r6 +32)"
            ]
        );
    }
}

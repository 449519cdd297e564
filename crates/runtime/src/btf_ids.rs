//! BTF type ids of kernel functions and tracepoints, as `BPF_PROG_LOAD` of
//! a tracing program needs them (`attach_btf_id`), read with the one BTF
//! reader (`sonde-btf`). Each file is read once per process: a wildcard
//! fentry probe loads one program per function.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use anyhow::{anyhow, Context};
use sonde_btf::{Btf, Kind};

const BTF_DIR: &str = "/sys/kernel/btf";

/// The running kernel's vmlinux BTF, read once per process: the loader's
/// lookups and the type checker's kernel types share it.
pub fn vmlinux() -> anyhow::Result<Arc<Btf>> {
    static VMLINUX: OnceLock<Result<Arc<Btf>, String>> = OnceLock::new();
    VMLINUX
        .get_or_init(|| {
            let path = std::path::Path::new(BTF_DIR).join("vmlinux");
            let data = sonde_sys::read_kernel_btf(&path)
                .map_err(|e| format!("read {}: {e}", path.display()))?;
            Btf::from_bytes(data)
                .map(Arc::new)
                .map_err(|e| e.to_string())
        })
        .clone()
        .map_err(|e| anyhow!("cannot read the kernel's BTF: {e}"))
}

fn module_btf(name: &str) -> anyhow::Result<Arc<Btf>> {
    static MODULES: OnceLock<Mutex<HashMap<String, Arc<Btf>>>> = OnceLock::new();
    let cache = MODULES.get_or_init(Default::default);
    if let Some(btf) = cache.lock().expect("not poisoned").get(name) {
        return Ok(btf.clone());
    }
    let path = format!("{BTF_DIR}/{name}");
    let data =
        sonde_sys::read_kernel_btf(path.as_ref()).with_context(|| format!("cannot read {path}"))?;
    let btf = Arc::new(
        Btf::from_split_bytes(data, vmlinux()?).map_err(|e| anyhow!("cannot read {path}: {e}"))?,
    );
    cache
        .lock()
        .expect("not poisoned")
        .insert(name.to_string(), btf.clone());
    Ok(btf)
}

/// The id of the `FUNC` called `function` in the BTF of `module`
/// (`vmlinux` for the core kernel). Ids of module BTF continue vmlinux's,
/// so a module's own function is one past vmlinux's types.
pub fn function_id(module: &str, function: &str) -> anyhow::Result<u32> {
    let (btf, first) = if module == "vmlinux" {
        (vmlinux()?, 1)
    } else {
        (module_btf(module)?, vmlinux()?.len() + 1)
    };
    btf.find(function)
        .into_iter()
        .filter(|&id| id >= first)
        .find(|&id| matches!(btf.type_by_id(id).map(|t| t.kind), Some(Kind::Func(_))))
        .ok_or_else(|| anyhow!("the BTF of {module} has no function `{function}`"))
}

/// The module (`vmlinux` for the core kernel) and BTF id of the typedef
/// `btf_trace_<name>` that declares raw tracepoint `name`: what a `tp_btf`
/// program is loaded against.
pub fn raw_tracepoint_id(name: &str) -> anyhow::Result<(String, u32)> {
    let typedef = format!("btf_trace_{name}");
    let is_typedef =
        |btf: &Btf, id: u32| matches!(btf.type_by_id(id).map(|t| t.kind), Some(Kind::Typedef(_)));
    let core = vmlinux()?;
    if let Some(id) = core
        .find(&typedef)
        .into_iter()
        .find(|&id| is_typedef(&core, id))
    {
        return Ok(("vmlinux".to_string(), id));
    }
    let first = core.len() + 1;
    let modules = std::fs::read_dir(BTF_DIR).with_context(|| format!("cannot list {BTF_DIR}"))?;
    for entry in modules.flatten() {
        let module = entry.file_name().to_string_lossy().into_owned();
        if module == "vmlinux" {
            continue;
        }
        let Ok(btf) = module_btf(&module) else {
            continue;
        };
        if let Some(id) = btf
            .find(&typedef)
            .into_iter()
            .find(|&id| id >= first && is_typedef(&btf, id))
        {
            return Ok((module, id));
        }
    }
    Err(anyhow!(
        "no BTF declares the raw tracepoint `{name}` ({typedef})"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_tracepoints_are_found_by_their_typedef() {
        let (module, id) = raw_tracepoint_id("sched_switch").unwrap();
        assert_eq!(module, "vmlinux");
        let btf = vmlinux().unwrap();
        assert_eq!(btf.type_by_id(id).unwrap().name, "btf_trace_sched_switch");
        assert!(raw_tracepoint_id("sonde_no_such_tracepoint").is_err());
    }

    #[test]
    fn functions_are_found_by_name_and_kind() {
        let id = function_id("vmlinux", "vfs_read").unwrap();
        let btf = vmlinux().unwrap();
        let info = btf.type_by_id(id).unwrap();
        assert_eq!(info.name, "vfs_read");
        assert!(matches!(info.kind, Kind::Func(_)));
        // A struct of that name would not do.
        assert_eq!(
            function_id("vmlinux", "task_struct")
                .unwrap_err()
                .to_string(),
            "the BTF of vmlinux has no function `task_struct`"
        );
        assert_eq!(
            function_id("sonde_no_such_module", "f")
                .unwrap_err()
                .to_string(),
            "cannot read /sys/kernel/btf/sonde_no_such_module"
        );
    }
}

//! The kernel's probeable functions: ftrace's
//! `available_filter_functions`, or, where that cannot be read (it needs
//! root, and some kernels refuse even root), the text symbols of
//! `/proc/kallsyms`.

use crate::{Error, Result, Tracefs};

/// Every function as `(module, name)`, module `vmlinux` for the core
/// kernel, in the kernel's order, without duplicates of a pair.
pub fn kernel_functions() -> Result<Vec<(String, String)>> {
    if let Ok(fs) = Tracefs::get() {
        let path = fs.root().join("available_filter_functions");
        if let Ok(text) = std::fs::read_to_string(&path) {
            return Ok(parse_filter_functions(&text));
        }
    }
    let path = "/proc/kallsyms";
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::os(
            format!("read {path}"),
            e.raw_os_error().unwrap_or(libc::EIO),
        )
    })?;
    Ok(parse_kallsyms(&text))
}

/// `name [module]` lines; ftrace's placeholders for functions it cannot
/// trace (`__ftrace_invalid_address__...`) are left out.
pub fn parse_filter_functions(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let Some(name) = words.next() else { continue };
        if name.starts_with("__ftrace_invalid_address__") {
            continue;
        }
        let module = words
            .next()
            .and_then(|m| m.strip_prefix('[')?.strip_suffix(']'))
            .unwrap_or("vmlinux");
        if seen.insert((module.to_string(), name.to_string())) {
            out.push((module.to_string(), name.to_string()));
        }
    }
    out
}

/// `address type name [module]` lines; text symbols (`T`, `t`, `W`, `w`)
/// only.
pub fn parse_kallsyms(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let (Some(_), Some(kind), Some(name)) = (words.next(), words.next(), words.next()) else {
            continue;
        };
        // `__pfx_` symbols are the padding before functions, and `.cold`
        // ones the unlikely paths the compiler moved out of them: neither
        // is a function that can be entered (ftrace lists neither).
        if !matches!(kind, "T" | "t" | "W" | "w")
            || name.starts_with("__pfx_")
            || name.contains(".cold")
        {
            continue;
        }
        let module = words
            .next()
            .and_then(|m| m.strip_prefix('[')?.strip_suffix(']'))
            .unwrap_or("vmlinux");
        if seen.insert((module.to_string(), name.to_string())) {
            out.push((module.to_string(), name.to_string()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(m, f)| (m.to_string(), f.to_string()))
            .collect()
    }

    #[test]
    fn filter_functions_with_modules() {
        let text = "vfs_read\n__ftrace_invalid_address___64\nnft_do_chain [nf_tables]\nvfs_read\n";
        assert_eq!(
            parse_filter_functions(text),
            pairs(&[("vmlinux", "vfs_read"), ("nf_tables", "nft_do_chain")])
        );
    }

    #[test]
    fn kallsyms_text_symbols_only() {
        let text = "ffffffff816d5b70 T vfs_read\nffffffff82000000 D jiffies\n\
                    ffffffff816d5b60 T __pfx_vfs_read\n\
                    ffffffff81000100 t vfs_get_tree.cold\n\
                    ffffffffc0000000 t nft_do_chain\t[nf_tables]\n";
        assert_eq!(
            parse_kallsyms(text),
            pairs(&[("vmlinux", "vfs_read"), ("nf_tables", "nft_do_chain")])
        );
    }
}

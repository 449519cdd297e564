//! The BTF type id of a named kernel function, which `BPF_PROG_LOAD` of a
//! tracing program (fentry, fexit, iterator) needs as `attach_btf_id`.
//!
//! Only ids: this module walks the type section of `/sys/kernel/btf/vmlinux`
//! far enough to count types and compare names. What the types mean is not
//! this crate's business.

use crate::{Error, Result};

const BTF_MAGIC: u16 = 0xeb9f;
const KIND_FUNC: u32 = 12;

/// The id of the `BTF_KIND_FUNC` named `name` in the kernel's own BTF.
pub fn vmlinux_func_id(name: &str) -> Result<u32> {
    let path = "/sys/kernel/btf/vmlinux";
    let data = std::fs::read(path).map_err(|e| {
        Error::os(
            format!("read {path}"),
            e.raw_os_error().unwrap_or(libc::EIO),
        )
    })?;
    func_id(&data, name)
        .map_err(|why| Error::invalid(format!("parse {path}"), why))?
        .ok_or_else(|| {
            Error::invalid(
                "BTF lookup",
                format!("the kernel's BTF has no function `{name}`"),
            )
        })
}

/// The id of the FUNC named `name` in a BTF blob, `None` when absent.
pub fn func_id(data: &[u8], name: &str) -> std::result::Result<Option<u32>, String> {
    let u16_at = |off: usize| -> Option<u16> {
        data.get(off..off + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
    };
    let u32_at = |off: usize| -> Option<u32> {
        data.get(off..off + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    if u16_at(0) != Some(BTF_MAGIC) {
        return Err("not little-endian BTF (bad magic)".into());
    }
    let header = |i: usize| u32_at(4 + 4 * i).map(|v| v as usize);
    let (Some(hdr_len), Some(type_off), Some(type_len), Some(str_off), Some(str_len)) =
        (header(0), header(1), header(2), header(3), header(4))
    else {
        return Err("truncated header".into());
    };
    let types = hdr_len + type_off;
    let strings = hdr_len + str_off;
    let Some(strtab) = data.get(strings..strings + str_len) else {
        return Err("string section out of bounds".into());
    };
    let name_is = |off: u32| -> bool {
        let off = off as usize;
        strtab
            .get(off..off + name.len() + 1)
            .is_some_and(|s| &s[..name.len()] == name.as_bytes() && s[name.len()] == 0)
    };
    let mut pos = types;
    let mut id = 1u32;
    while pos < types + type_len {
        let (Some(name_off), Some(info)) = (u32_at(pos), u32_at(pos + 4)) else {
            return Err(format!("type {id} is truncated"));
        };
        let kind = (info >> 24) & 0x1f;
        let vlen = (info & 0xffff) as usize;
        if kind == KIND_FUNC && name_is(name_off) {
            return Ok(Some(id));
        }
        // Bytes that follow the 12-byte common part, by kind.
        let extra = match kind {
            1 | 14 | 17 => 4,              // INT, VAR, DECL_TAG
            3 => 12,                       // ARRAY
            4 | 5 | 15 | 19 => 12 * vlen,  // STRUCT, UNION, DATASEC, ENUM64
            6 | 13 => 8 * vlen,            // ENUM, FUNC_PROTO
            0 | 2 | 7..=12 | 16 | 18 => 0, // pointers, qualifiers, FUNC, FLOAT...
            _ => return Err(format!("type {id} has unknown kind {kind}")),
        };
        pos += 12 + extra;
        id += 1;
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A BTF blob with an INT `int` (id 1) and a FUNC `f` (id 2).
    fn blob() -> Vec<u8> {
        let strings = b"\0int\0f\0";
        let mut types = Vec::new();
        for word in [1u32, 1 << 24, 4, 32] {
            types.extend_from_slice(&word.to_le_bytes());
        }
        for word in [5u32, 12 << 24, 0] {
            types.extend_from_slice(&word.to_le_bytes());
        }
        let mut data = Vec::new();
        data.extend_from_slice(&BTF_MAGIC.to_le_bytes());
        data.extend_from_slice(&[1, 0]);
        for word in [
            24u32,
            0,
            types.len() as u32,
            types.len() as u32,
            strings.len() as u32,
        ] {
            data.extend_from_slice(&word.to_le_bytes());
        }
        data.extend_from_slice(&types);
        data.extend_from_slice(strings);
        data
    }

    #[test]
    fn finds_functions_by_name_only() {
        assert_eq!(func_id(&blob(), "f"), Ok(Some(2)));
        assert_eq!(func_id(&blob(), "int"), Ok(None));
        assert_eq!(func_id(&blob(), "g"), Ok(None));
        assert!(func_id(b"nope", "f").is_err());
    }
}

//! `union bpf_attr`, one `#[repr(C)]` struct per command, with explicit
//! padding so every byte handed to the kernel is initialised. Layouts follow
//! `linux/bpf.h`; the kernel accepts a shorter attr than its own as long as
//! it ends on a field boundary, and a longer one whose tail is zero.

use crate::syscall::BpfAttr;

pub(crate) mod cmd {
    pub const MAP_CREATE: u32 = 0;
    pub const MAP_LOOKUP_ELEM: u32 = 1;
    pub const MAP_UPDATE_ELEM: u32 = 2;
    pub const MAP_DELETE_ELEM: u32 = 3;
    pub const MAP_GET_NEXT_KEY: u32 = 4;
    pub const PROG_LOAD: u32 = 5;
    pub const OBJ_PIN: u32 = 6;
    pub const PROG_TEST_RUN: u32 = 10;
    pub const PROG_GET_NEXT_ID: u32 = 11;
    pub const MAP_GET_NEXT_ID: u32 = 12;
    pub const PROG_GET_FD_BY_ID: u32 = 13;
    pub const MAP_GET_FD_BY_ID: u32 = 14;
    pub const OBJ_GET_INFO_BY_FD: u32 = 15;
    pub const RAW_TRACEPOINT_OPEN: u32 = 17;
    pub const BTF_LOAD: u32 = 18;
    pub const BTF_GET_FD_BY_ID: u32 = 19;
    pub const BTF_GET_NEXT_ID: u32 = 23;
    pub const MAP_LOOKUP_BATCH: u32 = 24;
    pub const MAP_DELETE_BATCH: u32 = 27;
    pub const LINK_CREATE: u32 = 28;
    pub const ITER_CREATE: u32 = 33;
    pub const LINK_GET_FD_BY_ID: u32 = 30;
    pub const LINK_GET_NEXT_ID: u32 = 31;

    /// The name `bpf(2)` errors carry, e.g. `bpf(BPF_MAP_CREATE)`.
    pub fn op(cmd: u32) -> &'static str {
        match cmd {
            MAP_CREATE => "bpf(BPF_MAP_CREATE)",
            MAP_LOOKUP_ELEM => "bpf(BPF_MAP_LOOKUP_ELEM)",
            MAP_UPDATE_ELEM => "bpf(BPF_MAP_UPDATE_ELEM)",
            MAP_DELETE_ELEM => "bpf(BPF_MAP_DELETE_ELEM)",
            MAP_GET_NEXT_KEY => "bpf(BPF_MAP_GET_NEXT_KEY)",
            PROG_LOAD => "bpf(BPF_PROG_LOAD)",
            OBJ_PIN => "bpf(BPF_OBJ_PIN)",
            BTF_LOAD => "bpf(BPF_BTF_LOAD)",
            BTF_GET_FD_BY_ID => "bpf(BPF_BTF_GET_FD_BY_ID)",
            BTF_GET_NEXT_ID => "bpf(BPF_BTF_GET_NEXT_ID)",
            PROG_TEST_RUN => "bpf(BPF_PROG_TEST_RUN)",
            PROG_GET_NEXT_ID => "bpf(BPF_PROG_GET_NEXT_ID)",
            MAP_GET_NEXT_ID => "bpf(BPF_MAP_GET_NEXT_ID)",
            PROG_GET_FD_BY_ID => "bpf(BPF_PROG_GET_FD_BY_ID)",
            MAP_GET_FD_BY_ID => "bpf(BPF_MAP_GET_FD_BY_ID)",
            OBJ_GET_INFO_BY_FD => "bpf(BPF_OBJ_GET_INFO_BY_FD)",
            RAW_TRACEPOINT_OPEN => "bpf(BPF_RAW_TRACEPOINT_OPEN)",
            MAP_LOOKUP_BATCH => "bpf(BPF_MAP_LOOKUP_BATCH)",
            MAP_DELETE_BATCH => "bpf(BPF_MAP_DELETE_BATCH)",
            LINK_CREATE => "bpf(BPF_LINK_CREATE)",
            ITER_CREATE => "bpf(BPF_ITER_CREATE)",
            LINK_GET_FD_BY_ID => "bpf(BPF_LINK_GET_FD_BY_ID)",
            LINK_GET_NEXT_ID => "bpf(BPF_LINK_GET_NEXT_ID)",
            _ => "bpf",
        }
    }
}

pub(crate) const OBJ_NAME_LEN: usize = 16;

#[repr(C)]
#[derive(Default)]
pub(crate) struct MapCreate {
    pub map_type: u32,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    pub map_flags: u32,
    pub inner_map_fd: u32,
    pub numa_node: u32,
    pub map_name: [u8; OBJ_NAME_LEN],
    pub map_ifindex: u32,
    pub btf_fd: u32,
    pub btf_key_type_id: u32,
    pub btf_value_type_id: u32,
    pub btf_vmlinux_value_type_id: u32,
    pub map_extra: u64,
}
// SAFETY: repr(C) integers; offsets 0..72 match linux/bpf.h with no holes
// (map_extra lands on offset 64, already 8-aligned).
unsafe impl BpfAttr for MapCreate {}

#[repr(C)]
#[derive(Default)]
pub(crate) struct MapElem {
    pub map_fd: u32,
    pub pad: u32,
    pub key: u64,
    /// `value` or `next_key`.
    pub value: u64,
    pub flags: u64,
}
// SAFETY: repr(C) integers with the hole after map_fd made explicit.
unsafe impl BpfAttr for MapElem {}

#[repr(C)]
#[derive(Default)]
pub(crate) struct MapBatch {
    pub in_batch: u64,
    pub out_batch: u64,
    pub keys: u64,
    pub values: u64,
    pub count: u32,
    pub map_fd: u32,
    pub elem_flags: u64,
    pub flags: u64,
}
// SAFETY: repr(C) integers, naturally aligned, no holes.
unsafe impl BpfAttr for MapBatch {}

#[repr(C)]
#[derive(Default)]
pub(crate) struct BtfLoad {
    pub btf: u64,
    pub btf_log_buf: u64,
    pub btf_size: u32,
    pub btf_log_size: u32,
    pub btf_log_level: u32,
    pub btf_log_true_size: u32,
}
// SAFETY: repr(C) integers: two u64 then four u32, no holes.
unsafe impl BpfAttr for BtfLoad {}

#[repr(C)]
#[derive(Default)]
pub(crate) struct ProgLoad {
    pub prog_type: u32,
    pub insn_cnt: u32,
    pub insns: u64,
    pub license: u64,
    pub log_level: u32,
    pub log_size: u32,
    pub log_buf: u64,
    pub kern_version: u32,
    pub prog_flags: u32,
    pub prog_name: [u8; OBJ_NAME_LEN],
    pub prog_ifindex: u32,
    pub expected_attach_type: u32,
    pub prog_btf_fd: u32,
    pub func_info_rec_size: u32,
    pub func_info: u64,
    pub func_info_cnt: u32,
    pub line_info_rec_size: u32,
    pub line_info: u64,
    pub line_info_cnt: u32,
    pub attach_btf_id: u32,
    pub attach_btf_obj_fd: u32,
    pub core_relo_cnt: u32,
    pub fd_array: u64,
    pub core_relos: u64,
    pub core_relo_rec_size: u32,
    pub log_true_size: u32,
}
// SAFETY: repr(C) integers; every u64 sits on an 8-aligned offset (8, 16,
// 32, 80, 96, 120, 128) and the u32 pairs fill the gaps, so no holes.
unsafe impl BpfAttr for ProgLoad {}

#[repr(C)]
#[derive(Default)]
pub(crate) struct TestRun {
    pub prog_fd: u32,
    pub retval: u32,
    pub data_size_in: u32,
    pub data_size_out: u32,
    pub data_in: u64,
    pub data_out: u64,
    pub repeat: u32,
    pub duration: u32,
    pub ctx_size_in: u32,
    pub ctx_size_out: u32,
    pub ctx_in: u64,
    pub ctx_out: u64,
    pub flags: u32,
    pub cpu: u32,
    pub batch_size: u32,
    pub pad: u32,
}
// SAFETY: repr(C) integers with the tail hole made explicit.
unsafe impl BpfAttr for TestRun {}

/// `BPF_*_GET_NEXT_ID` and `BPF_*_GET_FD_BY_ID`.
#[repr(C)]
#[derive(Default)]
pub(crate) struct GetId {
    pub id: u32,
    pub next_id: u32,
    pub open_flags: u32,
}
// SAFETY: repr(C) u32s, no holes.
unsafe impl BpfAttr for GetId {}

#[repr(C)]
#[derive(Default)]
pub(crate) struct InfoByFd {
    pub bpf_fd: u32,
    pub info_len: u32,
    pub info: u64,
}
// SAFETY: repr(C) integers, no holes.
unsafe impl BpfAttr for InfoByFd {}

#[repr(C)]
#[derive(Default)]
pub(crate) struct RawTracepointOpen {
    pub name: u64,
    pub prog_fd: u32,
    pub pad: u32,
    /// Since Linux 6.10; older kernels reject a non-zero value.
    pub cookie: u64,
}
// SAFETY: repr(C) integers with the hole before `cookie` made explicit.
unsafe impl BpfAttr for RawTracepointOpen {}

/// The form of `BPF_RAW_TRACEPOINT_OPEN` that kernels before 6.10 accept.
#[repr(C)]
#[derive(Default)]
pub(crate) struct RawTracepointOpenV1 {
    pub name: u64,
    pub prog_fd: u32,
    pub pad: u32,
}
// SAFETY: repr(C) integers with the tail hole made explicit.
unsafe impl BpfAttr for RawTracepointOpenV1 {}

#[repr(C)]
#[derive(Default)]
pub(crate) struct LinkCreate {
    pub prog_fd: u32,
    pub target_fd: u32,
    pub attach_type: u32,
    pub flags: u32,
    /// `perf_event.bpf_cookie`, or `tracing.target_btf_id` in its low half.
    pub word0: u64,
    /// `tracing.cookie`.
    pub word1: u64,
}
// SAFETY: repr(C) integers, no holes.
unsafe impl BpfAttr for LinkCreate {}

/// `BPF_LINK_CREATE` with the `uprobe_multi` member of the union.
#[repr(C)]
#[derive(Default)]
pub(crate) struct LinkCreateUprobeMulti {
    pub prog_fd: u32,
    pub target_fd: u32,
    pub attach_type: u32,
    pub flags: u32,
    pub path: u64,
    pub offsets: u64,
    pub ref_ctr_offsets: u64,
    pub cookies: u64,
    pub cnt: u32,
    pub multi_flags: u32,
    pub pid: u32,
    pub pad: u32,
}
// SAFETY: repr(C) integers; the u64s sit at 16..48, the u32s fill 48..64
// with the tail hole made explicit.
unsafe impl BpfAttr for LinkCreateUprobeMulti {}

/// `BPF_LINK_CREATE` of a kprobe_multi link.
#[repr(C)]
#[derive(Default)]
pub(crate) struct LinkCreateKprobeMulti {
    pub prog_fd: u32,
    pub target_fd: u32,
    pub attach_type: u32,
    pub flags: u32,
    /// `BPF_F_KPROBE_MULTI_RETURN` for kretprobes.
    pub kprobe_flags: u32,
    pub cnt: u32,
    /// Array of `cnt` pointers to NUL-terminated symbol names.
    pub syms: u64,
    pub addrs: u64,
    /// Array of `cnt` u64 cookies.
    pub cookies: u64,
}
// SAFETY: repr(C) integers, no holes.
unsafe impl BpfAttr for LinkCreateKprobeMulti {}

#[repr(C)]
#[derive(Default)]
pub(crate) struct IterCreate {
    pub link_fd: u32,
    pub flags: u32,
}
// SAFETY: repr(C) integers, no holes.
unsafe impl BpfAttr for IterCreate {}

#[repr(C)]
#[derive(Default)]
pub(crate) struct ObjPin {
    pub pathname: u64,
    pub bpf_fd: u32,
    pub file_flags: u32,
}
// SAFETY: repr(C) integers, no holes.
unsafe impl BpfAttr for ObjPin {}

/// Copy `name` into a fixed-size, NUL-terminated kernel object name,
/// refusing what the kernel would refuse.
pub(crate) fn object_name(what: &str, name: &str) -> crate::Result<[u8; OBJ_NAME_LEN]> {
    if name.len() >= OBJ_NAME_LEN {
        return Err(crate::Error::invalid(
            format!("{what} name"),
            format!("`{name}` is longer than {} bytes", OBJ_NAME_LEN - 1),
        ));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
    {
        return Err(crate::Error::invalid(
            format!("{what} name"),
            format!("`{name}` has a character other than A-Z a-z 0-9 _ ."),
        ));
    }
    let mut out = [0u8; OBJ_NAME_LEN];
    out[..name.len()].copy_from_slice(name.as_bytes());
    Ok(out)
}

/// The name in a kernel info struct, up to its NUL.
pub(crate) fn name_from_bytes(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{offset_of, size_of};

    #[test]
    fn layouts_match_linux_bpf_h() {
        assert_eq!(offset_of!(MapCreate, map_name), 28);
        assert_eq!(offset_of!(MapCreate, map_extra), 64);
        assert_eq!(size_of::<MapCreate>(), 72);
        assert_eq!(offset_of!(MapElem, flags), 24);
        assert_eq!(offset_of!(MapBatch, count), 32);
        assert_eq!(offset_of!(MapBatch, flags), 48);
        assert_eq!(offset_of!(ProgLoad, log_buf), 32);
        assert_eq!(offset_of!(ProgLoad, prog_name), 48);
        assert_eq!(offset_of!(ProgLoad, expected_attach_type), 68);
        assert_eq!(offset_of!(ProgLoad, attach_btf_id), 108);
        assert_eq!(offset_of!(ProgLoad, fd_array), 120);
        assert_eq!(offset_of!(ProgLoad, log_true_size), 140);
        assert_eq!(size_of::<ProgLoad>(), 144);
        assert_eq!(offset_of!(TestRun, ctx_in), 48);
        assert_eq!(offset_of!(TestRun, batch_size), 72);
        assert_eq!(offset_of!(LinkCreate, word0), 16);
        assert_eq!(offset_of!(LinkCreate, word1), 24);
        assert_eq!(offset_of!(RawTracepointOpen, cookie), 16);
        assert_eq!(offset_of!(LinkCreateUprobeMulti, path), 16);
        assert_eq!(offset_of!(LinkCreateUprobeMulti, cnt), 48);
        assert_eq!(offset_of!(LinkCreateUprobeMulti, pid), 56);
        assert_eq!(size_of::<LinkCreateUprobeMulti>(), 64);
        assert_eq!(offset_of!(BtfLoad, btf_size), 16);
        assert_eq!(size_of::<BtfLoad>(), 32);
    }

    #[test]
    fn object_names_follow_kernel_rules() {
        assert_eq!(&object_name("map", "AT_x.y").unwrap()[..7], b"AT_x.y\0");
        assert!(object_name("map", "0123456789abcde").is_ok());
        assert!(object_name("map", "0123456789abcdef").is_err());
        assert!(object_name("map", "a-b").is_err());
        assert_eq!(name_from_bytes(b"abc\0\0\0"), "abc");
    }
}

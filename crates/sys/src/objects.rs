//! The kernel's loaded programs, maps and links, listed by id: for leak
//! checks in tests and for a bpftool-like listing.

use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};

use crate::attr::{self, cmd};
use crate::syscall;
use crate::{Error, Result};

/// One loaded program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgInfo {
    pub id: u32,
    /// `enum bpf_prog_type` (see [`prog_type_name`]).
    pub prog_type: u32,
    pub name: String,
    /// Instructions the verifier processed (0 before Linux 5.16).
    pub verified_insns: u32,
    /// Bytes of translated instructions.
    pub xlated_len: u32,
    /// Bytes of JIT-compiled code.
    pub jited_len: u32,
}

/// One map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapInfo {
    pub id: u32,
    /// `enum bpf_map_type`.
    pub map_type: u32,
    pub name: String,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
}

/// One link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkInfo {
    pub id: u32,
    /// `enum bpf_link_type` (see [`link_type_name`]).
    pub link_type: u32,
    pub prog_id: u32,
}

fn u32_at(buf: &[u8], offset: usize) -> u32 {
    u32::from_ne_bytes(buf[offset..offset + 4].try_into().expect("4-byte slice"))
}

/// `BPF_OBJ_GET_INFO_BY_FD` into a zeroed buffer of `N` bytes.
fn info_by_fd<const N: usize>(fd: BorrowedFd<'_>) -> Result<[u8; N]> {
    let mut buf = [0u8; N];
    let mut attr = attr::InfoByFd {
        bpf_fd: fd.as_raw_fd() as u32,
        info_len: N as u32,
        info: buf.as_mut_ptr() as u64,
    };
    // SAFETY: the kernel writes at most info_len (= N) bytes into `buf`.
    unsafe { syscall::bpf(cmd::OBJ_GET_INFO_BY_FD, &mut attr) }
        .map_err(|errno| Error::os(cmd::op(cmd::OBJ_GET_INFO_BY_FD), errno))?;
    Ok(buf)
}

pub(crate) fn prog_info(fd: BorrowedFd<'_>) -> Result<ProgInfo> {
    // struct bpf_prog_info up to and including verified_insns (offset 216).
    let buf = info_by_fd::<220>(fd)?;
    Ok(ProgInfo {
        prog_type: u32_at(&buf, 0),
        id: u32_at(&buf, 4),
        jited_len: u32_at(&buf, 16),
        xlated_len: u32_at(&buf, 20),
        name: attr::name_from_bytes(&buf[64..80]),
        verified_insns: u32_at(&buf, 216),
    })
}

pub(crate) fn map_info(fd: BorrowedFd<'_>) -> Result<MapInfo> {
    // struct bpf_map_info up to the end of name (offset 40).
    let buf = info_by_fd::<40>(fd)?;
    Ok(MapInfo {
        map_type: u32_at(&buf, 0),
        id: u32_at(&buf, 4),
        key_size: u32_at(&buf, 8),
        value_size: u32_at(&buf, 12),
        max_entries: u32_at(&buf, 16),
        name: attr::name_from_bytes(&buf[24..40]),
    })
}

pub(crate) fn link_info(fd: BorrowedFd<'_>) -> Result<LinkInfo> {
    // struct bpf_link_info: type, id, prog_id; the union is not needed.
    let buf = info_by_fd::<16>(fd)?;
    Ok(LinkInfo {
        link_type: u32_at(&buf, 0),
        id: u32_at(&buf, 4),
        prog_id: u32_at(&buf, 8),
    })
}

/// Every id of one kind, then an fd for each (skipping objects that went
/// away in between), then `read` on the fd.
fn list<T>(
    next_cmd: u32,
    fd_cmd: u32,
    read: impl Fn(BorrowedFd<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    let mut out = Vec::new();
    let mut id = 0u32;
    loop {
        let mut attr = attr::GetId {
            id,
            ..Default::default()
        };
        // SAFETY: GET_NEXT_ID carries no addresses.
        match unsafe { syscall::bpf(next_cmd, &mut attr) } {
            Ok(_) => id = attr.next_id,
            Err(libc::ENOENT) => return Ok(out),
            Err(errno) => return Err(Error::os(cmd::op(next_cmd), errno)),
        }
        let mut attr = attr::GetId {
            id,
            ..Default::default()
        };
        // SAFETY: GET_FD_BY_ID carries no addresses.
        let fd: OwnedFd = match unsafe { syscall::bpf_fd(fd_cmd, &mut attr) } {
            Ok(fd) => fd,
            Err(libc::ENOENT) => continue,
            Err(errno) => return Err(Error::os(cmd::op(fd_cmd), errno)),
        };
        use std::os::fd::AsFd;
        out.push(read(fd.as_fd())?);
    }
}

/// Every program loaded in the kernel, by increasing id.
pub fn loaded_programs() -> Result<Vec<ProgInfo>> {
    list(cmd::PROG_GET_NEXT_ID, cmd::PROG_GET_FD_BY_ID, prog_info)
}

/// Every map in the kernel, by increasing id.
pub fn loaded_maps() -> Result<Vec<MapInfo>> {
    list(cmd::MAP_GET_NEXT_ID, cmd::MAP_GET_FD_BY_ID, map_info)
}

/// Every link in the kernel, by increasing id.
pub fn loaded_links() -> Result<Vec<LinkInfo>> {
    list(cmd::LINK_GET_NEXT_ID, cmd::LINK_GET_FD_BY_ID, link_info)
}

/// Pin a BPF object at `path` inside a bpffs.
pub(crate) fn pin(fd: BorrowedFd<'_>, path: &str) -> Result<()> {
    let op = cmd::op(cmd::OBJ_PIN);
    let c_path = syscall::cstring(path).ok_or_else(|| Error::invalid(op, "path contains a NUL"))?;
    let mut attr = attr::ObjPin {
        pathname: c_path.as_ptr() as u64,
        bpf_fd: fd.as_raw_fd() as u32,
        file_flags: 0,
    };
    // SAFETY: `pathname` is a NUL-terminated string that outlives the call.
    unsafe { syscall::bpf(cmd::OBJ_PIN, &mut attr) }
        .map_err(|errno| Error::os(op, errno).with_explanation(path.to_string()))?;
    Ok(())
}

/// bpftool's name for an `enum bpf_prog_type` value.
pub fn prog_type_name(prog_type: u32) -> &'static str {
    const NAMES: [&str; 33] = [
        "unspec",
        "socket_filter",
        "kprobe",
        "sched_cls",
        "sched_act",
        "tracepoint",
        "xdp",
        "perf_event",
        "cgroup_skb",
        "cgroup_sock",
        "lwt_in",
        "lwt_out",
        "lwt_xmit",
        "sock_ops",
        "sk_skb",
        "cgroup_device",
        "sk_msg",
        "raw_tracepoint",
        "cgroup_sock_addr",
        "lwt_seg6local",
        "lirc_mode2",
        "sk_reuseport",
        "flow_dissector",
        "cgroup_sysctl",
        "raw_tracepoint_writable",
        "cgroup_sockopt",
        "tracing",
        "struct_ops",
        "ext",
        "lsm",
        "sk_lookup",
        "syscall",
        "netfilter",
    ];
    NAMES.get(prog_type as usize).copied().unwrap_or("unknown")
}

/// bpftool's name for an `enum bpf_map_type` value.
pub fn map_type_name(map_type: u32) -> &'static str {
    const NAMES: [&str; 34] = [
        "unspec",
        "hash",
        "array",
        "prog_array",
        "perf_event_array",
        "percpu_hash",
        "percpu_array",
        "stack_trace",
        "cgroup_array",
        "lru_hash",
        "lru_percpu_hash",
        "lpm_trie",
        "array_of_maps",
        "hash_of_maps",
        "devmap",
        "sockmap",
        "cpumap",
        "xskmap",
        "sockhash",
        "cgroup_storage",
        "reuseport_sockarray",
        "percpu_cgroup_storage",
        "queue",
        "stack",
        "sk_storage",
        "devmap_hash",
        "struct_ops",
        "ringbuf",
        "inode_storage",
        "task_storage",
        "bloom_filter",
        "user_ringbuf",
        "cgrp_storage",
        "arena",
    ];
    NAMES.get(map_type as usize).copied().unwrap_or("unknown")
}

/// bpftool's name for an `enum bpf_link_type` value.
pub fn link_type_name(link_type: u32) -> &'static str {
    const NAMES: [&str; 15] = [
        "unspec",
        "raw_tracepoint",
        "tracing",
        "cgroup",
        "iter",
        "netns",
        "xdp",
        "perf_event",
        "kprobe_multi",
        "struct_ops",
        "netfilter",
        "tcx",
        "uprobe_multi",
        "netkit",
        "sockmap",
    ];
    NAMES.get(link_type as usize).copied().unwrap_or("unknown")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_follow_the_kernel_enums() {
        assert_eq!(prog_type_name(5), "tracepoint");
        assert_eq!(prog_type_name(17), "raw_tracepoint");
        assert_eq!(prog_type_name(26), "tracing");
        assert_eq!(prog_type_name(999), "unknown");
        assert_eq!(map_type_name(27), "ringbuf");
        assert_eq!(map_type_name(10), "lru_percpu_hash");
        assert_eq!(link_type_name(7), "perf_event");
    }
}

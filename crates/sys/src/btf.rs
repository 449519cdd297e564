//! BTF objects in the kernel: loading our own (`BPF_BTF_LOAD`) and finding
//! a module's. A program with subprograms, such as the callbacks
//! `bpf_loop` calls, must describe its functions in BTF when it is loaded;
//! a tracing program on a module function names the module's BTF object.
//! The blobs themselves are built and read elsewhere.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use crate::attr::{self, cmd};
use crate::error::{Error, Result};
use crate::syscall;

/// Bytes of log asked for when a load fails.
const LOG_SIZE: usize = 1 << 16;

/// BTF loaded into the kernel; dropping it closes the descriptor (programs
/// loaded with it keep their own reference).
#[derive(Debug)]
pub struct LoadedBtf {
    fd: OwnedFd,
}

impl LoadedBtf {
    /// Load a BTF blob (header, types, strings). On failure the kernel's
    /// BTF log is in the error.
    pub fn load(blob: &[u8]) -> Result<LoadedBtf> {
        let op = cmd::op(cmd::BTF_LOAD);
        match load_once(blob, None) {
            Ok(fd) => Ok(LoadedBtf { fd }),
            Err(errno) => {
                let mut log = vec![0u8; LOG_SIZE];
                if let Ok(fd) = load_once(blob, Some(&mut log)) {
                    return Ok(LoadedBtf { fd });
                }
                Err(Error::os(op, errno)
                    .with_verifier_log(attr::name_from_bytes(&log))
                    .with_explanation("loading the BTF that describes a program's functions"))
            }
        }
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

fn load_once(blob: &[u8], log: Option<&mut [u8]>) -> std::result::Result<OwnedFd, i32> {
    let (level, size, buf) = match log {
        Some(log) => (1, log.len() as u32, log.as_mut_ptr() as u64),
        None => (0, 0, 0),
    };
    let mut attr = attr::BtfLoad {
        btf: blob.as_ptr() as u64,
        btf_log_buf: buf,
        btf_size: blob.len() as u32,
        btf_log_size: size,
        btf_log_level: level,
        ..Default::default()
    };
    // SAFETY: `btf` is readable for btf_size bytes and `btf_log_buf` (when
    // set) writable for btf_log_size bytes; both outlive the call.
    unsafe { syscall::bpf_fd(cmd::BTF_LOAD, &mut attr) }
}

/// The kernel's BTF object of a loaded module, which a tracing program on
/// one of the module's functions is loaded against (`attach_btf_obj_fd`).
#[derive(Debug)]
pub struct ModuleBtf {
    fd: OwnedFd,
}

impl ModuleBtf {
    /// The BTF object the kernel made for module `module` when it loaded it.
    pub fn find(module: &str) -> Result<ModuleBtf> {
        let mut id = 0u32;
        loop {
            let mut attr = attr::GetId {
                id,
                ..Default::default()
            };
            // SAFETY: GET_NEXT_ID carries no addresses.
            match unsafe { syscall::bpf(cmd::BTF_GET_NEXT_ID, &mut attr) } {
                Ok(_) => id = attr.next_id,
                Err(libc::ENOENT) => {
                    return Err(Error::invalid(
                        cmd::op(cmd::BTF_GET_NEXT_ID),
                        format!("the kernel has no BTF object for module `{module}`"),
                    ))
                }
                Err(errno) => return Err(Error::os(cmd::op(cmd::BTF_GET_NEXT_ID), errno)),
            }
            let mut attr = attr::GetId {
                id,
                ..Default::default()
            };
            // SAFETY: GET_FD_BY_ID carries no addresses.
            let fd = match unsafe { syscall::bpf_fd(cmd::BTF_GET_FD_BY_ID, &mut attr) } {
                Ok(fd) => fd,
                // Gone since it was listed (a module unloaded).
                Err(libc::ENOENT) => continue,
                Err(errno) => return Err(Error::os(cmd::op(cmd::BTF_GET_FD_BY_ID), errno)),
            };
            if kernel_btf_name(fd.as_fd())?.as_deref() == Some(module) {
                return Ok(ModuleBtf { fd });
            }
        }
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// The name of a BTF object the kernel made itself (`vmlinux`, a
/// module's), or `None` for BTF loaded by a program.
fn kernel_btf_name(fd: BorrowedFd<'_>) -> Result<Option<String>> {
    // struct bpf_btf_info { u64 btf; u32 btf_size; u32 id; u64 name;
    // u32 name_len; u32 kernel_btf; }
    let mut name = [0u8; 64];
    let mut info = [0u8; 32];
    info[16..24].copy_from_slice(&(name.as_mut_ptr() as u64).to_ne_bytes());
    info[24..28].copy_from_slice(&(name.len() as u32).to_ne_bytes());
    let mut attr = attr::InfoByFd {
        bpf_fd: fd.as_raw_fd() as u32,
        info_len: info.len() as u32,
        info: info.as_mut_ptr() as u64,
    };
    // SAFETY: the kernel writes at most info_len bytes into `info` and at
    // most name_len bytes at the `name` address it holds; both buffers
    // outlive the call.
    unsafe { syscall::bpf(cmd::OBJ_GET_INFO_BY_FD, &mut attr) }
        .map_err(|errno| Error::os(cmd::op(cmd::OBJ_GET_INFO_BY_FD), errno))?;
    let kernel_btf = u32::from_ne_bytes(info[28..32].try_into().expect("4 bytes"));
    Ok((kernel_btf != 0).then(|| attr::name_from_bytes(&name)))
}

/// The bytes of a kernel BTF file (`/sys/kernel/btf/vmlinux`, a module's).
/// sysfs hands these out a page per `read`, some 1,300 calls for vmlinux
/// (about 5 ms); since Linux 6.16 the file can be mapped instead, which
/// costs a fraction of a millisecond. Where mapping fails, it is read.
pub fn read_kernel_btf(path: &std::path::Path) -> std::io::Result<KernelBtfBytes> {
    let file = std::fs::File::open(path)?;
    let len = file.metadata()?.len() as usize;
    if len > 0 {
        // SAFETY: a private read-only mapping of `len` bytes of an open
        // file, at an address the kernel chooses; `KernelBtfBytes` owns it.
        let at = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_PRIVATE,
                file.as_raw_fd(),
                0,
            )
        };
        if at != libc::MAP_FAILED {
            return Ok(KernelBtfBytes::Mapped { at, len });
        }
    }
    Ok(KernelBtfBytes::Read(std::fs::read(path)?))
}

/// A kernel BTF file's bytes: mapped, or read where it cannot be mapped.
#[derive(Debug)]
pub enum KernelBtfBytes {
    Mapped { at: *mut libc::c_void, len: usize },
    Read(Vec<u8>),
}

// SAFETY: the mapping is private and read-only and nothing writes through
// `at`; the bytes behind it never change, so any thread may read them.
unsafe impl Send for KernelBtfBytes {}
// SAFETY: as for Send: shared access is reads of immutable memory.
unsafe impl Sync for KernelBtfBytes {}

impl AsRef<[u8]> for KernelBtfBytes {
    fn as_ref(&self) -> &[u8] {
        match self {
            // SAFETY: `at` is a live mapping of `len` readable bytes until
            // drop, and the file's size (the kernel's BTF) never changes.
            KernelBtfBytes::Mapped { at, len } => unsafe {
                std::slice::from_raw_parts(*at as *const u8, *len)
            },
            KernelBtfBytes::Read(bytes) => bytes,
        }
    }
}

impl Drop for KernelBtfBytes {
    fn drop(&mut self) {
        if let KernelBtfBytes::Mapped { at, len } = *self {
            // SAFETY: unmaps exactly the mapping `read_kernel_btf` made;
            // no slice of it outlives `self`.
            unsafe { libc::munmap(at, len) };
        }
    }
}

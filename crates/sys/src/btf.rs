//! Loading BTF into the kernel (`BPF_BTF_LOAD`). A program with
//! subprograms, such as the callbacks `bpf_loop` calls, must describe its
//! functions in BTF when it is loaded; the blob itself is built elsewhere.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

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

//! The executable mappings a process makes, as the kernel reports them to
//! a perf event (`PERF_RECORD_MMAP`): the executable at `exec`, the
//! dynamic linker, every library, every `dlopen`. Kept by the tracer, they
//! let a process's addresses resolve after it has exited, when
//! `/proc/PID/maps` is gone (`perf record` keeps them for the same reason).

use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::{fence, AtomicU64, Ordering};

use crate::syscall::{self, PerfEventAttr};
use crate::{Error, Result};

const PERF_TYPE_SOFTWARE: u32 = 1;
/// `PERF_COUNT_SW_DUMMY`: counts nothing, carries side-band records.
const COUNT_SW_DUMMY: u64 = 9;
const FLAG_DISABLED: u64 = 1 << 0;
/// `mmap`: a record for each executable mapping.
const FLAG_MMAP: u64 = 1 << 8;
const FLAG_ENABLE_ON_EXEC: u64 = 1 << 12;
const PERF_RECORD_MMAP: u32 = 1;
/// Data pages of the ring: a process maps tens of files, each record a
/// path and 40 bytes; the tracer drains it every event-loop pass.
const DATA_PAGES: usize = 16;
/// Offsets in `struct perf_event_mmap_page`.
const DATA_HEAD: usize = 1024;
const DATA_TAIL: usize = 1032;

/// One executable mapping.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MappingRecord {
    pub pid: u32,
    pub start: u64,
    pub len: u64,
    /// File offset mapped at `start`.
    pub offset: u64,
    /// As the process names the file.
    pub path: String,
}

/// Perf events that report one process's executable mappings, with the
/// ring buffers they arrive in: one per CPU, inherited by every thread and
/// child the process makes (the kernel reports a mapping to the events of
/// the thread that makes it, and will not map the ring of an inherited
/// event that follows a task across CPUs).
pub struct MappingTracker {
    rings: Vec<Ring>,
}

/// One CPU's event and its mapped ring: the metadata page, then
/// `DATA_PAGES` of records.
struct Ring {
    _fd: OwnedFd,
    base: *mut u8,
    page_size: usize,
}

// SAFETY: each mapping is owned by its ring and only read (and its tail
// written) through `&mut self` or at drop; moving the tracker between
// threads moves that ownership.
unsafe impl Send for MappingTracker {}

const FLAG_INHERIT: u64 = 1 << 1;

impl MappingTracker {
    /// Track process `pid` and what it starts, from now on, or from its
    /// next `execve` when `from_exec` (a child paused before running its
    /// command).
    pub fn open(pid: u32, from_exec: bool) -> Result<MappingTracker> {
        let mut flags = FLAG_MMAP | FLAG_INHERIT;
        if from_exec {
            flags |= FLAG_DISABLED | FLAG_ENABLE_ON_EXEC;
        }
        let attr = PerfEventAttr {
            type_: PERF_TYPE_SOFTWARE,
            config: COUNT_SW_DUMMY,
            flags,
            ..Default::default()
        };
        let page_size = syscall::page_size();
        let mut rings = Vec::new();
        for cpu in crate::cpu::online_cpus()? {
            let fd = syscall::perf_event_open(&attr, pid as i32, cpu as i32).map_err(|errno| {
                Error::os("perf_event_open", errno)
                    .with_explanation(format!("tracking the mappings of process {pid}"))
            })?;
            let base = syscall::mmap_shared(
                fd.as_fd(),
                (1 + DATA_PAGES) * page_size,
                libc::PROT_READ | libc::PROT_WRITE,
                0,
            )
            .map_err(|errno| Error::os("mmap perf ring buffer", errno))?;
            rings.push(Ring {
                _fd: fd,
                base,
                page_size,
            });
        }
        Ok(MappingTracker { rings })
    }

    /// Every record that arrived since the last call.
    pub fn read(&mut self) -> Vec<MappingRecord> {
        let mut out = Vec::new();
        for ring in &mut self.rings {
            ring.read(&mut out);
        }
        out
    }
}

impl Ring {
    fn read(&mut self, out: &mut Vec<MappingRecord>) {
        let data_len = (DATA_PAGES * self.page_size) as u64;
        // SAFETY: the metadata page is mapped for the ring's life;
        // `data_head` and `data_tail` are 8-byte aligned u64s in it, which
        // the kernel updates concurrently, hence atomics.
        let (head, tail) = unsafe {
            (
                &*(self.base.add(DATA_HEAD) as *const AtomicU64),
                &*(self.base.add(DATA_TAIL) as *const AtomicU64),
            )
        };
        let end = head.load(Ordering::Acquire);
        let mut at = tail.load(Ordering::Relaxed);
        // Copies out of memory the kernel writes to: never a reference
        // into it. Records may wrap past the end of the data area.
        let copy = |from: u64, len: u64| -> Vec<u8> {
            (from..from + len)
                .map(|pos| {
                    let offset = self.page_size + (pos % data_len) as usize;
                    // SAFETY: `offset` is inside the data pages of the
                    // mapping, which live as long as the ring.
                    unsafe { std::ptr::read_volatile(self.base.add(offset)) }
                })
                .collect()
        };
        while at + 8 <= end {
            let header = copy(at, 8);
            let kind = u32::from_le_bytes(header[..4].try_into().expect("4 bytes"));
            let size = u64::from(u16::from_le_bytes(
                header[6..8].try_into().expect("2 bytes"),
            ));
            if size < 8 || at + size > end {
                break;
            }
            if kind == PERF_RECORD_MMAP {
                out.extend(parse_mmap(&copy(at + 8, size - 8)));
            }
            at += size;
        }
        fence(Ordering::Release);
        tail.store(at, Ordering::Release);
    }
}

impl Drop for Ring {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the ring mapped in `open`; nothing refers
        // into it after `read` returns.
        unsafe { syscall::munmap(self.base, (1 + DATA_PAGES) * self.page_size) };
    }
}

/// `struct { u32 pid, tid; u64 addr, len, pgoff; char filename[]; }`.
fn parse_mmap(body: &[u8]) -> Option<MappingRecord> {
    let u32_at = |at: usize| Some(u32::from_le_bytes(body.get(at..at + 4)?.try_into().ok()?));
    let u64_at = |at: usize| Some(u64::from_le_bytes(body.get(at..at + 8)?.try_into().ok()?));
    let name = body.get(32..)?;
    let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
    Some(MappingRecord {
        pid: u32_at(0)?,
        start: u64_at(8)?,
        len: u64_at(16)?,
        offset: u64_at(24)?,
        path: String::from_utf8_lossy(&name[..end]).into_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_mmap_record_reads_as_its_fields() {
        let mut body = Vec::new();
        body.extend(42u32.to_le_bytes());
        body.extend(43u32.to_le_bytes());
        body.extend(0x7f00_0000_1000u64.to_le_bytes());
        body.extend(0x2000u64.to_le_bytes());
        body.extend(0x1000u64.to_le_bytes());
        body.extend(b"/usr/lib/libc.so.6\0\0\0\0\0\0");
        assert_eq!(
            parse_mmap(&body),
            Some(MappingRecord {
                pid: 42,
                start: 0x7f00_0000_1000,
                len: 0x2000,
                offset: 0x1000,
                path: "/usr/lib/libc.so.6".into(),
            })
        );
        assert_eq!(parse_mmap(&body[..20]), None);
    }
}

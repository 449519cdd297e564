//! The user-space side of a `BPF_MAP_TYPE_RINGBUF`: read records in place
//! and hand them to a callback, then release their space to the kernel.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use crate::syscall;
use crate::{Error, Map, MapType, Poller, Result};

/// The record is still being written; stop here.
const BUSY_BIT: u32 = 1 << 31;
/// The producer discarded the record; skip it.
const DISCARD_BIT: u32 = 1 << 30;
const HEADER_LEN: usize = 8;

/// A consumer of one ring buffer map. Records are read zero-copy from the
/// shared mapping; the space of each is returned to the producer after the
/// callback sees it.
pub struct RingBuf {
    /// A duplicate of the map's descriptor: the mappings and epoll need it
    /// no matter how long the `Map` lives.
    fd: OwnedFd,
    poller: Poller,
    /// One page, read-write: `consumer_pos` at offset 0.
    consumer: *mut u8,
    /// Read-only: `producer_pos` at offset 0, data from one page on, mapped
    /// twice back to back so a record that wraps is contiguous.
    producer: *mut u8,
    page_size: usize,
    data_len: usize,
}

impl RingBuf {
    pub fn new(map: &Map) -> Result<RingBuf> {
        if map.spec().map_type != MapType::RingBuf {
            return Err(Error::invalid(
                "ring buffer",
                format!("map `{}` is not a ring buffer", map.name()),
            ));
        }
        let data_len = map.spec().max_entries as usize;
        if !data_len.is_power_of_two() {
            return Err(Error::invalid(
                "ring buffer",
                format!("size {data_len} is not a power of two"),
            ));
        }
        let fd = map
            .fd()
            .try_clone_to_owned()
            .map_err(|e| Error::from_io("dup ring buffer fd", &e))?;
        let page_size = syscall::page_size();
        let consumer =
            syscall::mmap_shared(fd.as_fd(), page_size, libc::PROT_READ | libc::PROT_WRITE, 0)
                .map_err(|errno| Error::os("mmap ring buffer consumer page", errno))?;
        let producer = match syscall::mmap_shared(
            fd.as_fd(),
            page_size + 2 * data_len,
            libc::PROT_READ,
            page_size,
        ) {
            Ok(p) => p,
            Err(errno) => {
                // SAFETY: `consumer` was just mapped with this length and is
                // not yet shared with anything.
                unsafe { syscall::munmap(consumer, page_size) };
                return Err(Error::os("mmap ring buffer data", errno));
            }
        };
        let poller = Poller::new()?;
        let ring = RingBuf {
            fd,
            poller,
            consumer,
            producer,
            page_size,
            data_len,
        };
        ring.poller.add(ring.fd.as_fd(), 0)?;
        Ok(ring)
    }

    /// The descriptor to wait on: readable when records are available.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    fn consumer_pos(&self) -> &AtomicU64 {
        // SAFETY: `consumer` is a live, page-aligned, read-write mapping at
        // least 8 bytes long, shared with the kernel, which only reads it.
        unsafe { &*(self.consumer as *const AtomicU64) }
    }

    fn producer_pos(&self) -> &AtomicU64 {
        // SAFETY: `producer` is a live, page-aligned mapping at least 8 bytes
        // long; the kernel writes it atomically, we only load it.
        unsafe { &*(self.producer as *const AtomicU64) }
    }

    /// Hand every complete record to `on_record`, in order, and return how
    /// many there were. Stops at a record still being written.
    pub fn consume(&mut self, mut on_record: impl FnMut(&[u8])) -> Result<usize> {
        let mask = (self.data_len - 1) as u64;
        let mut consumed = 0;
        let mut cons = self.consumer_pos().load(Ordering::Acquire);
        loop {
            let mut progressed = false;
            let prod = self.producer_pos().load(Ordering::Acquire);
            while cons < prod {
                let offset = (cons & mask) as usize;
                // SAFETY: offset < data_len, and the data area starts one page
                // into a mapping of page_size + 2 * data_len bytes; headers are
                // 8-aligned, so this is an aligned, live u32.
                let header =
                    unsafe { &*(self.producer.add(self.page_size + offset) as *const AtomicU32) };
                let word = header.load(Ordering::Acquire);
                if word & BUSY_BIT != 0 {
                    return Ok(consumed);
                }
                let len = (word & !(BUSY_BIT | DISCARD_BIT)) as usize;
                if len > self.data_len - HEADER_LEN {
                    return Err(Error::invalid(
                        "ring buffer",
                        format!("record of {len} bytes in a {}-byte buffer", self.data_len),
                    ));
                }
                if word & DISCARD_BIT == 0 {
                    // SAFETY: the record starts 8 bytes after its header and is
                    // `len` bytes long; since data is mapped twice, offset + 8 +
                    // len < 2 * data_len stays inside the mapping even when the
                    // record wraps. The producer does not touch committed records
                    // until we advance consumer_pos below.
                    let record = unsafe {
                        std::slice::from_raw_parts(
                            self.producer.add(self.page_size + offset + HEADER_LEN),
                            len,
                        )
                    };
                    on_record(record);
                    consumed += 1;
                }
                cons += (len + HEADER_LEN).next_multiple_of(8) as u64;
                self.consumer_pos().store(cons, Ordering::Release);
                progressed = true;
            }
            if !progressed {
                return Ok(consumed);
            }
        }
    }

    /// Wait up to `timeout_ms` (-1: forever) for records, then consume them.
    pub fn poll(&mut self, timeout_ms: i32, on_record: impl FnMut(&[u8])) -> Result<usize> {
        let mut ready = Vec::new();
        self.poller.wait(timeout_ms, &mut ready)?;
        self.consume(on_record)
    }

    /// True when the producer has written past what we consumed.
    pub fn has_data(&self) -> bool {
        self.producer_pos().load(Ordering::Acquire) > self.consumer_pos().load(Ordering::Acquire)
    }
}

impl Drop for RingBuf {
    fn drop(&mut self) {
        // SAFETY: both ranges were mapped in `new` with these lengths, and no
        // reference into them outlives `self` (records are lent to callbacks
        // only during `consume`).
        unsafe {
            syscall::munmap(self.consumer, self.page_size);
            syscall::munmap(self.producer, self.page_size + 2 * self.data_len);
        }
    }
}

// SAFETY: the mappings are owned exclusively by this value and accessed only
// through `&mut self` (consume) or atomics; moving it to another thread is
// as sound as moving the descriptors.
unsafe impl Send for RingBuf {}

impl std::fmt::Debug for RingBuf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RingBuf")
            .field("data_len", &self.data_len)
            .finish()
    }
}

//! The 512-byte BPF stack: slots for variables, keys, values and event
//! records, allocated downwards from the frame pointer and released in
//! stack order after each statement.

/// The kernel's limit for one BPF program's stack.
pub const STACK_LIMIT: u32 = 512;

#[derive(Default)]
pub struct Frame {
    used: u32,
    peak: u32,
}

/// A point to release back to.
#[derive(Clone, Copy)]
pub struct Mark(u32);

impl Frame {
    /// A slot of `size` bytes (rounded up to 8), as an offset from r10.
    /// Slots beyond the limit are handed out anyway and reported by `peak`,
    /// so the caller can say how much the script needs.
    pub fn alloc(&mut self, size: u32) -> i16 {
        self.used += size.next_multiple_of(8).max(8);
        self.peak = self.peak.max(self.used);
        -(self.used.min(i16::MAX as u32) as i16)
    }

    pub fn mark(&self) -> Mark {
        Mark(self.used)
    }

    pub fn release(&mut self, mark: Mark) {
        self.used = mark.0;
    }

    pub fn peak(&self) -> u32 {
        self.peak
    }
}

//! A program's working memory: slots for variables, keys, values and event
//! records, allocated in stack order and released after each statement.
//!
//! The memory is the 512-byte BPF stack when the program fits in it.
//! Otherwise large slots move to a per-CPU scratch map value of up to
//! 32 KiB (big strings need that), addressed from a register that holds
//! the value's address, while small slots stay on the stack.

use sonde_isa::{Reg, R10};

/// The kernel's limit for one BPF program's stack.
pub const STACK_LIMIT: u32 = 512;

/// The largest per-CPU map value the kernel allocates (`PCPU_MIN_UNIT_SIZE`),
/// and so the largest scratch memory a program can have; it is also the
/// reach of an instruction's 16-bit offset.
pub const SCRATCH_LIMIT: u32 = 32 * 1024;

/// bpftrace's `on_stack_limit`: in scratch mode, slots up to this size still
/// go on the stack, where the verifier keeps track of the values in them
/// (a loop counter in scratch memory would make every loop unbounded).
pub const ON_STACK_LIMIT: u32 = 32;

/// Where the slots of a frame live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Base {
    Stack,
    /// Slots larger than `on_stack` bytes in scratch memory addressed from
    /// register `reg`; the rest on the stack.
    Scratch {
        reg: Reg,
        on_stack: u32,
    },
}

/// A place in a program's memory: `off` bytes from register `reg` (`r10`
/// for the stack).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    pub reg: Reg,
    pub off: i16,
}

/// `slot + n` is the slot `n` bytes further on.
impl std::ops::Add<i16> for Slot {
    type Output = Slot;

    fn add(self, delta: i16) -> Slot {
        // Past the reach of an offset the program is refused for its size
        // (see `Frame`), so the offset only has to stay a number.
        Slot {
            reg: self.reg,
            off: self.off.saturating_add(delta),
        }
    }
}

#[derive(Debug)]
pub struct Frame {
    base: Base,
    stack: u32,
    stack_peak: u32,
    scratch: u32,
    scratch_peak: u32,
}

/// A point to release back to.
#[derive(Clone, Copy)]
pub struct Mark(u32, u32);

impl Frame {
    pub fn new(base: Base) -> Frame {
        Frame {
            base,
            stack: 0,
            stack_peak: 0,
            scratch: 0,
            scratch_peak: 0,
        }
    }

    pub fn base(&self) -> Base {
        self.base
    }

    /// The frame of a callback (a loop body) called while this frame's
    /// slots are in use: a stack of its own, and the scratch memory after
    /// what this frame uses now (a callback reaches the same scratch
    /// memory as its caller, through its own copy of the register).
    pub fn nested(&self) -> Frame {
        Frame {
            base: self.base,
            stack: 0,
            stack_peak: 0,
            scratch: self.scratch,
            scratch_peak: self.scratch,
        }
    }

    /// Count a finished callback's scratch memory in this frame's peak.
    pub fn absorb(&mut self, callee: &Frame) {
        self.scratch_peak = self.scratch_peak.max(callee.scratch_peak);
    }

    /// A slot of `size` bytes (rounded up to 8). Slots beyond the limits
    /// are handed out anyway and reported by the peaks, so the caller can
    /// say how much the script needs.
    pub fn alloc(&mut self, size: u32) -> Slot {
        let size = size.next_multiple_of(8).max(8);
        match self.base {
            Base::Scratch { reg, on_stack } if size > on_stack => {
                let at = self.scratch;
                self.scratch += size;
                self.scratch_peak = self.scratch_peak.max(self.scratch);
                Slot {
                    reg,
                    off: at.min(i16::MAX as u32) as i16,
                }
            }
            _ => {
                self.stack += size;
                self.stack_peak = self.stack_peak.max(self.stack);
                Slot {
                    reg: R10,
                    off: -(self.stack.min(i16::MAX as u32) as i16),
                }
            }
        }
    }

    /// An 8-byte slot on the stack, for a spilled register.
    pub fn alloc_temp(&mut self) -> Slot {
        self.alloc_stack(8)
    }

    /// A slot on the stack whatever its size (what a helper takes only from
    /// the stack, such as `bpf_loop`'s context).
    pub fn alloc_stack(&mut self, size: u32) -> Slot {
        self.stack += size.next_multiple_of(8).max(8);
        self.stack_peak = self.stack_peak.max(self.stack);
        Slot {
            reg: R10,
            off: -(self.stack.min(i16::MAX as u32) as i16),
        }
    }

    pub fn mark(&self) -> Mark {
        Mark(self.stack, self.scratch)
    }

    pub fn release(&mut self, mark: Mark) {
        self.stack = mark.0;
        self.scratch = mark.1;
    }

    /// The most stack in use at once.
    pub fn stack_peak(&self) -> u32 {
        self.stack_peak
    }

    /// The most scratch memory in use at once.
    pub fn scratch_peak(&self) -> u32 {
        self.scratch_peak
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stack_slots_grow_down_and_large_scratch_slots_up() {
        let mut stack = Frame::new(Base::Stack);
        assert_eq!(stack.alloc(3), Slot { reg: R10, off: -8 });
        let mark = stack.mark();
        assert_eq!(stack.alloc(64).off, -72);
        stack.release(mark);
        assert_eq!(stack.alloc(8).off, -16);
        assert_eq!((stack.stack_peak(), stack.scratch_peak()), (72, 0));

        let mut scratch = Frame::new(Base::Scratch {
            reg: 9,
            on_stack: ON_STACK_LIMIT,
        });
        assert_eq!(scratch.alloc(3), Slot { reg: R10, off: -8 });
        assert_eq!(scratch.alloc(1024), Slot { reg: 9, off: 0 });
        assert_eq!(scratch.alloc(40), Slot { reg: 9, off: 1024 });
        assert_eq!(scratch.alloc_temp(), Slot { reg: R10, off: -16 });
        assert_eq!((scratch.stack_peak(), scratch.scratch_peak()), (16, 1064));
    }
}

//! The `struct pt_regs` of the architecture the programs run on: where each
//! register sits in a kprobe/uprobe context, and which registers carry a
//! function's arguments and return value. One table per architecture; the
//! build picks the host's, since BPF programs run on the machine that
//! loads them.

/// A calling convention over a `pt_regs` layout.
pub struct Abi {
    /// `(name, byte offset)` of every register in `pt_regs`.
    pub regs: &'static [(&'static str, i16)],
    /// Integer argument registers in order.
    pub args: &'static [&'static str],
    /// The return value register.
    pub ret: &'static str,
    /// The stack pointer.
    pub sp: &'static str,
    /// The instruction pointer.
    pub ip: &'static str,
    /// Bytes between the stack pointer at function entry and the first
    /// argument passed on the stack (x86-64 has the return address there).
    pub stack_args_at: i32,
}

#[cfg(target_arch = "x86_64")]
pub const ABI: Abi = Abi {
    regs: &[
        ("r15", 0),
        ("r14", 8),
        ("r13", 16),
        ("r12", 24),
        ("bp", 32),
        ("bx", 40),
        ("r11", 48),
        ("r10", 56),
        ("r9", 64),
        ("r8", 72),
        ("ax", 80),
        ("cx", 88),
        ("dx", 96),
        ("si", 104),
        ("di", 112),
        ("orig_ax", 120),
        ("ip", 128),
        ("cs", 136),
        ("flags", 144),
        ("sp", 152),
        ("ss", 160),
    ],
    args: &["di", "si", "dx", "cx", "r8", "r9"],
    ret: "ax",
    sp: "sp",
    ip: "ip",
    stack_args_at: 8,
};

#[cfg(target_arch = "aarch64")]
pub const ABI: Abi = Abi {
    regs: &[
        ("x0", 0),
        ("x1", 8),
        ("x2", 16),
        ("x3", 24),
        ("x4", 32),
        ("x5", 40),
        ("x6", 48),
        ("x7", 56),
        ("x8", 64),
        ("x9", 72),
        ("x10", 80),
        ("x11", 88),
        ("x12", 96),
        ("x13", 104),
        ("x14", 112),
        ("x15", 120),
        ("x16", 128),
        ("x17", 136),
        ("x18", 144),
        ("x19", 152),
        ("x20", 160),
        ("x21", 168),
        ("x22", 176),
        ("x23", 184),
        ("x24", 192),
        ("x25", 200),
        ("x26", 208),
        ("x27", 216),
        ("x28", 224),
        ("x29", 232),
        ("x30", 240),
        ("sp", 248),
        ("pc", 256),
    ],
    args: &["x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7"],
    ret: "x0",
    sp: "sp",
    ip: "pc",
    stack_args_at: 0,
};

impl Abi {
    /// Byte offset of register `name` in `pt_regs`.
    pub fn offset(&self, name: &str) -> Option<i16> {
        self.regs
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(_, off)| off)
    }

    /// Where argument `n` is: `Ok(register offset)` or `Err(byte offset
    /// from the stack pointer)` for arguments passed on the stack.
    pub fn arg(&self, n: u8) -> Result<i16, i32> {
        match self.args.get(n as usize) {
            Some(reg) => Ok(self
                .offset(reg)
                .expect("argument registers are in the table")),
            None => Err(self.stack_args_at + 8 * (n as i32 - self.args.len() as i32)),
        }
    }
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;

    #[test]
    fn x86_64_arguments() {
        assert_eq!(ABI.arg(0), Ok(112));
        assert_eq!(ABI.arg(5), Ok(64));
        assert_eq!(ABI.arg(6), Err(8));
        assert_eq!(ABI.arg(7), Err(16));
        assert_eq!(ABI.offset(ABI.ret), Some(80));
        assert_eq!(ABI.offset("nope"), None);
    }
}

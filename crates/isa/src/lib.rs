//! eBPF instructions: the 8-byte encoding, constructors for the forms the
//! code generator emits, decoding, and a disassembler in the kernel
//! verifier's syntax.
//!
//! This crate owns nothing but the instruction set. It must not know about
//! maps, programs, probes or the kernel: the code generator builds `Insn`s,
//! the kernel layer ships their bytes, and diagnostics print them.

mod disasm;
pub mod helper;
pub mod op;

pub use disasm::{disassemble, disassemble_one};

/// A register number, `r0`..`r10`.
pub type Reg = u8;

pub const R0: Reg = 0;
pub const R1: Reg = 1;
pub const R2: Reg = 2;
pub const R3: Reg = 3;
pub const R4: Reg = 4;
pub const R5: Reg = 5;
pub const R6: Reg = 6;
pub const R7: Reg = 7;
pub const R8: Reg = 8;
pub const R9: Reg = 9;
/// The read-only frame pointer.
pub const R10: Reg = 10;

/// `src_reg` of a `ld_imm64` whose immediate is a map file descriptor.
pub const PSEUDO_MAP_FD: u8 = 1;
/// `src_reg` of a `ld_imm64` whose immediate is a map fd and whose second
/// half is an offset into the map's first value (global data).
pub const PSEUDO_MAP_VALUE: u8 = 2;

/// `src_reg` of a `ld_imm64` whose immediate is the BTF id of a kernel
/// variable (in vmlinux when the second half is 0, else in the module
/// BTF object of that fd): the verifier puts the variable's address.
pub const PSEUDO_BTF_ID: u8 = 3;

/// `src_reg` of a `ld_imm64` whose immediate is the offset of a
/// subprogram from the next instruction (a callback for `bpf_loop`).
pub const PSEUDO_FUNC: u8 = 4;

/// One eBPF instruction slot. A 64-bit immediate load takes two slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Insn {
    pub code: u8,
    pub dst: Reg,
    pub src: Reg,
    pub off: i16,
    pub imm: i32,
}

/// Operand size of loads and stores.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    B,
    H,
    W,
    DW,
}

impl Size {
    pub fn bits(self) -> u8 {
        match self {
            Size::B => op::B,
            Size::H => op::H,
            Size::W => op::W,
            Size::DW => op::DW,
        }
    }

    pub fn bytes(self) -> usize {
        match self {
            Size::B => 1,
            Size::H => 2,
            Size::W => 4,
            Size::DW => 8,
        }
    }

    /// The size for an access of `bytes` bytes, if it is a power of two up to 8.
    pub fn from_bytes(bytes: usize) -> Option<Size> {
        match bytes {
            1 => Some(Size::B),
            2 => Some(Size::H),
            4 => Some(Size::W),
            8 => Some(Size::DW),
            _ => None,
        }
    }
}

impl Insn {
    pub const fn new(code: u8, dst: Reg, src: Reg, off: i16, imm: i32) -> Insn {
        Insn {
            code,
            dst,
            src,
            off,
            imm,
        }
    }

    /// The little-endian wire form the kernel expects.
    pub fn encode(&self) -> [u8; 8] {
        let mut b = [0u8; 8];
        b[0] = self.code;
        b[1] = (self.dst & 0x0f) | (self.src << 4);
        b[2..4].copy_from_slice(&self.off.to_le_bytes());
        b[4..8].copy_from_slice(&self.imm.to_le_bytes());
        b
    }

    pub fn decode(b: [u8; 8]) -> Insn {
        Insn {
            code: b[0],
            dst: b[1] & 0x0f,
            src: b[1] >> 4,
            off: i16::from_le_bytes([b[2], b[3]]),
            imm: i32::from_le_bytes([b[4], b[5], b[6], b[7]]),
        }
    }

    pub fn class(&self) -> u8 {
        self.code & 0x07
    }

    /// True for the first slot of a two-slot `ld_imm64`.
    pub fn is_ld_imm64(&self) -> bool {
        self.code == op::LD | op::IMM | op::DW
    }

    pub fn alu64_imm(alu: u8, dst: Reg, imm: i32) -> Insn {
        Insn::new(op::ALU64 | alu | op::K, dst, 0, 0, imm)
    }

    pub fn alu64_reg(alu: u8, dst: Reg, src: Reg) -> Insn {
        Insn::new(op::ALU64 | alu | op::X, dst, src, 0, 0)
    }

    pub fn alu32_imm(alu: u8, dst: Reg, imm: i32) -> Insn {
        Insn::new(op::ALU | alu | op::K, dst, 0, 0, imm)
    }

    pub fn alu32_reg(alu: u8, dst: Reg, src: Reg) -> Insn {
        Insn::new(op::ALU | alu | op::X, dst, src, 0, 0)
    }

    /// Signed division/modulo (`off = 1`, kernel 6.6+ cpu v4).
    pub fn alu64_reg_signed(alu: u8, dst: Reg, src: Reg) -> Insn {
        Insn::new(op::ALU64 | alu | op::X, dst, src, 1, 0)
    }

    pub fn mov64_imm(dst: Reg, imm: i32) -> Insn {
        Insn::alu64_imm(op::MOV, dst, imm)
    }

    pub fn mov64_reg(dst: Reg, src: Reg) -> Insn {
        Insn::alu64_reg(op::MOV, dst, src)
    }

    pub fn neg64(dst: Reg) -> Insn {
        Insn::new(op::ALU64 | op::NEG | op::K, dst, 0, 0, 0)
    }

    /// Byte swap to little/big endian (`to_be` selects `BPF_TO_BE`).
    pub fn endian(dst: Reg, bits: i32, to_be: bool) -> Insn {
        let src_bit = if to_be { op::X } else { op::K };
        Insn::new(op::ALU | op::END | src_bit, dst, 0, 0, bits)
    }

    /// `dst = imm` for a full 64-bit immediate: two slots.
    pub fn ld_imm64(dst: Reg, imm: u64) -> [Insn; 2] {
        [
            Insn::new(op::LD | op::IMM | op::DW, dst, 0, 0, imm as u32 as i32),
            Insn::new(0, 0, 0, 0, (imm >> 32) as u32 as i32),
        ]
    }

    /// `dst = map` by file descriptor: two slots; `fd` is patched at load time.
    pub fn ld_map_fd(dst: Reg, fd: i32) -> [Insn; 2] {
        [
            Insn::new(op::LD | op::IMM | op::DW, dst, PSEUDO_MAP_FD, 0, fd),
            Insn::new(0, 0, 0, 0, 0),
        ]
    }

    /// `dst = &var`, the kernel variable whose vmlinux BTF id is `id`: two
    /// slots.
    pub fn ld_btf_id(dst: Reg, id: u32) -> [Insn; 2] {
        [
            Insn::new(op::LD | op::IMM | op::DW, dst, PSEUDO_BTF_ID, 0, id as i32),
            Insn::new(0, 0, 0, 0, 0),
        ]
    }

    /// `dst = address of the subprogram` starting `off` instructions after
    /// the second slot: two slots.
    pub fn ld_func(dst: Reg, off: i32) -> [Insn; 2] {
        [
            Insn::new(op::LD | op::IMM | op::DW, dst, PSEUDO_FUNC, 0, off),
            Insn::new(0, 0, 0, 0, 0),
        ]
    }

    /// `dst = *(size *)(src + off)`
    pub fn ldx(size: Size, dst: Reg, src: Reg, off: i16) -> Insn {
        Insn::new(op::LDX | op::MEM | size.bits(), dst, src, off, 0)
    }

    /// `*(size *)(dst + off) = src`
    pub fn stx(size: Size, dst: Reg, off: i16, src: Reg) -> Insn {
        Insn::new(op::STX | op::MEM | size.bits(), dst, src, off, 0)
    }

    /// `*(size *)(dst + off) = imm`
    pub fn st_imm(size: Size, dst: Reg, off: i16, imm: i32) -> Insn {
        Insn::new(op::ST | op::MEM | size.bits(), dst, 0, off, imm)
    }

    /// `lock *(size *)(dst + off) += src` (size W or DW).
    pub fn atomic_add(size: Size, dst: Reg, off: i16, src: Reg) -> Insn {
        Insn::new(
            op::STX | op::ATOMIC | size.bits(),
            dst,
            src,
            off,
            op::ADD as i32,
        )
    }

    /// `if dst <jmp> imm goto pc+off`
    pub fn jmp_imm(jmp: u8, dst: Reg, imm: i32, off: i16) -> Insn {
        Insn::new(op::JMP | jmp | op::K, dst, 0, off, imm)
    }

    /// `if dst <jmp> src goto pc+off`
    pub fn jmp_reg(jmp: u8, dst: Reg, src: Reg, off: i16) -> Insn {
        Insn::new(op::JMP | jmp | op::X, dst, src, off, 0)
    }

    pub fn ja(off: i16) -> Insn {
        Insn::new(op::JMP | op::JA, 0, 0, off, 0)
    }

    /// Call helper function number `helper`.
    pub fn call(helper: i32) -> Insn {
        Insn::new(op::JMP | op::CALL, 0, 0, 0, helper)
    }

    pub fn exit() -> Insn {
        Insn::new(op::JMP | op::EXIT, 0, 0, 0, 0)
    }
}

/// Serialise a program for `BPF_PROG_LOAD`.
pub fn encode_all(insns: &[Insn]) -> Vec<u8> {
    insns.iter().flat_map(|i| i.encode()).collect()
}

/// Parse a byte stream of instructions; a trailing partial slot is ignored.
pub fn decode_all(bytes: &[u8]) -> Vec<Insn> {
    bytes
        .chunks_exact(8)
        .map(|c| Insn::decode(c.try_into().expect("chunks_exact yields 8 bytes")))
        .collect()
}

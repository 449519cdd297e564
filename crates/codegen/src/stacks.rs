//! Stacks and symbols: `kstack`/`ustack` as stack ids in stack-trace maps
//! (`bpf_get_stackid`), `ksym`/`usym` values, and `uaddr` of a symbol in a
//! position-independent file.

use sonde_isa::{helper, op, Insn, Size, R0, R1, R2, R3, R4, R6};
use sonde_lang::sema::typed::{TExpr, TExprKind};
use sonde_lang::sema::types::{StackType, Type};

use crate::frame::Slot;
use crate::object::{stack_map_name, MapDef, MapKind, RelocKind};
use crate::program::{ProgramCompiler, Result};
use crate::regs::ABI;

/// `bpf_get_stackid` flag: the user-space stack rather than the kernel's.
const BPF_F_USER_STACK: i32 = 1 << 8;

/// `bpf_get_stack` flag: frames as `struct bpf_stack_build_id`.
const BPF_F_USER_BUILD_ID: i32 = 1 << 11;

/// Distinct stacks a stack-trace map holds.
const STACK_MAP_ENTRIES: u32 = 4096;

/// Bytes of a `struct bpf_stack_build_id`, one frame of a build-id stack.
const BUILD_ID_FRAME_SIZE: u32 = 32;

pub fn stack_map_def(user: bool, limit: u32, build_id: bool) -> MapDef {
    let (kind, frame) = if build_id {
        (MapKind::StackTraceBuildId, BUILD_ID_FRAME_SIZE)
    } else {
        (MapKind::StackTrace, 8)
    };
    MapDef {
        name: stack_map_name(user, limit, build_id),
        kind,
        key_size: 4,
        value_size: frame * limit,
        max_entries: STACK_MAP_ENTRIES,
    }
}

impl ProgramCompiler<'_> {
    /// Store a stack or symbol value at `dst` in `ty`'s layout.
    pub fn place_symbolic(&mut self, e: &TExpr, dst: Slot, ty: &Type) -> Result<()> {
        match &e.kind {
            TExprKind::Stack(stack) => {
                self.take_stack(*stack, dst);
                Ok(())
            }
            TExprKind::Sym { user, addr } => {
                self.scalar(addr)?;
                self.store(Size::DW, dst, R0);
                if *user {
                    self.store_pid_and_probe(dst + 8);
                    if self.probe.kind.is_user() {
                        let ip = ABI
                            .offset(ABI.ip)
                            .expect("the instruction pointer is in the table");
                        self.e.emit(Insn::ldx(Size::DW, R0, R6, ip));
                        self.store(Size::DW, dst + 16, R0);
                    } else {
                        self.store_imm(Size::DW, dst + 16, 0);
                    }
                }
                Ok(())
            }
            _ => self.place_bytes(e, dst, ty.storage_size()),
        }
    }

    fn stack_map(&mut self, user: bool, limit: u32, build_id: bool) -> usize {
        let maps = &mut self.shared.stack_maps;
        let at = maps
            .iter()
            .position(|&m| m == (user, limit, build_id))
            .unwrap_or_else(|| {
                maps.push((user, limit, build_id));
                maps.len() - 1
            });
        self.shared.stack_base + at
    }

    /// `[dst] = bpf_get_stackid(ctx, map, flags)`, and for user
    /// stacks the pid and probe after it. The id is a 32-bit number; when
    /// the program asks for `len()` of a stack, the upper half holds the
    /// depth.
    fn take_stack(&mut self, stack: StackType, dst: Slot) {
        let build_id = stack.mode == sonde_lang::sema::types::StackMode::BuildId;
        let map = self.stack_map(stack.user, stack.limit, build_id);
        self.e.emit(Insn::mov64_reg(R1, R6));
        self.e.ld_reloc(R2, RelocKind::MapFd(map));
        let flags = if stack.user { BPF_F_USER_STACK } else { 0 };
        self.e.emit(Insn::mov64_imm(R3, flags));
        self.e.call(helper::GET_STACKID);
        self.store(Size::DW, dst, R0);
        if self.program.counts_stack_frames {
            self.stack_depth(stack, build_id, dst + 4);
        }
        if stack.user {
            self.store_pid_and_probe(dst + 8);
        }
    }

    /// `[dst] = ` the depth of the stack here, as `bpf_get_stack` copies
    /// it: a stack-trace map cannot be read from BPF, so its entry cannot
    /// be counted later.
    fn stack_depth(&mut self, stack: StackType, build_id: bool, dst: Slot) {
        let frame = if build_id { BUILD_ID_FRAME_SIZE } else { 8 };
        let mark = self.frame.mark();
        let buffer = self.frame.alloc(frame * stack.limit);
        self.e.emit(Insn::mov64_reg(R1, R6));
        self.pointer_to_stack(R2, buffer);
        self.e
            .emit(Insn::mov64_imm(R3, (frame * stack.limit) as i32));
        let mut flags = if stack.user { BPF_F_USER_STACK } else { 0 };
        if build_id {
            flags |= BPF_F_USER_BUILD_ID;
        }
        self.e.emit(Insn::mov64_imm(R4, flags));
        self.e.call(helper::GET_STACK);
        // A failed walk has no frames.
        self.e.emit(Insn::jmp_imm(op::JSGE, R0, 0, 1));
        self.e.emit(Insn::mov64_imm(R0, 0));
        self.e.emit(Insn::alu64_imm(op::DIV, R0, frame as i32));
        self.store(Size::W, dst, R0);
        self.frame.release(mark);
    }

    /// r0 = the depth of stack value `e` (see [`Self::take_stack`]).
    pub fn stack_len(&mut self, e: &TExpr) -> Result<()> {
        let mark = self.frame.mark();
        let slot = self.frame.alloc(e.ty.storage_size());
        self.place_symbolic(e, slot, &e.ty)?;
        self.load(Size::W, R0, slot + 4);
        self.frame.release(mark);
        Ok(())
    }

    /// `[dst] = pid | probe index << 32`: whose address space a user
    /// address is in, and which probe (and so which file) took it.
    fn store_pid_and_probe(&mut self, dst: Slot) {
        self.e.call(helper::GET_CURRENT_PID_TGID);
        self.e.emit(Insn::alu64_imm(op::RSH, R0, 32));
        self.store(Size::W, dst, R0);
        if let Some(index) = self.probe_const {
            self.store_imm(Size::W, dst + 4, index as i32);
        } else if let [(_, index)] = self.probe.attach.as_slice() {
            self.store_imm(Size::W, dst + 4, *index as i32);
        } else {
            self.e.emit(Insn::mov64_reg(R1, R6));
            self.e.call(helper::GET_ATTACH_COOKIE);
            self.store(Size::W, dst + 4, R0);
        }
    }

    /// r0 = the run-time address of the symbol at `vaddr` of the probed
    /// file: the instruction pointer at the probe, moved back by the probe
    /// site's own address in the file.
    pub fn user_addr(&mut self, vaddr: u64, site_vaddr: u64) {
        let ip = ABI
            .offset(ABI.ip)
            .expect("the instruction pointer is in the table");
        self.e.emit(Insn::ldx(Size::DW, R0, R6, ip));
        self.e.ld_imm64(R1, vaddr.wrapping_sub(site_vaddr));
        self.e.emit(Insn::alu64_reg(op::ADD, R0, R1));
    }
}

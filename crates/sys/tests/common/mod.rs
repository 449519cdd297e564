//! Shared by the kernel tests: a tiny assembler over `sonde_isa` and leak
//! checks.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use sonde_isa::{op, Insn, Size, R0, R1, R10};
use sonde_sys::{loaded_links, loaded_maps, loaded_programs};

pub const HELPER_MAP_LOOKUP: i32 = 1;
pub const HELPER_GET_CURRENT_PID_TGID: i32 = 14;
pub const HELPER_RINGBUF_OUTPUT: i32 = 130;
pub const HELPER_GET_ATTACH_COOKIE: i32 = 174;

/// Instructions with forward jumps to a shared `r0 = 0; exit` tail.
#[derive(Default)]
pub struct Asm {
    insns: Vec<Insn>,
    exits: Vec<usize>,
}

impl Asm {
    pub fn new() -> Asm {
        Asm::default()
    }

    pub fn emit(&mut self, insn: Insn) -> &mut Asm {
        self.insns.push(insn);
        self
    }

    pub fn emit2(&mut self, pair: [Insn; 2]) -> &mut Asm {
        self.insns.extend(pair);
        self
    }

    /// A conditional jump (its `off` is patched) to the exit tail.
    pub fn jump_to_exit(&mut self, jump: Insn) -> &mut Asm {
        self.exits.push(self.insns.len());
        self.insns.push(jump);
        self
    }

    /// `if (u32)current_tid != tid goto exit`; clobbers r0-r5.
    pub fn only_thread(&mut self, tid: i32) -> &mut Asm {
        self.emit(Insn::call(HELPER_GET_CURRENT_PID_TGID));
        self.emit(Insn::alu32_reg(op::MOV, R0, R0));
        self.jump_to_exit(Insn::jmp_imm(op::JNE, R0, tid, 0))
    }

    /// `r0 = &array[index]` (u32 key) or jump to exit when absent.
    pub fn array_slot(&mut self, map_fd: i32, index: i32) -> &mut Asm {
        self.emit(Insn::st_imm(Size::W, R10, -4, index));
        self.emit(Insn::mov64_reg(sonde_isa::R2, R10));
        self.emit(Insn::alu64_imm(op::ADD, sonde_isa::R2, -4));
        self.emit2(Insn::ld_map_fd(R1, map_fd));
        self.emit(Insn::call(HELPER_MAP_LOOKUP));
        self.jump_to_exit(Insn::jmp_imm(op::JEQ, R0, 0, 0))
    }

    /// Encode, adding the exit tail unless the program already ends in
    /// `exit` with nothing jumping to the tail.
    pub fn finish(&mut self) -> Vec<u8> {
        if self.exits.is_empty() && self.insns.last() == Some(&Insn::exit()) {
            return sonde_isa::encode_all(&self.insns);
        }
        let tail = self.insns.len();
        for &at in &self.exits {
            self.insns[at].off = (tail - at - 1) as i16;
        }
        self.insns.push(Insn::mov64_imm(R0, 0));
        self.insns.push(Insn::exit());
        sonde_isa::encode_all(&self.insns)
    }
}

/// Wait (briefly: the kernel frees some objects after an RCU grace period)
/// until none of the given program, link and map ids exist.
pub fn assert_gone(progs: &[u32], links: &[u32], maps: &[u32]) {
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let p: Vec<u32> = loaded_programs()
            .unwrap()
            .into_iter()
            .map(|i| i.id)
            .filter(|id| progs.contains(id))
            .collect();
        let l: Vec<u32> = loaded_links()
            .unwrap()
            .into_iter()
            .map(|i| i.id)
            .filter(|id| links.contains(id))
            .collect();
        let m: Vec<u32> = loaded_maps()
            .unwrap()
            .into_iter()
            .map(|i| i.id)
            .filter(|id| maps.contains(id))
            .collect();
        if p.is_empty() && l.is_empty() && m.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "still loaded: programs {p:?}, links {l:?}, maps {m:?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

pub fn getppid_times(n: usize) -> u32 {
    let mut last = 0;
    for _ in 0..n {
        last = std::os::unix::process::parent_id();
    }
    last
}

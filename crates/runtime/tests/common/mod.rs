//! Hand-built objects for the session tests: a small assembler that records
//! relocations, and a thread that makes syscalls on cue.
#![allow(dead_code)]

use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use sonde_codegen::object::{Reloc, RelocKind};
use sonde_isa::{op, Insn, Size, R0, R1, R10, R2, R3, R4};
use sonde_runtime::{RunOptions, StopHandle};

pub const HELPER_MAP_LOOKUP: i32 = 1;
pub const HELPER_MAP_UPDATE: i32 = 2;
pub const HELPER_GET_CURRENT_PID_TGID: i32 = 14;
pub const HELPER_RINGBUF_OUTPUT: i32 = 130;

#[derive(Default)]
pub struct Asm {
    pub insns: Vec<Insn>,
    pub relocs: Vec<Reloc>,
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

    /// `reg = maps[index]`, patched by the runtime.
    pub fn ld_map(&mut self, reg: u8, index: usize) -> &mut Asm {
        self.relocs.push(Reloc {
            insn: self.insns.len(),
            kind: RelocKind::MapFd(index),
        });
        self.insns.extend(Insn::ld_map_fd(reg, 0));
        self
    }

    /// `reg = <run-time value>`.
    pub fn ld_reloc(&mut self, reg: u8, kind: RelocKind) -> &mut Asm {
        self.relocs.push(Reloc {
            insn: self.insns.len(),
            kind,
        });
        self.insns.extend(Insn::ld_imm64(reg, 0));
        self
    }

    /// A forward jump; patch it with [`Asm::land`].
    pub fn jump(&mut self, insn: Insn) -> usize {
        self.insns.push(insn);
        self.insns.len() - 1
    }

    /// Make the jump at `from` land here.
    pub fn land(&mut self, from: usize) -> &mut Asm {
        self.insns[from].off = (self.insns.len() - from - 1) as i16;
        self
    }

    pub fn jump_to_exit(&mut self, insn: Insn) -> &mut Asm {
        let at = self.jump(insn);
        self.exits.push(at);
        self
    }

    /// Skip the rest unless the current thread is `tid`.
    pub fn only_thread(&mut self, tid: i32) -> &mut Asm {
        self.emit(Insn::call(HELPER_GET_CURRENT_PID_TGID));
        self.emit(Insn::alu32_reg(op::MOV, R0, R0));
        self.jump_to_exit(Insn::jmp_imm(op::JNE, R0, tid, 0))
    }

    /// Send the `len` bytes at `r10 + offset` through ring buffer map `ring`.
    pub fn output(&mut self, ring: usize, offset: i16, len: i32) -> &mut Asm {
        self.ld_map(R1, ring);
        self.emit(Insn::mov64_reg(R2, R10));
        self.emit(Insn::alu64_imm(op::ADD, R2, offset as i32));
        self.emit(Insn::mov64_imm(R3, len));
        self.emit(Insn::mov64_imm(R4, 0));
        self.emit(Insn::call(HELPER_RINGBUF_OUTPUT))
    }

    /// Send an event with no payload.
    pub fn event(&mut self, ring: usize, id: i32) -> &mut Asm {
        self.emit(Insn::st_imm(Size::DW, R10, -8, id));
        self.output(ring, -8, 8)
    }

    /// Send an event whose payload is one u64 immediate.
    pub fn event_u64(&mut self, ring: usize, id: i32, value: i32) -> &mut Asm {
        self.emit(Insn::st_imm(Size::DW, R10, -16, id));
        self.emit(Insn::st_imm(Size::DW, R10, -8, value));
        self.output(ring, -16, 16)
    }

    pub fn finish(mut self) -> (Vec<Insn>, Vec<Reloc>) {
        if self.exits.is_empty() && self.insns.last() == Some(&Insn::exit()) {
            return (self.insns, self.relocs);
        }
        let tail = self.insns.len();
        for &at in &self.exits {
            self.insns[at].off = (tail - at - 1) as i16;
        }
        self.insns.push(Insn::mov64_imm(R0, 0));
        self.insns.push(Insn::exit());
        (self.insns, self.relocs)
    }
}

/// A thread that reports its tid, waits until the session has attached,
/// makes `calls` getppid calls and then stops the session.
pub struct Trigger {
    pub tid: i32,
    attached: mpsc::Sender<()>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Trigger {
    pub fn spawn(calls: usize, stop: Option<StopHandle>) -> Trigger {
        let (tid_tx, tid_rx) = mpsc::channel();
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            tid_tx.send(sonde_sys::gettid()).unwrap();
            if go_rx.recv().is_err() {
                return;
            }
            for _ in 0..calls {
                std::hint::black_box(std::os::unix::process::parent_id());
            }
            if let Some(stop) = stop {
                stop.stop();
            }
        });
        Trigger {
            tid: tid_rx.recv().unwrap(),
            attached: go_tx,
            thread: Some(thread),
        }
    }

    /// Options whose attach callback releases this trigger.
    pub fn options(&self, stop: Option<StopHandle>) -> RunOptions {
        let go = Mutex::new(self.attached.clone());
        RunOptions {
            stop,
            on_attached: Some(Arc::new(move || {
                let _ = go.lock().unwrap().send(());
            })),
            ..RunOptions::default()
        }
    }

    pub fn join(mut self) {
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }
}

/// Run a session capturing stdout and stderr as strings.
pub fn run(
    object: &sonde_codegen::object::Object,
    opts: &RunOptions,
) -> (anyhow::Result<i32>, String, String) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let result = sonde_runtime::Session::run_with(object, opts, &mut out, &mut err);
    (
        result,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

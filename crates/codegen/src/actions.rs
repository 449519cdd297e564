//! Actions done in the program itself: `debugf` (the kernel's trace
//! buffer), `signal`, `override`.

use sonde_isa::{helper, Insn, Size, R0, R1, R2, R3, R4, R5, R6};
use sonde_lang::sema::typed::TExpr;
use sonde_lang::sema::types::Type;

use crate::program::{ProgramCompiler, Result};

/// `bpf_trace_printk` takes this many values; more go through
/// `bpf_trace_vprintk`.
const PRINTK_ARGS: usize = 3;

impl ProgramCompiler<'_> {
    /// `debugf(format, args)`: strings are passed by address, everything
    /// else as a u64, as the kernel's `%s` and integer conversions want.
    pub fn debugf(&mut self, format: &[u8], args: &[TExpr]) -> Result<()> {
        // The format with its NUL, which the helper requires.
        let size = format.len() as u32 + 1;
        let storage = size.next_multiple_of(8);
        let fmt = self.frame.alloc(storage);
        self.store_literal(format, fmt, storage);
        let values = self.frame.alloc_stack(8 * args.len().max(1) as u32);
        for (i, arg) in args.iter().enumerate() {
            let at = values + (8 * i) as i16;
            match arg.ty {
                Type::Str { .. } => {
                    let s = self.aggregate(arg)?;
                    self.pointer_to_stack(R0, s);
                }
                _ => self.scalar(arg)?,
            }
            self.store(Size::DW, at, R0);
        }
        self.pointer_to_stack(R1, fmt);
        self.e.emit(Insn::mov64_imm(R2, size as i32));
        if args.len() <= PRINTK_ARGS {
            for (i, reg) in [R3, R4, R5].into_iter().enumerate().take(args.len()) {
                self.load(Size::DW, reg, values + (8 * i) as i16);
            }
            self.e.call(helper::TRACE_PRINTK);
        } else {
            self.pointer_to_stack(R3, values);
            self.e.emit(Insn::mov64_imm(R4, (8 * args.len()) as i32));
            self.e.call(helper::TRACE_VPRINTK);
        }
        Ok(())
    }

    /// `signal(sig)`: to the current process (`bpf_send_signal`) or thread.
    pub fn signal(&mut self, sig: &TExpr, thread: bool) -> Result<()> {
        self.scalar(sig)?;
        self.e.emit(Insn::mov64_reg(R1, R0));
        self.e.call(if thread {
            helper::SEND_SIGNAL_THREAD
        } else {
            helper::SEND_SIGNAL
        });
        Ok(())
    }

    /// `override(rc)`: the probed function returns `rc`.
    pub fn override_return(&mut self, rc: &TExpr) -> Result<()> {
        self.scalar(rc)?;
        self.e.emit(Insn::mov64_reg(R2, R0));
        self.e.emit(Insn::mov64_reg(R1, R6));
        self.e.call(helper::OVERRIDE_RETURN);
        Ok(())
    }
}

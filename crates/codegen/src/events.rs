//! Records sent to user space through the ring buffer: `printf`, `print`,
//! map printing and clearing, `exit`, and the actions done in user space
//! (`system`, `cat`, `errorf`, `time`, `join`). A record is
//! `[u64 event id][payload]`.

use sonde_isa::{helper, op, Insn, Size, R0, R1, R2, R3, R4};
use sonde_lang::sema::typed::{AsyncAction, TExpr};
use sonde_lang::sema::types::Type;

use crate::frame::Slot;
use crate::layout::value_type;
use crate::object::{EventDef, RelocKind, ValueType};
use crate::program::{ProgramCompiler, Result};

/// The most strings `join()` takes from its array (bpftrace's limit).
pub const JOIN_STRINGS: u32 = 16;

impl ProgramCompiler<'_> {
    pub fn event_id(&mut self, def: EventDef) -> i32 {
        // Identical events (the same printf in several probes) share an id.
        let events = &mut self.shared.events;
        let id = events.iter().position(|e| *e == def).unwrap_or_else(|| {
            events.push(def);
            events.len() - 1
        });
        id as i32
    }

    /// Build a record with `values` laid out one after the other and send it.
    fn send(&mut self, id: i32, values: &[(&TExpr, Type)]) -> Result<()> {
        let payload: u32 = values.iter().map(|(_, t)| t.storage_size()).sum();
        let record = self.frame.alloc(8 + payload);
        self.store_imm(Size::DW, record, id);
        let mut off = 8;
        for (value, ty) in values {
            self.place(value, record + off as i16, ty)?;
            off += ty.storage_size();
        }
        self.output(record, 8 + payload);
        Ok(())
    }

    /// Send the `size` bytes of the record at `record`.
    pub fn output(&mut self, record: Slot, size: u32) {
        self.e.ld_reloc(R1, RelocKind::MapFd(self.shared.ringbuf));
        self.pointer_to_stack(R2, record);
        self.e.emit(Insn::mov64_imm(R3, size as i32));
        self.e.emit(Insn::mov64_imm(R4, 0));
        self.e.call(helper::RINGBUF_OUTPUT);
        self.count_lost_record();
    }

    /// A full ring buffer must not lose records silently: count them per CPU.
    fn count_lost_record(&mut self) {
        let sent = self.e.new_label();
        self.e.jump_imm(op::JSGE, R0, 0, sent);
        let key = self.frame.alloc(8);
        self.store_imm(Size::W, key, 0);
        self.e.ld_reloc(R1, RelocKind::MapFd(self.shared.lost));
        self.pointer_to_stack(R2, key);
        self.e.call(helper::MAP_LOOKUP_ELEM);
        self.e.jump_imm(op::JEQ, R0, 0, sent);
        self.e.emit(Insn::ldx(Size::DW, R1, R0, 0));
        self.e.emit(Insn::alu64_imm(op::ADD, R1, 1));
        self.e.emit(Insn::stx(Size::DW, R0, 0, R1));
        self.e.bind(sent);
    }

    pub fn printf(&mut self, format: &[u8], args: &[TExpr]) -> Result<()> {
        self.formatted(args, |args| EventDef::Printf {
            format: format.to_vec(),
            args,
        })
    }

    /// Send `args` laid out one after another, with the event `make`
    /// builds from their layout.
    pub fn formatted(
        &mut self,
        args: &[TExpr],
        make: impl FnOnce(Vec<(u32, ValueType)>) -> EventDef,
    ) -> Result<()> {
        let types: Vec<Type> = args.iter().map(|a| stored(&a.ty)).collect();
        let offsets = Type::tuple_offsets(&types);
        let def = make(
            offsets
                .into_iter()
                .zip(&types)
                .map(|(off, t)| (off, value_type(t)))
                .collect(),
        );
        let id = self.event_id(def);
        let values: Vec<_> = args.iter().zip(types).collect();
        self.send(id, &values)
    }

    /// `system`, `cat`, `errorf`, `warnf`, a failed `assert`.
    pub fn async_action(
        &mut self,
        action: AsyncAction,
        format: &[u8],
        args: &[TExpr],
        span: sonde_lang::Span,
    ) -> Result<()> {
        let format = format.to_vec();
        self.formatted(args, |args| match action {
            AsyncAction::System => EventDef::System { format, args },
            AsyncAction::Cat => EventDef::Cat { format, args },
            AsyncAction::Errorf | AsyncAction::Warnf => EventDef::Diagnostic {
                error: action == AsyncAction::Errorf,
                span,
                format,
                args,
                text: String::new(),
            },
            // bpftrace's `assert` is a macro of its standard library, and
            // its message points there.
            AsyncAction::AssertFailed => EventDef::Diagnostic {
                error: true,
                span,
                format,
                args,
                text: "stdlib/base.bt:6:5-37: ERROR: \u{1}\n".into(),
            },
        })
    }

    /// `join(array, sep)`: up to [`JOIN_STRINGS`] strings read through the
    /// NULL-terminated array of addresses, and how many there were.
    pub fn join(&mut self, array: &TExpr, sep: &[u8], size: u32) -> Result<()> {
        let id = self.event_id(EventDef::Join {
            sep: sep.to_vec(),
            size,
        });
        let user = matches!(array.ty, Type::Ptr { user: true, .. })
            || (self.probe.kind.is_user() && matches!(array.ty, Type::Int { .. }));
        let stride = size.next_multiple_of(8);
        let payload = 8 + JOIN_STRINGS * stride;
        let record = self.frame.alloc(8 + payload);
        self.zero(record, 8 + payload);
        self.store_imm(Size::DW, record, id);
        let base = self.frame.alloc_temp();
        let count = self.frame.alloc_temp();
        let pointer = self.frame.alloc_temp();
        self.scalar(array)?;
        self.store(Size::DW, base, R0);
        self.store_imm(Size::DW, count, 0);
        let done = self.e.new_label();
        for i in 0..JOIN_STRINGS {
            // pointer = array[i]
            self.store_imm(Size::DW, pointer, 0);
            self.pointer_to_stack(R1, pointer);
            self.e.emit(Insn::mov64_imm(R2, 8));
            self.load(Size::DW, R3, base);
            self.e.emit(Insn::alu64_imm(op::ADD, R3, (i * 8) as i32));
            self.e.call(if user {
                helper::PROBE_READ_USER
            } else {
                helper::PROBE_READ_KERNEL
            });
            self.load(Size::DW, R3, pointer);
            self.e.jump_imm(op::JEQ, R3, 0, done);
            self.pointer_to_stack(R1, record + (16 + i * stride) as i16);
            self.e.emit(Insn::mov64_imm(R2, size as i32));
            self.e.call(if user {
                helper::PROBE_READ_USER_STR
            } else {
                helper::PROBE_READ_KERNEL_STR
            });
            self.store_imm(Size::DW, count, (i + 1) as i32);
        }
        self.e.bind(done);
        self.load(Size::DW, R1, count);
        self.store(Size::DW, record + 8, R1);
        self.output(record, 8 + payload);
        Ok(())
    }

    pub fn print_value(&mut self, value: &TExpr) -> Result<()> {
        let ty = stored(&value.ty);
        let id = self.event_id(EventDef::PrintValue {
            value: value_type(&ty),
        });
        self.send(id, &[(value, ty)])
    }

    /// An event with no payload, acted on in user space.
    pub fn notify(&mut self, def: EventDef) -> Result<()> {
        let id = self.event_id(def);
        self.send(id, &[])
    }

    pub fn exit(&mut self, code: Option<&TExpr>) -> Result<()> {
        let id = self.event_id(EventDef::Exit);
        let zero = TExpr {
            kind: sonde_lang::sema::typed::TExprKind::Int(0),
            ty: Type::I64,
            span: self.probe.span,
        };
        let code = code.unwrap_or(&zero);
        self.send(id, &[(code, Type::I64)])
    }
}

/// Integers travel as 8 bytes whatever their width.
fn stored(ty: &Type) -> Type {
    match ty {
        Type::Int { signed, .. } => Type::Int {
            bytes: 8,
            signed: *signed,
        },
        Type::Tuple(items) => Type::Tuple(items.iter().map(stored).collect()),
        Type::NamedTuple { names, fields } => Type::NamedTuple {
            names: names.clone(),
            fields: fields.iter().map(stored).collect(),
        },
        other => other.clone(),
    }
}

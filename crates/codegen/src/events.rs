//! Records sent to user space through the ring buffer: `printf`, `print`,
//! map printing and clearing, `exit`. A record is `[u64 event id][payload]`.

use sonde_isa::{helper, op, Insn, Size, R0, R1, R2, R3, R4};
use sonde_lang::sema::typed::TExpr;
use sonde_lang::sema::types::Type;

use crate::layout::value_type;
use crate::object::{EventDef, RelocKind};
use crate::program::{ProgramCompiler, Result};

impl ProgramCompiler<'_> {
    fn event_id(&mut self, def: EventDef) -> i32 {
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
        self.e.ld_reloc(R1, RelocKind::MapFd(self.shared.ringbuf));
        self.pointer_to_stack(R2, record);
        self.e.emit(Insn::mov64_imm(R3, (8 + payload) as i32));
        self.e.emit(Insn::mov64_imm(R4, 0));
        self.e.call(helper::RINGBUF_OUTPUT);
        self.count_lost_record();
        Ok(())
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
        let types: Vec<Type> = args.iter().map(|a| stored(&a.ty)).collect();
        let offsets = Type::tuple_offsets(&types);
        let def = EventDef::Printf {
            format: format.to_vec(),
            args: offsets
                .into_iter()
                .zip(&types)
                .map(|(off, t)| (off, value_type(t)))
                .collect(),
        };
        let id = self.event_id(def);
        let values: Vec<_> = args.iter().zip(types).collect();
        self.send(id, &values)
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

//! Run-time helper failures reported to user space, as bpftrace reports
//! them: a map too full to take a key, a key to delete that is not there,
//! and (with `-k`) reads and lookups that gave zero instead of a value.

use sonde_isa::{op, Size, R0};
use sonde_lang::Span;

use crate::object::EventDef;
use crate::program::ProgramCompiler;

/// The kernel's names of the helpers whose failures are reported.
fn helper_name(helper: i32) -> &'static str {
    use sonde_isa::helper as h;
    match helper {
        h::MAP_LOOKUP_ELEM => "map_lookup_elem",
        h::MAP_UPDATE_ELEM => "map_update_elem",
        h::MAP_DELETE_ELEM => "map_delete_elem",
        h::PROBE_READ => "probe_read",
        h::PROBE_READ_STR => "probe_read_str",
        h::PROBE_READ_KERNEL => "probe_read_kernel",
        h::PROBE_READ_KERNEL_STR => "probe_read_kernel_str",
        h::PROBE_READ_USER => "probe_read_user",
        h::PROBE_READ_USER_STR => "probe_read_user_str",
        _ => "helper",
    }
}

impl ProgramCompiler<'_> {
    /// After a call of `helper` whose failure is reported from warning
    /// level `level` on: when r0 is negative, a record of it. r0 is kept.
    pub fn check_helper(&mut self, helper: i32, level: u8, span: Span) {
        if self.opts.warning_level < level {
            return;
        }
        let ok = self.e.new_label();
        self.e.jump_imm(op::JSGE, R0, 0, ok);
        self.report_helper(helper, span);
        self.e.bind(ok);
    }

    /// After a map lookup, with `-k`: when r0 is null, a record of the
    /// missing key. r0 is kept.
    pub fn check_lookup(&mut self, span: Span) {
        if self.opts.warning_level < 2 {
            return;
        }
        let ok = self.e.new_label();
        self.e.jump_imm(op::JNE, R0, 0, ok);
        self.report_helper(sonde_isa::helper::MAP_LOOKUP_ELEM, span);
        self.e.bind(ok);
    }

    /// Send `[id][r0]` for a failure of `helper` at `span`; r0 is kept.
    fn report_helper(&mut self, helper: i32, span: Span) {
        let id = self.event_id(EventDef::HelperError {
            helper: helper_name(helper).into(),
            span,
            text: String::new(),
            filename: String::new(),
            line: 0,
            col: 0,
        });
        let record = self.frame.alloc_stack(16);
        self.store_imm(Size::DW, record, id);
        self.store(Size::DW, record + 8, R0);
        self.output(record, 16);
        self.load(Size::DW, R0, record + 8);
    }
}

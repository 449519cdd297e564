//! Types written back as C, for listings (`sonde -lv 'struct task_struct'`).

use crate::parse::Btf;
use crate::types::{Kind, Member, TypeId};

/// How deep nested anonymous members are spelt out.
const MAX_DEPTH: usize = 8;

impl Btf {
    /// The C definition of struct, union or enum `id`:
    /// `struct x {\n\tint a;\n\tchar b[4];\n};\n`.
    pub fn c_definition(&self, id: TypeId) -> String {
        let mut out = String::new();
        self.write_body(id, 0, &mut out);
        out.push_str(";\n");
        out
    }

    /// The C name of a type: `unsigned int`, `struct file *`, `char[16]`.
    pub fn c_type_name(&self, id: TypeId) -> String {
        self.declarator(id, "", 0)
    }

    fn write_body(&self, id: TypeId, depth: usize, out: &mut String) {
        let Some(info) = self.type_by_id(id) else {
            out.push_str("void");
            return;
        };
        let head = |keyword: &str| {
            if info.name.is_empty() {
                format!("{keyword} {{\n")
            } else {
                format!("{keyword} {} {{\n", info.name)
            }
        };
        let indent = "\t".repeat(depth + 1);
        match &info.kind {
            Kind::Struct { members, .. } | Kind::Union { members, .. } => {
                let keyword = if matches!(info.kind, Kind::Union { .. }) {
                    "union"
                } else {
                    "struct"
                };
                out.push_str(&head(keyword));
                for m in members {
                    out.push_str(&indent);
                    out.push_str(&self.member(m, depth + 1));
                    out.push_str(";\n");
                }
            }
            Kind::Enum { variants, .. } => {
                out.push_str(&head("enum"));
                for (name, value) in variants {
                    out.push_str(&format!("{indent}{name} = {},\n", *value as i64));
                }
            }
            _ => {
                out.push_str(&self.c_type_name(id));
                return;
            }
        }
        out.push_str(&"\t".repeat(depth));
        out.push('}');
    }

    fn member(&self, m: &Member, depth: usize) -> String {
        let mut decl = self.declarator(m.ty, &m.name, depth);
        if m.bitfield_size > 0 {
            decl.push_str(&format!(": {}", m.bitfield_size));
        }
        decl
    }

    /// `type name` with the name placed as C places it among `*` and `[]`.
    fn declarator(&self, id: TypeId, name: &str, depth: usize) -> String {
        let join = |base: String, name: &str| {
            if name.is_empty() {
                base
            } else if base.ends_with('*') {
                format!("{base}{name}")
            } else {
                format!("{base} {name}")
            }
        };
        let Some(info) = self.type_by_id(id) else {
            return join("void".into(), name);
        };
        match &info.kind {
            Kind::Void => join("void".into(), name),
            Kind::Ptr(target) => {
                let target_kind = self.type_by_id(self.resolve(*target)).map(|t| t.kind);
                if let Some(Kind::FuncProto { ret, params }) = target_kind {
                    let params: Vec<String> = params
                        .iter()
                        .map(|p| self.declarator(p.ty, "", depth))
                        .collect();
                    let ret = self.declarator(ret, "", depth);
                    return format!("{ret} (*{name})({})", params.join(", "));
                }
                let inner = if name.is_empty() {
                    "*".to_string()
                } else {
                    format!("*{name}")
                };
                self.declarator(*target, &inner, depth)
            }
            Kind::Array { elem, len } => {
                let inner = if name.starts_with('*') {
                    format!("({name})[{len}]")
                } else {
                    format!("{name}[{len}]")
                };
                self.declarator(*elem, &inner, depth)
            }
            Kind::Const(t) | Kind::Volatile(t) => {
                let qualifier = if matches!(info.kind, Kind::Const(_)) {
                    "const"
                } else {
                    "volatile"
                };
                // A qualified pointer is qualified after its `*`:
                // `char * const p`, not `const char *p`.
                if matches!(self.type_by_id(*t).map(|t| t.kind), Some(Kind::Ptr(_))) {
                    let inner = if name.is_empty() {
                        format!(" {qualifier}")
                    } else {
                        format!(" {qualifier} {name}")
                    };
                    self.declarator(*t, &inner, depth)
                } else {
                    format!("{qualifier} {}", self.declarator(*t, name, depth))
                }
            }
            Kind::Restrict(t) | Kind::TypeTag(t) => self.declarator(*t, name, depth),
            Kind::Struct { .. } | Kind::Union { .. } | Kind::Enum { .. }
                if info.name.is_empty() && depth < MAX_DEPTH =>
            {
                let mut body = String::new();
                self.write_body(id, depth, &mut body);
                join(body, name)
            }
            Kind::Struct { .. } => join(format!("struct {}", info.name), name),
            Kind::Union { .. } => join(format!("union {}", info.name), name),
            Kind::Enum { .. } => join(format!("enum {}", info.name), name),
            Kind::Fwd { union } => join(
                format!("{} {}", if *union { "union" } else { "struct" }, info.name),
                name,
            ),
            Kind::FuncProto { .. } | Kind::Func(_) => join("void".into(), name),
            _ => join(info.name.clone(), name),
        }
    }
}

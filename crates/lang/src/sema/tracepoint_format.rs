//! Parsing of a tracepoint's `format` file from tracefs: which fields the
//! event record holds and where. Only the text is parsed here; reading the
//! file is the runtime's job.

/// One field of a tracepoint record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TracepointField {
    pub name: String,
    /// The C type as written, e.g. `const char *` or `__data_loc char[]`.
    pub c_type: String,
    pub offset: u32,
    pub size: u32,
    pub signed: bool,
    pub kind: FieldKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// An integer of `size` bytes.
    Int,
    /// A pointer; `char_ptr` for `char *` (something `str()` can read).
    Pointer { char_ptr: bool },
    /// `char name[N]`: a string stored in the record.
    CharArray,
    /// `__data_loc char[]`: a u32 whose low half is the offset of a string
    /// in the record and whose high half its length.
    DataLocString,
    /// `T name[N]` of integers of `elem_size` bytes.
    IntArray { elem_size: u32, len: u32 },
    /// Anything else (structs, other `__data_loc` arrays): reported when used.
    Other,
}

/// The fields of a tracepoint after the common ones (`common_type`,
/// `common_pid`, ...), which scripts may not read.
pub fn parse_format(text: &str) -> Vec<TracepointField> {
    text.lines().filter_map(parse_field_line).collect()
}

fn parse_field_line(line: &str) -> Option<TracepointField> {
    let line = line.trim();
    let decl = line.strip_prefix("field:")?;
    let mut parts = decl.split(';').map(str::trim);
    let declaration = parts.next()?;
    let mut offset = None;
    let mut size = None;
    let mut signed = false;
    for part in parts {
        if let Some(v) = part.strip_prefix("offset:") {
            offset = v.trim().parse().ok();
        } else if let Some(v) = part.strip_prefix("size:") {
            size = v.trim().parse().ok();
        } else if let Some(v) = part.strip_prefix("signed:") {
            signed = v.trim() == "1";
        }
    }
    let (c_type, name, array_len) = split_declaration(declaration)?;
    if name.starts_with("common_") {
        return None;
    }
    let size: u32 = size?;
    let kind = classify(&c_type, array_len, size);
    Some(TracepointField {
        name,
        c_type,
        offset: offset?,
        size,
        signed,
        kind,
    })
}

/// `const char * filename` → (`const char *`, `filename`, None);
/// `char comm[16]` → (`char`, `comm`, Some(16)); `__data_loc char[] name`.
fn split_declaration(decl: &str) -> Option<(String, String, Option<u32>)> {
    let decl = decl.trim();
    let (head, array_len) = match decl.strip_suffix(']') {
        Some(without) => {
            let open = without.rfind('[')?;
            let len = without[open + 1..].trim();
            let head = without[..open].trim_end();
            // `__data_loc char[] name` has its brackets before the name.
            if head.ends_with(|c: char| c.is_alphanumeric() || c == '_') {
                (head, Some(len.parse().unwrap_or(0)))
            } else {
                (decl, None)
            }
        }
        None => (decl, None),
    };
    let name_start = head
        .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
        .map_or(0, |i| i + 1);
    let name = head[name_start..].to_string();
    let c_type = head[..name_start].trim().to_string();
    if name.is_empty() {
        return None;
    }
    Some((c_type, name, array_len))
}

fn classify(c_type: &str, array_len: Option<u32>, size: u32) -> FieldKind {
    let base = c_type
        .replace("const ", "")
        .replace("volatile ", "")
        .trim()
        .to_string();
    if base.starts_with("__data_loc") {
        return if base.contains("char") {
            FieldKind::DataLocString
        } else {
            FieldKind::Other
        };
    }
    if base.ends_with('*') {
        let pointee = base.trim_end_matches('*').trim();
        return FieldKind::Pointer {
            char_ptr: base.matches('*').count() == 1
                && matches!(pointee, "char" | "unsigned char" | "signed char"),
        };
    }
    if base.starts_with("struct ") || base.starts_with("union ") {
        return FieldKind::Other;
    }
    match array_len {
        Some(len) if matches!(base.as_str(), "char" | "unsigned char" | "signed char") => {
            let _ = len;
            FieldKind::CharArray
        }
        Some(len) if len > 0 && size.is_multiple_of(len) && matches!(size / len, 1 | 2 | 4 | 8) => {
            FieldKind::IntArray {
                elem_size: size / len,
                len,
            }
        }
        Some(_) => FieldKind::Other,
        None if matches!(size, 1 | 2 | 4 | 8) => FieldKind::Int,
        None => FieldKind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPENAT: &str = "name: sys_enter_openat
ID: 650
format:
\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;
\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;
\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;

\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;
\tfield:int dfd;\toffset:16;\tsize:8;\tsigned:0;
\tfield:const char * filename;\toffset:24;\tsize:8;\tsigned:0;
\tfield:int flags;\toffset:32;\tsize:8;\tsigned:0;
\tfield:umode_t mode;\toffset:40;\tsize:8;\tsigned:0;

print fmt: \"dfd: 0x%08lx\", ((unsigned long)(REC->dfd))
";

    #[test]
    fn syscall_fields_skip_common_ones() {
        let fields = parse_format(OPENAT);
        let names: Vec<_> = fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["__syscall_nr", "dfd", "filename", "flags", "mode"]);
        assert_eq!(fields[0].offset, 8);
        assert_eq!(fields[0].size, 4);
        assert!(fields[0].signed);
        assert_eq!(fields[0].kind, FieldKind::Int);
        assert_eq!(fields[2].c_type, "const char *");
        assert_eq!(fields[2].kind, FieldKind::Pointer { char_ptr: true });
    }

    #[test]
    fn arrays_and_data_loc() {
        let text = "\tfield:char prev_comm[16];\toffset:8;\tsize:16;\tsigned:0;
\tfield:__data_loc char[] name;\toffset:8;\tsize:4;\tsigned:0;
\tfield:unsigned long args[6];\toffset:16;\tsize:48;\tsigned:0;
\tfield:struct foo bar;\toffset:64;\tsize:24;\tsigned:0;";
        let fields = parse_format(text);
        assert_eq!(fields[0].name, "prev_comm");
        assert_eq!(fields[0].kind, FieldKind::CharArray);
        assert_eq!(fields[1].name, "name");
        assert_eq!(fields[1].kind, FieldKind::DataLocString);
        assert_eq!(
            fields[2].kind,
            FieldKind::IntArray {
                elem_size: 8,
                len: 6
            }
        );
        assert_eq!(fields[3].kind, FieldKind::Other);
    }
}

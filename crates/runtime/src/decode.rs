//! Bytes of kernel memory to output values, as a [`ValueType`] describes
//! them. Short or malformed input is an error, never a panic.

use sonde_codegen::object::{StackMode, ValueType};
use sonde_output::Value;

/// Why bytes could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError(pub String);

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn field(bytes: &[u8], offset: u32, size: u32) -> Result<&[u8], DecodeError> {
    let start = offset as usize;
    bytes.get(start..start + size as usize).ok_or_else(|| {
        DecodeError(format!(
            "{size} bytes at offset {offset} of a {}-byte record",
            bytes.len()
        ))
    })
}

pub(crate) fn read_u64(bytes: &[u8], offset: usize) -> Option<u64> {
    bytes
        .get(offset..offset + 8)
        .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
}

pub(crate) fn read_i64(bytes: &[u8], offset: usize) -> Option<i64> {
    read_u64(bytes, offset).map(|v| v as i64)
}

/// What decoding needs besides the bytes: the names of probes (for
/// `ValueType::ProbeName`), and a [`Resolver`] for stacks and symbols.
/// A plain list of probe names is one, without symbols.
pub trait Names {
    fn probe_names(&self) -> &[String];

    fn resolver(&self) -> Option<&dyn Resolver> {
        None
    }

    /// Appended to a string that fills its whole buffer, which means it was
    /// cut (bpftrace's `str_trunc_trailer`).
    fn trunc_trailer(&self) -> &str {
        ".."
    }
}

impl Names for [String] {
    fn probe_names(&self) -> &[String] {
        self
    }
}

impl<const N: usize> Names for [String; N] {
    fn probe_names(&self) -> &[String] {
        self
    }
}

impl Names for Vec<String> {
    fn probe_names(&self) -> &[String] {
        self
    }
}

/// Turns stack ids and addresses into text.
pub trait Resolver {
    /// The stack with id `id` (negative: none was taken) of the
    /// stack-trace map for `user` stacks of `limit` frames, printed as
    /// `mode` says. `pid` and `probe` say whose user stack it is.
    fn stack(
        &self,
        user: bool,
        limit: u32,
        mode: StackMode,
        id: i64,
        pid: u32,
        probe: u32,
    ) -> String;

    /// The symbol at `addr` (kernel, or user in process `pid`, taken by
    /// `probe` whose site was at address `at`, 0 if unknown), or the
    /// address in hex when none is known.
    fn symbol(&self, user: bool, addr: u64, pid: u32, probe: u32, at: u64) -> String;
}

/// Decode the value of type `ty` at `offset` in `bytes`; `probes` names
/// `ValueType::ProbeName` indices and resolves stacks and symbols.
pub fn decode(
    ty: &ValueType,
    bytes: &[u8],
    offset: u32,
    probes: &(impl Names + ?Sized),
) -> Result<Value, DecodeError> {
    match ty {
        ValueType::Int { size, signed } => {
            let raw = field(bytes, offset, *size as u32)?;
            let mut wide = [0u8; 8];
            match size {
                1 | 2 | 4 | 8 => wide[..raw.len()].copy_from_slice(raw),
                _ => return Err(DecodeError(format!("an integer of {size} bytes"))),
            }
            let unsigned = u64::from_le_bytes(wide);
            if *signed {
                let shift = 64 - 8 * *size as u32;
                Ok(Value::Int(((unsigned << shift) as i64) >> shift))
            } else {
                Ok(Value::UInt(unsigned))
            }
        }
        ValueType::Bool => Ok(Value::Bool(
            read_u64(field(bytes, offset, 8)?, 0).unwrap_or(0) != 0,
        )),
        ValueType::ByteBool => Ok(Value::Bool(field(bytes, offset, 1)?[0] != 0)),
        ValueType::Str { size } => {
            // A char array of a script's struct is a string one byte longer
            // than its place in the struct: the last member's may end
            // where the record does, its NUL implied.
            let whole = field(bytes, offset, *size);
            let clipped = bytes.get(offset as usize..).filter(|rest| {
                whole.is_err() && !rest.is_empty() && rest.len() + 1 == *size as usize
            });
            let raw = match clipped {
                Some(rest) => {
                    let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
                    return Ok(Value::Str(rest[..end].to_vec()));
                }
                None => whole?,
            };
            match raw.iter().position(|&b| b == 0) {
                Some(end) => Ok(Value::Str(raw[..end].to_vec())),
                // A string without its NUL filled the buffer: it was cut.
                None => {
                    let mut text = raw.to_vec();
                    text.extend_from_slice(probes.trunc_trailer().as_bytes());
                    Ok(Value::Str(text))
                }
            }
        }
        ValueType::Buffer { size } => {
            let raw = field(bytes, offset, 8 + size)?;
            let len = read_u64(raw, 0).unwrap_or(0).min(*size as u64) as usize;
            Ok(Value::Buffer(raw[8..8 + len].to_vec()))
        }
        ValueType::Text(format) => {
            let value = read_u64(field(bytes, offset, 8)?, 0).unwrap_or(0);
            Ok(Value::Str(crate::formats::text(format, value).into_bytes()))
        }
        ValueType::Inet => {
            let raw = field(bytes, offset, 24)?;
            let af = read_u64(raw, 0).unwrap_or(0);
            Ok(Value::Str(crate::formats::inet(af, &raw[8..]).into_bytes()))
        }
        ValueType::MacAddr => {
            let raw = field(bytes, offset, 6)?;
            Ok(Value::Str(crate::formats::mac(raw).into_bytes()))
        }
        ValueType::Username => {
            let uid = read_u64(field(bytes, offset, 8)?, 0).unwrap_or(0);
            Ok(Value::Str(crate::users::name(uid).into_bytes()))
        }
        ValueType::Tuple(fields) => {
            let base = field(bytes, offset, ty.size())?;
            fields
                .iter()
                .map(|(field_offset, field_ty)| decode(field_ty, base, *field_offset, probes))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Tuple)
        }
        ValueType::Pointer => {
            let address = read_u64(field(bytes, offset, 8)?, 0).unwrap_or(0);
            Ok(Value::Symbolic {
                text: format!("{address:#x}"),
                numeric: address,
            })
        }
        ValueType::Record { fields, .. } => {
            let base = field(bytes, offset, ty.size())?;
            let mut out = Vec::with_capacity(fields.len());
            for f in fields {
                let value = match f.bitfield {
                    Some((shift, bits)) => bitfield(&f.ty, base, f.offset, shift, bits)?,
                    None => {
                        // A string member ends where the next member starts
                        // (see Str: its NUL may be implied).
                        let end = fields
                            .iter()
                            .map(|g| g.offset as usize)
                            .filter(|&o| o > f.offset as usize)
                            .min()
                            .unwrap_or(base.len())
                            .min(base.len());
                        let bytes = match f.ty {
                            ValueType::Str { .. } => &base[..end],
                            _ => base,
                        };
                        decode(&f.ty, bytes, f.offset, probes)?
                    }
                };
                out.push((f.name.clone(), value));
            }
            Ok(Value::Record(out))
        }
        ValueType::Array { elem, len } => {
            let stride = elem.size();
            let base = field(bytes, offset, ty.size())?;
            (0..*len)
                .map(|i| decode(elem, base, i * stride, probes))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array)
        }
        ValueType::Enum { size, variants } => {
            let raw = field(bytes, offset, *size as u32)?;
            let mut wide = [0u8; 8];
            wide[..raw.len().min(8)].copy_from_slice(&raw[..raw.len().min(8)]);
            let numeric = u64::from_le_bytes(wide);
            let text = variants
                .iter()
                .find(|(v, _)| truncate(*v, *size) == numeric)
                .map(|(_, name)| name.clone())
                .unwrap_or_else(|| numeric.to_string());
            Ok(Value::Symbolic { text, numeric })
        }
        ValueType::Opaque { .. } => Ok(Value::None),
        ValueType::ProbeName => {
            let index = read_u64(field(bytes, offset, 8)?, 0).unwrap_or(0);
            let names = probes.probe_names();
            let name = usize::try_from(index)
                .ok()
                .and_then(|i| names.get(i))
                .ok_or_else(|| DecodeError(format!("probe index {index} of {}", names.len())))?;
            Ok(Value::Str(name.as_bytes().to_vec()))
        }
        &ValueType::Stack { user, mode, limit } => {
            let raw = field(bytes, offset, ty.size())?;
            // The id is the lower half; the upper may hold the depth.
            let id = read_u64(raw, 0).map_or(-1, |v| i64::from(v as u32 as i32));
            let (pid, probe) = pid_and_probe(raw);
            let text = match probes.resolver() {
                Some(r) => r.stack(user, limit, mode, id, pid, probe),
                None => "\n".to_string(),
            };
            Ok(Value::Str(text.into_bytes()))
        }
        &ValueType::Sym { user } => {
            let raw = field(bytes, offset, ty.size())?;
            let addr = read_u64(raw, 0).unwrap_or(0);
            let (pid, probe) = pid_and_probe(raw);
            let at = read_u64(raw, 16).unwrap_or(0);
            let text = match probes.resolver() {
                Some(r) => r.symbol(user, addr, pid, probe, at),
                None => format!("{addr:#x}"),
            };
            Ok(Value::Str(text.into_bytes()))
        }
    }
}

/// The u32 pid and u32 probe index after a user stack id or address.
fn pid_and_probe(raw: &[u8]) -> (u32, u32) {
    let word = |at: usize| {
        raw.get(at..at + 4)
            .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")))
            .unwrap_or(0)
    };
    (word(8), word(12))
}

fn truncate(v: u64, size: u8) -> u64 {
    if size >= 8 {
        v
    } else {
        v & ((1u64 << (8 * size as u32)) - 1)
    }
}

/// A bitfield: the integer of `ty`'s width at `offset`, shifted and cut.
fn bitfield(
    ty: &ValueType,
    bytes: &[u8],
    offset: u32,
    shift: u8,
    bits: u8,
) -> Result<Value, DecodeError> {
    let (size, signed) = match ty {
        ValueType::Int { size, signed } => (*size, *signed),
        ValueType::Enum { size, .. } => (*size, false),
        other => return Err(DecodeError(format!("a bitfield of type {other:?}"))),
    };
    let raw = field(bytes, offset, size as u32)?;
    let mut wide = [0u8; 8];
    wide[..raw.len()].copy_from_slice(raw);
    let word = u64::from_le_bytes(wide) >> shift;
    let value = if bits >= 64 {
        word
    } else {
        word & ((1u64 << bits) - 1)
    };
    if let ValueType::Enum { .. } = ty {
        return decode(ty, &value.to_le_bytes(), 0, &[]);
    }
    Ok(if signed && bits < 64 && value >> (bits - 1) & 1 == 1 {
        Value::Int((value | !((1u64 << bits) - 1)) as i64)
    } else if signed {
        Value::Int(value as i64)
    } else {
        Value::UInt(value)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_by_size_and_sign() {
        let bytes = [0xfe, 0xff, 0xff, 0xff, 0x01, 0, 0, 0];
        assert_eq!(
            decode(
                &ValueType::Int {
                    size: 1,
                    signed: true
                },
                &bytes,
                0,
                &[]
            ),
            Ok(Value::Int(-2))
        );
        assert_eq!(
            decode(
                &ValueType::Int {
                    size: 1,
                    signed: false
                },
                &bytes,
                0,
                &[]
            ),
            Ok(Value::UInt(254))
        );
        assert_eq!(
            decode(
                &ValueType::Int {
                    size: 4,
                    signed: true
                },
                &bytes,
                0,
                &[]
            ),
            Ok(Value::Int(-2))
        );
        assert_eq!(
            decode(
                &ValueType::Int {
                    size: 8,
                    signed: false
                },
                &bytes,
                0,
                &[]
            ),
            Ok(Value::UInt(0x1_ffff_fffe))
        );
        assert_eq!(
            decode(
                &ValueType::Int {
                    size: 2,
                    signed: false
                },
                &bytes,
                4,
                &[]
            ),
            Ok(Value::UInt(1))
        );
        assert!(decode(
            &ValueType::Int {
                size: 8,
                signed: false
            },
            &bytes,
            4,
            &[]
        )
        .is_err());
        assert!(decode(
            &ValueType::Int {
                size: 3,
                signed: false
            },
            &bytes,
            0,
            &[]
        )
        .is_err());
    }

    #[test]
    fn strings_stop_at_nul_tuples_nest_and_probes_are_named() {
        let mut bytes = vec![0u8; 32];
        bytes[..3].copy_from_slice(b"abc");
        bytes[16..24].copy_from_slice(&1u64.to_le_bytes());
        bytes[24..32].copy_from_slice(&1u64.to_le_bytes());
        let probes = vec!["BEGIN".to_string(), "tracepoint:a:b".to_string()];
        let tuple = ValueType::Tuple(vec![
            (0, ValueType::Str { size: 16 }),
            (16, ValueType::ProbeName),
            (24, ValueType::Bool),
        ]);
        assert_eq!(
            decode(&tuple, &bytes, 0, &probes),
            Ok(Value::Tuple(vec![
                Value::Str(b"abc".to_vec()),
                Value::Str(b"tracepoint:a:b".to_vec()),
                Value::Bool(true)
            ]))
        );
        assert_eq!(
            decode(&ValueType::ProbeName, &bytes, 24, &probes[..1])
                .unwrap_err()
                .0,
            "probe index 1 of 1"
        );
        // A string filling its buffer has no NUL: all of it, and the
        // trailer that says it was cut.
        assert_eq!(
            decode(&ValueType::Str { size: 3 }, b"xyz", 0, &[]),
            Ok(Value::Str(b"xyz..".to_vec()))
        );
        struct Custom;
        impl Names for Custom {
            fn probe_names(&self) -> &[String] {
                &[]
            }
            fn trunc_trailer(&self) -> &str {
                "_xxx"
            }
        }
        assert_eq!(
            decode(&ValueType::Str { size: 3 }, b"xy\0", 0, &Custom),
            Ok(Value::Str(b"xy".to_vec()))
        );
        assert_eq!(
            decode(&ValueType::Str { size: 3 }, b"xyz", 0, &Custom),
            Ok(Value::Str(b"xyz_xxx".to_vec()))
        );
    }
}

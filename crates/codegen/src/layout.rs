//! How values of the language are laid out in kernel memory (map keys, map
//! values, event records), and the map definitions that follow from it.

use sonde_lang::sema::typed::{MapInfo, TSeriesAgg};
use sonde_lang::sema::types::{EnumDef, MapValue, StackMode, TextKind, Type};

use crate::object::{
    MapDef, MapKind, MapValueKind, RecordField, TSeriesReduce, TextFormat, UserMapDef, ValueType,
};

/// bpftrace's default `max_map_keys`.
pub const MAX_MAP_KEYS: u32 = 4096;

/// How the runtime decodes a stored value of type `ty`.
pub fn value_type(ty: &Type) -> ValueType {
    match ty {
        Type::Int { signed, .. } => ValueType::Int {
            size: 8,
            signed: *signed,
        },
        Type::Bool => ValueType::Bool,
        Type::Ptr { .. } => ValueType::Pointer,
        Type::Enum(e) => ValueType::Enum {
            size: 8,
            variants: enum_variants(e),
        },
        Type::Record(_) | Type::Array { .. } => native_value_type(ty),
        Type::Float { bytes } => ValueType::Opaque {
            size: *bytes as u32,
        },
        // The type's own size, not its storage: a string with no NUL in
        // it filled the buffer and prints with the truncation trailer.
        Type::Str { size } => ValueType::Str { size: *size },
        Type::Tuple(fields) => ValueType::Tuple(
            Type::tuple_offsets(fields)
                .into_iter()
                .zip(fields)
                .map(|(off, f)| (off, value_type(f)))
                .collect(),
        ),
        // bpftrace's records print as structs do: `{ .a = 1, .b = x }`.
        Type::NamedTuple { names, fields } => ValueType::Record {
            size: ty.storage_size(),
            fields: Type::tuple_offsets(fields)
                .into_iter()
                .zip(names.iter().zip(fields))
                .map(|(offset, (name, f))| crate::object::RecordField {
                    name: name.clone(),
                    offset,
                    ty: value_type(f),
                    bitfield: None,
                })
                .collect(),
        },
        Type::ProbeName | Type::FuncName => ValueType::ProbeName,
        Type::Stack(st) => ValueType::Stack {
            user: st.user,
            mode: match st.mode {
                StackMode::Bpftrace => crate::object::StackMode::Bpftrace,
                StackMode::Perf => crate::object::StackMode::Perf,
                StackMode::Raw => crate::object::StackMode::Raw,
                StackMode::BuildId => crate::object::StackMode::BuildId,
            },
            limit: st.limit,
        },
        Type::Sym { user } => ValueType::Sym { user: *user },
        Type::Username => ValueType::Username,
        Type::Buffer { size } => ValueType::Buffer { size: *size },
        Type::Text(kind) => ValueType::Text(match kind {
            TextKind::Strerror => TextFormat::Strerror,
            TextKind::SignalName => TextFormat::SignalName,
            TextKind::SyscallName => TextFormat::SyscallName,
            TextKind::Timestamp { format } => TextFormat::Timestamp {
                format: format.clone(),
            },
            TextKind::CgroupPath => TextFormat::CgroupPath,
        }),
        Type::Inet => ValueType::Inet,
        Type::MacAddr => ValueType::MacAddr,
        Type::Void | Type::TracepointArgs => ValueType::Int {
            size: 8,
            signed: false,
        },
    }
}

/// How the runtime decodes a value laid out as C lays it out (a struct's
/// field, an array's element): integers keep their own width.
pub fn native_value_type(ty: &Type) -> ValueType {
    match ty {
        Type::Bool => ValueType::ByteBool,
        Type::Int { bytes, signed } => ValueType::Int {
            size: *bytes,
            signed: *signed,
        },
        Type::Enum(e) => ValueType::Enum {
            size: e.bytes,
            variants: enum_variants(e),
        },
        Type::Record(r) => ValueType::Record {
            size: r.size,
            fields: r
                .fields
                .iter()
                .map(|f| RecordField {
                    name: f.name.clone(),
                    offset: f.offset,
                    ty: native_value_type(&f.ty),
                    bitfield: f.bitfield.map(|b| (b.shift, b.bits)),
                })
                .collect(),
        },
        Type::Array { elem, len } => ValueType::Array {
            elem: Box::new(native_value_type(elem)),
            len: *len,
        },
        Type::Str { size } => ValueType::Str { size: *size },
        other => value_type(other),
    }
}

fn enum_variants(e: &EnumDef) -> Vec<(u64, String)> {
    e.variants.iter().map(|(n, v)| (*v, n.clone())).collect()
}

/// Bytes of the key the script writes; maps without keys use one u64 zero.
pub fn user_key_size(info: &MapInfo) -> u32 {
    info.key.as_ref().map_or(8, Type::storage_size).max(8)
}

/// The kernel key additionally holds the bucket index for histograms.
pub fn kernel_key_size(info: &MapInfo) -> u32 {
    user_key_size(info) + if is_histogram(&info.value) { 8 } else { 0 }
}

/// Whether the kernel key ends in a u64 slot index: a histogram's bucket
/// or a time series' interval.
pub fn is_histogram(value: &MapValue) -> bool {
    matches!(
        value,
        MapValue::Hist { .. } | MapValue::LHist { .. } | MapValue::TSeries(_)
    )
}

pub fn value_size(value: &MapValue) -> u32 {
    match value {
        MapValue::Plain(ty) => ty.storage_size().max(8),
        MapValue::Count | MapValue::Sum | MapValue::Hist { .. } | MapValue::LHist { .. } => 8,
        MapValue::Min | MapValue::Max | MapValue::Avg | MapValue::Stats => 16,
        MapValue::TSeries(_) => 24,
    }
}

/// The kernel object name: bpftrace's `AT_` prefix, characters the kernel
/// accepts, at most 15 bytes.
pub fn kernel_map_name(name: &str) -> String {
    let rest = name.trim_start_matches('@');
    let mut out = String::from("AT_");
    out.extend(rest.chars().map(|c| {
        if c.is_ascii_alphanumeric() || c == '_' {
            c
        } else {
            '_'
        }
    }));
    out.truncate(15);
    out
}

pub fn map_def(info: &MapInfo) -> MapDef {
    let percpu = !matches!(info.value, MapValue::Plain(_));
    let lru = info.decl.is_some_and(|d| d.lru);
    let kind = match (percpu, lru) {
        (false, false) => MapKind::Hash,
        (true, false) => MapKind::PercpuHash,
        (false, true) => MapKind::LruHash,
        (true, true) => MapKind::LruPercpuHash,
    };
    MapDef {
        name: kernel_map_name(&info.name),
        kind,
        key_size: kernel_key_size(info),
        value_size: value_size(&info.value),
        max_entries: info.decl.map_or(MAX_MAP_KEYS, |d| d.max_entries),
    }
}

pub fn user_map_def(info: &MapInfo, map: usize) -> UserMapDef {
    let key = info.key.as_ref().map(|k| match k {
        Type::Tuple(fields) if info.multi_key => Type::tuple_offsets(fields)
            .into_iter()
            .zip(fields)
            .map(|(off, f)| (off, value_type(f)))
            .collect(),
        single => vec![(0, value_type(single))],
    });
    let value = match &info.value {
        MapValue::Plain(ty) => MapValueKind::Plain(value_type(ty)),
        MapValue::Count => MapValueKind::Count,
        MapValue::Sum => MapValueKind::Sum,
        MapValue::Min => MapValueKind::Min,
        MapValue::Max => MapValueKind::Max,
        MapValue::Avg => MapValueKind::Avg,
        MapValue::Stats => MapValueKind::Stats,
        MapValue::Hist { bits } => MapValueKind::Hist { bits: *bits },
        MapValue::LHist { min, max, step } => MapValueKind::LHist {
            min: *min,
            max: *max,
            step: *step,
        },
        MapValue::TSeries(spec) => MapValueKind::TSeries {
            interval_ns: spec.interval_ns,
            intervals: spec.intervals,
            agg: match spec.agg {
                TSeriesAgg::Last => TSeriesReduce::Last,
                TSeriesAgg::Sum => TSeriesReduce::Sum,
                TSeriesAgg::Min => TSeriesReduce::Min,
                TSeriesAgg::Max => TSeriesReduce::Max,
                TSeriesAgg::Avg => TSeriesReduce::Avg,
            },
            signed: spec.signed,
        },
    };
    UserMapDef {
        name: info.name.clone(),
        map,
        key,
        key_size: user_key_size(info),
        value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_bpftrace() {
        assert_eq!(kernel_map_name("@"), "AT_");
        assert_eq!(kernel_map_name("@start"), "AT_start");
        assert_eq!(kernel_map_name("@a_very_long_map_name"), "AT_a_very_long_");
    }

    #[test]
    fn tuple_keys_are_eight_byte_aligned() {
        let info = MapInfo {
            decl: None,
            name: "@x".into(),
            key: Some(Type::Tuple(vec![Type::Str { size: 16 }, Type::U32])),
            value: MapValue::Count,
            multi_key: true,
        };
        assert_eq!(user_key_size(&info), 24);
        let def = user_map_def(&info, 0);
        assert_eq!(
            def.key,
            Some(vec![
                (0, ValueType::Str { size: 16 }),
                (
                    16,
                    ValueType::Int {
                        size: 8,
                        signed: false
                    }
                )
            ])
        );
    }
}

//! Reading a script's map out of the kernel into a [`MapDump`]: keys
//! decoded, per-CPU values summed, histogram buckets gathered.

use std::collections::BTreeMap;

use sonde_codegen::object::{MapValueKind, UserMapDef};
use sonde_output::{AggValue, MapDump, Value};
use sonde_sys::Map;

use crate::decode::{decode, read_i64, read_u64, DecodeError, Names};

/// Buckets beyond this index are refused: a log2 histogram of u64 values
/// has at most 67 and linear ones are bounded by the compiler; anything
/// larger is corrupt and would allocate without bound.
const MAX_BUCKETS: u64 = 1 << 16;

/// Combine the per-CPU slots of one value as `kind` says.
pub fn aggregate(
    kind: &MapValueKind,
    slots: &[&[u8]],
    probes: &(impl Names + ?Sized),
) -> Result<AggValue, DecodeError> {
    let short = || DecodeError(format!("a per-CPU value shorter than {kind:?} needs"));
    let sum_u64 = |offset: usize| -> Result<u64, DecodeError> {
        slots.iter().try_fold(0u64, |acc, s| {
            read_u64(s, offset)
                .map(|v| acc.wrapping_add(v))
                .ok_or_else(short)
        })
    };
    let sum_i64 = |offset: usize| -> Result<i64, DecodeError> {
        slots.iter().try_fold(0i64, |acc, s| {
            read_i64(s, offset)
                .map(|v| acc.wrapping_add(v))
                .ok_or_else(short)
        })
    };
    Ok(match kind {
        MapValueKind::Plain(ty) => {
            let first = slots.first().ok_or_else(short)?;
            AggValue::Plain(decode(ty, first, 0, probes)?)
        }
        MapValueKind::Count => AggValue::Count(sum_u64(0)?),
        MapValueKind::Sum => AggValue::Sum(sum_i64(0)?),
        MapValueKind::Min | MapValueKind::Max => {
            let mut best: Option<i64> = None;
            for slot in slots {
                let (value, set) = (
                    read_i64(slot, 0).ok_or_else(short)?,
                    read_u64(slot, 8).ok_or_else(short)?,
                );
                if set == 0 {
                    continue;
                }
                best = Some(match best {
                    None => value,
                    Some(b) if matches!(kind, MapValueKind::Min) => b.min(value),
                    Some(b) => b.max(value),
                });
            }
            let value = best.unwrap_or(0);
            if matches!(kind, MapValueKind::Min) {
                AggValue::Min(value)
            } else {
                AggValue::Max(value)
            }
        }
        MapValueKind::Avg => AggValue::Avg {
            total: sum_i64(0)?,
            count: sum_u64(8)?,
        },
        MapValueKind::Stats => AggValue::Stats {
            total: sum_i64(0)?,
            count: sum_u64(8)?,
        },
        MapValueKind::Hist { .. } | MapValueKind::LHist { .. } => AggValue::Count(sum_u64(0)?),
        MapValueKind::TSeries { .. } => {
            return Err(DecodeError(
                "a time series has no value of its own, only intervals".into(),
            ))
        }
    })
}

fn decode_key(
    def: &UserMapDef,
    user_key: &[u8],
    probes: &(impl Names + ?Sized),
) -> Result<Option<Vec<Value>>, DecodeError> {
    match &def.key {
        None => Ok(None),
        Some(fields) => fields
            .iter()
            .map(|(offset, ty)| decode(ty, user_key, *offset, probes))
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
    }
}

fn lhist_len(min: i64, max: i64, step: i64) -> Option<usize> {
    if step <= 0 || max <= min {
        return None;
    }
    let inner = max.checked_sub(min)? / step;
    usize::try_from(inner.checked_add(2)?)
        .ok()
        .filter(|&n| n as u64 <= MAX_BUCKETS)
}

/// Turn raw `(kernel key, value)` entries into a dump. `slots` splits a
/// value into its per-CPU parts.
pub fn build_dump<'v>(
    def: &UserMapDef,
    entries: &'v [(Vec<u8>, Vec<u8>)],
    slots: impl Fn(&'v [u8]) -> Vec<&'v [u8]>,
    probes: &(impl Names + ?Sized),
) -> Result<MapDump, DecodeError> {
    let user_len = def.key_size as usize;
    let mut dump = MapDump {
        name: def.name.clone(),
        entries: Vec::new(),
    };
    match &def.value {
        MapValueKind::Hist { .. } | MapValueKind::LHist { .. } => {
            // Group bucket counts by the user part of the key.
            let mut groups: BTreeMap<&[u8], BTreeMap<u64, u64>> = BTreeMap::new();
            for (key, value) in entries {
                let (user, bucket) = match (key.get(..user_len), read_u64(key, user_len)) {
                    (Some(user), Some(bucket)) => (user, bucket),
                    _ => {
                        return Err(DecodeError(format!(
                            "a {}-byte key in histogram map {}",
                            key.len(),
                            def.name
                        )))
                    }
                };
                if bucket >= MAX_BUCKETS {
                    return Err(DecodeError(format!(
                        "bucket {bucket} in histogram map {}",
                        def.name
                    )));
                }
                let count = sum_counts(&slots(value)).ok_or_else(|| {
                    DecodeError(format!("a short count in histogram map {}", def.name))
                })?;
                *groups.entry(user).or_default().entry(bucket).or_default() += count;
            }
            for (user, counts) in groups {
                let highest = counts.keys().next_back().map_or(0, |&b| b as usize + 1);
                let agg = match def.value {
                    MapValueKind::LHist { min, max, step } => {
                        let len = lhist_len(min, max, step).unwrap_or(0).max(highest);
                        AggValue::LHist {
                            min,
                            max,
                            step,
                            buckets: fill(len, &counts),
                        }
                    }
                    MapValueKind::Hist { bits } => AggValue::Hist {
                        bits: u32::from(bits),
                        buckets: fill(highest, &counts),
                    },
                    _ => unreachable!("only histograms are grouped by bucket"),
                };
                dump.entries.push((decode_key(def, user, probes)?, agg));
            }
        }
        &MapValueKind::TSeries {
            interval_ns,
            intervals,
            agg,
            signed,
        } => {
            let spec = crate::tseries::Spec {
                interval_ns,
                intervals,
                agg,
                signed,
            };
            // Each entry's intervals, by the user part of the key.
            let mut groups: BTreeMap<&[u8], BTreeMap<u64, u64>> = BTreeMap::new();
            for (key, value) in entries {
                let (Some(user), Some(_)) = (key.get(..user_len), read_u64(key, user_len)) else {
                    return Err(DecodeError(format!(
                        "a {}-byte key in time series map {}",
                        key.len(),
                        def.name
                    )));
                };
                let (epoch, v) = crate::tseries::reduce(&spec, &slots(value))?;
                groups.entry(user).or_default().insert(epoch, v);
            }
            let (keys, values): (Vec<&[u8]>, Vec<BTreeMap<u64, u64>>) = groups.into_iter().unzip();
            for (user, agg) in keys.into_iter().zip(crate::tseries::series(&spec, &values)) {
                dump.entries.push((decode_key(def, user, probes)?, agg));
            }
        }
        kind => {
            for (key, value) in entries {
                let user = key.get(..user_len.min(key.len())).ok_or_else(|| {
                    DecodeError(format!("a {}-byte key in map {}", key.len(), def.name))
                })?;
                dump.entries.push((
                    decode_key(def, user, probes)?,
                    aggregate(kind, &slots(value), probes)?,
                ));
            }
        }
    }
    Ok(dump)
}

fn sum_counts(slots: &[&[u8]]) -> Option<u64> {
    slots
        .iter()
        .try_fold(0u64, |acc, s| read_u64(s, 0).map(|v| acc.wrapping_add(v)))
}

fn fill(len: usize, counts: &BTreeMap<u64, u64>) -> Vec<u64> {
    let mut buckets = vec![0u64; len];
    for (&bucket, &count) in counts {
        if let Some(slot) = buckets.get_mut(bucket as usize) {
            *slot = count;
        }
    }
    buckets
}

/// Read `map` now and dump it as `def` describes.
pub fn read_map(
    def: &UserMapDef,
    map: &Map,
    probes: &(impl Names + ?Sized),
) -> anyhow::Result<MapDump> {
    let entries = map.entries()?;
    build_dump(def, &entries, |value| map.percpu_values(value), probes)
        .map_err(|e| anyhow::anyhow!("reading map {}: {e}", def.name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sonde_codegen::object::ValueType;

    fn def(
        name: &str,
        key: Option<Vec<(u32, ValueType)>>,
        key_size: u32,
        value: MapValueKind,
    ) -> UserMapDef {
        UserMapDef {
            name: name.into(),
            map: 0,
            key,
            key_size,
            value,
        }
    }

    fn pair(a: i64, b: u64) -> Vec<u8> {
        let mut v = a.to_le_bytes().to_vec();
        v.extend_from_slice(&b.to_le_bytes());
        v
    }

    fn two_cpus(value: &[u8]) -> Vec<&[u8]> {
        value.chunks(value.len() / 2).collect()
    }

    #[test]
    fn min_max_ignore_unset_cpus_and_avg_sums() {
        let value = [pair(-5, 0), pair(9, 1)].concat();
        let slots = two_cpus(&value);
        assert_eq!(
            aggregate(&MapValueKind::Min, &slots, &[]),
            Ok(AggValue::Min(9))
        );
        assert_eq!(
            aggregate(&MapValueKind::Max, &slots, &[]),
            Ok(AggValue::Max(9))
        );
        let none = [pair(3, 0), pair(4, 0)].concat();
        assert_eq!(
            aggregate(&MapValueKind::Min, &two_cpus(&none), &[]),
            Ok(AggValue::Min(0))
        );
        let avg = [pair(10, 2), pair(-4, 1)].concat();
        assert_eq!(
            aggregate(&MapValueKind::Avg, &two_cpus(&avg), &[]),
            Ok(AggValue::Avg { total: 6, count: 3 })
        );
        assert_eq!(
            aggregate(&MapValueKind::Stats, &two_cpus(&avg), &[]),
            Ok(AggValue::Stats { total: 6, count: 3 })
        );
        let counts = [7u64.to_le_bytes(), 5u64.to_le_bytes()].concat();
        assert_eq!(
            aggregate(&MapValueKind::Count, &two_cpus(&counts), &[]),
            Ok(AggValue::Count(12))
        );
        assert!(aggregate(&MapValueKind::Avg, &two_cpus(&counts), &[]).is_err());
    }

    #[test]
    fn histograms_group_by_user_key() {
        let d = def(
            "@h",
            Some(vec![(
                0,
                ValueType::Int {
                    size: 8,
                    signed: false,
                },
            )]),
            8,
            MapValueKind::Hist { bits: 0 },
        );
        let key = |user: u64, bucket: u64| [user.to_le_bytes(), bucket.to_le_bytes()].concat();
        let count = |n: u64| [n.to_le_bytes(), 1u64.to_le_bytes()].concat();
        let entries = vec![
            (key(1, 3), count(2)),
            (key(2, 1), count(4)),
            (key(1, 0), count(1)),
        ];
        let mut dump = build_dump(&d, &entries, two_cpus, &[]).unwrap();
        dump.entries.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            dump.entries,
            vec![
                (
                    Some(vec![Value::UInt(1)]),
                    AggValue::Hist {
                        bits: 0,
                        buckets: vec![2, 0, 0, 3]
                    }
                ),
                (
                    Some(vec![Value::UInt(2)]),
                    AggValue::Hist {
                        bits: 0,
                        buckets: vec![0, 5]
                    }
                ),
            ]
        );
        let bad = vec![(key(1, 1 << 40), count(1))];
        assert!(build_dump(&d, &bad, two_cpus, &[]).is_err());
    }

    #[test]
    fn linear_histograms_have_every_bucket() {
        let d = def(
            "@l",
            None,
            8,
            MapValueKind::LHist {
                min: 0,
                max: 10,
                step: 5,
            },
        );
        let key = [0u64.to_le_bytes(), 2u64.to_le_bytes()].concat();
        let entries = vec![(key, 6u64.to_le_bytes().to_vec())];
        let dump = build_dump(&d, &entries, |v| vec![v], &[]).unwrap();
        assert_eq!(
            dump.entries,
            vec![(
                None,
                AggValue::LHist {
                    min: 0,
                    max: 10,
                    step: 5,
                    buckets: vec![0, 0, 6, 0]
                }
            )]
        );
    }

    #[test]
    fn plain_values_decode_with_multi_field_keys() {
        let d = def(
            "@m",
            Some(vec![
                (0, ValueType::Str { size: 8 }),
                (
                    8,
                    ValueType::Int {
                        size: 4,
                        signed: true,
                    },
                ),
            ]),
            16,
            MapValueKind::Plain(ValueType::Str { size: 4 }),
        );
        let mut key = b"ab\0\0\0\0\0\0".to_vec();
        key.extend_from_slice(&(-1i32).to_le_bytes());
        key.extend_from_slice(&[0; 4]);
        let entries = vec![(key, b"xy\0\0".to_vec())];
        let dump = build_dump(&d, &entries, |v| vec![v], &[]).unwrap();
        assert_eq!(
            dump,
            MapDump {
                name: "@m".into(),
                entries: vec![(
                    Some(vec![Value::Str(b"ab".to_vec()), Value::Int(-1)]),
                    AggValue::Plain(Value::Str(b"xy".to_vec()))
                )],
            }
        );
    }
}

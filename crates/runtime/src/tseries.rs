//! Reading `tseries()` maps: the per-CPU slots of each interval combined,
//! and the intervals of every entry lined up on one time range (see
//! `sonde_codegen::object::MapValueKind::TSeries` for the kernel layout).
//!
//! The range ends at the newest interval any entry holds and spans the
//! series' interval count. Each entry prints from its own oldest interval
//! in that range; intervals it has no value for show as gaps. bpftrace
//! counts a slot never written (epoch 0) as a value 0 at epoch 0, and so
//! does this module: a zeroed map prints empty series.

use std::collections::BTreeMap;

use sonde_codegen::object::TSeriesReduce;
use sonde_output::{AggValue, TsPoint, Value};

use crate::decode::{read_u64, DecodeError};

/// What a time series map was declared with.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    pub interval_ns: u64,
    pub intervals: u64,
    pub agg: TSeriesReduce,
    pub signed: bool,
}

/// One CPU's slot: value, meta (time, count or "set"), epoch.
struct Slot {
    value: u64,
    meta: u64,
    epoch: u64,
}

/// The newest epoch of one interval slot and its value combined over the
/// CPUs that wrote in that epoch; `(0, 0)` when none did.
pub fn reduce(spec: &Spec, cpus: &[&[u8]]) -> Result<(u64, u64), DecodeError> {
    let mut slots = Vec::with_capacity(cpus.len());
    for cpu in cpus {
        let field = |offset| {
            read_u64(cpu, offset)
                .ok_or_else(|| DecodeError(format!("a {}-byte tseries slot", cpu.len())))
        };
        slots.push(Slot {
            value: field(0)?,
            meta: field(8)?,
            epoch: field(16)?,
        });
    }
    let Some(latest) = slots.iter().map(|s| s.epoch).filter(|&e| e != 0).max() else {
        return Ok((0, 0));
    };
    let mut current = slots.iter().filter(|s| s.epoch == latest);
    let first = current.next().expect("the latest epoch has a slot");
    let (mut value, mut meta) = (first.value, first.meta);
    let less = |a: u64, b: u64| {
        if spec.signed {
            (a as i64) < (b as i64)
        } else {
            a < b
        }
    };
    for slot in current {
        match spec.agg {
            TSeriesReduce::Last => {
                if slot.meta > meta {
                    (value, meta) = (slot.value, slot.meta);
                }
            }
            TSeriesReduce::Sum => value = value.wrapping_add(slot.value),
            TSeriesReduce::Avg => {
                value = value.wrapping_add(slot.value);
                meta = meta.wrapping_add(slot.meta);
            }
            TSeriesReduce::Min if less(slot.value, value) => value = slot.value,
            TSeriesReduce::Max if less(value, slot.value) => value = slot.value,
            TSeriesReduce::Min | TSeriesReduce::Max => {}
        }
    }
    if spec.agg == TSeriesReduce::Avg && meta != 0 {
        value = if spec.signed {
            ((value as i64) / (meta as i64)) as u64
        } else {
            value / meta
        };
    }
    Ok((latest, value))
}

/// The printed value of every entry, in the order the entries were given:
/// each entry's `(epoch, value)` intervals become points on the common
/// range.
pub fn series(spec: &Spec, entries: &[BTreeMap<u64, u64>]) -> Vec<AggValue> {
    let latest: Vec<u64> = entries
        .iter()
        .map(|e| e.keys().next_back().copied().unwrap_or(0))
        .collect();
    let last = latest.iter().copied().max().unwrap_or(0);
    // A range that would start before epoch 0 is empty, as in bpftrace.
    let first = last.checked_sub(spec.intervals.saturating_sub(1));
    entries
        .iter()
        .zip(latest)
        .map(|(values, latest)| AggValue::TSeries {
            latest,
            points: first.map_or_else(Vec::new, |first| points(spec, values, first, last)),
        })
        .collect()
}

fn points(spec: &Spec, values: &BTreeMap<u64, u64>, first: u64, last: u64) -> Vec<TsPoint> {
    let start = values
        .range(first..)
        .next()
        .map_or(last, |(&e, _)| e.min(last));
    (start..=last)
        .map(|epoch| {
            let start_ns = epoch.wrapping_mul(spec.interval_ns);
            TsPoint {
                start_ns,
                local_time: sonde_sys::time::strftime(
                    "%H:%M:%S",
                    (start_ns / 1_000_000_000) as i64,
                ),
                value: values.get(&epoch).map(|&v| {
                    if spec.signed {
                        Value::Int(v as i64)
                    } else {
                        Value::UInt(v)
                    }
                }),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(value: i64, meta: u64, epoch: u64) -> Vec<u8> {
        [value.to_le_bytes(), meta.to_le_bytes(), epoch.to_le_bytes()].concat()
    }

    fn spec(agg: TSeriesReduce, signed: bool) -> Spec {
        Spec {
            interval_ns: 100,
            intervals: 3,
            agg,
            signed,
        }
    }

    #[test]
    fn cpus_of_the_newest_epoch_combine() {
        let (a, b, old) = (slot(-4, 2, 7), slot(10, 3, 7), slot(99, 9, 4));
        let cpus: Vec<&[u8]> = vec![&a, &b, &old];
        let reduced = |agg, signed| reduce(&spec(agg, signed), &cpus).unwrap();
        assert_eq!(reduced(TSeriesReduce::Last, true), (7, 10));
        assert_eq!(reduced(TSeriesReduce::Sum, true), (7, 6));
        assert_eq!(reduced(TSeriesReduce::Avg, true), (7, 1));
        assert_eq!(reduced(TSeriesReduce::Min, true), (7, -4i64 as u64));
        assert_eq!(reduced(TSeriesReduce::Min, false), (7, 10));
        assert_eq!(reduced(TSeriesReduce::Max, true), (7, 10));
        let never = slot(0, 0, 0);
        assert_eq!(
            reduce(&spec(TSeriesReduce::Sum, false), &[&never]).unwrap(),
            (0, 0)
        );
        assert!(reduce(&spec(TSeriesReduce::Sum, false), &[&never[..20]]).is_err());
    }

    #[test]
    fn entries_share_the_range_of_the_newest() {
        let spec = spec(TSeriesReduce::Last, false);
        let one = BTreeMap::from([(3, 5), (4, 6)]);
        let two = BTreeMap::from([(6, 1)]);
        let out = series(&spec, &[one, two]);
        let values = |v: &AggValue| match v {
            AggValue::TSeries { latest, points } => (
                *latest,
                points
                    .iter()
                    .map(|p| (p.start_ns, p.value.clone()))
                    .collect::<Vec<_>>(),
            ),
            other => panic!("{other:?}"),
        };
        // The range is epochs 4..=6: `one` starts at 4, `two` at 6.
        assert_eq!(
            values(&out[0]),
            (
                4,
                vec![(400, Some(Value::UInt(6))), (500, None), (600, None)]
            )
        );
        assert_eq!(values(&out[1]), (6, vec![(600, Some(Value::UInt(1)))]));
        // Zeroed slots: everything at epoch 0, a range before the epoch.
        let zeroed = series(&spec, &[BTreeMap::from([(0, 0)])]);
        assert_eq!(values(&zeroed[0]), (0, vec![]));
    }
}

//! Time series (`tseries()`) as bpftrace prints them: in text a graph one
//! line per interval between a header and a footer that give the value
//! range, in JSON an array of `{"interval_start", "value"}` objects.
use std::fmt::Write;

use crate::{TsPoint, Value};

/// Columns of the graph, its two borders included.
const GRAPH_WIDTH: usize = 53;
/// Columns the lower bound's label takes before the upper bound's.
const LOW_LABEL: usize = 21;

/// The graph, every line ending in a newline; `<no data>` (without one)
/// for a series with no interval.
pub(crate) fn write_text(out: &mut String, points: &[TsPoint]) {
    if points.is_empty() {
        out.push_str("<no data>");
        return;
    }
    let (low, high) = range(points);
    let unit = Unit::of(points);
    let time_width = unit.time_width();
    let labels = |out: &mut String| {
        let _ = writeln!(
            out,
            "{:time_width$} {:<LOW_LABEL$}{:>high_width$}",
            "",
            label(low),
            label(high),
            high_width = GRAPH_WIDTH - LOW_LABEL
        );
    };
    labels(out);
    let _ = writeln!(
        out,
        "{:<width$}|{}|",
        unit.header(),
        "_".repeat(GRAPH_WIDTH - 2),
        width = time_width + 1
    );
    let zero = match (low, high) {
        (Some(l), Some(h)) if l < 0 && h > 0 => {
            (GRAPH_WIDTH as f32 * (l as f32) / ((l - h) as f32)) as i64
        }
        _ => 0,
    };
    let mut line = Vec::with_capacity(GRAPH_WIDTH);
    for point in points {
        out.push_str(&point.local_time);
        unit.write_fraction(out, point.start_ns);
        out.push(' ');
        line.clear();
        line.resize(GRAPH_WIDTH, b' ');
        line[0] = b'|';
        line[GRAPH_WIDTH - 1] = b'|';
        if zero > 0 {
            line[zero as usize] = b'.';
        }
        match point.value.as_ref().and_then(number) {
            Some(v) => {
                let column = match (low, high) {
                    (Some(l), Some(h)) if l != h => {
                        ((GRAPH_WIDTH - 1) as f32 * ((l - v) as f32) / ((l - h) as f32)) as i64
                    }
                    _ => (GRAPH_WIDTH / 2) as i64,
                };
                line[column.clamp(0, GRAPH_WIDTH as i64 - 1) as usize] = b'*';
                out.push_str(std::str::from_utf8(&line).unwrap_or_default());
                let _ = writeln!(out, " {v}");
            }
            None => {
                out.push_str(std::str::from_utf8(&line).unwrap_or_default());
                out.push_str(" -\n");
            }
        }
    }
    let mut bottom = "_".repeat(GRAPH_WIDTH - 2);
    bottom.insert(0, 'v');
    bottom.push('v');
    let _ = writeln!(out, "{:time_width$} {bottom}", "");
    labels(out);
}

/// `[{"interval_start":"1970-01-01 00:00:00.500000000","value":9},...]`,
/// intervals without a value left out.
pub(crate) fn write_json(out: &mut String, points: &[TsPoint]) {
    out.push('[');
    let mut first = true;
    for point in points {
        let Some(v) = point.value.as_ref().and_then(number) else {
            continue;
        };
        if !first {
            out.push(',');
        }
        first = false;
        out.push_str(r#"{"interval_start":""#);
        write_utc(out, point.start_ns);
        let _ = write!(out, r#"","value":{v}}}"#);
    }
    out.push(']');
}

fn number(v: &Value) -> Option<i128> {
    match *v {
        Value::Int(i) => Some(i128::from(i)),
        Value::UInt(u) => Some(i128::from(u)),
        _ => None,
    }
}

/// The range the graph spans: the smallest and largest values, widened by
/// one on each side (as far as the type allows) when they are equal.
/// `None` when no interval has a value.
fn range(points: &[TsPoint]) -> (Option<i128>, Option<i128>) {
    let values = points
        .iter()
        .filter_map(|p| p.value.as_ref().and_then(number));
    let (Some(low), Some(high)) = (values.clone().min(), values.max()) else {
        return (None, None);
    };
    if low != high {
        return (Some(low), Some(high));
    }
    let signed = points
        .iter()
        .any(|p| matches!(p.value, Some(Value::Int(_))));
    let (min, max) = if signed {
        (i128::from(i64::MIN), i128::from(i64::MAX))
    } else {
        (0, i128::from(u64::MAX))
    };
    (
        Some(if low > min { low - 1 } else { low }),
        Some(if high < max { high + 1 } else { high }),
    )
}

fn label(v: Option<i128>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// How finely interval start times print: to the unit of the spacing
/// between intervals.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Unit {
    Seconds,
    Millis,
    Micros,
    Nanos,
}

impl Unit {
    fn of(points: &[TsPoint]) -> Unit {
        let (first, last) = (points[0].start_ns, points[points.len() - 1].start_ns);
        let spacing = last.saturating_sub(first) / (points.len() as u64 - 1).max(1);
        match spacing {
            1_000_000_000.. => Unit::Seconds,
            1_000_000.. => Unit::Millis,
            1_000.. => Unit::Micros,
            _ => Unit::Nanos,
        }
    }

    fn digits(self) -> usize {
        match self {
            Unit::Seconds => 0,
            Unit::Millis => 3,
            Unit::Micros => 6,
            Unit::Nanos => 9,
        }
    }

    /// `hh:mm:ss.ms` and the like.
    fn header(self) -> String {
        match self {
            Unit::Seconds => "hh:mm:ss".into(),
            Unit::Millis => "hh:mm:ss.ms".into(),
            Unit::Micros => "hh:mm:ss.us".into(),
            Unit::Nanos => "hh:mm:ss.ns".into(),
        }
    }

    /// Columns a time takes: `hh:mm:ss`, then a dot and the digits.
    fn time_width(self) -> usize {
        match self.digits() {
            0 => 8,
            d => 9 + d,
        }
    }

    fn write_fraction(self, out: &mut String, ns: u64) {
        let sub = ns % 1_000_000_000;
        let _ = match self {
            Unit::Seconds => Ok(()),
            Unit::Millis => write!(out, ".{:03}", sub / 1_000_000),
            Unit::Micros => write!(out, ".{:06}", sub / 1_000),
            Unit::Nanos => write!(out, ".{sub:09}"),
        };
    }
}

/// `YYYY-MM-DD HH:MM:SS.nnnnnnnnn` in UTC.
fn write_utc(out: &mut String, ns: u64) {
    let secs = ns / 1_000_000_000;
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_date(days as i64);
    let _ = write!(
        out,
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}.{:09}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60,
        ns % 1_000_000_000
    );
}

/// The proleptic Gregorian date `days` days after 1970-01-01, counting in
/// 400-year eras of 146097 days that start on March 1st (so that the leap
/// day ends a year).
fn civil_date(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(start_ns: u64, value: Option<i64>) -> TsPoint {
        TsPoint {
            start_ns,
            local_time: "10:00:00".into(),
            value: value.map(Value::Int),
        }
    }

    #[test]
    fn utc_dates() {
        let mut out = String::new();
        write_utc(&mut out, 500_000_000);
        assert_eq!(out, "1970-01-01 00:00:00.500000000");
        out.clear();
        // 2024-02-29 12:34:56.000000007 (a leap day).
        write_utc(&mut out, 1_709_210_096_000_000_007);
        assert_eq!(out, "2024-02-29 12:34:56.000000007");
    }

    #[test]
    fn graph_of_values_around_zero() {
        let mut out = String::new();
        let points = [
            point(100_000_000, Some(-5)),
            point(200_000_000, Some(0)),
            point(300_000_000, Some(5)),
            point(400_000_000, None),
        ];
        write_text(&mut out, &points);
        let bar = "_".repeat(51);
        let blank = " ".repeat(25);
        assert_eq!(
            out,
            format!(
                "             -5                                                  5\n\
                 hh:mm:ss.ms  |{bar}|\n\
                 10:00:00.100 *{blank}.{blank}| -5\n\
                 10:00:00.200 |{blank}*{blank}| 0\n\
                 10:00:00.300 |{blank}.{blank}* 5\n\
                 10:00:00.400 |{blank}.{blank}| -\n\
                 \x20            v{bar}v\n\
                 \x20            -5                                                  5\n"
            )
        );
    }

    #[test]
    fn equal_values_widen_the_range_and_json_skips_gaps() {
        let mut out = String::new();
        let points = [
            TsPoint {
                start_ns: 0,
                local_time: "00:00:00".into(),
                value: Some(Value::UInt(0)),
            },
            TsPoint {
                start_ns: 2_000_000_000,
                local_time: "00:00:02".into(),
                value: None,
            },
        ];
        write_text(&mut out, &points);
        assert!(out.starts_with(
            "         0                                                   1\nhh:mm:ss |"
        ));
        out.clear();
        write_json(&mut out, &points);
        assert_eq!(
            out,
            r#"[{"interval_start":"1970-01-01 00:00:00.000000000","value":0}]"#
        );
        out.clear();
        write_text(&mut out, &[]);
        assert_eq!(out, "<no data>");
    }
}

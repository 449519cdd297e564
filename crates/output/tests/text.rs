use sonde_output::text::{
    format_attached, format_lost_events, format_map, format_value, format_value_line,
};
use sonde_output::{AggValue, MapDump, Value};

fn s(text: &str) -> Value {
    Value::Str(text.as_bytes().to_vec())
}

fn map(name: &str, entries: Vec<(Option<Vec<Value>>, AggValue)>) -> MapDump {
    MapDump {
        name: name.to_owned(),
        entries,
    }
}

fn scalar(name: &str, value: AggValue) -> MapDump {
    map(name, vec![(None, value)])
}

fn keyed(name: &str, entries: Vec<(Value, AggValue)>) -> MapDump {
    map(
        name,
        entries
            .into_iter()
            .map(|(k, v)| (Some(vec![k]), v))
            .collect(),
    )
}

fn hist(buckets: &[u64]) -> AggValue {
    AggValue::Hist {
        bits: 0,
        buckets: buckets.to_vec(),
    }
}

fn lhist(min: i64, max: i64, step: i64, buckets: &[u64]) -> AggValue {
    AggValue::LHist {
        min,
        max,
        step,
        buckets: buckets.to_vec(),
    }
}

/// The log2 bucket of `v` for `hist(v, bits)`, as the kernel side counts it.
fn log2_index(v: i64, bits: u32) -> usize {
    let per_power = 1i64 << bits;
    if v < 0 {
        return 0;
    }
    if v < 2 * per_power {
        return v as usize + 1;
    }
    let power = 63 - v.leading_zeros() as i64;
    let part = (v >> (power - bits as i64)) & (per_power - 1);
    ((power - bits as i64 + 1) * per_power + part + 1) as usize
}

fn hist_of(values: &[i64], bits: u32) -> AggValue {
    let mut buckets = Vec::new();
    for &v in values {
        let i = log2_index(v, bits);
        if buckets.len() <= i {
            buckets.resize(i + 1, 0);
        }
        buckets[i] += 1;
    }
    AggValue::Hist { bits, buckets }
}

// bpftrace tests/runtime/outputs/hist.txt:
// @=hist(-1); @=hist(2); @=hist(3); @=hist(7); @=hist(20);
#[test]
fn log2_histogram_matches_bpftrace() {
    let expected = "\
@:
(..., 0)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |
[0]                    0 |                                                    |
[1]                    0 |                                                    |
[2, 4)                 2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[4, 8)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |
[8, 16)                0 |                                                    |
[16, 32)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |

";
    let values = hist_of(&[-1, 2, 3, 7, 20], 0);
    assert_eq!(values, hist(&[1, 0, 0, 2, 1, 0, 1]));
    assert_eq!(format_map(&scalar("@", values), None, None), expected);
}

// tests/runtime/outputs/hist_2_values.txt: @=hist(3);@=hist(20);
#[test]
fn histogram_starts_at_first_non_empty_bucket() {
    let expected = "\
@:
[2, 4)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[4, 8)                 0 |                                                    |
[8, 16)                0 |                                                    |
[16, 32)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|

";
    let values = hist_of(&[3, 20], 0);
    assert_eq!(format_map(&scalar("@", values), None, None), expected);
}

#[test]
fn histogram_labels_use_power_of_1024_suffixes() {
    let values = hist_of(&[0, 1, 1023, 1024, 3 << 20, 10 << 30, i64::MAX], 0);
    let text = format_map(&scalar("@h", values), None, None);
    let labels: Vec<&str> = text
        .lines()
        .skip(1)
        .filter(|l| {
            !l.is_empty()
                && !l.ends_with("0 |                                                    |")
        })
        .map(|l| l[..16].trim_end())
        .collect();
    assert_eq!(
        labels,
        [
            "[0]",
            "[1]",
            "[512, 1K)",
            "[1K, 2K)",
            "[2M, 4M)",
            "[8G, 16G)",
            "[4E, 8E)"
        ]
    );
}

#[test]
fn histogram_with_sub_buckets() {
    let values: Vec<i64> = (0..1024).collect();
    let text = format_map(&scalar("@", hist_of(&values, 3)), None, None);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1 + 64 + 1);
    assert_eq!(
        lines[1],
        "[0]                    1 |                                                    |"
    );
    assert_eq!(
        lines[16],
        "[15]                   1 |                                                    |"
    );
    assert_eq!(
        lines[17],
        "[16, 18)               2 |@                                                   |"
    );
    assert_eq!(
        lines[57],
        "[512, 576)            64 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|"
    );
    assert_eq!(
        lines[64],
        // bpftrace picks the suffix from the power of two, not the value.
        "[960, 1024)           64 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|"
    );
    assert_eq!(lines[65], "");
}

// tests/runtime/outputs/lhist.txt:
// @=lhist(2,0,10,2); @=lhist(3,0,10,2); @=lhist(7,0,10,2); @=lhist(-1,0,10,2); @=lhist(11,0,10,2)
#[test]
fn linear_histogram_matches_bpftrace() {
    let expected = "\
@:
(..., 0)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |
[0, 2)                 0 |                                                    |
[2, 4)                 2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[4, 6)                 0 |                                                    |
[6, 8)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |
[8, 10)                0 |                                                    |
[10, ...)              1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |

";
    let values = lhist(0, 10, 2, &[1, 0, 2, 0, 1, 0, 1]);
    assert_eq!(format_map(&scalar("@", values), None, None), expected);
}

// bpftrace tests/output.cpp, TextOutput.lhist_no_suffix
#[test]
fn linear_histogram_without_suffixes() {
    let expected = "\
@mymap:
[610000, 620000)       1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[620000, 630000)       1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[630000, 640000)       1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[640000, 650000)       1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[650000, 660000)       1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[660000, 670000)       1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|

";
    let values = lhist(610_000, 670_000, 10_000, &[0, 1, 1, 1, 1, 1, 1, 0]);
    assert_eq!(format_map(&scalar("@mymap", values), None, None), expected);
}

// bpftrace tests/output.cpp, TextOutput.lhist_suffix
#[test]
fn linear_histogram_with_suffixes() {
    let expected = "\
@mymap:
[0, 1K)                1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[1K, 2K)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[2K, 3K)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[3K, 4K)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[4K, 5K)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|

";
    let values = lhist(0, 5 * 1024, 1024, &[0, 1, 1, 1, 1, 1, 0]);
    assert_eq!(format_map(&scalar("@mymap", values), None, None), expected);
}

// bpftrace tests/output.cpp, lhist_overflow_only and lhist_underflow_only
#[test]
fn linear_histogram_with_only_an_open_bucket() {
    let mut buckets = vec![0; 12];
    buckets[11] = 1;
    assert_eq!(
        format_map(&scalar("@mymap", lhist(0, 100, 10, &buckets)), None, None),
        "@mymap:\n[100, ...)             1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n\n"
    );
    let mut buckets = vec![0; 12];
    buckets[0] = 1;
    assert_eq!(
        format_map(&scalar("@mymap", lhist(10, 110, 10, &buckets)), None, None),
        "@mymap:\n(..., 10)              1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n\n"
    );
}

#[test]
fn linear_histogram_with_unit_step_prints_single_values() {
    let text = format_map(&scalar("@", lhist(0, 3, 1, &[0, 1, 2])), None, None);
    assert_eq!(
        text,
        "@:\n\
[0]                    1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n\
[1]                    2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n\n"
    );
}

#[test]
fn empty_histograms_print_only_their_header() {
    assert_eq!(
        format_map(&scalar("@hist", hist(&[0, 0, 0, 0])), None, None),
        "@hist:\n\n"
    );
    assert_eq!(format_map(&scalar("@h", hist(&[])), None, None), "@h:\n\n");
    let keyed_empty = keyed("@h", vec![(s("a"), lhist(0, 10, 1, &[0; 12]))]);
    assert_eq!(format_map(&keyed_empty, None, None), "@h[a]:\n\n");
}

// tests/runtime/call print_hist_with_top_arg:
// @[1] = hist(10); @[2] = hist(20); @[3] = hist(30); print(@, 2)
#[test]
fn keyed_histograms_sort_by_total_and_keep_the_last_top() {
    let m = keyed(
        "@",
        vec![
            (Value::Int(3), hist_of(&[30], 0)),
            (Value::Int(1), hist_of(&[10], 0)),
            (Value::Int(2), hist_of(&[20], 0)),
        ],
    );
    let bucket =
        "[16, 32)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n";
    assert_eq!(
        format_map(&m, Some(2), None),
        format!("@[2]:\n{bucket}\n@[3]:\n{bucket}\n")
    );
    assert_eq!(
        format_map(&m, Some(10), None),
        format!(
            "@[1]:\n[8, 16)                1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n\n\
             @[2]:\n{bucket}\n@[3]:\n{bucket}\n"
        )
    );
    let busier = keyed(
        "@h",
        vec![
            (s("busy"), hist_of(&[1, 1, 1], 0)),
            (s("idle"), hist_of(&[5], 0)),
        ],
    );
    let text = format_map(&busier, None, None);
    assert!(text.starts_with("@h[idle]:\n"), "{text}");
    assert!(text.contains("\n\n@h[busy]:\n"), "{text}");
}

#[test]
fn dividing_a_histogram_divides_counts_but_not_the_bucket_range() {
    let text = format_map(&scalar("@", hist(&[0, 0, 0, 10, 1, 25])), None, Some(10));
    assert_eq!(
        text,
        "@:\n\
[2, 4)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n\
[4, 8)                 0 |                                                    |\n\
[8, 16)                2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n\n"
    );
    // bpftrace never divides linear histograms.
    let text = format_map(&scalar("@", lhist(0, 10, 5, &[0, 10])), None, Some(10));
    assert!(text.contains("[0, 5)                10 |"), "{text}");
}

#[test]
fn bars_truncate_like_single_precision_floats() {
    let text = format_map(&scalar("@", hist(&[0, 1, 3, 2])), None, None);
    let bars: Vec<usize> = text
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| l.matches('@').count())
        .collect();
    assert_eq!(bars, [17, 52, 34]);
}

#[test]
fn aggregates_print_one_line_each() {
    assert_eq!(
        format_map(&scalar("@sum", AggValue::Sum(6)), None, None),
        "@sum: 6\n"
    );
    assert_eq!(
        format_map(&scalar("@", AggValue::Sum(-10)), None, None),
        "@: -10\n"
    );
    assert_eq!(
        format_map(&scalar("@c", AggValue::Count(3)), None, None),
        "@c: 3\n"
    );
    assert_eq!(
        format_map(&scalar("@min", AggValue::Min(1)), None, None),
        "@min: 1\n"
    );
    assert_eq!(
        format_map(&scalar("@max", AggValue::Max(-3)), None, None),
        "@max: -3\n"
    );
    let avg = AggValue::Avg { total: 6, count: 3 };
    assert_eq!(format_map(&scalar("@avg", avg), None, None), "@avg: 2\n");
    let negative_avg = AggValue::Avg {
        total: -40,
        count: 2,
    };
    assert_eq!(
        format_map(&scalar("@", negative_avg), None, None),
        "@: -20\n"
    );
    let no_samples = AggValue::Avg { total: 0, count: 0 };
    assert_eq!(format_map(&scalar("@", no_samples), None, None), "@: 0\n");
}

// tests/runtime/call "stats" and signed_ints "stats with negative values"
#[test]
fn stats_print_as_a_record() {
    let stats = AggValue::Stats { total: 6, count: 3 };
    assert_eq!(
        format_map(&scalar("@stats", stats), None, None),
        "@stats: { .count = 3, .average = 2, .total = 6 }\n"
    );
    let negative = AggValue::Stats {
        total: -10,
        count: 3,
    };
    assert_eq!(
        format_map(&scalar("@", negative.clone()), None, None),
        "@: { .count = 3, .average = -3, .total = -10 }\n"
    );
    let m = keyed("@s", vec![(s("x"), negative)]);
    assert_eq!(
        format_map(&m, None, Some(2)),
        "@s[x]: { .count = 3, .average = -1, .total = -10 }\n"
    );
}

// tests/runtime/call print_avg_map_args / print_avg_map_with_large_top
#[test]
fn top_and_div_apply_to_averages() {
    let m = keyed(
        "@",
        vec![
            (
                s("b"),
                AggValue::Avg {
                    total: 20,
                    count: 1,
                },
            ),
            (
                s("d"),
                AggValue::Avg {
                    total: 40,
                    count: 1,
                },
            ),
            (
                s("a"),
                AggValue::Avg {
                    total: 10,
                    count: 1,
                },
            ),
            (
                s("c"),
                AggValue::Avg {
                    total: 30,
                    count: 1,
                },
            ),
        ],
    );
    assert_eq!(format_map(&m, Some(2), Some(10)), "@[c]: 3\n@[d]: 4\n");
    assert_eq!(
        format_map(&m, Some(10), Some(10)),
        "@[a]: 1\n@[b]: 2\n@[c]: 3\n@[d]: 4\n"
    );
    assert_eq!(
        format_map(&m, Some(0), Some(0)),
        "@[a]: 10\n@[b]: 20\n@[c]: 30\n@[d]: 40\n"
    );
}

#[test]
fn counts_sort_by_value_then_key() {
    let m = keyed(
        "@c",
        vec![
            (s("zsh"), AggValue::Count(5)),
            (s("bash"), AggValue::Count(10)),
            (s("curl"), AggValue::Count(5)),
            (s("awk"), AggValue::Count(1)),
        ],
    );
    assert_eq!(
        format_map(&m, None, None),
        "@c[awk]: 1\n@c[curl]: 5\n@c[zsh]: 5\n@c[bash]: 10\n"
    );
    assert_eq!(format_map(&m, Some(1), None), "@c[bash]: 10\n");
    assert_eq!(
        format_map(&m, None, Some(5)),
        "@c[awk]: 0\n@c[curl]: 1\n@c[zsh]: 1\n@c[bash]: 2\n"
    );
}

#[test]
fn sums_sort_signed_and_min_max_sort_unsigned() {
    let sums = keyed(
        "@s",
        vec![
            (Value::Int(1), AggValue::Sum(3)),
            (Value::Int(2), AggValue::Sum(-7)),
        ],
    );
    assert_eq!(format_map(&sums, None, None), "@s[2]: -7\n@s[1]: 3\n");
    // bpftrace compares min/max values as unsigned: -7 sorts last.
    let mins = keyed(
        "@m",
        vec![
            (Value::Int(2), AggValue::Min(-7)),
            (Value::Int(1), AggValue::Min(3)),
        ],
    );
    assert_eq!(format_map(&mins, None, None), "@m[1]: 3\n@m[2]: -7\n");
}

#[test]
fn integer_values_sort_by_value_and_print_their_sign() {
    let m = keyed(
        "@a",
        vec![
            (Value::Int(1), AggValue::Plain(Value::Int(1))),
            (Value::Int(0), AggValue::Plain(Value::Int(-11))),
            (Value::Int(2), AggValue::Plain(Value::UInt(u64::MAX))),
        ],
    );
    assert_eq!(
        format_map(&m, None, None),
        "@a[0]: -11\n@a[1]: 1\n@a[2]: 18446744073709551615\n"
    );
    assert_eq!(
        format_map(&scalar("@", AggValue::Plain(Value::Int(-11))), None, None),
        "@: -11\n"
    );
    // tests/runtime/map "uint64 key"
    let big_key = keyed(
        "@a",
        vec![(Value::UInt(u64::MAX), AggValue::Plain(Value::Int(0)))],
    );
    assert_eq!(
        format_map(&big_key, None, None),
        "@a[18446744073709551615]: 0\n"
    );
}

#[test]
fn other_values_sort_by_key() {
    let m = keyed(
        "@s",
        vec![
            (Value::Int(10), AggValue::Plain(s("ten"))),
            (Value::UInt(u64::MAX), AggValue::Plain(s("max"))),
            (Value::Int(-2), AggValue::Plain(s("minus two"))),
            (Value::Int(3), AggValue::Plain(s("three"))),
        ],
    );
    // Integer keys compare as signed 64-bit values, as bpftrace compares them.
    assert_eq!(
        format_map(&m, None, None),
        "@s[-2]: minus two\n@s[18446744073709551615]: max\n@s[3]: three\n@s[10]: ten\n"
    );
    let by_string = keyed(
        "@x",
        vec![
            (s("b"), AggValue::Plain(s("2"))),
            (s("ab"), AggValue::Plain(s("3"))),
            (s("a"), AggValue::Plain(s("1"))),
        ],
    );
    assert_eq!(
        format_map(&by_string, None, None),
        "@x[a]: 1\n@x[ab]: 3\n@x[b]: 2\n"
    );
}

#[test]
fn multi_key_maps_sort_field_by_field_and_print_without_parentheses() {
    let m = map(
        "@x",
        vec![
            (Some(vec![Value::Int(2), s("b")]), AggValue::Plain(s("v3"))),
            (Some(vec![Value::Int(1), s("z")]), AggValue::Plain(s("v2"))),
            (Some(vec![Value::Int(1), s("a")]), AggValue::Plain(s("v1"))),
        ],
    );
    assert_eq!(
        format_map(&m, None, None),
        "@x[1, a]: v1\n@x[1, z]: v2\n@x[2, b]: v3\n"
    );
}

// tests/runtime/tuples and call map_key_scratch_buf
#[test]
fn tuple_keys_and_values() {
    let one_hello = Value::Tuple(vec![Value::Int(1), s("hello")]);
    let m = keyed("@", vec![(one_hello, AggValue::Plain(Value::Int(1)))]);
    assert_eq!(format_map(&m, None, None), "@[1, hello]: 1\n");
    let pair = |a, b| Value::Tuple(vec![Value::Int(a), Value::Int(b)]);
    let m = keyed("@", vec![(pair(1, 2), AggValue::Plain(pair(3, 4)))]);
    assert_eq!(format_map(&m, None, None), "@[1, 2]: (3, 4)\n");
    let m = map(
        "@",
        vec![(
            Some(vec![s("abcd"), Value::Int(2)]),
            AggValue::Plain(Value::Tuple(vec![
                Value::Int(3),
                Value::Int(4),
                Value::Int(5),
            ])),
        )],
    );
    assert_eq!(format_map(&m, None, None), "@[abcd, 2]: (3, 4, 5)\n");
    let m = map(
        "@x",
        vec![(Some(vec![Value::Int(2), Value::Int(1)]), AggValue::Count(2))],
    );
    assert_eq!(format_map(&m, None, None), "@x[2, 1]: 2\n");
}

#[test]
fn parenthesised_string_keys_lose_their_parentheses_like_in_bpftrace() {
    let m = keyed("@m", vec![(s("(x)"), AggValue::Count(1))]);
    assert_eq!(format_map(&m, None, None), "@m[x]: 1\n");
    let m = keyed("@m", vec![(s(""), AggValue::Count(1))]);
    assert_eq!(format_map(&m, None, None), "@m[]: 1\n");
}

#[test]
fn div_applies_to_plain_integers_inside_tuples() {
    let value = Value::Tuple(vec![Value::Int(-30), s("x"), Value::UInt(30)]);
    let m = scalar("@t", AggValue::Plain(value));
    assert_eq!(format_map(&m, None, Some(10)), "@t: (-3, x, 3)\n");
}

#[test]
fn an_empty_map_prints_nothing() {
    assert_eq!(format_map(&map("@", vec![]), None, None), "");
    assert_eq!(format_map(&map("@", vec![]), Some(3), Some(2)), "");
}

#[test]
fn scalar_strings_print_raw() {
    let m = scalar("@x", AggValue::Plain(s("xxxx")));
    assert_eq!(format_map(&m, None, None), "@x: xxxx\n");
    let m = scalar("@s", AggValue::Plain(s("a b \n d e")));
    assert_eq!(format_map(&m, None, None), "@s: a b \n d e\n");
}

// tests/runtime/call print_non_map*, str_scratch_buf
#[test]
fn print_values() {
    assert_eq!(format_value_line(&Value::Int(5)), "5\n");
    assert_eq!(format_value_line(&Value::Int(-5)), "-5\n");
    assert_eq!(
        format_value_line(&Value::UInt(u64::MAX)),
        "18446744073709551615\n"
    );
    assert_eq!(format_value_line(&s("bpftrace")), "bpftrace\n");
    let t = Value::Tuple(vec![Value::Int(1), Value::Int(2), s("string")]);
    assert_eq!(format_value_line(&t), "(1, 2, string)\n");
    let nested = Value::Tuple(vec![
        Value::Int(1),
        Value::Tuple(vec![Value::Int(2), s("XXXX")]),
    ]);
    assert_eq!(format_value_line(&nested), "(1, (2, XXXX))\n");
    assert_eq!(format_value(&nested), "(1, (2, XXXX))");
    assert_eq!(format_value(&Value::Tuple(vec![])), "()");
    assert_eq!(format_value(&s("")), "");
    assert_eq!(
        format_value(&Value::Buffer(b"hi\n\x00~".to_vec())),
        "hi\\x0a\\x00~"
    );
    assert_eq!(format_value(&Value::Str(b"caf\xc3\xa9".to_vec())), "café");
    assert_eq!(format_value(&Value::Str(b"a\xffb".to_vec())), "a\u{fffd}b");
}

#[test]
fn status_lines() {
    assert_eq!(format_attached(1), "Attached 1 probe\n");
    assert_eq!(format_attached(3), "Attached 3 probes\n");
    assert_eq!(format_attached(0), "Attached 0 probes\n");
    assert_eq!(format_lost_events(12), "Lost 12 events\n");
}

#[test]
fn malformed_histograms_do_not_panic() {
    let odd = [
        AggValue::Hist {
            bits: 40,
            buckets: vec![u64::MAX; 3000],
        },
        lhist(10, 0, 5, &[1, 2, 3, 4]),
        lhist(0, 10, 0, &[1, 2]),
        lhist(i64::MIN, i64::MAX, i64::MAX, &[1, 1, 1, 1]),
        lhist(0, 4, 2, &[0, 1, 1, 1, 1, 1, 1]),
    ];
    for value in odd {
        let text = format_map(&scalar("@", value.clone()), Some(1), Some(3));
        assert!(text.starts_with("@:\n"), "{value:?}: {text}");
        assert!(text.ends_with("|\n\n"), "{value:?}: {text}");
    }
}

#[test]
fn benchmark_table_has_bpftraces_columns() {
    let names = ["a", "bb"];
    assert_eq!(
        sonde_output::text::format_benchmark(&names, 0, 12, 100000),
        format!(
            "{:<41}{:<15}Iterations\n{}\n{:<41}{:<15}100000\n",
            "Benchmark",
            "Time(ns)",
            "-".repeat(66),
            "a",
            "12"
        )
    );
    assert_eq!(
        sonde_output::text::format_benchmark(&names, 1, 7, 200),
        format!("bb{}7{}200\n", " ".repeat(39), " ".repeat(14))
    );
    // A name longer than 40 characters widens the name column.
    let long = "x".repeat(45);
    let row = sonde_output::text::format_benchmark(&[&long], 0, 1, 1);
    assert_eq!(row.lines().nth(1), Some("-".repeat(46 + 15 + 10).as_str()));
}

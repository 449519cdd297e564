use sonde_output::json::{
    format_attached, format_lost_events, format_map, format_printf, format_text, format_value,
};
use sonde_output::{AggValue, MapDump, Value};

fn s(text: &str) -> Value {
    Value::Str(text.as_bytes().to_vec())
}

fn scalar(name: &str, value: AggValue) -> MapDump {
    MapDump {
        name: name.to_owned(),
        entries: vec![(None, value)],
    }
}

fn keyed(name: &str, entries: Vec<(Vec<Value>, AggValue)>) -> MapDump {
    MapDump {
        name: name.to_owned(),
        entries: entries.into_iter().map(|(k, v)| (Some(k), v)).collect(),
    }
}

/// Buckets of `hist(v, bits)` over `values`, as the kernel side counts them.
fn hist_of(values: &[i64], bits: u32) -> AggValue {
    let per_power = 1i64 << bits;
    let mut buckets = Vec::new();
    for &v in values {
        let i = if v < 0 {
            0
        } else if v < 2 * per_power {
            v as usize + 1
        } else {
            let power = 63 - v.leading_zeros() as i64;
            let part = (v >> (power - bits as i64)) & (per_power - 1);
            ((power - bits as i64 + 1) * per_power + part + 1) as usize
        };
        if buckets.len() <= i {
            buckets.resize(i + 1, 0);
        }
        buckets[i] += 1;
    }
    AggValue::Hist { bits, buckets }
}

/// bpftrace's expected-output files are pretty-printed and its tests
/// compare them as JSON; dropping whitespace outside strings compares
/// structure and order.
fn squeeze(json: &str) -> String {
    let mut out = String::new();
    let (mut in_string, mut escaped) = (false, false);
    for c in json.chars() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_whitespace() {
            out.push(c);
        }
    }
    out
}

// tests/runtime/outputs/scalar.json, scalar_str.json, map.json, complex.json
#[test]
fn plain_maps() {
    assert_eq!(
        format_map(
            &scalar("@scalar", AggValue::Plain(Value::Int(5))),
            None,
            None
        ),
        r#"{"type": "map", "data": {"@scalar": 5}}"#
    );
    assert_eq!(
        format_map(
            &scalar("@scalar_str", AggValue::Plain(s("a b \n d e"))),
            None,
            None
        ),
        r#"{"type": "map", "data": {"@scalar_str": "a b \n d e"}}"#
    );
    let m = keyed(
        "@map",
        vec![
            (vec![s("key2")], AggValue::Plain(Value::Int(3))),
            (vec![s("key1")], AggValue::Plain(Value::Int(2))),
        ],
    );
    assert_eq!(
        format_map(&m, None, None),
        r#"{"type": "map", "data": {"@map": {"key1": 2, "key2": 3}}}"#
    );
    let complex = keyed(
        "@complex",
        vec![(
            vec![s("bpftrace"), Value::Int(2)],
            AggValue::Plain(Value::Int(5)),
        )],
    );
    assert_eq!(
        format_map(&complex, None, None),
        r#"{"type": "map", "data": {"@complex": {"bpftrace,2": 5}}}"#
    );
    assert_eq!(
        format_map(&scalar("@c", AggValue::Count(7)), None, None),
        r#"{"type": "map", "data": {"@c": 7}}"#
    );
    assert_eq!(
        format_map(&scalar("@m", AggValue::Min(-4)), None, None),
        r#"{"type": "map", "data": {"@m": -4}}"#
    );
}

// tests/runtime/json-output tuple, tuple_with_escaped_string, print_hex_values
#[test]
fn tuples_become_arrays() {
    let value = Value::Tuple(vec![
        Value::Int(1),
        Value::Int(2),
        s("string"),
        Value::Tuple(vec![Value::Int(4), Value::Int(5)]),
    ]);
    assert_eq!(
        format_map(&scalar("@", AggValue::Plain(value)), None, None),
        r#"{"type": "map", "data": {"@": [1,2,"string",[4,5]]}}"#
    );
    let quoted = Value::Tuple(vec![
        Value::Int(1),
        Value::Int(2),
        s("string with \"quotes\""),
    ]);
    assert_eq!(
        format_map(&scalar("@", AggValue::Plain(quoted)), None, None),
        r#"{"type": "map", "data": {"@": [1,2,"string with \"quotes\""]}}"#
    );
}

#[test]
fn keys_lose_parentheses_and_every_space() {
    let m = keyed(
        "@k",
        vec![
            (vec![s("a b")], AggValue::Count(1)),
            (
                vec![Value::Tuple(vec![
                    Value::Int(1),
                    Value::Tuple(vec![Value::Int(2), s("x")]),
                ])],
                AggValue::Count(2),
            ),
        ],
    );
    assert_eq!(
        format_map(&m, None, None),
        r#"{"type": "map", "data": {"@k": {"ab": 1, "1,(2,x)": 2}}}"#
    );
    let escaped = keyed("@e", vec![(vec![s("q\"\n")], AggValue::Count(1))]);
    assert_eq!(
        format_map(&escaped, None, None),
        r#"{"type": "map", "data": {"@e": {"q\"\n": 1}}}"#
    );
}

// tests/runtime/outputs/hist.json: @hist = hist(2); @hist = hist(1025);
#[test]
fn histogram() {
    let expected = r#"{"type": "hist", "data": {
  "@hist": [
      {"min": 2, "max": 3, "count": 1},
      {"min": 4, "max": 7, "count": 0},
      {"min": 8, "max": 15, "count": 0},
      {"min": 16, "max": 31, "count": 0},
      {"min": 32, "max": 63, "count": 0},
      {"min": 64, "max": 127, "count": 0},
      {"min": 128, "max": 255, "count": 0},
      {"min": 256, "max": 511, "count": 0},
      {"min": 512, "max": 1023, "count": 0},
      {"min": 1024, "max": 2047, "count": 1}
    ]
}}"#;
    let text = format_map(&scalar("@hist", hist_of(&[2, 1025], 0)), None, None);
    assert_eq!(squeeze(&text), squeeze(expected));
    // bpftrace's own spacing: ", " in objects, "," between array elements.
    assert!(
        text.starts_with(
            r#"{"type": "hist", "data": {"@hist": [{"min": 2, "max": 3, "count": 1},{"min": 4, "#
        ),
        "{text}"
    );
}

// tests/runtime/outputs/hist_zero.json and lhist_zero.json
#[test]
fn zeroed_histograms_are_empty_arrays() {
    let zero = AggValue::Hist {
        bits: 0,
        buckets: vec![0; 5],
    };
    assert_eq!(
        format_map(&scalar("@hist", zero), None, None),
        r#"{"type": "hist", "data": {"@hist": []}}"#
    );
    let lzero = AggValue::LHist {
        min: 0,
        max: 100,
        step: 10,
        buckets: vec![0; 12],
    };
    assert_eq!(
        format_map(&scalar("@h", lzero), None, None),
        r#"{"type": "hist", "data": {"@h": []}}"#
    );
}

// tests/runtime/outputs/hist_multiple.json
#[test]
fn keyed_histograms() {
    let expected = r#"{"type": "hist", "data": {
  "@": {
    "bpftrace": [
      {"min": 2, "max": 3, "count": 1}
    ], "curl": [
      {"max": -1, "count": 1},
      {"min": 0, "max": 0, "count": 1},
      {"min": 1, "max": 1, "count": 0},
      {"min": 2, "max": 3, "count": 0},
      {"min": 4, "max": 7, "count": 0},
      {"min": 8, "max": 15, "count": 0},
      {"min": 16, "max": 31, "count": 0},
      {"min": 32, "max": 63, "count": 0},
      {"min": 64, "max": 127, "count": 0},
      {"min": 128, "max": 255, "count": 0},
      {"min": 256, "max": 511, "count": 1},
      {"min": 512, "max": 1023, "count": 0},
      {"min": 1024, "max": 2047, "count": 2}
    ]}
}}"#;
    let m = keyed(
        "@",
        vec![
            (vec![s("curl")], hist_of(&[-1, 0, 511, 1024, 1025], 0)),
            (vec![s("bpftrace")], hist_of(&[2], 0)),
        ],
    );
    assert_eq!(squeeze(&format_map(&m, None, None)), squeeze(expected));
}

// tests/runtime/outputs/hist_multiple_multiple_keys.json
#[test]
fn histograms_with_multiple_keys() {
    let expected = r#"{"type": "hist", "data": {"@": {
        "bpftrace,2": [{"min": 2, "max": 3, "count": 1}],
        "curl,3": [{"min": 256, "max": 511, "count": 1},
                   {"min": 512, "max": 1023, "count": 0},
                   {"min": 1024, "max": 2047, "count": 1}]}}}"#;
    let m = keyed(
        "@",
        vec![
            (vec![s("curl"), Value::Int(3)], hist_of(&[511, 1024], 0)),
            (vec![s("bpftrace"), Value::Int(2)], hist_of(&[2], 0)),
        ],
    );
    assert_eq!(squeeze(&format_map(&m, None, None)), squeeze(expected));
}

// tests/runtime/json-output print_hist_with_top_arg / print_hist_with_large_top_arg
#[test]
fn histogram_top() {
    let m = keyed(
        "@",
        vec![
            (vec![Value::Int(1)], hist_of(&[10], 0)),
            (vec![Value::Int(2)], hist_of(&[20], 0)),
            (vec![Value::Int(3)], hist_of(&[30], 0)),
        ],
    );
    assert_eq!(
        format_map(&m, Some(2), None),
        r#"{"type": "hist", "data": {"@": {"2": [{"min": 16, "max": 31, "count": 1}], "3": [{"min": 16, "max": 31, "count": 1}]}}}"#
    );
    assert_eq!(
        format_map(&m, Some(10), None),
        r#"{"type": "hist", "data": {"@": {"1": [{"min": 8, "max": 15, "count": 1}], "2": [{"min": 16, "max": 31, "count": 1}], "3": [{"min": 16, "max": 31, "count": 1}]}}}"#
    );
}

// tests/runtime/outputs/hist_2args.json: hist($i, 3) for $i in 0..1024
#[test]
fn histogram_with_sub_buckets() {
    let values: Vec<i64> = (0..1024).collect();
    let text = format_map(&scalar("@", hist_of(&values, 3)), None, None);
    let mut expected = String::from(r#"{"type": "hist", "data": {"@": ["#);
    let mut bounds: Vec<(i64, i64)> = (0..16).map(|v| (v, v)).collect();
    for power in 4..10 {
        let step = 1i64 << (power - 3);
        for part in 0..8 {
            let low = (1i64 << power) + part * step;
            bounds.push((low, low + step - 1));
        }
    }
    for (i, (min, max)) in bounds.iter().enumerate() {
        if i > 0 {
            expected.push(',');
        }
        let count = max - min + 1;
        expected.push_str(&format!(
            r#"{{"min": {min}, "max": {max}, "count": {count}}}"#
        ));
    }
    expected.push_str("]}}");
    assert_eq!(text, expected);
}

// tests/runtime/outputs/hist_10g.json
#[test]
fn histogram_bounds_are_full_numbers() {
    let text = format_map(&scalar("@", hist_of(&[10 << 30], 0)), None, None);
    assert_eq!(
        text,
        r#"{"type": "hist", "data": {"@": [{"min": 8589934592, "max": 17179869183, "count": 1}]}}"#
    );
}

// tests/runtime/outputs/lhist.json
#[test]
fn linear_histogram() {
    let expected = r#"{"type": "hist", "data": {
  "@h": [
      {"min": 0, "max": 9, "count": 1},
      {"min": 10, "max": 19, "count": 0},
      {"min": 20, "max": 29, "count": 0},
      {"min": 30, "max": 39, "count": 0},
      {"min": 40, "max": 49, "count": 0},
      {"min": 50, "max": 59, "count": 1},
      {"min": 60, "max": 69, "count": 0},
      {"min": 70, "max": 79, "count": 0},
      {"min": 80, "max": 89, "count": 0},
      {"min": 90, "max": 99, "count": 0},
      {"min": 100, "count": 1}
    ]
}}"#;
    let mut buckets = vec![0; 12];
    buckets[1] = 1;
    buckets[6] = 1;
    buckets[11] = 1;
    let value = AggValue::LHist {
        min: 0,
        max: 100,
        step: 10,
        buckets,
    };
    assert_eq!(
        squeeze(&format_map(&scalar("@h", value), None, None)),
        squeeze(expected)
    );
}

// tests/runtime/outputs/lhist_multiple.json
#[test]
fn keyed_linear_histograms_sort_by_total() {
    let expected = r#"{"type": "hist", "data": {
  "@stats": {
    "curl": [
      {"min": 50, "max": 59, "count": 1}
    ], "bpftrace": [
      {"min": 0, "max": 9, "count": 1},
      {"min": 10, "max": 19, "count": 0},
      {"min": 20, "max": 29, "count": 0},
      {"min": 30, "max": 39, "count": 0},
      {"min": 40, "max": 49, "count": 0},
      {"min": 50, "max": 59, "count": 0},
      {"min": 60, "max": 69, "count": 0},
      {"min": 70, "max": 79, "count": 0},
      {"min": 80, "max": 89, "count": 0},
      {"min": 90, "max": 99, "count": 0},
      {"min": 100, "count": 1}
    ]}
}}"#;
    let lhist = |set: &[usize]| {
        let mut buckets = vec![0; 12];
        for &i in set {
            buckets[i] = 1;
        }
        AggValue::LHist {
            min: 0,
            max: 100,
            step: 10,
            buckets,
        }
    };
    let m = keyed(
        "@stats",
        vec![
            (vec![s("bpftrace")], lhist(&[1, 11])),
            (vec![s("curl")], lhist(&[6])),
        ],
    );
    assert_eq!(squeeze(&format_map(&m, None, None)), squeeze(expected));
}

#[test]
fn linear_bounds_with_suffixes_stay_numeric() {
    let value = AggValue::LHist {
        min: -1024,
        max: 2048,
        step: 1024,
        buckets: vec![1, 1],
    };
    // bpftrace stores suffixed bounds as unsigned numbers: a negative one
    // wraps, and is too large for a double, so it prints as a string.
    assert_eq!(
        format_map(&scalar("@", value), None, None),
        r#"{"type": "hist", "data": {"@": [{"max": -1025, "count": 1},{"min": "18446744073709550592", "max": -1, "count": 1}]}}"#
    );
}

// tests/runtime/outputs/stats.json, stats_multiple.json
#[test]
fn stats() {
    assert_eq!(
        format_map(
            &scalar(
                "@stats",
                AggValue::Stats {
                    total: 12,
                    count: 2
                }
            ),
            None,
            None
        ),
        r#"{"type": "stats", "data": {"@stats": {"count": 2, "average": 6, "total": 12}}}"#
    );
    let m = keyed(
        "@stats",
        vec![
            (
                vec![s("zsh")],
                AggValue::Stats {
                    total: 10,
                    count: 1,
                },
            ),
            (vec![s("curl")], AggValue::Stats { total: 2, count: 1 }),
        ],
    );
    assert_eq!(
        format_map(&m, None, None),
        r#"{"type": "stats", "data": {"@stats": {"curl": {"count": 1, "average": 2, "total": 2}, "zsh": {"count": 1, "average": 10, "total": 10}}}}"#
    );
}

// tests/runtime/json-output print_avg_map_args / print_avg_map_with_large_top
#[test]
fn averages_are_typed_stats() {
    let avg = |total| AggValue::Avg { total, count: 1 };
    let m = keyed(
        "@",
        vec![
            (vec![s("a")], avg(10)),
            (vec![s("b")], avg(20)),
            (vec![s("c")], avg(30)),
            (vec![s("d")], avg(40)),
        ],
    );
    assert_eq!(
        format_map(&m, Some(2), Some(10)),
        r#"{"type": "stats", "data": {"@": {"c": 3, "d": 4}}}"#
    );
    assert_eq!(
        format_map(&m, Some(10), Some(10)),
        r#"{"type": "stats", "data": {"@": {"a": 1, "b": 2, "c": 3, "d": 4}}}"#
    );
    assert_eq!(
        format_map(
            &scalar(
                "@a",
                AggValue::Avg {
                    total: 45,
                    count: 3
                }
            ),
            None,
            None
        ),
        r#"{"type": "stats", "data": {"@a": 15}}"#
    );
}

#[test]
fn an_empty_map_prints_nothing() {
    let empty = MapDump {
        name: "@".to_owned(),
        entries: vec![],
    };
    assert_eq!(format_map(&empty, None, None), "");
}

#[test]
fn integers_a_double_cannot_hold_are_strings() {
    let cases = [
        (AggValue::Count(1 << 53), "9007199254740992"),
        (AggValue::Count((1 << 53) + 1), "\"9007199254740993\""),
        (AggValue::Count(u64::MAX), "\"18446744073709551615\""),
        (AggValue::Sum(i64::MAX), "\"9223372036854775807\""),
        (AggValue::Sum(i64::MIN), "-9223372036854775808"),
        (AggValue::Plain(Value::UInt(1 << 63)), "9223372036854775808"),
        (
            AggValue::Plain(Value::Int(-(1 << 60) - 1)),
            "\"-1152921504606846977\"",
        ),
    ];
    for (value, expected) in cases {
        assert_eq!(
            format_map(&scalar("@", value), None, None),
            format!(r#"{{"type": "map", "data": {{"@": {expected}}}}}"#)
        );
    }
}

// tests/runtime/json-output print_non_map*, print bool type
#[test]
fn values() {
    assert_eq!(
        format_value(&Value::Int(5)),
        r#"{"type": "value", "data": 5}"#
    );
    assert_eq!(
        format_value(&s("bpftrace")),
        r#"{"type": "value", "data": "bpftrace"}"#
    );
    assert_eq!(
        format_value(&Value::Tuple(vec![
            Value::Int(1),
            Value::Int(2),
            s("string")
        ])),
        r#"{"type": "value", "data": [1,2,"string"]}"#
    );
    assert_eq!(
        format_value(&Value::Buffer(vec![104, 105, 0xff])),
        r#"{"type": "value", "data": [104,105,-1]}"#
    );
    assert_eq!(
        format_value(&Value::Tuple(vec![])),
        r#"{"type": "value", "data": []}"#
    );
}

// tests/runtime/json-output printf, printf_escaping, attached probes
#[test]
fn messages() {
    assert_eq!(
        format_printf("test 5"),
        r#"{"type": "printf", "data": "test 5"}"#
    );
    assert_eq!(
        format_printf("test \r \n \t \\ \" bar"),
        r#"{"type": "printf", "data": "test \r \n \t \\ \" bar"}"#
    );
    assert_eq!(
        format_printf("\u{1}\u{1f}\u{7f}é"),
        "{\"type\": \"printf\", \"data\": \"\\u0001\\u001f\u{7f}é\"}"
    );
    assert_eq!(
        format_text("syscall", "a b c\n"),
        r#"{"type": "syscall", "data": "a b c\n"}"#
    );
    assert_eq!(
        format_attached(1),
        r#"{"type": "attached_probes", "count": 1, "data": {"probes": 1}}"#
    );
    assert_eq!(
        format_lost_events(4),
        r#"{"type": "lost_events", "count": 4, "data": {"events": 4}}"#
    );
}

#[test]
fn invalid_utf8_becomes_replacement_characters() {
    assert_eq!(
        format_value(&Value::Str(b"a\xffb".to_vec())),
        "{\"type\": \"value\", \"data\": \"a\u{fffd}b\"}"
    );
}

#[test]
fn benchmark_result_record() {
    assert_eq!(
        sonde_output::json::format_benchmark("a", 15, 100000),
        r#"{"type": "benchmark_result", "data": {"a": {"average": 15, "iters": 100000}}}"#
    );
}

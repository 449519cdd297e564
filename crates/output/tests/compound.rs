//! Structs, arrays, pointers and enum names as bpftrace prints them, in
//! text and in JSON.

use sonde_output::{json, printf, text, AggValue, MapDump, Value};

fn record(fields: &[(&str, Value)]) -> Value {
    Value::Record(
        fields
            .iter()
            .map(|(n, v)| (n.to_string(), v.clone()))
            .collect(),
    )
}

fn sym(text: &str, numeric: u64) -> Value {
    Value::Symbolic {
        text: text.into(),
        numeric,
    }
}

#[test]
fn records_arrays_and_symbols_in_text() {
    let nested = record(&[
        ("y", record(&[("m", Value::Array(vec![Value::Int(2)]))])),
        ("a", record(&[("n", Value::Int(3))])),
    ]);
    assert_eq!(
        text::format_value(&nested),
        "{ .y = { .m = [2] }, .a = { .n = 3 } }"
    );
    assert_eq!(text::format_value(&record(&[])), "{}");
    let arr = Value::Array(vec![
        Value::Array(vec![Value::Int(5), Value::Int(6)]),
        Value::Array(vec![Value::Int(7), Value::Int(8)]),
    ]);
    assert_eq!(text::format_value(&arr), "[[5,6],[7,8]]");
    assert_eq!(text::format_value(&sym("0x33", 0x33)), "0x33");
    let map = MapDump {
        name: "@x".into(),
        entries: vec![(
            Some(vec![
                Value::Array(vec![Value::Int(1), Value::Int(2)]),
                Value::Int(42),
            ]),
            AggValue::Plain(sym("ONE", 1)),
        )],
    };
    assert_eq!(text::format_map(&map, None, None), "@x[[1,2], 42]: ONE\n");
}

#[test]
fn records_are_objects_and_symbols_numbers_in_json() {
    let v = record(&[
        ("m", Value::Int(2)),
        ("n", record(&[("i", Value::Int(5)), ("f", Value::None)])),
    ]);
    assert_eq!(
        json::format_value(&v),
        r#"{"type": "value", "data": {"m": 2, "n": {"i": 5, "f": null}}}"#
    );
    assert_eq!(
        json::format_value(&sym("FOO", 333)),
        r#"{"type": "value", "data": 333}"#
    );
    assert_eq!(
        json::format_value(&Value::Array(vec![Value::Int(1), Value::Int(2)])),
        r#"{"type": "value", "data": [1,2]}"#
    );
}

#[test]
fn printf_shows_symbols_as_text_and_numbers() {
    let args = [sym("ONE", 1), sym("ONE", 1), sym("0x10", 16)];
    assert_eq!(printf::format(b"%d %s %lx", &args), "1 ONE 10");
}

//! What settings and map declarations make of the object: map kinds and
//! sizes, the ring buffer, printing at exit.

use sonde_codegen::object::{MapKind, Object};
use sonde_lang::sema::{self, fake_env::FakeEnv};

fn compile_with(src: &str, env: &[(&str, &str)]) -> Object {
    let ast = sonde_lang::parse(src)
        .unwrap_or_else(|d| panic!("{}", sonde_lang::render(&d, src, "stdin")));
    let opts = sema::Options {
        config_env: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..sema::Options::default()
    };
    let typed = sema::analyse(&ast, &FakeEnv::default(), &opts)
        .unwrap_or_else(|d| panic!("{}", sonde_lang::render(&d, src, "stdin")));
    sonde_codegen::compile(&typed, &Default::default())
        .unwrap_or_else(|d| panic!("{}", sonde_lang::render(&d, src, "stdin")))
}

fn map<'o>(o: &'o Object, name: &str) -> &'o sonde_codegen::object::MapDef {
    o.maps.iter().find(|m| m.name == name).expect(name)
}

#[test]
fn declared_maps_have_their_kind_and_size() {
    let o = compile_with(
        "let @h = hash(7); let @l = lruhash(100); let @p = percpuhash(3); \
         let @q = percpulruhash(9); \
         BEGIN { @h[1] = 1; @l[1] = 1; @p[1] = count(); @q = sum(2); @other = 1; }",
        &[],
    );
    let kinds: Vec<(MapKind, u32)> = ["AT_h", "AT_l", "AT_p", "AT_q", "AT_other"]
        .iter()
        .map(|n| (map(&o, n).kind, map(&o, n).max_entries))
        .collect();
    assert_eq!(
        kinds,
        [
            (MapKind::Hash, 7),
            (MapKind::LruHash, 100),
            (MapKind::PercpuHash, 3),
            (MapKind::LruPercpuHash, 9),
            (MapKind::Hash, 4096),
        ]
    );
}

#[test]
fn settings_size_maps_and_the_ring_buffer() {
    let src = "config = { max_map_keys = 10; perf_rb_pages = 3; print_maps_on_exit = false } \
               let @d = hash(2); BEGIN { @d[1] = 1; @u[1] = 1; }";
    let o = compile_with(src, &[]);
    assert_eq!(map(&o, "AT_d").max_entries, 2);
    assert_eq!(map(&o, "AT_u").max_entries, 10);
    // Pages round up to a power of two.
    assert_eq!(map(&o, "ringbuf").max_entries, 4 * 4096);
    assert!(o.skip_maps_on_exit);
    let o = compile_with(
        src,
        &[
            ("BPFTRACE_MAX_MAP_KEYS", "20"),
            ("BPFTRACE_PRINT_MAPS_ON_EXIT", "1"),
        ],
    );
    assert_eq!(map(&o, "AT_u").max_entries, 20);
    assert!(!o.skip_maps_on_exit);
}

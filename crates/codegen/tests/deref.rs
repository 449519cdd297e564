//! Reads through pointers as the code generator emits them: one helper
//! call per read, at the offset sema resolved, with the helper of the
//! pointer's address space.

use sonde_lang::sema::{self, fake_env::FakeEnv};

fn disassembly(src: &str) -> Vec<String> {
    let ast = sonde_lang::parse(src).expect("parses");
    // Short strings keep the program on the stack, where clearing a buffer
    // takes no helper call that would count as a read below.
    let opts = sema::Options {
        strlen: 64,
        ..sema::Options::default()
    };
    let typed = sema::analyse(&ast, &FakeEnv::default(), &opts)
        .unwrap_or_else(|d| panic!("{}", sonde_lang::render(&d, src, "stdin")));
    let object = sonde_codegen::compile(&typed, &Default::default())
        .unwrap_or_else(|d| panic!("{}", sonde_lang::render(&d, src, "stdin")));
    sonde_isa::disassemble(&object.programs[0].insns)
        .into_iter()
        // Drop the `N: ` prefixes.
        .map(|l| l.split_once(": ").map_or(l.clone(), |(_, i)| i.to_string()))
        .collect()
}

fn count(lines: &[String], needle: &str) -> usize {
    lines.iter().filter(|l| l.contains(needle)).count()
}

#[test]
fn a_nested_field_is_one_read_at_its_final_offset() {
    let lines = disassembly(
        "struct In { int a; int b[4]; } struct Out { long x; struct In in; } \
         BEGIN { $p = (struct Out *)1000; @v = $p->in.b[2]; }",
    );
    assert_eq!(
        count(&lines, "call bpf_probe_read_kernel#"),
        1,
        "{lines:#?}"
    );
    // in at 8, b at 4 in it, element 2 of 4 bytes.
    assert!(lines.iter().any(|l| l == "r0 += 20"), "{lines:#?}");
    assert!(lines.iter().any(|l| l == "r2 = 4"), "{lines:#?}");
}

#[test]
fn user_pointers_read_with_the_user_helpers() {
    let lines = disassembly(
        "struct P { char c; int i; } tracepoint:syscalls:sys_enter_openat { \
         $p = (struct P *)args.filename; @i = $p->i; @s = str(args.filename); }",
    );
    assert_eq!(count(&lines, "call bpf_probe_read_user#"), 1, "{lines:#?}");
    assert_eq!(
        count(&lines, "call bpf_probe_read_user_str#"),
        1,
        "{lines:#?}"
    );
    assert_eq!(count(&lines, "call bpf_probe_read_kernel"), 0, "{lines:#?}");
}

#[test]
fn bitfields_are_shifted_and_masked_after_one_read() {
    let lines = disassembly(
        "struct F { unsigned int a:3; unsigned int b:5; } \
         BEGIN { $p = (struct F *)8; @b = $p->b; }",
    );
    assert_eq!(
        count(&lines, "call bpf_probe_read_kernel#"),
        1,
        "{lines:#?}"
    );
    assert!(lines.iter().any(|l| l == "r0 >>= 3"), "{lines:#?}");
    assert!(lines.iter().any(|l| l == "r0 &= 31"), "{lines:#?}");
}

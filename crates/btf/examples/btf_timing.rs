//! How long opening the kernel's BTF and looking names up take:
//! `cargo run --release -p sonde-btf --example btf_timing`.

use std::time::Instant;

fn main() {
    let t = Instant::now();
    let data = std::fs::read("/sys/kernel/btf/vmlinux").expect("read vmlinux BTF");
    let read = t.elapsed();
    let t = Instant::now();
    let btf = sonde_btf::Btf::from_bytes(data).expect("parse");
    let index = t.elapsed();
    let t = Instant::now();
    let ids = btf.find("task_struct");
    let find = t.elapsed();
    let t = Instant::now();
    let _ = btf.enum_variant("BTF_VAR_STATIC");
    let variant = t.elapsed();
    println!(
        "{} types; read {read:?}, index {index:?}, find {find:?} ({ids:?}), first enum variant {variant:?}",
        btf.len()
    );
}

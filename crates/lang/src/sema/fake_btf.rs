//! A tiny kernel BTF for tests: a few typedefs and structs, and the
//! prototypes of the functions [`FakeEnv`](super::fake_env::FakeEnv)
//! lists, written as real BTF so that tests go through the same reader
//! and conversion as the kernel's own.

use sonde_btf::write::Builder;
use sonde_btf::Btf;

use super::btf_types::BtfTypes;

/// The blob: x86-64 sizes; `__user` pointers carry the `user` type tag,
/// as in kernels built with BTF type tags.
///
/// ```c
/// struct file { unsigned int f_flags; loff_t f_pos; };       // 16 bytes
/// struct pair { long a; long b; };                            // 16 bytes
/// struct triple { long a; long b; long c; };                  // 24 bytes
/// struct mix { int a; short b; char c; long d; };             // 16 bytes
/// ssize_t vfs_read(struct file *file, char __user *buf, size_t count, loff_t *pos);
/// ssize_t vfs_readv(struct file *file, const struct iovec __user *vec,
///                   unsigned long vlen, loff_t *pos, int flags);
/// ssize_t vfs_write(struct file *file, const char __user *buf, size_t count, loff_t *pos);
/// ssize_t ksys_read(unsigned int fd, char __user *buf, size_t count);
/// long do_sys_openat2(int dfd, const char __user *filename, struct open_how *how);
/// int do_nanosleep(struct hrtimer_sleeper *t, int mode);
/// long pair_sum(struct pair p, long scale);
/// long triple_sum(long scale, struct triple t, long bias); // 24 bytes
/// long mix_sum(int n, struct mix m);
/// void nf_tables_newtable(struct sk_buff *skb);
/// ```
pub fn blob() -> Vec<u8> {
    let mut b = Builder::new();
    let int = b.int("int", 4, true);
    let uint = b.int("unsigned int", 4, false);
    let long = b.int("long", 8, true);
    let ulong = b.int("long unsigned int", 8, false);
    let llong = b.int("long long", 8, true);
    let char_ = b.int("char", 1, true);
    let size_t = b.typedef("size_t", ulong);
    let ssize_t = b.typedef("ssize_t", long);
    let loff_t = b.typedef("loff_t", llong);
    let file = b.structure("file", 16, &[("f_flags", uint, 0), ("f_pos", loff_t, 8)]);
    let pair = b.structure("pair", 16, &[("a", long, 0), ("b", long, 8)]);
    let iovec = b.forward("iovec");
    let open_how = b.forward("open_how");
    let sleeper = b.forward("hrtimer_sleeper");
    let sk_buff = b.forward("sk_buff");
    let file_ptr = b.ptr(file);
    let loff_ptr = b.ptr(loff_t);
    let user_char = b.type_tag("user", char_);
    let user_buf = b.ptr(user_char);
    let const_char = b.konst(char_);
    let user_const_char = b.type_tag("user", const_char);
    let user_const_buf = b.ptr(user_const_char);
    let const_iovec = b.konst(iovec);
    let user_iovec = b.type_tag("user", const_iovec);
    let iovec_ptr = b.ptr(user_iovec);
    let how_ptr = b.ptr(open_how);
    let sleeper_ptr = b.ptr(sleeper);
    let skb_ptr = b.ptr(sk_buff);
    let rw = |b: &mut Builder, name: &str, buf: u32| {
        b.func(
            name,
            ssize_t,
            &[
                ("file", file_ptr),
                ("buf", buf),
                ("count", size_t),
                ("pos", loff_ptr),
            ],
        )
    };
    rw(&mut b, "vfs_read", user_buf);
    rw(&mut b, "vfs_write", user_const_buf);
    b.func(
        "vfs_readv",
        ssize_t,
        &[
            ("file", file_ptr),
            ("vec", iovec_ptr),
            ("vlen", ulong),
            ("pos", loff_ptr),
            ("flags", int),
        ],
    );
    b.func(
        "ksys_read",
        ssize_t,
        &[("fd", uint), ("buf", user_buf), ("count", size_t)],
    );
    b.func(
        "do_sys_openat2",
        long,
        &[("dfd", int), ("filename", user_const_buf), ("how", how_ptr)],
    );
    b.func("do_nanosleep", int, &[("t", sleeper_ptr), ("mode", int)]);
    b.func("pair_sum", long, &[("p", pair), ("scale", long)]);
    let triple = b.structure(
        "triple",
        24,
        &[("a", long, 0), ("b", long, 8), ("c", long, 16)],
    );
    b.func(
        "triple_sum",
        long,
        &[("scale", long), ("t", triple), ("bias", long)],
    );
    let short = b.int("short", 2, true);
    let mix = b.structure(
        "mix",
        16,
        &[
            ("a", int, 0),
            ("b", short, 4),
            ("c", char_, 6),
            ("d", long, 8),
        ],
    );
    b.func("mix_sum", long, &[("n", int), ("m", mix)]);
    b.func("nf_tables_newtable", 0, &[("skb", skb_ptr)]);
    b.finish()
}

/// The fake kernel's types.
pub fn kernel_types() -> BtfTypes {
    BtfTypes::new(Btf::from_bytes(blob()).expect("the fake BTF is well-formed"))
}

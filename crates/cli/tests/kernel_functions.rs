//! Probes on kernel functions with the real binary on this kernel, which
//! has no kprobes (built without CONFIG_KPROBES) and refuses tracing
//! programs (EPERM): however many functions a script names and whatever
//! its bodies read (typed `args`, `retval`), the kernel is asked once and
//! the answer is one error that says what is missing and what to trace
//! instead, and nothing is left loaded. The code these probes compile to is
//! checked instruction by instruction in crates/codegen/tests.

mod common;

use common::*;

fn fails(script: &str) -> String {
    let out = run(&["-e", script]);
    assert_eq!(out.status.code(), Some(1), "for {script}");
    assert_eq!(stdout(&out), "", "for {script}");
    stderr(&out)
}

#[test]
fn kprobes_on_many_functions_are_one_error() {
    assert_eq!(
        fails(
            "kprobe:vfs_* { @kf_a[args.count] = count(); } \
             kretprobe:vfs_read { @kf_r = sum(retval); }"
        ),
        "stdin:1:1-13: ERROR: kprobe:vfs_*: kprobes are unavailable: this kernel was built \
         without CONFIG_KPROBES (there is no kprobe PMU in /sys/bus/event_source/devices)\n\
         kprobe:vfs_* { @kf_a[args.count] = count(); } kretprobe:vfs_read { @kf_r = sum(retval); }\n\
         ~~~~~~~~~~~~\n\
         HINT: trace the events through tracepoints or raw tracepoints instead \
         (sonde -l 'tracepoint:*vfs_*' lists those named like them)\n"
    );
    assert_released("@kf_a");
    assert_released("@kf_r");
}

#[test]
fn a_kretprobe_suggests_the_syscall_exit() {
    assert_eq!(
        fails(
            "kretprobe:do_nanosleep { @kf_n = sum(retval); } kprobe:vfs_read { @kf_v = reg(\"ip\"); }"
        ),
        "stdin:1:1-23: ERROR: kretprobe:do_nanosleep: kprobes are unavailable: this kernel was \
         built without CONFIG_KPROBES (there is no kprobe PMU in /sys/bus/event_source/devices)\n\
         kretprobe:do_nanosleep { @kf_n = sum(retval); } kprobe:vfs_read { @kf_v = reg(\"ip\"); }\n\
         ~~~~~~~~~~~~~~~~~~~~~~\n\
         HINT: trace tracepoint:syscalls:sys_exit_nanosleep instead\n"
    );
    assert_released("@kf_n");
}

#[test]
fn fentry_and_fexit_with_typed_arguments_are_one_error() {
    assert_eq!(
        fails(
            "fentry:vfs_read { @kf_f[args.count] = count(); } \
             fexit:vfs_read { @kf_x = sum(retval); }"
        ),
        "stdin:1:1-16: ERROR: fentry:vmlinux:vfs_read: fentry/fexit probes are unavailable: \
         the kernel refuses BPF_PROG_TYPE_TRACING fentry/fexit programs: loading one fails with \
         EPERM even as root (BPF trampolines are disabled or forbidden by policy)\n\
         fentry:vfs_read { @kf_f[args.count] = count(); } fexit:vfs_read { @kf_x = sum(retval); }\n\
         ~~~~~~~~~~~~~~~\n\
         HINT: trace tracepoint:syscalls:sys_enter_read instead\n"
    );
    // A function that implements no syscall: any tracepoint named like it.
    assert_eq!(
        fails("fexit:tcp_connect { @kf_s = sum(retval); }"),
        "stdin:1:1-18: ERROR: fexit:vmlinux:tcp_connect: fentry/fexit probes are unavailable: \
         the kernel refuses BPF_PROG_TYPE_TRACING fentry/fexit programs: loading one fails with \
         EPERM even as root (BPF trampolines are disabled or forbidden by policy)\n\
         fexit:tcp_connect { @kf_s = sum(retval); }\n\
         ~~~~~~~~~~~~~~~~~\n\
         HINT: trace the event through a tracepoint or a raw tracepoint instead \
         (sonde -l '*tcp_connect*' lists those named like it)\n"
    );
    assert_released("@kf_f");
    assert_released("@kf_x");
    assert_released("@kf_s");
}

#[test]
fn verbose_listing_shows_the_running_kernels_signatures() {
    // vfs_read's prototype has not changed since 2.6.
    let out = run(&["-lv", "fexit:vfs_read,kretprobe:vfs_read,kprobe:vfs_read"]);
    assert_eq!(
        stdout(&out),
        "fexit:vmlinux:vfs_read\n    struct file * file\n    char * buf\n    size_t count\n    \
         loff_t * pos\n    ssize_t retval\n\
         kretprobe:vfs_read\n    ssize_t retval\n\
         kprobe:vfs_read\n    struct file * arg0\n    char * arg1\n    size_t arg2\n    \
         loff_t * arg3\n"
    );
    assert_eq!(stderr(&out), "");
    assert!(out.status.success());
}

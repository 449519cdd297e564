//! tracefs, object listing, the paused child, signals and notifiers.

mod common;

use std::time::Duration;

use sonde_sys::{
    loaded_programs, ExitStatus, Notifier, PausedChild, Poller, ProgSpec, ProgType, Program,
    Tracefs,
};

#[test]
fn tracefs_lists_and_describes_tracepoints() {
    let tracefs = Tracefs::get().unwrap();
    let events = tracefs.tracepoints().unwrap();
    assert!(events
        .iter()
        .any(|(c, n)| c == "syscalls" && n == "sys_enter_getppid"));
    let id = tracefs.event_id("syscalls", "sys_enter_getppid").unwrap();
    assert!(id > 0);
    let format = tracefs
        .event_format("syscalls", "sys_enter_getppid")
        .unwrap()
        .unwrap();
    assert!(format.starts_with("name: sys_enter_getppid\n"), "{format}");
    assert!(format.contains(&format!("ID: {id}\n")));
    assert_eq!(
        tracefs
            .event_format("syscalls", "sys_enter_no_such")
            .unwrap(),
        None
    );
    let err = tracefs
        .event_id("syscalls", "sys_enter_no_such")
        .unwrap_err();
    assert!(err.to_string().ends_with("/events/syscalls/sys_enter_no_such/id: No such file or directory: no tracepoint syscalls:sys_enter_no_such"), "{err}");
}

#[test]
fn loaded_programs_list_ours_by_id_and_name() {
    let insns = sonde_isa::encode_all(&[sonde_isa::Insn::mov64_imm(0, 0), sonde_isa::Insn::exit()]);
    let prog = Program::load(&ProgSpec::new("t_list_me", ProgType::Tracepoint, &insns)).unwrap();
    let info = prog.info().unwrap();
    assert_eq!(info.name, "t_list_me");
    assert_eq!(info.prog_type, 5);
    assert_eq!(info.verified_insns, 2);
    let listed: Vec<_> = loaded_programs()
        .unwrap()
        .into_iter()
        .filter(|p| p.id == info.id)
        .collect();
    assert_eq!(listed, vec![info.clone()]);
    drop(prog);
    common::assert_gone(&[info.id], &[], &[]);
}

#[test]
fn paused_child_runs_only_when_released() {
    let dir = std::env::temp_dir().join(format!("sonde-child-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let marker = dir.join("ran");
    let script = format!("echo $$ > {}; exit 3", marker.display());

    let mut child = PausedChild::spawn(&["sh".into(), "-c".into(), script.clone()]).unwrap();
    std::thread::sleep(Duration::from_millis(50));
    assert!(!marker.exists(), "the command ran before release");
    assert_eq!(child.try_wait().unwrap(), None);
    child.release().unwrap();
    assert_eq!(child.wait().unwrap(), ExitStatus::Exited(3));
    let pid: i32 = std::fs::read_to_string(&marker)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(pid, child.pid());

    // Dropped before release: the command never runs.
    std::fs::remove_file(&marker).unwrap();
    let child = PausedChild::spawn(&["sh".into(), "-c".into(), script]).unwrap();
    drop(child);
    assert!(!marker.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn child_exit_wakes_a_poller_and_exec_failure_is_reported() {
    let mut child = PausedChild::spawn(&["true".into()]).unwrap();
    let poller = Poller::new().unwrap();
    poller.add(child.exit_fd().unwrap(), 9).unwrap();
    child.release().unwrap();
    let mut ready = Vec::new();
    poller.wait(5000, &mut ready).unwrap();
    assert_eq!(ready, vec![9]);
    assert_eq!(child.wait().unwrap(), ExitStatus::Exited(0));

    let err = PausedChild::spawn(&["sonde-no-such-command".into()]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "spawn child `sonde-no-such-command`: No such file or directory: not found in $PATH"
    );

    let dir = std::env::temp_dir();
    let mut child = PausedChild::spawn(&[dir.to_string_lossy().into_owned()]).unwrap();
    let err = child.release().unwrap_err();
    assert_eq!(
        err.to_string(),
        "execve: Permission denied: running the -c command"
    );
}

#[test]
fn terminate_stops_a_running_child() {
    let mut child = PausedChild::spawn(&["sleep".into(), "30".into()]).unwrap();
    child.release().unwrap();
    let status = child.terminate(Duration::from_secs(2)).unwrap();
    assert_eq!(status, ExitStatus::Signaled(libc::SIGTERM));
}

#[test]
fn notifier_wakes_a_poller_from_another_thread() {
    let notifier = Notifier::new().unwrap();
    let poller = Poller::new().unwrap();
    poller.add(notifier.fd(), 4).unwrap();
    let remote = notifier.clone();
    let t = std::thread::spawn(move || remote.notify());
    let mut ready = Vec::new();
    poller.wait(5000, &mut ready).unwrap();
    t.join().unwrap();
    assert_eq!(ready, vec![4]);
    assert!(notifier.take());
    assert!(!notifier.take());
}

#[test]
fn feature_probes_on_this_kernel() {
    use sonde_sys::features::{helper_supported, Features};
    use sonde_sys::{MapType, ProgType};
    let features = Features::probe();
    // Kernel 6.18 has all of it.
    assert!(
        features.prog_types.iter().all(|(_, ok)| *ok),
        "{features:?}"
    );
    assert!(features.map_types.iter().all(|(_, ok)| *ok), "{features:?}");
    assert_eq!(features.prog_types.len(), 6);
    assert_eq!(features.map_types.len(), 7);
    assert_eq!(features.map_types[6], (MapType::RingBuf, true));
    assert!(
        features.ringbuf_output
            && features.get_attach_cookie
            && features.perf_link
            && features.raw_tracepoint_cookie
    );
    // Helpers a program type may not call, and helper ids that do not exist.
    assert!(!helper_supported(ProgType::SocketFilter, 174));
    assert!(!helper_supported(ProgType::Tracepoint, 99_999));
    assert!(helper_supported(ProgType::RawTracepoint, 14));
}

#[test]
fn bpffs_is_mounted_and_links_can_be_pinned() {
    use sonde_isa::{Insn, R0};
    let dir = sonde_sys::tracefs::ensure_bpffs().unwrap();
    assert_eq!(dir, std::path::PathBuf::from("/sys/fs/bpf"));
    let insns = sonde_isa::encode_all(&[Insn::mov64_imm(R0, 0), Insn::exit()]);
    let prog = Program::load(&ProgSpec::new("t_pin", ProgType::RawTracepoint, &insns)).unwrap();
    let prog_id = prog.info().unwrap().id;
    let link = sonde_sys::Link::raw_tracepoint(&prog, "sys_enter", 0).unwrap();
    let link_id = link.id().unwrap();
    let path = dir.join(format!("sonde_test_pin_{}", std::process::id()));
    link.pin(path.to_str().unwrap()).unwrap();
    drop(link);
    drop(prog);
    // The pin keeps both alive until it is removed.
    assert!(sonde_sys::loaded_links()
        .unwrap()
        .iter()
        .any(|l| l.id == link_id && l.prog_id == prog_id));
    std::fs::remove_file(&path).unwrap();
    common::assert_gone(&[prog_id], &[link_id], &[]);
}

#[test]
fn kernel_btf_objects_are_found_by_name() {
    // vmlinux is a kernel BTF object like a module's, found the same way.
    let vmlinux = sonde_sys::ModuleBtf::find("vmlinux").unwrap();
    let _ = vmlinux.fd();
    let err = sonde_sys::ModuleBtf::find("sonde_no_such_module").unwrap_err();
    assert_eq!(
        err.to_string(),
        "bpf(BPF_BTF_GET_NEXT_ID): the kernel has no BTF object for module `sonde_no_such_module`"
    );
}

use sonde_isa::helper;

#[test]
fn ids_match_the_kernel_numbering() {
    assert_eq!(helper::MAP_LOOKUP_ELEM, 1);
    assert_eq!(helper::MAP_UPDATE_ELEM, 2);
    assert_eq!(helper::MAP_DELETE_ELEM, 3);
    assert_eq!(helper::PROBE_READ, 4);
    assert_eq!(helper::KTIME_GET_NS, 5);
    assert_eq!(helper::TRACE_PRINTK, 6);
    assert_eq!(helper::GET_SMP_PROCESSOR_ID, 8);
    assert_eq!(helper::GET_CURRENT_PID_TGID, 14);
    assert_eq!(helper::GET_CURRENT_UID_GID, 15);
    assert_eq!(helper::GET_CURRENT_COMM, 16);
    assert_eq!(helper::PERF_EVENT_OUTPUT, 25);
    assert_eq!(helper::GET_STACKID, 27);
    assert_eq!(helper::GET_CURRENT_TASK, 35);
    assert_eq!(helper::PROBE_READ_STR, 45);
    assert_eq!(helper::GET_STACK, 67);
    assert_eq!(helper::GET_CURRENT_CGROUP_ID, 80);
    assert_eq!(helper::SEND_SIGNAL, 109);
    assert_eq!(helper::PROBE_READ_USER, 112);
    assert_eq!(helper::PROBE_READ_KERNEL, 113);
    assert_eq!(helper::PROBE_READ_USER_STR, 114);
    assert_eq!(helper::PROBE_READ_KERNEL_STR, 115);
    assert_eq!(helper::KTIME_GET_BOOT_NS, 125);
    assert_eq!(helper::RINGBUF_OUTPUT, 130);
    assert_eq!(helper::GET_CURRENT_TASK_BTF, 158);
    assert_eq!(helper::SNPRINTF, 165);
    assert_eq!(helper::GET_FUNC_IP, 173);
    assert_eq!(helper::GET_ATTACH_COOKIE, 174);
    assert_eq!(helper::LOOP, 181);
    assert_eq!(helper::KTIME_GET_TAI_NS, 208);
    assert_eq!(helper::CGRP_STORAGE_DELETE, 211);
    assert_eq!(helper::MAX_ID, 211);
}

#[test]
fn names_carry_the_bpf_prefix() {
    assert_eq!(helper::name(1), Some("bpf_map_lookup_elem"));
    assert_eq!(helper::name(6), Some("bpf_trace_printk"));
    assert_eq!(helper::name(115), Some("bpf_probe_read_kernel_str"));
    assert_eq!(helper::name(130), Some("bpf_ringbuf_output"));
    assert_eq!(helper::name(211), Some("bpf_cgrp_storage_delete"));
}

#[test]
fn ids_outside_the_table_have_no_name() {
    assert_eq!(helper::name(0), None);
    assert_eq!(helper::name(-1), None);
    assert_eq!(helper::name(212), None);
    assert_eq!(helper::name(i32::MAX), None);
    assert_eq!(helper::name(i32::MIN), None);
}

#[test]
fn every_id_round_trips_through_its_name() {
    for id in 1..=helper::MAX_ID {
        let name = helper::name(id).expect("every id up to MAX_ID is named");
        assert_eq!(helper::id(name), Some(id), "{name}");
    }
    assert_eq!(helper::id("get_current_comm"), Some(16));
    assert_eq!(helper::id("bpf_unspec"), None);
    assert_eq!(helper::id("bpf_no_such_helper"), None);
}

//! Helper function ids: the `imm` of a `BPF_CALL`, as numbered by
//! `___BPF_FUNC_MAPPER` in the kernel's `include/uapi/linux/bpf.h`.
//!
//! The kernel froze this list at id 211 (new kernel entry points are kfuncs),
//! so the table is complete. Id 0 is `unspec` and is not a callable helper.

pub const MAP_LOOKUP_ELEM: i32 = 1;
pub const MAP_UPDATE_ELEM: i32 = 2;
pub const MAP_DELETE_ELEM: i32 = 3;
pub const PROBE_READ: i32 = 4;
pub const KTIME_GET_NS: i32 = 5;
pub const TRACE_PRINTK: i32 = 6;
pub const GET_PRANDOM_U32: i32 = 7;
pub const GET_SMP_PROCESSOR_ID: i32 = 8;
pub const SKB_STORE_BYTES: i32 = 9;
pub const L3_CSUM_REPLACE: i32 = 10;
pub const L4_CSUM_REPLACE: i32 = 11;
pub const TAIL_CALL: i32 = 12;
pub const CLONE_REDIRECT: i32 = 13;
pub const GET_CURRENT_PID_TGID: i32 = 14;
pub const GET_CURRENT_UID_GID: i32 = 15;
pub const GET_CURRENT_COMM: i32 = 16;
pub const GET_CGROUP_CLASSID: i32 = 17;
pub const SKB_VLAN_PUSH: i32 = 18;
pub const SKB_VLAN_POP: i32 = 19;
pub const SKB_GET_TUNNEL_KEY: i32 = 20;
pub const SKB_SET_TUNNEL_KEY: i32 = 21;
pub const PERF_EVENT_READ: i32 = 22;
pub const REDIRECT: i32 = 23;
pub const GET_ROUTE_REALM: i32 = 24;
pub const PERF_EVENT_OUTPUT: i32 = 25;
pub const SKB_LOAD_BYTES: i32 = 26;
pub const GET_STACKID: i32 = 27;
pub const CSUM_DIFF: i32 = 28;
pub const SKB_GET_TUNNEL_OPT: i32 = 29;
pub const SKB_SET_TUNNEL_OPT: i32 = 30;
pub const SKB_CHANGE_PROTO: i32 = 31;
pub const SKB_CHANGE_TYPE: i32 = 32;
pub const SKB_UNDER_CGROUP: i32 = 33;
pub const GET_HASH_RECALC: i32 = 34;
pub const GET_CURRENT_TASK: i32 = 35;
pub const PROBE_WRITE_USER: i32 = 36;
pub const CURRENT_TASK_UNDER_CGROUP: i32 = 37;
pub const SKB_CHANGE_TAIL: i32 = 38;
pub const SKB_PULL_DATA: i32 = 39;
pub const CSUM_UPDATE: i32 = 40;
pub const SET_HASH_INVALID: i32 = 41;
pub const GET_NUMA_NODE_ID: i32 = 42;
pub const SKB_CHANGE_HEAD: i32 = 43;
pub const XDP_ADJUST_HEAD: i32 = 44;
pub const PROBE_READ_STR: i32 = 45;
pub const GET_SOCKET_COOKIE: i32 = 46;
pub const GET_SOCKET_UID: i32 = 47;
pub const SET_HASH: i32 = 48;
pub const SETSOCKOPT: i32 = 49;
pub const SKB_ADJUST_ROOM: i32 = 50;
pub const REDIRECT_MAP: i32 = 51;
pub const SK_REDIRECT_MAP: i32 = 52;
pub const SOCK_MAP_UPDATE: i32 = 53;
pub const XDP_ADJUST_META: i32 = 54;
pub const PERF_EVENT_READ_VALUE: i32 = 55;
pub const PERF_PROG_READ_VALUE: i32 = 56;
pub const GETSOCKOPT: i32 = 57;
pub const OVERRIDE_RETURN: i32 = 58;
pub const SOCK_OPS_CB_FLAGS_SET: i32 = 59;
pub const MSG_REDIRECT_MAP: i32 = 60;
pub const MSG_APPLY_BYTES: i32 = 61;
pub const MSG_CORK_BYTES: i32 = 62;
pub const MSG_PULL_DATA: i32 = 63;
pub const BIND: i32 = 64;
pub const XDP_ADJUST_TAIL: i32 = 65;
pub const SKB_GET_XFRM_STATE: i32 = 66;
pub const GET_STACK: i32 = 67;
pub const SKB_LOAD_BYTES_RELATIVE: i32 = 68;
pub const FIB_LOOKUP: i32 = 69;
pub const SOCK_HASH_UPDATE: i32 = 70;
pub const MSG_REDIRECT_HASH: i32 = 71;
pub const SK_REDIRECT_HASH: i32 = 72;
pub const LWT_PUSH_ENCAP: i32 = 73;
pub const LWT_SEG6_STORE_BYTES: i32 = 74;
pub const LWT_SEG6_ADJUST_SRH: i32 = 75;
pub const LWT_SEG6_ACTION: i32 = 76;
pub const RC_REPEAT: i32 = 77;
pub const RC_KEYDOWN: i32 = 78;
pub const SKB_CGROUP_ID: i32 = 79;
pub const GET_CURRENT_CGROUP_ID: i32 = 80;
pub const GET_LOCAL_STORAGE: i32 = 81;
pub const SK_SELECT_REUSEPORT: i32 = 82;
pub const SKB_ANCESTOR_CGROUP_ID: i32 = 83;
pub const SK_LOOKUP_TCP: i32 = 84;
pub const SK_LOOKUP_UDP: i32 = 85;
pub const SK_RELEASE: i32 = 86;
pub const MAP_PUSH_ELEM: i32 = 87;
pub const MAP_POP_ELEM: i32 = 88;
pub const MAP_PEEK_ELEM: i32 = 89;
pub const MSG_PUSH_DATA: i32 = 90;
pub const MSG_POP_DATA: i32 = 91;
pub const RC_POINTER_REL: i32 = 92;
pub const SPIN_LOCK: i32 = 93;
pub const SPIN_UNLOCK: i32 = 94;
pub const SK_FULLSOCK: i32 = 95;
pub const TCP_SOCK: i32 = 96;
pub const SKB_ECN_SET_CE: i32 = 97;
pub const GET_LISTENER_SOCK: i32 = 98;
pub const SKC_LOOKUP_TCP: i32 = 99;
pub const TCP_CHECK_SYNCOOKIE: i32 = 100;
pub const SYSCTL_GET_NAME: i32 = 101;
pub const SYSCTL_GET_CURRENT_VALUE: i32 = 102;
pub const SYSCTL_GET_NEW_VALUE: i32 = 103;
pub const SYSCTL_SET_NEW_VALUE: i32 = 104;
pub const STRTOL: i32 = 105;
pub const STRTOUL: i32 = 106;
pub const SK_STORAGE_GET: i32 = 107;
pub const SK_STORAGE_DELETE: i32 = 108;
pub const SEND_SIGNAL: i32 = 109;
pub const TCP_GEN_SYNCOOKIE: i32 = 110;
pub const SKB_OUTPUT: i32 = 111;
pub const PROBE_READ_USER: i32 = 112;
pub const PROBE_READ_KERNEL: i32 = 113;
pub const PROBE_READ_USER_STR: i32 = 114;
pub const PROBE_READ_KERNEL_STR: i32 = 115;
pub const TCP_SEND_ACK: i32 = 116;
pub const SEND_SIGNAL_THREAD: i32 = 117;
pub const JIFFIES64: i32 = 118;
pub const READ_BRANCH_RECORDS: i32 = 119;
pub const GET_NS_CURRENT_PID_TGID: i32 = 120;
pub const XDP_OUTPUT: i32 = 121;
pub const GET_NETNS_COOKIE: i32 = 122;
pub const GET_CURRENT_ANCESTOR_CGROUP_ID: i32 = 123;
pub const SK_ASSIGN: i32 = 124;
pub const KTIME_GET_BOOT_NS: i32 = 125;
pub const SEQ_PRINTF: i32 = 126;
pub const SEQ_WRITE: i32 = 127;
pub const SK_CGROUP_ID: i32 = 128;
pub const SK_ANCESTOR_CGROUP_ID: i32 = 129;
pub const RINGBUF_OUTPUT: i32 = 130;
pub const RINGBUF_RESERVE: i32 = 131;
pub const RINGBUF_SUBMIT: i32 = 132;
pub const RINGBUF_DISCARD: i32 = 133;
pub const RINGBUF_QUERY: i32 = 134;
pub const CSUM_LEVEL: i32 = 135;
pub const SKC_TO_TCP6_SOCK: i32 = 136;
pub const SKC_TO_TCP_SOCK: i32 = 137;
pub const SKC_TO_TCP_TIMEWAIT_SOCK: i32 = 138;
pub const SKC_TO_TCP_REQUEST_SOCK: i32 = 139;
pub const SKC_TO_UDP6_SOCK: i32 = 140;
pub const GET_TASK_STACK: i32 = 141;
pub const LOAD_HDR_OPT: i32 = 142;
pub const STORE_HDR_OPT: i32 = 143;
pub const RESERVE_HDR_OPT: i32 = 144;
pub const INODE_STORAGE_GET: i32 = 145;
pub const INODE_STORAGE_DELETE: i32 = 146;
pub const D_PATH: i32 = 147;
pub const COPY_FROM_USER: i32 = 148;
pub const SNPRINTF_BTF: i32 = 149;
pub const SEQ_PRINTF_BTF: i32 = 150;
pub const SKB_CGROUP_CLASSID: i32 = 151;
pub const REDIRECT_NEIGH: i32 = 152;
pub const PER_CPU_PTR: i32 = 153;
pub const THIS_CPU_PTR: i32 = 154;
pub const REDIRECT_PEER: i32 = 155;
pub const TASK_STORAGE_GET: i32 = 156;
pub const TASK_STORAGE_DELETE: i32 = 157;
pub const GET_CURRENT_TASK_BTF: i32 = 158;
pub const BPRM_OPTS_SET: i32 = 159;
pub const KTIME_GET_COARSE_NS: i32 = 160;
pub const IMA_INODE_HASH: i32 = 161;
pub const SOCK_FROM_FILE: i32 = 162;
pub const CHECK_MTU: i32 = 163;
pub const FOR_EACH_MAP_ELEM: i32 = 164;
pub const SNPRINTF: i32 = 165;
pub const SYS_BPF: i32 = 166;
pub const BTF_FIND_BY_NAME_KIND: i32 = 167;
pub const SYS_CLOSE: i32 = 168;
pub const TIMER_INIT: i32 = 169;
pub const TIMER_SET_CALLBACK: i32 = 170;
pub const TIMER_START: i32 = 171;
pub const TIMER_CANCEL: i32 = 172;
pub const GET_FUNC_IP: i32 = 173;
pub const GET_ATTACH_COOKIE: i32 = 174;
pub const TASK_PT_REGS: i32 = 175;
pub const GET_BRANCH_SNAPSHOT: i32 = 176;
pub const TRACE_VPRINTK: i32 = 177;
pub const SKC_TO_UNIX_SOCK: i32 = 178;
pub const KALLSYMS_LOOKUP_NAME: i32 = 179;
pub const FIND_VMA: i32 = 180;
pub const LOOP: i32 = 181;
pub const STRNCMP: i32 = 182;
pub const GET_FUNC_ARG: i32 = 183;
pub const GET_FUNC_RET: i32 = 184;
pub const GET_FUNC_ARG_CNT: i32 = 185;
pub const GET_RETVAL: i32 = 186;
pub const SET_RETVAL: i32 = 187;
pub const XDP_GET_BUFF_LEN: i32 = 188;
pub const XDP_LOAD_BYTES: i32 = 189;
pub const XDP_STORE_BYTES: i32 = 190;
pub const COPY_FROM_USER_TASK: i32 = 191;
pub const SKB_SET_TSTAMP: i32 = 192;
pub const IMA_FILE_HASH: i32 = 193;
pub const KPTR_XCHG: i32 = 194;
pub const MAP_LOOKUP_PERCPU_ELEM: i32 = 195;
pub const SKC_TO_MPTCP_SOCK: i32 = 196;
pub const DYNPTR_FROM_MEM: i32 = 197;
pub const RINGBUF_RESERVE_DYNPTR: i32 = 198;
pub const RINGBUF_SUBMIT_DYNPTR: i32 = 199;
pub const RINGBUF_DISCARD_DYNPTR: i32 = 200;
pub const DYNPTR_READ: i32 = 201;
pub const DYNPTR_WRITE: i32 = 202;
pub const DYNPTR_DATA: i32 = 203;
pub const TCP_RAW_GEN_SYNCOOKIE_IPV4: i32 = 204;
pub const TCP_RAW_GEN_SYNCOOKIE_IPV6: i32 = 205;
pub const TCP_RAW_CHECK_SYNCOOKIE_IPV4: i32 = 206;
pub const TCP_RAW_CHECK_SYNCOOKIE_IPV6: i32 = 207;
pub const KTIME_GET_TAI_NS: i32 = 208;
pub const USER_RINGBUF_DRAIN: i32 = 209;
pub const CGRP_STORAGE_GET: i32 = 210;
pub const CGRP_STORAGE_DELETE: i32 = 211;

/// The highest helper id the kernel defines.
pub const MAX_ID: i32 = CGRP_STORAGE_DELETE;

/// Kernel names indexed by id; slot 0 stands for `unspec`.
static NAMES: [&str; MAX_ID as usize + 1] = [
    "bpf_unspec",
    "bpf_map_lookup_elem",
    "bpf_map_update_elem",
    "bpf_map_delete_elem",
    "bpf_probe_read",
    "bpf_ktime_get_ns",
    "bpf_trace_printk",
    "bpf_get_prandom_u32",
    "bpf_get_smp_processor_id",
    "bpf_skb_store_bytes",
    "bpf_l3_csum_replace",
    "bpf_l4_csum_replace",
    "bpf_tail_call",
    "bpf_clone_redirect",
    "bpf_get_current_pid_tgid",
    "bpf_get_current_uid_gid",
    "bpf_get_current_comm",
    "bpf_get_cgroup_classid",
    "bpf_skb_vlan_push",
    "bpf_skb_vlan_pop",
    "bpf_skb_get_tunnel_key",
    "bpf_skb_set_tunnel_key",
    "bpf_perf_event_read",
    "bpf_redirect",
    "bpf_get_route_realm",
    "bpf_perf_event_output",
    "bpf_skb_load_bytes",
    "bpf_get_stackid",
    "bpf_csum_diff",
    "bpf_skb_get_tunnel_opt",
    "bpf_skb_set_tunnel_opt",
    "bpf_skb_change_proto",
    "bpf_skb_change_type",
    "bpf_skb_under_cgroup",
    "bpf_get_hash_recalc",
    "bpf_get_current_task",
    "bpf_probe_write_user",
    "bpf_current_task_under_cgroup",
    "bpf_skb_change_tail",
    "bpf_skb_pull_data",
    "bpf_csum_update",
    "bpf_set_hash_invalid",
    "bpf_get_numa_node_id",
    "bpf_skb_change_head",
    "bpf_xdp_adjust_head",
    "bpf_probe_read_str",
    "bpf_get_socket_cookie",
    "bpf_get_socket_uid",
    "bpf_set_hash",
    "bpf_setsockopt",
    "bpf_skb_adjust_room",
    "bpf_redirect_map",
    "bpf_sk_redirect_map",
    "bpf_sock_map_update",
    "bpf_xdp_adjust_meta",
    "bpf_perf_event_read_value",
    "bpf_perf_prog_read_value",
    "bpf_getsockopt",
    "bpf_override_return",
    "bpf_sock_ops_cb_flags_set",
    "bpf_msg_redirect_map",
    "bpf_msg_apply_bytes",
    "bpf_msg_cork_bytes",
    "bpf_msg_pull_data",
    "bpf_bind",
    "bpf_xdp_adjust_tail",
    "bpf_skb_get_xfrm_state",
    "bpf_get_stack",
    "bpf_skb_load_bytes_relative",
    "bpf_fib_lookup",
    "bpf_sock_hash_update",
    "bpf_msg_redirect_hash",
    "bpf_sk_redirect_hash",
    "bpf_lwt_push_encap",
    "bpf_lwt_seg6_store_bytes",
    "bpf_lwt_seg6_adjust_srh",
    "bpf_lwt_seg6_action",
    "bpf_rc_repeat",
    "bpf_rc_keydown",
    "bpf_skb_cgroup_id",
    "bpf_get_current_cgroup_id",
    "bpf_get_local_storage",
    "bpf_sk_select_reuseport",
    "bpf_skb_ancestor_cgroup_id",
    "bpf_sk_lookup_tcp",
    "bpf_sk_lookup_udp",
    "bpf_sk_release",
    "bpf_map_push_elem",
    "bpf_map_pop_elem",
    "bpf_map_peek_elem",
    "bpf_msg_push_data",
    "bpf_msg_pop_data",
    "bpf_rc_pointer_rel",
    "bpf_spin_lock",
    "bpf_spin_unlock",
    "bpf_sk_fullsock",
    "bpf_tcp_sock",
    "bpf_skb_ecn_set_ce",
    "bpf_get_listener_sock",
    "bpf_skc_lookup_tcp",
    "bpf_tcp_check_syncookie",
    "bpf_sysctl_get_name",
    "bpf_sysctl_get_current_value",
    "bpf_sysctl_get_new_value",
    "bpf_sysctl_set_new_value",
    "bpf_strtol",
    "bpf_strtoul",
    "bpf_sk_storage_get",
    "bpf_sk_storage_delete",
    "bpf_send_signal",
    "bpf_tcp_gen_syncookie",
    "bpf_skb_output",
    "bpf_probe_read_user",
    "bpf_probe_read_kernel",
    "bpf_probe_read_user_str",
    "bpf_probe_read_kernel_str",
    "bpf_tcp_send_ack",
    "bpf_send_signal_thread",
    "bpf_jiffies64",
    "bpf_read_branch_records",
    "bpf_get_ns_current_pid_tgid",
    "bpf_xdp_output",
    "bpf_get_netns_cookie",
    "bpf_get_current_ancestor_cgroup_id",
    "bpf_sk_assign",
    "bpf_ktime_get_boot_ns",
    "bpf_seq_printf",
    "bpf_seq_write",
    "bpf_sk_cgroup_id",
    "bpf_sk_ancestor_cgroup_id",
    "bpf_ringbuf_output",
    "bpf_ringbuf_reserve",
    "bpf_ringbuf_submit",
    "bpf_ringbuf_discard",
    "bpf_ringbuf_query",
    "bpf_csum_level",
    "bpf_skc_to_tcp6_sock",
    "bpf_skc_to_tcp_sock",
    "bpf_skc_to_tcp_timewait_sock",
    "bpf_skc_to_tcp_request_sock",
    "bpf_skc_to_udp6_sock",
    "bpf_get_task_stack",
    "bpf_load_hdr_opt",
    "bpf_store_hdr_opt",
    "bpf_reserve_hdr_opt",
    "bpf_inode_storage_get",
    "bpf_inode_storage_delete",
    "bpf_d_path",
    "bpf_copy_from_user",
    "bpf_snprintf_btf",
    "bpf_seq_printf_btf",
    "bpf_skb_cgroup_classid",
    "bpf_redirect_neigh",
    "bpf_per_cpu_ptr",
    "bpf_this_cpu_ptr",
    "bpf_redirect_peer",
    "bpf_task_storage_get",
    "bpf_task_storage_delete",
    "bpf_get_current_task_btf",
    "bpf_bprm_opts_set",
    "bpf_ktime_get_coarse_ns",
    "bpf_ima_inode_hash",
    "bpf_sock_from_file",
    "bpf_check_mtu",
    "bpf_for_each_map_elem",
    "bpf_snprintf",
    "bpf_sys_bpf",
    "bpf_btf_find_by_name_kind",
    "bpf_sys_close",
    "bpf_timer_init",
    "bpf_timer_set_callback",
    "bpf_timer_start",
    "bpf_timer_cancel",
    "bpf_get_func_ip",
    "bpf_get_attach_cookie",
    "bpf_task_pt_regs",
    "bpf_get_branch_snapshot",
    "bpf_trace_vprintk",
    "bpf_skc_to_unix_sock",
    "bpf_kallsyms_lookup_name",
    "bpf_find_vma",
    "bpf_loop",
    "bpf_strncmp",
    "bpf_get_func_arg",
    "bpf_get_func_ret",
    "bpf_get_func_arg_cnt",
    "bpf_get_retval",
    "bpf_set_retval",
    "bpf_xdp_get_buff_len",
    "bpf_xdp_load_bytes",
    "bpf_xdp_store_bytes",
    "bpf_copy_from_user_task",
    "bpf_skb_set_tstamp",
    "bpf_ima_file_hash",
    "bpf_kptr_xchg",
    "bpf_map_lookup_percpu_elem",
    "bpf_skc_to_mptcp_sock",
    "bpf_dynptr_from_mem",
    "bpf_ringbuf_reserve_dynptr",
    "bpf_ringbuf_submit_dynptr",
    "bpf_ringbuf_discard_dynptr",
    "bpf_dynptr_read",
    "bpf_dynptr_write",
    "bpf_dynptr_data",
    "bpf_tcp_raw_gen_syncookie_ipv4",
    "bpf_tcp_raw_gen_syncookie_ipv6",
    "bpf_tcp_raw_check_syncookie_ipv4",
    "bpf_tcp_raw_check_syncookie_ipv6",
    "bpf_ktime_get_tai_ns",
    "bpf_user_ringbuf_drain",
    "bpf_cgrp_storage_get",
    "bpf_cgrp_storage_delete",
];

/// The kernel's name for helper `id`, with its `bpf_` prefix, or `None` for
/// ids that name no helper (0, negative, or past the frozen end of the list).
pub fn name(id: i32) -> Option<&'static str> {
    if id < 1 {
        return None;
    }
    NAMES.get(usize::try_from(id).ok()?).copied()
}

/// The id of the helper the kernel calls `name` (with or without `bpf_`).
pub fn id(name: &str) -> Option<i32> {
    let bare = name.strip_prefix("bpf_").unwrap_or(name);
    NAMES
        .iter()
        .skip(1)
        .position(|n| n.strip_prefix("bpf_") == Some(bare))
        .map(|pos| pos as i32 + 1)
}

//! Functions that compute values in the program (strings, bytes, maps),
//! through the real binary, with exact output.

mod common;

use common::*;

#[test]
fn string_functions_on_literals() {
    let out = run(&[
        "-e",
        r#"BEGIN {
             printf("%d %d %d %d\n", strncmp("abc", "abd", 2), strncmp("abc", "abd", 3),
                    strncmp("ab", "abc", 5), strncmp("abc", "abc", 9));
             printf("%d %d %d %d\n", strlen("hello"), strlen(""), strstr("hello-test", "test"),
                    strstr("abc", "x"));
             printf("%d %d\n", memcmp("abc", "abd", 3), memcmp("abc", "abd", 2));
             print(strcontains("ababac", "abac"));
             print(strcontains("", ""));
             print(strcontains("", "a"));
             print(strcontains("Hello", "hello"));
           }"#,
    ]);
    assert_eq!(
        stdout(&out),
        "0 1 1 0\n5 0 6 -1\n-1 0\ntrue\ntrue\nfalse\nfalse\n\n\n",
        "{}",
        stderr(&out)
    );
}

/// Strings read from the traced process, searched in the kernel.
#[test]
fn string_functions_on_read_strings() {
    let tp = testprog();
    let out = run(&[
        "-q",
        "-e",
        r#"tracepoint:syscalls:sys_enter_openat /comm == "fn_str"/ {
             $f = str(args.filename);
             printf("%s %d %d %d %d\n", $f, strlen($f), strcontains($f, "needle"),
                    strstr($f, "needle"), strncmp($f, "/tmp/fn-", 8));
           }"#,
        "-c",
        &format!("{tp} comm fn_str open /tmp/fn-hay-needle open /tmp/fn-nothing"),
    ]);
    assert_eq!(
        stdout(&out),
        "/tmp/fn-hay-needle 18 1 12 0\n/tmp/fn-nothing 15 0 -1 0\n\n\n",
        "{}",
        stderr(&out)
    );
}

#[test]
fn bswap_reverses_the_bytes_of_its_width() {
    let out = run(&[
        "-e",
        r#"BEGIN {
             printf("%x %x %x %llx %x\n", bswap((uint16)0x1234), bswap((int32)0x12345678),
                    bswap((int8)0x12), bswap(0x1122334455667788), bswap(bswap(0x1234)));
           }"#,
    ]);
    assert_eq!(stdout(&out), "3412 78563412 12 8877665544332211 1234\n\n\n");
}

#[test]
fn map_functions_report_what_they_did() {
    let out = run(&[
        "-e",
        r#"BEGIN {
             @fn_m[1] = 1; @fn_m[2] = 2; @fn_m[3] = 3; @fn_s = 1;
             printf("%d %d %d\n", len(@fn_m), has_key(@fn_m, 2), has_key(@fn_m, 7));
             $gone = delete(@fn_m, 2); $missing = delete(@fn_m, 2);
             printf("%d %d %d %d\n", $gone, $missing, len(@fn_m), has_key(@fn_m, 2));
             if (delete(@fn_s)) { printf("scalar deleted\n"); }
             @fn_t[1, "a"] = 1;
             printf("%d\n", delete(@fn_t, (1, "a")));
           }"#,
    ]);
    assert_eq!(
        stdout(&out),
        "3 1 0\n1 0 2 0\nscalar deleted\n1\n\n\n@fn_m[1]: 1\n@fn_m[3]: 3\n",
        "{}",
        stderr(&out)
    );
    assert_released("@fn_m");
}

#[test]
fn len_of_a_map_without_keys_is_an_error() {
    let out = run(&["-e", "BEGIN { @fn_x = 0; print(len(@fn_x)); }"]);
    assert_eq!(
        stderr(&out),
        "stdin:1:30-35: ERROR: call to len() expects a map with explicit keys (non-scalar map)\n\
         BEGIN { @fn_x = 0; print(len(@fn_x)); }\n\
         \x20                            ~~~~~\n"
    );
    assert_eq!(out.status.code(), Some(1));
}

/// Aggregations read inside a probe see the value summed over the CPUs,
/// as it is printed at the end.
#[test]
fn aggregations_read_inside_probes() {
    let tp = testprog();
    let out = run(&[
        "-q",
        "-e",
        r#"tracepoint:syscalls:sys_enter_write /comm == "fn_agg"/ {
             @fn_c = count(); @fn_s = sum(args.count); @fn_mn = min(args.count);
             @fn_mx = max(args.count); @fn_av = avg(args.count);
             if (@fn_c == 3) { printf("third write, %d bytes so far\n", @fn_s); }
           }
           END { printf("%d %d %d %d %d %d\n", @fn_c, @fn_s, @fn_mn, @fn_mx, @fn_av, (bool)@fn_c); clear(@fn_c);
                 clear(@fn_s); clear(@fn_mn); clear(@fn_mx); clear(@fn_av); }"#,
        "-c",
        &format!("{tp} comm fn_agg write 10,20,30,40"),
    ]);
    assert_eq!(
        stdout(&out),
        "third write, 60 bytes so far\n4 100 10 40 25 1\n\n\n",
        "{}",
        stderr(&out)
    );
    assert_released("@fn_c");
}

#[test]
fn histograms_split_powers_of_two_into_sub_buckets() {
    let out = run(&[
        "-q",
        "-e",
        "BEGIN { @fn_h = hist(-3, 1); @fn_h = hist(3, 1); @fn_h = hist(5, 1); @fn_h = hist(6, 1); @fn_h = hist(7, 1); @fn_h = hist(100, 1); }",
    ]);
    assert_eq!(
        stdout(&out),
        "\n\n@fn_h:\n\
         (..., 0)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n\
         [0]                    0 |                                                    |\n\
         [1]                    0 |                                                    |\n\
         [2]                    0 |                                                    |\n\
         [3]                    1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n\
         [4, 6)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n\
         [6, 8)                 2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n\
         [8, 12)                0 |                                                    |\n\
         [12, 16)               0 |                                                    |\n\
         [16, 24)               0 |                                                    |\n\
         [24, 32)               0 |                                                    |\n\
         [32, 48)               0 |                                                    |\n\
         [48, 64)               0 |                                                    |\n\
         [64, 96)               0 |                                                    |\n\
         [96, 128)              1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n\
         \n",
        "{}",
        stderr(&out)
    );
    assert_released("@fn_h");
}

#[test]
fn parent_and_leader_of_the_current_task() {
    let out = run(&[
        "-q",
        "-e",
        "BEGIN { printf(\"%d %d %d %d\\n\", ppid, ppid(curtask) == ppid, leader_tid == pid, leader_comm == comm); }",
    ]);
    // The program runs in sonde itself, whose parent is the test thread
    // that started it (the kernel's real_parent is a thread).
    let tid = sonde_sys::gettid();
    assert_eq!(
        stdout(&out),
        format!("{tid} 1 1 1\n\n\n"),
        "{}",
        stderr(&out)
    );
}

/// The longest search there is: two strings of the default 1024 bytes,
/// which the verifier must accept (the outer loop runs under bpf_loop).
#[test]
fn searching_long_strings_for_long_strings() {
    let out = run(&[
        "-q",
        "-e",
        r#"BEGIN { $empty = str(0); printf("%d %d %d\n", strstr($empty, $empty), strcontains(comm, $empty), strstr(str($1), str($2))); }"#,
        "xxabcabd",
        "abd",
    ]);
    assert_eq!(stdout(&out), "0 1 5\n\n\n", "{}", stderr(&out));
    // Needles longer than the 1024 bytes a verifier-followed loop could
    // take, and a near miss before the match.
    let needle = format!("{}b", "a".repeat(1499));
    let hay = format!("{}{}{needle}", "x".repeat(600), &needle[..1499]);
    let out = run(&[
        "-q",
        "-e",
        r#"config = { max_strlen = 3200 } BEGIN {
             $h = str($1); $n = str($2);
             if (strcontains($h, $n)) { printf("%d %d\n", strstr($h, $n), strstr($n, $h)); }
           }"#,
        &hay,
        &needle,
    ]);
    assert_eq!(stdout(&out), "2099 -1\n\n\n", "{}", stderr(&out));
}

/// A time series fed from a map instead of the clock
/// (`BPFTRACE_DUMMY_TS_MAP`), so that every interval is known: the
/// script writes four intervals of 100ms, the series keeps three.
fn tseries_run(format: &str, agg: &str) -> String {
    let out = run_env(
        &[
            "-q",
            "-f",
            format,
            "-e",
            &format!(
                "BEGIN {{ @fn_tsclock = (uint64)100ms; $i = 0; \
                 while ($i < 4) {{ \
                   @fn_tseries = tseries($i * 4 - 5, 100ms, 3{agg}); \
                   @fn_tseries = tseries($i * 4 - 9, 100ms, 3{agg}); \
                   @fn_tskeyed[$i % 2] = tseries(7, 100ms, 3); \
                   @fn_tsclock += 100ms; $i++; \
                 }} clear(@fn_tsclock); exit(); }}"
            ),
        ],
        &[("BPFTRACE_DUMMY_TS_MAP", "@fn_tsclock"), ("TZ", "UTC")],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
}

#[test]
fn tseries_graphs_the_last_intervals() {
    let bar = "_".repeat(51);
    let gap = |n: usize| " ".repeat(n);
    // Last values -5, -1, 3 (intervals 2..=4): the zero line is at column
    // 53 * 5/8, the points at 52 * (v + 5)/8.
    let expected = format!(
        "\n\n@fn_tseries:\n\
         {pad}-5{mid}3\n\
         hh:mm:ss.ms  |{bar}|\n\
         00:00:00.200 *{g32}.{g18}| -5\n\
         00:00:00.300 |{g25}*{g6}.{g18}| -1\n\
         00:00:00.400 |{g32}.{g18}* 3\n\
         {pad}v{bar}v\n\
         {pad}-5{mid}3\n\n\
         @fn_tskeyed[0]:\n\
         {pad}6{mid2}8\n\
         hh:mm:ss.ms  |{bar}|\n\
         00:00:00.300 |{g25}*{g25}| 7\n\
         00:00:00.400 |{g51}| -\n\
         {pad}v{bar}v\n\
         {pad}6{mid2}8\n\n\
         @fn_tskeyed[1]:\n\
         {pad}6{mid2}8\n\
         hh:mm:ss.ms  |{bar}|\n\
         00:00:00.200 |{g25}*{g25}| 7\n\
         00:00:00.300 |{g51}| -\n\
         00:00:00.400 |{g25}*{g25}| 7\n\
         {pad}v{bar}v\n\
         {pad}6{mid2}8\n\n",
        pad = gap(13),
        mid = gap(50),
        mid2 = gap(51),
        g6 = gap(6),
        g18 = gap(18),
        g25 = gap(25),
        g32 = gap(32),
        g51 = gap(51),
    );
    let got = tseries_run("text", "");
    assert_eq!(got, expected, "{got}");
    assert_released("@fn_tseries");
}

#[test]
fn tseries_aggregates_each_interval_and_prints_json() {
    let interval = |ms: u32, v: i64| {
        format!(r#"{{"interval_start":"1970-01-01 00:00:00.{ms:03}000000","value":{v}}}"#)
    };
    let keyed = format!(
        r#"{{"type": "tseries", "data": {{"@fn_tskeyed": {{"0": [{}], "1": [{},{}]}}}}}}"#,
        interval(300, 7),
        interval(200, 7),
        interval(400, 7)
    );
    // avg of $i*4-5 and $i*4-9; min is the second.
    for (agg, values) in [(", \"avg\"", [-3, 1, 5]), (", \"min\"", [-5, -1, 3])] {
        let series = format!(
            r#"{{"type": "tseries", "data": {{"@fn_tseries": [{},{},{}]}}}}"#,
            interval(200, values[0]),
            interval(300, values[1]),
            interval(400, values[2])
        );
        assert_eq!(tseries_run("json", agg), format!("{series}\n{keyed}\n"));
    }
    assert_released("@fn_tseries");
}

#[test]
fn tseries_files_values_under_the_wall_clock() {
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let out = run_env(
        &[
            "-q",
            "-e",
            "BEGIN { @fn_tsnow = tseries(7, 1s, 2); @fn_tszero = tseries(1, 1s, 2); \
             zero(@fn_tszero); exit(); }",
        ],
        &[("TZ", "UTC")],
    );
    let after = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    // One interval: its start prints to the nanosecond.
    assert_eq!(
        lines[4], "hh:mm:ss.ns        |___________________________________________________|",
        "{text}"
    );
    let (time, graph) = lines[5].split_at(18);
    assert_eq!(graph, format!(" |{0}*{0}| 7", " ".repeat(25)), "{text}");
    let secs = |t: &str| -> u64 {
        let parts: Vec<u64> = t[..8].split(':').map(|p| p.parse().unwrap()).collect();
        parts[0] * 3600 + parts[1] * 60 + parts[2]
    };
    assert!(time.ends_with(".000000000"), "{text}");
    // The clock is TAI, ahead of UTC by the kernel's TAI offset (0, or 37s
    // where NTP set it).
    let at = secs(time);
    assert!(
        (before % 86_400..=(after + 37) % 86_400).contains(&at)
            || (after + 37) / 86_400 != before / 86_400,
        "{time} not between {before} and {after}"
    );
    // A zeroed series has no interval left.
    assert_eq!(&lines[8..], ["", "@fn_tszero:", "<no data>"], "{text}");
    assert_released("@fn_tsnow");
}

#[test]
fn percpu_kaddr_finds_per_cpu_variables_through_btf() {
    let script = r#"begin { $r = (struct rq *)percpu_kaddr("runqueues", 0);
        if ($r != 0) { printf("%d\n", $r.cpu); }
        printf("%d %d\n", percpu_kaddr("runqueues", 1000000) == 0, *percpu_kaddr("runqueues") != 0); }"#;
    let out = run(&["-q", "-e", script]);
    let kallsyms = std::fs::read_to_string("/proc/kallsyms").unwrap();
    if kallsyms.lines().any(|l| l.ends_with(" runqueues")) {
        assert_eq!(stdout(&out), "0\n1 1\n\n\n", "{}", stderr(&out));
        assert!(out.status.success());
    } else {
        // The kernel resolves the variable by name through kallsyms,
        // which lists variables only with CONFIG_KALLSYMS_ALL.
        assert!(
            stderr(&out).starts_with(
                "stdin:1:27-55: ERROR: percpu_kaddr(\"runqueues\") is unavailable: the kernel \
                 cannot look up the address of variable runqueues (/proc/kallsyms lists no \
                 variables: the kernel was built without CONFIG_KALLSYMS_ALL)\n"
            ),
            "{}",
            stderr(&out)
        );
        assert_eq!(out.status.code(), Some(1));
    }
    // A name the kernel's BTF has no variable for.
    let out = run(&["-e", r#"begin { print(percpu_kaddr("sonde_no_var")); }"#]);
    assert_eq!(
        stderr(&out),
        "stdin:1:15-43: ERROR: Could not resolve variable \"sonde_no_var\" from BTF\n\
         begin { print(percpu_kaddr(\"sonde_no_var\")); }\n              \
         ~~~~~~~~~~~~~~~~~~~~~~~~~~~~\n"
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn write_user_needs_unsafe_and_writes_user_memory() {
    let script = r#"tracepoint:syscalls:sys_enter_openat /comm == "cf_wu" && str(args.filename) == "/cf_wu_none"/ {
        @cf_wu = write_user(args.filename, "Z", 1); printf("%s\n", str(args.filename)); }"#;
    let out = run(&["-e", script]);
    assert!(
        stderr(&out).starts_with(
            "stdin:2:18-51: ERROR: write_user() is unsafe. To use you need the --unsafe flag\n"
        ),
        "{}",
        stderr(&out)
    );
    assert_eq!(out.status.code(), Some(1));
    let out = run(&["--unsafe", "--dry-run", "-e", script]);
    if !out.status.success() {
        // Kernels in lockdown refuse the helper to every program.
        assert!(
            stderr(&out).contains("cannot use helper bpf_probe_write_user#36"),
            "{}",
            stderr(&out)
        );
        return;
    }
    let traced = start(&["--unsafe", "-q", "-e", script]);
    generate(&["comm", "cf_wu", "open", "/cf_wu_none"]);
    let (out, err, code) = traced.stop(libc::SIGINT);
    assert_eq!(out, "Zcf_wu_none\n\n\n@cf_wu: true\n");
    assert_eq!(err, "");
    assert_eq!(code, Some(0));
    assert_released("@cf_wu");
}

#[test]
fn symbol_names_may_come_from_positional_parameters() {
    let out = run(&[
        "-q",
        "-e",
        "begin { @cf_ka = kaddr(str($1)) == kaddr($1); }",
        "vfs_read",
    ]);
    assert_eq!(stdout(&out), "\n\n@cf_ka: true\n", "{}", stderr(&out));
    assert_released("@cf_ka");
    // Given twice, -e runs the last program, as bpftrace's getopt does.
    let out = run(&[
        "-q",
        "-e",
        "begin { print(1); }",
        "-e",
        "begin { print(2); }",
    ]);
    assert_eq!(stdout(&out), "2\n\n\n");
}

#[test]
fn socket_cookies_are_the_kernels() {
    use std::net::{TcpListener, TcpStream};
    use std::os::fd::AsFd;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Both ends of one connection reach ESTABLISHED (state 1): the client
    // socket, whose remote port is the listener's, and the server's, whose
    // local port it is.
    let traced = start(&[
        "-e",
        &format!(
            "rawtracepoint:inet_sock_set_state /args.newstate == 1 && \
             (args.sk->__sk_common.skc_num == {port} || args.sk->__sk_common.skc_dport == {})/ \
             {{ @fn_cookie[socket_cookie(args.sk)] = count(); }}",
            port.to_be()
        ),
    ]);
    let client = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let (server, _) = listener.accept().unwrap();
    let (out, err, _) = traced.stop(2);
    let mut cookies = [
        sonde_sys::socket_cookie(client.as_fd()).unwrap(),
        sonde_sys::socket_cookie(server.as_fd()).unwrap(),
    ];
    cookies.sort();
    assert_eq!(
        out,
        format!(
            "\n\n@fn_cookie[{}]: 1\n@fn_cookie[{}]: 1\n",
            cookies[0], cookies[1]
        ),
        "{err}"
    );
    // Only tracing programs get the helper, and only for a socket.
    let out = run(&[
        "-e",
        "tracepoint:syscalls:sys_enter_getppid { print(socket_cookie(0)); }",
    ]);
    assert!(
        stderr(&out).contains("ERROR: socket_cookie can not be used with \"tracepoint\" probes"),
        "{}",
        stderr(&out)
    );
    let out = run(&[
        "-e",
        "rawtracepoint:inet_sock_set_state { print(socket_cookie(args.oldstate)); }",
    ]);
    assert!(
        stderr(&out).contains(
            "ERROR: socket_cookie() only supports 'struct sock *' as the argument (int32 provided)"
        ),
        "{}",
        stderr(&out)
    );
    assert_released("@fn_cookie");
}

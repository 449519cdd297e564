#!/bin/sh
# Runs inside the VM as its init: kprobes, kretprobes, fentry and fexit on
# a kernel that has them (the development machine has neither). Each case
# prints "=== NAME" and what Sonde printed; run.sh compares the whole with
# expected.txt. The kernel's version varies, so cases print only what does
# not depend on it (counts, sums, names, and matches counted with grep).
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
insmod /modules/dummy.ko
export PATH=/bin
S=/sonde
T=/sonde-testprog
WRITES="$T write 1,10,100"
case_() { name=$1; shift; echo "=== $name"; "$@" 2>&1; echo "rc=$?"; }

case_ kprobe_and_kretprobe_args $S -q -e '
  kprobe:vfs_write /pid == cpid/ { @calls = count(); @max = max(args.count); @arg2 = sum(arg2); @func[func] = count(); }
  kretprobe:vfs_write /pid == cpid/ { @ret = sum(retval); }' -c "$WRITES"
case_ fentry_and_fexit_args $S -q -e '
  fentry:vfs_write /pid == cpid/ { @calls = count(); @max = max(args.count); @writable[args.file->f_mode & 2] = count(); }
  fexit:vfs_write /pid == cpid/ { @ret = sum(retval); @fexit_count = max(args.count); }' -c "$WRITES"
case_ kprobe_wildcard_and_address $S -q -e "
  kprobe:vfs_writ* /pid == cpid/ { @w[probe, func] = count(); }
  kprobe:0x$(grep ' vfs_write$' /proc/kallsyms | cut -d' ' -f1) /pid == cpid/ { @addr = count(); }" -c "$WRITES"
case_ short_names_and_aliases $S -q -e '
  k:vfs_write /pid == cpid/ { @k = count(); } kr:vfs_write /pid == cpid/ { @kr = count(); }
  kfunc:vfs_write /pid == cpid/ { @kfunc[func, probe] = count(); } kretfunc:vfs_write /pid == cpid/ { @kretfunc = count(); }' -c "$WRITES"
case_ entry_before_return $S -q -e '
  kprobe:vfs_write /pid == cpid/ { @seq = @seq * 10 + 1; } kretprobe:vfs_write /pid == cpid/ { @seq = @seq * 10 + 2; }
  fentry:vfs_write /pid == cpid/ { @fseq = @fseq * 10 + 3; } fexit:vfs_write /pid == cpid/ { @fseq = @fseq * 10 + 4; }' -c "$WRITES"
case_ missing_probes_warn $S -q -e 'config = { missing_probes = "warn" } fentry:vfs_write,fentry:sonde_nonsense /pid == cpid/ { @n = count(); }' -c "$WRITES"
case_ kprobe_module $S -q -e 'kprobe:dummy:dummy_get_stats64 { @m[func] = count(); }' -c "grep -c dummy0 /proc/net/dev"
case_ fentry_module $S -q -e 'fentry:dummy:dummy_get_stats64 { @probe[probe] = count(); @dev = str(args.dev->name); }' -c "grep -c dummy0 /proc/net/dev"
echo "=== kstack_first_frame"
$S -q -e 'kprobe:do_nanosleep /pid == cpid/ { @s[kstack(1)] = count(); }' -c "sleep 0.1" 2>&1 | grep -c '^        do_nanosleep+[0-9]*$'
echo "=== offset_inside_an_instruction"
$S -e 'kprobe:vfs_write+1 { }' 2>&1 | grep -c 'Possible attachment attempt in the middle of an instruction, try a different offset.'
case_ missing_function $S -e 'kprobe:sonde_no_such_function { }'
case_ fentry_listing $S -lv 'fentry:vfs_write'
case_ module_listing $S -l 'kprobe:dummy:dummy_get_stats64'
echo "=== done"
poweroff -f

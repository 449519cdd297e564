#!/usr/bin/env bash
# kprobes, kretprobes, fentry and fexit on a kernel that has them.
#
# The development machine's kernel has no kprobes and refuses fentry, so
# this boots Debian's stock kernel under QEMU with an initramfs holding the
# sonde just built, runs init.sh's cases there, and compares what they print
# with expected.txt. About a minute without KVM.
#
#   tools/kernel-vm/run.sh [TARGET_DIR]     (default: target/ of the repository)
#
# Needs root for apt-get (qemu-system-x86, busybox-static, cpio and the
# kernel package are fetched when missing). x86_64 only.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=${1:-$repo/target}/release
work=${KERNEL_VM_WORK:-/tmp/sonde-kernel-vm}

if [ "$(uname -m)" != x86_64 ]; then
  echo "kernel-vm: the VM cases are written for x86_64 kernels" >&2
  exit 1
fi
for tool in qemu-system-x86_64 busybox cpio; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends qemu-system-x86 busybox-static cpio >/dev/null
    break
  fi
done

mkdir -p "$work"
cd "$work"
# Debian's current kernel: the one linux-image-amd64 depends on.
package=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-/ {print $2; exit}')
if [ ! -d "kernel-$package" ]; then
  rm -f "$package"_*.deb
  apt-get -o APT::Sandbox::User=root download "$package" >/dev/null
  dpkg-deb -x "$package"_*.deb "kernel-$package"
fi
vmlinuz=$(ls "kernel-$package"/boot/vmlinuz-*)
dummy=$(find "kernel-$package"/lib/modules -name dummy.ko | head -1)

rm -rf initrd
mkdir -p initrd/bin initrd/proc initrd/sys initrd/dev initrd/tmp initrd/modules
cp "$(command -v busybox)" initrd/bin/busybox
for applet in sh mount insmod cat sleep poweroff grep cut; do
  ln -s busybox "initrd/bin/$applet"
done
cp "$bin/sonde" "$bin/sonde-testprog" initrd/
# Their shared libraries and the dynamic linker, at the same paths.
for lib in $(ldd "$bin/sonde" "$bin/sonde-testprog" | awk '/=>/ {print $3} /ld-linux/ {print $1}' | sort -u); do
  mkdir -p "initrd$(dirname "$lib")"
  cp "$lib" "initrd$lib"
done
cp "$dummy" initrd/modules/dummy.ko
cp "$here/init.sh" initrd/init
chmod +x initrd/init
(cd initrd && find . | cpio -o -H newc 2>/dev/null | gzip -1 > ../initrd.gz)

timeout 900 qemu-system-x86_64 -accel tcg,thread=multi -cpu max -m 1024 -smp 2 \
  -kernel "$vmlinuz" -initrd initrd.gz \
  -append "console=ttyS0 loglevel=0 panic=-1 edd=off" \
  -nographic -no-reboot > console.log 2>&1 || true

# The cases' output, without the terminal's escape sequences.
# A case's first line may share the console's line with the boot loader's.
sed -E -e 's/\x1b\[[0-9;?]*[a-zA-Z]//g' -e 's/\x1bc//g' -e 's/\r$//' \
  -e 's/^.+(=== [a-z_]+)$/\1/' console.log \
  | sed -n '/^=== /,/^=== done$/p' > actual.txt
if ! diff -u "$here/expected.txt" actual.txt; then
  echo "kernel-vm: output differs from tools/kernel-vm/expected.txt (console: $work/console.log)" >&2
  exit 1
fi
echo "kernel-vm: every case as expected on $package"

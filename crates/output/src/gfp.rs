//! `%gr`: page allocation (GFP) flags by name, as the kernel's
//! `include/linux/gfp_types.h` defines them and in the order of its
//! `__def_gfpflag_names` (`include/trace/events/mmflags.h`): composite masks
//! first, so that the longest matching name wins and leftover bits show
//! by themselves.
use std::fmt::Write;

const DMA: u64 = 1 << 0;
const HIGHMEM: u64 = 1 << 1;
const DMA32: u64 = 1 << 2;
const MOVABLE: u64 = 1 << 3;
const HIGH: u64 = 1 << 5;
const IO: u64 = 1 << 6;
const FS: u64 = 1 << 7;
const ZERO: u64 = 1 << 8;
const DIRECT_RECLAIM: u64 = 1 << 10;
const KSWAPD_RECLAIM: u64 = 1 << 11;
const WRITE: u64 = 1 << 12;
const NOWARN: u64 = 1 << 13;
const RETRY_MAYFAIL: u64 = 1 << 14;
const NOFAIL: u64 = 1 << 15;
const NORETRY: u64 = 1 << 16;
const MEMALLOC: u64 = 1 << 17;
const COMP: u64 = 1 << 18;
const NOMEMALLOC: u64 = 1 << 19;
const HARDWALL: u64 = 1 << 20;
const THISNODE: u64 = 1 << 21;
const ACCOUNT: u64 = 1 << 22;
const ZEROTAGS: u64 = 1 << 23;
const SKIP_ZERO: u64 = 1 << 24;
const SKIP_KASAN: u64 = 1 << 25;
const NO_OBJ_EXT: u64 = 1 << 26;

const RECLAIM: u64 = DIRECT_RECLAIM | KSWAPD_RECLAIM;
const GFP_ATOMIC: u64 = HIGH | KSWAPD_RECLAIM;
const GFP_KERNEL: u64 = RECLAIM | IO | FS;
const GFP_KERNEL_ACCOUNT: u64 = GFP_KERNEL | ACCOUNT;
const GFP_NOWAIT: u64 = KSWAPD_RECLAIM | NOWARN;
const GFP_NOIO: u64 = RECLAIM;
const GFP_NOFS: u64 = RECLAIM | IO;
const GFP_USER: u64 = RECLAIM | IO | FS | HARDWALL;
const GFP_HIGHUSER: u64 = GFP_USER | HIGHMEM;
const GFP_HIGHUSER_MOVABLE: u64 = GFP_HIGHUSER | MOVABLE | SKIP_KASAN;
const GFP_TRANSHUGE_LIGHT: u64 = (GFP_HIGHUSER_MOVABLE | COMP | NOMEMALLOC | NOWARN) & !RECLAIM;
const GFP_TRANSHUGE: u64 = GFP_TRANSHUGE_LIGHT | DIRECT_RECLAIM;

const NAMES: [(u64, &str); 35] = [
    (GFP_TRANSHUGE, "GFP_TRANSHUGE"),
    (GFP_TRANSHUGE_LIGHT, "GFP_TRANSHUGE_LIGHT"),
    (GFP_HIGHUSER_MOVABLE, "GFP_HIGHUSER_MOVABLE"),
    (GFP_HIGHUSER, "GFP_HIGHUSER"),
    (GFP_USER, "GFP_USER"),
    (GFP_KERNEL_ACCOUNT, "GFP_KERNEL_ACCOUNT"),
    (GFP_KERNEL, "GFP_KERNEL"),
    (GFP_NOFS, "GFP_NOFS"),
    (GFP_ATOMIC, "GFP_ATOMIC"),
    (GFP_NOIO, "GFP_NOIO"),
    (GFP_NOWAIT, "GFP_NOWAIT"),
    (DMA, "GFP_DMA"),
    (HIGHMEM, "__GFP_HIGHMEM"),
    (DMA32, "GFP_DMA32"),
    (HIGH, "__GFP_HIGH"),
    (IO, "__GFP_IO"),
    (FS, "__GFP_FS"),
    (ZERO, "__GFP_ZERO"),
    (DIRECT_RECLAIM, "__GFP_DIRECT_RECLAIM"),
    (KSWAPD_RECLAIM, "__GFP_KSWAPD_RECLAIM"),
    (WRITE, "__GFP_WRITE"),
    (NOWARN, "__GFP_NOWARN"),
    (RETRY_MAYFAIL, "__GFP_RETRY_MAYFAIL"),
    (NOFAIL, "__GFP_NOFAIL"),
    (NORETRY, "__GFP_NORETRY"),
    (MEMALLOC, "__GFP_MEMALLOC"),
    (COMP, "__GFP_COMP"),
    (NOMEMALLOC, "__GFP_NOMEMALLOC"),
    (HARDWALL, "__GFP_HARDWALL"),
    (THISNODE, "__GFP_THISNODE"),
    (ACCOUNT, "__GFP_ACCOUNT"),
    (ZEROTAGS, "__GFP_ZEROTAGS"),
    (SKIP_ZERO, "__GFP_SKIP_ZERO"),
    (SKIP_KASAN, "__GFP_SKIP_KASAN"),
    (NO_OBJ_EXT, "__GFP_NO_OBJ_EXT"),
];

/// `GFP_KERNEL|__GFP_ZERO`, `0` for no flags, unnamed bits as `0x..`.
pub(crate) fn describe(flags: u64) -> String {
    if flags == 0 {
        return "0".to_owned();
    }
    let mut out = String::new();
    let mut remaining = flags;
    for (mask, name) in NAMES {
        if remaining & mask == mask {
            if !out.is_empty() {
                out.push('|');
            }
            out.push_str(name);
            remaining &= !mask;
        }
    }
    if remaining != 0 {
        if !out.is_empty() {
            out.push('|');
        }
        let _ = write!(out, "{remaining:#x}");
    }
    out
}

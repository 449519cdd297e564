//! Kprobes on many functions: one `kprobe_multi` link for a program that
//! a wildcard attached to every function it matched, or, where the kernel
//! has no such links, one perf event per function.

use anyhow::Context;
use sonde_codegen::object::{AttachTarget, Object, ProgKind, ProgramDef};
use sonde_sys::{Link, Program};

use super::{probe_name, Attachments};

/// Set in the environment, kprobes attach through perf events even where
/// the kernel has `kprobe_multi` links: the path older kernels take, kept
/// testable on new ones.
pub const NO_KPROBE_MULTI_ENV: &str = "SONDE_NO_KPROBE_MULTI";

/// The functions and cookies of a kprobe program's attach points, and
/// whether they are kretprobes: what a `kprobe_multi` link takes. `None`
/// when a point is not a kprobe on a function's entry by name, or the
/// points do not agree on the direction.
fn multi_sites(object: &Object, def: &ProgramDef) -> Option<(Vec<String>, Vec<u64>, bool)> {
    let mut names = Vec::with_capacity(def.attach.len());
    let mut cookies = Vec::with_capacity(def.attach.len());
    let mut direction = None;
    for point in &def.attach {
        let AttachTarget::Kprobe {
            function,
            offset: 0,
            addr: None,
            ret,
            ..
        } = &point.target
        else {
            return None;
        };
        if function.is_empty() || *direction.get_or_insert(*ret) != *ret {
            return None;
        }
        names.push(function.clone());
        cookies.push(object.cookie(point.probe));
    }
    Some((names, cookies, direction?))
}

impl Attachments {
    /// Attach a kprobe program on many functions with one `kprobe_multi`
    /// link, or (when the kernel has no such links) one perf event per
    /// function through a copy of the program that `load_plain` loads for
    /// perf events.
    pub fn attach_kprobes(
        &mut self,
        object: &Object,
        def: &ProgramDef,
        prog: &Program,
        load_plain: &mut dyn FnMut() -> anyhow::Result<Program>,
    ) -> anyhow::Result<()> {
        let name = |probe: u32| probe_name(object, probe);
        if !self.no_kprobe_multi {
            if let Some((names, cookies, ret)) = multi_sites(object, def) {
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                match Link::kprobe_multi(prog, &names, &cookies, ret) {
                    Ok(link) => {
                        self.links.push(link);
                        self.probes
                            .extend(def.attach.iter().map(|p| (p.block, p.probe)));
                        return Ok(());
                    }
                    // No kprobe_multi links (before 5.18, or built without
                    // fprobe): perf events from here on.
                    Err(e)
                        if e.errno().is_some_and(|n| {
                            [libc::EINVAL, libc::EOPNOTSUPP, libc::ENOSYS].contains(&n)
                        }) =>
                    {
                        self.no_kprobe_multi = true;
                    }
                    Err(e) => {
                        return Err(e).with_context(|| {
                            format!("cannot attach {}", name(def.attach[0].probe))
                        })
                    }
                }
            }
        }
        let copy = load_plain()?;
        for point in &def.attach {
            self.attach(
                &copy,
                ProgKind::Kprobe,
                &point.target,
                (point.block, object.cookie(point.probe)),
                &name(point.probe),
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loader::{is_kprobe_multi_program, multi_link_type};
    use sonde_lang::sema::{analyse, fake_env::FakeEnv, Options};
    use sonde_sys::AttachType;

    fn compile(src: &str) -> Object {
        let ast = sonde_lang::parse(src).expect("parses");
        let typed = analyse(&ast, &FakeEnv::default(), &Options::default()).expect("checks");
        sonde_codegen::compile(&typed, &Default::default()).expect("compiles")
    }

    #[test]
    fn a_wildcard_kprobe_takes_one_kprobe_multi_link() {
        let object = compile("kretprobe:vfs_rea* { @[func] = count(); }");
        let def = &object.programs[0];
        assert!(is_kprobe_multi_program(def));
        assert_eq!(multi_link_type(def), Some(AttachType::TraceKprobeMulti));
        let (names, cookies, ret) = multi_sites(&object, def).expect("kprobes by name");
        assert_eq!(names, ["vfs_read", "vfs_readv"]);
        assert!(ret);
        // Each cookie names its probe (low half) and function (high half).
        for (point, cookie) in def.attach.iter().zip(&cookies) {
            assert_eq!(*cookie & 0xffff_ffff, u64::from(point.probe));
            let func = (*cookie >> 32) as usize;
            assert!(names.contains(&object.probe_names[func]));
        }
        assert_ne!(cookies[0] >> 32, cookies[1] >> 32);
    }

    #[test]
    fn single_functions_offsets_and_addresses_take_perf_events() {
        let object = compile(
            "kprobe:vfs_read { @a = count(); } kprobe:ksys_read+4 { @b = count(); } \
             kprobe:do_nanosleep, kprobe:0x1234 { @c = count(); }",
        );
        for def in &object.programs {
            assert!(!is_kprobe_multi_program(def), "{:?}", def.attach);
            assert_eq!(multi_link_type(def), None);
        }
        assert_eq!(multi_sites(&object, &object.programs[2]), None);
    }
}

//! A reader for BTF, the kernel's description of its own types
//! (`/sys/kernel/btf/vmlinux`, and module BTF split on top of it).
//!
//! It is built for the one question a tracing compiler asks: "what is the
//! type called X?". Opening a file makes one pass over the type section to
//! find where each type starts and to index types by the offset of their
//! name; nothing is decoded until asked for. A name is found by searching
//! the string section once, so a lookup costs a string search and a hash
//! probe, not a walk over the ~100,000 types of a kernel.
//!
//! The crate reads bytes it is given (or one file) and does nothing else:
//! no system calls beyond reading that file. It also writes the one kind of
//! BTF Sonde loads itself: function types for programs with subprograms
//! ([`write`]).

mod c_decl;
mod parse;
mod types;
pub mod write;

pub use parse::{Btf, Error};
pub use types::{Kind, Member, Param, TypeId, TypeInfo};

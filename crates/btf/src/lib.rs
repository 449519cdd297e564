//! A reader for BTF, the kernel's description of its own types
//! (`/sys/kernel/btf/vmlinux`, and module BTF split on top of it).
//!
//! It is built for the one question a tracing compiler asks: "what is the
//! type called X?". Opening a file makes one pass over the type section to
//! find where each type starts (about 5 ms for a kernel's 125,000 types);
//! nothing is decoded until asked for. A name is found by searching the
//! string section for it once and then comparing name offsets in the type
//! headers, a fraction of a millisecond; a caller that looks up many names
//! (a listing) gets a hash index built after its first few lookups.
//! `cargo run --release -p sonde-btf --example btf_timing` measures it.
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

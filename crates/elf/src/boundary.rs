//! Whether a place in a function's code is where an instruction starts.
//!
//! A uprobe writes a breakpoint over the byte it is placed at: in the
//! middle of an instruction that corrupts the instruction, and the traced
//! process crashes or, worse, runs something else. x86 instructions have
//! variable length, so the only way to know is to decode from the start of
//! the function; arm64 instructions are all four bytes.

use object::elf;

use crate::file::ElfFile;

/// What decoding found at a place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Boundary {
    /// An instruction starts there.
    Start,
    /// The place is inside an instruction.
    Inside,
    /// Undecided: the place is in no known function, or the code before it
    /// could not be decoded.
    Unknown,
}

impl ElfFile {
    /// Whether an instruction starts at file offset `offset`, decoding the
    /// function symbol that contains it from its first byte.
    pub fn instruction_boundary(&self, offset: u64) -> Boundary {
        let Some(vaddr) = self.offset_to_vaddr(offset) else {
            return Boundary::Unknown;
        };
        let Ok(functions) = self.functions() else {
            return Boundary::Unknown;
        };
        let Some(function) = functions
            .iter()
            .filter(|f| {
                f.size > 0
                    && vaddr >= f.addr
                    && f.addr.checked_add(f.size).is_some_and(|end| vaddr < end)
            })
            .min_by_key(|f| f.size)
        else {
            return Boundary::Unknown;
        };
        if vaddr == function.addr {
            return Boundary::Start;
        }
        let Some(start) = self.vaddr_to_offset(function.addr) else {
            return Boundary::Unknown;
        };
        let Some(code) = usize::try_from(start).ok().and_then(|s| {
            self.data()
                .get(s..s.checked_add(usize::try_from(function.size).ok()?)?)
        }) else {
            return Boundary::Unknown;
        };
        let within = vaddr - function.addr;
        match self.machine() {
            elf::EM_X86_64 => x86_64_boundary(code, within),
            elf::EM_AARCH64 => {
                if within.is_multiple_of(4) {
                    Boundary::Start
                } else {
                    Boundary::Inside
                }
            }
            _ => Boundary::Unknown,
        }
    }
}

/// Decode `code` from its start until `within` is reached or passed.
fn x86_64_boundary(code: &[u8], within: u64) -> Boundary {
    use iced_x86::{Code, Decoder, DecoderOptions};
    let mut decoder = Decoder::with_ip(64, code, 0, DecoderOptions::NONE);
    while decoder.can_decode() {
        let at = decoder.ip();
        if at == within {
            return Boundary::Start;
        }
        if at > within {
            return Boundary::Inside;
        }
        if decoder.decode().code() == Code::INVALID {
            return Boundary::Unknown;
        }
    }
    Boundary::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x86_instructions_of_several_lengths() {
        // push rbp (1); mov rbp, rsp (3); mov eax, 0x12345678 (5); pop rbp (1); ret (1)
        let code = [
            0x55, 0x48, 0x89, 0xe5, 0xb8, 0x78, 0x56, 0x34, 0x12, 0x5d, 0xc3,
        ];
        let starts = [0, 1, 4, 9, 10];
        for within in 0..code.len() as u64 {
            let want = if starts.contains(&within) {
                Boundary::Start
            } else {
                Boundary::Inside
            };
            assert_eq!(x86_64_boundary(&code, within), want, "at {within}");
        }
        assert_eq!(x86_64_boundary(&code, 11), Boundary::Unknown);
        // An undecodable byte before the place leaves it undecided.
        assert_eq!(
            x86_64_boundary(&[0x55, 0x06, 0x90, 0x90], 3),
            Boundary::Unknown
        );
    }
}

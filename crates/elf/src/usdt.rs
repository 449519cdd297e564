//! USDT probes: the `.note.stapsdt` notes that SystemTap's `sys/sdt.h` (and
//! anything imitating it) leaves in a binary, and their argument specs.
//!
//! A note's descriptor is three addresses (the probe site, the link-time
//! address of `.stapsdt.base`, the semaphore or 0) followed by three
//! NUL-terminated strings: provider, name and argument spec. When the file
//! was prelinked or otherwise moved, the `.stapsdt.base` section's real
//! address tells how far the other two addresses moved.

use object::Endian;

use crate::file::ElfFile;

pub use crate::usdt_args::{parse_args, ArgLocation, UsdtArg};

const NOTE_OWNER: &[u8] = b"stapsdt";
const NOTE_TYPE: u32 = 3;

/// One probe site of one USDT probe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsdtNote {
    pub provider: String,
    pub name: String,
    /// Virtual address of the probe site (a `nop`), in the file's layout.
    pub addr: u64,
    /// Virtual address of the probe's semaphore (a u16 counter that the
    /// program checks before computing the arguments), 0 if it has none.
    pub semaphore: u64,
    /// The argument spec as written, e.g. `-4@%edi 8@-16(%rbp) 4@$5`.
    pub args: String,
}

impl ElfFile {
    /// Every USDT probe site of this file, in note order.
    pub fn usdt_notes(&self) -> Vec<UsdtNote> {
        let endian = self.endian();
        let base_section = self.section(".stapsdt.base").map(|(_, addr)| addr);
        let mut out = Vec::new();
        for section in self.note_sections(".note.stapsdt") {
            parse_notes(section, endian.is_little_endian(), base_section, &mut out);
        }
        out
    }
}

fn parse_notes(data: &[u8], little: bool, base_section: Option<u64>, out: &mut Vec<UsdtNote>) {
    let u32_at = |off: usize| -> Option<u32> {
        let b: [u8; 4] = data.get(off..off + 4)?.try_into().ok()?;
        Some(if little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    };
    let u64_at = |off: usize| -> Option<u64> {
        let b: [u8; 8] = data.get(off..off + 8)?.try_into().ok()?;
        Some(if little {
            u64::from_le_bytes(b)
        } else {
            u64::from_be_bytes(b)
        })
    };
    let mut at = 0usize;
    while at + 12 <= data.len() {
        let (Some(namesz), Some(descsz), Some(kind)) = (u32_at(at), u32_at(at + 4), u32_at(at + 8))
        else {
            return;
        };
        let (namesz, descsz) = (namesz as usize, descsz as usize);
        let name_at = at + 12;
        let desc_at = name_at + namesz.next_multiple_of(4);
        let next = desc_at + descsz.next_multiple_of(4);
        let Some(owner) = data.get(name_at..name_at + namesz) else {
            return;
        };
        let owner = owner.strip_suffix(&[0]).unwrap_or(owner);
        if owner == NOTE_OWNER && kind == NOTE_TYPE {
            if let Some(desc) = data.get(desc_at..desc_at + descsz) {
                if let (Some(pc), Some(base), Some(sem)) =
                    (u64_at(desc_at), u64_at(desc_at + 8), u64_at(desc_at + 16))
                {
                    let mut strings = desc.get(24..).unwrap_or(&[]).split(|&b| b == 0);
                    let mut text =
                        || String::from_utf8_lossy(strings.next().unwrap_or(&[])).into_owned();
                    let (provider, name, args) = (text(), text(), text());
                    // Addresses are relative to the link-time base; move
                    // them with the section if it moved.
                    let shift = match base_section {
                        Some(actual) if base != 0 => actual.wrapping_sub(base),
                        _ => 0,
                    };
                    out.push(UsdtNote {
                        provider,
                        name,
                        addr: pc.wrapping_add(shift),
                        semaphore: if sem == 0 { 0 } else { sem.wrapping_add(shift) },
                        args,
                    });
                }
            }
        }
        if next <= at {
            return;
        }
        at = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_are_decoded_and_moved_with_their_base() {
        let mut desc = Vec::new();
        desc.extend_from_slice(&0x1000u64.to_le_bytes());
        desc.extend_from_slice(&0x2000u64.to_le_bytes());
        desc.extend_from_slice(&0x3000u64.to_le_bytes());
        desc.extend_from_slice(b"prov\0name\0-4@%edi\0");
        let mut note = Vec::new();
        note.extend_from_slice(&8u32.to_le_bytes());
        note.extend_from_slice(&(desc.len() as u32).to_le_bytes());
        note.extend_from_slice(&3u32.to_le_bytes());
        note.extend_from_slice(b"stapsdt\0");
        note.extend_from_slice(&desc);
        note.resize(note.len().next_multiple_of(4), 0);
        let twice = [note.clone(), note].concat();
        let mut out = Vec::new();
        parse_notes(&twice, true, Some(0x2100), &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(
            out[0],
            UsdtNote {
                provider: "prov".into(),
                name: "name".into(),
                addr: 0x1100,
                semaphore: 0x3100,
                args: "-4@%edi".into(),
            }
        );
        let mut none = Vec::new();
        parse_notes(&twice[..20], true, None, &mut none);
        assert!(none.is_empty());
    }
}

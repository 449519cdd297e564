//! BPF maps: creation and element access from user space.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use crate::attr::{self, cmd};
use crate::cpu::{percpu_stride, possible_cpus};
use crate::syscall;
use crate::{Error, Result};

/// The map types this crate creates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapType {
    Hash,
    Array,
    PercpuHash,
    PercpuArray,
    LruHash,
    LruPercpuHash,
    /// `max_entries` is the buffer size in bytes, a power-of-two multiple of
    /// the page size; key and value sizes are 0.
    RingBuf,
    /// Programs for `bpf_tail_call`: u32 keys, program fds as values.
    ProgArray,
    /// Stacks for `bpf_get_stackid`: u32 ids, arrays of u64 addresses.
    StackTrace,
}

impl MapType {
    pub fn kernel_id(self) -> u32 {
        match self {
            MapType::Hash => 1,
            MapType::Array => 2,
            MapType::PercpuHash => 5,
            MapType::PercpuArray => 6,
            MapType::LruHash => 9,
            MapType::LruPercpuHash => 10,
            MapType::RingBuf => 27,
            MapType::ProgArray => 3,
            MapType::StackTrace => 7,
        }
    }

    /// True when a lookup returns one value per possible CPU.
    pub fn is_percpu(self) -> bool {
        matches!(
            self,
            MapType::PercpuHash | MapType::PercpuArray | MapType::LruPercpuHash
        )
    }

    /// True when elements cannot be deleted, only overwritten.
    pub fn is_array(self) -> bool {
        matches!(self, MapType::Array | MapType::PercpuArray)
    }
}

/// What to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapSpec {
    /// At most 15 bytes of `A-Z a-z 0-9 _ .`.
    pub name: String,
    pub map_type: MapType,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    /// `BPF_F_*` creation flags, e.g. `BPF_F_NO_PREALLOC` (1).
    pub flags: u32,
}

/// `BPF_MAP_UPDATE_ELEM` flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdateFlags {
    /// `BPF_ANY`: create or overwrite.
    Any = 0,
    /// `BPF_NOEXIST`: create only.
    NoExist = 1,
    /// `BPF_EXIST`: overwrite only.
    Exist = 2,
}

/// A map this process created; dropping it closes the descriptor, and the
/// kernel frees the map once no program or mapping still uses it.
#[derive(Debug)]
pub struct Map {
    fd: OwnedFd,
    spec: MapSpec,
    /// Bytes a lookup writes: `value_size`, or for per-CPU maps the value
    /// size rounded up to 8 times the number of possible CPUs.
    value_len: usize,
}

impl Map {
    pub fn create(spec: &MapSpec) -> Result<Map> {
        let op = cmd::op(cmd::MAP_CREATE);
        let name = attr::object_name("map", &spec.name)?;
        let value_len = if spec.map_type.is_percpu() {
            percpu_stride(spec.value_size) * possible_cpus()?
        } else {
            spec.value_size as usize
        };
        let mut attr = attr::MapCreate {
            map_type: spec.map_type.kernel_id(),
            key_size: spec.key_size,
            value_size: spec.value_size,
            max_entries: spec.max_entries,
            map_flags: spec.flags,
            map_name: name,
            ..Default::default()
        };
        // SAFETY: BPF_MAP_CREATE carries no addresses in the fields we set.
        let fd = unsafe { syscall::bpf_fd(cmd::MAP_CREATE, &mut attr) }.map_err(|errno| {
            Error::os(op, errno).with_explanation(format!("creating map `{}`", spec.name))
        })?;
        Ok(Map {
            fd,
            spec: spec.clone(),
            value_len,
        })
    }

    pub fn spec(&self) -> &MapSpec {
        &self.spec
    }

    pub fn name(&self) -> &str {
        &self.spec.name
    }

    pub fn key_size(&self) -> usize {
        self.spec.key_size as usize
    }

    /// The length of the buffer a lookup fills (see [`Map::percpu_values`]).
    pub fn value_len(&self) -> usize {
        self.value_len
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// The kernel id of this map.
    pub fn id(&self) -> Result<u32> {
        crate::objects::map_info(self.fd.as_fd()).map(|info| info.id)
    }

    fn check_key(&self, what: &'static str, key: &[u8]) -> Result<()> {
        if key.len() != self.key_size() || self.spec.map_type == MapType::RingBuf {
            return Err(Error::invalid(
                what,
                format!(
                    "map `{}` takes {}-byte keys, got {}",
                    self.spec.name,
                    self.spec.key_size,
                    key.len()
                ),
            ));
        }
        Ok(())
    }

    fn check_value(&self, what: &'static str, value_len: usize) -> Result<()> {
        if value_len != self.value_len {
            return Err(Error::invalid(
                what,
                format!(
                    "map `{}` takes {}-byte values, got {}",
                    self.spec.name, self.value_len, value_len
                ),
            ));
        }
        Ok(())
    }

    fn elem_attr(&self, key: &[u8], value: u64, flags: u64) -> attr::MapElem {
        attr::MapElem {
            map_fd: self.fd.as_raw_fd() as u32,
            key: key.as_ptr() as u64,
            value,
            flags,
            ..Default::default()
        }
    }

    /// Read the value of `key` into `value`; `Ok(false)` when absent.
    pub fn lookup(&self, key: &[u8], value: &mut [u8]) -> Result<bool> {
        let op = cmd::op(cmd::MAP_LOOKUP_ELEM);
        self.check_key(op, key)?;
        self.check_value(op, value.len())?;
        let mut attr = self.elem_attr(key, value.as_mut_ptr() as u64, 0);
        // SAFETY: `key` holds key_size readable bytes and `value` value_len
        // writable bytes, exactly what the kernel accesses for this map.
        match unsafe { syscall::bpf(cmd::MAP_LOOKUP_ELEM, &mut attr) } {
            Ok(_) => Ok(true),
            Err(libc::ENOENT) => Ok(false),
            Err(errno) => Err(Error::os(op, errno)),
        }
    }

    /// A freshly allocated lookup of `key`.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let mut value = vec![0u8; self.value_len];
        Ok(self.lookup(key, &mut value)?.then_some(value))
    }

    pub fn update(&self, key: &[u8], value: &[u8], flags: UpdateFlags) -> Result<()> {
        let op = cmd::op(cmd::MAP_UPDATE_ELEM);
        self.check_key(op, key)?;
        self.check_value(op, value.len())?;
        let mut attr = self.elem_attr(key, value.as_ptr() as u64, flags as u64);
        // SAFETY: the kernel reads key_size bytes from `key` and value_len
        // bytes from `value`; both slices have exactly those lengths.
        unsafe { syscall::bpf(cmd::MAP_UPDATE_ELEM, &mut attr) }
            .map_err(|errno| Error::os(op, errno))?;
        Ok(())
    }

    /// Delete `key`; `Ok(false)` when it was absent.
    pub fn delete(&self, key: &[u8]) -> Result<bool> {
        let op = cmd::op(cmd::MAP_DELETE_ELEM);
        self.check_key(op, key)?;
        let mut attr = self.elem_attr(key, 0, 0);
        // SAFETY: the kernel reads key_size bytes from `key`.
        match unsafe { syscall::bpf(cmd::MAP_DELETE_ELEM, &mut attr) } {
            Ok(_) => Ok(true),
            Err(libc::ENOENT) => Ok(false),
            Err(errno) => Err(Error::os(op, errno)),
        }
    }

    /// The key after `key` (the first key for `None`) into `next`;
    /// `Ok(false)` past the last key.
    pub fn next_key(&self, key: Option<&[u8]>, next: &mut [u8]) -> Result<bool> {
        let op = cmd::op(cmd::MAP_GET_NEXT_KEY);
        if let Some(key) = key {
            self.check_key(op, key)?;
        }
        self.check_key(op, next)?;
        let key_ptr = key.map_or(0, |k| k.as_ptr() as u64);
        let mut attr = attr::MapElem {
            map_fd: self.fd.as_raw_fd() as u32,
            key: key_ptr,
            value: next.as_mut_ptr() as u64,
            ..Default::default()
        };
        // SAFETY: `key` (if any) has key_size readable bytes and `next`
        // key_size writable bytes.
        match unsafe { syscall::bpf(cmd::MAP_GET_NEXT_KEY, &mut attr) } {
            Ok(_) => Ok(true),
            Err(libc::ENOENT) => Ok(false),
            Err(errno) => Err(Error::os(op, errno)),
        }
    }

    /// Every key, walking with `BPF_MAP_GET_NEXT_KEY`.
    pub fn keys(&self) -> Result<Vec<Vec<u8>>> {
        let mut keys: Vec<Vec<u8>> = Vec::new();
        let mut next = vec![0u8; self.key_size()];
        // A map can hold at most max_entries keys; concurrent deletion can
        // restart a hash walk, so bound it rather than trust it to end.
        let limit = (self.spec.max_entries as usize).saturating_mul(2).max(16);
        while keys.len() < limit && self.next_key(keys.last().map(|k| k.as_slice()), &mut next)? {
            keys.push(next.clone());
        }
        Ok(keys)
    }

    /// Every `(key, value)`: batched when the kernel supports it for this
    /// map, otherwise one lookup per key. Values are [`Map::value_len`] bytes.
    pub fn entries(&self) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        match self.lookup_batch() {
            Ok(entries) => Ok(entries),
            Err(e)
                if matches!(
                    e.errno(),
                    Some(libc::EINVAL) | Some(libc::EOPNOTSUPP) | Some(524)
                ) =>
            {
                let mut entries = Vec::new();
                for key in self.keys()? {
                    if let Some(value) = self.get(&key)? {
                        entries.push((key, value));
                    }
                }
                Ok(entries)
            }
            Err(e) => Err(e),
        }
    }

    /// Every `(key, value)` with `BPF_MAP_LOOKUP_BATCH`.
    pub fn lookup_batch(&self) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let op = cmd::op(cmd::MAP_LOOKUP_BATCH);
        if self.spec.map_type == MapType::RingBuf {
            return Err(Error::os(op, libc::EINVAL));
        }
        let key_size = self.key_size();
        let mut entries = Vec::new();
        let mut count = 64usize.min(self.spec.max_entries.max(1) as usize);
        // Hash batches are bucket indices (u32), array batches keys: the
        // larger of key size and 8 bytes fits both.
        let token_len = key_size.max(8);
        let mut in_token = vec![0u8; token_len];
        let mut out_token = vec![0u8; token_len];
        let mut first = true;
        loop {
            let mut keys = vec![0u8; count * key_size];
            let mut values = vec![0u8; count * self.value_len];
            let mut attr = attr::MapBatch {
                in_batch: if first { 0 } else { in_token.as_ptr() as u64 },
                out_batch: out_token.as_mut_ptr() as u64,
                keys: keys.as_mut_ptr() as u64,
                values: values.as_mut_ptr() as u64,
                count: count as u32,
                map_fd: self.fd.as_raw_fd() as u32,
                ..Default::default()
            };
            // SAFETY: `keys` and `values` hold `count` keys and values of
            // this map's sizes, the tokens `token_len` bytes (at least the
            // key size and the 4-byte hash bucket index); the kernel writes
            // at most that much.
            let ret = unsafe { syscall::bpf(cmd::MAP_LOOKUP_BATCH, &mut attr) };
            let got = (attr.count as usize).min(count);
            match ret {
                Ok(_) | Err(libc::ENOENT) => {
                    for i in 0..got {
                        entries.push((
                            keys[i * key_size..(i + 1) * key_size].to_vec(),
                            values[i * self.value_len..(i + 1) * self.value_len].to_vec(),
                        ));
                    }
                    if ret.is_err() {
                        return Ok(entries);
                    }
                    in_token.copy_from_slice(&out_token);
                    first = false;
                }
                // One hash bucket holds more than `count` elements.
                Err(libc::ENOSPC) if count < (1 << 20) => count *= 2,
                Err(errno) => return Err(Error::os(op, errno)),
            }
        }
    }

    /// Delete `keys` in one `BPF_MAP_DELETE_BATCH`; returns how many went.
    pub fn delete_batch(&self, keys: &[Vec<u8>]) -> Result<usize> {
        let op = cmd::op(cmd::MAP_DELETE_BATCH);
        let mut flat = Vec::with_capacity(keys.len() * self.key_size());
        for key in keys {
            self.check_key(op, key)?;
            flat.extend_from_slice(key);
        }
        let mut attr = attr::MapBatch {
            keys: flat.as_ptr() as u64,
            count: keys.len() as u32,
            map_fd: self.fd.as_raw_fd() as u32,
            ..Default::default()
        };
        // SAFETY: `flat` holds `count` keys of key_size bytes each.
        let ret = unsafe { syscall::bpf(cmd::MAP_DELETE_BATCH, &mut attr) };
        match ret {
            Ok(_) => Ok(attr.count as usize),
            Err(errno) => Err(Error::os(op, errno)),
        }
    }

    /// Delete every element (hash maps) or zero every value (array maps).
    pub fn clear(&self) -> Result<()> {
        if self.spec.map_type.is_array() {
            return self.zero_values();
        }
        for key in self.keys()? {
            self.delete(&key)?;
        }
        Ok(())
    }

    /// Overwrite every existing value with zeroes, keeping the keys.
    pub fn zero_values(&self) -> Result<()> {
        let zero = vec![0u8; self.value_len];
        for key in self.keys()? {
            match self.update(&key, &zero, UpdateFlags::Exist) {
                Ok(()) => {}
                // Deleted by a program since we listed it.
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Split a per-CPU lookup buffer into one slice per possible CPU, each
    /// `value_size` bytes (a plain map's value is one slice).
    pub fn percpu_values<'v>(&self, value: &'v [u8]) -> Vec<&'v [u8]> {
        if !self.spec.map_type.is_percpu() {
            return vec![value];
        }
        let stride = percpu_stride(self.spec.value_size);
        value
            .chunks_exact(stride)
            .map(|slot| &slot[..self.spec.value_size as usize])
            .collect()
    }
}

//! Maps from user space: create, update, lookup, delete, iterate, per-CPU.

mod common;

use sonde_sys::cpu::possible_cpus;
use sonde_sys::{Map, MapSpec, MapType, UpdateFlags};

fn spec(
    name: &str,
    map_type: MapType,
    key_size: u32,
    value_size: u32,
    max_entries: u32,
) -> MapSpec {
    MapSpec {
        name: name.to_string(),
        map_type,
        key_size,
        value_size,
        max_entries,
        flags: 0,
    }
}

#[test]
fn hash_update_lookup_delete_iterate() {
    let map = Map::create(&spec("t_hash", MapType::Hash, 8, 8, 16)).unwrap();
    let info_id = map.id().unwrap();
    for k in 1u64..=3 {
        map.update(&k.to_le_bytes(), &(k * 100).to_le_bytes(), UpdateFlags::Any)
            .unwrap();
    }
    assert_eq!(
        map.get(&2u64.to_le_bytes()).unwrap(),
        Some(200u64.to_le_bytes().to_vec())
    );
    assert_eq!(map.get(&9u64.to_le_bytes()).unwrap(), None);
    // NOEXIST on an existing key is EEXIST.
    let err = map
        .update(&2u64.to_le_bytes(), &[0; 8], UpdateFlags::NoExist)
        .unwrap_err();
    assert_eq!(err.errno(), Some(libc::EEXIST));
    assert_eq!(err.to_string(), "bpf(BPF_MAP_UPDATE_ELEM): File exists");

    let mut keys: Vec<u64> = map
        .keys()
        .unwrap()
        .iter()
        .map(|k| u64::from_le_bytes(k[..].try_into().unwrap()))
        .collect();
    keys.sort();
    assert_eq!(keys, vec![1, 2, 3]);

    let mut entries: Vec<(u64, u64)> = map
        .entries()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            (
                u64::from_le_bytes(k[..].try_into().unwrap()),
                u64::from_le_bytes(v[..].try_into().unwrap()),
            )
        })
        .collect();
    entries.sort();
    assert_eq!(entries, vec![(1, 100), (2, 200), (3, 300)]);

    assert!(map.delete(&2u64.to_le_bytes()).unwrap());
    assert!(!map.delete(&2u64.to_le_bytes()).unwrap());
    assert_eq!(map.keys().unwrap().len(), 2);

    map.zero_values().unwrap();
    assert_eq!(map.get(&1u64.to_le_bytes()).unwrap(), Some(vec![0; 8]));
    map.clear().unwrap();
    assert!(map.keys().unwrap().is_empty());
    drop(map);
    common::assert_gone(&[], &[], &[info_id]);
}

#[test]
fn batch_lookup_reads_more_than_one_batch() {
    let map = Map::create(&spec("t_batch", MapType::Hash, 4, 4, 1000)).unwrap();
    for k in 0u32..300 {
        map.update(
            &k.to_le_bytes(),
            &(k + 7).to_le_bytes(),
            UpdateFlags::NoExist,
        )
        .unwrap();
    }
    let mut got: Vec<(u32, u32)> = map
        .lookup_batch()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            (
                u32::from_le_bytes(k[..].try_into().unwrap()),
                u32::from_le_bytes(v[..].try_into().unwrap()),
            )
        })
        .collect();
    got.sort();
    assert_eq!(got, (0u32..300).map(|k| (k, k + 7)).collect::<Vec<_>>());
    let deleted = map
        .delete_batch(
            &(0u32..100)
                .map(|k| k.to_le_bytes().to_vec())
                .collect::<Vec<_>>(),
        )
        .unwrap();
    assert_eq!(deleted, 100);
    assert_eq!(map.keys().unwrap().len(), 200);
}

#[test]
fn percpu_values_have_one_slot_per_possible_cpu() {
    let cpus = possible_cpus().unwrap();
    let map = Map::create(&spec("t_percpu", MapType::PercpuHash, 8, 12, 4)).unwrap();
    // 12-byte values are rounded up to 16 per CPU.
    assert_eq!(map.value_len(), 16 * cpus);
    let mut value = vec![0u8; map.value_len()];
    for cpu in 0..cpus {
        value[cpu * 16..cpu * 16 + 4].copy_from_slice(&(cpu as u32 + 1).to_le_bytes());
    }
    map.update(&5u64.to_le_bytes(), &value, UpdateFlags::Any)
        .unwrap();
    let read = map.get(&5u64.to_le_bytes()).unwrap().unwrap();
    let firsts: Vec<u32> = map
        .percpu_values(&read)
        .iter()
        .map(|slot| u32::from_le_bytes(slot[..4].try_into().unwrap()))
        .collect();
    assert_eq!(firsts, (1..=cpus as u32).collect::<Vec<_>>());
    assert_eq!(map.percpu_values(&read)[0].len(), 12);

    // A buffer of the wrong size is refused before the kernel sees it.
    let err = map
        .update(&5u64.to_le_bytes(), &[0; 12], UpdateFlags::Any)
        .unwrap_err();
    assert_eq!(err.errno(), None);
}

#[test]
fn arrays_lru_and_percpu_arrays() {
    let array = Map::create(&spec("t_array", MapType::Array, 4, 8, 4)).unwrap();
    assert_eq!(array.keys().unwrap().len(), 4);
    array
        .update(&3u32.to_le_bytes(), &42u64.to_le_bytes(), UpdateFlags::Any)
        .unwrap();
    assert_eq!(
        array.get(&3u32.to_le_bytes()).unwrap(),
        Some(42u64.to_le_bytes().to_vec())
    );
    // Array elements cannot be deleted; clear zeroes them.
    assert_eq!(
        array.delete(&3u32.to_le_bytes()).unwrap_err().errno(),
        Some(libc::EINVAL)
    );
    array.clear().unwrap();
    assert_eq!(array.get(&3u32.to_le_bytes()).unwrap(), Some(vec![0; 8]));

    let pa = Map::create(&spec("t_parray", MapType::PercpuArray, 4, 8, 2)).unwrap();
    assert_eq!(pa.value_len(), 8 * possible_cpus().unwrap());
    let lru = Map::create(&spec("t_lru", MapType::LruHash, 8, 8, 64)).unwrap();
    lru.update(&1u64.to_le_bytes(), &2u64.to_le_bytes(), UpdateFlags::Any)
        .unwrap();
    assert_eq!(lru.keys().unwrap().len(), 1);
    let lpc = Map::create(&spec("t_lrupc", MapType::LruPercpuHash, 8, 8, 64)).unwrap();
    assert!(lpc.keys().unwrap().is_empty());
}

#[test]
fn bad_specs_are_refused_with_the_operation_named() {
    let err = Map::create(&spec("bad-name", MapType::Hash, 8, 8, 1)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "map name: `bad-name` has a character other than A-Z a-z 0-9 _ ."
    );
    let err = Map::create(&spec("t_zero", MapType::Hash, 0, 8, 1)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "bpf(BPF_MAP_CREATE): Invalid argument: creating map `t_zero`"
    );
    let map = Map::create(&spec("t_keysz", MapType::Hash, 8, 8, 1)).unwrap();
    let err = map.get(&[0; 4]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "bpf(BPF_MAP_LOOKUP_ELEM): map `t_keysz` takes 8-byte keys, got 4"
    );
}

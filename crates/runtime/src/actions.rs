//! What the actions sent from the programs do in user space: `system`
//! runs a command, `cat` reads a file, `time` reads the clock, `join`
//! joins strings.

use std::io::Read;
use std::process::{Command, Stdio};

/// Run `command` with `sh -c` and return what it wrote on standard output
/// (its standard error goes where sonde's goes).
pub fn system(command: &str) -> String {
    match Command::new("/bin/sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
    {
        Ok(output) => String::from_utf8_lossy(&output.stdout).into_owned(),
        Err(e) => format!("sonde: cannot run /bin/sh: {e}\n"),
    }
}

/// The first `max` bytes of the file at `path`, or bpftrace's message when
/// it cannot be read.
pub fn cat(path: &str, max: u64) -> Result<String, String> {
    let file = std::fs::File::open(path).map_err(|e| {
        let reason = e
            .raw_os_error()
            .map(sonde_sys::strerror)
            .unwrap_or_else(|| e.to_string());
        format!("ERROR: failed to open file '{path}' ({reason})")
    })?;
    let mut contents = Vec::new();
    file.take(max)
        .read_to_end(&mut contents)
        .map_err(|e| format!("ERROR: failed to read file '{path}' ({e})"))?;
    Ok(String::from_utf8_lossy(&contents).into_owned())
}

/// The local time now, as `strftime(3)` formats it.
pub fn time(format: &str) -> String {
    let secs = sonde_sys::clock_ns(sonde_sys::Clock::Realtime) / 1_000_000_000;
    sonde_sys::time::strftime(format, secs as i64)
}

/// The strings of a `join` record (a u64 count, then that many strings of
/// `size` bytes each, 8-byte aligned) joined by `sep`, with a newline.
/// `None` for a malformed record.
pub fn join(payload: &[u8], size: u32, sep: &[u8]) -> Option<String> {
    let count = u64::from_le_bytes(payload.get(..8)?.try_into().ok()?);
    let stride = size.next_multiple_of(8) as usize;
    let mut out = Vec::new();
    for i in 0..count as usize {
        let start = 8 + i * stride;
        let raw = payload.get(start..start + size as usize)?;
        let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
        if i > 0 {
            out.extend_from_slice(sep);
        }
        out.extend_from_slice(&raw[..end]);
    }
    out.push(b'\n');
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// `errno` values the messages below tell apart.
const E2BIG: i64 = 7;
const ENOENT: i64 = 2;

/// bpftrace's warning about helper `helper` returning `retcode`, with the
/// line that names them.
pub fn helper_error_text(helper: &str, retcode: i64) -> String {
    let message = match (helper, -retcode) {
        ("map_update_elem", E2BIG) => "Map full; can't update element. Try increasing max_map_keys config or manually setting the max entries in a map declaration e.g. `let @a = hash(5000)`".to_string(),
        ("map_delete_elem", ENOENT) => "Can't delete map element because it does not exist.".to_string(),
        // A lookup gives no error code, only nothing.
        ("map_lookup_elem", _) => "Can't lookup map element because it does not exist.".to_string(),
        _ => sonde_sys::strerror(-retcode as i32),
    };
    format!("{message}\nAdditional Info - helper: {helper}, retcode: {retcode}")
}

/// The JSON record of a failed helper.
pub fn helper_error_json(
    helper: &str,
    retcode: i64,
    filename: &str,
    line: u32,
    col: u32,
) -> String {
    let quote = |s: &str| {
        let mut out = String::new();
        sonde_output::json::write_json_string(&mut out, s.as_bytes());
        out
    };
    format!(
        r#"{{"type": "helper_error", "msg": {}, "helper": {}, "retcode": {retcode}, "filename": {}, "line": {line}, "col": {col}}}"#,
        quote(&sonde_sys::strerror(-retcode as i32)),
        quote(helper),
        quote(filename)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_the_strings_of_a_record() {
        let mut payload = 2u64.to_le_bytes().to_vec();
        payload.extend_from_slice(b"ls\0\0\0\0\0\0-l\0\0\0\0\0\0");
        assert_eq!(join(&payload, 8, b",").as_deref(), Some("ls,-l\n"));
        assert_eq!(join(&payload[..10], 8, b","), None);
    }

    #[test]
    fn cat_reads_at_most_max_bytes_and_names_a_missing_file() {
        let dir = std::env::temp_dir().join(format!("sonde-cat-{}", std::process::id()));
        std::fs::write(&dir, "12345").unwrap();
        assert_eq!(cat(dir.to_str().unwrap(), 3), Ok("123".to_string()));
        std::fs::remove_file(&dir).unwrap();
        assert_eq!(
            cat("/does/not/exist/file", 10),
            Err(
                "ERROR: failed to open file '/does/not/exist/file' (No such file or directory)"
                    .into()
            )
        );
        assert_eq!(system("echo a b"), "a b\n");
    }
}

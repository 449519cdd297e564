//! Wall-clock time as text: `strftime(3)` in the local time zone, for
//! bpftrace's `time()` and `strftime()`.

/// `format` applied to the local time `secs` seconds after the epoch, as
/// `strftime(3)` does it. A result longer than 4 KiB, or a time the C
/// library cannot convert, gives an empty string.
pub fn strftime(format: &str, secs: i64) -> String {
    let Ok(format) = std::ffi::CString::new(format) else {
        return String::new();
    };
    let time: libc::time_t = secs as libc::time_t;
    // SAFETY: an all-zero `tm` is a valid value to be overwritten.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are to live locals; localtime_r writes only `tm`.
    if unsafe { libc::localtime_r(&time, &mut tm) }.is_null() {
        return String::new();
    }
    let mut buf = vec![0u8; 4096];
    // SAFETY: `buf` has `buf.len()` writable bytes, `format` is a valid C
    // string and `tm` was filled by localtime_r.
    let written = unsafe {
        libc::strftime(
            buf.as_mut_ptr().cast::<libc::c_char>(),
            buf.len(),
            format.as_ptr(),
            &tm,
        )
    };
    buf.truncate(written);
    String::from_utf8_lossy(&buf).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_the_c_library() {
        // Seconds and fields that do not depend on the time zone.
        assert_eq!(strftime("%s", 86400 * 365), (86400 * 365).to_string());
        assert_eq!(strftime("%%", 0), "%");
        let hms = strftime("%H:%M:%S", 0);
        assert_eq!(hms.len(), 8, "{hms}");
    }
}

//! A socket's cookie (`SO_COOKIE`), the number `bpf_get_socket_cookie`
//! gives a program for the same socket: what ties a socket a program saw
//! to one of the tracer's (or its tests').

use std::os::fd::{AsRawFd, BorrowedFd};

use crate::{Error, Result};

/// `SO_COOKIE` (Linux 4.19 and later).
const SO_COOKIE: libc::c_int = 57;

/// The cookie of socket `fd`.
pub fn socket_cookie(fd: BorrowedFd<'_>) -> Result<u64> {
    let mut cookie = 0u64;
    let mut len = std::mem::size_of::<u64>() as libc::socklen_t;
    // SAFETY: `cookie` and `len` are live locals the kernel writes at most
    // `len` (8) bytes into.
    let ret = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            SO_COOKIE,
            std::ptr::from_mut(&mut cookie).cast(),
            &mut len,
        )
    };
    if ret != 0 {
        let errno = std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO);
        return Err(Error::os("getsockopt(SO_COOKIE)", errno));
    }
    Ok(cookie)
}

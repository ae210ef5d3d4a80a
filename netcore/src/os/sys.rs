//! The few socket options std and tokio do not offer, over `libc`.
//!
//! All `unsafe` of the host backend is in [`setsockopt_int`].

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

use crate::socket::Keepalive;

/// Sets an `int`-valued socket option.
#[allow(unsafe_code)]
fn setsockopt_int(fd: BorrowedFd<'_>, level: i32, name: i32, value: i32) -> io::Result<()> {
    let len = core::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `fd` is a live descriptor for the duration of the borrow, and
    // we pass a pointer to a local `c_int` together with its exact size; the
    // kernel only reads `len` bytes from it and keeps no reference.
    let rc = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            (&value as *const libc::c_int).cast::<libc::c_void>(),
            len,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Seconds as a positive `c_int`, for the `TCP_KEEP*` options.
fn secs(d: crate::time::Duration) -> i32 {
    i32::try_from(d.as_secs()).unwrap_or(i32::MAX).max(1)
}

/// Turns TCP keepalive on with the given timing, or off with `None`.
pub(crate) fn set_keepalive(fd: &impl AsFd, keepalive: Option<Keepalive>) -> io::Result<()> {
    let fd = fd.as_fd();
    match keepalive {
        None => setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_KEEPALIVE, 0),
        Some(k) => {
            setsockopt_int(fd, libc::IPPROTO_TCP, libc::TCP_KEEPIDLE, secs(k.idle))?;
            setsockopt_int(fd, libc::IPPROTO_TCP, libc::TCP_KEEPINTVL, secs(k.interval))?;
            let count = i32::try_from(k.count).unwrap_or(i32::MAX).max(1);
            setsockopt_int(fd, libc::IPPROTO_TCP, libc::TCP_KEEPCNT, count)?;
            setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_KEEPALIVE, 1)
        }
    }
}

/// Shuts down one or both directions of a connected socket.
///
/// Works on a duplicate of the descriptor (a shutdown applies to the
/// socket, not to the descriptor), so no `unsafe` is needed.
pub(crate) fn shutdown(fd: &impl AsFd, how: std::net::Shutdown) -> io::Result<()> {
    let dup = fd.as_fd().try_clone_to_owned()?;
    std::net::TcpStream::from(dup).shutdown(how)
}

/// Reads an `int`-valued socket option back (tests only).
#[cfg(test)]
#[allow(unsafe_code)]
fn getsockopt_int(fd: BorrowedFd<'_>, level: i32, name: i32) -> io::Result<i32> {
    let mut value: libc::c_int = 0;
    let mut len = core::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `fd` is live; `value` and `len` are valid, writable locals and
    // `len` holds the size of `value`.
    let rc = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            level,
            name,
            (&mut value as *mut libc::c_int).cast::<libc::c_void>(),
            &mut len,
        )
    };
    if rc == 0 {
        Ok(value)
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Duration;

    #[test]
    fn keepalive_options_reach_the_socket() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let s = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let k = Keepalive {
            idle: Duration::from_secs(7),
            interval: Duration::from_secs(3),
            count: 4,
        };
        set_keepalive(&s, Some(k)).unwrap();
        let fd = s.as_fd();
        let get = |lvl, name| getsockopt_int(fd, lvl, name).unwrap();
        assert_eq!(get(libc::SOL_SOCKET, libc::SO_KEEPALIVE), 1);
        assert_eq!(get(libc::IPPROTO_TCP, libc::TCP_KEEPIDLE), 7);
        assert_eq!(get(libc::IPPROTO_TCP, libc::TCP_KEEPINTVL), 3);
        assert_eq!(get(libc::IPPROTO_TCP, libc::TCP_KEEPCNT), 4);
        set_keepalive(&s, None).unwrap();
        assert_eq!(get(libc::SOL_SOCKET, libc::SO_KEEPALIVE), 0);
    }

    #[test]
    fn sub_second_keepalive_rounds_up() {
        assert_eq!(secs(Duration::from_millis(10)), 1);
        assert_eq!(secs(Duration::MAX), i32::MAX);
    }
}

//! A Linux TAP device for the smoltcp backend, driven by tokio.
//!
//! `petrel --tap tap0 --ip 198.51.100.2/24` runs the whole suite over smoltcp
//! on a TAP interface: the kernel side of the interface is a real Linux host
//! (its address, e.g. 198.51.100.1, in a network namespace), so real Linux
//! peers talk to our TCP/IP stack.
//!
//! Differences from smoltcp's own `TunTapInterface`: no allocation per frame
//! (one receive buffer, reused), I/O errors are counted and never panic, and
//! receive readiness comes from tokio's reactor so the runner sleeps.
//!
//! ```no_run
//! # async fn f() -> std::io::Result<()> {
//! let tap = petrel_netcore::tap::TapDevice::open("tap0")?;
//! println!("mtu {}", tap.mtu());
//! # Ok(()) }
//! ```

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::task::{Context, Poll};

use smoltcp::phy::{self, Device, DeviceCapabilities, Medium};
use tokio::io::unix::AsyncFd;

use crate::smol::AsyncDevice;

const IFF_TAP: libc::c_short = 0x0002;
const IFF_NO_PI: libc::c_short = 0x1000;
/// `_IOW('T', 202, int)`
const TUNSETIFF: libc::c_ulong = 0x4004_54ca;

/// An open TAP interface.
pub struct TapDevice {
    fd: AsyncFd<File>,
    mtu: usize,
    rx: Vec<u8>,
    /// One transmit frame, reused (zeroing a fresh buffer per frame showed
    /// up in profiles).
    tx: Vec<u8>,
    rx_errors: u64,
    tx_errors: u64,
}

impl std::fmt::Debug for TapDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TapDevice").field("mtu", &self.mtu).finish()
    }
}

/// Attaches the open `/dev/net/tun` file to TAP interface `name`.
#[allow(unsafe_code)]
fn set_iff(file: &File, name: &str) -> io::Result<()> {
    let bytes = name.as_bytes();
    if bytes.is_empty() || bytes.len() >= libc::IFNAMSIZ {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "interface name {name:?} must be 1..{} bytes",
                libc::IFNAMSIZ - 1
            ),
        ));
    }
    let mut ifr_name = [0 as libc::c_char; libc::IFNAMSIZ];
    for (d, s) in ifr_name.iter_mut().zip(bytes) {
        *d = *s as libc::c_char;
    }
    let mut req = libc::ifreq {
        ifr_name,
        ifr_ifru: libc::__c_anonymous_ifr_ifru {
            ifru_flags: IFF_TAP | IFF_NO_PI,
        },
    };
    // SAFETY: `file` is an open /dev/net/tun descriptor that outlives the
    // call, and `req` is a properly initialised `struct ifreq` that the kernel
    // reads (name, flags) and writes (name) within its own size.
    let r = unsafe { libc::ioctl(file.as_raw_fd(), TUNSETIFF as _, &mut req) };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Registers the TAP file with tokio's reactor.
#[allow(unsafe_code)]
fn register(file: File) -> io::Result<AsyncFd<File>> {
    // SAFETY: the `File` is moved into the `AsyncFd`, which owns it until it
    // is dropped; nothing else holds or closes the descriptor, so it stays
    // open and refers to the same file description for the `AsyncFd`'s life.
    Ok(unsafe { AsyncFd::register(file) }?)
}

impl TapDevice {
    /// Opens TAP interface `name` (it must exist, e.g. made with
    /// `ip tuntap add dev tap0 mode tap`, or be creatable by this process).
    /// Must be called inside a tokio runtime.
    pub fn open(name: &str) -> io::Result<TapDevice> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open("/dev/net/tun")?;
        set_iff(&file, name)?;
        let mtu = std::fs::read_to_string(format!("/sys/class/net/{name}/mtu"))
            .ok()
            .and_then(|s| s.trim().parse::<usize>().ok())
            .unwrap_or(1500);
        let fd = register(file)?;
        Ok(TapDevice {
            fd,
            mtu,
            rx: vec![0; mtu + 14],
            tx: vec![0; mtu + 14],
            rx_errors: 0,
            tx_errors: 0,
        })
    }

    /// The interface's IP MTU.
    pub fn mtu(&self) -> usize {
        self.mtu
    }

    /// Receive errors seen so far (frames lost to I/O errors).
    pub fn rx_errors(&self) -> u64 {
        self.rx_errors
    }

    /// Transmit errors seen so far (frames the kernel refused).
    pub fn tx_errors(&self) -> u64 {
        self.tx_errors
    }
}

/// A frame read from the TAP device.
pub struct TapRx<'a>(&'a [u8]);

/// A slot to write one frame to the TAP device.
pub struct TapTx<'a> {
    file: &'a File,
    buf: &'a mut [u8],
    errors: &'a mut u64,
}

impl phy::RxToken for TapRx<'_> {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(self.0)
    }
}

impl phy::TxToken for TapTx<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        // The device's transmit buffer: the MTU bounds the frame, and no
        // allocation or zeroing per frame.
        let len = len.min(self.buf.len());
        let frame = &mut self.buf[..len];
        let r = f(frame);
        let mut file = self.file;
        if file.write(frame).is_err() {
            // EAGAIN (kernel queue full) or the interface went down: the
            // frame is lost like on a real wire; TCP retransmits.
            *self.errors += 1;
        }
        r
    }
}

impl Device for TapDevice {
    type RxToken<'a> = TapRx<'a>;
    type TxToken<'a> = TapTx<'a>;

    fn receive(
        &mut self,
        _t: smoltcp::time::Instant,
    ) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        let mut file = self.fd.get_ref();
        let n = match file.read(&mut self.rx) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return None,
            Err(_) => {
                self.rx_errors += 1;
                return None;
            }
        };
        Some((
            TapRx(self.rx.get(..n).unwrap_or(&[])),
            TapTx {
                file: self.fd.get_ref(),
                buf: &mut self.tx,
                errors: &mut self.tx_errors,
            },
        ))
    }

    fn transmit(&mut self, _t: smoltcp::time::Instant) -> Option<Self::TxToken<'_>> {
        Some(TapTx {
            file: self.fd.get_ref(),
            buf: &mut self.tx,
            errors: &mut self.tx_errors,
        })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = self.mtu + 14;
        caps
    }
}

impl AsyncDevice for TapDevice {
    fn poll_rx_ready(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        match self.fd.poll_read_ready(cx) {
            Poll::Ready(Ok(mut guard)) => {
                // The runner polls the interface next, which reads until
                // WouldBlock; clearing here re-arms the edge for after that.
                guard.clear_ready();
                Poll::Ready(())
            }
            Poll::Ready(Err(_)) => Poll::Ready(()),
            Poll::Pending => Poll::Pending,
        }
    }
}

//! A driver for the SMSC LAN9118 Ethernet controller (QEMU's model; the
//! mps2 board carries the register-compatible LAN9220) as a
//! `smoltcp::phy::Device`, plus netcore's [`AsyncDevice`] over the chip's
//! "RX status FIFO level" interrupt.
//!
//! # Contract
//! - [`Lan9118::init`] soft-resets the chip, checks BYTE_TEST and ID_REV,
//!   reads the MAC address the board configured (QEMU: `-nic …,mac=`), turns
//!   the transmitter and receiver on with promiscuous mode off, and leaves
//!   interrupts masked until [`Lan9118::enable_irq`].
//! - Receive: the RX status FIFO gives one word per frame (length with the
//!   4-byte CRC, error bits); the frame is read from the RX data FIFO as
//!   `ceil(len / 4)` little-endian words and the CRC dropped. A frame with an
//!   error bit, or one too long for the buffer, is read out and discarded and
//!   counted in [`Stats`]; a board forwards those counts to netcore
//!   (`Stack::count_rx_error` / `count_rx_discard`) since the stack owns no
//!   driver-specific counters.
//! - Transmit: command A (first and last segment, buffer length), command B
//!   (tag, frame length), then the frame as words. A transmit token is only
//!   handed out when the TX data FIFO has room for a full frame.
//! - Multicast: the MAC passes all multicast frames (MCPAS) and smoltcp keeps
//!   the ones for groups it joined; programming the 64-bit hash filter would
//!   need the group list from netcore, which the device does not see.
//!
//! The only `unsafe` lives in [`regs`]: volatile register access and the NVIC
//! unmask.

mod regs;

use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use core::task::{Context, Poll};

use embassy_sync::waitqueue::AtomicWaker;
use petrel_netcore::smol::AsyncDevice;
use smoltcp::phy::{self, Device, DeviceCapabilities, Medium};
use smoltcp::time::Instant as SInstant;

use regs::*;

/// Largest frame we exchange: 1514 bytes of Ethernet (1500 MTU) plus a VLAN
/// tag and the CRC, rounded up to whole words.
pub(crate) const FRAME_BUF: usize = 1528;
/// The MTU smoltcp sees (Ethernet header included, CRC excluded).
const MAX_FRAME: usize = 1514;
/// How long bounded register polls spin before giving up.
const SPIN_LIMIT: u32 = 100_000;
/// How often the PHY's link bit is sampled, microseconds.
const LINK_CHECK_US: i64 = 1_000_000;

/// Why the chip could not be brought up.
#[non_exhaustive]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Lan9118Error {
    /// BYTE_TEST did not read 0x8765_4321 (no chip, or a bus wiring or
    /// endianness problem); the value read.
    ByteTest(u32),
    /// ID_REV names a chip this driver does not know; the value read.
    UnknownChip(u32),
    /// The chip did not become ready (PMT_CTRL.READY) or leave soft reset.
    NotReady,
    /// The MAC CSR interface stayed busy.
    MacCsrTimeout,
    /// The MII (PHY) interface stayed busy.
    MiiTimeout,
}

impl defmt::Format for Lan9118Error {
    fn format(&self, f: defmt::Formatter<'_>) {
        match self {
            Lan9118Error::ByteTest(v) => {
                defmt::write!(f, "BYTE_TEST reads {=u32:#010x}, not 0x87654321", v)
            }
            Lan9118Error::UnknownChip(v) => {
                defmt::write!(f, "unknown chip, ID_REV {=u32:#010x}", v)
            }
            Lan9118Error::NotReady => defmt::write!(f, "chip not ready after reset"),
            Lan9118Error::MacCsrTimeout => defmt::write!(f, "MAC CSR interface busy"),
            Lan9118Error::MiiTimeout => defmt::write!(f, "MII interface busy"),
        }
    }
}

/// Counters the driver keeps (the chip's own RX_DROP counter is folded in).
/// Statics, because the device is owned by the stack's runner while the
/// board reads the counters from another task and the IRQ handler.
pub(crate) struct Stats {
    /// Frames handed to the stack.
    pub(crate) rx_frames: AtomicU32,
    /// Bytes handed to the stack (without CRC).
    pub(crate) rx_bytes: AtomicU32,
    /// Frames discarded for an error bit in their status (ifInErrors).
    pub(crate) rx_errors: AtomicU32,
    /// Frames lost for lack of buffer: RX overrun, RX_DROP, and frames too
    /// long for the receive buffer (ifInDiscards).
    pub(crate) rx_discards: AtomicU32,
    /// Frames written to the TX FIFO.
    pub(crate) tx_frames: AtomicU32,
    /// Bytes written to the TX FIFO.
    pub(crate) tx_bytes: AtomicU32,
    /// TX status words with the error summary bit.
    pub(crate) tx_errors: AtomicU32,
    /// Times the stack wanted to send and the TX FIFO was full.
    pub(crate) tx_busy: AtomicU32,
    /// Interrupts taken.
    pub(crate) irqs: AtomicU32,
    /// PHY link state at the last check.
    pub(crate) link_up: AtomicBool,
}

/// The driver's counters.
pub(crate) static STATS: Stats = Stats {
    rx_frames: AtomicU32::new(0),
    rx_bytes: AtomicU32::new(0),
    rx_errors: AtomicU32::new(0),
    rx_discards: AtomicU32::new(0),
    tx_frames: AtomicU32::new(0),
    tx_bytes: AtomicU32::new(0),
    tx_errors: AtomicU32::new(0),
    tx_busy: AtomicU32::new(0),
    irqs: AtomicU32::new(0),
    link_up: AtomicBool::new(false),
};

fn bump(c: &AtomicU32, by: u32) {
    c.fetch_add(by, Ordering::Relaxed);
}

/// Woken by the interrupt handler when frames arrive.
static RX_WAKER: AtomicWaker = AtomicWaker::new();

/// The driver's frame buffers (one receive, one transmit), provided by the
/// board so they can live in a static instead of on the stack.
pub(crate) struct Buffers {
    rx: [u8; FRAME_BUF],
    tx: [u8; FRAME_BUF],
}

impl Buffers {
    /// Zeroed buffers.
    pub(crate) const EMPTY: Buffers = Buffers {
        rx: [0; FRAME_BUF],
        tx: [0; FRAME_BUF],
    };
}

/// What [`Lan9118::init`] found on the bus.
#[derive(Copy, Clone, Debug)]
pub(crate) struct ChipInfo {
    /// ID_REV: chip id (high half) and revision (low half).
    pub(crate) id_rev: u32,
    /// BYTE_TEST as read.
    pub(crate) byte_test: u32,
    /// The MAC address from ADDRL/ADDRH.
    pub(crate) mac: [u8; 6],
}

/// The LAN9118 driver: a `smoltcp::phy::Device`.
pub(crate) struct Lan9118 {
    regs: Regs,
    bufs: &'static mut Buffers,
    info: ChipInfo,
    tag: u16,
    next_link_check: i64,
    irq: bool,
}

/// The current value of the chip's 25 MHz free-running counter (FREE_RUN):
/// the board's time base. Reading it has no side effect.
pub(crate) fn free_run() -> u32 {
    Regs::MPS2.read(FREE_RUN)
}

/// FREE_RUN's rate.
pub(crate) const FREE_RUN_HZ: u32 = 25_000_000;

/// The interrupt handler body: acknowledges the chip's interrupt causes,
/// counts errors, and wakes the runner. Call from the vector of
/// NVIC input 13.
pub(crate) fn on_irq() {
    let r = Regs::MPS2;
    let sts = r.read(INT_STS) & r.read(INT_EN);
    // Write-one-to-clear: the line drops until the next cause.
    r.write(INT_STS, sts);
    bump(&STATS.irqs, 1);
    if sts & INT_RXDF != 0 {
        bump(&STATS.rx_discards, 1);
    }
    if sts & INT_RXE != 0 {
        bump(&STATS.rx_errors, 1);
    }
    if sts & INT_TXE != 0 {
        bump(&STATS.tx_errors, 1);
    }
    RX_WAKER.wake();
}

/// Whether the NVIC input number is this chip's.
pub(crate) fn is_irq(irqn: i16) -> bool {
    irqn == IRQ as i16
}

impl Lan9118 {
    /// Resets and configures the chip at the mps2 base address.
    pub(crate) fn init(bufs: &'static mut Buffers) -> Result<Lan9118, Lan9118Error> {
        let regs = Regs::MPS2;
        let byte_test = regs.read(BYTE_TEST);
        if byte_test != BYTE_TEST_VALUE {
            return Err(Lan9118Error::ByteTest(byte_test));
        }
        let id_rev = regs.read(ID_REV);
        // LAN9115..9118 and the LAN9218/9220/9221 family share this
        // register interface.
        match id_rev >> 16 {
            0x0115..=0x0118 | 0x9218 | 0x9220 | 0x9221 => {}
            _ => return Err(Lan9118Error::UnknownChip(id_rev)),
        }
        spin_until(|| regs.read(PMT_CTRL) & PMT_CTRL_READY != 0).ok_or(Lan9118Error::NotReady)?;
        regs.write(HW_CFG, HW_CFG_SRST);
        spin_until(|| regs.read(HW_CFG) & HW_CFG_SRST == 0).ok_or(Lan9118Error::NotReady)?;
        spin_until(|| regs.read(PMT_CTRL) & PMT_CTRL_READY != 0).ok_or(Lan9118Error::NotReady)?;

        // Interrupts off and acknowledged until the board asks for them.
        regs.write(INT_EN, 0);
        regs.write(INT_STS, u32::MAX);
        regs.write(IRQ_CFG, IRQ_CFG_IRQ_POL | IRQ_CFG_IRQ_TYPE);
        // RSFL fires as soon as one status word is queued (level 0).
        let fifo_int = regs.read(FIFO_INT) & !0xFF;
        regs.write(FIFO_INT, fifo_int);
        // Empty both FIFOs of anything left from before the reset.
        regs.write(RX_CFG, RX_CFG_RX_DUMP);
        regs.write(RX_CFG, 0);

        let mut dev = Lan9118 {
            regs,
            bufs,
            info: ChipInfo {
                id_rev,
                byte_test,
                mac: [0; 6],
            },
            tag: 0,
            next_link_check: 0,
            irq: false,
        };
        let lo = dev.mac_read(MAC_ADDRL)?.to_le_bytes();
        let hi = dev.mac_read(MAC_ADDRH)?.to_le_bytes();
        dev.info.mac = [lo[0], lo[1], lo[2], lo[3], hi[0], hi[1]];

        let cr = dev.mac_read(MAC_CR)?;
        let cr = (cr & !MAC_CR_PRMS) | MAC_CR_TXEN | MAC_CR_RXEN | MAC_CR_MCPAS | MAC_CR_FDPX;
        dev.mac_write(MAC_CR, cr)?;
        regs.write(TX_CFG, TX_CFG_TX_ON | TX_CFG_TXSAO);
        let up = dev.link_up()?;
        STATS.link_up.store(up, Ordering::Relaxed);
        Ok(dev)
    }

    /// What the chip reported at init.
    pub(crate) fn info(&self) -> ChipInfo {
        self.info
    }

    /// Turns on the receive interrupt (RX status FIFO level, plus overrun
    /// and error causes) and unmasks it in the NVIC. After this the device
    /// can be run with `Runner::run` instead of `run_polled`.
    pub(crate) fn enable_irq(&mut self) {
        self.regs.write(INT_STS, u32::MAX);
        self.regs
            .write(IRQ_CFG, IRQ_CFG_IRQ_EN | IRQ_CFG_IRQ_POL | IRQ_CFG_IRQ_TYPE);
        self.regs
            .write(INT_EN, INT_RSFL | INT_RXDF | INT_RXE | INT_TXE);
        regs::unmask_irq();
        self.irq = true;
    }

    /// Reads the PHY's link bit (basic status register).
    pub(crate) fn link_up(&mut self) -> Result<bool, Lan9118Error> {
        // The link bit latches low: read twice for the current state.
        let _ = self.mii_read(PHY_BSR)?;
        Ok(self.mii_read(PHY_BSR)? & PHY_BSR_LINK != 0)
    }

    fn mac_wait(&self) -> Result<(), Lan9118Error> {
        let regs = self.regs;
        spin_until(|| regs.read(MAC_CSR_CMD) & MAC_CSR_BUSY == 0).ok_or(Lan9118Error::MacCsrTimeout)
    }

    fn mac_read(&mut self, index: u32) -> Result<u32, Lan9118Error> {
        self.mac_wait()?;
        self.regs
            .write(MAC_CSR_CMD, MAC_CSR_BUSY | MAC_CSR_READ | index);
        self.mac_wait()?;
        Ok(self.regs.read(MAC_CSR_DATA))
    }

    fn mac_write(&mut self, index: u32, value: u32) -> Result<(), Lan9118Error> {
        self.mac_wait()?;
        self.regs.write(MAC_CSR_DATA, value);
        self.regs.write(MAC_CSR_CMD, MAC_CSR_BUSY | index);
        self.mac_wait()
    }

    fn mii_read(&mut self, reg: u32) -> Result<u32, Lan9118Error> {
        let mut spins = 0;
        while self.mac_read(MII_ACC)? & MII_BUSY != 0 {
            spins += 1;
            if spins > SPIN_LIMIT {
                return Err(Lan9118Error::MiiTimeout);
            }
        }
        self.mac_write(MII_ACC, MII_PHY_ADDR | (reg << MII_REG_SHIFT) | MII_BUSY)?;
        spins = 0;
        while self.mac_read(MII_ACC)? & MII_BUSY != 0 {
            spins += 1;
            if spins > SPIN_LIMIT {
                return Err(Lan9118Error::MiiTimeout);
            }
        }
        Ok(self.mac_read(MII_DATA)? & 0xFFFF)
    }

    /// Samples the link bit at most once a second (MII access is slow on
    /// real hardware).
    fn maybe_check_link(&mut self, now: SInstant) {
        let now = now.total_micros();
        if now < self.next_link_check {
            return;
        }
        self.next_link_check = now + LINK_CHECK_US;
        if let Ok(up) = self.link_up() {
            STATS.link_up.store(up, Ordering::Relaxed);
        }
    }

    /// Pops TX status words and counts the failed ones. Bounded by the
    /// number of entries the chip reports.
    fn drain_tx_status(&mut self) {
        let used = (self.regs.read(TX_FIFO_INF) >> 16) & 0xFF;
        for _ in 0..used {
            if self.regs.read(TX_STATUS_FIFO) & TXS_ES != 0 {
                bump(&STATS.tx_errors, 1);
            }
        }
    }

    /// Reads and throws away `words` words of the RX data FIFO.
    fn skip_words(&mut self, words: usize) {
        for _ in 0..words {
            let _ = self.regs.read(RX_DATA_FIFO);
        }
    }

    /// Takes the next good frame out of the RX FIFOs into the receive
    /// buffer and returns its length; discards bad frames on the way.
    fn pop_frame(&mut self) -> Option<usize> {
        // Frames from the chip's own drop counter (cleared on read).
        let dropped = self.regs.read(RX_DROP);
        if dropped != 0 {
            bump(&STATS.rx_discards, dropped);
        }
        let queued = (self.regs.read(RX_FIFO_INF) >> 16) & 0xFF;
        for _ in 0..queued {
            let status = self.regs.read(RX_STATUS_FIFO);
            let len_crc = ((status >> RXS_LEN_SHIFT) & RXS_LEN_MASK) as usize;
            let words = len_crc.div_ceil(4);
            if status & (RXS_ES | RXS_LENGTH_ERROR) != 0 || len_crc < 14 + 4 {
                self.skip_words(words);
                bump(&STATS.rx_errors, 1);
                continue;
            }
            if words * 4 > self.bufs.rx.len() {
                self.skip_words(words);
                bump(&STATS.rx_discards, 1);
                continue;
            }
            let regs = self.regs;
            // `words * 4 <= rx.len()` was checked just above.
            // Whole words as `[u8; 4]`: one store each, not a `memcpy` call.
            for chunk in self.bufs.rx[..words * 4].chunks_exact_mut(4) {
                if let Ok(w) = <&mut [u8; 4]>::try_from(chunk) {
                    *w = regs.read(RX_DATA_FIFO).to_le_bytes();
                }
            }
            let len = len_crc - 4;
            bump(&STATS.rx_frames, 1);
            bump(&STATS.rx_bytes, len as u32);
            return Some(len);
        }
        None
    }

    fn tx_room(&mut self) -> bool {
        self.drain_tx_status();
        // TDFREE counts bytes; a frame needs two command words besides.
        let free = (self.regs.read(TX_FIFO_INF) & 0xFFFF) as usize;
        if free >= FRAME_BUF + 8 {
            true
        } else {
            bump(&STATS.tx_busy, 1);
            false
        }
    }
}

/// Spins until `f` is true, at most [`SPIN_LIMIT`] times.
fn spin_until(mut f: impl FnMut() -> bool) -> Option<()> {
    (0..SPIN_LIMIT).find(|_| f()).map(|_| ())
}

/// A received frame, already copied out of the chip.
pub(crate) struct RxToken<'a> {
    frame: &'a [u8],
}

/// Room for one frame in the TX FIFO.
pub(crate) struct TxToken<'a> {
    regs: Regs,
    buf: &'a mut [u8; FRAME_BUF],
    tag: &'a mut u16,
}

impl phy::RxToken for RxToken<'_> {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(self.frame)
    }
}

impl phy::TxToken for TxToken<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        // smoltcp never asks for more than the MTU we report, which fits.
        let n = len.min(MAX_FRAME);
        let r = f(&mut self.buf[..n]);
        if n != len {
            bump(&STATS.tx_errors, 1);
            return r;
        }
        *self.tag = self.tag.wrapping_add(1);
        let n32 = n as u32;
        self.regs
            .write(TX_DATA_FIFO, TXA_FIRST_SEG | TXA_LAST_SEG | n32);
        self.regs
            .write(TX_DATA_FIFO, (u32::from(*self.tag) << 16) | n32);
        // Whole words as `[u8; 4]` (one load each, not a `memcpy` call),
        // then the tail padded with zeros.
        let mut words = self.buf[..n].chunks_exact(4);
        for chunk in &mut words {
            if let Ok(w) = <[u8; 4]>::try_from(chunk) {
                self.regs.write(TX_DATA_FIFO, u32::from_le_bytes(w));
            }
        }
        let tail = words.remainder();
        if !tail.is_empty() {
            let mut w = [0u8; 4];
            w[..tail.len()].copy_from_slice(tail);
            self.regs.write(TX_DATA_FIFO, u32::from_le_bytes(w));
        }
        bump(&STATS.tx_frames, 1);
        bump(&STATS.tx_bytes, n32);
        r
    }
}

impl Device for Lan9118 {
    type RxToken<'a>
        = RxToken<'a>
    where
        Self: 'a;
    type TxToken<'a>
        = TxToken<'a>
    where
        Self: 'a;

    fn receive(&mut self, timestamp: SInstant) -> Option<(RxToken<'_>, TxToken<'_>)> {
        self.maybe_check_link(timestamp);
        // Only take a frame when a reply could go out too: smoltcp answers
        // ARP and ICMP from inside the receive token.
        if !self.tx_room() {
            return None;
        }
        let len = self.pop_frame()?;
        let Buffers { rx, tx } = &mut *self.bufs;
        Some((
            RxToken { frame: &rx[..len] },
            TxToken {
                regs: self.regs,
                buf: tx,
                tag: &mut self.tag,
            },
        ))
    }

    fn transmit(&mut self, _timestamp: SInstant) -> Option<TxToken<'_>> {
        if !self.tx_room() {
            return None;
        }
        Some(TxToken {
            regs: self.regs,
            buf: &mut self.bufs.tx,
            tag: &mut self.tag,
        })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = MAX_FRAME;
        // The LAN9118 has no checksum offload: smoltcp computes and checks
        // every checksum (the default).
        caps
    }
}

impl AsyncDevice for Lan9118 {
    fn poll_rx_ready(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if !self.irq {
            // Without the interrupt nobody would wake us: let the runner
            // poll again at once (run_polled is the right pump then).
            return Poll::Ready(());
        }
        // Register first, then look: a frame that lands in between raises
        // the IRQ, which wakes the registered waker.
        RX_WAKER.register(cx.waker());
        if (self.regs.read(RX_FIFO_INF) >> 16) & 0xFF != 0 {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

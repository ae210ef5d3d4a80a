//! The LAN9118's register block: offsets, bits, and the only `unsafe` of the
//! driver (volatile 32-bit loads and stores at the chip's base address).
//!
//! Facts from the LAN9118 datasheet (SMSC DS00002266, section 5) as modelled
//! by QEMU's `lan9118` device; the mps2-an385/an386 maps it at 0x4020_0000 and
//! routes its IRQ line to NVIC input 13.
#![allow(unsafe_code)]

/// Base address on mps2-an385/an386.
pub(crate) const BASE: usize = 0x4020_0000;
/// The NVIC input the chip's IRQ pin drives on mps2-an385/an386.
pub(crate) const IRQ: u16 = 13;

// ---- system control and status registers (byte offsets) ----------------
pub(crate) const RX_DATA_FIFO: usize = 0x00;
pub(crate) const TX_DATA_FIFO: usize = 0x20;
pub(crate) const RX_STATUS_FIFO: usize = 0x40;
pub(crate) const TX_STATUS_FIFO: usize = 0x48;
pub(crate) const ID_REV: usize = 0x50;
pub(crate) const IRQ_CFG: usize = 0x54;
pub(crate) const INT_STS: usize = 0x58;
pub(crate) const INT_EN: usize = 0x5C;
pub(crate) const BYTE_TEST: usize = 0x64;
pub(crate) const FIFO_INT: usize = 0x68;
pub(crate) const RX_CFG: usize = 0x6C;
pub(crate) const TX_CFG: usize = 0x70;
pub(crate) const HW_CFG: usize = 0x74;
pub(crate) const RX_FIFO_INF: usize = 0x7C;
pub(crate) const TX_FIFO_INF: usize = 0x80;
pub(crate) const PMT_CTRL: usize = 0x84;
pub(crate) const FREE_RUN: usize = 0x9C;
pub(crate) const RX_DROP: usize = 0xA0;
pub(crate) const MAC_CSR_CMD: usize = 0xA4;
pub(crate) const MAC_CSR_DATA: usize = 0xA8;

/// BYTE_TEST reads this when the bus is wired and not byte-swapped.
pub(crate) const BYTE_TEST_VALUE: u32 = 0x8765_4321;

// IRQ_CFG
pub(crate) const IRQ_CFG_IRQ_EN: u32 = 1 << 8;
pub(crate) const IRQ_CFG_IRQ_POL: u32 = 1 << 4; // active high
pub(crate) const IRQ_CFG_IRQ_TYPE: u32 = 1 << 0; // push-pull

// INT_STS / INT_EN
pub(crate) const INT_RXE: u32 = 1 << 14; // receiver error
pub(crate) const INT_TXE: u32 = 1 << 13; // transmitter error
pub(crate) const INT_RXDF: u32 = 1 << 6; // RX dropped frame (overrun)
pub(crate) const INT_RSFL: u32 = 1 << 3; // RX status FIFO level reached

// HW_CFG
pub(crate) const HW_CFG_SRST: u32 = 1 << 0;
// PMT_CTRL
pub(crate) const PMT_CTRL_READY: u32 = 1 << 0;
// TX_CFG
pub(crate) const TX_CFG_TX_ON: u32 = 1 << 1;
/// Let the TX status FIFO overrun instead of stalling transmission: the
/// driver drains it opportunistically and only reads it for error counts.
pub(crate) const TX_CFG_TXSAO: u32 = 1 << 2;
// RX_CFG
pub(crate) const RX_CFG_RX_DUMP: u32 = 1 << 15;

// RX status word
pub(crate) const RXS_LEN_SHIFT: u32 = 16;
pub(crate) const RXS_LEN_MASK: u32 = 0x3FFF;
/// Error summary: CRC error, runt, late collision, or frame too long.
pub(crate) const RXS_ES: u32 = 1 << 15;
pub(crate) const RXS_LENGTH_ERROR: u32 = 1 << 12;
// TX status word
pub(crate) const TXS_ES: u32 = 1 << 15;

// TX command A / B
pub(crate) const TXA_FIRST_SEG: u32 = 1 << 13;
pub(crate) const TXA_LAST_SEG: u32 = 1 << 12;

// MAC CSR command
pub(crate) const MAC_CSR_BUSY: u32 = 1 << 31;
pub(crate) const MAC_CSR_READ: u32 = 1 << 30;
// MAC CSR indices
pub(crate) const MAC_CR: u32 = 1;
pub(crate) const MAC_ADDRH: u32 = 2;
pub(crate) const MAC_ADDRL: u32 = 3;
pub(crate) const MII_ACC: u32 = 6;
pub(crate) const MII_DATA: u32 = 7;
// MAC_CR
pub(crate) const MAC_CR_FDPX: u32 = 1 << 20;
/// Pass all multicast: smoltcp filters groups itself (the hash filter is not
/// programmed yet; see the module docs).
pub(crate) const MAC_CR_MCPAS: u32 = 1 << 19;
pub(crate) const MAC_CR_PRMS: u32 = 1 << 18;
pub(crate) const MAC_CR_TXEN: u32 = 1 << 3;
pub(crate) const MAC_CR_RXEN: u32 = 1 << 2;
// MII_ACC
pub(crate) const MII_BUSY: u32 = 1 << 0;
pub(crate) const MII_PHY_ADDR: u32 = 1 << 11; // internal PHY at address 1
pub(crate) const MII_REG_SHIFT: u32 = 6;
// PHY registers
pub(crate) const PHY_BSR: u32 = 1;
pub(crate) const PHY_BSR_LINK: u32 = 1 << 2;

/// The register block at a fixed base address. `Copy`: it is just the
/// address; the chip's state lives in the chip.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Regs {
    base: usize,
}

impl Regs {
    /// The LAN9118 of mps2-an385/an386.
    pub(crate) const MPS2: Regs = Regs { base: BASE };

    /// Reads the 32-bit register at byte offset `off`.
    #[inline(always)]
    pub(crate) fn read(self, off: usize) -> u32 {
        debug_assert!(off < 0x100 && off.is_multiple_of(4));
        // SAFETY: `base` is the LAN9118's 256-byte register window on this
        // board (a device mapping, never RAM); every offset the driver
        // passes is one of the constants above, word-aligned and inside the
        // window, and the chip accepts 32-bit reads at all of them. Reads
        // of the FIFO ports pop entries, which is why callers own `&mut` of
        // the driver when they do so.
        unsafe { core::ptr::read_volatile((self.base + off) as *const u32) }
    }

    /// Writes the 32-bit register at byte offset `off`.
    #[inline(always)]
    pub(crate) fn write(self, off: usize, value: u32) {
        debug_assert!(off < 0x100 && off.is_multiple_of(4));
        // SAFETY: as in `read`: an aligned word inside the chip's register
        // window; no Rust object lives at this address.
        unsafe { core::ptr::write_volatile((self.base + off) as *mut u32, value) }
    }
}

/// The chip's IRQ as an NVIC interrupt number.
#[derive(Copy, Clone, Debug)]
pub(crate) struct EthIrq;

// SAFETY: `number` returns a valid device interrupt number of this board
// (13, below the 32 the mps2 NVIC implements), as the trait requires.
unsafe impl cortex_m::interrupt::InterruptNumber for EthIrq {
    fn number(self) -> u16 {
        IRQ
    }
}

/// Enables the chip's interrupt in the NVIC.
pub(crate) fn unmask_irq() {
    // SAFETY: unmasking can break a critical section that relies on masking
    // this interrupt; nothing in this firmware does that (critical sections
    // disable all interrupts with PRIMASK), and the handler (`on_irq`) only
    // touches INT_STS and atomics.
    unsafe { cortex_m::peripheral::NVIC::unmask(EthIrq) }
}

//! What the firmware occupies, measured by the firmware itself: flash and
//! static RAM from the linker's section symbols (cortex-m-rt's `link.x`),
//! and the stack's high-water mark from the paint cortex-m-rt puts on the
//! stack region at reset (feature `paint-stack`: every word between
//! `_stack_end` and `_stack_start` is 0xCCCC_CCCC before `main`).
//!
//! Reading the painted region is the one `unsafe` outside the Ethernet
//! driver: it is plain RAM that no Rust object owns (below the live stack).

use core::sync::atomic::{AtomicUsize, Ordering};

// The symbols only mark addresses; they are never read.
#[allow(unsafe_code)]
unsafe extern "C" {
    static __stext: u8;
    static __etext: u8;
    static __srodata: u8;
    static __erodata: u8;
    static __sdata: u8;
    static __edata: u8;
    static __sbss: u8;
    static __ebss: u8;
    static __suninit: u8;
    static __euninit: u8;
    static _stack_end: u8;
    static _stack_start: u8;
}

fn addr(p: *const u8) -> usize {
    p as usize
}

/// Section sizes from the linker symbols, in bytes.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Sections {
    /// Vector table (flash, before `.text`).
    pub(crate) vectors: usize,
    /// `.text`: code.
    pub(crate) text: usize,
    /// `.rodata`: constants.
    pub(crate) rodata: usize,
    /// `.data`: initialised statics (in RAM, with its image in flash).
    pub(crate) data: usize,
    /// `.bss` + `.uninit`: zeroed and uninitialised statics.
    pub(crate) bss: usize,
    /// The region left for the stack (no heap).
    pub(crate) stack: usize,
}

impl Sections {
    /// Reads the linker symbols.
    pub(crate) fn read() -> Sections {
        let stext = addr(&raw const __stext);
        Sections {
            // The vector table starts the flash region at 0x0.
            vectors: stext,
            text: addr(&raw const __etext) - stext,
            rodata: addr(&raw const __erodata) - addr(&raw const __srodata),
            data: addr(&raw const __edata) - addr(&raw const __sdata),
            bss: addr(&raw const __ebss) - addr(&raw const __sbss)
                + (addr(&raw const __euninit) - addr(&raw const __suninit)),
            stack: addr(&raw const _stack_start) - addr(&raw const _stack_end),
        }
    }

    /// Flash: vectors, code, constants and the `.data` image.
    pub(crate) fn flash(&self) -> usize {
        self.vectors + self.text + self.rodata + self.data
    }

    /// Static RAM: `.data` + `.bss`.
    pub(crate) fn static_ram(&self) -> usize {
        self.data + self.bss
    }
}

/// The deepest stack use seen so far, in bytes.
static HIGH_WATER: AtomicUsize = AtomicUsize::new(0);

/// Scans the painted stack region for the deepest word ever written and
/// returns the stack used so far in bytes (the high-water mark).
#[allow(unsafe_code)]
pub(crate) fn stack_high_water() -> usize {
    const PAINT: u32 = cortex_m_rt::STACK_PAINT_VALUE;
    let end = addr(&raw const _stack_end);
    let start = addr(&raw const _stack_start);
    // The current stack pointer bounds the scan: below it is untouched
    // paint or dead frames, never a live object.
    let sp = cortex_m::register::msp::read() as usize;
    let mut p = end;
    while p < sp.min(start) {
        // SAFETY: `p` is word-aligned (link.x asserts `_stack_end % 4 == 0`),
        // inside this board's RAM between the end of the statics and the
        // current stack pointer: memory that belongs to no Rust object and
        // that nothing else writes concurrently (an interrupt's frame is
        // above `sp`). A volatile read has no side effect on RAM.
        let word = unsafe { core::ptr::read_volatile(p as *const u32) };
        if word != PAINT {
            break;
        }
        p += 4;
    }
    let used = start - p;
    HIGH_WATER.fetch_max(used, Ordering::Relaxed).max(used)
}

/// Prints the section sizes.
pub(crate) fn print_sections() {
    let s = Sections::read();
    crate::log!(
        "mem: flash {} B (vectors {} + text {} + rodata {} + data image {}); \
         static RAM {} B (data {} + bss {}); stack region {} B; heap: none",
        s.flash(),
        s.vectors,
        s.text,
        s.rodata,
        s.data,
        s.static_ram(),
        s.data,
        s.bss,
        s.stack
    );
}

/// Prints the stack high-water mark.
pub(crate) fn print_stack() {
    let s = Sections::read();
    let used = stack_high_water();
    crate::log!(
        "mem: stack high-water {} B of {} B ({} B never touched)",
        used,
        s.stack,
        s.stack.saturating_sub(used)
    );
}

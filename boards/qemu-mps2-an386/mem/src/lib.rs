//! `memcpy`, `memmove` and `memset` for Petrel's Cortex-M4 firmware in
//! about 200 bytes, where `compiler_builtins`' take about 3 KB of flash;
//! and the 64-bit division LLVM calls (`__aeabi_uldivmod`,
//! `__aeabi_ldivmod`) in about 300 bytes, where `compiler_builtins`' takes
//! about 1 KB (see [`udivmod64`]).
//!
//! The Cortex-M4 (ARMv7-M) loads and stores single words at any address
//! (`LDR`/`STR`; only `LDM`/`STM`/`LDRD` need alignment, and the firmware
//! leaves `CCR.UNALIGN_TRP` clear), so every copy moves four words per
//! turn, then single words, through plain `LDR`/`STR`, and the last 0–3
//! bytes one by one. `compiler_builtins` instead aligns the destination and
//! shifts words together for a misaligned source: code that a core without
//! unaligned access needs and this one does not.
//!
//! The functions are the C and ARM EABI entry points LLVM calls
//! (`memcpy`, `__aeabi_memcpy4`, `__aeabi_memclr`…). Defined here as
//! strong symbols, they are taken before `compiler_builtins`' weak ones.
//! They are written in assembly because in Rust, at `opt-level = "z"`,
//! LLVM's machine outliner moves a copy loop's body into a function called
//! once per word, and without `#![no_builtins]` it would turn the loop
//! back into a call to `memcpy` itself.
//!
//! The firmware links it with `use petrel_an386_mem as _;`; nothing is
//! called by name. Its self-test firmware (`--features selftest`) checks
//! every function against a byte-by-byte copy for all small lengths,
//! alignments and overlaps.

#![cfg_attr(not(test), no_std)]

mod div;
pub use div::{divmod64, udivmod64};

#[cfg(all(target_arch = "arm", target_os = "none"))]
core::arch::global_asm!(
    r#"
    .syntax unified
    .thumb
    .section .text.petrel_an386_mem,"ax",%progbits

    @ memcpy(dst r0, src r1, n r2) -> dst; the EABI names return nothing.
    @ Forward: also correct for an overlapping move to a lower address.
    .global memcpy
    .global __aeabi_memcpy
    .global __aeabi_memcpy4
    .global __aeabi_memcpy8
    .type memcpy, %function
    .type __aeabi_memcpy, %function
    .type __aeabi_memcpy4, %function
    .type __aeabi_memcpy8, %function
    .thumb_func
memcpy:
    .thumb_func
__aeabi_memcpy:
    .thumb_func
__aeabi_memcpy4:
    .thumb_func
__aeabi_memcpy8:
    mov     r12, r0
    subs    r2, r2, #16
    blo     2f
1:  ldr     r3, [r1], #4
    str     r3, [r0], #4
    ldr     r3, [r1], #4
    str     r3, [r0], #4
    ldr     r3, [r1], #4
    str     r3, [r0], #4
    ldr     r3, [r1], #4
    str     r3, [r0], #4
    subs    r2, r2, #16
    bhs     1b
2:  adds    r2, r2, #12         @ n - 4
    blo     4f
3:  ldr     r3, [r1], #4
    str     r3, [r0], #4
    subs    r2, r2, #4
    bhs     3b
4:  adds    r2, r2, #4          @ 0 to 3 bytes left
    beq     6f
5:  ldrb    r3, [r1], #1
    strb    r3, [r0], #1
    subs    r2, r2, #1
    bne     5b
6:  mov     r0, r12
    bx      lr

    @ memmove(dst r0, src r1, n r2) -> dst: forward unless dst starts
    @ inside src's range, then backward from the end.
    .global memmove
    .global __aeabi_memmove
    .global __aeabi_memmove4
    .global __aeabi_memmove8
    .type memmove, %function
    .type __aeabi_memmove, %function
    .type __aeabi_memmove4, %function
    .type __aeabi_memmove8, %function
    .thumb_func
memmove:
    .thumb_func
__aeabi_memmove:
    .thumb_func
__aeabi_memmove4:
    .thumb_func
__aeabi_memmove8:
    subs    r3, r0, r1
    cmp     r3, r2
    bhs     memcpy
    mov     r12, r0
    add     r0, r0, r2
    add     r1, r1, r2
1:  subs    r2, r2, #4
    blo     2f
    ldr     r3, [r1, #-4]!
    str     r3, [r0, #-4]!
    b       1b
2:  adds    r2, r2, #4          @ 0 to 3 bytes left, at the start
    beq     4f
3:  ldrb    r3, [r1, #-1]!
    strb    r3, [r0, #-1]!
    subs    r2, r2, #1
    bne     3b
4:  mov     r0, r12
    bx      lr

    @ memset(dst r0, c r1, n r2) -> dst; __aeabi_memset(dst r0, n r1,
    @ c r2); __aeabi_memclr(dst r0, n r1).
    .global memset
    .global __aeabi_memset
    .global __aeabi_memset4
    .global __aeabi_memset8
    .global __aeabi_memclr
    .global __aeabi_memclr4
    .global __aeabi_memclr8
    .type memset, %function
    .type __aeabi_memset, %function
    .type __aeabi_memset4, %function
    .type __aeabi_memset8, %function
    .type __aeabi_memclr, %function
    .type __aeabi_memclr4, %function
    .type __aeabi_memclr8, %function
    .thumb_func
memset:
    mov     r3, r1
    mov     r1, r2
    mov     r2, r3
    .thumb_func
__aeabi_memset:
    .thumb_func
__aeabi_memset4:
    .thumb_func
__aeabi_memset8:
    uxtb    r2, r2
    orr     r2, r2, r2, lsl #8
    orr     r2, r2, r2, lsl #16
    b       1f
    .thumb_func
__aeabi_memclr:
    .thumb_func
__aeabi_memclr4:
    .thumb_func
__aeabi_memclr8:
    movs    r2, #0
1:  mov     r12, r0
    subs    r1, r1, #4
    blo     3f
2:  str     r2, [r0], #4
    subs    r1, r1, #4
    bhs     2b
3:  adds    r1, r1, #4          @ 0 to 3 bytes left
    beq     5f
4:  strb    r2, [r0], #1
    subs    r1, r1, #1
    bne     4b
5:  mov     r0, r12
    bx      lr

    @ __aeabi_uldivmod(n r0:r1, d r2:r3) -> quotient r0:r1, remainder
    @ r2:r3, and __aeabi_ldivmod the same for i64: the Rust function
    @ returns the quotient and stores the remainder through its third
    @ argument (on the stack, AAPCS), which lands at sp + 8.
    .global __aeabi_uldivmod
    .global __aeabi_ldivmod
    .type __aeabi_uldivmod, %function
    .type __aeabi_ldivmod, %function
    .thumb_func
__aeabi_uldivmod:
    push    {{r4, lr}}
    sub     sp, sp, #16
    add     r4, sp, #8
    str     r4, [sp]
    bl      petrel_an386_udivmod
    b       1f
    .thumb_func
__aeabi_ldivmod:
    push    {{r4, lr}}
    sub     sp, sp, #16
    add     r4, sp, #8
    str     r4, [sp]
    bl      petrel_an386_divmod
1:  ldrd    r2, r3, [sp, #8]
    add     sp, sp, #16
    pop     {{r4, pc}}
"#
);

/// The Rust half of `__aeabi_uldivmod` (the assembly above moves the
/// remainder into r2:r3).
#[cfg(all(target_arch = "arm", target_os = "none"))]
#[unsafe(no_mangle)]
extern "C" fn petrel_an386_udivmod(n: u64, d: u64, rem: &mut u64) -> u64 {
    let (q, r) = udivmod64(n, d);
    *rem = r;
    q
}

/// The Rust half of `__aeabi_ldivmod`.
#[cfg(all(target_arch = "arm", target_os = "none"))]
#[unsafe(no_mangle)]
extern "C" fn petrel_an386_divmod(n: i64, d: i64, rem: &mut i64) -> i64 {
    let (q, r) = divmod64(n, d);
    *rem = r;
    q
}

//! 64-bit division from the Cortex-M4's 32-bit `UDIV`.
//!
//! LLVM turns every `u64`/`i64` division or remainder whose divisor is not
//! a constant into a call to `__aeabi_uldivmod` or `__aeabi_ldivmod`. The
//! firmware divides 64-bit microsecond clocks by 25 ticks, by 1 000 for
//! milliseconds, by 86 400 for dates: divisors of 32 bits. For those the
//! quotient is built from 32-bit `UDIV`s: the high word directly, the low
//! word as two 16-bit digits of a long division by the normalised divisor
//! (each digit estimated from the divisor's top half and corrected at most
//! twice; Knuth's algorithm D with 16-bit digits). A divisor of more than 32
//! bits leaves a quotient of at most 32 bits, found bit by bit; nothing in
//! the firmware divides by such numbers often.
//!
//! No `u64` division or remainder appears here, so the code never calls
//! itself.

/// One half-word base of the long division.
const B: u32 = 1 << 16;

/// `n / d` and `n % d`; `d == 0` gives `(0, n)` (Rust checks for zero
/// before it divides, so this never happens in Rust code).
///
/// ```
/// use petrel_an386_mem::udivmod64;
/// assert_eq!(udivmod64(1_764_072_000_123_456, 1_000_000), (1_764_072_000, 123_456));
/// assert_eq!(udivmod64(u64::MAX, 1 << 40), (0xff_ffff, (1 << 40) - 1));
/// ```
pub fn udivmod64(n: u64, d: u64) -> (u64, u64) {
    let (nh, nl) = ((n >> 32) as u32, n as u32);
    let (dh, dl) = ((d >> 32) as u32, d as u32);
    if dh == 0 {
        if dl == 0 {
            return (0, n);
        }
        if nh == 0 {
            return (u64::from(nl / dl), u64::from(nl % dl));
        }
        // High word first; its remainder is below `dl`, so the low word's
        // quotient fits 32 bits.
        let (qh, rh) = (nh / dl, nh % dl);
        let (ql, r) = div_long(rh, nl, dl);
        return ((u64::from(qh) << 32) | u64::from(ql), u64::from(r));
    }
    if n < d {
        return (0, n);
    }
    // `d` has more than 32 bits, so the quotient has at most 32: line the
    // divisor's top bit up with the dividend's and subtract down.
    let shift = dh.leading_zeros() - nh.leading_zeros();
    let mut d = d << shift;
    let (mut q, mut r) = (0u32, n);
    for _ in 0..=shift {
        q <<= 1;
        if r >= d {
            r -= d;
            q |= 1;
        }
        d >>= 1;
    }
    (u64::from(q), r)
}

/// `n / d` and `n % d` for `i64`: the quotient rounds toward zero and the
/// remainder takes the dividend's sign, as Rust's `/` and `%`.
///
/// ```
/// use petrel_an386_mem::divmod64;
/// assert_eq!(divmod64(-7, 2), (-3, -1));
/// assert_eq!(divmod64(7, -2), (-3, 1));
/// ```
pub fn divmod64(n: i64, d: i64) -> (i64, i64) {
    let (q, r) = udivmod64(n.unsigned_abs(), d.unsigned_abs());
    let (q, r) = (q as i64, r as i64);
    let q = if (n < 0) != (d < 0) {
        q.wrapping_neg()
    } else {
        q
    };
    let r = if n < 0 { r.wrapping_neg() } else { r };
    (q, r)
}

/// `(hi·2³² + lo) / d` and its remainder, for `hi < d` (the quotient fits
/// 32 bits).
fn div_long(hi: u32, lo: u32, d: u32) -> (u32, u32) {
    // Normalise: the divisor's top bit set, the dividend shifted alike
    // (its top bits are zero, as hi < d).
    let s = d.leading_zeros();
    let v = d << s;
    let top = if s == 0 {
        hi
    } else {
        (hi << s) | (lo >> (32 - s))
    };
    let low = lo << s;
    let (q1, rest) = digit(top, low >> 16, v);
    let (q0, r) = digit(rest, low & 0xffff, v);
    ((q1 << 16) | q0, r >> s)
}

/// One 16-bit digit of `(rest·2¹⁶ + next) / v` for a normalised `v` and
/// `rest < v`, and the new remainder.
fn digit(rest: u32, next: u32, v: u32) -> (u32, u32) {
    let (v1, v0) = (v >> 16, v & 0xffff);
    // The estimate from the divisor's top half is at most two too big.
    let mut q = rest / v1;
    let mut rhat = rest - q * v1;
    while q >= B || q * v0 > ((rhat << 16) | next) {
        q -= 1;
        rhat += v1;
        if rhat >= B {
            break;
        }
    }
    // The true remainder is below v, so 32-bit wrapping arithmetic is exact.
    let r = (rest << 16)
        .wrapping_add(next)
        .wrapping_sub(q.wrapping_mul(v));
    (q, r)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fixed xorshift sequence.
    fn numbers(seed: u64, n: usize) -> impl Iterator<Item = u64> {
        let mut x = seed;
        (0..n).map(move |_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        })
    }

    fn check(n: u64, d: u64) {
        if d == 0 {
            assert_eq!(udivmod64(n, d), (0, n));
            return;
        }
        assert_eq!(udivmod64(n, d), (n / d, n % d), "{n} / {d}");
        let (sn, sd) = (n as i64, d as i64);
        if !(sn == i64::MIN && sd == -1) {
            assert_eq!(divmod64(sn, sd), (sn / sd, sn % sd), "{sn} / {sd}");
        }
    }

    #[test]
    fn edges_of_every_path() {
        let edges = [
            0u64,
            1,
            2,
            3,
            7,
            10,
            25,
            1000,
            0xfffe,
            0xffff,
            0x1_0000,
            0x1_0001,
            86_400,
            1_000_000,
            0x7fff_ffff,
            0x8000_0000,
            0x8000_0001,
            0xffff_fffe,
            0xffff_ffff,
            0x1_0000_0000,
            0x1_0000_0001,
            0x1_ffff_ffff,
            0x1234_5678_9abc,
            0x7fff_ffff_ffff_ffff,
            0x8000_0000_0000_0000,
            0xffff_ffff_0000_0000,
            u64::MAX - 1,
            u64::MAX,
        ];
        for &n in &edges {
            for &d in &edges {
                check(n, d);
            }
        }
    }

    #[test]
    fn random_dividends_and_divisors_of_every_width() {
        for (i, (n, d)) in numbers(0x9e37_79b9_7f4a_7c15, 200_000)
            .zip(numbers(0xd1b5_4a32_d192_ed03, 200_000))
            .enumerate()
        {
            // Divisors from 1 to 64 bits, dividends likewise.
            let d = d >> (i % 64);
            let n = n >> ((i / 64) % 64);
            check(n, d);
        }
    }
}

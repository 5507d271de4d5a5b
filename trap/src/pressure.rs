//! Clobber detection by register pressure.
//!
//! [`under_pressure`] keeps thirteen values and their seed live across the wrapper call, which
//! is inlined into it. In an optimized build the register allocator places them in registers
//! the wrapper's `asm!` does not declare as written; the trap handler then writes every register
//! the leaf may change. If the wrapper forgot to declare one, a live value there is overwritten
//! and the comparison after the call fails. In unoptimized builds values live on the stack and
//! nothing is detected: run the checks optimized.
//!
//! [`under_pressure`] is also the one place the oracle calls an implementation under test, so
//! it carries the harness's memory contract (see [`crate::trap`], "Memory"): a compiler fence
//! on each side of the call.

use core::hint::black_box;
use core::sync::atomic::{compiler_fence, Ordering};

const K: [u64; 13] = [
    0x9e37_79b9_7f4a_7c15,
    0xbf58_476d_1ce4_e5b9,
    0x94d0_49bb_1331_11eb,
    0xd6e8_feb8_6659_fd93,
    0xa076_1d64_78bd_642f,
    0xe703_7ed1_a0b4_28db,
    0x8ebc_6af0_9c88_c6e3,
    0x5899_65cc_7537_4cc3,
    0x1d8e_4e27_c47d_124f,
    0xc2b2_ae3d_27d4_eb4f,
    0x1656_67b1_9e37_79f9,
    0x27d4_eb2f_1656_67c5,
    0x85eb_ca77_c2b2_ae63,
];

/// Runs `f` with thirteen seed-derived values live across it; returns its result and a mask of
/// the values (bit 13: the seed itself) that did not survive.
#[inline(always)]
pub fn under_pressure<R>(seed: u64, f: impl FnOnce() -> R) -> (R, u16) {
    let s = black_box(seed);
    let v: [u64; 13] = [
        black_box(s ^ K[0]),
        black_box(s ^ K[1]),
        black_box(s ^ K[2]),
        black_box(s ^ K[3]),
        black_box(s ^ K[4]),
        black_box(s ^ K[5]),
        black_box(s ^ K[6]),
        black_box(s ^ K[7]),
        black_box(s ^ K[8]),
        black_box(s ^ K[9]),
        black_box(s ^ K[10]),
        black_box(s ^ K[11]),
        black_box(s ^ K[12]),
    ];
    let [v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12] = v;
    // The trap handler reads and writes harness state (log, counters, model, arena) while the
    // wrapper's asm runs, which may be declared `nomem`: no harness access may move across.
    compiler_fence(Ordering::SeqCst);
    let r = f();
    compiler_fence(Ordering::SeqCst);
    let after = [v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12];
    let mut bad = 0u16;
    for (i, x) in after.iter().enumerate() {
        if *x != s ^ K[i] {
            bad |= 1 << i;
        }
    }
    if s != seed {
        bad |= 1 << 13;
    }
    (r, bad)
}

/// The values [`under_pressure`] keeps live for `seed`: the caller's "secrets", which no
/// register the VMM sees may hold.
pub fn secrets(seed: u64) -> [u64; 14] {
    let mut s = [seed; 14];
    for (i, k) in K.iter().enumerate() {
        s[i] = seed ^ k;
    }
    s
}

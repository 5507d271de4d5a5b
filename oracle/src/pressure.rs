//! Clobber detection at run time: canaries around, register pressure inside.
//!
//! [`under_canaries`] (even seeds) calls the implementation under test from a function of its
//! own, entered by the harness's own `asm!` with a canary in each callee-saved register (RBX,
//! RBP, R12–R15). That function runs the implementation and nothing else, so a callee-saved
//! register the implementation never declares, but the module changes, comes back without its
//! canary in every build, unless that function needs the register itself (then it saves and
//! restores it, and a value of its own there is what gets lost: TDG.VP.ENTER, which changes
//! every register but RSP, leaves it only R14, and the planted missing R14 clobber is caught by
//! register pressure instead). This is what holds an implementation behind a call (C or
//! assembly, whose own code must save what it changes) to the ABI. Caller-saved registers have
//! no canary.
//!
//! [`under_pressure`] (odd seeds) keeps thirteen values and their seed live across the wrapper
//! call, which is inlined there. In an optimized build the register allocator places them in
//! registers the wrapper's `asm!` does not declare as written; the trap handler then writes
//! every register the leaf may change. If the wrapper forgot to declare one, a live value there
//! is overwritten and the comparison after the call fails. This half works in optimized builds
//! only and depends on where the compiler keeps values; `crate::asm_contract` checks the
//! declarations themselves statically.
//!
//! The two halves also bound what the hygiene check after a TDG.VP.VMCALL can see. Behind the
//! thunk, the code after the TDCALL is the wrapper's and the thunk's return, so a VMM value left
//! in R10 or R11 is still there at the `ret`; but the thunk's epilogue restores the callee-saved
//! registers it saved, which hides a value left in R12–R15. Inlined under pressure, the
//! harness's own code around the wrapper may zero or reuse R10/R11 (hiding a value left there),
//! while R12–R15 hold values the harness needs back, so a VMM value left there stays visible.
//! TDVMCALLs alternate between the two with the seed like every other leaf.

use core::arch::asm;
use core::hint::black_box;
use core::sync::atomic::{compiler_fence, Ordering};
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

use tdx_model::{Gpr, RegSet};

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

/// The callee-saved registers that carry canaries across the call, in the order of the bits
/// [`under_pressure`] reports them in (bit 16 + index).
pub const CANARY_REGS: [Gpr; 6] = [Gpr::Rbx, Gpr::Rbp, Gpr::R12, Gpr::R13, Gpr::R14, Gpr::R15];

/// Bit of the first canary register in [`under_pressure`]'s mask.
pub const CANARY_SHIFT: u32 = 16;

/// Runs `f` (the implementation under test) inlined here, with thirteen live values across it;
/// returns its result and a mask of the values (bit 13: the seed) that did not survive.
///
/// The oracle calls implementations only through this and [`under_canaries`], which carry the
/// harness's memory contract: a compiler fence on each side (see `tdx_trap`, "Memory").
#[inline(always)]
pub fn under_pressure<R>(seed: u64, f: impl FnOnce() -> R) -> (R, u32) {
    compiler_fence(Ordering::SeqCst);
    let (r, lost) = pressure(seed, f);
    compiler_fence(Ordering::SeqCst);
    (r, u32::from(lost))
}

/// Runs `f` (the implementation under test), for every leaf and sub-function: for even seeds from a
/// function of its own with canaries in the callee-saved registers around it, for odd seeds as
/// [`under_pressure`] (live values in registers are what would hide a canary: the function
/// would save and restore the registers holding them). Returns its result and a mask of what
/// did not survive: bits 0–13 the live values, bit [`CANARY_SHIFT`] + i the canary of
/// [`CANARY_REGS`]\[i\].
#[inline(always)]
pub fn under_canaries<R, F: FnOnce() -> R>(seed: u64, f: F) -> (R, u32) {
    if seed & 1 == 1 {
        return under_pressure(seed, f);
    }
    let mut ctx: Ctx<F, R> = Ctx {
        f: Some(f),
        out: None,
    };
    let canary = black_box(seed.rotate_left(29) ^ 0xc0de_ca7a_11ed_5afe) | 1;
    // The trap handler reads and writes harness state (log, counters, model, arena) while the
    // wrapper's asm runs, which may be declared `nomem`: no harness access may move across.
    compiler_fence(Ordering::SeqCst);
    let back = call_with_canaries(thunk::<F, R>, (&mut ctx as *mut Ctx<F, R>).cast(), canary);
    compiler_fence(Ordering::SeqCst);
    let mut lost = 0u32;
    for (i, v) in back.iter().enumerate() {
        if *v != canary ^ i as u64 {
            lost |= 1 << (CANARY_SHIFT + i as u32);
        }
    }
    match ctx.out.take().expect("the thunk ran") {
        Ok(r) => (r, lost),
        Err(panic) => resume_unwind(panic),
    }
}

/// The registers of [`CANARY_REGS`] whose canary a mask from [`under_pressure`] reports lost.
pub fn canaries_lost(lost: u32) -> RegSet {
    CANARY_REGS
        .iter()
        .enumerate()
        .filter(|(i, _)| lost & (1 << (CANARY_SHIFT + *i as u32)) != 0)
        .fold(RegSet::EMPTY, |s, (_, r)| s.with(*r))
}

/// What [`under_pressure`]'s mask says, for diagnostics.
pub fn describe_lost(lost: u32) -> String {
    let regs: Vec<&str> = canaries_lost(lost).iter().map(|r| r.name()).collect();
    format!(
        "live-value slots {:#06x}, canaries lost in {regs:?}",
        lost & 0xffff
    )
}

struct Ctx<F, R> {
    f: Option<F>,
    out: Option<std::thread::Result<R>>,
}

/// The function the harness's asm calls: runs the implementation and nothing else (so that it
/// saves no callee-saved register the implementation does not declare). A panic is caught here
/// and resumed after the asm (it may not unwind through it).
#[inline(never)]
extern "sysv64" fn thunk<F: FnOnce() -> R, R>(ctx: *mut u8) {
    // SAFETY: `under_canaries` passes its own live `Ctx<F, R>`, borrowed by nothing else
    // during the call.
    let ctx = unsafe { &mut *ctx.cast::<Ctx<F, R>>() };
    let f = ctx.f.take().expect("called once");
    ctx.out = Some(catch_unwind(AssertUnwindSafe(f)));
}

/// Calls `f(ctx)` with `canary ^ i` in [`CANARY_REGS`]\[i\]; returns what each holds after.
#[inline(never)]
fn call_with_canaries(f: extern "sysv64" fn(*mut u8), ctx: *mut u8, canary: u64) -> [u64; 6] {
    let (rbx, rbp, r12, r13, r14, r15): (u64, u64, u64, u64, u64, u64);
    // SAFETY: RBX and RBP (which cannot be operands) are saved and restored by the template;
    // R12-R15 are declared written; the call follows the sysv64 ABI (`clobber_abi`), with the
    // stack 16-byte aligned at the `call` (aligned at the block's start, since it is not
    // `nostack`, plus two pushes). `f` is `thunk`, which catches panics.
    unsafe {
        asm!(
            "push rbx",
            ".cfi_adjust_cfa_offset 8",
            "push rbp",
            ".cfi_adjust_cfa_offset 8",
            "mov rbx, rdx",
            "mov rbp, rdx",
            "xor rbp, 1",
            "mov r12, rdx",
            "xor r12, 2",
            "mov r13, rdx",
            "xor r13, 3",
            "mov r14, rdx",
            "xor r14, 4",
            "mov r15, rdx",
            "xor r15, 5",
            "call rsi",
            "mov rax, rbx",
            "mov rcx, rbp",
            "pop rbp",
            ".cfi_adjust_cfa_offset -8",
            "pop rbx",
            ".cfi_adjust_cfa_offset -8",
            in("rdi") ctx,
            in("rsi") f,
            in("rdx") canary,
            lateout("rax") rbx,
            lateout("rcx") rbp,
            lateout("r12") r12,
            lateout("r13") r13,
            lateout("r14") r14,
            lateout("r15") r15,
            clobber_abi("sysv64"),
        );
    }
    [rbx, rbp, r12, r13, r14, r15]
}

/// Runs `f` with thirteen seed-derived values live across it; returns its result and a mask of
/// the values (bit 13: the seed itself) that did not survive.
#[inline(always)]
fn pressure<R>(seed: u64, f: impl FnOnce() -> R) -> (R, u16) {
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
    let r = f();
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

//! TDX ring-0 self-test: a UEFI application that checks the `tdcall` wrappers and the
//! `tdx-model` contracts against the TDX module of the TD it runs in, or, outside a TD (QEMU
//! TCG + OVMF), rehearses the whole run against a simulated TD answering from a #UD/#GP
//! handler. See `docs/selftest.md`.
#![no_std]
#![no_main]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

extern crate alloc;

mod checks;
mod mem;
mod probe;
mod trace;
mod trap;

use core::arch::asm;
use core::arch::x86_64::__cpuid_count;
use core::sync::atomic::{AtomicBool, Ordering};

use uefi::prelude::*;
use uefi::runtime::ResetType;

/// Value written to the isa-debug-exit port when every check passed: QEMU exits (0 << 1) | 1 = 1.
pub const EXIT_PASS: u32 = 0;
/// Some check failed: QEMU exits (1 << 1) | 1 = 3.
pub const EXIT_FAIL: u32 = 1;
/// Unexpected fault or panic: QEMU exits (2 << 1) | 1 = 5.
pub const EXIT_FAULT: u32 = 2;
/// The isa-debug-exit port (`-device isa-debug-exit,iobase=0xf4,iosize=0x04`).
const DEBUG_EXIT_PORT: u16 = 0xf4;
/// Seed of the wrapper differential.
const SEED: u64 = 0x7d_c0de_5eed;
/// Number of wrapper differential checks.
const WRAPPER_CASES: u32 = 32;

static IN_TD: AtomicBool = AtomicBool::new(false);

/// CPUID leaf 0x21, sub-leaf 0: "IntelTDX    " in EBX, EDX, ECX inside a TD.
fn in_td() -> bool {
    let max = __cpuid_count(0, 0).eax;
    if max < 0x21 {
        return false;
    }
    let r = __cpuid_count(0x21, 0);
    let mut id = [0u8; 12];
    id[0..4].copy_from_slice(&r.ebx.to_le_bytes());
    id[4..8].copy_from_slice(&r.edx.to_le_bytes());
    id[8..12].copy_from_slice(&r.ecx.to_le_bytes());
    &id == b"IntelTDX    "
}

/// Leave QEMU through isa-debug-exit with `code`; if that device is absent, shut down.
pub fn exit_qemu(code: u32, in_td: bool) -> ! {
    if in_td {
        // In a TD a port write goes to the VMM as TDG.VP.VMCALL<Instruction.IO>.
        let _ = tdcall::vmcall::io_write(tdcall::vmcall::AccessSize::B4, DEBUG_EXIT_PORT, code);
    } else {
        // SAFETY: a port write; with no device at 0xf4 it is ignored.
        unsafe {
            asm!("out dx, eax", in("dx") DEBUG_EXIT_PORT, in("eax") code, options(nomem, nostack))
        };
    }
    let status = if code == EXIT_PASS {
        Status::SUCCESS
    } else {
        Status::ABORTED
    };
    uefi::runtime::reset(ResetType::SHUTDOWN, status, None)
}

#[entry]
fn main() -> Status {
    if uefi::helpers::init().is_err() {
        return Status::ABORTED;
    }
    let td = in_td();
    IN_TD.store(td, Ordering::Relaxed);
    uefi::println!();
    uefi::println!("tdx-selftest {}", env!("CARGO_PKG_VERSION"));
    if td {
        uefi::println!("mode td: CPUID 0x21 says IntelTDX; every TDCALL goes to the TDX module");
    } else {
        uefi::println!(
            "mode rehearsal: not in a TD (CPUID 0x21); TDCALL faults and a #UD/#GP handler answers from a simulated TD (tdx-model)"
        );
    }
    if cfg!(feature = "plant-contract-bug") {
        uefi::println!("planted bug: the prediction path takes TDG.VP.INFO to preserve R9");
    }
    uefi::println!("seed {SEED:#x}");
    let trap = (!td).then(|| trap::install(checks::rehearsal_config()));

    let mut ctx = checks::Ctx::new(td, SEED);
    ctx.contract_probes();
    ctx.wrapper_checks(WRAPPER_CASES);

    if let Some(t) = trap {
        let [ud, gp] = t.calls();
        uefi::println!(
            "info {} TDCALLs trapped (#UD {ud}, #GP {gp}) and answered by the simulated TD",
            ud + gp
        );
        t.restore();
    }
    ctx.trace_end();
    uefi::println!("{} passed, {} failed", ctx.passed, ctx.failed);
    exit_qemu(
        if ctx.failed == 0 {
            EXIT_PASS
        } else {
            EXIT_FAIL
        },
        td,
    )
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    uefi::println!("FATAL panic: {info}");
    exit_qemu(EXIT_FAULT, IN_TD.load(Ordering::Relaxed))
}

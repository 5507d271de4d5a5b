//! Rehearsal outside a TD: TDCALL raises #UD (or #GP). A copy of the firmware's IDT with its
//! own #UD (6) and #GP (13) gates answers every TDCALL from a simulated TD (a `TdxModule`
//! instance of its own), writes the outputs into the saved registers and skips the 4-byte
//! instruction. Any other fault prints the vector and RIP on COM1 and exits QEMU with
//! [`crate::EXIT_FAULT`].

use core::arch::{asm, global_asm};
use core::cell::UnsafeCell;

use tdx_model::{Completion, Regs, TdConfig, TdxModule};

use crate::mem::Identity;

/// The bytes of TDCALL.
const TDCALL: [u8; 4] = [0x66, 0x0f, 0x01, 0xcc];
/// Consecutive EPT-violation exits the handler resolves before it gives up.
const MAX_EXITS: u32 = 8;

/// Registers as the entry stub leaves them: the sixteen GPRs in x86 order (the RSP slot is a
/// placeholder), the vector, the error code (0 for #UD) and the CPU's interrupt frame.
#[repr(C)]
pub struct TrapFrame {
    gpr: [u64; 16],
    vector: u64,
    error: u64,
    rip: u64,
    cs: u64,
    rflags: u64,
    rsp: u64,
    ss: u64,
}

// Entry stubs. #UD pushes no error code: a zero takes its place so both share the frame. The
// common part saves all GPRs (RAX at the lowest address, so they form `TrapFrame::gpr`), the
// FPU/SSE state (the handler is compiled Rust that may use XMM registers), aligns the stack,
// calls the handler with RDI = frame (sysv64) and restores everything before `iretq`.
global_asm!(
    ".globl tdx_selftest_ud_entry",
    "tdx_selftest_ud_entry:",
    "push 0",
    "push 6",
    "jmp 2f",
    ".globl tdx_selftest_gp_entry",
    "tdx_selftest_gp_entry:",
    "push 13",
    "2:",
    "push r15",
    "push r14",
    "push r13",
    "push r12",
    "push r11",
    "push r10",
    "push r9",
    "push r8",
    "push rdi",
    "push rsi",
    "push rbp",
    "push 0",
    "push rbx",
    "push rdx",
    "push rcx",
    "push rax",
    "cld",
    "mov rbx, rsp",
    "and rsp, -16",
    "sub rsp, 512",
    "fxsave64 [rsp]",
    "mov rdi, rbx",
    "call {handler}",
    "fxrstor64 [rsp]",
    "mov rsp, rbx",
    "pop rax",
    "pop rcx",
    "pop rdx",
    "pop rbx",
    "add rsp, 8",
    "pop rbp",
    "pop rsi",
    "pop rdi",
    "pop r8",
    "pop r9",
    "pop r10",
    "pop r11",
    "pop r12",
    "pop r13",
    "pop r14",
    "pop r15",
    "add rsp, 16",
    "iretq",
    handler = sym trap_handler,
);

extern "C" {
    fn tdx_selftest_ud_entry();
    fn tdx_selftest_gp_entry();
}

/// The simulated TD answering trapped TDCALLs.
struct Sim {
    module: TdxModule,
    exits: u32,
    /// Completed TDCALLs trapped through #UD and through #GP.
    calls: [u64; 2],
}

struct SimCell(UnsafeCell<Option<Sim>>);

// SAFETY: one CPU; the handler runs synchronously inside a TDCALL of the self-test, with
// interrupts off (interrupt gates), and the self-test touches the cell only before installing
// the handler and after removing it.
unsafe impl Sync for SimCell {}

static SIM: SimCell = SimCell(UnsafeCell::new(None));

#[repr(C, align(16))]
struct IdtCell(UnsafeCell<[u8; 4096]>);

// SAFETY: written once before `lidt`, read by the CPU only.
unsafe impl Sync for IdtCell {}

static IDT: IdtCell = IdtCell(UnsafeCell::new([0; 4096]));

#[derive(Clone, Copy)]
#[repr(C, packed)]
struct Dtr {
    limit: u16,
    base: u64,
}

fn sidt() -> Dtr {
    let mut d = Dtr { limit: 0, base: 0 };
    // SAFETY: SIDT stores 10 bytes at the operand, which is `d`.
    unsafe { asm!("sidt [{}]", in(reg) &mut d, options(nostack, preserves_flags)) };
    d
}

/// # Safety
/// `d` must describe a valid IDT that stays alive while loaded.
unsafe fn lidt(d: &Dtr) {
    // SAFETY: the caller guarantees the table is valid.
    unsafe { asm!("lidt [{}]", in(reg) d, options(readonly, nostack, preserves_flags)) };
}

fn code_segment() -> u16 {
    let cs: u16;
    // SAFETY: reads CS.
    unsafe { asm!("mov {0:x}, cs", out(reg) cs, options(nomem, nostack, preserves_flags)) };
    cs
}

fn gate(idt: &mut [u8; 4096], vector: usize, handler: u64, cs: u16) {
    let e = &mut idt[vector * 16..vector * 16 + 16];
    e[0..2].copy_from_slice(&(handler as u16).to_le_bytes());
    e[2..4].copy_from_slice(&cs.to_le_bytes());
    e[4] = 0; // IST 0: the current stack
    e[5] = 0x8e; // present, DPL 0, 64-bit interrupt gate (IF cleared on entry)
    e[6..8].copy_from_slice(&((handler >> 16) as u16).to_le_bytes());
    e[8..12].copy_from_slice(&((handler >> 32) as u32).to_le_bytes());
    e[12..16].fill(0);
}

/// The firmware's IDT while ours is loaded.
pub struct Installed {
    original: Dtr,
}

/// Load a copy of the firmware's IDT whose #UD and #GP gates lead to the TDCALL handler, which
/// answers from a `TdxModule` built from `config` (an instance of its own).
pub fn install(config: TdConfig) -> Installed {
    let module = TdxModule::new(config);
    // SAFETY: the handler is not installed yet; nothing else reads the cell.
    unsafe {
        *SIM.0.get() = Some(Sim {
            module,
            exits: 0,
            calls: [0; 2],
        })
    };
    let original = sidt();
    let old_len = original.limit as usize + 1;
    let copy = old_len.min(4096);
    // SAFETY: the IDT copy is not loaded yet; the firmware's IDT is `old_len` readable bytes
    // at its base (identity-mapped boot-services memory).
    let idt = unsafe { &mut *IDT.0.get() };
    // SAFETY: see above.
    unsafe { core::ptr::copy_nonoverlapping(original.base as *const u8, idt.as_mut_ptr(), copy) };
    let cs = code_segment();
    gate(idt, 6, tdx_selftest_ud_entry as *const () as u64, cs);
    gate(idt, 13, tdx_selftest_gp_entry as *const () as u64, cs);
    let limit = (copy.max(14 * 16) - 1) as u16;
    let new = Dtr {
        limit,
        base: idt.as_ptr() as u64,
    };
    // SAFETY: a copy of a valid IDT with two gates replaced by our stubs; it lives in a static.
    unsafe { lidt(&new) };
    Installed { original }
}

impl Installed {
    /// Trapped TDCALLs answered so far: `[through #UD, through #GP]`.
    pub fn calls(&self) -> [u64; 2] {
        // SAFETY: read between TDCALLs, never while the handler runs.
        unsafe { (*SIM.0.get()).as_ref().map_or([0; 2], |s| s.calls) }
    }

    /// Reload the firmware's IDT and drop the simulated TD.
    pub fn restore(self) {
        // SAFETY: the firmware's IDT is still where it was.
        unsafe { lidt(&self.original) };
        // SAFETY: the handler can no longer run.
        unsafe { *SIM.0.get() = None };
    }
}

extern "sysv64" fn trap_handler(frame: &mut TrapFrame) {
    let vector = frame.vector;
    if vector != 6 && vector != 13 {
        fatal(frame, "unexpected vector");
    }
    // SAFETY: RIP points at the instruction that faulted with #UD/#GP, which the CPU fetched:
    // its bytes are readable (an instruction is at least 1 byte; TDCALL is 4, and the probe
    // and the wrappers never put it in the last 3 bytes of a page).
    let bytes = unsafe { core::ptr::read_unaligned(frame.rip as *const [u8; 4]) };
    if bytes != TDCALL {
        fatal(frame, "fault that is not a TDCALL");
    }
    // SAFETY: see `SimCell`.
    let Some(sim) = (unsafe { (*SIM.0.get()).as_mut() }) else {
        fatal(frame, "TDCALL with no simulated TD");
    };
    let mut regs = Regs { gpr: frame.gpr };
    regs.gpr[4] = frame.rsp;
    match sim.module.tdcall(&regs, &mut Identity) {
        Completion::Completed(out) => {
            for (i, v) in out.gpr.iter().enumerate() {
                if i != 4 {
                    frame.gpr[i] = *v;
                }
            }
            frame.rip += 4;
            sim.exits = 0;
            sim.calls[(vector == 13) as usize] += 1;
        }
        // RIP unchanged: the TDCALL executes again, as after a real interruption.
        Completion::Interrupted => {}
        Completion::InterruptedWithProgress(out) => {
            for (i, v) in out.gpr.iter().enumerate() {
                if i != 4 {
                    frame.gpr[i] = *v;
                }
            }
        }
        Completion::TdExit(exit) => {
            sim.exits += 1;
            if sim.exits > MAX_EXITS {
                fatal(frame, "TDCALL keeps taking EPT-violation exits");
            }
            sim.module.vmm_handle_exit(exit);
        }
        // The rehearsal has no #VE handler that could accept the page and return.
        Completion::VeInjected | Completion::DoubleFault => {
            fatal(
                frame,
                "the model injected a #VE into a TDCALL (PENDING page)",
            );
        }
        Completion::ModuleFatal => fatal(frame, "the model's TDX module stopped (fatal error)"),
    }
}

/// COM1, written directly (the handler runs with interrupts off, outside any UEFI protocol).
fn serial_write(s: &str) {
    for b in s.bytes() {
        for _ in 0..100_000 {
            let lsr: u8;
            // SAFETY: reads the 16550 line status register of COM1 (rehearsal only: no TD).
            unsafe { asm!("in al, dx", out("al") lsr, in("dx") 0x3fdu16, options(nomem, nostack)) };
            if lsr & 0x20 != 0 {
                break;
            }
        }
        // SAFETY: writes the COM1 transmit register.
        unsafe { asm!("out dx, al", in("al") b, in("dx") 0x3f8u16, options(nomem, nostack)) };
    }
}

struct Serial;

impl core::fmt::Write for Serial {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        serial_write(s);
        Ok(())
    }
}

fn fatal(frame: &TrapFrame, why: &str) -> ! {
    use core::fmt::Write;
    let _ = write!(
        Serial,
        "\r\nFATAL {why}: vector {} error {:#x} at RIP {:#018x} (RSP {:#018x})\r\n",
        frame.vector, frame.error, frame.rip, frame.rsp
    );
    crate::exit_qemu(crate::EXIT_FAULT, false)
}

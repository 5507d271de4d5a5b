//! Code-generation comparison: the thin TDG.VP.VMCALL path of `tdcall` next to a
//! struct-marshalling implementation of the same calls in the style of Linux's
//! `__tdx_hypercall(struct tdx_module_args *)`.
//!
//! **Nothing in this crate is ever executed.** It is compiled (release, `cdylib`) only so that
//! `codegen/measure.sh` can disassemble it; see `docs/codegen.md`. Executing any function here
//! outside a TD would fault on TDCALL.
//!
//! * `thin_*`: call `tdcall::vmcall::{map_gpa, cpuid, rdmsr}` (the thin trampoline, R10–R15 in
//!   registers, no memory).
//! * `marshalled_*`: the same semantics (same input checks, same validation of VMM outputs, same
//!   error values, same result encoding) but every register goes through a [`TdxModuleArgs`]
//!   in memory and one out-of-line generic routine, [`tdx_tdcall_saved_ret`], written after
//!   Linux's `TDX_MODULE_CALL host=0 ret=1 saved=1` (`arch/x86/virt/vmx/tdx/tdxcall.S`).
//!
//! Both kinds of wrapper return the same `u64` encoding (see [`encode_err`]) so that no result
//! is optimized away.
#![no_std]
#![deny(unsafe_op_in_unsafe_fn)]

use core::arch::{asm, global_asm};

use tdcall::vmcall::{self, subfunction, CpuidResult, MapGpaProgress, VmcallError, VmcallStatus};
use tdcall::{InputError, TdxStatus};

// ---------------------------------------------------------------------------------------------
// Result encoding shared by both kinds of wrapper.
// ---------------------------------------------------------------------------------------------

/// A non-zero `u64` for every error (the exact values are irrelevant: nothing runs).
#[inline(always)]
fn encode_err(e: VmcallError) -> u64 {
    match e {
        VmcallError::Input(_) => 1,
        VmcallError::Module(s) => s.raw(),
        VmcallError::Vmm(s) => s.0,
        VmcallError::Untrusted { value, .. } => value | 2,
        VmcallError::RetriesExhausted { .. } => 3,
    }
}

/// `Done` → 0, `Retry { resume }` → `resume | 1` (resume is page aligned), error → non-zero.
#[inline(always)]
fn encode_map_gpa(r: Result<MapGpaProgress, VmcallError>) -> u64 {
    match r {
        Ok(MapGpaProgress::Done) => 0,
        Ok(MapGpaProgress::Retry { resume }) => resume | 1,
        Err(e) => encode_err(e),
    }
}

/// 0 and the four registers in `out`, or an error code and `out` untouched.
#[inline(always)]
fn encode_cpuid(r: Result<CpuidResult, VmcallError>, out: &mut [u32; 4]) -> u64 {
    match r {
        Ok(c) => {
            *out = [c.eax, c.ebx, c.ecx, c.edx];
            0
        }
        Err(e) => encode_err(e),
    }
}

/// 0 and the MSR value in `out`, or an error code and `out` untouched.
#[inline(always)]
fn encode_rdmsr(r: Result<u64, VmcallError>, out: &mut u64) -> u64 {
    match r {
        Ok(v) => {
            *out = v;
            0
        }
        Err(e) => encode_err(e),
    }
}

// ---------------------------------------------------------------------------------------------
// Thin path: the tdcall crate's public functions.
// ---------------------------------------------------------------------------------------------

/// MapGPA through `tdcall::vmcall::map_gpa` (thin trampoline). Never executed.
#[no_mangle]
#[inline(never)]
pub extern "C" fn thin_map_gpa(gpa: u64, len: u64) -> u64 {
    encode_map_gpa(vmcall::map_gpa(gpa, len))
}

/// Instruction.CPUID through `tdcall::vmcall::cpuid` (thin trampoline). Never executed.
#[no_mangle]
#[inline(never)]
pub extern "C" fn thin_cpuid(leaf: u32, subleaf: u32, out: &mut [u32; 4]) -> u64 {
    encode_cpuid(vmcall::cpuid(leaf, subleaf), out)
}

/// Instruction.RDMSR through `tdcall::vmcall::rdmsr` (thin trampoline). Never executed.
#[no_mangle]
#[inline(never)]
pub extern "C" fn thin_rdmsr(msr: u32, out: &mut u64) -> u64 {
    encode_rdmsr(vmcall::rdmsr(msr), out)
}

// ---------------------------------------------------------------------------------------------
// Struct-marshalling path, after Linux (v6.6+) `struct tdx_module_args` + `__tdcall_saved_ret`.
// ---------------------------------------------------------------------------------------------

/// Linux's `struct tdx_module_args` (`arch/x86/include/asm/shared/tdx.h`), same field order,
/// so the same offsets (rcx 0x00 … rsi 0x60, 104 bytes).
#[repr(C)]
#[derive(Clone, Copy, Default)]
#[allow(missing_docs)]
pub struct TdxModuleArgs {
    pub rcx: u64,
    pub rdx: u64,
    pub r8: u64,
    pub r9: u64,
    pub r10: u64,
    pub r11: u64,
    pub r12: u64,
    pub r13: u64,
    pub r14: u64,
    pub r15: u64,
    pub rbx: u64,
    pub rdi: u64,
    pub rsi: u64,
}

/// Linux `TDVMCALL_EXPOSE_REGS_MASK`: RDX, RBX, RSI, RDI, R8–R15.
pub const TDVMCALL_EXPOSE_REGS_MASK: u64 = 0xffcc;

/// TDG.VP.VMCALL leaf number (RAX).
const TDG_VP_VMCALL: u64 = 0;

// `tdx_tdcall_saved_ret(fn: u64 /* RDI */, args: *mut TdxModuleArgs /* RSI */) -> u64 /* RAX */`
//
// Linux `TDX_MODULE_CALL host=0 ret=1 saved=1` (tdxcall.S, v6.6+), instruction for instruction,
// in Intel syntax, without FRAME_BEGIN/FRAME_END (no frame pointer, as in a kernel built with
// ORC) and with a plain `ret` for RET. Offsets are those of `TdxModuleArgs`. `.hidden` keeps
// the call direct (no PLT) in the shared object, as in a kernel image.
global_asm!(
    ".text",
    ".p2align 4",
    ".globl tdx_tdcall_saved_ret",
    ".hidden tdx_tdcall_saved_ret",
    ".type tdx_tdcall_saved_ret, @function",
    "tdx_tdcall_saved_ret:",
    // Move Leaf ID to RAX
    "mov rax, rdi",
    // Move other input regs from 'struct tdx_module_args'
    "mov rcx, qword ptr [rsi + 0x00]",
    "mov rdx, qword ptr [rsi + 0x08]",
    "mov r8,  qword ptr [rsi + 0x10]",
    "mov r9,  qword ptr [rsi + 0x18]",
    "mov r10, qword ptr [rsi + 0x20]",
    "mov r11, qword ptr [rsi + 0x28]",
    // saved=1: save the callee-saved GPRs (x86-64 SysV ABI)
    "push rbx",
    "push r12",
    "push r13",
    "push r14",
    "push r15",
    "mov r12, qword ptr [rsi + 0x30]",
    "mov r13, qword ptr [rsi + 0x38]",
    "mov r14, qword ptr [rsi + 0x40]",
    "mov r15, qword ptr [rsi + 0x48]",
    "mov rbx, qword ptr [rsi + 0x50]",
    // ret=1: save the structure pointer, RSI is about to be clobbered
    "push rsi",
    "mov rdi, qword ptr [rsi + 0x58]",
    // RSI last
    "mov rsi, qword ptr [rsi + 0x60]",
    // TDCALL
    ".byte 0x66, 0x0f, 0x01, 0xcc",
    // Every exposed register may hold a VMM value: free one by saving RAX on the stack.
    "push rax",
    "mov rax, qword ptr [rsp + 8]",
    "mov qword ptr [rax + 0x60], rsi",
    "pop rax",
    "pop rsi",
    // Copy additional output regs to the structure
    "mov qword ptr [rsi + 0x30], r12",
    "mov qword ptr [rsi + 0x38], r13",
    "mov qword ptr [rsi + 0x40], r14",
    "mov qword ptr [rsi + 0x48], r15",
    "mov qword ptr [rsi + 0x50], rbx",
    "mov qword ptr [rsi + 0x58], rdi",
    // Copy output registers to the structure
    "mov qword ptr [rsi + 0x00], rcx",
    "mov qword ptr [rsi + 0x08], rdx",
    "mov qword ptr [rsi + 0x10], r8",
    "mov qword ptr [rsi + 0x18], r9",
    "mov qword ptr [rsi + 0x20], r10",
    "mov qword ptr [rsi + 0x28], r11",
    // Clear the shared registers against speculative use of VMM values
    "xor ecx, ecx",
    "xor edx, edx",
    "xor r8d, r8d",
    "xor r9d, r9d",
    "xor r10d, r10d",
    "xor r11d, r11d",
    "xor r12d, r12d",
    "xor r13d, r13d",
    "xor r14d, r14d",
    "xor r15d, r15d",
    "xor ebx, ebx",
    "xor edi, edi",
    // Restore callee-saved GPRs
    "pop r15",
    "pop r14",
    "pop r13",
    "pop r12",
    "pop rbx",
    "ret",
    ".size tdx_tdcall_saved_ret, . - tdx_tdcall_saved_ret",
);

/// Linux `__tdx_hypercall()` (`arch/x86/coco/tdx/tdx-shared.c`): RCX = the fixed mask, the
/// generic routine, and a module rejection returned as an error (Linux panics instead).
/// Inlined into each wrapper here, which is cheaper than Linux (where it is out of line).
#[inline(always)]
fn tdx_hypercall(args: &mut TdxModuleArgs) -> Result<(), VmcallError> {
    args.rcx = TDVMCALL_EXPOSE_REGS_MASK;
    let rax: u64;
    // The C call `tdx_tdcall_saved_ret(TDG_VP_VMCALL, args)`, written as asm: declared as an
    // `extern "C"` fn, the global_asm symbol is reached through the GOT in this PIC cdylib
    // (rustc emits a non-relaxable R_X86_64_GOTPCREL); a kernel (non-PIC) makes a direct call,
    // and so does this. `clobber_abi("C")` declares exactly what a C call clobbers; without
    // `nomem` the compiler must assume `*args` is read and written.
    // SAFETY: never executed (see the crate docs); the routine follows the SysV ABI, saves and
    // restores the callee-saved registers it uses and only accesses `*args` and its own stack.
    unsafe {
        asm!(
            "call tdx_tdcall_saved_ret",
            in("rdi") TDG_VP_VMCALL,
            in("rsi") args as *mut TdxModuleArgs,
            lateout("rax") rax,
            clobber_abi("C"),
        );
    }
    if rax != 0 {
        return Err(VmcallError::Module(TdxStatus::from_raw(rax)));
    }
    Ok(())
}

/// `tdcall::vmcall::map_gpa`, line for line, with the registers marshalled through memory.
#[inline(always)]
fn map_gpa_marshalled(gpa: u64, len: u64) -> Result<MapGpaProgress, VmcallError> {
    let end = match gpa.checked_add(len) {
        Some(end) if len != 0 && (gpa | len) & 0xfff == 0 => end,
        _ => return Err(InputError::RangeInvalid { start: gpa, len }.into()),
    };
    // Designated initialiser: every other field zero.
    let mut args = TdxModuleArgs {
        r10: 0,
        r11: subfunction::MAP_GPA,
        r12: gpa,
        r13: len,
        ..Default::default()
    };
    tdx_hypercall(&mut args)?;
    match VmcallStatus(args.r10) {
        VmcallStatus::SUCCESS => Ok(MapGpaProgress::Done),
        VmcallStatus::RETRY => {
            let resume = args.r11;
            if resume >= gpa && resume < end && resume & 0xfff == 0 {
                Ok(MapGpaProgress::Retry { resume })
            } else {
                Err(VmcallError::Untrusted {
                    what: "MapGPA resume address",
                    value: resume,
                })
            }
        }
        status => Err(VmcallError::Vmm(status)),
    }
}

/// `tdcall::vmcall::cpuid`, line for line, with the registers marshalled through memory.
#[inline(always)]
fn cpuid_marshalled(leaf: u32, subleaf: u32) -> Result<CpuidResult, VmcallError> {
    let mut args = TdxModuleArgs {
        r10: 0,
        r11: subfunction::INSTRUCTION_CPUID,
        r12: leaf as u64,
        r13: subleaf as u64,
        ..Default::default()
    };
    tdx_hypercall(&mut args)?;
    if args.r10 != 0 {
        return Err(VmcallError::Vmm(VmcallStatus(args.r10)));
    }
    Ok(CpuidResult {
        eax: args.r12 as u32,
        ebx: args.r13 as u32,
        ecx: args.r14 as u32,
        edx: args.r15 as u32,
    })
}

/// `tdcall::vmcall::rdmsr`, line for line, with the registers marshalled through memory.
#[inline(always)]
fn rdmsr_marshalled(msr: u32) -> Result<u64, VmcallError> {
    let mut args = TdxModuleArgs {
        r10: 0,
        r11: subfunction::INSTRUCTION_RDMSR,
        r12: msr as u64,
        ..Default::default()
    };
    tdx_hypercall(&mut args)?;
    if args.r10 != 0 {
        return Err(VmcallError::Vmm(VmcallStatus(args.r10)));
    }
    Ok(args.r11)
}

/// MapGPA through the struct and [`tdx_tdcall_saved_ret`]. Never executed.
#[no_mangle]
#[inline(never)]
pub extern "C" fn marshalled_map_gpa(gpa: u64, len: u64) -> u64 {
    encode_map_gpa(map_gpa_marshalled(gpa, len))
}

/// Instruction.CPUID through the struct and [`tdx_tdcall_saved_ret`]. Never executed.
#[no_mangle]
#[inline(never)]
pub extern "C" fn marshalled_cpuid(leaf: u32, subleaf: u32, out: &mut [u32; 4]) -> u64 {
    encode_cpuid(cpuid_marshalled(leaf, subleaf), out)
}

/// Instruction.RDMSR through the struct and [`tdx_tdcall_saved_ret`]. Never executed.
#[no_mangle]
#[inline(never)]
pub extern "C" fn marshalled_rdmsr(msr: u32, out: &mut u64) -> u64 {
    encode_rdmsr(rdmsr_marshalled(msr), out)
}

/// Required of a `no_std` `cdylib`/`staticlib`; nothing here can panic in practice, and nothing
/// runs anyway.
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    loop {}
}

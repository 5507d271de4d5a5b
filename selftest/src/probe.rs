//! The probe routine: TDCALL with every GPR but RSP loaded from memory, and all sixteen GPRs
//! stored to memory right after it.

use core::arch::global_asm;

use tdx_model::Regs;

// sysv64: RDI = *mut [u64; 16] inputs (slot 4, RSP, receives the RSP at the TDCALL),
//         RSI = *mut [u64; 17] outputs (slot 4 receives the RSP after the TDCALL, slot 16
//         RFLAGS right after it: nothing between the TDCALL and the PUSHFQ changes a flag).
// Saves the callee-saved registers (RBX, RBP, R12-R15), loads RAX..R15 but RSP from the input
// array (RBP included: it is saved and restored here), executes TDCALL (66 0F 01 CC), then
// stores all sixteen GPRs. The output pointer is kept on the stack across the TDCALL and
// swapped with the returned RDI.
global_asm!(
    ".globl tdx_selftest_probe",
    "tdx_selftest_probe:",
    "push rbx",
    "push rbp",
    "push r12",
    "push r13",
    "push r14",
    "push r15",
    "push rsi",
    "mov [rdi + 32], rsp",
    "mov rax, [rdi + 0]",
    "mov rcx, [rdi + 8]",
    "mov rdx, [rdi + 16]",
    "mov rbx, [rdi + 24]",
    "mov rbp, [rdi + 40]",
    "mov rsi, [rdi + 48]",
    "mov r8, [rdi + 64]",
    "mov r9, [rdi + 72]",
    "mov r10, [rdi + 80]",
    "mov r11, [rdi + 88]",
    "mov r12, [rdi + 96]",
    "mov r13, [rdi + 104]",
    "mov r14, [rdi + 112]",
    "mov r15, [rdi + 120]",
    "mov rdi, [rdi + 56]",
    ".byte 0x66, 0x0f, 0x01, 0xcc",
    "xchg rdi, [rsp]",
    "mov [rdi + 0], rax",
    "mov [rdi + 8], rcx",
    "mov [rdi + 16], rdx",
    "mov [rdi + 24], rbx",
    "mov [rdi + 32], rsp",
    "mov [rdi + 40], rbp",
    "mov [rdi + 48], rsi",
    "mov [rdi + 64], r8",
    "mov [rdi + 72], r9",
    "mov [rdi + 80], r10",
    "mov [rdi + 88], r11",
    "mov [rdi + 96], r12",
    "mov [rdi + 104], r13",
    "mov [rdi + 112], r14",
    "mov [rdi + 120], r15",
    "pushfq",
    "pop qword ptr [rdi + 128]",
    "mov rax, [rsp]",
    "mov [rdi + 56], rax",
    "add rsp, 8",
    "pop r15",
    "pop r14",
    "pop r13",
    "pop r12",
    "pop rbp",
    "pop rbx",
    "cld",
    "ret",
);

extern "sysv64" {
    fn tdx_selftest_probe(input: *mut [u64; 16], output: *mut [u64; 17]);
}

/// Execute one TDCALL with `input` (RSP slot ignored on input; it receives the RSP at the
/// TDCALL) and return all sixteen GPRs after it (RSP slot: the RSP after the TDCALL) and
/// RFLAGS.
///
/// # Safety
///
/// Every memory operand among the inputs must be the address of memory the module may read
/// or write for that leaf without harm: the self-test's own buffers ([`crate::mem`]). In a TD
/// the module changes only RAX and the leaf's output registers; outside a TD the TDCALL faults
/// and the installed handler ([`crate::trap`]) answers it. The probe saves and restores the
/// callee-saved registers itself.
pub unsafe fn probe(input: &mut Regs) -> (Regs, u64) {
    let mut out = [0u64; 17];
    // SAFETY: the routine reads 16 and writes 17 qwords at the two pointers, both valid
    // arrays; the caller vouches for the leaf's memory operands (see above).
    unsafe { tdx_selftest_probe(&mut input.gpr, &mut out) };
    let mut regs = Regs::zero();
    regs.gpr.copy_from_slice(&out[..16]);
    (regs, out[16])
}

//! TDG.VP.VMCALL (leaf 0): the guest ⇄ VMM calls of the GHCI, through two trampolines.
//!
//! Everything the VMM returns is untrusted: each value is masked or validated before use, and
//! no VMM value can cause a panic or undefined behaviour.
//!
//! * The **thin** trampoline ([`tdvmcall_thin`]) serves every sub-function with at most four
//!   inputs: R10–R15 only, no memory. The RCX GPR_SELECT is the call's own contract: exactly
//!   R10, R11 and the registers the sub-function uses. Exposed registers that carry no output
//!   are cleared after the call (`and reg, 0`, not a branch), so no VMM value lingers for
//!   speculative use.
//! * The **fat** trampoline ([`tdvmcall_fat`]) serves calls that use every register
//!   (ReportFatalError: a 64-byte message in R14, R15, RBX, RDI, RSI, R8, R9, RDX). RBX cannot be
//!   an `asm!` operand, so it travels through RAX/RCX inside the block.
//!
//! Neither exposes RBP or any XMM register.
//!
//! # Safety
//!
//! The asm contract for both trampolines: TDCALL with RAX = 0 and RCX = the control value
//! (GPR_SELECT in bits 15:0, XMM_SELECT 0). The TDX module either rejects the control value
//! (RAX ≠ 0, nothing else changed) or exits to the VMM and resumes the TD with RAX = 0, RCX
//! restored, every selected GPR holding whatever the VMM left there, and every other register
//! preserved (TDX module 1.5 `tdg_vp_vmcall.c`; GHCI 1.5). Every selected register is declared
//! as written. The VMM may write shared guest memory, so no `nomem`; the module uses no guest
//! stack (the fat trampoline itself pushes RBX, so it lacks `nostack`).
//!
//! Spec: Intel TDX Guest-Hypervisor Communication Interface (GHCI) 1.5, "TDG.VP.VMCALL
//! Interface"; TDX Module v1.5 ABI specification, TDG.VP.VMCALL leaf.

use core::arch::asm;
use core::fmt;

use crate::status::TdxStatus;
use crate::types::{Gpa, InputError};

/// Sub-function numbers (R11), GHCI 1.5 "TDG.VP.VMCALL sub-functions".
pub mod subfunction {
    /// GetTdVmCallInfo.
    pub const GET_TD_VM_CALL_INFO: u64 = 0x10000;
    /// MapGPA.
    pub const MAP_GPA: u64 = 0x10001;
    /// GetQuote.
    pub const GET_QUOTE: u64 = 0x10002;
    /// ReportFatalError.
    pub const REPORT_FATAL_ERROR: u64 = 0x10003;
    /// SetupEventNotifyInterrupt.
    pub const SETUP_EVENT_NOTIFY_INTERRUPT: u64 = 0x10004;
    /// Service.
    pub const SERVICE: u64 = 0x10005;
    /// Instruction.CPUID (VMX exit reason 10).
    pub const INSTRUCTION_CPUID: u64 = 10;
    /// Instruction.HLT (12).
    pub const INSTRUCTION_HLT: u64 = 12;
    /// Instruction.IO (30).
    pub const INSTRUCTION_IO: u64 = 30;
    /// Instruction.RDMSR (31).
    pub const INSTRUCTION_RDMSR: u64 = 31;
    /// Instruction.WRMSR (32).
    pub const INSTRUCTION_WRMSR: u64 = 32;
    /// #VE.RequestMMIO (48).
    pub const VE_REQUEST_MMIO: u64 = 48;
    /// Instruction.WBINVD (54).
    pub const INSTRUCTION_WBINVD: u64 = 54;
}

/// GPR_SELECT bits (bit n = GPR with x86 index n).
pub mod expose {
    /// RDX.
    pub const RDX: u16 = 1 << 2;
    /// RBX.
    pub const RBX: u16 = 1 << 3;
    /// RSI.
    pub const RSI: u16 = 1 << 6;
    /// RDI.
    pub const RDI: u16 = 1 << 7;
    /// R8.
    pub const R8: u16 = 1 << 8;
    /// R9.
    pub const R9: u16 = 1 << 9;
    /// R10 (the GHCI status / vendor call number).
    pub const R10: u16 = 1 << 10;
    /// R11 (the sub-function / first output).
    pub const R11: u16 = 1 << 11;
    /// R12.
    pub const R12: u16 = 1 << 12;
    /// R13.
    pub const R13: u16 = 1 << 13;
    /// R14.
    pub const R14: u16 = 1 << 14;
    /// R15.
    pub const R15: u16 = 1 << 15;
    /// Every register the fat trampoline can expose: RDX, RBX, RSI, RDI, R8–R15.
    pub const FAT: u16 = RDX | RBX | RSI | RDI | R8 | R9 | R10 | R11 | R12 | R13 | R14 | R15;
}

/// The GHCI status the VMM returns in R10, all 64 bits kept.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct VmcallStatus(pub u64);

impl VmcallStatus {
    /// TDG.VP.VMCALL_SUCCESS.
    pub const SUCCESS: VmcallStatus = VmcallStatus(0);
    /// TDG.VP.VMCALL_RETRY.
    pub const RETRY: VmcallStatus = VmcallStatus(1);
    /// TDG.VP.VMCALL_INVALID_OPERAND.
    pub const INVALID_OPERAND: VmcallStatus = VmcallStatus(0x8000_0000_0000_0000);
    /// TDG.VP.VMCALL_GPA_INUSE.
    pub const GPA_INUSE: VmcallStatus = VmcallStatus(0x8000_0000_0000_0001);
    /// TDG.VP.VMCALL_ALIGN_ERROR.
    pub const ALIGN_ERROR: VmcallStatus = VmcallStatus(0x8000_0000_0000_0002);
    /// TDG.VP.VMCALL_SUBFUNC_UNSUPPORTED.
    pub const SUBFUNC_UNSUPPORTED: VmcallStatus = VmcallStatus(0x8000_0000_0000_0003);

    /// The GHCI name, if the value is one the GHCI defines.
    #[inline]
    pub const fn spec_name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "TDG.VP.VMCALL_SUCCESS",
            1 => "TDG.VP.VMCALL_RETRY",
            0x8000_0000_0000_0000 => "TDG.VP.VMCALL_INVALID_OPERAND",
            0x8000_0000_0000_0001 => "TDG.VP.VMCALL_GPA_INUSE",
            0x8000_0000_0000_0002 => "TDG.VP.VMCALL_ALIGN_ERROR",
            0x8000_0000_0000_0003 => "TDG.VP.VMCALL_SUBFUNC_UNSUPPORTED",
            _ => return None,
        })
    }
}

impl fmt::Debug for VmcallStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.spec_name() {
            Some(n) => write!(f, "{n}"),
            None => write!(f, "VmcallStatus({:#018x})", self.0),
        }
    }
}

/// Why a TDG.VP.VMCALL did not do what was asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VmcallError {
    /// Rejected before any TDCALL.
    Input(InputError),
    /// The TDX module refused the call (RAX ≠ 0, e.g. an illegal register mask): the VMM never
    /// saw it.
    Module(TdxStatus),
    /// The VMM answered with a status other than success.
    Vmm(VmcallStatus),
    /// The VMM returned a value a guest must not use (named, with the value).
    Untrusted {
        /// Which output.
        what: &'static str,
        /// The value the VMM returned.
        value: u64,
    },
    /// The VMM kept asking for retries without progress.
    RetriesExhausted {
        /// Where the call stood.
        at: u64,
        /// Calls made without progress.
        attempts: u32,
    },
}

impl From<InputError> for VmcallError {
    fn from(e: InputError) -> Self {
        VmcallError::Input(e)
    }
}

impl fmt::Display for VmcallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VmcallError::Input(e) => write!(f, "TDVMCALL input: {e}"),
            VmcallError::Module(s) => write!(f, "TDX module rejected the TDVMCALL: {s}"),
            VmcallError::Vmm(s) => write!(f, "VMM returned {s:?}"),
            VmcallError::Untrusted { what, value } => {
                write!(f, "VMM returned an unusable {what}: {value:#x}")
            }
            VmcallError::RetriesExhausted { at, attempts } => {
                write!(
                    f,
                    "VMM asked for {attempts} retries at {at:#x} without progress"
                )
            }
        }
    }
}

/// All ones in the low `bits` bits.
const fn low_mask(bits: u32) -> u64 {
    if bits >= 64 {
        u64::MAX
    } else {
        (1 << bits) - 1
    }
}

/// `and` immediate that keeps (`-1`) or clears (`0`) register `n` after the call.
const fn keep(outputs: u16, n: u32) -> i64 {
    if outputs & (1 << n) != 0 {
        -1
    } else {
        0
    }
}

/// The thin trampoline: TDG.VP.VMCALL with inputs and outputs in R10–R15 only.
///
/// `EXPOSE` is the GPR_SELECT (a subset of R10–R15 that includes R10); `OUTPUTS` the registers
/// the sub-function returns (R10 always). Registers in `EXPOSE` but not in `OUTPUTS` read as 0
/// afterwards, and are zeroed in the registers too. Returns R10–R15 (registers above the highest
/// exposed one are not touched and come back as given).
///
/// # Safety
///
/// `EXPOSE` must not select registers outside R10–R15 (they would leak whatever the compiler
/// keeps there and be changed without the compiler knowing). The VMM may write guest memory the
/// sub-function names (shared memory only: the TDX module keeps private memory from it).
#[inline(always)]
pub unsafe fn tdvmcall_thin<const EXPOSE: u16, const OUTPUTS: u16>(
    regs: [u64; 6],
) -> Result<[u64; 6], TdxStatus> {
    let [mut r10, mut r11, mut r12, mut r13, mut r14, mut r15] = regs;
    let rax: u64;
    // Only R10 up to the highest exposed register is bound: the module preserves the others,
    // and binding them would make the compiler save and restore callee-saved registers for
    // nothing. The branch is decided at compile time.
    let bound = if EXPOSE & expose::R15 != 0 {
        6
    } else if EXPOSE & expose::R14 != 0 {
        5
    } else if EXPOSE & expose::R13 != 0 {
        4
    } else if EXPOSE & expose::R12 != 0 {
        3
    } else {
        2
    };
    match bound {
        // SAFETY: see the module-level contract; RAX, RCX and R10-R11 are declared written.
        2 => unsafe {
            asm!(
                tdcall!(),
                "and r11, {k11}",
                k11 = const keep(OUTPUTS, 11),
                inlateout("rax") 0u64 => rax,
                inlateout("rcx") EXPOSE as u64 => _,
                inlateout("r10") r10,
                inlateout("r11") r11,
                options(nostack),
            )
        },
        // SAFETY: see the module-level contract; RAX, RCX and R10-R12 are declared written.
        3 => unsafe {
            asm!(
                tdcall!(),
                "and r11, {k11}",
                "and r12, {k12}",
                k11 = const keep(OUTPUTS, 11),
                k12 = const keep(OUTPUTS, 12),
                inlateout("rax") 0u64 => rax,
                inlateout("rcx") EXPOSE as u64 => _,
                inlateout("r10") r10,
                inlateout("r11") r11,
                inlateout("r12") r12,
                options(nostack),
            )
        },
        // SAFETY: see the module-level contract; RAX, RCX and R10-R13 are declared written.
        4 => unsafe {
            asm!(
                tdcall!(),
                "and r11, {k11}",
                "and r12, {k12}",
                "and r13, {k13}",
                k11 = const keep(OUTPUTS, 11),
                k12 = const keep(OUTPUTS, 12),
                k13 = const keep(OUTPUTS, 13),
                inlateout("rax") 0u64 => rax,
                inlateout("rcx") EXPOSE as u64 => _,
                inlateout("r10") r10,
                inlateout("r11") r11,
                inlateout("r12") r12,
                inlateout("r13") r13,
                options(nostack),
            )
        },
        // SAFETY: see the module-level contract; RAX, RCX and R10-R14 are declared written.
        5 => unsafe {
            asm!(
                tdcall!(),
                "and r11, {k11}",
                "and r12, {k12}",
                "and r13, {k13}",
                "and r14, {k14}",
                k11 = const keep(OUTPUTS, 11),
                k12 = const keep(OUTPUTS, 12),
                k13 = const keep(OUTPUTS, 13),
                k14 = const keep(OUTPUTS, 14),
                inlateout("rax") 0u64 => rax,
                inlateout("rcx") EXPOSE as u64 => _,
                inlateout("r10") r10,
                inlateout("r11") r11,
                inlateout("r12") r12,
                inlateout("r13") r13,
                inlateout("r14") r14,
                options(nostack),
            )
        },
        // SAFETY: see the module-level contract; RAX, RCX and R10-R15 are declared written.
        _ => unsafe {
            asm!(
                tdcall!(),
                "and r11, {k11}",
                "and r12, {k12}",
                "and r13, {k13}",
                "and r14, {k14}",
                "and r15, {k15}",
                k11 = const keep(OUTPUTS, 11),
                k12 = const keep(OUTPUTS, 12),
                k13 = const keep(OUTPUTS, 13),
                k14 = const keep(OUTPUTS, 14),
                k15 = const keep(OUTPUTS, 15),
                inlateout("rax") 0u64 => rax,
                inlateout("rcx") EXPOSE as u64 => _,
                inlateout("r10") r10,
                inlateout("r11") r11,
                inlateout("r12") r12,
                inlateout("r13") r13,
                inlateout("r14") r14,
                inlateout("r15") r15,
                options(nostack),
            )
        },
    }
    if rax != 0 {
        return Err(TdxStatus::from_raw(rax));
    }
    Ok([r10, r11, r12, r13, r14, r15])
}

/// Registers of a fat TDG.VP.VMCALL, in the order GHCI ReportFatalError packs its message after
/// R10–R13: R14, R15, RBX, RDI, RSI, R8, R9, RDX.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct FatRegs {
    pub r10: u64,
    pub r11: u64,
    pub r12: u64,
    pub r13: u64,
    pub r14: u64,
    pub r15: u64,
    pub rbx: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub r8: u64,
    pub r9: u64,
    pub rdx: u64,
}

/// The fat trampoline: TDG.VP.VMCALL that may use RDX, RBX, RSI, RDI and R8–R15.
///
/// `EXPOSE` is the GPR_SELECT (a subset of [`expose::FAT`]); `OUTPUTS` the registers the call
/// returns. Exposed registers that are not outputs are cleared afterwards.
///
/// # Safety
///
/// As [`tdvmcall_thin`]; `EXPOSE` must be a subset of [`expose::FAT`].
#[inline(always)]
pub unsafe fn tdvmcall_fat<const EXPOSE: u16, const OUTPUTS: u16>(
    regs: &mut FatRegs,
) -> Result<(), TdxStatus> {
    let rax: u64;
    let rbx_out: u64;
    // SAFETY: see the module-level contract. RBX is saved on the stack, loaded from RAX, and
    // returned through RCX (whose value after TDCALL is the known control value); every other
    // selected register is an operand.
    unsafe {
        asm!(
            "push rbx",
            "mov rbx, rax",
            "xor eax, eax",
            "mov ecx, {mask}",
            tdcall!(),
            "and rbx, {kbx}",
            "and rdx, {kdx}",
            "and rsi, {ksi}",
            "and rdi, {kdi}",
            "and r8, {k8}",
            "and r9, {k9}",
            "and r11, {k11}",
            "and r12, {k12}",
            "and r13, {k13}",
            "and r14, {k14}",
            "and r15, {k15}",
            "mov rcx, rbx",
            "pop rbx",
            mask = const EXPOSE as u32,
            kbx = const keep(OUTPUTS, 3),
            kdx = const keep(OUTPUTS, 2),
            ksi = const keep(OUTPUTS, 6),
            kdi = const keep(OUTPUTS, 7),
            k8 = const keep(OUTPUTS, 8),
            k9 = const keep(OUTPUTS, 9),
            k11 = const keep(OUTPUTS, 11),
            k12 = const keep(OUTPUTS, 12),
            k13 = const keep(OUTPUTS, 13),
            k14 = const keep(OUTPUTS, 14),
            k15 = const keep(OUTPUTS, 15),
            inlateout("rax") regs.rbx => rax,
            lateout("rcx") rbx_out,
            inlateout("rdx") regs.rdx,
            inlateout("rsi") regs.rsi,
            inlateout("rdi") regs.rdi,
            inlateout("r8") regs.r8,
            inlateout("r9") regs.r9,
            inlateout("r10") regs.r10,
            inlateout("r11") regs.r11,
            inlateout("r12") regs.r12,
            inlateout("r13") regs.r13,
            inlateout("r14") regs.r14,
            inlateout("r15") regs.r15,
        );
    }
    regs.rbx = rbx_out;
    if rax != 0 {
        return Err(TdxStatus::from_raw(rax));
    }
    Ok(())
}

/// A thin call's R10–R15 after the module accepted it (VMM status not yet looked at).
#[inline(always)]
fn thin_raw<const EXPOSE: u16, const OUTPUTS: u16>(
    r10: u64,
    r11: u64,
    r12: u64,
    r13: u64,
    r14: u64,
    r15: u64,
) -> Result<[u64; 6], VmcallError> {
    const { assert!(EXPOSE & !0xfc00 == 0 && EXPOSE & expose::R10 != 0) };
    // SAFETY: EXPOSE is a subset of R10-R15 (asserted at compile time above).
    unsafe { tdvmcall_thin::<EXPOSE, OUTPUTS>([r10, r11, r12, r13, r14, r15]) }
        .map_err(VmcallError::Module)
}

/// As [`thin_raw`], with any VMM status but success an error.
#[inline(always)]
fn thin_call<const EXPOSE: u16, const OUTPUTS: u16>(
    r10: u64,
    r11: u64,
    r12: u64,
    r13: u64,
    r14: u64,
    r15: u64,
) -> Result<[u64; 6], VmcallError> {
    let out = thin_raw::<EXPOSE, OUTPUTS>(r10, r11, r12, r13, r14, r15)?;
    if out[0] != 0 {
        return Err(VmcallError::Vmm(VmcallStatus(out[0])));
    }
    Ok(out)
}

/// GPR_SELECT for a thin call using R10, R11 and `n` of R12–R15.
const fn thin_mask(args: u32) -> u16 {
    assert!(args <= 4);
    expose::R10 | expose::R11 | (((1u16 << args) - 1) << 12)
}

const E1: u16 = thin_mask(1);
const E2: u16 = thin_mask(2);
const E3: u16 = thin_mask(3);
const E4: u16 = thin_mask(4);
const O_STATUS: u16 = expose::R10;
const O_R11: u16 = expose::R10 | expose::R11;

/// GetTdVmCallInfo: R12 = `leaf`; returns R11–R14.
///
/// Exposes R10–R14. Errors: `Vmm(INVALID_OPERAND)` for a leaf the VMM does not know.
/// Spec: GHCI 1.5, TDG.VP.VMCALL\<GetTdVmCallInfo\>.
#[inline]
pub fn get_td_vm_call_info(leaf: u64) -> Result<[u64; 4], VmcallError> {
    const O: u16 = expose::R10 | expose::R11 | expose::R12 | expose::R13 | expose::R14;
    let o = thin_call::<E3, O>(0, subfunction::GET_TD_VM_CALL_INFO, leaf, 0, 0, 0)?;
    Ok([o[1], o[2], o[3], o[4]])
}

/// The result of one MapGPA call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapGpaProgress {
    /// The whole range was converted.
    Done,
    /// The VMM asks to call again from `resume` (validated: inside the range, past its start).
    Retry {
        /// Where to resume.
        resume: u64,
    },
}

/// MapGPA: convert `[gpa, gpa + len)` to shared (shared bit set in `gpa`) or private.
///
/// R12 = GPA, R13 = length; exposes R10–R13; output R11 (resume address on RETRY). A RETRY's
/// resume address must be page aligned and lie in `[gpa, gpa + len)`; anything else is
/// `Untrusted { what: "MapGPA resume address" }`. Errors: `Vmm(status)`; `Input` for an empty,
/// wrapping or unaligned range. Spec: GHCI 1.5, TDG.VP.VMCALL\<MapGPA\>.
#[inline]
pub fn map_gpa(gpa: u64, len: u64) -> Result<MapGpaProgress, VmcallError> {
    let end = match gpa.checked_add(len) {
        Some(end) if len != 0 && (gpa | len) & 0xfff == 0 => end,
        _ => return Err(InputError::RangeInvalid { start: gpa, len }.into()),
    };
    let o = thin_raw::<E2, O_R11>(0, subfunction::MAP_GPA, gpa, len, 0, 0)?;
    match VmcallStatus(o[0]) {
        VmcallStatus::SUCCESS => Ok(MapGpaProgress::Done),
        VmcallStatus::RETRY => {
            let resume = o[1];
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

/// Converts `[gpa, gpa + len)` (any shared bit in `gpa` ignored) to shared or private memory
/// of a TD with GPA width `gpa_width`, with as many MapGPA calls as the VMM asks for.
///
/// The VMM's resume addresses are validated ([`map_gpa`]); a RETRY that makes no progress is
/// allowed `max_stalls` times in a row, then the conversion gives up with
/// `RetriesExhausted`. Every RETRY that is accepted moves forward or counts as a stall, so the
/// number of calls is bounded by the number of pages plus the stalls.
///
/// The converted memory changes owner: converting to shared hands its contents to the host;
/// converting to private requires accepting the pages before use.
pub fn convert_range(
    gpa: u64,
    len: u64,
    to_shared: bool,
    gpa_width: u8,
    max_stalls: u32,
) -> Result<(), VmcallError> {
    convert_range_with(gpa, len, to_shared, gpa_width, max_stalls, map_gpa)
}

/// [`convert_range`] over any implementation of MapGPA (for tests and other wrappers).
pub fn convert_range_with(
    gpa: u64,
    len: u64,
    to_shared: bool,
    gpa_width: u8,
    max_stalls: u32,
    mut map: impl FnMut(u64, u64) -> Result<MapGpaProgress, VmcallError>,
) -> Result<(), VmcallError> {
    let shared = match gpa_width {
        48 | 52 => 1u64 << (gpa_width - 1),
        _ => return Err(InputError::GpaWidthInvalid { value: gpa_width }.into()),
    };
    let start = if to_shared {
        gpa | shared
    } else {
        gpa & !shared
    };
    let end = match start.checked_add(len) {
        Some(end) if len != 0 && (end - 1) & !low_mask(gpa_width as u32) == 0 => end,
        _ => return Err(InputError::RangeInvalid { start: gpa, len }.into()),
    };
    let mut cur = start;
    let mut stalls = 0;
    while cur < end {
        match map(cur, end - cur)? {
            MapGpaProgress::Done => return Ok(()),
            MapGpaProgress::Retry { resume } if resume == cur => {
                stalls += 1;
                if stalls > max_stalls {
                    return Err(VmcallError::RetriesExhausted {
                        at: cur,
                        attempts: stalls,
                    });
                }
            }
            MapGpaProgress::Retry { resume } if resume > cur && resume < end => {
                stalls = 0;
                cur = resume;
            }
            // `map` is any implementation: its resume address is checked here too.
            MapGpaProgress::Retry { resume } => {
                return Err(VmcallError::Untrusted {
                    what: "MapGPA resume address",
                    value: resume,
                })
            }
        }
    }
    Ok(())
}

/// GetQuote: ask the VMM for a quote of the TDREPORT in the shared buffer at `buffer`.
///
/// R12 = buffer GPA (shared bit set, 4 KiB aligned), R13 = length; exposes R10–R13. Completion is
/// asynchronous: the VMM updates the buffer header. Errors: `Vmm(status)`; `Input` for a
/// private or unaligned buffer. Spec: GHCI 1.5, TDG.VP.VMCALL\<GetQuote\>.
#[inline]
pub fn get_quote(buffer: SharedGpa, len: u64) -> Result<(), VmcallError> {
    if buffer.raw() & 0xfff != 0 {
        return Err(InputError::Misaligned {
            value: buffer.raw(),
            required: 0x1000,
        }
        .into());
    }
    thin_call::<E2, O_STATUS>(0, subfunction::GET_QUOTE, buffer.raw(), len, 0, 0).map(|_| ())
}

/// A GPA with the TD's shared bit set (bit `gpa_width - 1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SharedGpa(Gpa);

impl SharedGpa {
    /// Checks that `gpa` has the shared bit of a TD with GPA width `gpa_width` (48 or 52).
    #[inline]
    pub const fn new(gpa: u64, gpa_width: u8) -> Result<SharedGpa, InputError> {
        let shared = match gpa_width {
            48 | 52 => 1u64 << (gpa_width - 1),
            _ => return Err(InputError::GpaWidthInvalid { value: gpa_width }),
        };
        match Gpa::new(gpa) {
            Err(e) => Err(e),
            Ok(_) if gpa & shared == 0 || gpa & !low_mask(gpa_width as u32) != 0 => {
                Err(InputError::NotShared { value: gpa })
            }
            Ok(g) => Ok(SharedGpa(g)),
        }
    }

    /// The address, shared bit included.
    #[inline]
    pub const fn raw(self) -> u64 {
        self.0.raw()
    }
}

/// The GetQuote buffer header (Linux `drivers/virt/coco/tdx-guest/tdx-guest.c`
/// `struct tdx_quote_buf`; QEMU `tdx_handle_get_quote()`): `version` (u64, 1), `status` (u64,
/// written by the VMM), `in_len` (u32, TDREPORT length), `out_len` (u32, quote length, written by
/// the VMM), then the data.
pub mod quote {
    /// Header version.
    pub const VERSION: u64 = 1;
    /// Status while the VMM owns the buffer.
    pub const STATUS_IN_FLIGHT: u64 = u64::MAX;
    /// Status: the quote follows the header.
    pub const STATUS_SUCCESS: u64 = 0;
    /// Header size in bytes.
    pub const HEADER_SIZE: usize = 24;
}

/// Where a GetQuote request stands, as read from its buffer. Everything in it came from the
/// VMM and is validated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuoteStatus {
    /// The VMM still owns the buffer.
    InFlight,
    /// The quote is ready: `len` bytes after the header (checked to fit the buffer).
    Ready {
        /// Quote length.
        len: u32,
    },
    /// The VMM reported an error status.
    Failed(u64),
    /// The VMM reported success with a length that does not fit the buffer.
    BadLength(u32),
}

/// Writes a GetQuote request for `tdreport` into the `len` bytes at `buffer` and asks the VMM
/// for a quote ([`get_quote`]); poll [`quote_status`] (or wait for the notify interrupt).
///
/// `len` must be a non-zero multiple of 4 KiB with room for the header and the report.
///
/// # Safety
///
/// `buffer` must point to `len` writable bytes, the memory at the shared GPA `gpa`. The VMM
/// writes them asynchronously until the status leaves [`quote::STATUS_IN_FLIGHT`]: no Rust
/// reference to them may exist meanwhile (hence a raw pointer).
pub unsafe fn request_quote(
    buffer: *mut u8,
    len: usize,
    gpa: SharedGpa,
    tdreport: &[u8],
) -> Result<(), VmcallError> {
    if len == 0 || len & 0xfff != 0 || len - quote::HEADER_SIZE < tdreport.len() {
        return Err(InputError::RangeInvalid {
            start: gpa.raw(),
            len: len as u64,
        }
        .into());
    }
    let mut header = [0u8; quote::HEADER_SIZE];
    header[..8].copy_from_slice(&quote::VERSION.to_le_bytes());
    header[8..16].copy_from_slice(&quote::STATUS_IN_FLIGHT.to_le_bytes());
    header[16..20].copy_from_slice(&(tdreport.len() as u32).to_le_bytes());
    // SAFETY: the caller guarantees `len` writable bytes at `buffer`, which the checks above
    // show hold the header and the report.
    unsafe {
        core::ptr::copy_nonoverlapping(header.as_ptr(), buffer, quote::HEADER_SIZE);
        core::ptr::copy_nonoverlapping(
            tdreport.as_ptr(),
            buffer.add(quote::HEADER_SIZE),
            tdreport.len(),
        );
    }
    get_quote(gpa, len as u64)
}

/// Reads the status of a GetQuote request from the `len` bytes at `buffer` (volatile reads:
/// the VMM may be writing them), validating what the VMM wrote.
///
/// # Safety
///
/// `buffer` must point to `len` readable bytes.
pub unsafe fn quote_status(buffer: *const u8, len: usize) -> QuoteStatus {
    if len < quote::HEADER_SIZE {
        return QuoteStatus::BadLength(0);
    }
    let read = |at: usize, n: usize| {
        let mut v = 0u64;
        for i in (0..n).rev() {
            // SAFETY: `at + i` lies in the header, inside the caller's `len` bytes.
            let b = unsafe { core::ptr::read_volatile(buffer.add(at + i)) };
            v = v << 8 | b as u64;
        }
        v
    };
    match read(8, 8) {
        quote::STATUS_IN_FLIGHT => QuoteStatus::InFlight,
        quote::STATUS_SUCCESS => {
            let out = read(20, 4) as u32;
            if out as usize <= len - quote::HEADER_SIZE {
                QuoteStatus::Ready { len: out }
            } else {
                QuoteStatus::BadLength(out)
            }
        }
        s => QuoteStatus::Failed(s),
    }
}

/// SetupEventNotifyInterrupt: the VMM signals completion of asynchronous requests (GetQuote,
/// Service) with interrupt `vector` (32–255) on this vCPU.
///
/// R12 = vector; exposes R10–R12. Spec: GHCI 1.5, TDG.VP.VMCALL\<SetupEventNotifyInterrupt\>.
#[inline]
pub fn setup_event_notify_interrupt(vector: u8) -> Result<(), VmcallError> {
    if vector < 32 {
        return Err(InputError::VectorOutOfRange { value: vector }.into());
    }
    thin_call::<E1, O_STATUS>(
        0,
        subfunction::SETUP_EVENT_NOTIFY_INTERRUPT,
        vector as u64,
        0,
        0,
        0,
    )
    .map(|_| ())
}

/// Service: send the command in the shared page `command` and receive into `response`.
///
/// R12/R13 = command/response GPAs (shared, 4 KiB aligned), R14 = notify vector (0 blocking,
/// 32–255 asynchronous), R15 = timeout (0 infinite); exposes R10–R15. Spec: GHCI 1.5,
/// TDG.VP.VMCALL\<Service\>.
#[inline]
pub fn service(
    command: SharedGpa,
    response: SharedGpa,
    vector: Option<u8>,
    timeout: u64,
) -> Result<(), VmcallError> {
    for g in [command, response] {
        if g.raw() & 0xfff != 0 {
            return Err(InputError::Misaligned {
                value: g.raw(),
                required: 0x1000,
            }
            .into());
        }
    }
    let vector = match vector {
        None => 0,
        Some(v) if v >= 32 => v as u64,
        Some(v) => return Err(InputError::VectorOutOfRange { value: v }.into()),
    };
    thin_call::<E4, O_STATUS>(
        0,
        subfunction::SERVICE,
        command.raw(),
        response.raw(),
        vector,
        timeout,
    )
    .map(|_| ())
}

/// CPUID as the VMM emulates it. Each output is 32 bits: the upper halves of R12–R15 the VMM
/// returns are dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct CpuidResult {
    /// EAX.
    pub eax: u32,
    /// EBX.
    pub ebx: u32,
    /// ECX.
    pub ecx: u32,
    /// EDX.
    pub edx: u32,
}

/// Instruction.CPUID: R12 = leaf, R13 = sub-leaf; returns EAX, EBX, ECX, EDX from R12–R15.
///
/// Exposes R10–R15. Spec: GHCI 1.5, TDG.VP.VMCALL\<Instruction.CPUID\>.
#[inline]
pub fn cpuid(leaf: u32, subleaf: u32) -> Result<CpuidResult, VmcallError> {
    // R11 (the sub-function) carries no output: it is cleared with the rest.
    const O: u16 = E4 & !expose::R11;
    let o = thin_call::<E4, O>(
        0,
        subfunction::INSTRUCTION_CPUID,
        leaf as u64,
        subleaf as u64,
        0,
        0,
    )?;
    Ok(CpuidResult {
        eax: o[2] as u32,
        ebx: o[3] as u32,
        ecx: o[4] as u32,
        edx: o[5] as u32,
    })
}

/// Instruction.HLT: R12 = 1 if interrupts are blocked (RFLAGS.IF = 0).
///
/// Exposes R10–R12. Spec: GHCI 1.5, TDG.VP.VMCALL\<Instruction.HLT\>.
#[inline]
pub fn hlt(interrupts_blocked: bool) -> Result<(), VmcallError> {
    thin_call::<E1, O_STATUS>(
        0,
        subfunction::INSTRUCTION_HLT,
        interrupts_blocked as u64,
        0,
        0,
        0,
    )
    .map(|_| ())
}

/// An I/O or MMIO access size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AccessSize {
    /// 1 byte.
    B1 = 1,
    /// 2 bytes.
    B2 = 2,
    /// 4 bytes.
    B4 = 4,
    /// 8 bytes (MMIO only).
    B8 = 8,
}

impl AccessSize {
    /// Decodes a size in bytes.
    #[inline]
    pub const fn from_bytes(n: u64) -> Result<AccessSize, InputError> {
        match n {
            1 => Ok(AccessSize::B1),
            2 => Ok(AccessSize::B2),
            4 => Ok(AccessSize::B4),
            8 => Ok(AccessSize::B8),
            _ => Err(InputError::AccessSizeInvalid { value: n }),
        }
    }

    /// All ones in the access's width.
    #[inline]
    pub const fn mask(self) -> u64 {
        low_mask(self as u32 * 8)
    }
}

fn io_size(size: AccessSize) -> Result<u64, VmcallError> {
    match size {
        AccessSize::B8 => Err(InputError::AccessSizeInvalid { value: 8 }.into()),
        s => Ok(s as u64),
    }
}

/// Instruction.IO, read: R12 = size (1, 2, 4), R13 = 0, R14 = port; returns R11 masked to
/// `size`.
///
/// Exposes R10–R15. Spec: GHCI 1.5, TDG.VP.VMCALL\<Instruction.IO\>.
#[inline]
pub fn io_read(size: AccessSize, port: u16) -> Result<u32, VmcallError> {
    let o = thin_call::<E4, O_R11>(
        0,
        subfunction::INSTRUCTION_IO,
        io_size(size)?,
        0,
        port as u64,
        0,
    )?;
    Ok((o[1] & size.mask()) as u32)
}

/// Instruction.IO, write: R12 = size, R13 = 1, R14 = port, R15 = `value` masked to `size`.
///
/// Exposes R10–R15. Spec: GHCI 1.5, TDG.VP.VMCALL\<Instruction.IO\>.
#[inline]
pub fn io_write(size: AccessSize, port: u16, value: u32) -> Result<(), VmcallError> {
    thin_call::<E4, O_STATUS>(
        0,
        subfunction::INSTRUCTION_IO,
        io_size(size)?,
        1,
        port as u64,
        value as u64 & size.mask(),
    )
    .map(|_| ())
}

/// Instruction.RDMSR: R12 = MSR index; returns R11.
///
/// Exposes R10–R12. Spec: GHCI 1.5, TDG.VP.VMCALL\<Instruction.RDMSR\>.
#[inline]
pub fn rdmsr(msr: u32) -> Result<u64, VmcallError> {
    let o = thin_call::<E1, O_R11>(0, subfunction::INSTRUCTION_RDMSR, msr as u64, 0, 0, 0)?;
    Ok(o[1])
}

/// Instruction.WRMSR: R12 = MSR index, R13 = value.
///
/// Exposes R10–R13. Spec: GHCI 1.5, TDG.VP.VMCALL\<Instruction.WRMSR\>.
#[inline]
pub fn wrmsr(msr: u32, value: u64) -> Result<(), VmcallError> {
    thin_call::<E2, O_STATUS>(0, subfunction::INSTRUCTION_WRMSR, msr as u64, value, 0, 0)
        .map(|_| ())
}

/// #VE.RequestMMIO, read: R12 = size, R13 = 0, R14 = shared GPA; returns R11 masked to `size`.
///
/// Exposes R10–R15. Spec: GHCI 1.5, TDG.VP.VMCALL\<#VE.RequestMMIO\>.
#[inline]
pub fn mmio_read(size: AccessSize, gpa: SharedGpa) -> Result<u64, VmcallError> {
    let o = thin_call::<E4, O_R11>(
        0,
        subfunction::VE_REQUEST_MMIO,
        size as u64,
        0,
        gpa.raw(),
        0,
    )?;
    Ok(o[1] & size.mask())
}

/// #VE.RequestMMIO, write: R12 = size, R13 = 1, R14 = shared GPA, R15 = `value` masked to
/// `size`.
///
/// Exposes R10–R15. Spec: GHCI 1.5, TDG.VP.VMCALL\<#VE.RequestMMIO\>.
#[inline]
pub fn mmio_write(size: AccessSize, gpa: SharedGpa, value: u64) -> Result<(), VmcallError> {
    thin_call::<E4, O_STATUS>(
        0,
        subfunction::VE_REQUEST_MMIO,
        size as u64,
        1,
        gpa.raw(),
        value & size.mask(),
    )
    .map(|_| ())
}

/// Instruction.WBINVD: R12 = 0 for WBINVD, 1 for WBNOINVD.
///
/// Exposes R10–R12. Spec: GHCI 1.5, TDG.VP.VMCALL\<Instruction.WBINVD\> (R12's meaning is not
/// confirmed by a primary source; KVM answers SUBFUNC_UNSUPPORTED).
#[inline]
pub fn wbinvd(no_invalidate: bool) -> Result<(), VmcallError> {
    thin_call::<E1, O_STATUS>(
        0,
        subfunction::INSTRUCTION_WBINVD,
        no_invalidate as u64,
        0,
        0,
        0,
    )
    .map(|_| ())
}

/// The vendor-specific escape, in KVM's convention: R10 = hypercall number (≠ 0), R11–R14 =
/// arguments; the result comes back in R10 (a KVM return value, not a GHCI status).
///
/// Exposes R10–R14. Spec: GHCI 1.5 "vendor-specific TDG.VP.VMCALL" (R10 ≠ 0); Linux
/// `tdx_kvm_hypercall()`.
#[inline]
pub fn kvm_hypercall(nr: u64, args: [u64; 4]) -> Result<u64, VmcallError> {
    const E: u16 = thin_mask(3);
    if nr == 0 {
        return Err(InputError::VendorCallZero.into());
    }
    let o = thin_raw::<E, O_STATUS>(nr, args[0], args[1], args[2], args[3], 0)?;
    Ok(o[0])
}

/// ReportFatalError: tell the VMM this TD cannot continue, with `error_code` in R12, an optional
/// GPA of more data in R13 (bit 63 of R12 says it is valid) and up to 64 bytes of `message`
/// packed into R14, R15, RBX, RDI, RSI, R8, R9, RDX (NUL padded; the VMM adds the terminating
/// NUL). Does not return: if the VMM resumes the TD, the call repeats.
///
/// Exposes RDX, RBX, RSI, RDI, R8–R15. Spec: GHCI 1.5, TDG.VP.VMCALL\<ReportFatalError\>.
pub fn report_fatal_error(error_code: u64, data: Option<Gpa>, message: &[u8]) -> ! {
    let mut bytes = [0u8; 64];
    let n = message.len().min(64);
    bytes[..n].copy_from_slice(&message[..n]);
    let word = |i: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&bytes[i * 8..i * 8 + 8]);
        u64::from_le_bytes(w)
    };
    let (r12, r13) = match data {
        Some(g) => (error_code | 1 << 63, g.raw()),
        None => (error_code & !(1 << 63), 0),
    };
    loop {
        let mut regs = FatRegs {
            r10: 0,
            r11: subfunction::REPORT_FATAL_ERROR,
            r12,
            r13,
            r14: word(0),
            r15: word(1),
            rbx: word(2),
            rdi: word(3),
            rsi: word(4),
            r8: word(5),
            r9: word(6),
            rdx: word(7),
        };
        // SAFETY: FAT is the fat trampoline's own register set.
        let _ = unsafe { tdvmcall_fat::<{ expose::FAT }, 0>(&mut regs) };
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use std::vec::Vec;

    /// A scripted VMM: answers `script` in order (then `Done`), recording each `(gpa, len)`.
    fn convert(
        gpa: u64,
        len: u64,
        max_stalls: u32,
        script: &[MapGpaProgress],
    ) -> (Result<(), VmcallError>, Vec<(u64, u64)>) {
        let mut calls = Vec::new();
        let r = convert_range_with(gpa, len, true, 52, max_stalls, |g, l| {
            let answer = script
                .get(calls.len())
                .copied()
                .unwrap_or(MapGpaProgress::Done);
            calls.push((g, l));
            Ok(answer)
        });
        (r, calls)
    }

    const SHARED: u64 = 1 << 51;

    #[test]
    fn stalls_are_allowed_max_stalls_times_in_a_row() {
        let at = SHARED | 0x1000;
        let stall = MapGpaProgress::Retry { resume: at };
        // Exactly `max_stalls` RETRYs without progress: allowed; the next call finishes.
        for max in [0u32, 1, 2, 5] {
            let script: Vec<_> = (0..max).map(|_| stall).collect();
            let (r, calls) = convert(0x1000, 0x3000, max, &script);
            assert_eq!(r, Ok(()), "max_stalls {max}");
            assert_eq!(calls.len(), max as usize + 1, "max_stalls {max}");
            assert!(calls.iter().all(|&c| c == (at, 0x3000)));
        }
        // One more: the conversion gives up at the (max_stalls + 1)-th stall.
        for max in [0u32, 1, 2, 5] {
            let script: Vec<_> = (0..=max).map(|_| stall).collect();
            let (r, calls) = convert(0x1000, 0x3000, max, &script);
            assert_eq!(
                r,
                Err(VmcallError::RetriesExhausted {
                    at,
                    attempts: max + 1
                }),
                "max_stalls {max}"
            );
            assert_eq!(calls.len(), max as usize + 1, "max_stalls {max}");
        }
    }

    #[test]
    fn progress_resets_the_stall_count() {
        let s = SHARED;
        let script = [
            MapGpaProgress::Retry { resume: s | 0x1000 },
            MapGpaProgress::Retry { resume: s | 0x2000 },
            MapGpaProgress::Retry { resume: s | 0x2000 },
            MapGpaProgress::Retry { resume: s | 0x3000 },
            MapGpaProgress::Retry { resume: s | 0x3000 },
        ];
        let (r, calls) = convert(0x1000, 0x3000, 1, &script);
        assert_eq!(r, Ok(()));
        assert_eq!(
            calls,
            [
                (s | 0x1000, 0x3000),
                (s | 0x1000, 0x3000),
                (s | 0x2000, 0x2000),
                (s | 0x2000, 0x2000),
                (s | 0x3000, 0x1000),
                (s | 0x3000, 0x1000),
            ]
        );
    }

    #[test]
    fn resume_outside_the_rest_of_the_range_is_untrusted() {
        let s = SHARED;
        for resume in [s, s | 0x0fff, s | 0x4000, s | 0x5000, 0x2000, u64::MAX] {
            let (r, calls) = convert(0x1000, 0x3000, 3, &[MapGpaProgress::Retry { resume }]);
            assert_eq!(
                r,
                Err(VmcallError::Untrusted {
                    what: "MapGPA resume address",
                    value: resume
                }),
                "resume {resume:#x}"
            );
            assert_eq!(calls.len(), 1);
        }
    }

    #[test]
    fn gpr_select_bits_are_x86_register_numbers() {
        // Bit n = GPR n: RDX 2, RBX 3, RSI 6, RDI 7, R8-R15 8-15.
        assert_eq!(expose::RDX, 0x0004);
        assert_eq!(expose::RBX, 0x0008);
        assert_eq!(expose::RSI, 0x0040);
        assert_eq!(expose::RDI, 0x0080);
        assert_eq!(expose::R8, 0x0100);
        assert_eq!(expose::R9, 0x0200);
        assert_eq!(expose::R10, 0x0400);
        assert_eq!(expose::R11, 0x0800);
        assert_eq!(expose::R12, 0x1000);
        assert_eq!(expose::R13, 0x2000);
        assert_eq!(expose::R14, 0x4000);
        assert_eq!(expose::R15, 0x8000);
        // Everything but RAX, RCX, RSP, RBP.
        assert_eq!(expose::FAT, 0xffcc);
        // Thin calls: R10, R11 and the first `n` of R12-R15.
        assert_eq!(thin_mask(0), 0x0c00);
        assert_eq!(thin_mask(1), 0x1c00);
        assert_eq!(thin_mask(2), 0x3c00);
        assert_eq!(thin_mask(3), 0x7c00);
        assert_eq!(thin_mask(4), 0xfc00);
        assert_eq!([E1, E2, E3, E4], [0x1c00, 0x3c00, 0x7c00, 0xfc00]);
        assert_eq!([O_STATUS, O_R11], [0x0400, 0x0c00]);
    }

    #[test]
    fn masks() {
        assert_eq!(low_mask(0), 0);
        assert_eq!(low_mask(1), 1);
        assert_eq!(low_mask(8), 0xff);
        assert_eq!(low_mask(48), 0xffff_ffff_ffff);
        assert_eq!(low_mask(52), 0x000f_ffff_ffff_ffff);
        assert_eq!(low_mask(63), u64::MAX >> 1);
        assert_eq!(low_mask(64), u64::MAX);
        assert_eq!(low_mask(65), u64::MAX);
        // `and` immediates: keep (-1) a register that is an output, clear (0) the others.
        assert_eq!(keep(0x0c00, 11), -1);
        assert_eq!(keep(0x0c00, 10), -1);
        assert_eq!(keep(0x0c00, 12), 0);
        assert_eq!(keep(0x0400, 11), 0);
        assert_eq!(keep(0x8000, 15), -1);
        assert_eq!(keep(0x7fff, 15), 0);
        assert_eq!(keep(0, 2), 0);
        assert_eq!(keep(0x0004, 2), -1);
    }

    #[test]
    fn vmcall_status_names() {
        extern crate std;
        use std::format;
        for (status, name) in [
            (VmcallStatus::SUCCESS, "TDG.VP.VMCALL_SUCCESS"),
            (VmcallStatus::RETRY, "TDG.VP.VMCALL_RETRY"),
            (
                VmcallStatus::INVALID_OPERAND,
                "TDG.VP.VMCALL_INVALID_OPERAND",
            ),
            (VmcallStatus::GPA_INUSE, "TDG.VP.VMCALL_GPA_INUSE"),
            (VmcallStatus::ALIGN_ERROR, "TDG.VP.VMCALL_ALIGN_ERROR"),
            (
                VmcallStatus::SUBFUNC_UNSUPPORTED,
                "TDG.VP.VMCALL_SUBFUNC_UNSUPPORTED",
            ),
        ] {
            assert_eq!(status.spec_name(), Some(name));
            assert_eq!(format!("{status:?}"), name);
        }
        assert_eq!(VmcallStatus::RETRY.0, 1);
        assert_eq!(VmcallStatus::INVALID_OPERAND.0, 1 << 63);
        assert_eq!(VmcallStatus::SUBFUNC_UNSUPPORTED.0, 1 << 63 | 3);
        for raw in [2, 0x8000_0000_0000_0004, 0x4000_0000_0000_0000, u64::MAX] {
            assert_eq!(VmcallStatus(raw).spec_name(), None);
        }
        assert_eq!(
            format!("{:?}", VmcallStatus(2)),
            "VmcallStatus(0x0000000000000002)"
        );
    }

    #[test]
    fn vmcall_error_display() {
        extern crate std;
        use std::string::ToString;
        assert_eq!(
            VmcallError::from(InputError::VendorCallZero),
            VmcallError::Input(InputError::VendorCallZero)
        );
        assert_eq!(
            VmcallError::Input(InputError::VectorOutOfRange { value: 3 }).to_string(),
            "TDVMCALL input: vector 3 < 32"
        );
        assert_eq!(
            VmcallError::Module(TdxStatus::from_raw(0xC000_0100_0000_0001)).to_string(),
            "TDX module rejected the TDVMCALL: TDX_OPERAND_INVALID (0xc000010000000001)"
        );
        assert_eq!(
            VmcallError::Vmm(VmcallStatus::GPA_INUSE).to_string(),
            "VMM returned TDG.VP.VMCALL_GPA_INUSE"
        );
        assert_eq!(
            VmcallError::Untrusted {
                what: "MapGPA resume address",
                value: 0x1234
            }
            .to_string(),
            "VMM returned an unusable MapGPA resume address: 0x1234"
        );
        assert_eq!(
            VmcallError::RetriesExhausted {
                at: 0x8_0000_1000,
                attempts: 4
            }
            .to_string(),
            "VMM asked for 4 retries at 0x800001000 without progress"
        );
    }

    #[test]
    fn shared_gpa_needs_the_shared_bit_within_the_width() {
        let ok = |gpa, w| SharedGpa::new(gpa, w).map(SharedGpa::raw);
        assert_eq!(ok(1 << 47 | 0x1000, 48), Ok(1 << 47 | 0x1000));
        assert_eq!(ok(1 << 51 | 0x1000, 52), Ok(1 << 51 | 0x1000));
        assert_eq!(ok(0xffff_ffff_ffff, 48), Ok(0xffff_ffff_ffff));
        for (gpa, w) in [
            (0x1000, 48),
            (1 << 51 | 0x1000, 48),
            (1 << 48 | 1 << 47, 48),
            (1 << 47 | 0x1000, 52),
            (0, 52),
        ] {
            assert_eq!(
                SharedGpa::new(gpa, w),
                Err(InputError::NotShared { value: gpa }),
                "{gpa:#x} width {w}"
            );
        }
        assert_eq!(
            SharedGpa::new(1 << 52 | 1 << 51, 52),
            Err(InputError::GpaTooWide {
                value: 1 << 52 | 1 << 51
            })
        );
        for w in [0, 47, 49, 51, 64] {
            assert_eq!(
                SharedGpa::new(1 << 47, w),
                Err(InputError::GpaWidthInvalid { value: w })
            );
        }
    }

    #[test]
    fn access_sizes() {
        for (n, s, mask) in [
            (1, AccessSize::B1, 0xff),
            (2, AccessSize::B2, 0xffff),
            (4, AccessSize::B4, 0xffff_ffff),
            (8, AccessSize::B8, u64::MAX),
        ] {
            assert_eq!(AccessSize::from_bytes(n), Ok(s));
            assert_eq!(s.mask(), mask);
        }
        for n in [0, 3, 16, u64::MAX] {
            assert_eq!(
                AccessSize::from_bytes(n),
                Err(InputError::AccessSizeInvalid { value: n })
            );
        }
        assert_eq!(io_size(AccessSize::B1), Ok(1));
        assert_eq!(io_size(AccessSize::B2), Ok(2));
        assert_eq!(io_size(AccessSize::B4), Ok(4));
        let b8 = Err(VmcallError::Input(InputError::AccessSizeInvalid {
            value: 8,
        }));
        assert_eq!(io_size(AccessSize::B8), b8);
        // Rejected before any TDVMCALL.
        assert_eq!(io_read(AccessSize::B8, 0x80), b8.map(|_| 0));
        assert_eq!(io_write(AccessSize::B8, 0x80, 0), b8.map(|_| ()));
    }

    #[test]
    fn inputs_rejected_before_any_tdvmcall() {
        // Each of these returns before TDCALL (which would fault outside a TD).
        let input = |e: InputError| Err::<(), _>(VmcallError::Input(e));
        assert_eq!(
            setup_event_notify_interrupt(31),
            input(InputError::VectorOutOfRange { value: 31 })
        );
        assert_eq!(
            setup_event_notify_interrupt(0),
            input(InputError::VectorOutOfRange { value: 0 })
        );
        let page = SharedGpa::new(1 << 51 | 0x2000, 52).unwrap();
        let odd = SharedGpa::new(1 << 51 | 0x2008, 52).unwrap();
        assert_eq!(
            service(odd, page, None, 0),
            input(InputError::Misaligned {
                value: 1 << 51 | 0x2008,
                required: 0x1000
            })
        );
        assert_eq!(
            service(page, odd, None, 0),
            input(InputError::Misaligned {
                value: 1 << 51 | 0x2008,
                required: 0x1000
            })
        );
        assert_eq!(
            service(page, page, Some(31), 0),
            input(InputError::VectorOutOfRange { value: 31 })
        );
        assert_eq!(
            get_quote(odd, 0x1000),
            input(InputError::Misaligned {
                value: 1 << 51 | 0x2008,
                required: 0x1000
            })
        );
        assert_eq!(
            kvm_hypercall(0, [1, 2, 3, 4]),
            Err(VmcallError::Input(InputError::VendorCallZero))
        );
        for (gpa, len) in [
            (0x1000, 0),
            (0x1001, 0x1000),
            (0x1000, 0x1001),
            // Start and length misaligned alike.
            (0x1001, 0x1001),
            (0x1800, 0x1800),
            (!0xfff, 0x2000),
        ] {
            assert_eq!(
                map_gpa(gpa, len),
                Err(VmcallError::Input(InputError::RangeInvalid {
                    start: gpa,
                    len
                })),
                "{gpa:#x}+{len:#x}"
            );
        }
    }

    #[test]
    fn request_quote_checks_the_buffer_first() {
        let gpa = SharedGpa::new(1 << 51 | 0x4000, 52).unwrap();
        let mut buf = [0u8; 0x2000];
        let report = [7u8; 0x1000 - quote::HEADER_SIZE + 1];
        for (len, report_len) in [(0, 0), (0x1800, 16), (0x1000, report.len())] {
            // SAFETY: `buf` has 0x2000 writable bytes; every case fails before writing.
            let r = unsafe { request_quote(buf.as_mut_ptr(), len, gpa, &report[..report_len]) };
            assert_eq!(
                r,
                Err(VmcallError::Input(InputError::RangeInvalid {
                    start: 1 << 51 | 0x4000,
                    len: len as u64
                })),
                "len {len:#x}"
            );
        }
        assert_eq!(buf, [0; 0x2000]);
        assert_eq!(quote::HEADER_SIZE, 24);
    }

    #[test]
    fn quote_status_reads_the_header() {
        // version u64 at 0, status u64 at 8, in_len u32 at 16, out_len u32 at 20 (little endian).
        let header = |status: u64, out_len: u32| {
            let mut b = [0u8; 0x1000];
            b[..8].copy_from_slice(&1u64.to_le_bytes());
            b[8..16].copy_from_slice(&status.to_le_bytes());
            b[16..20].copy_from_slice(&0x400u32.to_le_bytes());
            b[20..24].copy_from_slice(&out_len.to_le_bytes());
            b
        };
        let st = |b: &[u8; 0x1000], len: usize| {
            assert!(len <= b.len());
            // SAFETY: `b` has 0x1000 readable bytes, at least `len`.
            unsafe { quote_status(b.as_ptr(), len) }
        };
        assert_eq!(st(&header(u64::MAX, 0), 0x1000), QuoteStatus::InFlight);
        assert_eq!(
            st(&header(0, 0x1234), 0x1000),
            QuoteStatus::BadLength(0x1234)
        );
        assert_eq!(
            st(&header(0, 0x1000 - 24), 0x1000),
            QuoteStatus::Ready { len: 0x1000 - 24 }
        );
        assert_eq!(
            st(&header(0, 0x1000 - 23), 0x1000),
            QuoteStatus::BadLength(0x1000 - 23)
        );
        assert_eq!(
            st(&header(0, 0x0403_0201), 0x1000),
            QuoteStatus::BadLength(0x0403_0201)
        );
        assert_eq!(st(&header(0, 0), 24), QuoteStatus::Ready { len: 0 });
        assert_eq!(st(&header(0, 1), 24), QuoteStatus::BadLength(1));
        assert_eq!(st(&header(0, 0), 23), QuoteStatus::BadLength(0));
        assert_eq!(
            st(&header(0x8000_0000_0000_0001, 8), 0x1000),
            QuoteStatus::Failed(0x8000_0000_0000_0001)
        );
        assert_eq!(
            st(&header(0x0102_0304_0506_0708, 8), 0x1000),
            QuoteStatus::Failed(0x0102_0304_0506_0708)
        );
        assert_eq!(quote::STATUS_IN_FLIGHT, u64::MAX);
        assert_eq!(quote::STATUS_SUCCESS, 0);
        assert_eq!(quote::VERSION, 1);
    }

    #[test]
    fn convert_range_addresses() {
        // To shared: the shared bit (GPA width - 1) is set; to private: cleared.
        let first_call = |gpa, len, to_shared, width| {
            let mut first = None;
            let r = convert_range_with(gpa, len, to_shared, width, 0, |g, l| {
                first.get_or_insert((g, l));
                Ok(MapGpaProgress::Done)
            });
            r.map(|()| first.unwrap())
        };
        assert_eq!(
            first_call(0x1000, 0x2000, true, 52),
            Ok((SHARED | 0x1000, 0x2000))
        );
        assert_eq!(
            first_call(SHARED | 0x1000, 0x2000, false, 52),
            Ok((0x1000, 0x2000))
        );
        assert_eq!(
            first_call(0x1000, 0x2000, true, 48),
            Ok((1 << 47 | 0x1000, 0x2000))
        );
        assert_eq!(
            first_call(1 << 47 | 0x1000, 0x1000, false, 48),
            Ok((0x1000, 0x1000))
        );
        // The last shared page of a 52-bit TD.
        assert_eq!(
            first_call((1 << 51) - 0x1000, 0x1000, true, 52),
            Ok(((1 << 52) - 0x1000, 0x1000))
        );
        for (gpa, len, to_shared, width) in [
            (0x1000, 0, true, 52),
            // Past the GPA width once the shared bit is set.
            ((1 << 51) - 0x1000, 0x2000, true, 52),
            ((1 << 47) - 0x1000, 0x2000, true, 48),
            // Wraps.
            (u64::MAX - 0xfff, 0x2000, false, 52),
        ] {
            assert_eq!(
                first_call(gpa, len, to_shared, width),
                Err(VmcallError::Input(InputError::RangeInvalid {
                    start: gpa,
                    len
                })),
                "{gpa:#x}+{len:#x}"
            );
        }
        // convert_range (MapGPA itself) rejects the same inputs before any TDVMCALL.
        assert_eq!(
            convert_range(0x1000, 0, true, 52, 3),
            Err(VmcallError::Input(InputError::RangeInvalid {
                start: 0x1000,
                len: 0
            }))
        );
        assert_eq!(
            convert_range((1 << 47) - 0x1000, 0x2000, true, 48, 3),
            Err(VmcallError::Input(InputError::RangeInvalid {
                start: (1 << 47) - 0x1000,
                len: 0x2000
            }))
        );
        assert_eq!(
            convert_range(0x1000, 0x1000, false, 50, 3),
            Err(VmcallError::Input(InputError::GpaWidthInvalid {
                value: 50
            }))
        );
        for width in [0, 47, 51, 64] {
            assert_eq!(
                first_call(0x1000, 0x1000, true, width),
                Err(VmcallError::Input(InputError::GpaWidthInvalid {
                    value: width
                }))
            );
        }
    }
}

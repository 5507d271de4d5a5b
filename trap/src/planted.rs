//! Planted bugs: wrapper variants with one deliberate defect each, to show that the oracle
//! catches that class of bug. Test-only by purpose; they live here, never in `tdcall`.
//!
//! # Safety
//!
//! Same asm contract as `tdcall::leaf`, except for the one defect each variant documents; they
//! only ever run against the trap backend.

use core::arch::asm;

use tdcall::{AcceptPage, Accepted, FieldId, PageLevel, StatusCode, TdAttributes, TdInfo};
use tdcall::{TdxStatus, VeInfo};

use crate::oracle::Verdict;
use crate::wrappers::Wrappers;

/// TDG.VP.INFO without R11 among the registers it declares written.
pub struct MissingClobber;

impl Wrappers for MissingClobber {
    const NAME: &'static str = "planted: TDG.VP.INFO misses the R11 clobber";

    #[inline(always)]
    fn vp_info(&self) -> Result<TdInfo, TdxStatus> {
        let (rax, rcx, rdx, r8, r9, r10): (u64, u64, u64, u64, u64, u64);
        // SAFETY: deliberately wrong (R11 is written by the module but not declared); only
        // run under the trap backend, where the damage is detected, not relied upon.
        unsafe {
            asm!(
                ".byte 0x66, 0x0f, 0x01, 0xcc",
                inlateout("rax") 1u64 => rax,
                lateout("rcx") rcx,
                lateout("rdx") rdx,
                lateout("r8") r8,
                lateout("r9") r9,
                lateout("r10") r10,
                options(nostack, nomem),
            );
        }
        if rax != 0 {
            return Err(TdxStatus::from_raw(rax));
        }
        Ok(TdInfo {
            gpa_width: (rcx & 0x3f) as u8,
            attributes: TdAttributes(rdx),
            num_vcpus: r8 as u32,
            max_vcpus: (r8 >> 32) as u32,
            vcpu_index: r9 as u32,
            sys_rd_available: r10 & 1 != 0,
        })
    }
}

/// TDG.VP.VEINFO.GET reading the guest linear address from R9 instead of R8.
pub struct WrongOutputRegister;

impl Wrappers for WrongOutputRegister {
    const NAME: &'static str = "planted: TDG.VP.VEINFO.GET reads GLA from R9";

    #[inline(always)]
    fn veinfo_get(&self) -> Result<VeInfo, TdxStatus> {
        let (rax, rcx, rdx, r9, r10): (u64, u64, u64, u64, u64);
        // SAFETY: registers declared correctly; the defect is in the decoding below.
        unsafe {
            asm!(
                ".byte 0x66, 0x0f, 0x01, 0xcc",
                inlateout("rax") 3u64 => rax,
                lateout("rcx") rcx,
                lateout("rdx") rdx,
                lateout("r8") _,
                lateout("r9") r9,
                lateout("r10") r10,
                options(nostack, nomem),
            );
        }
        if rax != 0 {
            return Err(TdxStatus::from_raw(rax));
        }
        Ok(VeInfo {
            exit_reason: rcx as u32,
            exit_qualification: rdx,
            gla: r9,
            gpa: r9,
            instruction_length: r10 as u32,
            instruction_info: (r10 >> 32) as u32,
        })
    }
}

/// TDG.VM.RD issued with TDG.VM.WR's leaf number.
pub struct WrongLeafNumber;

impl Wrappers for WrongLeafNumber {
    const NAME: &'static str = "planted: TDG.VM.RD uses leaf 8";

    #[inline(always)]
    fn vm_rd(&self, field: FieldId) -> Result<u64, TdxStatus> {
        let (rax, r8): (u64, u64);
        // SAFETY: the wrong leaf may also change R8 (declared); RAX and R8 are declared.
        unsafe {
            asm!(
                ".byte 0x66, 0x0f, 0x01, 0xcc",
                inlateout("rax") 8u64 => rax,
                in("rcx") 0u64,
                in("rdx") field.raw(),
                inlateout("r8") 0u64 => r8,
                in("r9") 0u64,
                options(nostack, nomem),
            );
        }
        if rax != 0 {
            return Err(TdxStatus::from_raw(rax));
        }
        Ok(r8)
    }
}

/// TDG.VM.WR that ignores the status and returns R8 as the old value.
pub struct IgnoresError;

impl Wrappers for IgnoresError {
    const NAME: &'static str = "planted: TDG.VM.WR ignores the status";

    #[inline(always)]
    fn vm_wr(&self, field: FieldId, value: u64, mask: u64) -> Result<u64, TdxStatus> {
        let r8: u64;
        // SAFETY: registers declared correctly; the defect is the ignored status.
        unsafe {
            asm!(
                ".byte 0x66, 0x0f, 0x01, 0xcc",
                inlateout("rax") 8u64 => _,
                in("rcx") 0u64,
                in("rdx") field.raw(),
                inlateout("r8") value => r8,
                in("r9") mask,
                options(nostack, nomem),
            );
        }
        Ok(r8)
    }
}

/// TDG.MEM.PAGE.ACCEPT that keeps only bits 63:32 of an error status (the operand id and
/// SEPT level are lost, as an error enum over the upper half would).
pub struct LosesOperand;

impl Wrappers for LosesOperand {
    const NAME: &'static str = "planted: TDG.MEM.PAGE.ACCEPT drops the operand id";

    #[inline(always)]
    unsafe fn accept(&self, page: AcceptPage) -> Result<Accepted, TdxStatus> {
        let rax: u64;
        // SAFETY: registers declared correctly; the defect is in the decoding below.
        unsafe {
            asm!(
                ".byte 0x66, 0x0f, 0x01, 0xcc",
                inlateout("rax") 6u64 => rax,
                in("rcx") page.to_rcx(),
                options(nostack),
            );
        }
        let st = TdxStatus::from_raw(rax);
        if st.is_success() {
            return Ok(Accepted::Accepted);
        }
        if st.is(StatusCode::PageAlreadyAccepted) {
            if let Ok(mapped_level) = PageLevel::from_raw(st.details() as u64) {
                return Ok(Accepted::AlreadyAccepted { mapped_level });
            }
        }
        Err(TdxStatus::from_raw(rax & !0xffff_ffff))
    }
}

/// The planted bugs with the verdict expected to catch each and the fuzz target whose
/// inputs reach it.
pub const PLANTED: [(&str, Verdict, crate::call::Target); 5] = [
    (
        MissingClobber::NAME,
        Verdict::Clobbers,
        crate::call::Target::LeafVpInfo,
    ),
    (
        WrongOutputRegister::NAME,
        Verdict::Decoding,
        crate::call::Target::LeafVeinfo,
    ),
    (
        WrongLeafNumber::NAME,
        Verdict::Encoding,
        crate::call::Target::LeafVmRd,
    ),
    (
        IgnoresError::NAME,
        Verdict::Decoding,
        crate::call::Target::LeafVmWr,
    ),
    (
        LosesOperand::NAME,
        Verdict::Decoding,
        crate::call::Target::LeafAccept,
    ),
];

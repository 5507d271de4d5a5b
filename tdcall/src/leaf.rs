//! One function per TDX-module leaf, each a single `asm!` with explicit registers.
//!
//! # Safety
//!
//! The asm contract, stated once for every block in this module: `TDCALL` (`66 0F 01 CC`) is
//! executed with RAX = leaf number | version << 16 and the leaf's inputs in the registers the
//! TDX Module ABI specification assigns. The TDX module saves the guest's GPRs and restores them
//! on return, changing only RAX and the leaf's documented output registers (including the
//! defaults it writes on failure); every one of those is declared as an output or a `lateout`
//! clobber, so the compiler keeps nothing it needs there. XMM and other extended state are
//! preserved; the module uses no guest stack (`nostack`); arithmetic flags are not promised,
//! so `preserves_flags` is never given. Blocks marked `nomem` are leaves that touch no guest
//! memory and change nothing about how memory accesses behave; `readonly` ones only read it;
//! the rest may write it (or, like TDG.VM.WR, change how later accesses fault). Outside a TD, TDCALL raises
//! #UD or #GP: a fault, never undefined behaviour.
//!
//! Each function documents its register contract, its errors and the specification section
//! (Intel TDX Module v1.5 ABI specification, chapter "TDCALL (Guest-Side) Interface Functions";
//! TDX module 1.5 source `src/td_dispatcher/vm_exits/tdg_*.c`).

use core::arch::asm;

use crate::status::{StatusCode, TdxStatus};
use crate::types::{
    AcceptPage, Accepted, AlignedGpa, CpuidVe, FieldId, PageLevel, ReportRequestor, RtmrIndex,
    TdAttributes, TdInfo, VeInfo, VeInfoExt,
};

/// Leaf numbers (RAX bits 15:0), TDX Module ABI spec "TDCALL Leaf Numbers".
pub mod number {
    /// TDG.VP.VMCALL.
    pub const TDG_VP_VMCALL: u64 = 0;
    /// TDG.VP.INFO.
    pub const TDG_VP_INFO: u64 = 1;
    /// TDG.MR.RTMR.EXTEND.
    pub const TDG_MR_RTMR_EXTEND: u64 = 2;
    /// TDG.VP.VEINFO.GET.
    pub const TDG_VP_VEINFO_GET: u64 = 3;
    /// TDG.MR.REPORT.
    pub const TDG_MR_REPORT: u64 = 4;
    /// TDG.VP.CPUIDVE.SET.
    pub const TDG_VP_CPUIDVE_SET: u64 = 5;
    /// TDG.MEM.PAGE.ACCEPT.
    pub const TDG_MEM_PAGE_ACCEPT: u64 = 6;
    /// TDG.VM.RD.
    pub const TDG_VM_RD: u64 = 7;
    /// TDG.VM.WR.
    pub const TDG_VM_WR: u64 = 8;
    /// RAX bits 23:16: the leaf version.
    pub const VERSION_SHIFT: u32 = 16;
}

use number::*;

/// RAX = 0 is success; anything else is the status, all 64 bits kept.
#[inline]
pub(crate) fn status(rax: u64) -> Result<(), TdxStatus> {
    if rax == 0 {
        Ok(())
    } else {
        Err(TdxStatus::from_raw(rax))
    }
}

/// A metadata read of the null field id: `TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT` with no
/// details, and only that, is success, with the first field id in RDX.
#[inline]
pub(crate) fn first_field(rax: u64, rdx: u64) -> Result<FieldId, TdxStatus> {
    let st = TdxStatus::from_raw(rax);
    if st.is(StatusCode::MetadataFirstFieldIdInContext) && st.details() == 0 {
        Ok(FieldId::from_module(rdx))
    } else {
        Err(st)
    }
}

/// TDG.VP.INFO (leaf 1): the TD's execution environment.
///
/// Registers: in RAX = 1. Out RAX status, RCX GPA width, RDX ATTRIBUTES, R8 NUM_VCPUS | MAX_VCPUS
/// << 32, R9 VCPU_INDEX, R10 bit 0 TDG.SYS.RD available, R11 = 0.
///
/// Errors: none defined; any non-zero status is returned whole.
///
/// Spec: TDX Module ABI, TDG.VP.INFO leaf; module `tdg_vp_info.c`.
#[inline]
pub fn tdg_vp_info() -> Result<TdInfo, TdxStatus> {
    let (rax, rcx, rdx, r8, r9, r10): (u64, u64, u64, u64, u64, u64);
    // SAFETY: see the module-level contract; TDG.VP.INFO writes RAX and RCX, RDX, R8-R11.
    unsafe {
        asm!(
            tdcall!(),
            inlateout("rax") TDG_VP_INFO => rax,
            lateout("rcx") rcx,
            lateout("rdx") rdx,
            lateout("r8") r8,
            lateout("r9") r9,
            lateout("r10") r10,
            lateout("r11") _,
            options(nostack, nomem),
        );
    }
    status(rax)?;
    Ok(TdInfo {
        gpa_width: (rcx & 0x3f) as u8,
        attributes: TdAttributes(rdx),
        num_vcpus: r8 as u32,
        max_vcpus: (r8 >> 32) as u32,
        vcpu_index: r9 as u32,
        sys_rd_available: r10 & 1 != 0,
    })
}

/// TDG.MR.RTMR.EXTEND (leaf 2): RTMR\[index\] = SHA384(RTMR\[index\] || data).
///
/// Registers: in RAX = 2, RCX = GPA of the 48-byte extension value (64-byte aligned, private),
/// RDX = index. Out RAX only.
///
/// Errors: `TDX_OPERAND_INVALID` + RCX (GPA not private, or not mapped), + RDX (index);
/// `TDX_OPERAND_BUSY` + RTMR (0xA8) when another vCPU holds the RTMR lock.
///
/// Spec: TDX Module ABI, TDG.MR.RTMR.EXTEND leaf; module `tdg_mr_rtmr_extend.c`.
#[inline]
pub fn tdg_mr_rtmr_extend(data: AlignedGpa<64>, index: RtmrIndex) -> Result<(), TdxStatus> {
    let rax: u64;
    // SAFETY: see the module-level contract; the module only reads guest memory and writes RAX.
    unsafe {
        asm!(
            tdcall!(),
            inlateout("rax") TDG_MR_RTMR_EXTEND => rax,
            in("rcx") data.raw(),
            in("rdx") index.get() as u64,
            options(nostack, readonly),
        );
    }
    status(rax)
}

/// TDG.VP.VEINFO.GET (leaf 3): read and consume this vCPU's #VE information.
///
/// Registers: in RAX = 3. Out RAX status; RCX exit reason, RDX exit qualification, R8 GLA,
/// R9 GPA, R10 instruction length | info << 32 (all five zeroed on failure).
///
/// Errors: `TDX_NO_VALID_VE_INFO`.
///
/// Spec: TDX Module ABI, TDG.VP.VEINFO.GET leaf; module `tdg_vp_veinfo_get.c`.
#[inline]
pub fn tdg_vp_veinfo_get() -> Result<VeInfo, TdxStatus> {
    let (rax, rcx, rdx, r8, r9, r10): (u64, u64, u64, u64, u64, u64);
    // SAFETY: see the module-level contract; the leaf writes RAX, RCX, RDX and R8-R10.
    unsafe {
        asm!(
            tdcall!(),
            inlateout("rax") TDG_VP_VEINFO_GET => rax,
            lateout("rcx") rcx,
            lateout("rdx") rdx,
            lateout("r8") r8,
            lateout("r9") r9,
            lateout("r10") r10,
            // R11 is not written by module 1.5.05; declared so that a later module that
            // returns more #VE information cannot corrupt a live value.
            lateout("r11") _,
            // Not `nomem`: memory accesses must not move across the read of the #VE
            // information (a #VE handler's loads may fault again).
            options(nostack),
        );
    }
    status(rax)?;
    Ok(VeInfo {
        exit_reason: rcx as u32,
        exit_qualification: rdx,
        gla: r8,
        gpa: r9,
        instruction_length: r10 as u32,
        instruction_info: (r10 >> 32) as u32,
    })
}

/// TDG.VP.VEINFO.GET version 1: as [`tdg_vp_veinfo_get`], plus the #VE category (RCX bits
/// 39:32).
///
/// Needs TDX module 1.5.28 / 2.0.04 or later: older modules refuse leaf version 1 with
/// `TDX_OPERAND_INVALID` (operand RAX) and write nothing. [`tdg_vp_veinfo_get`] works on
/// every module.
///
/// Errors: `TDX_NO_VALID_VE_INFO`; `TDX_OPERAND_INVALID` on an older module.
///
/// Spec: TDX Module ABI, TDG.VP.VEINFO.GET leaf; module `tdg_vp_veinfo_get.c` (2.0.08).
#[inline]
pub fn tdg_vp_veinfo_get_v1() -> Result<VeInfoExt, TdxStatus> {
    let (rax, rcx, rdx, r8, r9, r10): (u64, u64, u64, u64, u64, u64);
    // SAFETY: see the module-level contract; version 1 writes RAX, RCX, RDX and R8-R10.
    unsafe {
        asm!(
            tdcall!(),
            inlateout("rax") TDG_VP_VEINFO_GET | 1 << VERSION_SHIFT => rax,
            lateout("rcx") rcx,
            lateout("rdx") rdx,
            lateout("r8") r8,
            lateout("r9") r9,
            lateout("r10") r10,
            // Not `nomem`, as version 0.
            options(nostack),
        );
    }
    status(rax)?;
    Ok(ve_info_ext([rcx, rdx, r8, r9, r10], None))
}

/// TDG.VP.VEINFO.GET version 2: as [`tdg_vp_veinfo_get_v1`], plus the interruptibility state
/// at the #VE (R12; R11 is returned 0).
///
/// Needs TDX module 1.5.28 / 2.0.14 or later (the modules that define
/// `VEINFO_INTR_STATE_SUPPORTED`); older ones refuse it with `TDX_OPERAND_INVALID` (operand
/// RAX), after writing the default outputs where version 1 exists.
///
/// Errors: `TDX_NO_VALID_VE_INFO`; `TDX_OPERAND_INVALID` on an older module.
///
/// Spec: TDX Module ABI, TDG.VP.VEINFO.GET leaf; module `tdg_vp_veinfo_get.c` (2.0.14).
#[inline]
pub fn tdg_vp_veinfo_get_v2() -> Result<VeInfoExt, TdxStatus> {
    let (rax, rcx, rdx, r8, r9, r10, r12): (u64, u64, u64, u64, u64, u64, u64);
    // SAFETY: see the module-level contract; version 2 writes RAX, RCX, RDX and R8-R12.
    unsafe {
        asm!(
            tdcall!(),
            inlateout("rax") TDG_VP_VEINFO_GET | 2 << VERSION_SHIFT => rax,
            lateout("rcx") rcx,
            lateout("rdx") rdx,
            lateout("r8") r8,
            lateout("r9") r9,
            lateout("r10") r10,
            lateout("r11") _,
            lateout("r12") r12,
            // Not `nomem`, as version 0.
            options(nostack),
        );
    }
    status(rax)?;
    Ok(ve_info_ext([rcx, rdx, r8, r9, r10], Some(r12 as u32)))
}

/// Versions 1 and 2's outputs from RCX, RDX, R8, R9, R10 (and R12's interruptibility state).
#[inline(always)]
fn ve_info_ext(
    [rcx, rdx, r8, r9, r10]: [u64; 5],
    interruptibility_state: Option<u32>,
) -> VeInfoExt {
    VeInfoExt {
        info: VeInfo {
            exit_reason: rcx as u32,
            exit_qualification: rdx,
            gla: r8,
            gpa: r9,
            instruction_length: r10 as u32,
            instruction_info: (r10 >> 32) as u32,
        },
        ve_category: (rcx >> 32) as u8,
        interruptibility_state,
    }
}

/// TDG.MR.REPORT (leaf 4): write a TDREPORT_STRUCT binding `report_data`.
///
/// Registers: in RAX = 4, RCX = GPA of the 1024-byte TDREPORT_STRUCT output (1024-byte aligned),
/// RDX = GPA of the 64-byte REPORTDATA (64-byte aligned), R8 bits 7:0 = report sub-type (must be
/// 0), bits 9:8 = requestor id (modules 1.5.34 and 2.0.18; 1.5.05 refuses any R8 but 0, so pass
/// the default requestor there). Out RAX only. Interruptible: the module may return to the guest without completing, and the
/// TDCALL then executes again.
///
/// Errors: `TDX_OPERAND_INVALID` + RCX / RDX / R8; `TDX_OPERAND_BUSY` + RTMR (0xA8).
///
/// Spec: TDX Module ABI, TDG.MR.REPORT leaf; module `tdg_mr_report.c`.
///
/// # Safety
///
/// `report` must be the guest physical address of 1024 bytes that the caller owns and that
/// nothing else reads or writes during the call: the module overwrites them. `report_data`
/// must be the address of 64 readable bytes.
#[inline]
pub unsafe fn tdg_mr_report(
    report: AlignedGpa<1024>,
    report_data: AlignedGpa<64>,
    subtype: u8,
    requestor: ReportRequestor,
) -> Result<(), TdxStatus> {
    let rax: u64;
    // SAFETY: see the module-level contract; the caller guarantees the report buffer may be
    // overwritten. The module writes RAX only.
    unsafe {
        asm!(
            tdcall!(),
            inlateout("rax") TDG_MR_REPORT => rax,
            in("rcx") report.raw(),
            in("rdx") report_data.raw(),
            in("r8") subtype as u64 | (requestor.raw() as u64) << 8,
            options(nostack),
        );
    }
    status(rax)
}

/// TDG.VP.CPUIDVE.SET (leaf 5): choose whether CPUID raises #VE at CPL 0 and CPL > 0.
///
/// Registers: in RAX = 5, RCX bit 0 supervisor, bit 1 user, bits 63:2 zero. Out RAX only.
///
/// Errors: `TDX_OPERAND_INVALID` + RCX.
///
/// Spec: TDX Module ABI, TDG.VP.CPUIDVE.SET leaf; module `tdg_vp_cpuidve_set.c`.
#[inline]
pub fn tdg_vp_cpuidve_set(config: CpuidVe) -> Result<(), TdxStatus> {
    let rax: u64;
    // SAFETY: see the module-level contract; the leaf writes RAX only.
    unsafe {
        asm!(
            tdcall!(),
            inlateout("rax") TDG_VP_CPUIDVE_SET => rax,
            in("rcx") config.to_rcx(),
            options(nostack, nomem),
        );
    }
    status(rax)
}

/// TDG.MEM.PAGE.ACCEPT (leaf 6): accept a pending private page, which the module zeroes.
///
/// Registers: in RAX = 6, RCX = level (bits 2:0) | GPA (bits 51:12). Out RAX only.
/// Interruptible for 2 MiB pages: the TDCALL may execute several times.
///
/// Results: `Ok(Accepted)`; `Ok(AlreadyAccepted { mapped_level })` for the warning
/// `TDX_PAGE_ALREADY_ACCEPTED` + level. Errors: `TDX_OPERAND_INVALID` + RCX (bad level, GPA not
/// private, 1 GiB on modules that lack it), `TDX_OPERAND_BUSY` + RCX,
/// `TDX_PAGE_SIZE_MISMATCH` + level (the range is mapped with smaller pages).
///
/// Spec: TDX Module ABI, TDG.MEM.PAGE.ACCEPT leaf; module `tdg_mem_page_accept.c`.
///
/// # Safety
///
/// The module zeroes the page when it accepts it. The page must be memory the caller knows is
/// not in use: a host can remove an accepted page and add it back as pending, and accepting
/// it again would then zero memory that live objects occupy.
#[inline]
pub unsafe fn tdg_mem_page_accept(page: AcceptPage) -> Result<Accepted, TdxStatus> {
    let rax: u64;
    // SAFETY: see the module-level contract; the caller guarantees the page holds nothing
    // live. The module writes RAX only.
    unsafe {
        asm!(
            tdcall!(),
            inlateout("rax") TDG_MEM_PAGE_ACCEPT => rax,
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
    Err(st)
}

/// TDG.VM.RD version 0 (leaf 7): read a TD-scope metadata field.
///
/// Registers: in RAX = 7, RCX = 0, RDX = field id. Out RAX status, R8 value (0 on failure).
///
/// Errors: `TDX_METADATA_FIELD_ID_INCORRECT`, `TDX_METADATA_FIELD_NOT_READABLE`,
/// `TDX_OPERAND_INVALID` + RCX.
///
/// Spec: TDX Module ABI, TDG.VM.RD leaf; module `tdg_vm_rd_wr.c`.
#[inline]
pub fn tdg_vm_rd(field: FieldId) -> Result<u64, TdxStatus> {
    let (rax, r8): (u64, u64);
    // SAFETY: see the module-level contract; version 0 writes RAX and R8.
    unsafe {
        asm!(
            tdcall!(),
            inlateout("rax") TDG_VM_RD => rax,
            in("rcx") 0u64,
            in("rdx") field.raw(),
            lateout("r8") r8,
            options(nostack, nomem),
        );
    }
    status(rax)?;
    Ok(r8)
}

#[inline]
fn tdg_vm_rd_v1_raw(field: u64) -> (u64, u64, u64) {
    let (rax, rdx, r8): (u64, u64, u64);
    // SAFETY: see the module-level contract; version 1 writes RAX, RDX (next field id) and R8.
    unsafe {
        asm!(
            tdcall!(),
            inlateout("rax") TDG_VM_RD | 1 << VERSION_SHIFT => rax,
            in("rcx") 0u64,
            inlateout("rdx") field => rdx,
            lateout("r8") r8,
            options(nostack, nomem),
        );
    }
    (rax, rdx, r8)
}

/// TDG.VM.RD version 1 (leaf 7): read a field and learn the next readable field id.
///
/// Registers: in RAX = 7 | 1 << 16, RCX = 0, RDX = field id. Out RAX status, RDX next field id
/// (all ones when none, and on failure), R8 value (0 on failure).
///
/// Returns `(value, next)`; `next` is `None` at the end of the context.
/// Errors: as [`tdg_vm_rd`].
///
/// Spec: TDX Module ABI, TDG.VM.RD leaf (version 1); module `tdg_vm_rd_wr.c`.
#[inline]
pub fn tdg_vm_rd_v1(field: FieldId) -> Result<(u64, Option<FieldId>), TdxStatus> {
    let (rax, rdx, r8) = tdg_vm_rd_v1_raw(field.raw());
    status(rax)?;
    let next = if rdx == u64::MAX {
        None
    } else {
        Some(FieldId::from_module(rdx))
    };
    Ok((r8, next))
}

/// TDG.VM.RD version 1 with the null field id: the first readable field id of the TD context.
///
/// The module answers with the information status `TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT`;
/// that status, and only that one, is this call's success. Any other status, `TDX_SUCCESS`
/// included, is returned as the error.
///
/// Spec: TDX Module ABI, TDG.VM.RD leaf (version 1, null field id).
#[inline]
pub fn tdg_vm_rd_first() -> Result<FieldId, TdxStatus> {
    let (rax, rdx, _) = tdg_vm_rd_v1_raw(u64::MAX);
    first_field(rax, rdx)
}

/// TDG.VM.WR (leaf 8): write the bits of `mask` in a TD-scope metadata field.
///
/// Registers: in RAX = 8, RCX = 0, RDX = field id, R8 = value, R9 = write mask. Out RAX status,
/// R8 previous value (0 on failure).
///
/// Returns the previous value. Errors: `TDX_OPERAND_BUSY` + METADATA_FIELD (0xB0) when a
/// concurrent write to the field won, `TDX_METADATA_FIELD_ID_INCORRECT`,
/// `TDX_METADATA_FIELD_NOT_WRITABLE`, `TDX_METADATA_WR_MASK_NOT_VALID`,
/// `TDX_METADATA_FIELD_VALUE_NOT_VALID`, `TDX_METADATA_FIELD_CURRENTLY_NOT_WRITABLE`,
/// `TDX_OPERAND_INVALID` + RCX.
///
/// Spec: TDX Module ABI, TDG.VM.WR leaf; module `tdg_vm_rd_wr.c`.
#[inline]
pub fn tdg_vm_wr(field: FieldId, value: u64, mask: u64) -> Result<u64, TdxStatus> {
    let (rax, r8): (u64, u64);
    // SAFETY: see the module-level contract; the leaf writes RAX and R8.
    unsafe {
        asm!(
            tdcall!(),
            inlateout("rax") TDG_VM_WR => rax,
            in("rcx") 0u64,
            in("rdx") field.raw(),
            inlateout("r8") value => r8,
            in("r9") mask,
            // Not `nomem`: a write to TD_CTLS (PENDING_VE_DISABLE) changes how later accesses
            // to pending pages fault, so memory accesses must not move across it.
            options(nostack),
        );
    }
    status(rax)?;
    Ok(r8)
}

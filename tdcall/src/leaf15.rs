//! The TDX module 1.5 guest leaves: VP- and system-scope metadata, service TDs, report
//! verification, and TD partitioning (L2 VMs). One `asm!` per leaf, as in [`crate::leaf`],
//! under the same contract (its `# Safety` section).
//!
//! Spec: Intel TDX Module v1.5 ABI specification, "TDCALL (Guest-Side) Interface Functions";
//! TDX module 1.5 source `src/td_dispatcher/vm_exits/tdg_*.c`, `src/td_transitions/tdg_vp_enter.c`.

use core::arch::asm;

use crate::leaf::{first_field, status};

use crate::status::{StatusCode, TdxStatus};
use crate::types::{AcceptPage, AlignedGpa, FieldId, Gpa, InputError};

/// Leaf numbers of the 1.5 guest leaves (RAX bits 15:0).
pub mod number {
    /// TDG.VP.RD.
    pub const TDG_VP_RD: u64 = 9;
    /// TDG.VP.WR.
    pub const TDG_VP_WR: u64 = 10;
    /// TDG.SYS.RD.
    pub const TDG_SYS_RD: u64 = 11;
    /// TDG.SYS.RDALL.
    pub const TDG_SYS_RDALL: u64 = 12;
    /// TDG.SERVTD.RD.
    pub const TDG_SERVTD_RD: u64 = 18;
    /// TDG.SERVTD.WR.
    pub const TDG_SERVTD_WR: u64 = 20;
    /// TDG.MR.VERIFYREPORT.
    pub const TDG_MR_VERIFYREPORT: u64 = 22;
    /// TDG.MEM.PAGE.ATTR.RD.
    pub const TDG_MEM_PAGE_ATTR_RD: u64 = 23;
    /// TDG.MEM.PAGE.ATTR.WR.
    pub const TDG_MEM_PAGE_ATTR_WR: u64 = 24;
    /// TDG.VP.ENTER.
    pub const TDG_VP_ENTER: u64 = 25;
    /// TDG.VP.INVEPT.
    pub const TDG_VP_INVEPT: u64 = 26;
    /// TDG.VP.INVGLA (TDG.VP.INVVPID in the 1.5.05 source).
    pub const TDG_VP_INVGLA: u64 = 27;
}

use number::*;

/// A metadata read that may also return the next field id (all ones: none).
#[inline]
fn next_field(rdx: u64) -> Option<FieldId> {
    (rdx != u64::MAX).then(|| FieldId::from_module(rdx))
}

/// The null field id: asks a version-1 read for the first field of its context.
const NULL_FIELD: u64 = u64::MAX;

/// TDG.VP.RD (leaf 9): read a field of this vCPU's metadata (TDVPS).
///
/// Registers: in RAX = 9, RCX = 0, RDX = field id. Out RAX status, RDX next readable field id
/// (all ones at the end and on failure), R8 value (0 on failure).
///
/// Errors: `TDX_METADATA_FIELD_ID_INCORRECT`, `TDX_METADATA_FIELD_NOT_READABLE`,
/// `TDX_OPERAND_INVALID` + RCX. Spec: TDX Module ABI, TDG.VP.RD; module `tdg_vp_rd_wr.c`.
#[inline]
pub fn tdg_vp_rd(field: FieldId) -> Result<(u64, Option<FieldId>), TdxStatus> {
    let (rax, rdx, r8) = vp_rd_raw(field.raw());
    status(rax)?;
    Ok((r8, next_field(rdx)))
}

#[inline]
fn vp_rd_raw(field: u64) -> (u64, u64, u64) {
    let (rax, rdx, r8): (u64, u64, u64);
    // SAFETY: see `crate::leaf`; the leaf writes RAX, RDX and R8.
    unsafe {
        asm!(
            tdcall!(),
            inlateout("rax") TDG_VP_RD => rax,
            in("rcx") 0u64,
            inlateout("rdx") field => rdx,
            lateout("r8") r8,
            options(nostack, nomem),
        );
    }
    (rax, rdx, r8)
}

/// TDG.VP.RD with the null field id: the first readable field id of the VP context. Success
/// is the information status `TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT` exactly; any other status
/// is the error.
#[inline]
pub fn tdg_vp_rd_first() -> Result<FieldId, TdxStatus> {
    let (rax, rdx, _) = vp_rd_raw(NULL_FIELD);
    first_field(rax, rdx)
}

/// TDG.VP.WR (leaf 10): write the bits of `mask` in a field of this vCPU's metadata.
///
/// Registers: in RAX = 10, RCX = 0, RDX = field id, R8 = value, R9 = mask. Out RAX status,
/// R8 previous value (0 on failure). Errors: as TDG.VM.WR. Not `nomem`: VP fields control how
/// this vCPU faults. Spec: TDX Module ABI, TDG.VP.WR; module `tdg_vp_rd_wr.c`.
#[inline]
pub fn tdg_vp_wr(field: FieldId, value: u64, mask: u64) -> Result<u64, TdxStatus> {
    let (rax, r8): (u64, u64);
    // SAFETY: see `crate::leaf`; the leaf writes RAX and R8.
    unsafe {
        asm!(
            tdcall!(),
            inlateout("rax") TDG_VP_WR => rax,
            in("rcx") 0u64,
            in("rdx") field.raw(),
            inlateout("r8") value => r8,
            in("r9") mask,
            options(nostack),
        );
    }
    status(rax)?;
    Ok(r8)
}

#[inline]
fn sys_rd_raw(field: u64) -> (u64, u64, u64) {
    let (rax, rdx, r8): (u64, u64, u64);
    // SAFETY: see `crate::leaf`; the leaf writes RAX, RDX and R8 (RCX is ignored).
    unsafe {
        asm!(
            tdcall!(),
            inlateout("rax") TDG_SYS_RD => rax,
            inlateout("rdx") field => rdx,
            lateout("r8") r8,
            options(nostack, nomem),
        );
    }
    (rax, rdx, r8)
}

/// TDG.SYS.RD (leaf 11): read a global (TDX module) metadata field.
///
/// Registers: in RAX = 11, RDX = field id. Out RAX status, RDX next field id (all ones at the
/// end and on failure), R8 value (0 on failure). Spec: TDX Module ABI, TDG.SYS.RD; module
/// `tdg_sys_rd.c`.
#[inline]
pub fn tdg_sys_rd(field: FieldId) -> Result<(u64, Option<FieldId>), TdxStatus> {
    let (rax, rdx, r8) = sys_rd_raw(field.raw());
    status(rax)?;
    Ok((r8, next_field(rdx)))
}

/// The TDX module's version as a guest can read it: TDG.SYS.RD of MAJOR_VERSION and
/// MINOR_VERSION, the only version fields with a guest read mask (UPDATE_VERSION is the
/// host's: `global_sys_lookup[]`). 1.5 or 2.0 today: enough to choose between the ABI
/// differences of the two lines (`model/VERSIONS.md`), not between updates of one line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ModuleVersion {
    /// MAJOR_VERSION (16 bits).
    pub major: u16,
    /// MINOR_VERSION (16 bits).
    pub minor: u16,
}

/// Global metadata field MAJOR_VERSION (`0x0800000100000004`).
pub const MAJOR_VERSION: FieldId = match FieldId::new(0x0800_0001_0000_0004) {
    Ok(f) => f,
    Err(_) => panic!("MAJOR_VERSION is a single-field id"),
};

/// Global metadata field MINOR_VERSION (`0x0800000100000003`).
pub const MINOR_VERSION: FieldId = match FieldId::new(0x0800_0001_0000_0003) {
    Ok(f) => f,
    Err(_) => panic!("MINOR_VERSION is a single-field id"),
};

/// Reads the module's major and minor version (two TDG.SYS.RD calls); the first failing
/// status is returned whole.
#[inline]
pub fn module_version() -> Result<ModuleVersion, TdxStatus> {
    let (major, _) = tdg_sys_rd(MAJOR_VERSION)?;
    let (minor, _) = tdg_sys_rd(MINOR_VERSION)?;
    Ok(ModuleVersion {
        major: major as u16,
        minor: minor as u16,
    })
}

/// TDG.SYS.RD with the null field id: the first global field id (success is the information
/// status `TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT` exactly).
#[inline]
pub fn tdg_sys_rd_first() -> Result<FieldId, TdxStatus> {
    let (rax, rdx, _) = sys_rd_raw(NULL_FIELD);
    first_field(rax, rdx)
}

/// How a TDG.SYS.RDALL call ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RdAll {
    /// Every field from the first one on is in the buffer (R8 = −1).
    Complete,
    /// More fields remain: call again from `next`. Modules 1.5.x and 2.0 up to 2.0.14 say so
    /// with `TDX_METADATA_LIST_OVERFLOW` (a 4 KiB dump was full); 2.0.16 on dump at most 64
    /// bytes per call and say so with `TDX_SUCCESS` and R8 ≠ −1. Both come back as this.
    Overflow {
        /// The field id to continue from.
        next: u64,
    },
}

/// TDG.SYS.RDALL (leaf 12): write a metadata list of global fields, starting at `first`, into
/// the 4 KiB buffer at `list`.
///
/// Registers: in RAX = 12, RDX = GPA of the buffer (4 KiB aligned, private), R8 = first field
/// id. Out RAX status, R8 next field id (all ones on failure and when the list is complete).
/// Errors: `TDX_OPERAND_INVALID` + RDX, metadata field errors. Read the whole list by calling
/// again from [`RdAll::Overflow`]'s `next` until [`RdAll::Complete`]: right on every module
/// (see [`RdAll`]) when started from the null field id (−1) or from a `next` the module gave;
/// on 2.0.16 and later a start field with more elements than 64 bytes hold makes no progress.
/// Spec: TDX Module ABI, TDG.SYS.RDALL; module `tdg_sys_rdall.c`.
///
/// # Safety
///
/// `list` must be the guest physical address of 4 KiB the caller owns: the module writes it.
#[inline]
pub unsafe fn tdg_sys_rdall(list: AlignedGpa<4096>, first: u64) -> Result<RdAll, TdxStatus> {
    let (rax, r8): (u64, u64);
    // SAFETY: see `crate::leaf`; the caller owns the buffer the module writes. The leaf writes
    // RAX and R8.
    unsafe {
        asm!(
            tdcall!(),
            inlateout("rax") TDG_SYS_RDALL => rax,
            in("rdx") list.raw(),
            inlateout("r8") first => r8,
            options(nostack),
        );
    }
    let st = TdxStatus::from_raw(rax);
    if st.is_success() && r8 == NULL_FIELD {
        Ok(RdAll::Complete)
    } else if st.is_success() || st.is(StatusCode::MetadataListOverflow) {
        Ok(RdAll::Overflow { next: r8 })
    } else {
        Err(st)
    }
}

/// A 256-bit TD UUID, as TDG.SERVTD.RD/WR pass it in R10–R13.
pub type TdUuid = [u64; 4];

/// Why a TDG.SERVTD.RD/WR failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServtdError {
    /// `TDX_TARGET_UUID_UPDATED`: the target TD's UUID changed (e.g. after migration); retry
    /// with `uuid`.
    UuidUpdated {
        /// The status, whole.
        status: TdxStatus,
        /// The target TD's current UUID (R10–R13).
        uuid: TdUuid,
    },
    /// Any other status.
    Status(TdxStatus),
}

fn servtd_result<T>(rax: u64, uuid: TdUuid, ok: T) -> Result<T, ServtdError> {
    let st = TdxStatus::from_raw(rax);
    if st.is_success() {
        Ok(ok)
    } else if st.is(StatusCode::TargetUuidUpdated) {
        Err(ServtdError::UuidUpdated { status: st, uuid })
    } else {
        Err(ServtdError::Status(st))
    }
}

/// TDG.SERVTD.RD (leaf 18): read a metadata field of the target TD bound to this service TD.
///
/// Registers: in RAX = 18, RCX = binding handle, RDX = field id, R10–R13 = target TD UUID. Out
/// RAX status, RDX next field id (all ones at the end and on failure), R8 value (0 on failure),
/// R10–R13 = the current UUID (with `TDX_TARGET_UUID_UPDATED`). Errors: `TDX_OPERAND_INVALID` +
/// RCX, `TDX_TARGET_UUID_MISMATCH`, `TDX_OPERAND_BUSY` + SERVTD_BINDINGS, metadata errors.
/// Spec: TDX Module ABI, TDG.SERVTD.RD; module `tdg_servtd_rd_wr.c`.
#[inline]
pub fn tdg_servtd_rd(
    binding: u64,
    field: FieldId,
    uuid: TdUuid,
) -> Result<(u64, Option<FieldId>), ServtdError> {
    let (rax, rdx, r8): (u64, u64, u64);
    let [mut r10, mut r11, mut r12, mut r13] = uuid;
    // SAFETY: see `crate::leaf`; the leaf writes RAX, RDX, R8 and R10-R13.
    unsafe {
        asm!(
            tdcall!(),
            inlateout("rax") TDG_SERVTD_RD => rax,
            in("rcx") binding,
            inlateout("rdx") field.raw() => rdx,
            lateout("r8") r8,
            inlateout("r10") r10,
            inlateout("r11") r11,
            inlateout("r12") r12,
            inlateout("r13") r13,
            options(nostack, nomem),
        );
    }
    servtd_result(rax, [r10, r11, r12, r13], (r8, next_field(rdx)))
}

/// TDG.SERVTD.WR (leaf 20): write the bits of `mask` in a metadata field of the bound target TD.
///
/// Registers: in RAX = 20, RCX = binding handle, RDX = field id, R8 = value, R9 = mask, R10–R13 =
/// target TD UUID. Out RAX status, R8 previous value (0 on failure), R10–R13 = the current UUID.
/// Errors: as [`tdg_servtd_rd`], plus the write errors of TDG.VM.WR. Spec: TDX Module ABI,
/// TDG.SERVTD.WR.
#[inline]
pub fn tdg_servtd_wr(
    binding: u64,
    field: FieldId,
    value: u64,
    mask: u64,
    uuid: TdUuid,
) -> Result<u64, ServtdError> {
    let (rax, r8): (u64, u64);
    let [mut r10, mut r11, mut r12, mut r13] = uuid;
    // SAFETY: see `crate::leaf`; the leaf writes RAX, R8 and R10-R13.
    unsafe {
        asm!(
            tdcall!(),
            inlateout("rax") TDG_SERVTD_WR => rax,
            in("rcx") binding,
            in("rdx") field.raw(),
            inlateout("r8") value => r8,
            in("r9") mask,
            inlateout("r10") r10,
            inlateout("r11") r11,
            inlateout("r12") r12,
            inlateout("r13") r13,
            options(nostack),
        );
    }
    servtd_result(rax, [r10, r11, r12, r13], r8)
}

/// TDG.MR.VERIFYREPORT (leaf 22): check the MAC of a REPORTMACSTRUCT (the first 256 bytes of a
/// TDREPORT) produced on this platform.
///
/// Registers: in RAX = 22, RCX = GPA of the REPORTMACSTRUCT (256-byte aligned, private). Out RAX
/// only. Errors: `TDX_OPERAND_INVALID` + RCX (+ RAX when the CPU lacks the instruction),
/// `TDX_INVALID_CPUSVN`, `TDX_INVALID_REPORTMACSTRUCT`. Spec: TDX Module ABI,
/// TDG.MR.VERIFYREPORT; module `tdg_mr_verifyreport.c`.
#[inline]
pub fn tdg_mr_verifyreport(reportmac: AlignedGpa<256>) -> Result<(), TdxStatus> {
    let rax: u64;
    // SAFETY: see `crate::leaf`; the module only reads guest memory and writes RAX.
    unsafe {
        asm!(
            tdcall!(),
            inlateout("rax") TDG_MR_VERIFYREPORT => rax,
            in("rcx") reportmac.raw(),
            options(nostack, readonly),
        );
    }
    status(rax)
}

/// The attributes of one private page for the TD's VMs: VM0 (the L1 TD itself) and L2 VMs 1–3,
/// 16 bits each (R, W, Xs, Xu, VGP, PWA, SSS, SVE in bits 7:0, VALID in bit 15).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct GpaAttrs(pub [u16; 4]);

impl GpaAttrs {
    /// The RDX encoding: VM n in bits 16n+15:16n.
    #[inline]
    pub const fn to_raw(self) -> u64 {
        self.0[0] as u64
            | (self.0[1] as u64) << 16
            | (self.0[2] as u64) << 32
            | (self.0[3] as u64) << 48
    }

    /// Decodes RDX.
    #[inline]
    pub const fn from_raw(raw: u64) -> GpaAttrs {
        GpaAttrs([
            raw as u16,
            (raw >> 16) as u16,
            (raw >> 32) as u16,
            (raw >> 48) as u16,
        ])
    }
}

/// A page mapping as TDG.MEM.PAGE.ATTR.RD/WR report it in RCX.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageMapping {
    /// Bits 2:0: the mapping's level (0 = 4 KiB, 1 = 2 MiB, 2 = 1 GiB).
    pub level: u8,
    /// Bits 51:12: the mapping's GPA, aligned to its level.
    pub gpa: u64,
    /// Bit 62: the page is pending (not yet accepted).
    pub pending: bool,
}

impl PageMapping {
    /// Decodes RCX.
    #[inline]
    pub const fn from_raw(raw: u64) -> PageMapping {
        PageMapping {
            level: (raw & 7) as u8,
            gpa: raw & 0x000f_ffff_ffff_f000,
            pending: raw & (1 << 62) != 0,
        }
    }
}

/// TDG.MEM.PAGE.ATTR.RD (leaf 23): read a private page's mapping and its attributes for every VM.
///
/// Registers: in RAX = 23, RCX = private GPA. Out RAX status, RCX mapping, RDX attributes (both
/// 0 on failure). Errors: `TDX_OPERAND_INVALID` + RCX, `TDX_OPERAND_BUSY` + RCX. Spec: TDX
/// Module ABI, TDG.MEM.PAGE.ATTR.RD; module `tdg_mem_page_attr_rd.c`.
#[inline]
pub fn tdg_mem_page_attr_rd(gpa: Gpa) -> Result<(PageMapping, GpaAttrs), TdxStatus> {
    let (rax, rcx, rdx): (u64, u64, u64);
    // SAFETY: see `crate::leaf`; the leaf writes RAX, RCX and RDX.
    unsafe {
        asm!(
            tdcall!(),
            inlateout("rax") TDG_MEM_PAGE_ATTR_RD => rax,
            inlateout("rcx") gpa.raw() => rcx,
            lateout("rdx") rdx,
            options(nostack, nomem),
        );
    }
    status(rax)?;
    Ok((PageMapping::from_raw(rcx), GpaAttrs::from_raw(rdx)))
}

/// Why TDG.MEM.PAGE.ATTR.WR failed, with the attributes the module reported (RDX): with
/// `TDX_PAGE_ATTR_INVALID` they are the page's current ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttrWrError {
    /// The status, whole.
    pub status: TdxStatus,
    /// RDX as the module left it.
    pub attrs: GpaAttrs,
}

/// TDG.MEM.PAGE.ATTR.WR (leaf 24): set the attributes of a private page for the TD's L2 VMs.
///
/// `page` is the same operand as TDG.MEM.PAGE.ACCEPT's: a GPA aligned to its level.
///
/// Registers: in RAX = 24, RCX = level | GPA (aligned to the level), RDX = new attributes (VM0's
/// word 0), R8 = per-VM write masks (VM0's word 0; bit 15 of a word asks for an INVEPT). Out RAX
/// status, RCX mapping, RDX resulting attributes (0 on failure except `TDX_PAGE_ATTR_INVALID`).
/// Errors: `TDX_OPERAND_INVALID` + RCX/RDX/R8, `TDX_PAGE_SIZE_MISMATCH` + level,
/// `TDX_OPERAND_BUSY` + RCX, `TDX_L2_SEPT_WALK_FAILED`, `TDX_PAGE_ATTR_INVALID`. Spec: TDX Module
/// ABI, TDG.MEM.PAGE.ATTR.WR; module `tdg_mem_page_attr_wr.c`.
#[inline]
pub fn tdg_mem_page_attr_wr(
    page: AcceptPage,
    attrs: GpaAttrs,
    flags: GpaAttrs,
) -> Result<(PageMapping, GpaAttrs), AttrWrError> {
    let (rax, rcx, rdx): (u64, u64, u64);
    // SAFETY: see `crate::leaf`; the leaf writes RAX, RCX and RDX. Not `nomem`: it changes how
    // L2 accesses to the page fault.
    unsafe {
        asm!(
            tdcall!(),
            inlateout("rax") TDG_MEM_PAGE_ATTR_WR => rax,
            inlateout("rcx") page.to_rcx() => rcx,
            inlateout("rdx") attrs.to_raw() => rdx,
            in("r8") flags.to_raw(),
            options(nostack),
        );
    }
    if rax != 0 {
        return Err(AttrWrError {
            status: TdxStatus::from_raw(rax),
            attrs: GpaAttrs::from_raw(rdx),
        });
    }
    Ok((PageMapping::from_raw(rcx), GpaAttrs::from_raw(rdx)))
}

/// An L2 VM of a partitioned TD: 1, 2 or 3.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct L2Vm(u8);

impl L2Vm {
    /// Checks the range (the module checks it against the TD's NUM_L2_VMS).
    #[inline]
    pub const fn new(index: u8) -> Result<L2Vm, InputError> {
        match index {
            1..=3 => Ok(L2Vm(index)),
            _ => Err(InputError::L2VmOutOfRange { value: index }),
        }
    }

    /// The index.
    #[inline]
    pub const fn get(self) -> u8 {
        self.0
    }
}

/// TLB invalidation requested with TDG.VP.ENTER (RCX bits 1:0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EnterInvalidate {
    /// None.
    None = 0,
    /// INVEPT type 1 (single context).
    InveptSingle = 1,
    /// INVVPID single context.
    InvvpidSingle = 2,
    /// INVVPID single context, retaining globals.
    InvvpidSingleRetainGlobal = 3,
}

/// What TDG.VP.ENTER returned when the L2 VM exited to the L1 TD.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct L2Exit {
    /// RAX: the exit case (bits 63:32) and the L2 VM-exit reason (bits 31:0).
    pub status: TdxStatus,
    /// RCX: exit qualification.
    pub exit_qualification: u64,
    /// RDX: guest linear address.
    pub gla: u64,
    /// RSI: CS selector, access rights and limit.
    pub cs: u64,
    /// RDI: CS base.
    pub cs_base: u64,
    /// R8: guest physical address.
    pub gpa: u64,
    /// R9: interruption information (31:0) and error code (63:32).
    pub interruption: u64,
    /// R10: IDT-vectoring information (31:0) and error code (63:32).
    pub idt_vectoring: u64,
    /// R11: instruction information (31:0) and length (63:32).
    pub instruction: u64,
    /// R12: extra information (CPL).
    pub extra: u64,
    /// R13: extended exit qualification.
    pub extended_qualification: u64,
}

impl L2Exit {
    /// The L2 VM-exit reason (RAX bits 31:0).
    #[inline]
    pub const fn exit_reason(&self) -> u32 {
        self.status.details()
    }
}

/// TDG.VP.ENTER (leaf 25): run L2 VM `vm` from the guest state in the 256-byte buffer at
/// `state` until it exits to this L1 TD.
///
/// Registers: in RAX = 25, RCX = invalidation (1:0) | VM index (53:52), RDX = GPA of the
/// L2_ENTER_GUEST_STATE buffer (256-byte aligned, private). Out: RAX exit case | exit reason,
/// RBX 0, RCX, RDX, RSI, RDI, R8–R13 the exit information of [`L2Exit`], R14 = R15 = 0, and RBP
/// the L2 VM's RBP (the module restores L1's registers from the L2's, all but RSP; module 1.5
/// `td_exit.c`); the L2 GPRs are written back to the buffer. Every GPR but RSP changes: RBX and
/// RBP (not `asm!` operands) are saved on the stack around the TDCALL. Errors (bit 63 set): `TDX_OPERAND_INVALID` + RCX /
/// RDX / L2_VAPIC_GPA; `TDX_L2_VM_ENTRY_FAILED` (modules 1.5.34 and 2.0.18: VMLAUNCH/VMRESUME
/// failed on a control L1 wrote, the VM never ran; 1.5.05 stops the module instead);
/// `TDX_PENDING_INTERRUPT` (bit 63 clear, the VM was not entered) is returned as an error too,
/// since no exit information comes with it. Spec: TDX Module ABI, TDG.VP.ENTER;
/// module `tdg_vp_enter.c`, `td_exit.c`.
///
/// # Safety
///
/// `state` must be the guest physical address of 256 bytes the caller owns: the module reads
/// the L2 state there and writes it back.
#[inline]
pub unsafe fn tdg_vp_enter(
    vm: L2Vm,
    invalidate: EnterInvalidate,
    state: AlignedGpa<256>,
) -> Result<L2Exit, TdxStatus> {
    let (rax, rcx, rdx, rsi, rdi, r8, r9, r10, r11, r12, r13): (
        u64,
        u64,
        u64,
        u64,
        u64,
        u64,
        u64,
        u64,
        u64,
        u64,
        u64,
    );
    // SAFETY: see `crate::leaf`; the caller owns the state buffer. RBX and RBP are pushed and
    // popped around the TDCALL; every other register the leaf writes is declared.
    unsafe {
        asm!(
            "push rbp",
            "push rbx",
            tdcall!(),
            "pop rbx",
            "pop rbp",
            inlateout("rax") TDG_VP_ENTER => rax,
            inlateout("rcx") (vm.get() as u64) << 52 | invalidate as u64 => rcx,
            inlateout("rdx") state.raw() => rdx,
            lateout("rsi") rsi,
            lateout("rdi") rdi,
            lateout("r8") r8,
            lateout("r9") r9,
            lateout("r10") r10,
            lateout("r11") r11,
            lateout("r12") r12,
            lateout("r13") r13,
            lateout("r14") _,
            lateout("r15") _,
        );
    }
    let st = TdxStatus::from_raw(rax);
    if st.is_error() || st.is(StatusCode::PendingInterrupt) {
        return Err(st);
    }
    Ok(L2Exit {
        status: st,
        exit_qualification: rcx,
        gla: rdx,
        cs: rsi,
        cs_base: rdi,
        gpa: r8,
        interruption: r9,
        idt_vectoring: r10,
        instruction: r11,
        extra: r12,
        extended_qualification: r13,
    })
}

/// TDG.VP.INVEPT (leaf 26): invalidate the cached EPT translations of the L2 VMs in `vms` (bit n
/// = VM n; bit 0 must be clear).
///
/// Registers: in RAX = 26, RCX = bitmap. Out RAX only. Errors: `TDX_OPERAND_INVALID` + RCX.
/// Spec: TDX Module ABI, TDG.VP.INVEPT.
#[inline]
pub fn tdg_vp_invept(vms: u64) -> Result<(), TdxStatus> {
    let rax: u64;
    // SAFETY: see `crate::leaf`; the leaf writes RAX only.
    unsafe {
        asm!(
            tdcall!(),
            inlateout("rax") TDG_VP_INVEPT => rax,
            in("rcx") vms,
            options(nostack),
        );
    }
    status(rax)
}

/// One guest-linear range for TDG.VP.INVGLA: `pages` pages (1–4096) from the 4 KiB-aligned
/// `base`. RDX encoding: base GLA bits 63:12, last page index (pages − 1) in bits 11:0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GlaRange(u64);

impl GlaRange {
    /// Checks alignment and count.
    #[inline]
    pub const fn new(base: u64, pages: u16) -> Result<GlaRange, InputError> {
        if base & 0xfff != 0 || pages == 0 || pages > 4096 {
            Err(InputError::RangeInvalid {
                start: base,
                len: pages as u64 * 4096,
            })
        } else {
            Ok(GlaRange(base | (pages as u64 - 1)))
        }
    }

    /// The RDX value.
    #[inline]
    pub const fn raw(self) -> u64 {
        self.0
    }
}

/// TDG.VP.INVGLA (leaf 27, single mode): invalidate one guest-linear range of L2 VM `vm`.
///
/// Registers: in RAX = 27, RCX = VM index (53:52), list bit 0 clear, RDX = [`GlaRange`]. Out
/// RAX only. Errors: `TDX_OPERAND_INVALID` + RCX/RDX, `TDX_GLA_NOT_CANONICAL`. Spec: TDX Module
/// ABI, TDG.VP.INVGLA (TDG.VP.INVVPID in the 1.5.05 source, `tdg_vp_invvpid.c`).
#[inline]
pub fn tdg_vp_invgla(vm: L2Vm, range: GlaRange) -> Result<(), TdxStatus> {
    let rax: u64;
    // SAFETY: see `crate::leaf`. Single mode writes RAX only, but the leaf's register contract
    // (one for both modes) lets the module write RDX: declared written, at no cost.
    unsafe {
        asm!(
            tdcall!(),
            inlateout("rax") TDG_VP_INVGLA => rax,
            in("rcx") (vm.get() as u64) << 52,
            inlateout("rdx") range.raw() => _,
            options(nostack),
        );
    }
    status(rax)
}

/// A GLA list for TDG.VP.INVGLA's list mode: `count` 8-byte [`GlaRange`] entries from entry
/// `first` of the 4 KiB list at `list` (`first + count` ≤ 512). RDX encoding (GLA_LIST_INFO):
/// first entry 8:0, list GPA 51:12, count 61:52.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GlaList(u64);

impl GlaList {
    /// Checks the entry range: `first + count` ≤ 512, and `first` ≤ 511 (FIRST_ENTRY is bits
    /// 8:0; 512 would set reserved bit 9, which the module rejects).
    #[inline]
    pub const fn new(
        list: AlignedGpa<4096>,
        first: u16,
        count: u16,
    ) -> Result<GlaList, InputError> {
        if first >= 512 || first as u32 + count as u32 > 512 {
            Err(InputError::RangeInvalid {
                start: list.raw(),
                len: (first as u64 + count as u64) * 8,
            })
        } else {
            Ok(GlaList(first as u64 | list.raw() | (count as u64) << 52))
        }
    }

    /// The RDX value.
    #[inline]
    pub const fn raw(self) -> u64 {
        self.0
    }
}

/// TDG.VP.INVGLA in list mode: invalidate the ranges of a [`GlaList`] for L2 VM `vm`.
///
/// Registers: in RAX = 27, RCX = VM index (53:52) | 1 (list), RDX = GLA_LIST_INFO.
/// Interruptible: the module writes its progress to RDX and the TDCALL executes again from
/// there, so RDX is declared written. Out RAX status, RDX the final list info. Errors: as single
/// mode. Spec: as [`tdg_vp_invgla`]. The module only reads the list.
#[inline]
pub fn tdg_vp_invgla_list(vm: L2Vm, list: GlaList) -> Result<(), TdxStatus> {
    let rax: u64;
    // SAFETY: see `crate::leaf`; the module reads the list and writes RAX and RDX.
    unsafe {
        asm!(
            tdcall!(),
            inlateout("rax") TDG_VP_INVGLA => rax,
            in("rcx") (vm.get() as u64) << 52 | 1,
            inlateout("rdx") list.raw() => _,
            options(nostack, readonly),
        );
    }
    status(rax)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpa_attrs_word_n_is_vm_n() {
        // VM n in bits 16n+15:16n.
        let a = GpaAttrs([0x8001, 0x8003, 0x0007, 0xffff]);
        assert_eq!(a.to_raw(), 0xffff_0007_8003_8001);
        assert_eq!(GpaAttrs::from_raw(0xffff_0007_8003_8001), a);
        assert_eq!(
            GpaAttrs::from_raw(0x0004_0003_0002_0001),
            GpaAttrs([1, 2, 3, 4])
        );
        assert_eq!(GpaAttrs([1, 2, 3, 4]).to_raw(), 0x0004_0003_0002_0001);
        assert_eq!(GpaAttrs::default().to_raw(), 0);
        assert_eq!(GpaAttrs::from_raw(0), GpaAttrs([0; 4]));
    }

    #[test]
    fn page_mapping_fields() {
        // Level 2:0, GPA 51:12, pending 62; everything else ignored.
        assert_eq!(
            PageMapping::from_raw(0x0000_0001_2340_0001),
            PageMapping {
                level: 1,
                gpa: 0x1_2340_0000,
                pending: false
            }
        );
        assert_eq!(
            PageMapping::from_raw(u64::MAX),
            PageMapping {
                level: 7,
                gpa: 0x000f_ffff_ffff_f000,
                pending: true
            }
        );
        assert_eq!(
            PageMapping::from_raw(1 << 62 | 0x5000),
            PageMapping {
                level: 0,
                gpa: 0x5000,
                pending: true
            }
        );
        assert_eq!(
            PageMapping::from_raw(!(1 << 62) & !0x000f_ffff_ffff_f007),
            PageMapping {
                level: 0,
                gpa: 0,
                pending: false
            }
        );
    }

    #[test]
    fn l2_vm_is_1_to_3() {
        for i in 1..=3 {
            assert_eq!(L2Vm::new(i).map(L2Vm::get), Ok(i));
        }
        for i in [0, 4, 5, 255] {
            assert_eq!(L2Vm::new(i), Err(InputError::L2VmOutOfRange { value: i }));
        }
    }

    #[test]
    fn l2_exit_reason_is_rax_bits_31_0() {
        // TDX_TD_EXIT_ON_L2_VM_EXIT with exit reason 48 (EPT violation).
        let exit = L2Exit {
            status: TdxStatus::from_raw(0x0000_1141_0000_0030),
            exit_qualification: 0,
            gla: 0,
            cs: 0,
            cs_base: 0,
            gpa: 0,
            interruption: 0,
            idt_vectoring: 0,
            instruction: 0,
            extra: 0,
            extended_qualification: 0,
        };
        assert_eq!(exit.exit_reason(), 48);
        let exit = L2Exit {
            status: TdxStatus::from_raw(0x0000_1141_ffff_fffe),
            ..exit
        };
        assert_eq!(exit.exit_reason(), 0xffff_fffe);
    }

    #[test]
    fn gla_range_encoding() {
        // Base GLA bits 63:12, last page index (pages - 1) in bits 11:0.
        assert_eq!(GlaRange::new(0x1000, 1).map(GlaRange::raw), Ok(0x1000));
        assert_eq!(
            GlaRange::new(0x7fff_ffff_0000, 16).map(GlaRange::raw),
            Ok(0x7fff_ffff_000f)
        );
        assert_eq!(
            GlaRange::new(0xffff_8000_0000_0000, 4096).map(GlaRange::raw),
            Ok(0xffff_8000_0000_0fff)
        );
        for (base, pages) in [
            (0x1004, 1),
            (0x1800, 2),
            (0x1000, 0),
            (0x1000, 4097),
            (0, u16::MAX),
        ] {
            assert_eq!(
                GlaRange::new(base, pages),
                Err(InputError::RangeInvalid {
                    start: base,
                    len: pages as u64 * 4096
                }),
                "{base:#x} {pages}"
            );
        }
    }

    #[test]
    fn gla_list_encoding() {
        // First entry 8:0, list GPA 51:12, count 61:52; first + count <= 512.
        let list = AlignedGpa::<4096>::new(0x5000).unwrap();
        assert_eq!(
            GlaList::new(list, 3, 10).map(GlaList::raw),
            Ok(3 | 0x5000 | 10 << 52)
        );
        let top = AlignedGpa::<4096>::new(0x000f_ffff_ffff_f000).unwrap();
        assert_eq!(
            GlaList::new(top, 0, 512).map(GlaList::raw),
            Ok(0x000f_ffff_ffff_f000 | 512 << 52)
        );
        assert_eq!(
            GlaList::new(list, 511, 1).map(GlaList::raw),
            Ok(511 | 0x5000 | 1 << 52)
        );
        assert_eq!(
            GlaList::new(list, 500, 12).map(GlaList::raw),
            Ok(500 | 0x5000 | 12 << 52)
        );
        // FIRST_ENTRY is 9 bits: 512 with no entries is refused too.
        for (first, count) in [
            (500, 13),
            (0, 513),
            (511, 2),
            (512, 0),
            (u16::MAX, u16::MAX),
        ] {
            assert_eq!(
                GlaList::new(list, first, count),
                Err(InputError::RangeInvalid {
                    start: 0x5000,
                    len: (first as u64 + count as u64) * 8
                }),
                "{first} {count}"
            );
        }
    }

    #[test]
    fn next_field_all_ones_is_none() {
        assert_eq!(next_field(u64::MAX), None);
        assert_eq!(
            next_field(0x9110_0003_0000_0016).map(FieldId::raw),
            Some(0x9110_0003_0000_0016)
        );
        assert_eq!(next_field(0).map(FieldId::raw), Some(0));
        assert_eq!(
            next_field(u64::MAX - 1).map(FieldId::raw),
            Some(u64::MAX - 1)
        );
    }
}

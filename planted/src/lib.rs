//! Planted bugs: wrapper variants with one deliberate defect each, to show that the oracle
//! catches that class of bug. Test-only by purpose; they live here, never in `tdcall`.
//!
//! # Safety
//!
//! Same asm contract as `tdcall::leaf`, except for the one defect each variant documents; they
//! only ever run against the trap backend.
#![cfg(all(target_arch = "x86_64", target_os = "linux"))]
#![deny(unsafe_op_in_unsafe_fn, missing_docs)]
#![warn(clippy::undocumented_unsafe_blocks)]

use core::arch::asm;

use tdcall::leaf15::{
    EnterInvalidate, GlaList, GlaRange, L2Exit, L2Vm, RdAll, ServtdError, TdUuid,
};
use tdcall::vmcall::{
    expose, subfunction, tdvmcall_fat, tdvmcall_thin, AccessSize, CpuidResult, FatRegs,
    MapGpaProgress, SharedGpa, VmcallError, VmcallStatus,
};
use tdcall::{
    AcceptPage, Accepted, AlignedGpa, FieldId, KeyRequestor, KeySize, PageLevel, ReportRequestor,
    RtmrIndex, StatusCode, TdAttributes, TdInfo,
};
use tdcall::{Gpa, TdxStatus, VeInfo, VeInfoExt};

use tdcall::accept::{accept_range_with, AcceptError, AcceptOptions, AcceptStats};
use tdx_oracle::wrappers::{InputCheck, Wrappers};
use tdx_oracle::Verdict;

/// TDG.VP.INFO without R11 among the registers it declares written.
pub struct MissingClobber;

impl Wrappers for MissingClobber {
    const NAME: &'static str = "planted: TDG.VP.INFO misses the R11 clobber";
    const TDCALL_DEFAULTS: bool = true;

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
    const TDCALL_DEFAULTS: bool = true;

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
    const TDCALL_DEFAULTS: bool = true;

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
    const TDCALL_DEFAULTS: bool = true;

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
    const TDCALL_DEFAULTS: bool = true;

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
pub const PLANTED: [(&str, Verdict, tdx_oracle::call::Target); 20] = [
    (
        MissingClobber::NAME,
        Verdict::Clobbers,
        tdx_oracle::call::Target::LeafVpInfo,
    ),
    (
        WrongOutputRegister::NAME,
        Verdict::Decoding,
        tdx_oracle::call::Target::LeafVeinfo,
    ),
    (
        WrongLeafNumber::NAME,
        Verdict::Encoding,
        tdx_oracle::call::Target::LeafVmRd,
    ),
    (
        IgnoresError::NAME,
        Verdict::Decoding,
        tdx_oracle::call::Target::LeafVmWr,
    ),
    (
        LosesOperand::NAME,
        Verdict::Decoding,
        tdx_oracle::call::Target::LeafAccept,
    ),
    (
        ExposesLiveRegister::NAME,
        Verdict::Leakage,
        tdx_oracle::call::Target::VmcallCpuid,
    ),
    (
        MissingVmmClobber::NAME,
        Verdict::Clobbers,
        tdx_oracle::call::Target::VmcallRdmsr,
    ),
    (
        TrustsResume::NAME,
        Verdict::Decoding,
        tdx_oracle::call::Target::VmcallMapGpa,
    ),
    (
        UnmaskedIo::NAME,
        Verdict::Decoding,
        tdx_oracle::call::Target::VmcallIo,
    ),
    (
        XmmBit::NAME,
        Verdict::Leakage,
        tdx_oracle::call::Target::VmcallHlt,
    ),
    (
        EnterMissesR14::NAME,
        Verdict::Clobbers,
        tdx_oracle::call::Target::LeafVpEnter,
    ),
    (
        DropsUpdatedUuid::NAME,
        Verdict::Decoding,
        tdx_oracle::call::Target::LeafServtdRd,
    ),
    (
        InvglaListRdxInputOnly::NAME,
        Verdict::Clobbers,
        tdx_oracle::call::Target::LeafInvgla,
    ),
    (
        DropsInputChecks::NAME,
        Verdict::Refusal,
        tdx_oracle::call::Target::VmcallSetupEventNotifyInterrupt,
    ),
    (
        DropsInputChecks::NAME,
        Verdict::Refusal,
        tdx_oracle::call::Target::VmcallService,
    ),
    (
        DropsInputChecks::NAME,
        Verdict::Refusal,
        tdx_oracle::call::Target::VmcallGetQuote,
    ),
    (
        DropsInputChecks::NAME,
        Verdict::Refusal,
        tdx_oracle::call::Target::VmcallIo,
    ),
    (
        KeepsVmmValues::NAME,
        Verdict::Hygiene,
        tdx_oracle::call::Target::VmcallHlt,
    ),
    (
        ReportScribbles::NAME,
        Verdict::Semantics,
        tdx_oracle::call::Target::LeafReport,
    ),
    (
        TruncatesGlaRange::NAME,
        Verdict::Encoding,
        tdx_oracle::call::Target::LeafInvgla,
    ),
];

/// Instruction.CPUID exposing RDX, which holds whatever the caller had there.
pub struct ExposesLiveRegister;

impl Wrappers for ExposesLiveRegister {
    const NAME: &'static str = "planted: Instruction.CPUID exposes RDX";
    const TDCALL_DEFAULTS: bool = true;

    #[inline(always)]
    fn cpuid(&self, leaf: u32, subleaf: u32) -> Result<CpuidResult, VmcallError> {
        const E: u16 = 0xfc00 | expose::RDX;
        // SAFETY: deliberately wrong (RDX is exposed and may be changed by the VMM without
        // the compiler knowing); only run under the trap backend.
        let o = unsafe {
            tdvmcall_thin::<E, 0xfc00>([
                0,
                subfunction::INSTRUCTION_CPUID,
                leaf.into(),
                subleaf.into(),
                0,
                0,
            ])
        }
        .map_err(VmcallError::Module)?;
        if o[0] != 0 {
            return Err(VmcallError::Vmm(VmcallStatus(o[0])));
        }
        Ok(CpuidResult {
            eax: o[2] as u32,
            ebx: o[3] as u32,
            ecx: o[4] as u32,
            edx: o[5] as u32,
        })
    }
}

/// Instruction.RDMSR whose asm declares R12 (exposed, so the VMM may write it) as input only.
pub struct MissingVmmClobber;

impl Wrappers for MissingVmmClobber {
    const NAME: &'static str = "planted: Instruction.RDMSR misses the R12 clobber";
    const TDCALL_DEFAULTS: bool = true;

    #[inline(always)]
    fn rdmsr(&self, msr: u32) -> Result<u64, VmcallError> {
        let (rax, r10, r11): (u64, u64, u64);
        // SAFETY: deliberately wrong (R12 is exposed but declared input-only); only run under
        // the trap backend.
        unsafe {
            asm!(
                ".byte 0x66, 0x0f, 0x01, 0xcc",
                inlateout("rax") 0u64 => rax,
                inlateout("rcx") 0x1c00u64 => _,
                inlateout("r10") 0u64 => r10,
                inlateout("r11") subfunction::INSTRUCTION_RDMSR => r11,
                in("r12") msr as u64,
                options(nostack),
            );
        }
        if rax != 0 {
            return Err(VmcallError::Module(TdxStatus::from_raw(rax)));
        }
        if r10 != 0 {
            return Err(VmcallError::Vmm(VmcallStatus(r10)));
        }
        Ok(r11)
    }
}

/// MapGPA that returns the VMM's resume address without checking it.
pub struct TrustsResume;

impl Wrappers for TrustsResume {
    const NAME: &'static str = "planted: MapGPA trusts the resume address";
    const TDCALL_DEFAULTS: bool = true;

    #[inline(always)]
    fn map_gpa(&self, gpa: u64, len: u64) -> Result<MapGpaProgress, VmcallError> {
        if (gpa | len) & 0xfff != 0 || len == 0 || gpa.checked_add(len).is_none() {
            return Err(VmcallError::Input(tdcall::InputError::RangeInvalid {
                start: gpa,
                len,
            }));
        }
        // SAFETY: R10-R13 only, as the production wrapper.
        let o =
            unsafe { tdvmcall_thin::<0x3c00, 0x0c00>([0, subfunction::MAP_GPA, gpa, len, 0, 0]) }
                .map_err(VmcallError::Module)?;
        match o[0] {
            0 => Ok(MapGpaProgress::Done),
            1 => Ok(MapGpaProgress::Retry { resume: o[1] }),
            s => Err(VmcallError::Vmm(VmcallStatus(s))),
        }
    }
}

/// Instruction.IO read that keeps all 32 low bits of R11 whatever the access size.
pub struct UnmaskedIo;

impl Wrappers for UnmaskedIo {
    const NAME: &'static str = "planted: Instruction.IO read not masked to its size";
    const TDCALL_DEFAULTS: bool = true;

    #[inline(always)]
    fn io_read(&self, size: AccessSize, port: u16) -> Result<u32, VmcallError> {
        if size == AccessSize::B8 {
            return Err(VmcallError::Input(tdcall::InputError::AccessSizeInvalid {
                value: 8,
            }));
        }
        // SAFETY: R10-R15, as the production wrapper.
        let o = unsafe {
            tdvmcall_thin::<0xfc00, 0x0c00>([
                0,
                subfunction::INSTRUCTION_IO,
                size as u64,
                0,
                port.into(),
                0,
            ])
        }
        .map_err(VmcallError::Module)?;
        if o[0] != 0 {
            return Err(VmcallError::Vmm(VmcallStatus(o[0])));
        }
        Ok(o[1] as u32)
    }
}

/// Instruction.HLT with an XMM register selected in the mask.
pub struct XmmBit;

impl Wrappers for XmmBit {
    const NAME: &'static str = "planted: Instruction.HLT selects XMM0";
    const TDCALL_DEFAULTS: bool = true;

    #[inline(always)]
    fn hlt(&self, interrupts_blocked: bool) -> Result<(), VmcallError> {
        let (rax, r10): (u64, u64);
        // SAFETY: the mask selects XMM0 as well (the defect); the GPRs are declared.
        unsafe {
            asm!(
                ".byte 0x66, 0x0f, 0x01, 0xcc",
                inlateout("rax") 0u64 => rax,
                inlateout("rcx") 0x1_1c00u64 => _,
                inlateout("r10") 0u64 => r10,
                inlateout("r11") subfunction::INSTRUCTION_HLT => _,
                inlateout("r12") u64::from(interrupts_blocked) => _,
                options(nostack),
            );
        }
        if rax != 0 {
            return Err(VmcallError::Module(TdxStatus::from_raw(rax)));
        }
        match r10 {
            0 => Ok(()),
            s => Err(VmcallError::Vmm(VmcallStatus(s))),
        }
    }
}

/// TDG.VP.ENTER whose asm does not declare R14, which the module zeroes on the way back from
/// the L2 VM (the fat shape: almost every register changes).
pub struct EnterMissesR14;

impl Wrappers for EnterMissesR14 {
    const NAME: &'static str = "planted: TDG.VP.ENTER misses the R14 clobber";
    const TDCALL_DEFAULTS: bool = true;

    #[inline(always)]
    unsafe fn vp_enter(
        &self,
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
        // SAFETY: deliberately wrong (R14 is written but not declared); only run under the
        // trap backend.
        unsafe {
            asm!(
                "push rbp",
                "push rbx",
                ".byte 0x66, 0x0f, 0x01, 0xcc",
                "pop rbx",
                "pop rbp",
                inlateout("rax") 25u64 => rax,
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
}

/// TDG.SERVTD.RD that reports `TDX_TARGET_UUID_UPDATED` as a plain status, dropping the new
/// UUID the module returns in R10–R13.
pub struct DropsUpdatedUuid;

impl Wrappers for DropsUpdatedUuid {
    const NAME: &'static str = "planted: TDG.SERVTD.RD drops the updated UUID";
    const TDCALL_DEFAULTS: bool = true;

    #[inline(always)]
    fn servtd_rd(
        &self,
        binding: u64,
        field: FieldId,
        uuid: TdUuid,
    ) -> Result<(u64, Option<FieldId>), ServtdError> {
        match tdcall::leaf15::tdg_servtd_rd(binding, field, uuid) {
            Err(ServtdError::UuidUpdated { status, .. }) => Err(ServtdError::Status(status)),
            other => other,
        }
    }
}

/// TDG.VP.INVGLA list mode declaring RDX input-only, although the module writes its progress
/// there (the interruptible shape).
pub struct InvglaListRdxInputOnly;

impl Wrappers for InvglaListRdxInputOnly {
    const NAME: &'static str = "planted: TDG.VP.INVGLA (list) declares RDX input-only";
    const TDCALL_DEFAULTS: bool = true;

    #[inline(always)]
    fn invgla_list(&self, vm: L2Vm, list: GlaList) -> Result<(), TdxStatus> {
        let rax: u64;
        // SAFETY: deliberately wrong (RDX is written but declared input-only); only run under
        // the trap backend.
        unsafe {
            asm!(
                ".byte 0x66, 0x0f, 0x01, 0xcc",
                inlateout("rax") 27u64 => rax,
                in("rcx") (vm.get() as u64) << 52 | 1,
                in("rdx") list.raw(),
                options(nostack, readonly),
            );
        }
        if rax == 0 {
            Ok(())
        } else {
            Err(TdxStatus::from_raw(rax))
        }
    }
}

/// The GHCI input checks of `tdcall` deleted (SetupEventNotifyInterrupt and Service vectors,
/// GetQuote and Service alignment, IO size), while still declaring them: each such input
/// reaches the VMM.
pub struct DropsInputChecks;

/// Status of a thin call's outputs (R10 first).
fn thin_status(o: Result<[u64; 6], TdxStatus>) -> Result<[u64; 6], VmcallError> {
    let o = o.map_err(VmcallError::Module)?;
    match o[0] {
        0 => Ok(o),
        s => Err(VmcallError::Vmm(VmcallStatus(s))),
    }
}

impl Wrappers for DropsInputChecks {
    const NAME: &'static str = "planted: the four GHCI input checks deleted";
    const TDCALL_DEFAULTS: bool = true;

    fn declares(&self, check: InputCheck) -> bool {
        tdx_oracle::wrappers::Production.declares(check)
    }

    #[inline(always)]
    fn setup_event_notify(&self, vector: u8) -> Result<(), VmcallError> {
        let regs = [
            0,
            subfunction::SETUP_EVENT_NOTIFY_INTERRUPT,
            vector.into(),
            0,
            0,
            0,
        ];
        // SAFETY: R10-R12 only, as the production wrapper.
        thin_status(unsafe { tdvmcall_thin::<0x1c00, 0x0400>(regs) }).map(|_| ())
    }

    #[inline(always)]
    fn service(
        &self,
        command: SharedGpa,
        response: SharedGpa,
        vector: Option<u8>,
        timeout: u64,
    ) -> Result<(), VmcallError> {
        let regs = [
            0,
            subfunction::SERVICE,
            command.raw(),
            response.raw(),
            vector.map_or(0, u64::from),
            timeout,
        ];
        // SAFETY: R10-R15 only, as the production wrapper.
        thin_status(unsafe { tdvmcall_thin::<0xfc00, 0x0400>(regs) }).map(|_| ())
    }

    #[inline(always)]
    fn get_quote(&self, buffer: SharedGpa, len: u64) -> Result<(), VmcallError> {
        let regs = [0, subfunction::GET_QUOTE, buffer.raw(), len, 0, 0];
        // SAFETY: R10-R13 only, as the production wrapper.
        thin_status(unsafe { tdvmcall_thin::<0x3c00, 0x0400>(regs) }).map(|_| ())
    }

    #[inline(always)]
    fn io_read(&self, size: AccessSize, port: u16) -> Result<u32, VmcallError> {
        let regs = [
            0,
            subfunction::INSTRUCTION_IO,
            size as u64,
            0,
            port.into(),
            0,
        ];
        // SAFETY: R10-R15 only, as the production wrapper.
        let o = thin_status(unsafe { tdvmcall_thin::<0xfc00, 0x0c00>(regs) })?;
        Ok((o[1] & size.mask()) as u32)
    }

    #[inline(always)]
    fn io_write(&self, size: AccessSize, port: u16, value: u32) -> Result<(), VmcallError> {
        let regs = [
            0,
            subfunction::INSTRUCTION_IO,
            size as u64,
            1,
            port.into(),
            u64::from(value) & size.mask(),
        ];
        // SAFETY: R10-R15 only, as the production wrapper.
        thin_status(unsafe { tdvmcall_thin::<0xfc00, 0x0400>(regs) }).map(|_| ())
    }
}

/// Instruction.HLT whose trampoline clears nothing after the call (a `keep` that keeps every
/// register): R11 and R12 still hold what the VMM left there.
pub struct KeepsVmmValues;

impl Wrappers for KeepsVmmValues {
    const NAME: &'static str = "planted: Instruction.HLT leaves the VMM's R11 and R12";
    const TDCALL_DEFAULTS: bool = true;

    #[inline(always)]
    fn hlt(&self, interrupts_blocked: bool) -> Result<(), VmcallError> {
        let (rax, r10): (u64, u64);
        // SAFETY: registers declared correctly; the defect is the missing clearing.
        unsafe {
            asm!(
                ".byte 0x66, 0x0f, 0x01, 0xcc",
                inlateout("rax") 0u64 => rax,
                inlateout("rcx") 0x1c00u64 => _,
                inlateout("r10") 0u64 => r10,
                inlateout("r11") subfunction::INSTRUCTION_HLT => _,
                inlateout("r12") u64::from(interrupts_blocked) => _,
                options(nostack),
            );
        }
        if rax != 0 {
            return Err(VmcallError::Module(TdxStatus::from_raw(rax)));
        }
        match r10 {
            0 => Ok(()),
            s => Err(VmcallError::Vmm(VmcallStatus(s))),
        }
    }
}

/// TDG.MR.REPORT that, after a successful call, clears the first byte of the report it asked
/// for (a wrong effect on guest memory, with the TDCALL and its decoding right).
pub struct ReportScribbles;

impl Wrappers for ReportScribbles {
    const NAME: &'static str = "planted: TDG.MR.REPORT scribbles on the report";
    const TDCALL_DEFAULTS: bool = true;

    #[inline(always)]
    unsafe fn report(
        &self,
        report: AlignedGpa<1024>,
        data: AlignedGpa<64>,
        subtype: u8,
        requestor: ReportRequestor,
    ) -> Result<(), TdxStatus> {
        // SAFETY: forwarded from the caller.
        let r = unsafe { tdcall::tdg_mr_report(report, data, subtype, requestor) };
        if let (Ok(()), Some((base, size))) = (r, tdx_trap::current_arena()) {
            let at = report.raw();
            if at >= base && at < base + size as u64 {
                // SAFETY: inside the session's arena (GPA = address), which the caller owns
                // for the call (`report`'s contract); only ever run against the trap backend.
                unsafe { (at as *mut u8).write_volatile(0x5a) };
            }
        }
        r
    }
}

/// TDG.VP.INVGLA (single mode) building its GLA entry with the base truncated to 48 bits (a
/// wrong field layout: `BASE_GLA` is bits 63:12).
pub struct TruncatesGlaRange;

impl Wrappers for TruncatesGlaRange {
    const NAME: &'static str = "planted: TDG.VP.INVGLA truncates the base GLA to 48 bits";
    const TDCALL_DEFAULTS: bool = true;

    #[inline(always)]
    fn invgla(&self, vm: L2Vm, range: GlaRange) -> Result<(), TdxStatus> {
        let entry = range.raw() & 0x0000_ffff_ffff_ffff;
        let rax: u64;
        // SAFETY: registers declared as the production wrapper; the defect is the entry.
        unsafe {
            asm!(
                ".byte 0x66, 0x0f, 0x01, 0xcc",
                inlateout("rax") 27u64 => rax,
                in("rcx") (vm.get() as u64) << 52,
                inlateout("rdx") entry => _,
                options(nostack),
            );
        }
        if rax != 0 {
            return Err(TdxStatus::from_raw(rax));
        }
        Ok(())
    }
}

/// TDG.MR.RTMR.EXTEND refusing RTMR 3 itself, with no TDCALL: an input the module accepts.
pub struct RefusesValidRtmr;

impl Wrappers for RefusesValidRtmr {
    const NAME: &'static str = "planted: TDG.MR.RTMR.EXTEND refuses RTMR 3 without a TDCALL";
    const TDCALL_DEFAULTS: bool = true;

    #[inline(always)]
    fn rtmr_extend(&self, data: AlignedGpa<64>, index: RtmrIndex) -> Result<(), TdxStatus> {
        if index.get() == 3 {
            return Err(TdxStatus::from_raw(
                tdx_model::status::TDX_OPERAND_INVALID + tdx_model::status::operand::RDX,
            ));
        }
        tdcall::tdg_mr_rtmr_extend(data, index)
    }
}

/// TDG.MEM.PAGE.ACCEPT refusing 1 GiB pages itself, as the module does, but with the operand
/// id left out of the status it returns.
pub struct RefusesWithoutOperand;

impl Wrappers for RefusesWithoutOperand {
    const NAME: &'static str =
        "planted: TDG.MEM.PAGE.ACCEPT refuses 1 GiB pages without a TDCALL, status without operand";
    const TDCALL_DEFAULTS: bool = true;

    #[inline(always)]
    unsafe fn accept(&self, page: AcceptPage) -> Result<Accepted, TdxStatus> {
        if page.level() == PageLevel::Size1G {
            return Err(TdxStatus::from_raw(tdx_model::status::TDX_OPERAND_INVALID));
        }
        // SAFETY: forwarded from the caller.
        unsafe { tdcall::tdg_mem_page_accept(page) }
    }
}

/// TDG.VP.VEINFO.GET version 1 keeping only RCX bits 31:0 (the #VE category of bits 39:32,
/// which only modules with leaf version 1 return, is lost).
pub struct DropsVeCategory;

impl Wrappers for DropsVeCategory {
    const NAME: &'static str = "planted: TDG.VP.VEINFO.GET v1 drops the #VE category";
    const TDCALL_DEFAULTS: bool = true;
    const VEINFO_GET_MAX_VERSION: u8 = 2;

    #[inline(always)]
    fn veinfo_get_v1(&self) -> Result<VeInfoExt, TdxStatus> {
        tdcall::tdg_vp_veinfo_get_v1().map(|v| VeInfoExt {
            ve_category: 0,
            ..v
        })
    }
}

/// TDG.SERVTD.RD folding the binding failures (a handle whose TDR is not the target's,
/// `TDX_SERVTD_NOT_BOUND`, `_UUID_MISMATCH`, `_INFO_HASH_MISMATCH`: each reported after a
/// cross-TD-trap TD exit) into a bare
/// `TDX_OPERAND_INVALID`, as a wrapper written for modules where they never return would.
pub struct FoldsBindingFailures;

impl Wrappers for FoldsBindingFailures {
    const NAME: &'static str = "planted: TDG.SERVTD.RD folds binding failures into OPERAND_INVALID";
    const TDCALL_DEFAULTS: bool = true;

    #[inline(always)]
    fn servtd_rd(
        &self,
        binding: u64,
        field: FieldId,
        uuid: TdUuid,
    ) -> Result<(u64, Option<FieldId>), ServtdError> {
        use tdx_model::status as st;
        match tdcall::leaf15::tdg_servtd_rd(binding, field, uuid) {
            Err(ServtdError::Status(s))
                if [
                    st::TDX_SERVTD_NOT_BOUND,
                    st::TDX_SERVTD_UUID_MISMATCH,
                    st::TDX_SERVTD_INFO_HASH_MISMATCH,
                ]
                .contains(&(s.raw() & !0xffff_ffff))
                    || s.raw() == st::TDX_OPERAND_INVALID + st::operand::TDR =>
            {
                Err(ServtdError::Status(TdxStatus::from_raw(
                    st::TDX_OPERAND_INVALID,
                )))
            }
            other => other,
        }
    }
}

/// TDG.SYS.RDALL written for 1.5 modules: any success is the end of the list (on 2.0.16 and
/// later a success with R8 ≠ −1 means "more to read", and the rest of the list is lost).
pub struct RdAllSuccessIsComplete;

impl Wrappers for RdAllSuccessIsComplete {
    const NAME: &'static str = "planted: TDG.SYS.RDALL takes every success as the end of the list";
    const TDCALL_DEFAULTS: bool = true;

    #[inline(always)]
    unsafe fn sys_rdall(&self, list: AlignedGpa<4096>, first: u64) -> Result<RdAll, TdxStatus> {
        let (rax, r8): (u64, u64);
        // SAFETY: registers declared as the production wrapper; the caller owns the buffer.
        // The defect is the decoding below.
        unsafe {
            asm!(
                ".byte 0x66, 0x0f, 0x01, 0xcc",
                inlateout("rax") 12u64 => rax,
                in("rdx") list.raw(),
                inlateout("r8") first => r8,
                options(nostack),
            );
        }
        let st = TdxStatus::from_raw(rax);
        if st.is_success() {
            Ok(RdAll::Complete)
        } else if st.is(StatusCode::MetadataListOverflow) {
            Ok(RdAll::Overflow { next: r8 })
        } else {
            Err(st)
        }
    }
}

/// TDG.MR.KEY.GET without R9 among the registers it declares written, reporting the 128-bit
/// size the module's source always returns instead of reading it.
pub struct KeyGetMissesR9;

impl Wrappers for KeyGetMissesR9 {
    const NAME: &'static str = "planted: TDG.MR.KEY.GET misses the R9 clobber";
    const TDCALL_DEFAULTS: bool = true;

    #[inline(always)]
    unsafe fn mr_key_get(
        &self,
        request: AlignedGpa<128>,
        key: AlignedGpa<32>,
        requestor: KeyRequestor,
    ) -> Result<KeySize, TdxStatus> {
        let rax: u64;
        // SAFETY: deliberately wrong (R9 is written by the module on success but not
        // declared); only run under the trap backend, where the damage is detected.
        unsafe {
            asm!(
                ".byte 0x66, 0x0f, 0x01, 0xcc",
                inlateout("rax") 29u64 => rax,
                in("rcx") request.raw(),
                in("rdx") key.raw(),
                in("r8") u64::from(requestor.raw()),
                options(nostack),
            );
        }
        if rax != 0 {
            return Err(TdxStatus::from_raw(rax));
        }
        Ok(KeySize(128))
    }
}

/// TDG.MR.KEY.GET reporting the key size in bytes where R9 gives bits.
pub struct KeySizeInBytes;

impl Wrappers for KeySizeInBytes {
    const NAME: &'static str = "planted: TDG.MR.KEY.GET reports the key size in bytes";
    const TDCALL_DEFAULTS: bool = true;

    #[inline(always)]
    unsafe fn mr_key_get(
        &self,
        request: AlignedGpa<128>,
        key: AlignedGpa<32>,
        requestor: KeyRequestor,
    ) -> Result<KeySize, TdxStatus> {
        // SAFETY: forwarded from the caller.
        unsafe { tdcall::tdg_mr_key_get(request, key, requestor) }.map(|s| KeySize(s.bits() / 8))
    }
}

/// Instruction.HLT through a trampoline that ignores RAX: a module refusal (the VMM never saw
/// the call) is read as the VMM's success in R10.
pub struct IgnoresModuleRefusal;

impl Wrappers for IgnoresModuleRefusal {
    const NAME: &'static str = "planted: Instruction.HLT ignores the module's refusal (RAX)";
    const TDCALL_DEFAULTS: bool = true;

    #[inline(always)]
    fn hlt(&self, interrupts_blocked: bool) -> Result<(), VmcallError> {
        let regs = [
            0,
            subfunction::INSTRUCTION_HLT,
            u64::from(interrupts_blocked),
            0,
            0,
            0,
        ];
        // SAFETY: R10-R12 only, as the production wrapper; the defect is dropping RAX.
        let o = unsafe { tdvmcall_thin::<0x1c00, 0x0400>(regs) }.unwrap_or(regs);
        match o[0] {
            0 => Ok(()),
            s => Err(VmcallError::Vmm(VmcallStatus(s))),
        }
    }
}

/// Instruction.HLT that stops the process when the module refuses the TDVMCALL, without
/// declaring that fail-stop (`Wrappers::HALTS_ON_MODULE_REFUSAL`).
pub struct HaltsUndeclared;

impl Wrappers for HaltsUndeclared {
    const NAME: &'static str = "planted: Instruction.HLT stops on a module refusal, undeclared";
    const TDCALL_DEFAULTS: bool = true;

    #[inline(always)]
    fn hlt(&self, interrupts_blocked: bool) -> Result<(), VmcallError> {
        match tdcall::vmcall::hlt(interrupts_blocked) {
            Err(VmcallError::Module(_)) => std::process::abort(),
            other => other,
        }
    }
}

/// TDG.SERVTD.WR returning the value written instead of the field's previous value (R8): seen
/// only on a write that succeeds, which needs a field the service TD may write.
pub struct ServtdWrReturnsNewValue;

impl Wrappers for ServtdWrReturnsNewValue {
    const NAME: &'static str = "planted: TDG.SERVTD.WR returns the new value, not the old";
    const TDCALL_DEFAULTS: bool = true;

    #[inline(always)]
    fn servtd_wr(
        &self,
        binding: u64,
        field: FieldId,
        value: u64,
        mask: u64,
        uuid: TdUuid,
    ) -> Result<u64, ServtdError> {
        tdcall::leaf15::tdg_servtd_wr(binding, field, value, mask, uuid).map(|_| value & mask)
    }
}

/// ReportFatalError whose register set is built once, before its loop: when the VMM resumes
/// the TD, the repeated call sends what the trampoline left in it (the exposed registers
/// cleared after the first call), not the error code and message.
pub struct FatalRegsOutsideLoop;

impl Wrappers for FatalRegsOutsideLoop {
    const NAME: &'static str =
        "planted: ReportFatalError builds its registers once, outside its loop";
    const TDCALL_DEFAULTS: bool = true;

    #[inline(always)]
    fn report_fatal_error(&self, code: u64, data: Option<Gpa>, message: &[u8]) -> ! {
        let mut bytes = [0u8; 64];
        let n = message.len().min(64);
        bytes[..n].copy_from_slice(&message[..n]);
        let word = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&bytes[i * 8..i * 8 + 8]);
            u64::from_le_bytes(w)
        };
        let (r12, r13) = match data {
            Some(g) => (code | 1 << 63, g.raw()),
            None => (code & !(1 << 63), 0),
        };
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
        loop {
            // SAFETY: FAT is the fat trampoline's own register set; the defect is reusing it.
            let _ = unsafe { tdvmcall_fat::<{ expose::FAT }, 0>(&mut regs) };
        }
    }
}

/// TDG.MR.REPORT that drops the requestor id (R8 bits 9:8): every report reads as the L1
/// TD's, seen only with a requestor other than 0 (modules 1.5.34 and 2.0.18).
pub struct ReportDropsRequestor;

impl Wrappers for ReportDropsRequestor {
    const NAME: &'static str = "planted: TDG.MR.REPORT drops the requestor id";
    const TDCALL_DEFAULTS: bool = true;

    #[inline(always)]
    unsafe fn report(
        &self,
        report: AlignedGpa<1024>,
        data: AlignedGpa<64>,
        subtype: u8,
        _requestor: ReportRequestor,
    ) -> Result<(), TdxStatus> {
        // SAFETY: forwarded from the caller.
        unsafe { tdcall::tdg_mr_report(report, data, subtype, ReportRequestor::default()) }
    }
}

/// ReportFatalError that stops the process when the module refuses its TDVMCALL, without
/// declaring that fail-stop: the VMM is never told why the TD died.
pub struct FatalHaltsOnRefusal;

impl Wrappers for FatalHaltsOnRefusal {
    const NAME: &'static str = "planted: ReportFatalError stops on a module refusal, undeclared";
    const TDCALL_DEFAULTS: bool = true;

    #[inline(always)]
    fn report_fatal_error(&self, code: u64, data: Option<Gpa>, message: &[u8]) -> ! {
        let mut bytes = [0u8; 64];
        let n = message.len().min(64);
        bytes[..n].copy_from_slice(&message[..n]);
        let word = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&bytes[i * 8..i * 8 + 8]);
            u64::from_le_bytes(w)
        };
        let (r12, r13) = match data {
            Some(g) => (code | 1 << 63, g.raw()),
            None => (code & !(1 << 63), 0),
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
            // SAFETY: FAT is the fat trampoline's own register set, as the production wrapper.
            if unsafe { tdvmcall_fat::<{ expose::FAT }, 0>(&mut regs) }.is_err() {
                std::process::abort();
            }
        }
    }
}

/// `accept_range` that retries `TDX_OPERAND_BUSY` without bound: a host that holds a page's
/// lock keeps the TD spinning (the caller's bound is ignored).
pub struct AcceptBusyUnbounded;

impl Wrappers for AcceptBusyUnbounded {
    const NAME: &'static str = "planted: accept_range retries OPERAND_BUSY without bound";
    const TDCALL_DEFAULTS: bool = true;

    #[inline(always)]
    unsafe fn accept_range(
        &self,
        start: u64,
        len: u64,
        options: AcceptOptions,
    ) -> Result<AcceptStats, AcceptError> {
        let unbounded = AcceptOptions {
            busy_retries: u32::MAX,
            ..options
        };
        // SAFETY: forwarded from the caller.
        unsafe { tdcall::accept::accept_range(start, len, unbounded) }
    }
}

/// `accept_range` over a TDG.MEM.PAGE.ACCEPT that keeps only the status class (bits 63:32):
/// without the operand id, the helper cannot tell a refused page size (`TDX_OPERAND_INVALID`
/// on RCX, 1 GiB on modules 1.x) from a refused address, and fails the whole range.
pub struct AcceptNoSizeFallback;

impl Wrappers for AcceptNoSizeFallback {
    const NAME: &'static str =
        "planted: accept_range gives up when the module refuses the 1 GiB size";
    const TDCALL_DEFAULTS: bool = true;

    #[inline(always)]
    unsafe fn accept_range(
        &self,
        start: u64,
        len: u64,
        options: AcceptOptions,
    ) -> Result<AcceptStats, AcceptError> {
        accept_range_with(start, len, options, |p| {
            // SAFETY: forwarded from the caller.
            let r = unsafe { tdcall::tdg_mem_page_accept(p) };
            // The defect: the operand id (bits 31:0) is dropped.
            r.map_err(|st| TdxStatus::from_raw(st.raw() & !0xffff_ffff))
        })
    }
}

/// `convert_range` that retries a MapGPA making no progress without bound: a VMM that answers
/// `RETRY` at the same address keeps the TD in the loop.
pub struct ConvertStallsUnbounded;

impl Wrappers for ConvertStallsUnbounded {
    const NAME: &'static str = "planted: convert_range retries a stalled MapGPA without bound";
    const TDCALL_DEFAULTS: bool = true;

    #[inline(always)]
    fn convert_range(
        &self,
        gpa: u64,
        len: u64,
        to_shared: bool,
        gpa_width: u8,
        max_stalls: u32,
    ) -> Result<(), VmcallError> {
        let _ = max_stalls;
        tdcall::vmcall::convert_range(gpa, len, to_shared, gpa_width, u32::MAX)
    }
}

/// Instruction.CPUID through a trampoline that keeps the stack pointer in RBP across the
/// TDCALL (a frame-pointer prologue) and exposes RBP, RSI and RDI: the VMM's RBP becomes the
/// stack pointer, so a hostile VMM crashes the TD (or steers it), and RSI/RDI show the VMM
/// whatever the caller had there.
pub struct ExposesFramePointer;

impl Wrappers for ExposesFramePointer {
    const NAME: &'static str = "planted: Instruction.CPUID exposes RBP, RSI and RDI";
    const TDCALL_DEFAULTS: bool = true;

    #[inline(always)]
    fn cpuid(&self, leaf: u32, subleaf: u32) -> Result<CpuidResult, VmcallError> {
        const MASK: u64 = 0xfc00 | 1 << 5 | 1 << 6 | 1 << 7;
        let (rax, r10, r12, r13, r14, r15): (u64, u64, u64, u64, u64, u64);
        // SAFETY: deliberately wrong (RBP, RSI and RDI are exposed; the VMM's RBP is loaded
        // into RSP); only run under the trap backend, inside the campaign's child process.
        unsafe {
            asm!(
                "push rbp",
                "mov rbp, rsp",
                ".byte 0x66, 0x0f, 0x01, 0xcc",
                "mov rsp, rbp",
                "pop rbp",
                inlateout("rax") 0u64 => rax,
                inlateout("rcx") MASK => _,
                inlateout("r10") 0u64 => r10,
                inlateout("r11") subfunction::INSTRUCTION_CPUID => _,
                inlateout("r12") u64::from(leaf) => r12,
                inlateout("r13") u64::from(subleaf) => r13,
                lateout("r14") r14,
                lateout("r15") r15,
                lateout("rsi") _,
                lateout("rdi") _,
            );
        }
        if rax != 0 {
            return Err(VmcallError::Module(TdxStatus::from_raw(rax)));
        }
        if r10 != 0 {
            return Err(VmcallError::Vmm(VmcallStatus(r10)));
        }
        Ok(CpuidResult {
            eax: r12 as u32,
            ebx: r13 as u32,
            ecx: r14 as u32,
            edx: r15 as u32,
        })
    }
}

/// Instruction.HLT that ends the process (exit status 0, as a guest's `exit()` on an error
/// path would) when the VMM answers anything but SUCCESS: the call never returns, yet the
/// process ends "successfully".
pub struct ExitsOnVmmError;

impl Wrappers for ExitsOnVmmError {
    const NAME: &'static str = "planted: Instruction.HLT exits the process on a VMM error";
    const TDCALL_DEFAULTS: bool = true;

    #[inline(always)]
    fn hlt(&self, interrupts_blocked: bool) -> Result<(), VmcallError> {
        let r = tdcall::vmcall::hlt(interrupts_blocked);
        if r.is_err() {
            // The defect: the process ends with status 0 in the middle of the call.
            std::process::exit(0);
        }
        r
    }
}

/// TDG.VP.ENTER written for 1.5.05, where a failed VMLAUNCH/VMRESUME never came back: only the
/// operand errors and a pending interrupt are errors, so 1.5.34's `TDX_L2_VM_ENTRY_FAILED` is
/// taken for an L2 exit with reason 0xFFFF.
pub struct L2EntryFailureAsExit;

impl Wrappers for L2EntryFailureAsExit {
    const NAME: &'static str = "planted: TDG.VP.ENTER takes TDX_L2_VM_ENTRY_FAILED for an L2 exit";
    const TDCALL_DEFAULTS: bool = true;

    #[inline(always)]
    unsafe fn vp_enter(
        &self,
        vm: L2Vm,
        invalidate: EnterInvalidate,
        state: AlignedGpa<256>,
    ) -> Result<L2Exit, TdxStatus> {
        // SAFETY: forwarded; the caller owns the state buffer.
        match unsafe { tdcall::leaf15::tdg_vp_enter(vm, invalidate, state) } {
            Err(s) if s.is(StatusCode::L2VmEntryFailed) => Ok(L2Exit {
                status: s,
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
            }),
            other => other,
        }
    }
}

/// Runs a program through one planted bug, on every modelled module version (as the fuzz
/// targets run the production wrappers); the first failure.
pub type Runner = Box<dyn FnMut(&tdx_oracle::call::Program) -> Result<(), tdx_oracle::Failure>>;

fn runner_of<W: Wrappers + 'static>(wrappers: W) -> Runner {
    let mut oracle = tdx_oracle::Oracle::new(wrappers, 0x7d_c411);
    Box::new(move |program| oracle.run_program_on_every_version(program, |_, _| {}))
}

/// The runner of [`PLANTED`]`[index]`'s bug (a trap session on this thread: one at a time),
/// or `None` past the list. For the time-to-detect benchmark's fuzz target.
pub fn planted_runner(index: usize) -> Option<Runner> {
    let (name, _, _) = PLANTED.get(index)?;
    let runner = match *name {
        MissingClobber::NAME => runner_of(MissingClobber),
        WrongOutputRegister::NAME => runner_of(WrongOutputRegister),
        WrongLeafNumber::NAME => runner_of(WrongLeafNumber),
        IgnoresError::NAME => runner_of(IgnoresError),
        LosesOperand::NAME => runner_of(LosesOperand),
        ExposesLiveRegister::NAME => runner_of(ExposesLiveRegister),
        MissingVmmClobber::NAME => runner_of(MissingVmmClobber),
        TrustsResume::NAME => runner_of(TrustsResume),
        UnmaskedIo::NAME => runner_of(UnmaskedIo),
        XmmBit::NAME => runner_of(XmmBit),
        EnterMissesR14::NAME => runner_of(EnterMissesR14),
        DropsUpdatedUuid::NAME => runner_of(DropsUpdatedUuid),
        InvglaListRdxInputOnly::NAME => runner_of(InvglaListRdxInputOnly),
        DropsInputChecks::NAME => runner_of(DropsInputChecks),
        KeepsVmmValues::NAME => runner_of(KeepsVmmValues),
        ReportScribbles::NAME => runner_of(ReportScribbles),
        TruncatesGlaRange::NAME => runner_of(TruncatesGlaRange),
        _ => unreachable!("{name}: listed in PLANTED without a runner"),
    };
    Some(runner)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The listed bugs the seeds alone may miss, and why: the fuzzer has to find them.
    const NOT_BY_THE_SEEDS: [(&str, &str); 2] = [
        (
            MissingVmmClobber::NAME,
            "shows only where the compiler keeps a live value in R12 across the call, as a \
             clobber or, when that value is then used, as the VMM's value used (hygiene); the \
             static asm check catches it in every build",
        ),
        (
            UnmaskedIo::NAME,
            "needs a hostile VMM's SUCCESS whose data has bits above the access size",
        ),
    ];

    #[test]
    fn every_listed_bug_has_a_runner_and_the_seeds_catch_it() {
        // Each runner is its bug: the seeds of its target catch it with its verdict (what the
        // time-to-detect benchmark then measures under libFuzzer), except the bugs listed.
        for (i, (name, verdict, target)) in PLANTED.iter().enumerate() {
            let found = std::thread::scope(|s| {
                s.spawn(|| {
                    let mut run = planted_runner(i).expect("a runner");
                    tdx_oracle::seeds::seeds(*target)
                        .iter()
                        .find_map(|(_, p)| run(p).err())
                        .map(|f| f.verdict)
                })
                .join()
                .expect("the runner's thread")
            });
            let excused = || NOT_BY_THE_SEEDS.iter().any(|(n, _)| n == name);
            match found {
                Some(Verdict::Hygiene) if *name == MissingVmmClobber::NAME => {}
                Some(v) => assert_eq!(v, *verdict, "{name} on {}", target.name()),
                None => assert!(excused(), "{name}: the seeds of {} miss it", target.name()),
            }
        }
        assert!(planted_runner(PLANTED.len()).is_none());
    }
}

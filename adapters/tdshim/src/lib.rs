//! td-shim's `tdx-tdcall` 0.2.1 (crates.io) as a [`tdx_oracle::Wrappers`] implementation, so
//! that the oracle checks its calls the way it checks this workspace's `tdcall`.
//!
//! Each method calls td-shim's function for the leaf and converts what it returns into this
//! workspace's typed result, keeping exactly what td-shim keeps: where td-shim's types lose
//! information (an error enum without the status, outputs it does not copy), the adapter does
//! not reconstruct it, and the oracle's decoding verdict reports the loss.
//!
//! td-shim's memory operands are Rust references, slices or its own buffers; the harness
//! identity-maps GPA = host address, so a GPA becomes a pointer of the same value. td-shim
//! never dereferences the pointers it turns into GPAs (the simulated module reads and writes
//! the arena through its own mapping), except `tdcall_report`, whose buffers are its own.
//!
//! Call kinds: [`TdShim::provides`] is true exactly for the kinds td-shim wraps and the oracle
//! models (see `PROVIDED`), plus the VMM switch and the forced-status kind, which drives
//! td-shim's wrappers of the leaves it covers (and TDG.VP.CPUIDVE.SET, which td-shim has no
//! wrapper for, through td-shim's own generic `td_call` primitive).
//!
//! Before the first call in a process, call [`warm_up`] under an active trap session:
//! td-shim computes its shared-GPA mask lazily with a hidden TDG.VP.INFO on first use (see
//! `docs/findings/tdshim-policy.md`), which would otherwise show up as a second TDCALL inside
//! whichever call comes first.
#![cfg(all(target_arch = "x86_64", target_os = "linux"))]
#![deny(unsafe_op_in_unsafe_fn, missing_docs)]
#![warn(clippy::undocumented_unsafe_blocks)]

use core::sync::atomic::{AtomicU64, Ordering};

use tdcall::leaf15::{
    AttrWrError, EnterInvalidate, GlaList, GlaRange, GpaAttrs, L2Exit, L2Vm, PageMapping,
    ServtdError, TdUuid,
};
use tdcall::vmcall::{
    AccessSize, CpuidResult, MapGpaProgress, SharedGpa, VmcallError, VmcallStatus,
};
use tdcall::{
    AcceptPage, Accepted, AlignedGpa, CpuidVe, FieldId, InputError, PageLevel, ReportRequestor,
    RtmrIndex, TdAttributes, TdInfo, TdxStatus, VeInfo,
};
use tdx_oracle::call::Kind;
use tdx_oracle::Verdict;
use tdx_oracle::{quantity, Failure, Policy, Wrappers, CONVERT_RANGE};
use tdx_tdcall::tdx::{self as shim, TdxDigest};
use tdx_tdcall::{tdreport, TdCallError, TdVmcallError};

/// td-shim's `tdx-tdcall` 0.2.1 under test.
pub struct TdShim;

/// The call kinds td-shim 0.2.1 wraps and the oracle models, with the td-shim function used.
pub const PROVIDED: &[(Kind, &str)] = &[
    (Kind::VpInfo, "tdcall_get_td_info"),
    (Kind::RtmrExtend, "tdcall_extend_rtmr"),
    (Kind::VeinfoGet, "tdcall_get_ve_info"),
    (Kind::Report, "tdreport::tdcall_report"),
    (Kind::Accept, "tdcall_accept_page"),
    (Kind::VmRd, "tdcall_vm_read(field, 0)"),
    (Kind::VmRdV1, "tdcall_vm_read(field, 1)"),
    (Kind::VmRdFirst, "tdcall_vm_read(u64::MAX, 1)"),
    (Kind::VmWr, "tdcall_vm_write"),
    (Kind::VpRd, "tdcall_vp_read"),
    (Kind::VpWr, "tdcall_vp_write"),
    (Kind::SysRd, "tdcall_sys_rd"),
    (Kind::ServtdRd, "tdcall_servtd_rd"),
    (Kind::ServtdWr, "tdcall_servtd_wr"),
    (Kind::AttrWr, "tdcall_mem_page_attr_wr"),
    (Kind::VpEnter, "tdcall_vp_enter"),
    (Kind::Invept, "tdcall_vp_invept"),
    (Kind::Invgla, "tdcall_vp_invvpid (single)"),
    (Kind::InvglaList, "tdcall_vp_invvpid (list)"),
    (Kind::VmcallMapGpa, "tdvmcall_mapgpa"),
    (
        Kind::VmcallConvert,
        "tdvmcall_mapgpa (inside convert_range)",
    ),
    (Kind::VmcallGetQuote, "tdvmcall_get_quote"),
    (Kind::VmcallNotify, "tdvmcall_setup_event_notify"),
    (Kind::VmcallService, "tdvmcall_service"),
    (Kind::VmcallCpuid, "tdvmcall_cpuid"),
    (Kind::VmcallHlt, "tdvmcall_halt"),
    (
        Kind::VmcallIo,
        "tdvmcall_io_read_8/16/32, tdvmcall_io_write_8/16/32",
    ),
    (Kind::VmcallRdmsr, "tdvmcall_rdmsr"),
    (Kind::VmcallWrmsr, "tdvmcall_wrmsr"),
    (
        Kind::VmcallMmio,
        "tdvmcall_mmio_read/write::<u8/u16/u32/u64>",
    ),
    // Not a call: the choice of VMM, and statuses forced on the leaves above.
    (Kind::SetVmm, "-"),
    (
        Kind::ForcedStatus,
        "the wrappers above (+ td_call for TDG.VP.CPUIDVE.SET)",
    ),
];

/// Kinds td-shim 0.2.1 does not wrap, with why.
pub const NOT_PROVIDED: &[(Kind, &str)] = &[
    (Kind::CpuidveSet, "no wrapper (only the generic td_call)"),
    (
        Kind::AcceptRange,
        "td_accept_memory panics on errors and reports nothing: no AcceptStats shape",
    ),
    (Kind::SysRdAll, "no wrapper"),
    (Kind::VerifyReport, "no wrapper"),
    (
        Kind::MrKeyGet,
        "no wrapper (td-shim 0.2.1 predates TDX module 1.5.34)",
    ),
    (Kind::AttrRd, "no wrapper"),
    (Kind::VmcallInfo, "no wrapper"),
    (Kind::VmcallWbinvd, "no wrapper"),
    (Kind::VmcallKvm, "no wrapper"),
    (Kind::VmcallFatal, "no wrapper"),
];

/// What the adapter returns for an MMIO write it does not pass to td-shim (undefined behaviour
/// in td-shim for sizes below 8).
pub const MMIO_WRITE_UB: &str =
    "td-shim mmio_write of fewer than 8 bytes (undefined behaviour, not called)";

/// td-shim's MapGPA loop has a stall bound of its own (`MAX_RETRIES_PER_PAGE` = 3).
const STALL_BOUND: &str =
    "MapGPA gives up at the third RETRY without progress (its own bound; the GHCI sets none)";

/// td-shim's policy differences (`docs/findings/tdshim-policy.md`), by verdict, leaf and the
/// field that differs.
pub const POLICY: &[Policy] = &[
    Policy::new(
        Verdict::Semantics,
        CONVERT_RANGE,
        quantity::GAVE_UP_AFTER_STALLS,
        STALL_BOUND,
    )
    .when(|stalls, _| stalls == Some(3)),
    Policy::new(
        Verdict::Encoding,
        "MapGPA",
        quantity::TDCALLS,
        "MapGPA loops until the whole range is converted",
    )
    .when(|calls, _| calls > Some(1)),
    Policy::new(
        Verdict::Refusal,
        CONVERT_RANGE,
        quantity::CALLS_ON_INVALID_RANGE,
        "MapGPA sends the range unchecked",
    ),
    // RFLAGS.IF is set in the harness (user space): td-shim then says "not blocked".
    Policy::new(
        Verdict::Encoding,
        "Instruction.HLT",
        "interrupts_blocked",
        "HLT reads RFLAGS.IF itself",
    )
    .when(|got, want| got == Some(0) && want == Some(1)),
    Policy::new(
        Verdict::Encoding,
        "TDG.MR.REPORT",
        "RCX",
        "TDG.MR.REPORT uses td-shim's own buffers",
    ),
    Policy::new(
        Verdict::Encoding,
        "TDG.MR.REPORT",
        "RDX",
        "TDG.MR.REPORT uses td-shim's own buffers",
    ),
    Policy::new(
        Verdict::Encoding,
        "TDG.MR.REPORT",
        "R8",
        "TDG.MR.REPORT takes neither a sub-type nor a requestor id (R8 is always 0)",
    )
    .when(|got, _| got == Some(0)),
    // td-shim's `tdcall_servtd_wr` always writes R9 = all ones.
    Policy::new(
        Verdict::Encoding,
        "TDG.SERVTD.WR",
        "R9",
        "TDG.SERVTD.WR has no write mask",
    )
    .when(|got, _| got == Some(u64::MAX)),
];

/// The shared-GPA mask td-shim uses (its private `SHARED_MASK`), as [`warm_up`] read it.
static SHARED_MASK: AtomicU64 = AtomicU64::new(0);

/// Initializes td-shim's lazily computed shared-GPA mask (one hidden TDG.VP.INFO) and records
/// the same mask for the adapter. Needs an active trap session on this thread (an
/// [`tdx_oracle::Oracle`] or [`tdx_trap::Session`]); idempotent.
pub fn warm_up() {
    // td-shim's `tdvmcall_service` evaluates `*SHARED_MASK` (forcing its lazy_static) before it
    // checks alignment; the empty slices' dangling pointer (1) is not 4 KiB aligned, so it
    // returns `VmcallAlignError` without a TDVMCALL.
    let r = shim::tdvmcall_service(&[], &mut [], 0, 0);
    debug_assert_eq!(r, Err(TdVmcallError::VmcallAlignError));
    let mask = shim::td_shared_mask().expect("td-shim: GPA width is 48 or 52");
    SHARED_MASK.store(mask, Ordering::Relaxed);
}

/// Whether `len` bytes at address `addr` lie in the arena of this thread's trap session
/// (memory this process owns, where a reference may be made).
fn in_arena(addr: u64, len: usize) -> bool {
    tdx_trap::current_arena().is_some_and(|(base, size)| {
        addr >= base
            && addr
                .checked_add(len as u64)
                .is_some_and(|end| end <= base + size as u64)
    })
}

fn shared_mask() -> u64 {
    let m = SHARED_MASK.load(Ordering::Relaxed);
    assert!(m != 0, "call tdx_adapter_tdshim::warm_up() first");
    m
}

/// The whole status that td-shim's `TdCallError` keeps: all 64 bits in every variant.
/// `TdxExitInvalidParameters` is td-shim's own (a UUID slice of the wrong length) and is never
/// produced here: the adapter always passes four UUID words.
pub fn status_of(e: TdCallError) -> TdxStatus {
    TdxStatus::from_raw(raw_status(e))
}

fn raw_status(e: TdCallError) -> u64 {
    match e {
        TdCallError::TdxExitReasonOperandBusy(d) => 0x8000_0200_0000_0000 | u64::from(d),
        TdCallError::TdxExitReasonOperandInvalid(d) => 0xC000_0100_0000_0000 | u64::from(d),
        TdCallError::LeafSpecific(raw) => raw,
        TdCallError::TdxExitInvalidParameters => {
            unreachable!("td-shim's own parameter check; the adapter passes four UUID words")
        }
    }
}

/// td-shim's `TdVmcallError` keeps four GHCI statuses by name and folds every other value
/// (and its own refusals) into `Other`. `Other` carries no status: it becomes
/// [`VmcallError::Untrusted`] with value 0, which names the loss instead of inventing a status.
pub fn vmcall_error(e: TdVmcallError) -> VmcallError {
    match e {
        TdVmcallError::VmcallRetry => VmcallError::Vmm(VmcallStatus::RETRY),
        TdVmcallError::VmcallOperandInvalid => VmcallError::Vmm(VmcallStatus::INVALID_OPERAND),
        TdVmcallError::VmcallGpaInuse => VmcallError::Vmm(VmcallStatus::GPA_INUSE),
        TdVmcallError::VmcallAlignError => VmcallError::Vmm(VmcallStatus::ALIGN_ERROR),
        TdVmcallError::Other => VmcallError::Untrusted {
            what: "status (td-shim TdVmcallError::Other keeps no value)",
            value: 0,
        },
    }
}

/// A metadata field id the module returned, taken as it is (as `tdcall`'s own `from_module`).
fn module_field(raw: u64) -> FieldId {
    // SAFETY: `FieldId` is `#[repr(transparent)]` over `u64` and has no validity invariant
    // beyond that (its constructor's checks describe which ids the module accepts as input).
    unsafe { core::mem::transmute::<u64, FieldId>(raw) }
}

/// A read with the null field id succeeds with the information status
/// `TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT` exactly (ABI fact sheet §3.2, TDG.VM.RD), never with
/// status 0. td-shim returns RDX only on status 0, so its `Ok` is the error "status 0", and its
/// `Err` (the information status included) is the status alone: the first field id is lost.
fn first_field(r: Result<(u64, u64), TdCallError>) -> Result<FieldId, TdxStatus> {
    match r {
        Ok(_) => Err(TdxStatus::from_raw(0)),
        Err(e) => Err(status_of(e)),
    }
}

fn next_field(raw: u64) -> Option<FieldId> {
    (raw != u64::MAX).then(|| module_field(raw))
}

/// `len` bytes at host address `addr` into `buf`, or zeros where the address is not readable
/// (an arbitrary GPA the oracle generated). `process_vm_readv` on this process reports a bad
/// address as `EFAULT` instead of faulting.
fn copy_in(addr: u64, buf: &mut [u8]) {
    let local = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    let remote = libc::iovec {
        iov_base: addr as *mut libc::c_void,
        iov_len: buf.len(),
    };
    // SAFETY: the kernel checks the remote range and writes only `buf`.
    let n = unsafe { libc::process_vm_readv(libc::getpid(), &local, 1, &remote, 1, 0) };
    if n != buf.len() as isize {
        buf.fill(0);
    }
}

/// `data` to host address `addr` if it is writable (see [`copy_in`]).
fn copy_out(addr: u64, data: &[u8]) {
    let local = libc::iovec {
        iov_base: data.as_ptr() as *mut libc::c_void,
        iov_len: data.len(),
    };
    let remote = libc::iovec {
        iov_base: addr as *mut libc::c_void,
        iov_len: data.len(),
    };
    // SAFETY: the kernel checks the remote range; `local` is only read.
    let _ = unsafe { libc::process_vm_writev(libc::getpid(), &local, 1, &remote, 1, 0) };
}

impl Wrappers for TdShim {
    const NAME: &'static str = "td-shim tdx-tdcall 0.2.1";
    // Exposes a fixed register set for every TDVMCALL and zero-fills what a call does not use:
    // reported as policy, not as a leak.
    const EXACT_MASK: bool = false;
    // `asm_td_vmcall` (src/asm/tdvmcall.asm) executes `ud2` when the module refuses the
    // TDVMCALL (`test rax, rax; jnz vmcall_panic`): fail-stop, as Linux's __tdx_hypercall.
    const HALTS_ON_MODULE_REFUSAL: bool = true;

    fn policy(&self, f: &Failure) -> Option<&'static str> {
        Policy::judge(POLICY, f)
    }

    #[inline(always)]
    fn provides(&self, kind: Kind) -> bool {
        PROVIDED.iter().any(|(k, _)| *k == kind)
    }

    /// `tdcall_extend_rtmr` takes `&TdxDigest`, `tdvmcall_get_quote` `&mut [u8]`.
    fn takes_memory_by_reference(&self, kind: Kind) -> bool {
        matches!(kind, Kind::RtmrExtend | Kind::VmcallGetQuote)
    }

    #[inline(always)]
    fn vp_info(&self) -> Result<TdInfo, TdxStatus> {
        let i = shim::tdcall_get_td_info().map_err(status_of)?;
        Ok(TdInfo {
            gpa_width: i.gpaw as u8,
            attributes: TdAttributes(i.attributes),
            num_vcpus: i.num_vcpus,
            max_vcpus: i.max_vcpus,
            vcpu_index: i.vcpu_index,
            // td-shim's TdInfo has no field for R10 (TDX 1.5: bit 0 = TDG.SYS.RD available).
            sys_rd_available: false,
        })
    }

    #[inline(always)]
    fn rtmr_extend(&self, data: AlignedGpa<64>, index: RtmrIndex) -> Result<(), TdxStatus> {
        let p = data.raw() as *const TdxDigest;
        if !in_arena(data.raw(), core::mem::size_of::<TdxDigest>()) {
            // td-shim takes `&TdxDigest`: a digest outside memory that exists cannot be
            // passed without undefined behaviour. The oracle does not ask for one
            // (`takes_memory_by_reference`); anyone else gets a refusal, never a reference.
            return Err(TdxStatus::from_raw(u64::MAX));
        }
        // SAFETY: the digest lies in the session's arena, memory this process owns (checked
        // above), and `p` is 64-byte aligned (`AlignedGpa<64>`), as `TdxDigest` requires.
        let digest = unsafe { &*p };
        shim::tdcall_extend_rtmr(digest, u32::from(index.get())).map_err(status_of)
    }

    #[inline(always)]
    fn veinfo_get(&self) -> Result<VeInfo, TdxStatus> {
        let v = shim::tdcall_get_ve_info().map_err(status_of)?;
        Ok(VeInfo {
            exit_reason: v.exit_reason,
            exit_qualification: v.exit_qualification,
            gla: v.guest_la,
            gpa: v.guest_pa,
            instruction_length: v.exit_instruction_length,
            instruction_info: v.exit_instruction_info,
        })
    }

    /// td-shim writes the TDREPORT into its own 1 KiB-aligned heap buffer (REPORTDATA copied
    /// right after it) and returns a copy: the caller chooses neither GPA nor the sub-type
    /// (always 0). The adapter copies REPORTDATA from `data` into td-shim's buffer and the
    /// returned report to `report`.
    #[inline(always)]
    unsafe fn report(
        &self,
        report: AlignedGpa<1024>,
        data: AlignedGpa<64>,
        _subtype: u8,
        _requestor: ReportRequestor,
    ) -> Result<(), TdxStatus> {
        let mut additional = [0u8; 64];
        copy_in(data.raw(), &mut additional);
        let r = tdreport::tdcall_report(&additional).map_err(status_of)?;
        copy_out(report.raw(), r.as_bytes());
        Ok(())
    }

    /// td-shim has no TDG.VP.CPUIDVE.SET wrapper; this goes through its generic `td_call`
    /// (reached only from forced-status calls: `provides(CpuidveSet)` is false).
    #[inline(always)]
    fn cpuidve_set(&self, config: CpuidVe) -> Result<(), TdxStatus> {
        let mut args = tdx_tdcall::TdcallArgs {
            rax: 5,
            rcx: config.to_rcx(),
            ..Default::default()
        };
        match tdx_tdcall::td_call(&mut args) {
            0 => Ok(()),
            raw => Err(TdxStatus::from_raw(raw)),
        }
    }

    /// `tdcall_accept_page` reports the warning `TDX_PAGE_ALREADY_ACCEPTED` as an error with
    /// the whole status; the adapter maps it to `Ok(AlreadyAccepted)` as td-shim's own
    /// `td_accept_pages` treats it (success).
    #[inline(always)]
    unsafe fn accept(&self, page: AcceptPage) -> Result<Accepted, TdxStatus> {
        match shim::tdcall_accept_page(page.to_rcx()) {
            Ok(()) => Ok(Accepted::Accepted),
            Err(e) => {
                let raw = raw_status(e);
                if raw & !0xffff_ffff == 0x0000_0B0A_0000_0000 {
                    let mapped_level = match raw & 0xffff_ffff {
                        0 => Some(PageLevel::Size4K),
                        1 => Some(PageLevel::Size2M),
                        2 => Some(PageLevel::Size1G),
                        _ => None,
                    };
                    if let Some(mapped_level) = mapped_level {
                        return Ok(Accepted::AlreadyAccepted { mapped_level });
                    }
                }
                Err(TdxStatus::from_raw(raw))
            }
        }
    }

    #[inline(always)]
    fn vm_rd(&self, field: FieldId) -> Result<u64, TdxStatus> {
        let (_, r8) = shim::tdcall_vm_read(field.raw(), 0).map_err(status_of)?;
        Ok(r8)
    }

    #[inline(always)]
    fn vm_rd_v1(&self, field: FieldId) -> Result<(u64, Option<FieldId>), TdxStatus> {
        let (rdx, r8) = shim::tdcall_vm_read(field.raw(), 1).map_err(status_of)?;
        Ok((r8, next_field(rdx)))
    }

    /// The null field id through `tdcall_vm_read(.., 1)`: see `first_field`.
    #[inline(always)]
    fn vm_rd_first(&self) -> Result<FieldId, TdxStatus> {
        first_field(shim::tdcall_vm_read(u64::MAX, 1))
    }

    #[inline(always)]
    fn vm_wr(&self, field: FieldId, value: u64, mask: u64) -> Result<u64, TdxStatus> {
        shim::tdcall_vm_write(field.raw(), value, mask).map_err(status_of)
    }

    #[inline(always)]
    fn vp_rd(&self, field: FieldId) -> Result<(u64, Option<FieldId>), TdxStatus> {
        let (rdx, r8) = shim::tdcall_vp_read(field.raw()).map_err(status_of)?;
        Ok((r8, next_field(rdx)))
    }

    #[inline(always)]
    fn vp_rd_first(&self) -> Result<FieldId, TdxStatus> {
        first_field(shim::tdcall_vp_read(u64::MAX))
    }

    #[inline(always)]
    fn vp_wr(&self, field: FieldId, value: u64, mask: u64) -> Result<u64, TdxStatus> {
        shim::tdcall_vp_write(field.raw(), value, mask).map_err(status_of)
    }

    #[inline(always)]
    fn sys_rd(&self, field: FieldId) -> Result<(u64, Option<FieldId>), TdxStatus> {
        let (rdx, r8) = shim::tdcall_sys_rd(field.raw()).map_err(status_of)?;
        Ok((r8, next_field(rdx)))
    }

    #[inline(always)]
    fn sys_rd_first(&self) -> Result<FieldId, TdxStatus> {
        first_field(shim::tdcall_sys_rd(u64::MAX))
    }

    /// td-shim's `ServtdRWResult` has the value (R8) and the UUID but not the next field id
    /// (RDX): `None`. On error it keeps only the status, not the current UUID that comes with
    /// `TDX_TARGET_UUID_UPDATED`: `ServtdError::Status`.
    #[inline(always)]
    fn servtd_rd(
        &self,
        binding: u64,
        field: FieldId,
        uuid: TdUuid,
    ) -> Result<(u64, Option<FieldId>), ServtdError> {
        match shim::tdcall_servtd_rd(binding, field.raw(), &uuid) {
            Ok(r) => Ok((r.content, None)),
            Err(e) => Err(ServtdError::Status(status_of(e))),
        }
    }

    /// td-shim's `tdcall_servtd_wr` has no write-mask parameter: it always writes R9 = all ones.
    #[inline(always)]
    fn servtd_wr(
        &self,
        binding: u64,
        field: FieldId,
        value: u64,
        _mask: u64,
        uuid: TdUuid,
    ) -> Result<u64, ServtdError> {
        match shim::tdcall_servtd_wr(binding, field.raw(), value, &uuid) {
            Ok(r) => Ok(r.content),
            Err(e) => Err(ServtdError::Status(status_of(e))),
        }
    }

    /// On error td-shim keeps the status only; RDX (the attributes as the module left them) is
    /// lost: `attrs` is reported as zero.
    #[inline(always)]
    fn attr_wr(
        &self,
        page: AcceptPage,
        attrs: GpaAttrs,
        flags: GpaAttrs,
    ) -> Result<(PageMapping, GpaAttrs), AttrWrError> {
        match shim::tdcall_mem_page_attr_wr(page.to_rcx(), attrs.to_raw(), flags.to_raw()) {
            Ok((rcx, rdx)) => Ok((PageMapping::from_raw(rcx), GpaAttrs::from_raw(rdx))),
            Err(e) => Err(AttrWrError {
                status: status_of(e),
                attrs: GpaAttrs::default(),
            }),
        }
    }

    /// `tdcall_vp_enter` returns td-shim's raw `TdcallArgs` (RAX, RCX, RDX, R8–R13); the adapter
    /// decodes it as `tdcall` does. RSI (CS) and RDI (CS base) are not in `TdcallArgs` (td-shim's
    /// asm reuses RDI for the argument pointer): reported as zero.
    #[inline(always)]
    unsafe fn vp_enter(
        &self,
        vm: L2Vm,
        invalidate: EnterInvalidate,
        state: AlignedGpa<256>,
    ) -> Result<L2Exit, TdxStatus> {
        let flags = u64::from(vm.get()) << 52 | invalidate as u64;
        let a = shim::tdcall_vp_enter(flags, state.raw());
        let st = TdxStatus::from_raw(a.rax);
        if a.rax >> 63 == 1 || a.rax & !0xffff_ffff == 0x0000_1120_0000_0000 {
            return Err(st);
        }
        Ok(L2Exit {
            status: st,
            exit_qualification: a.rcx,
            gla: a.rdx,
            cs: 0,
            cs_base: 0,
            gpa: a.r8,
            interruption: a.r9,
            idt_vectoring: a.r10,
            instruction: a.r11,
            extra: a.r12,
            extended_qualification: a.r13,
        })
    }

    #[inline(always)]
    fn invept(&self, vms: u64) -> Result<(), TdxStatus> {
        shim::tdcall_vp_invept(vms).map_err(status_of)
    }

    #[inline(always)]
    fn invgla(&self, vm: L2Vm, range: GlaRange) -> Result<(), TdxStatus> {
        shim::tdcall_vp_invvpid(u64::from(vm.get()) << 52, range.raw())
            .map(|_| ())
            .map_err(status_of)
    }

    #[inline(always)]
    fn invgla_list(&self, vm: L2Vm, list: GlaList) -> Result<(), TdxStatus> {
        shim::tdcall_vp_invvpid(u64::from(vm.get()) << 52 | 1, list.raw())
            .map(|_| ())
            .map_err(status_of)
    }

    /// td-shim's `tdvmcall_mapgpa(shared, paddr, length)` converts the whole range, retrying
    /// (at most 3 times per resume address) internally: `Ok` is `Done`.
    #[inline(always)]
    fn map_gpa(&self, gpa: u64, len: u64) -> Result<MapGpaProgress, VmcallError> {
        let shared = gpa & shared_mask() != 0;
        shim::tdvmcall_mapgpa(shared, gpa, len as usize)
            .map(|()| MapGpaProgress::Done)
            .map_err(vmcall_error)
    }

    /// td-shim takes the buffer as `&mut [u8]` and ORs its shared mask into the address: the
    /// slice is made at the buffer's private alias, only inside the arena
    /// (`takes_memory_by_reference`).
    #[inline(always)]
    fn get_quote(&self, buffer: SharedGpa, len: u64) -> Result<(), VmcallError> {
        // The slice is made at the buffer's private alias, which td-shim turns back into the
        // shared GPA by ORing its shared mask in; only memory that exists can be a slice.
        let private = buffer.raw() & !shared_mask();
        let Some(n) = usize::try_from(len).ok().filter(|&n| in_arena(private, n)) else {
            // Not passable without undefined behaviour; the oracle does not ask for it
            // (`takes_memory_by_reference`).
            return Err(VmcallError::Untrusted {
                what: "buffer outside memory (td-shim takes &mut [u8])",
                value: buffer.raw(),
            });
        };
        // SAFETY: `n` bytes at `private` lie in the session's arena, which this process owns and
        // no Rust reference of the harness aliases during the call; u8 needs no alignment. The
        // simulated VMM writes the quote into it during the TDCALL, as a real VMM would.
        let buf = unsafe { core::slice::from_raw_parts_mut(private as *mut u8, n) };
        shim::tdvmcall_get_quote(buf).map_err(vmcall_error)
    }

    #[inline(always)]
    fn setup_event_notify(&self, vector: u8) -> Result<(), VmcallError> {
        shim::tdvmcall_setup_event_notify(u64::from(vector)).map_err(vmcall_error)
    }

    /// Buffers as empty slices at the GPAs: td-shim uses only their addresses.
    #[inline(always)]
    fn service(
        &self,
        command: SharedGpa,
        response: SharedGpa,
        vector: Option<u8>,
        timeout: u64,
    ) -> Result<(), VmcallError> {
        // SAFETY: empty slices at non-null addresses (shared GPAs have the shared bit set).
        let (cmd, resp) = unsafe {
            (
                core::slice::from_raw_parts(command.raw() as *const u8, 0),
                core::slice::from_raw_parts_mut(response.raw() as *mut u8, 0),
            )
        };
        shim::tdvmcall_service(cmd, resp, vector.map_or(0, u64::from), timeout)
            .map_err(vmcall_error)
    }

    /// `tdvmcall_cpuid` returns no error: on a failure status it issues a `TDVMCALL<HLT>` and
    /// returns the registers anyway.
    #[inline(always)]
    fn cpuid(&self, leaf: u32, subleaf: u32) -> Result<CpuidResult, VmcallError> {
        let c = shim::tdvmcall_cpuid(leaf, subleaf);
        Ok(CpuidResult {
            eax: c.eax,
            ebx: c.ebx,
            ecx: c.ecx,
            edx: c.edx,
        })
    }

    /// `tdvmcall_halt` reads RFLAGS.IF itself (always set in user space) and returns nothing.
    #[inline(always)]
    fn hlt(&self, _interrupts_blocked: bool) -> Result<(), VmcallError> {
        shim::tdvmcall_halt();
        Ok(())
    }

    /// One td-shim function per size; none returns an error (see `cpuid`).
    #[inline(always)]
    fn io_read(&self, size: AccessSize, port: u16) -> Result<u32, VmcallError> {
        Ok(match size {
            AccessSize::B1 => u32::from(shim::tdvmcall_io_read_8(port)),
            AccessSize::B2 => u32::from(shim::tdvmcall_io_read_16(port)),
            AccessSize::B4 => shim::tdvmcall_io_read_32(port),
            AccessSize::B8 => return Err(InputError::AccessSizeInvalid { value: 8 }.into()),
        })
    }

    #[inline(always)]
    fn io_write(&self, size: AccessSize, port: u16, value: u32) -> Result<(), VmcallError> {
        match size {
            AccessSize::B1 => shim::tdvmcall_io_write_8(port, value as u8),
            AccessSize::B2 => shim::tdvmcall_io_write_16(port, value as u16),
            AccessSize::B4 => shim::tdvmcall_io_write_32(port, value),
            AccessSize::B8 => return Err(InputError::AccessSizeInvalid { value: 8 }.into()),
        }
        Ok(())
    }

    #[inline(always)]
    fn rdmsr(&self, msr: u32) -> Result<u64, VmcallError> {
        shim::tdvmcall_rdmsr(msr).map_err(vmcall_error)
    }

    #[inline(always)]
    fn wrmsr(&self, msr: u32, value: u64) -> Result<(), VmcallError> {
        shim::tdvmcall_wrmsr(msr, value).map_err(vmcall_error)
    }

    /// The size is td-shim's type parameter.
    #[inline(always)]
    fn mmio_read(&self, size: AccessSize, gpa: SharedGpa) -> Result<u64, VmcallError> {
        let a = gpa.raw() as usize;
        Ok(match size {
            AccessSize::B1 => u64::from(shim::tdvmcall_mmio_read::<u8>(a)),
            AccessSize::B2 => u64::from(shim::tdvmcall_mmio_read::<u16>(a)),
            AccessSize::B4 => u64::from(shim::tdvmcall_mmio_read::<u32>(a)),
            AccessSize::B8 => shim::tdvmcall_mmio_read::<u64>(a),
        })
    }

    /// Only 8-byte writes are passed on: for a smaller `T`, td-shim's `tdvmcall_mmio_write`
    /// reads 8 bytes from the `T` on its stack (`*(addr_of!(value) as *const u64)`), undefined
    /// behaviour that a debug build stops with a misaligned-pointer panic
    /// (`docs/findings/tdshim-mmio-write-ub.md`). Those sizes return `MMIO_WRITE_UB` unmade.
    #[inline(always)]
    fn mmio_write(&self, size: AccessSize, gpa: SharedGpa, value: u64) -> Result<(), VmcallError> {
        let a = gpa.raw();
        match size {
            AccessSize::B8 => shim::tdvmcall_mmio_write(a as *const u64, value),
            s => {
                return Err(VmcallError::Untrusted {
                    what: MMIO_WRITE_UB,
                    value: s as u64,
                })
            }
        }
        Ok(())
    }
}

//! The implementation under test, as a trait: production forwards to `tdcall`; the planted
//! variants in `tdx_planted` override one method each; an adapter for another project's
//! wrappers (td-shim's `tdx-tdcall`, C or assembly through the C ABI) overrides
//! [`Wrappers::provides`] and the methods of the calls it provides. A method an adapter does
//! not define is not provided ([`Wrappers::TDCALL_DEFAULTS`]).

use crate::call::Kind;
use tdcall::accept::{accept_range_with, AcceptError, AcceptOptions, AcceptStats};
use tdcall::leaf15::{
    self, AttrWrError, EnterInvalidate, GlaList, GlaRange, GpaAttrs, L2Exit, L2Vm, PageMapping,
    RdAll, ServtdError, TdUuid,
};
use tdcall::vmcall::{self, AccessSize, CpuidResult, MapGpaProgress, SharedGpa, VmcallError};
use tdcall::{
    AcceptPage, Accepted, AlignedGpa, CpuidVe, FieldId, Gpa, KeyRequestor, KeySize,
    ReportRequestor, RtmrIndex, TdInfo, TdxStatus, VeInfo, VeInfoExt,
};

/// An input check an implementation may make itself, before any TDCALL. An implementation
/// that declares one ([`Wrappers::declares`]) must refuse every input that fails it; one that
/// does not may pass such an input to the VMM, whose answer is then checked as any other.
/// Either way, a refusal is judged against the model ([`crate::Oracle`], verdict `Refusal`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InputCheck {
    /// SetupEventNotifyInterrupt: vector below 32.
    NotifyVector,
    /// Service: notify vector in 1..=31.
    ServiceVector,
    /// Service: command or response GPA not 4 KiB aligned.
    ServiceAlignment,
    /// GetQuote: buffer GPA not 4 KiB aligned.
    QuoteAlignment,
    /// Instruction.IO: access size 8.
    IoSize,
    /// MapGPA: an empty, wrapping or not 4 KiB-aligned range.
    MapGpaRange,
}

thread_local! {
    /// Set by a default method of [`Wrappers`]: this workspace's `tdcall` ran in place of the
    /// implementation's own.
    static TDCALL_RAN: core::cell::Cell<bool> = const { core::cell::Cell::new(false) };
}

/// Records that a default method ran (`tdcall` in place of the implementation).
#[inline(always)]
fn tdcall_default() {
    TDCALL_RAN.with(|r| r.set(true));
}

/// The error a default method returns at once, without running `tdcall`, for an
/// implementation that does not define the method ([`Wrappers::TDCALL_DEFAULTS`] false): the
/// call is reported as not provided, and nothing of it reached the simulated TD.
pub trait NotProvided {
    /// The value (no status a module or VMM returns is invented: it names the case).
    fn not_provided() -> Self;
}

impl NotProvided for TdxStatus {
    fn not_provided() -> Self {
        TdxStatus::from_raw(u64::MAX)
    }
}

impl NotProvided for VmcallError {
    fn not_provided() -> Self {
        VmcallError::Untrusted {
            what: "not provided",
            value: 0,
        }
    }
}

impl NotProvided for ServtdError {
    fn not_provided() -> Self {
        ServtdError::Status(TdxStatus::not_provided())
    }
}

impl NotProvided for AttrWrError {
    fn not_provided() -> Self {
        AttrWrError {
            status: TdxStatus::not_provided(),
            attrs: GpaAttrs::from_raw(0),
        }
    }
}

/// The start of a default method: records that it was reached and, unless the implementation
/// may run `tdcall` in its place, returns [`NotProvided`] before any TDCALL.
macro_rules! tdcall_default {
    () => {
        tdcall_default();
        if !Self::TDCALL_DEFAULTS {
            return Err(NotProvided::not_provided());
        }
    };
}

/// Whether a default method ran since the last call, and clears it.
pub(crate) fn take_tdcall_default() -> bool {
    TDCALL_RAN.with(|r| r.replace(false))
}

/// One implementation of the guest-side leaves. Methods are `#[inline(always)]` so that the
/// asm lands inside the oracle's register-pressure frame.
///
/// Which call kinds ([`Kind`], named in [`Wrappers::provides`]) drive which methods:
///
/// | kind | methods |
/// |---|---|
/// | `VpInfo` | [`vp_info`](Wrappers::vp_info) |
/// | `RtmrExtend` | [`rtmr_extend`](Wrappers::rtmr_extend) |
/// | `VeinfoGet` | [`veinfo_get`](Wrappers::veinfo_get), `_v1`, `_v2` by the call's version, up to [`VEINFO_GET_MAX_VERSION`](Wrappers::VEINFO_GET_MAX_VERSION) |
/// | `Report` | [`report`](Wrappers::report) |
/// | `CpuidveSet` | [`cpuidve_set`](Wrappers::cpuidve_set) |
/// | `Accept` | [`accept`](Wrappers::accept) |
/// | `AcceptRange` | [`accept_range`](Wrappers::accept_range) (default: this workspace's loop over `accept`) |
/// | `VmRd`, `VmRdV1`, `VmRdFirst` | [`vm_rd`](Wrappers::vm_rd), [`vm_rd_v1`](Wrappers::vm_rd_v1), [`vm_rd_first`](Wrappers::vm_rd_first) |
/// | `VmWr` | [`vm_wr`](Wrappers::vm_wr) |
/// | `VpRd` | [`vp_rd`](Wrappers::vp_rd), or [`vp_rd_first`](Wrappers::vp_rd_first) when the call asks for the first field |
/// | `VpWr` | [`vp_wr`](Wrappers::vp_wr) |
/// | `SysRd` | [`sys_rd`](Wrappers::sys_rd), or [`sys_rd_first`](Wrappers::sys_rd_first) |
/// | `SysRdAll` | [`sys_rdall`](Wrappers::sys_rdall) |
/// | `ServtdRd`, `ServtdWr` | [`servtd_rd`](Wrappers::servtd_rd), [`servtd_wr`](Wrappers::servtd_wr) |
/// | `VerifyReport` | [`verifyreport`](Wrappers::verifyreport) |
/// | `MrKeyGet` | [`mr_key_get`](Wrappers::mr_key_get) |
/// | `AttrRd`, `AttrWr` | [`attr_rd`](Wrappers::attr_rd), [`attr_wr`](Wrappers::attr_wr) |
/// | `VpEnter` | [`vp_enter`](Wrappers::vp_enter) |
/// | `Invept` | [`invept`](Wrappers::invept) |
/// | `Invgla`, `InvglaList` | [`invgla`](Wrappers::invgla), [`invgla_list`](Wrappers::invgla_list) |
/// | `VmcallInfo` | [`vmcall_info`](Wrappers::vmcall_info) |
/// | `VmcallMapGpa` | [`map_gpa`](Wrappers::map_gpa) |
/// | `VmcallConvert` | [`convert_range`](Wrappers::convert_range) (default: this workspace's loop over `map_gpa`) |
/// | `VmcallGetQuote` | [`get_quote`](Wrappers::get_quote) |
/// | `VmcallNotify` | [`setup_event_notify`](Wrappers::setup_event_notify) |
/// | `VmcallService` | [`service`](Wrappers::service) |
/// | `VmcallCpuid`, `VmcallHlt` | [`cpuid`](Wrappers::cpuid), [`hlt`](Wrappers::hlt) |
/// | `VmcallIo` | [`io_read`](Wrappers::io_read), or [`io_write`](Wrappers::io_write) for a write |
/// | `VmcallRdmsr`, `VmcallWrmsr` | [`rdmsr`](Wrappers::rdmsr), [`wrmsr`](Wrappers::wrmsr) |
/// | `VmcallMmio` | [`mmio_read`](Wrappers::mmio_read), or [`mmio_write`](Wrappers::mmio_write) |
/// | `VmcallWbinvd` | [`wbinvd`](Wrappers::wbinvd) |
/// | `VmcallKvm` | [`kvm_hypercall`](Wrappers::kvm_hypercall) |
/// | `VmcallFatal` | [`report_fatal_error`](Wrappers::report_fatal_error), in a child process |
/// | `ForcedStatus` | the method of the call it wraps, with the module's status forced |
/// | `SetVmm` | none: it chooses the honest or the hostile VMM for the calls after it |
pub trait Wrappers {
    /// Name in reports.
    const NAME: &'static str;

    /// Whether every TDVMCALL must expose exactly its sub-function's registers (this
    /// workspace's design). An implementation that exposes a fixed, wider set and zero-fills it
    /// (as Linux and EDK2 do) sets this to false: the wider mask is then reported as policy, and
    /// only a non-zero value in a register the call does not use, RBP or an XMM register is a
    /// leak.
    const EXACT_MASK: bool = true;

    /// Whether `tdcall`'s typed input constructors (`AlignedGpa::new`, `SharedGpa::new`,
    /// `FieldId::new`, ...) are this implementation's own: then their refusals count as its
    /// refusal checks. The oracle compares every such refusal with the model either way.
    const TYPED_INPUTS: bool = false;

    /// The highest TDG.VP.VEINFO.GET leaf version this implementation provides
    /// ([`Wrappers::veinfo_get_v1`], [`Wrappers::veinfo_get_v2`]): calls of a higher version
    /// are reported as not provided (the default methods are `tdcall`'s, which must not be
    /// credited to another implementation).
    const VEINFO_GET_MAX_VERSION: u8 = 0;

    /// Whether the implementation stops the TD (a `ud2` or other fault) when the TDX module
    /// refuses a TDG.VP.VMCALL (RAX ≠ 0), as Linux's `__tdx_hypercall` and td-shim's
    /// `asm_td_vmcall` do, instead of returning the status. The oracle runs the first such
    /// call of each sub-function in a child process: a stop is then reported as this policy,
    /// not as a crash; an implementation that does not declare it fails.
    const HALTS_ON_MODULE_REFUSAL: bool = false;

    /// Whether the methods this implementation does not define may run this workspace's
    /// `tdcall` in its place: [`Production`], and the planted variants, each of which changes one
    /// method of it. For anyone else (the default) a call that reaches a default method is
    /// reported as not provided, whatever [`Wrappers::provides`] says: the method returns at
    /// once ([`NotProvided`]), so no TDCALL is made and the simulated TD is untouched. The range helpers' defaults
    /// ([`Wrappers::accept_range`], [`Wrappers::convert_range`]) are this workspace's loop over the
    /// implementation's own primitive, and count as its.
    const TDCALL_DEFAULTS: bool = false;

    /// Whether a failed check is a known difference of policy (the implementation's choice,
    /// written up as such), not a bug: the campaign then reports it under that label instead of
    /// as a failure. Declare them as [`crate::Policy`] values over the failure's named
    /// differences and answer with [`crate::Policy::judge`]. This workspace's wrappers have none.
    fn policy(&self, failure: &crate::Failure) -> Option<&'static str> {
        let _ = failure;
        None
    }

    /// Whether the implementation makes `check` itself, before any TDCALL (see
    /// [`InputCheck`]). None by default; `tdcall` ([`Production`]) makes all of them.
    fn declares(&self, check: InputCheck) -> bool {
        let _ = check;
        false
    }

    /// Whether this implementation provides the call kind; the oracle skips the others (reported
    /// as "not provided"). An adapter for another project's wrappers overrides this and every
    /// method it provides; the defaults are this workspace's `tdcall`, and a call that reaches
    /// one is not provided either ([`Wrappers::TDCALL_DEFAULTS`]).
    #[inline(always)]
    fn provides(&self, kind: Kind) -> bool {
        let _ = kind;
        true
    }

    /// Whether this implementation takes the memory operand of `kind` as a Rust reference or
    /// slice (td-shim: `&TdxDigest` for TDG.MR.RTMR.EXTEND, `&mut [u8]` for GetQuote). A
    /// reference may only be made to memory that is really there, so the oracle makes such a
    /// call only when the whole operand lies in the arena (at the GPA itself; a TDVMCALL buffer,
    /// which such an API makes shared by ORing the shared bit in, at its private alias) and
    /// reports the others as not made ([`crate::BY_REFERENCE`]). None by default.
    fn takes_memory_by_reference(&self, kind: Kind) -> bool {
        let _ = kind;
        false
    }

    /// Whether a call of `kind` may end the process on a path the implementation is known
    /// not to survive (EDK2's `TdVmCallCpuid` returns to a wrong address when the VMM reports
    /// an error). The oracle then makes every such call in a child process: a death there is a
    /// `Crash` verdict with the signal and the register table of the last TDCALL, and the run
    /// goes on; the simulated TD keeps nothing the call did. None by default.
    fn may_end_process(&self, kind: Kind) -> bool {
        let _ = kind;
        false
    }

    /// TDG.VP.INFO.
    #[inline(always)]
    fn vp_info(&self) -> Result<TdInfo, TdxStatus> {
        tdcall_default!();
        tdcall::tdg_vp_info()
    }

    /// TDG.MR.RTMR.EXTEND.
    #[inline(always)]
    fn rtmr_extend(&self, data: AlignedGpa<64>, index: RtmrIndex) -> Result<(), TdxStatus> {
        tdcall_default!();
        tdcall::tdg_mr_rtmr_extend(data, index)
    }

    /// TDG.VP.VEINFO.GET.
    #[inline(always)]
    fn veinfo_get(&self) -> Result<VeInfo, TdxStatus> {
        tdcall_default!();
        tdcall::tdg_vp_veinfo_get()
    }

    /// TDG.VP.VEINFO.GET version 1.
    #[inline(always)]
    fn veinfo_get_v1(&self) -> Result<VeInfoExt, TdxStatus> {
        tdcall_default!();
        tdcall::tdg_vp_veinfo_get_v1()
    }

    /// TDG.VP.VEINFO.GET version 2.
    #[inline(always)]
    fn veinfo_get_v2(&self) -> Result<VeInfoExt, TdxStatus> {
        tdcall_default!();
        tdcall::tdg_vp_veinfo_get_v2()
    }

    /// TDG.MR.REPORT.
    ///
    /// # Safety
    ///
    /// As [`tdcall::tdg_mr_report`].
    #[inline(always)]
    unsafe fn report(
        &self,
        report: AlignedGpa<1024>,
        data: AlignedGpa<64>,
        subtype: u8,
        requestor: ReportRequestor,
    ) -> Result<(), TdxStatus> {
        tdcall_default!();
        // SAFETY: forwarded from the caller.
        unsafe { tdcall::tdg_mr_report(report, data, subtype, requestor) }
    }

    /// TDG.VP.CPUIDVE.SET.
    #[inline(always)]
    fn cpuidve_set(&self, config: CpuidVe) -> Result<(), TdxStatus> {
        tdcall_default!();
        tdcall::tdg_vp_cpuidve_set(config)
    }

    /// TDG.MEM.PAGE.ACCEPT.
    ///
    /// # Safety
    ///
    /// As [`tdcall::tdg_mem_page_accept`].
    #[inline(always)]
    unsafe fn accept(&self, page: AcceptPage) -> Result<Accepted, TdxStatus> {
        tdcall_default!();
        // SAFETY: forwarded from the caller.
        unsafe { tdcall::tdg_mem_page_accept(page) }
    }

    /// `accept_range`: accepts `[start, start + len)` page by page (calls of kind
    /// `AcceptRange`). The default is `tdcall`'s loop (`accept_range_with`) over this
    /// implementation's [`Wrappers::accept`]; [`Production`] runs `tdcall::accept::accept_range`
    /// itself, the function its users call.
    ///
    /// # Safety
    ///
    /// As [`tdcall::accept::accept_range`].
    #[inline(always)]
    unsafe fn accept_range(
        &self,
        start: u64,
        len: u64,
        options: AcceptOptions,
    ) -> Result<AcceptStats, AcceptError> {
        accept_range_with(start, len, options, |p| {
            // SAFETY: forwarded from the caller.
            unsafe { self.accept(p) }
        })
    }

    /// TDG.VM.RD version 0.
    #[inline(always)]
    fn vm_rd(&self, field: FieldId) -> Result<u64, TdxStatus> {
        tdcall_default!();
        tdcall::tdg_vm_rd(field)
    }

    /// TDG.VM.RD version 1.
    #[inline(always)]
    fn vm_rd_v1(&self, field: FieldId) -> Result<(u64, Option<FieldId>), TdxStatus> {
        tdcall_default!();
        tdcall::tdg_vm_rd_v1(field)
    }

    /// TDG.VM.RD version 1 with the null field id.
    #[inline(always)]
    fn vm_rd_first(&self) -> Result<FieldId, TdxStatus> {
        tdcall_default!();
        tdcall::tdg_vm_rd_first()
    }

    /// TDG.VM.WR.
    #[inline(always)]
    fn vm_wr(&self, field: FieldId, value: u64, mask: u64) -> Result<u64, TdxStatus> {
        tdcall_default!();
        tdcall::tdg_vm_wr(field, value, mask)
    }

    /// TDG.VP.RD.
    #[inline(always)]
    fn vp_rd(&self, field: FieldId) -> Result<(u64, Option<FieldId>), TdxStatus> {
        tdcall_default!();
        leaf15::tdg_vp_rd(field)
    }

    /// TDG.VP.RD with the null field id.
    #[inline(always)]
    fn vp_rd_first(&self) -> Result<FieldId, TdxStatus> {
        tdcall_default!();
        leaf15::tdg_vp_rd_first()
    }

    /// TDG.VP.WR.
    #[inline(always)]
    fn vp_wr(&self, field: FieldId, value: u64, mask: u64) -> Result<u64, TdxStatus> {
        tdcall_default!();
        leaf15::tdg_vp_wr(field, value, mask)
    }

    /// TDG.SYS.RD.
    #[inline(always)]
    fn sys_rd(&self, field: FieldId) -> Result<(u64, Option<FieldId>), TdxStatus> {
        tdcall_default!();
        leaf15::tdg_sys_rd(field)
    }

    /// TDG.SYS.RD with the null field id.
    #[inline(always)]
    fn sys_rd_first(&self) -> Result<FieldId, TdxStatus> {
        tdcall_default!();
        leaf15::tdg_sys_rd_first()
    }

    /// TDG.SYS.RDALL.
    ///
    /// # Safety
    ///
    /// As [`tdcall::leaf15::tdg_sys_rdall`].
    #[inline(always)]
    unsafe fn sys_rdall(&self, list: AlignedGpa<4096>, first: u64) -> Result<RdAll, TdxStatus> {
        tdcall_default!();
        // SAFETY: forwarded from the caller.
        unsafe { leaf15::tdg_sys_rdall(list, first) }
    }

    /// TDG.SERVTD.RD.
    #[inline(always)]
    fn servtd_rd(
        &self,
        binding: u64,
        field: FieldId,
        uuid: TdUuid,
    ) -> Result<(u64, Option<FieldId>), ServtdError> {
        tdcall_default!();
        leaf15::tdg_servtd_rd(binding, field, uuid)
    }

    /// TDG.SERVTD.WR.
    #[inline(always)]
    fn servtd_wr(
        &self,
        binding: u64,
        field: FieldId,
        value: u64,
        mask: u64,
        uuid: TdUuid,
    ) -> Result<u64, ServtdError> {
        tdcall_default!();
        leaf15::tdg_servtd_wr(binding, field, value, mask, uuid)
    }

    /// TDG.MR.VERIFYREPORT.
    #[inline(always)]
    fn verifyreport(&self, mac: AlignedGpa<256>) -> Result<(), TdxStatus> {
        tdcall_default!();
        leaf15::tdg_mr_verifyreport(mac)
    }

    /// TDG.MR.KEY.GET.
    ///
    /// # Safety
    ///
    /// As [`tdcall::tdg_mr_key_get`].
    #[inline(always)]
    unsafe fn mr_key_get(
        &self,
        request: AlignedGpa<128>,
        key: AlignedGpa<32>,
        requestor: KeyRequestor,
    ) -> Result<KeySize, TdxStatus> {
        tdcall_default!();
        // SAFETY: forwarded from the caller.
        unsafe { tdcall::tdg_mr_key_get(request, key, requestor) }
    }

    /// TDG.MEM.PAGE.ATTR.RD.
    #[inline(always)]
    fn attr_rd(&self, gpa: Gpa) -> Result<(PageMapping, GpaAttrs), TdxStatus> {
        tdcall_default!();
        leaf15::tdg_mem_page_attr_rd(gpa)
    }

    /// TDG.MEM.PAGE.ATTR.WR.
    #[inline(always)]
    fn attr_wr(
        &self,
        page: AcceptPage,
        attrs: GpaAttrs,
        flags: GpaAttrs,
    ) -> Result<(PageMapping, GpaAttrs), AttrWrError> {
        tdcall_default!();
        leaf15::tdg_mem_page_attr_wr(page, attrs, flags)
    }

    /// TDG.VP.ENTER.
    ///
    /// # Safety
    ///
    /// As [`tdcall::leaf15::tdg_vp_enter`].
    #[inline(always)]
    unsafe fn vp_enter(
        &self,
        vm: L2Vm,
        invalidate: EnterInvalidate,
        state: AlignedGpa<256>,
    ) -> Result<L2Exit, TdxStatus> {
        tdcall_default!();
        // SAFETY: forwarded from the caller.
        unsafe { leaf15::tdg_vp_enter(vm, invalidate, state) }
    }

    /// TDG.VP.INVEPT.
    #[inline(always)]
    fn invept(&self, vms: u64) -> Result<(), TdxStatus> {
        tdcall_default!();
        leaf15::tdg_vp_invept(vms)
    }

    /// TDG.VP.INVGLA, single mode.
    #[inline(always)]
    fn invgla(&self, vm: L2Vm, range: GlaRange) -> Result<(), TdxStatus> {
        tdcall_default!();
        leaf15::tdg_vp_invgla(vm, range)
    }

    /// TDG.VP.INVGLA, list mode.
    #[inline(always)]
    fn invgla_list(&self, vm: L2Vm, list: GlaList) -> Result<(), TdxStatus> {
        tdcall_default!();
        leaf15::tdg_vp_invgla_list(vm, list)
    }

    /// TDG.VP.VMCALL\<GetTdVmCallInfo\>.
    #[inline(always)]
    fn vmcall_info(&self, leaf: u64) -> Result<[u64; 4], VmcallError> {
        tdcall_default!();
        vmcall::get_td_vm_call_info(leaf)
    }

    /// TDG.VP.VMCALL\<MapGPA\>, one call.
    #[inline(always)]
    fn map_gpa(&self, gpa: u64, len: u64) -> Result<MapGpaProgress, VmcallError> {
        tdcall_default!();
        vmcall::map_gpa(gpa, len)
    }

    /// `convert_range`: MapGPA until the range is converted (calls of kind `VmcallConvert`).
    /// The default is `tdcall`'s loop (`convert_range_with`) over this implementation's
    /// [`Wrappers::map_gpa`]; [`Production`] runs `tdcall::vmcall::convert_range` itself.
    #[inline(always)]
    fn convert_range(
        &self,
        gpa: u64,
        len: u64,
        to_shared: bool,
        gpa_width: u8,
        max_stalls: u32,
    ) -> Result<(), VmcallError> {
        vmcall::convert_range_with(gpa, len, to_shared, gpa_width, max_stalls, |g, l| {
            self.map_gpa(g, l)
        })
    }

    /// TDG.VP.VMCALL\<GetQuote\>.
    #[inline(always)]
    fn get_quote(&self, buffer: SharedGpa, len: u64) -> Result<(), VmcallError> {
        tdcall_default!();
        vmcall::get_quote(buffer, len)
    }

    /// TDG.VP.VMCALL\<SetupEventNotifyInterrupt\>.
    #[inline(always)]
    fn setup_event_notify(&self, vector: u8) -> Result<(), VmcallError> {
        tdcall_default!();
        vmcall::setup_event_notify_interrupt(vector)
    }

    /// TDG.VP.VMCALL\<Service\>.
    #[inline(always)]
    fn service(
        &self,
        command: SharedGpa,
        response: SharedGpa,
        vector: Option<u8>,
        timeout: u64,
    ) -> Result<(), VmcallError> {
        tdcall_default!();
        vmcall::service(command, response, vector, timeout)
    }

    /// TDG.VP.VMCALL\<Instruction.CPUID\>.
    #[inline(always)]
    fn cpuid(&self, leaf: u32, subleaf: u32) -> Result<CpuidResult, VmcallError> {
        tdcall_default!();
        vmcall::cpuid(leaf, subleaf)
    }

    /// TDG.VP.VMCALL\<Instruction.HLT\>.
    #[inline(always)]
    fn hlt(&self, interrupts_blocked: bool) -> Result<(), VmcallError> {
        tdcall_default!();
        vmcall::hlt(interrupts_blocked)
    }

    /// TDG.VP.VMCALL\<Instruction.IO\>, read.
    #[inline(always)]
    fn io_read(&self, size: AccessSize, port: u16) -> Result<u32, VmcallError> {
        tdcall_default!();
        vmcall::io_read(size, port)
    }

    /// TDG.VP.VMCALL\<Instruction.IO\>, write.
    #[inline(always)]
    fn io_write(&self, size: AccessSize, port: u16, value: u32) -> Result<(), VmcallError> {
        tdcall_default!();
        vmcall::io_write(size, port, value)
    }

    /// TDG.VP.VMCALL\<Instruction.RDMSR\>.
    #[inline(always)]
    fn rdmsr(&self, msr: u32) -> Result<u64, VmcallError> {
        tdcall_default!();
        vmcall::rdmsr(msr)
    }

    /// TDG.VP.VMCALL\<Instruction.WRMSR\>.
    #[inline(always)]
    fn wrmsr(&self, msr: u32, value: u64) -> Result<(), VmcallError> {
        tdcall_default!();
        vmcall::wrmsr(msr, value)
    }

    /// TDG.VP.VMCALL\<#VE.RequestMMIO\>, read.
    #[inline(always)]
    fn mmio_read(&self, size: AccessSize, gpa: SharedGpa) -> Result<u64, VmcallError> {
        tdcall_default!();
        vmcall::mmio_read(size, gpa)
    }

    /// TDG.VP.VMCALL\<#VE.RequestMMIO\>, write.
    #[inline(always)]
    fn mmio_write(&self, size: AccessSize, gpa: SharedGpa, value: u64) -> Result<(), VmcallError> {
        tdcall_default!();
        vmcall::mmio_write(size, gpa, value)
    }

    /// TDG.VP.VMCALL\<Instruction.WBINVD\>.
    #[inline(always)]
    fn wbinvd(&self, no_invalidate: bool) -> Result<(), VmcallError> {
        tdcall_default!();
        vmcall::wbinvd(no_invalidate)
    }

    /// The vendor-specific TDG.VP.VMCALL, KVM convention.
    #[inline(always)]
    fn kvm_hypercall(&self, nr: u64, args: [u64; 4]) -> Result<u64, VmcallError> {
        tdcall_default!();
        vmcall::kvm_hypercall(nr, args)
    }

    /// TDG.VP.VMCALL\<ReportFatalError\>; does not return.
    #[inline(always)]
    fn report_fatal_error(&self, code: u64, data: Option<Gpa>, message: &[u8]) -> ! {
        tdcall_default();
        if !Self::TDCALL_DEFAULTS {
            // Not provided: this process is the oracle's child for this call; it ends before
            // any TDCALL with the exit status that says so.
            // SAFETY: _exit(2) ends the child without running the parent's destructors.
            unsafe { libc::_exit(crate::NOT_PROVIDED_EXIT) }
        }
        vmcall::report_fatal_error(code, data, message)
    }
}

/// The production wrappers of the `tdcall` crate.
#[derive(Clone, Copy, Debug, Default)]
pub struct Production;

impl Wrappers for Production {
    const NAME: &'static str = "tdcall";
    const TDCALL_DEFAULTS: bool = true;
    const TYPED_INPUTS: bool = true;
    const VEINFO_GET_MAX_VERSION: u8 = 2;

    fn declares(&self, check: InputCheck) -> bool {
        match check {
            InputCheck::NotifyVector
            | InputCheck::ServiceVector
            | InputCheck::ServiceAlignment
            | InputCheck::QuoteAlignment
            | InputCheck::IoSize
            | InputCheck::MapGpaRange => true,
        }
    }

    #[inline(always)]
    unsafe fn accept_range(
        &self,
        start: u64,
        len: u64,
        options: AcceptOptions,
    ) -> Result<AcceptStats, AcceptError> {
        // SAFETY: forwarded from the caller.
        unsafe { tdcall::accept::accept_range(start, len, options) }
    }

    #[inline(always)]
    fn convert_range(
        &self,
        gpa: u64,
        len: u64,
        to_shared: bool,
        gpa_width: u8,
        max_stalls: u32,
    ) -> Result<(), VmcallError> {
        vmcall::convert_range(gpa, len, to_shared, gpa_width, max_stalls)
    }
}

//! Intel's `tdx-guest` 0.2.4 (crates.io) through the oracle, adapted the way any user of it
//! would: a crate outside the repository's workspace that depends on `tdx-guest` and the
//! oracle and implements [`Wrappers`] by calling `tdx-guest`'s public functions
//! (`cargo run -p tdx-check -- crate peers/tdx-guest`).
//!
//! Each method converts what `tdx-guest` returns into the oracle's typed result and keeps
//! exactly what `tdx-guest` keeps: where its types lose information (an error enum without the
//! status details, outputs it does not return), nothing is reconstructed, and the oracle's
//! decoding verdict reports the loss. Which losses are `tdx-guest`'s declared design (policy)
//! and which are bugs is decided in `docs/findings/tdx-guest-policy.md`; the policy ones are
//! [`POLICY`] (the verdict, the leaf and the field that differs) and [`POLICY_BY_VALUE`] (a
//! predicate on the values, where the oracle names no field).
//!
//! Not provided: the calls `tdx-guest` has no function for (VEINFO.GET versions 1 and 2, the
//! "first field" reads, RDALL, KEY.GET, VERIFYREPORT, VP.ENTER, INVGLA, GetTdVmCallInfo's
//! outputs, ReportFatalError, the KVM hypercall), those whose function takes the page as a
//! Rust slice (`read_page_attr(&[u8])`: no reference is made to memory the harness may not
//! have), and the service-TD and attribute-write calls, not adapted yet.

use tdcall::vmcall::{
    AccessSize, CpuidResult, MapGpaProgress, SharedGpa, VmcallError, VmcallStatus,
};
use tdcall::{
    AcceptPage, Accepted, AlignedGpa, CpuidVe, FieldId, ReportRequestor, RtmrIndex, TdAttributes,
    TdInfo, TdxStatus, VeInfo,
};
use tdx_campaign::cli::{print_comparison, run_named, Args};
use tdx_guest::tdcall::{self as tdg, CpuidveFlag, TdCallError};
use tdx_guest::tdvmcall::{self as vmcall, IoSize, TdVmcallError};
use tdx_oracle::call::Kind;
use tdx_oracle::{quantity, Failure, Policy, Production, Verdict, Wrappers};

/// `tdx-guest` 0.2.4 under test.
struct TdxGuest;

/// The call kinds adapted, with the `tdx-guest` function each calls.
const PROVIDED: &[(Kind, &str)] = &[
    (Kind::VpInfo, "tdcall::get_tdinfo"),
    (Kind::VeinfoGet, "tdcall::get_veinfo"),
    (Kind::RtmrExtend, "tdcall::extend_rtmr"),
    (Kind::Report, "tdcall::get_report"),
    (Kind::CpuidveSet, "tdcall::set_cpuidve"),
    (Kind::Accept, "tdcall::accept_page"),
    (Kind::VmRd, "tdcall::read_td_metadata"),
    (Kind::VmWr, "tdcall::write_td_metadata"),
    (Kind::VpRd, "tdcall::read_vcpu_metadata"),
    (Kind::VpWr, "tdcall::write_vcpu_metadata"),
    (Kind::SysRd, "tdcall::read_sys_metadata"),
    (Kind::Invept, "tdcall::invalidate_l2_cached_ept"),
    (Kind::SetVmm, "(the VMM choice)"),
    (Kind::VmcallMapGpa, "tdvmcall::map_gpa"),
    (Kind::VmcallGetQuote, "tdvmcall::get_quote"),
    (Kind::VmcallNotify, "tdvmcall::setup_event_notify_interrupt"),
    (Kind::VmcallCpuid, "tdvmcall::cpuid"),
    (Kind::VmcallHlt, "tdvmcall::hlt"),
    (Kind::VmcallIo, "tdvmcall::io_read, io_write"),
    (Kind::VmcallRdmsr, "tdvmcall::rdmsr"),
    (Kind::VmcallWrmsr, "tdvmcall::wrmsr"),
    (Kind::VmcallMmio, "tdvmcall::read_mmio, write_mmio"),
    (Kind::VmcallWbinvd, "tdvmcall::perform_cache_operation"),
];

/// `tdx-guest`'s `TdCallError` keeps the class of a status (RAX bits 63:32, `(rax >> 32).into()`)
/// for twenty classes and folds every other into `Other`. The class comes back as the status
/// with [`LOST_DETAILS`] for its details; `Other` keeps nothing and comes back as
/// [`NO_STATUS`].
fn status_of(e: TdCallError) -> TdxStatus {
    use TdCallError::*;
    let class: u64 = match e {
        TdxPageAlreadyAccepted => 0x0000_0B0A,
        TdxOperandBusy => 0x8000_0200,
        TdxTdKeysNotConfigured => 0x8000_0810,
        TdxOperandInvalid => 0xC000_0100,
        TdxOperandAddrRangeError => 0xC000_0101,
        TdxPageMetadataIncorrect => 0xC000_0300,
        TdxTdcsNotAllocated => 0xC000_0606,
        TdxOpStateIncorrect => 0xC000_0608,
        TdxNoValidVeInfo => 0xC000_0704,
        TdxPageSizeMismatch => 0xC000_0B0B,
        TdxMetadataFieldIdIncorrect => 0xC000_0C00,
        TdxMetadataFieldNotWritable => 0xC000_0C01,
        TdxMetadataFieldNotReadable => 0xC000_0C02,
        TdxMetadataFieldValueNotValid => 0xC000_0C03,
        TdxServtdInfoHashMismatch => 0xC000_0D03,
        TdxServtdUuidMismatch => 0xC000_0D04,
        TdxServtdNotBound => 0xC000_0D05,
        TdxTargetUuidMismatch => 0xC000_0D07,
        TdxTargetUuidUpdated => 0xC000_0D08,
        TdxTdFatal => 0xE000_0604,
        Other => return NO_STATUS,
    };
    TdxStatus::from_raw(class << 32 | LOST_DETAILS)
}

/// What `TdCallError::Other` becomes: no status the module returns (the class 0xFFFFFFFF is
/// not defined), so the loss shows instead of an invented status.
const NO_STATUS: TdxStatus = TdxStatus::from_raw(u64::MAX);

/// `tdx-guest`'s `TdVmcallError` keeps four GHCI statuses by name and folds every other value,
/// and a refusal by the TDX module (its assembly returns -2), into `Other`, which carries no
/// status: it becomes [`VmcallError::Untrusted`] with value 0, naming the loss.
fn vmcall_error(e: TdVmcallError) -> VmcallError {
    match e {
        TdVmcallError::TdxRetry => VmcallError::Vmm(VmcallStatus::RETRY),
        TdVmcallError::TdxOperandInvalid => VmcallError::Vmm(VmcallStatus::INVALID_OPERAND),
        TdVmcallError::TdxGpaInuse => VmcallError::Vmm(VmcallStatus::GPA_INUSE),
        TdVmcallError::TdxAlignError => VmcallError::Vmm(VmcallStatus::ALIGN_ERROR),
        TdVmcallError::Other => VmcallError::Untrusted {
            what: "status (tdx-guest TdVmcallError::Other keeps no value)",
            value: 0,
        },
    }
}

fn io_size(size: AccessSize) -> IoSize {
    match size {
        AccessSize::B1 => IoSize::Size1,
        AccessSize::B2 => IoSize::Size2,
        AccessSize::B4 => IoSize::Size4,
        AccessSize::B8 => IoSize::Size8,
    }
}

/// A judged difference of `tdx-guest`, as a structured rule: the verdict, the leaf (`None`:
/// any) and a predicate on the failure, with what it is.
struct Judged {
    verdict: Verdict,
    leaf: Option<&'static str>,
    applies: fn(&Failure) -> bool,
    what: &'static str,
}

impl Judged {
    fn matches(&self, f: &Failure) -> bool {
        self.verdict == f.verdict && self.leaf.is_none_or(|l| l == f.leaf) && (self.applies)(f)
    }
}

/// Whether the failure's detail says `what`.
fn detail_has(f: &Failure, what: &str) -> bool {
    f.detail.contains(what)
}

/// The first number (decimal, or hex with `0x`) right after `after` in `text`.
fn number_after(text: &str, after: &str) -> Option<u64> {
    let rest = &text[text.find(after)? + after.len()..];
    let word: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    match word.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => word.parse().ok(),
    }
}

/// The access size of an Instruction.IO or #VE.RequestMMIO call (`size: 0x2`), as a mask.
fn size_mask(f: &Failure) -> Option<u64> {
    match number_after(&f.call, "size: ")? {
        8 => Some(u64::MAX),
        n @ (1 | 2 | 4) => Some((1u64 << (8 * n)) - 1),
        _ => None,
    }
}

/// A read whose value is the model's, with VMM bits above the access size kept: the wrapper's
/// `Ok(v)` against the model's `Ok(w)` where `v` masked to the size is `w` and `v` is not.
fn read_kept_high_bits(f: &Failure) -> bool {
    let ours = number_after(&f.detail, "wrapper returned Ok(");
    let model = number_after(&f.detail, "decodes the outputs as Ok(");
    match (ours, model, size_mask(f)) {
        (Some(v), Some(w), Some(mask)) => {
            f.call.contains("write: false") && v != w && v & mask == w
        }
        _ => false,
    }
}

/// `tdx-guest`'s declared design (`docs/findings/tdx-guest-policy.md`) where the oracle names
/// the field that differs: reported as policy.
const POLICY: &[Policy] = &[
    // RFLAGS.IF is set in the harness (user space): tdx-guest then says "not blocked".
    Policy::new(
        Verdict::Encoding,
        "Instruction.HLT",
        "interrupts_blocked",
        "HLT reads RFLAGS.IF itself",
    )
    .when(|got, want| got == Some(0) && want == Some(1)),
    Policy::new(
        Verdict::Decoding,
        "MapGPA",
        quantity::RESUME_OUTSIDE_REQUEST,
        UNCHECKED_RESUME,
    ),
    Policy::new(
        Verdict::Decoding,
        "MapGPA",
        quantity::RESUME_UNALIGNED,
        UNCHECKED_RESUME,
    ),
    Policy::new(
        Verdict::Encoding,
        "TDG.MR.REPORT",
        "R8",
        "TDG.MR.REPORT of subtype 0 only (R8 = 0)",
    )
    .when(|got, _| got == Some(0)),
];

const UNCHECKED_RESUME: &str = "MapGPA returns the RETRY address to the caller unchecked";

/// The rest of its declared design, where the oracle names no field (a typed result that
/// differs as a whole, a value that needs the call's access size): judged on the values the
/// failure prints.
const POLICY_BY_VALUE: &[Judged] = &[
    Judged {
        verdict: Verdict::Decoding,
        leaf: None,
        applies: |f| {
            // The value is the model's; only the next field id is missing.
            let ours = number_after(&f.detail, "wrapper returned Ok((");
            let model = number_after(&f.detail, "decodes the outputs as Ok((");
            matches!(f.leaf, "TDG.VP.RD" | "TDG.SYS.RD")
                && detail_has(f, ", None)); the model decodes the outputs as Ok((")
                && ours.is_some()
                && ours == model
        },
        what: "TDG.VP.RD and TDG.SYS.RD return the value only, not the next field id",
    },
    Judged {
        verdict: Verdict::Encoding,
        leaf: Some("#VE.RequestMMIO"),
        applies: |f| {
            // The caller's value sent whole: the contract's is the same value masked.
            // The oracle prints the sent value in hex without `0x` (`Some(45a2..)`).
            let sent = f.detail.find("[\"data: Some(").and_then(|i| {
                let rest = &f.detail[i + "[\"data: Some(".len()..];
                let end = rest.find(')')?;
                u64::from_str_radix(&rest[..end], 16).ok()
            });
            let want = number_after(&f.detail, ") != ");
            match (sent, want, size_mask(f)) {
                (Some(v), Some(w), Some(mask)) => v & mask == w,
                _ => false,
            }
        },
        what: "write_mmio sends its value whole; its #VE handler masks to the operand size",
    },
];

/// `tdx-guest`'s bugs, each written up in `docs/findings/`: still failures, but judged ones.
const BUGS: &[Judged] = &[
    Judged {
        verdict: Verdict::Refusal,
        leaf: Some("TDG.VP.INVEPT"),
        applies: |f| detail_has(f, "the wrapper made no TDCALL, but the module accepts"),
        what: "invalidate_l2_cached_ept refuses valid bitmaps (tdx-guest-invept-check-inverted.md)",
    },
    Judged {
        verdict: Verdict::Hygiene,
        leaf: None,
        applies: |f| detail_has(f, "[\"R11\"] still held the VMM's value, [] another one"),
        what: "asm_td_vmcall returns with the VMM's R11 (tdx-guest-vmcall-r11.md)",
    },
    Judged {
        verdict: Verdict::Crash,
        leaf: Some("Instruction.IO"),
        applies: |f| {
            f.call.contains("size: 0x8")
                && detail_has(f, "(a panic in the implementation) before any TDCALL")
        },
        what: "io_read/io_write panic on IoSize::Size8 (tdx-guest-io-size8-panic.md)",
    },
    Judged {
        verdict: Verdict::Decoding,
        leaf: None,
        applies: |f| {
            matches!(f.leaf, "Instruction.IO" | "#VE.RequestMMIO") && read_kept_high_bits(f)
        },
        what: "io_read/read_mmio keep VMM bits above the access size (tdx-guest-read-high-bits.md)",
    },
    Judged {
        verdict: Verdict::Decoding,
        leaf: Some("Instruction.CPUID"),
        applies: |f| detail_has(f, "CPUID register above 32 bits"),
        what: "cpuid keeps R12-R15 whole (tdx-guest-read-high-bits.md)",
    },
    Judged {
        verdict: Verdict::Decoding,
        leaf: None,
        applies: |f| {
            detail_has(f, "status (tdx-guest TdVmcallError::Other keeps no value)")
                || lost_details(f)
        },
        what: "status details lost (tdx-guest-status-lost.md)",
    },
    Judged {
        verdict: Verdict::Refusal,
        leaf: None,
        applies: lost_details,
        what: "status details lost (tdx-guest-status-lost.md)",
    },
];

/// What [`status_of`] puts in bits 31:0 of a class it keeps: no module status has these
/// details, so the loss shows instead of passing for a status with details 0.
const LOST_DETAILS: u64 = 0xffff_ffff;

/// The wrapper's error is the model's status with bits 31:0 lost (`TdCallError` keeps the
/// class only: [`LOST_DETAILS`] in their place), or `TdCallError::Other` ([`NO_STATUS`]) for a
/// class it does not name. The wrapper's status is the first in the detail, the model's the
/// one after "the model".
fn lost_details(f: &Failure) -> bool {
    let ours = number_after(&f.detail, "wrapper returned Err(")
        .or_else(|| hex_after(&f.detail, "wrapper returned Err("));
    let model = hex_after(&f.detail, "the model");
    match (ours, model) {
        (Some(ours), Some(model)) if ours != model => {
            ours == (model & !0xffff_ffff) | LOST_DETAILS || ours == NO_STATUS.raw()
        }
        _ => {
            // PAGE_ALREADY_ACCEPTED is a warning the model decodes as `Ok`: its mapped level
            // is lost with the details.
            detail_has(f, "Err(PageAlreadyAccepted(")
                && detail_has(f, "decodes the outputs as Ok(AlreadyAccepted")
        }
    }
}

/// The first 16-digit `0x` number after `after` in `text`.
fn hex_after(text: &str, after: &str) -> Option<u64> {
    let rest = &text[text.find(after)? + after.len()..];
    rest.split(|c: char| !c.is_ascii_alphanumeric())
        .filter_map(|w| w.strip_prefix("0x"))
        .find(|h| h.len() == 16)
        .and_then(|h| u64::from_str_radix(h, 16).ok())
}

impl Wrappers for TdxGuest {
    const NAME: &'static str = "tdx-guest 0.2.4";
    // asm_td_vmcall exposes R10-R15 (mask 0xFC00) for every TDVMCALL; the callers zero the
    // ones a sub-function does not use (`..Default::default()`).
    const EXACT_MASK: bool = false;

    fn policy(&self, f: &Failure) -> Option<&'static str> {
        Policy::judge(POLICY, f).or_else(|| {
            POLICY_BY_VALUE
                .iter()
                .find(|r| r.matches(f))
                .map(|r| r.what)
        })
    }

    fn provides(&self, kind: Kind) -> bool {
        PROVIDED.iter().any(|(k, _)| *k == kind)
    }

    fn vp_info(&self) -> Result<TdInfo, TdxStatus> {
        let i = tdg::get_tdinfo().map_err(status_of)?;
        Ok(TdInfo {
            gpa_width: u64::from(i.gpaw) as u8,
            attributes: TdAttributes(i.attributes.bits()),
            num_vcpus: i.num_vcpus,
            max_vcpus: i.max_vcpus,
            vcpu_index: i.vcpu_index,
            sys_rd_available: i.sys_rd & 1 != 0,
        })
    }

    fn veinfo_get(&self) -> Result<VeInfo, TdxStatus> {
        let v = tdg::get_veinfo().map_err(status_of)?;
        Ok(VeInfo {
            exit_reason: v.exit_reason,
            exit_qualification: v.exit_qualification,
            gla: v.guest_linear_address,
            gpa: v.guest_physical_address,
            instruction_length: v.exit_instruction_length,
            instruction_info: v.exit_instruction_info,
        })
    }

    fn rtmr_extend(&self, data: AlignedGpa<64>, index: RtmrIndex) -> Result<(), TdxStatus> {
        // `extend_rtmr(extend_data_gpa: u64, reg_idx: u64)`: a GPA, no reference.
        tdg::extend_rtmr(data.raw(), index.get().into()).map_err(status_of)
    }

    unsafe fn report(
        &self,
        report: AlignedGpa<1024>,
        data: AlignedGpa<64>,
        subtype: u8,
        requestor: ReportRequestor,
    ) -> Result<(), TdxStatus> {
        // `get_report(report_gpa, data_gpa)` has no subtype or requestor input (R8 is 0).
        let _ = (subtype, requestor);
        tdg::get_report(report.raw(), data.raw()).map_err(status_of)
    }

    fn cpuidve_set(&self, config: CpuidVe) -> Result<(), TdxStatus> {
        let mut flags = CpuidveFlag::empty();
        flags.set(CpuidveFlag::SUPERVISOR, config.supervisor);
        flags.set(CpuidveFlag::USER, config.user);
        tdg::set_cpuidve(flags).map_err(status_of)
    }

    unsafe fn accept(&self, page: AcceptPage) -> Result<Accepted, TdxStatus> {
        // SAFETY: the caller vouches for the page (as for `tdcall::tdg_mem_page_accept`).
        match unsafe { tdg::accept_page(page.level() as u64, page.gpa().raw()) } {
            Ok(()) => Ok(Accepted::Accepted),
            Err(e) => Err(status_of(e)),
        }
    }

    fn vm_rd(&self, field: FieldId) -> Result<u64, TdxStatus> {
        tdg::read_td_metadata(field.raw()).map_err(status_of)
    }

    fn vm_wr(&self, field: FieldId, value: u64, mask: u64) -> Result<u64, TdxStatus> {
        tdg::write_td_metadata(field.raw(), value, mask).map_err(status_of)
    }

    fn vp_rd(&self, field: FieldId) -> Result<(u64, Option<FieldId>), TdxStatus> {
        // Returns R8 only: no next field id.
        let v = tdg::read_vcpu_metadata(field.raw()).map_err(status_of)?;
        Ok((v, None))
    }

    fn vp_wr(&self, field: FieldId, value: u64, mask: u64) -> Result<u64, TdxStatus> {
        tdg::write_vcpu_metadata(field.raw(), value, mask).map_err(status_of)
    }

    fn sys_rd(&self, field: FieldId) -> Result<(u64, Option<FieldId>), TdxStatus> {
        // Returns R8 only: no next field id.
        let v = tdg::read_sys_metadata(field.raw()).map_err(status_of)?;
        Ok((v, None))
    }

    fn invept(&self, vms: u64) -> Result<(), TdxStatus> {
        tdg::invalidate_l2_cached_ept(vms).map_err(status_of)
    }

    fn map_gpa(&self, gpa: u64, len: u64) -> Result<MapGpaProgress, VmcallError> {
        // `map_gpa` hands the caller R11 with the error, unchecked: a RETRY resumes there.
        match vmcall::map_gpa(gpa, len) {
            Ok(()) => Ok(MapGpaProgress::Done),
            Err((r11, TdVmcallError::TdxRetry)) => Ok(MapGpaProgress::Retry { resume: r11 }),
            Err((_, e)) => Err(vmcall_error(e)),
        }
    }

    fn get_quote(&self, buffer: SharedGpa, len: u64) -> Result<(), VmcallError> {
        vmcall::get_quote(buffer.raw(), len).map_err(vmcall_error)
    }

    fn setup_event_notify(&self, vector: u8) -> Result<(), VmcallError> {
        vmcall::setup_event_notify_interrupt(vector.into()).map_err(vmcall_error)
    }

    fn cpuid(&self, leaf: u32, subleaf: u32) -> Result<CpuidResult, VmcallError> {
        let r = vmcall::cpuid(leaf, subleaf).map_err(vmcall_error)?;
        // `CpuIdInfo`'s fields are usize, R12-R15 whole (0.3 and later keep bits 31:0 only);
        // CPUID's registers are 32 bits: more is the VMM's, and named, not dropped here.
        for v in [r.eax, r.ebx, r.ecx, r.edx] {
            if v as u64 > u64::from(u32::MAX) {
                return Err(VmcallError::Untrusted {
                    what: "CPUID register above 32 bits (tdx-guest CpuIdInfo keeps it whole)",
                    value: v as u64,
                });
            }
        }
        Ok(CpuidResult {
            eax: r.eax as u32,
            ebx: r.ebx as u32,
            ecx: r.ecx as u32,
            edx: r.edx as u32,
        })
    }

    fn hlt(&self, interrupts_blocked: bool) -> Result<(), VmcallError> {
        // `hlt()` reads RFLAGS.IF itself and returns nothing: it discards the VMM's status
        // (`let _ = td_vmcall(..)`), and `Ok` is all a caller can see
        // (docs/findings/tdx-guest-status-lost.md).
        let _ = interrupts_blocked;
        vmcall::hlt();
        Ok(())
    }

    fn io_read(&self, size: AccessSize, port: u16) -> Result<u32, VmcallError> {
        vmcall::io_read(io_size(size), port).map_err(vmcall_error)
    }

    fn io_write(&self, size: AccessSize, port: u16, value: u32) -> Result<(), VmcallError> {
        vmcall::io_write(io_size(size), port, value).map_err(vmcall_error)
    }

    fn rdmsr(&self, msr: u32) -> Result<u64, VmcallError> {
        // SAFETY: a TDVMCALL; the VMM answers, no MSR is touched here.
        unsafe { vmcall::rdmsr(msr) }.map_err(vmcall_error)
    }

    fn wrmsr(&self, msr: u32, value: u64) -> Result<(), VmcallError> {
        // SAFETY: as `rdmsr`.
        unsafe { vmcall::wrmsr(msr, value) }.map_err(vmcall_error)
    }

    fn mmio_read(&self, size: AccessSize, gpa: SharedGpa) -> Result<u64, VmcallError> {
        // SAFETY: a TDVMCALL with the GPA as a number; nothing is dereferenced.
        unsafe { vmcall::read_mmio(io_size(size), gpa.raw()) }.map_err(vmcall_error)
    }

    fn mmio_write(&self, size: AccessSize, gpa: SharedGpa, value: u64) -> Result<(), VmcallError> {
        // SAFETY: as `mmio_read`.
        unsafe { vmcall::write_mmio(io_size(size), gpa.raw(), value) }.map_err(vmcall_error)
    }

    fn wbinvd(&self, no_invalidate: bool) -> Result<(), VmcallError> {
        vmcall::perform_cache_operation(no_invalidate.into()).map_err(vmcall_error)
    }
}

/// Runs the comparison, then judges every failure of `tdx-guest`: each must be a written-up
/// bug ([`BUGS`]); one that is not is unjudged (a new finding, or an error of the oracle) and
/// the exit status is 1. This workspace's wrappers must pass.
fn main() {
    let args = Args::from_env("tdx-guest-check [SECONDS_PER_TARGET] [SEED] [--json]");
    let reports = vec![run_named(Production, &args), run_named(TdxGuest, &args)];
    let status = print_comparison(&reports, &args);
    if status == 2 {
        // Nothing checked: no verdict to judge.
        std::process::exit(2);
    }
    let mut unjudged = 0;
    let mut judged = 0;
    for (name, r) in &reports {
        for l in r.leaves.values() {
            for (sig, g) in &l.signatures {
                let bug = (*name == TdxGuest::NAME)
                    .then(|| BUGS.iter().find(|b| b.matches(&g.failure)))
                    .flatten();
                match bug {
                    Some(b) => {
                        judged += 1;
                        eprintln!("judged, {}: {} program(s): {sig}", b.what, g.programs);
                    }
                    None => {
                        unjudged += 1;
                        eprintln!("UNJUDGED ({name}): {} program(s): {sig}", g.programs);
                    }
                }
            }
        }
    }
    eprintln!("{judged} failure signatures judged as written-up bugs, {unjudged} unjudged");
    std::process::exit(i32::from(unjudged > 0))
}

/// The minimized reproducers of the bugs (`docs/findings/tdx-guest-*.md`), as the campaign
/// printed them: each replays and is judged as its bug.
#[cfg(test)]
mod tests {
    use super::*;
    use tdx_oracle::Difference;
    use tdx_oracle::{ModuleVersion, Oracle, Program, Target};

    fn replay(bytes: &[u8], version: ModuleVersion) -> Failure {
        let program = Program::decode(Target::All, bytes);
        Oracle::new_on(TdxGuest, 1, version)
            .run_program(&program, |_, _| {})
            .expect_err("the failure replays")
    }

    fn bug(f: &Failure) -> &'static str {
        BUGS.iter()
            .find(|b| b.matches(f))
            .map(|b| b.what)
            .unwrap_or_else(|| panic!("not a judged bug:\n{f}"))
    }

    #[test]
    fn invept_refuses_a_valid_bitmap() {
        // Program([Invept { vms: 0x6 }])
        let f = replay(&[0x16, 0x06], ModuleVersion::V2_0_18);
        assert_eq!(f.verdict, Verdict::Refusal, "{f}");
        assert!(
            bug(&f).contains("tdx-guest-invept-check-inverted.md"),
            "{f}"
        );
    }

    #[test]
    fn vmcall_leaves_r11() {
        // Program([VmcallCpuid { leaf: 0xc31d53dc, subleaf: 0xbe0e7e1a }])
        let f = replay(
            &[0x20, 0xdc, 0x53, 0x1d, 0xc3, 0x1a, 0x7e, 0x0e, 0xbe],
            ModuleVersion::V1_5_05,
        );
        assert_eq!(f.verdict, Verdict::Hygiene, "{f}");
        assert!(bug(&f).contains("tdx-guest-vmcall-r11.md"), "{f}");
    }

    #[test]
    fn tdcall_status_details_lost() {
        // Program([RtmrExtend { data: Slot(0xd604), index: 0x3, .. }])
        let f = replay(
            &[
                0x01, 0x00, 0x04, 0xd6, 0x03, 0xa1, 0xc6, 0x5d, 0x4d, 0x1f, 0x0d, 0x3d, 0x55, 0x05,
                0xa1, 0xbc, 0x61, 0xd3, 0x18, 0xe4, 0xd5, 0xe8, 0x3d, 0xf7, 0x14, 0x18, 0xf6, 0x47,
                0x35, 0x4d, 0x89, 0x16, 0x78, 0xac, 0xc1, 0xa6, 0x7b, 0x9f, 0x0e, 0x7c, 0x9a, 0xe9,
                0x80, 0x5b, 0x7b, 0xf9, 0xae, 0x15, 0xf5, 0xde, 0x8d, 0xa8, 0x33, 0x01,
            ],
            ModuleVersion::V2_0_18,
        );
        assert_eq!(f.verdict, Verdict::Decoding, "{f}");
        assert!(bug(&f).contains("tdx-guest-status-lost.md"), "{f}");
    }

    #[test]
    fn vmcall_status_lost() {
        // Program([SetVmm { hostile: true, seed: 0x70afc060a7800cf3 }, VmcallRdmsr { msr: 0x2f3255b }])
        let f = replay(
            &[
                0x19, 0x01, 0xf3, 0x0c, 0x80, 0xa7, 0x60, 0xc0, 0xaf, 0x70, 0x23, 0x5b, 0x25, 0xf3,
                0x02,
            ],
            ModuleVersion::V1_5_34,
        );
        assert_eq!(f.verdict, Verdict::Decoding, "{f}");
        assert!(bug(&f).contains("tdx-guest-status-lost.md"), "{f}");
    }

    /// The judging itself: a status with its details (what this workspace's wrappers keep) is
    /// not taken for the loss, a read value that differs below the access size is not taken for
    /// kept high bits, and a failure of another kind is no judged bug.
    #[test]
    fn judging_tells_losses_from_other_failures() {
        let failure = |verdict, detail: &str| Failure {
            verdict,
            leaf: "TDG.MR.RTMR.EXTEND",
            call: String::new(),
            detail: detail.to_string(),
            table: String::new(),
            module: ModuleVersion::NEWEST,
            differs: Vec::new(),
        };
        let lost = failure(
            Verdict::Decoding,
            "wrapper returned Err(OperandInvalid(0xc0000100ffffffff, operand ?)); the model \
             decodes the outputs as Err(OperandInvalid(0xc000010000000001, operand RCX))",
        );
        assert!(lost_details(&lost));
        let other = failure(
            Verdict::Decoding,
            "wrapper returned Err(OperandInvalid(0xc000010000000002, operand RDX)); the model \
             decodes the outputs as Err(OperandInvalid(0xc000010000000001, operand RCX))",
        );
        assert!(!lost_details(&other));
        assert!(BUGS.iter().all(|b| !b.matches(&other)));
        let encoding = failure(Verdict::Encoding, "input registers differ: [\"RCX\"]");
        assert!(BUGS.iter().all(|b| !b.matches(&encoding)));
        let read = |detail: &str| Failure {
            leaf: "#VE.RequestMMIO",
            call: "VmcallMmio { size: 0x2, gpa: SharedSlot(0x1), write: false, value: 0x0 }".into(),
            ..failure(Verdict::Decoding, detail)
        };
        let high =
            read("wrapper returned Ok(4294905855); the model decodes the outputs as Ok(4095)");
        assert!(
            read_kept_high_bits(&high),
            "0xffff0fff masked to 16 bits is 0x0fff"
        );
        let wrong =
            read("wrapper returned Ok(4294905854); the model decodes the outputs as Ok(4095)");
        assert!(!read_kept_high_bits(&wrong));
        assert!(BUGS.iter().all(|b| !b.matches(&wrong)));
        assert!(POLICY_BY_VALUE.iter().all(|p| !p.matches(&wrong)));
        assert_eq!(TdxGuest.policy(&wrong), None);
    }

    /// The structured rules: a field they name with values they accept is policy; another
    /// value, another field, or a failure that also differs elsewhere is not.
    #[test]
    fn structured_policy_covers_named_fields_only() {
        let report = |differs: Vec<Difference>| Failure {
            verdict: Verdict::Encoding,
            leaf: "TDG.MR.REPORT",
            call: String::new(),
            detail: String::new(),
            table: String::new(),
            module: ModuleVersion::NEWEST,
            differs,
        };
        let r8 = |got| Difference::of("R8", got, 1);
        assert!(TdxGuest.policy(&report(vec![r8(0)])).is_some());
        assert_eq!(TdxGuest.policy(&report(vec![r8(2)])), None);
        assert_eq!(
            TdxGuest.policy(&report(vec![r8(0), Difference::of("RCX", 0x1000, 0x2000)])),
            None
        );
        assert_eq!(TdxGuest.policy(&report(Vec::new())), None);
    }
}

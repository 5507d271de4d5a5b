//! C-ABI adapter: TDCALL wrappers written in C or assembly, linked and checked by the same
//! oracle as the Rust wrappers.
//!
//! `include/tdx_oracle_abi.h` declares the entry points a C/asm implementation provides, in
//! two families: Linux style (`struct tdx_module_args`, `__tdcall`, `__tdcall_ret`,
//! `__tdcall_saved_ret`, `__tdx_hypercall`) and EDK2 style (`TdCall`, `TdVmCall`, EFIAPI).
//! `c/` holds one implementation of each, built by `build.rs` with the system C compiler.
//!
//! The [`Wrappers`] implementations here play the part of the callers: they fill the
//! arguments the way Linux (`arch/x86/coco/tdx/tdx.c`) and EDK2 (`OvmfPkg`, `MdePkg`) fill
//! them, and turn what the C function returns into this workspace's typed results, using only
//! what the C interface hands back. Their `provides` is true exactly for the calls implemented.
//!
//! The C functions are real calls: `#[inline(always)]` stops at the FFI boundary, so the
//! oracle's register-pressure check sees what the C calling convention guarantees.
#![cfg(all(target_arch = "x86_64", target_os = "linux"))]
#![deny(unsafe_op_in_unsafe_fn, missing_docs)]
#![warn(clippy::undocumented_unsafe_blocks)]

use core::ffi::c_void;

use tdcall::vmcall::{AccessSize, CpuidResult, MapGpaProgress, VmcallError, VmcallStatus};
use tdcall::{
    AcceptPage, Accepted, FieldId, InputError, PageLevel, StatusCode, TdAttributes, TdInfo,
    TdxStatus,
};
use tdx_oracle::call::Kind;
use tdx_oracle::{quantity, Policy, Verdict, Wrappers};

/// The raw C entry points of `include/tdx_oracle_abi.h`.
pub mod ffi {
    use core::ffi::c_void;

    /// Linux's `struct tdx_module_args` (field order is ABI: the asm uses offsets).
    #[repr(C)]
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
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

    /// `TDVMCALL_EXPOSE_REGS_MASK` of Linux (and of EDK2 since 2024-02-27).
    pub const TDVMCALL_EXPOSE_REGS_MASK: u64 = 0xffcc;

    /// `u64 f(u64 fn, struct tdx_module_args *args)`: `__tdcall`, `__tdcall_ret`,
    /// `__tdcall_saved_ret`.
    pub type LinuxTdcall = unsafe extern "C" fn(u64, *mut TdxModuleArgs) -> u64;
    /// `u64 __tdx_hypercall(struct tdx_module_args *args)`.
    pub type LinuxHypercall = unsafe extern "C" fn(*mut TdxModuleArgs) -> u64;
    /// `UINT64 EFIAPI TdCall(UINT64 Leaf, UINT64 Arg1, UINT64 Arg2, UINT64 Arg3,
    /// VOID *Results)`.
    pub type Edk2TdCall = unsafe extern "efiapi" fn(u64, u64, u64, u64, *mut c_void) -> u64;
    /// `UINT64 EFIAPI TdVmCall(UINT64 Leaf, UINT64 Arg1..Arg4, VOID *Results)`.
    pub type Edk2TdVmCall = unsafe extern "efiapi" fn(u64, u64, u64, u64, u64, *mut c_void) -> u64;
    /// `UINT64 EFIAPI TdVmCallCpuid(UINT64 EaxIn, UINT64 EcxIn, VOID *Results)`.
    pub type Edk2TdVmCallCpuid = unsafe extern "efiapi" fn(u64, u64, *mut c_void) -> u64;

    /// The entry points of the implementation under test (`c/entry_points.c`): each is
    /// `None` when the implementation does not define it (a weak reference), and the calls
    /// that need it are then not provided. Field order is ABI.
    #[repr(C)]
    #[derive(Clone, Copy, Debug)]
    pub struct EntryPoints {
        /// `__tdcall`.
        pub tdcall: Option<LinuxTdcall>,
        /// `__tdcall_ret`.
        pub tdcall_ret: Option<LinuxTdcall>,
        /// `__tdcall_saved_ret`.
        pub tdcall_saved_ret: Option<LinuxTdcall>,
        /// `__tdx_hypercall`.
        pub tdx_hypercall: Option<LinuxHypercall>,
        /// `TdCall`.
        pub td_call: Option<Edk2TdCall>,
        /// `TdVmCall`.
        pub td_vm_call: Option<Edk2TdVmCall>,
        /// `TdVmCallFfec` (this crate's `c/edk2.c` only: EDK2's `TdVmCall` of 2021–2024).
        pub td_vm_call_ffec: Option<Edk2TdVmCall>,
        /// `TdVmCallCpuid`.
        pub td_vm_call_cpuid: Option<Edk2TdVmCallCpuid>,
        /// `TdVmCallCpuidFixed` (this crate's `c/edk2_cpuid.S` only: the control).
        pub td_vm_call_cpuid_fixed: Option<Edk2TdVmCallCpuid>,
    }

    impl EntryPoints {
        /// The symbol names, in field order, with whether each is defined.
        pub fn defined(&self) -> [(&'static str, bool); 9] {
            [
                ("__tdcall", self.tdcall.is_some()),
                ("__tdcall_ret", self.tdcall_ret.is_some()),
                ("__tdcall_saved_ret", self.tdcall_saved_ret.is_some()),
                ("__tdx_hypercall", self.tdx_hypercall.is_some()),
                ("TdCall", self.td_call.is_some()),
                ("TdVmCall", self.td_vm_call.is_some()),
                ("TdVmCallFfec", self.td_vm_call_ffec.is_some()),
                ("TdVmCallCpuid", self.td_vm_call_cpuid.is_some()),
                ("TdVmCallCpuidFixed", self.td_vm_call_cpuid_fixed.is_some()),
            ]
        }
    }

    extern "C" {
        #[link_name = "tdx_oracle_entry_points"]
        static ENTRY_POINTS: EntryPoints;
    }

    /// The implementation's entry points.
    pub fn entry_points() -> &'static EntryPoints {
        // SAFETY: a constant table of function pointers (null or a function of the declared
        // type), defined by c/entry_points.c and never written.
        unsafe { &ENTRY_POINTS }
    }

    /// Calls through an entry point the caller has checked is defined (`provides`).
    fn defined<F>(f: Option<F>, name: &str) -> F {
        f.unwrap_or_else(|| panic!("{name} is not defined: the call is not provided"))
    }

    /// `u64 __tdcall(u64 fn, struct tdx_module_args *args)`.
    ///
    /// # Safety
    ///
    /// `args` is valid; the leaf's memory operands are the caller's to vouch for.
    #[inline(always)]
    pub unsafe fn tdcall(leaf: u64, args: *mut TdxModuleArgs) -> u64 {
        // SAFETY: forwarded from the caller; the C function has this signature.
        unsafe { defined(entry_points().tdcall, "__tdcall")(leaf, args) }
    }

    /// `u64 __tdcall_ret(u64 fn, struct tdx_module_args *args)`.
    ///
    /// # Safety
    ///
    /// As [`tdcall()`].
    #[inline(always)]
    pub unsafe fn tdcall_ret(leaf: u64, args: *mut TdxModuleArgs) -> u64 {
        // SAFETY: forwarded from the caller; the C function has this signature.
        unsafe { defined(entry_points().tdcall_ret, "__tdcall_ret")(leaf, args) }
    }

    /// `u64 __tdcall_saved_ret(u64 fn, struct tdx_module_args *args)`.
    ///
    /// # Safety
    ///
    /// As [`tdcall()`].
    #[inline(always)]
    pub unsafe fn tdcall_saved_ret(leaf: u64, args: *mut TdxModuleArgs) -> u64 {
        // SAFETY: forwarded from the caller; the C function has this signature.
        unsafe { defined(entry_points().tdcall_saved_ret, "__tdcall_saved_ret")(leaf, args) }
    }

    /// `u64 __tdx_hypercall(struct tdx_module_args *args)`: mask 0xFFCC, returns R10,
    /// aborts the process if the module refuses the call.
    ///
    /// # Safety
    ///
    /// As [`tdcall()`].
    #[inline(always)]
    pub unsafe fn tdx_hypercall(args: *mut TdxModuleArgs) -> u64 {
        // SAFETY: forwarded from the caller; the C function has this signature.
        unsafe { defined(entry_points().tdx_hypercall, "__tdx_hypercall")(args) }
    }

    /// `TdCall`; `Results` is six `UINT64` (RCX, RDX, R8–R11), written on success.
    ///
    /// # Safety
    ///
    /// `results` is null or points at six writable `UINT64`; the leaf's memory operands are
    /// the caller's to vouch for.
    #[inline(always)]
    pub unsafe fn td_call(leaf: u64, arg1: u64, arg2: u64, arg3: u64, results: *mut c_void) -> u64 {
        // SAFETY: forwarded from the caller; the C function has this signature.
        unsafe { defined(entry_points().td_call, "TdCall")(leaf, arg1, arg2, arg3, results) }
    }

    /// `TdVmCall` (current EDK2: mask 0xFFCC; `*Results` = R11 whenever the module let the
    /// call through).
    ///
    /// # Safety
    ///
    /// `results` is null or points at a writable `UINT64`.
    #[inline(always)]
    pub unsafe fn td_vm_call(
        leaf: u64,
        arg1: u64,
        arg2: u64,
        arg3: u64,
        arg4: u64,
        results: *mut c_void,
    ) -> u64 {
        // SAFETY: forwarded from the caller; the C function has this signature.
        unsafe {
            defined(entry_points().td_vm_call, "TdVmCall")(leaf, arg1, arg2, arg3, arg4, results)
        }
    }

    /// `TdVmCall` as EDK2 shipped it from 2021-11 to 2024-02: mask 0xFFEC (RBP selected),
    /// `*Results` written only on success.
    ///
    /// # Safety
    ///
    /// As [`td_vm_call`].
    #[inline(always)]
    pub unsafe fn td_vm_call_ffec(
        leaf: u64,
        arg1: u64,
        arg2: u64,
        arg3: u64,
        arg4: u64,
        results: *mut c_void,
    ) -> u64 {
        // SAFETY: forwarded from the caller; the C function has this signature.
        unsafe {
            defined(entry_points().td_vm_call_ffec, "TdVmCallFfec")(
                leaf, arg1, arg2, arg3, arg4, results,
            )
        }
    }

    /// `TdVmCallCpuid` with the stack layout of OvmfPkg's `TdVmcallCpuid.nasm`; `Results` is
    /// four `UINT64` (EAX–EDX), written on success. On an error path it returns to a wrong
    /// address (docs/findings/edk2-tdvmcallcpuid-stack.md).
    ///
    /// # Safety
    ///
    /// `results` is null or points at four writable `UINT64`, and the process may die: call
    /// it only in a child process.
    #[inline(always)]
    pub unsafe fn td_vm_call_cpuid(eax: u64, ecx: u64, results: *mut c_void) -> u64 {
        // SAFETY: forwarded from the caller; the C function has this signature.
        unsafe { defined(entry_points().td_vm_call_cpuid, "TdVmCallCpuid")(eax, ecx, results) }
    }

    /// [`td_vm_call_cpuid`] with `Results` popped on every path: the control.
    ///
    /// # Safety
    ///
    /// `results` is null or points at four writable `UINT64`.
    #[inline(always)]
    pub unsafe fn td_vm_call_cpuid_fixed(eax: u64, ecx: u64, results: *mut c_void) -> u64 {
        // SAFETY: forwarded from the caller; the C function has this signature.
        unsafe {
            defined(entry_points().td_vm_call_cpuid_fixed, "TdVmCallCpuidFixed")(eax, ecx, results)
        }
    }
}

use ffi::TdxModuleArgs;

/// TDCALL leaf numbers.
const TDG_VP_INFO: u64 = 1;
const TDG_MEM_PAGE_ACCEPT: u64 = 6;
const TDG_VM_RD: u64 = 7;

/// GHCI sub-functions (R11).
const CPUID: u64 = 10;
const HLT: u64 = 12;
const IO: u64 = 30;
const RDMSR: u64 = 31;
const WRMSR: u64 = 32;
const MAP_GPA: u64 = 0x10001;

fn status_result(raw: u64) -> Result<(), TdxStatus> {
    if raw == 0 {
        Ok(())
    } else {
        Err(TdxStatus::from_raw(raw))
    }
}

/// TDG.VP.INFO outputs (RCX, RDX, R8, R9, R10) as our typed result.
fn td_info(rcx: u64, rdx: u64, r8: u64, r9: u64, r10: u64) -> TdInfo {
    TdInfo {
        gpa_width: (rcx & 0x3f) as u8,
        attributes: TdAttributes(rdx),
        num_vcpus: r8 as u32,
        max_vcpus: (r8 >> 32) as u32,
        vcpu_index: r9 as u32,
        sys_rd_available: r10 & 1 != 0,
    }
}

/// A TDG.MEM.PAGE.ACCEPT status (the only output) as our typed result.
fn accepted(rax: u64) -> Result<Accepted, TdxStatus> {
    let st = TdxStatus::from_raw(rax);
    if st.is_success() {
        return Ok(Accepted::Accepted);
    }
    if st.is(StatusCode::PageAlreadyAccepted) {
        if let Ok(mapped_level) = PageLevel::from_raw(u64::from(st.details())) {
            return Ok(Accepted::AlreadyAccepted { mapped_level });
        }
    }
    Err(st)
}

/// The precondition of our typed MapGPA: a non-empty, page-aligned range that does not wrap.
/// Neither original checks it (their callers pass whole pages); the adapter refuses, as our
/// `Wrappers::map_gpa` must, before calling into C.
fn map_range(gpa: u64, len: u64) -> Result<u64, VmcallError> {
    match gpa.checked_add(len) {
        Some(end) if len != 0 && (gpa | len) & 0xfff == 0 => Ok(end),
        _ => Err(InputError::RangeInvalid { start: gpa, len }.into()),
    }
}

/// A MapGPA answer as both originals read it (Linux `tdx_map_gpa()`, EDK2
/// `SetOrClearSharedBit()`): RETRY with R11 inside `[start, end)` resumes there; any other
/// RETRY address is refused. Neither checks that the address is page aligned.
fn map_gpa_progress(
    gpa: u64,
    end: u64,
    status: u64,
    r11: u64,
) -> Result<MapGpaProgress, VmcallError> {
    match VmcallStatus(status) {
        VmcallStatus::SUCCESS => Ok(MapGpaProgress::Done),
        VmcallStatus::RETRY if r11 < gpa || r11 >= end => Err(VmcallError::Untrusted {
            what: "MapGPA resume address",
            value: r11,
        }),
        VmcallStatus::RETRY => Ok(MapGpaProgress::Retry { resume: r11 }),
        s => Err(VmcallError::Vmm(s)),
    }
}

fn vmm_status(status: u64) -> Result<(), VmcallError> {
    match status {
        0 => Ok(()),
        s => Err(VmcallError::Vmm(VmcallStatus(s))),
    }
}

/// The Linux-style leaves, shared by [`LinuxStyle`] and [`LinuxContractMask`].
mod linux {
    use super::*;

    #[inline(always)]
    pub fn vp_info() -> Result<TdInfo, TdxStatus> {
        // tdx_parse_tdinfo(): tdcall(TDG_VP_INFO, &args) = __tdcall_ret + panic on error.
        let mut a = TdxModuleArgs::default();
        // SAFETY: a valid struct; TDG.VP.INFO touches no memory.
        let rax = unsafe { ffi::tdcall_ret(TDG_VP_INFO, &mut a) };
        status_result(rax)?;
        Ok(td_info(a.rcx, a.rdx, a.r8, a.r9, a.r10))
    }

    /// # Safety
    ///
    /// As [`tdcall::tdg_mem_page_accept`].
    #[inline(always)]
    pub unsafe fn accept(page: AcceptPage) -> Result<Accepted, TdxStatus> {
        // try_accept_one(): struct tdx_module_args args = { .rcx = start | page_size };
        // __tdcall(TDG_MEM_PAGE_ACCEPT, &args).
        let mut a = TdxModuleArgs {
            rcx: page.to_rcx(),
            ..Default::default()
        };
        // SAFETY: forwarded from the caller.
        let rax = unsafe { ffi::tdcall(TDG_MEM_PAGE_ACCEPT, &mut a) };
        accepted(rax)
    }

    #[inline(always)]
    pub fn vm_rd(field: FieldId) -> Result<u64, TdxStatus> {
        // tdg_vm_rd(): { .rdx = field }; ret = __tdcall_ret(TDG_VM_RD, &args); *value = r8.
        let mut a = TdxModuleArgs {
            rdx: field.raw(),
            ..Default::default()
        };
        // SAFETY: a valid struct; TDG.VM.RD touches no memory.
        let rax = unsafe { ffi::tdcall_ret(TDG_VM_RD, &mut a) };
        status_result(rax)?;
        Ok(a.r8)
    }

    /// A standard TDVMCALL through `hc`, built as Linux builds it: a designated initializer
    /// (every other field zero).
    #[inline(always)]
    pub fn standard(
        hc: impl FnOnce(&mut TdxModuleArgs) -> Result<u64, VmcallError>,
        fnr: u64,
        r12: u64,
        r13: u64,
    ) -> (Result<u64, VmcallError>, TdxModuleArgs) {
        let mut a = TdxModuleArgs {
            r10: 0,
            r11: fnr,
            r12,
            r13,
            ..Default::default()
        };
        let s = hc(&mut a);
        (s, a)
    }

    #[inline(always)]
    pub fn cpuid(
        hc: impl FnOnce(&mut TdxModuleArgs) -> Result<u64, VmcallError>,
        leaf: u32,
        subleaf: u32,
    ) -> Result<CpuidResult, VmcallError> {
        // handle_cpuid(): { .r11 = hcall_func(EXIT_REASON_CPUID), .r12 = ax, .r13 = cx };
        // if (__tdx_hypercall(&args)) return -EIO; regs->ax..dx = args.r12..r15.
        // (handle_cpuid() forwards only leaves 0x40000000-0x4fffffff to the VMM; that filter
        // is the #VE handler's, not the hypercall's, and is left out here.)
        let (s, a) = standard(hc, CPUID, leaf.into(), subleaf.into());
        vmm_status(s?)?;
        Ok(CpuidResult {
            eax: a.r12 as u32,
            ebx: a.r13 as u32,
            ecx: a.r14 as u32,
            edx: a.r15 as u32,
        })
    }

    #[inline(always)]
    pub fn rdmsr(
        hc: impl FnOnce(&mut TdxModuleArgs) -> Result<u64, VmcallError>,
        msr: u32,
    ) -> Result<u64, VmcallError> {
        // read_msr(): { .r11 = hcall_func(EXIT_REASON_MSR_READ), .r12 = regs->cx };
        // ax/dx = lower/upper 32 bits of args.r11.
        let (s, a) = standard(hc, RDMSR, msr.into(), 0);
        vmm_status(s?)?;
        Ok(a.r11)
    }

    #[inline(always)]
    pub fn wrmsr(
        hc: impl FnOnce(&mut TdxModuleArgs) -> Result<u64, VmcallError>,
        msr: u32,
        value: u64,
    ) -> Result<(), VmcallError> {
        // write_msr(): { .r11 = hcall_func(EXIT_REASON_MSR_WRITE), .r12 = cx, .r13 = dx:ax }.
        let (s, _) = standard(hc, WRMSR, msr.into(), value);
        vmm_status(s?)
    }

    #[inline(always)]
    pub fn hlt(
        hc: impl FnOnce(&mut TdxModuleArgs) -> Result<u64, VmcallError>,
        blocked: bool,
    ) -> Result<(), VmcallError> {
        // __halt(): _tdx_hypercall(hcall_func(EXIT_REASON_HLT), irq_disabled, 0, 0, 0).
        let (s, _) = standard(hc, HLT, blocked.into(), 0);
        vmm_status(s?)
    }

    #[inline(always)]
    pub fn map_gpa(
        hc: impl FnOnce(&mut TdxModuleArgs) -> Result<u64, VmcallError>,
        gpa: u64,
        len: u64,
    ) -> Result<MapGpaProgress, VmcallError> {
        // tdx_map_gpa(): { .r11 = TDVMCALL_MAP_GPA, .r12 = start, .r13 = end - start };
        // ret = __tdx_hypercall(&args); RETRY: map_fail_paddr = args.r11, range-checked.
        let end = map_range(gpa, len)?;
        let (s, a) = standard(hc, MAP_GPA, gpa, len);
        map_gpa_progress(gpa, end, s?, a.r11)
    }

    /// `__tdx_hypercall()`: mask 0xFFCC, the process aborts if the module refuses.
    #[inline(always)]
    pub fn hypercall(a: &mut TdxModuleArgs) -> Result<u64, VmcallError> {
        // SAFETY: a valid struct; the standard sub-functions used here touch no guest memory
        // the VMM is given by address.
        Ok(unsafe { ffi::tdx_hypercall(a) })
    }

    /// `__tdcall_saved_ret(TDG_VP_VMCALL, args)` with `args.rcx` = `mask`.
    #[inline(always)]
    pub fn saved_ret(mask: u16) -> impl FnOnce(&mut TdxModuleArgs) -> Result<u64, VmcallError> {
        move |a| {
            a.rcx = mask.into();
            // SAFETY: as in `hypercall`.
            let rax = unsafe { ffi::tdcall_saved_ret(0, a) };
            if rax != 0 {
                return Err(VmcallError::Module(TdxStatus::from_raw(rax)));
            }
            Ok(a.r10)
        }
    }
}

/// Register masks of the sub-functions, as GHCI-minimal exposure (R10, R11 and the call's own
/// registers): the model's contracts.
mod minimal {
    const R10: u16 = 1 << 10;
    const R11: u16 = 1 << 11;
    const R12: u16 = 1 << 12;
    const R13: u16 = 1 << 13;
    const R14: u16 = 1 << 14;
    const R15: u16 = 1 << 15;
    pub const CPUID: u16 = R10 | R11 | R12 | R13 | R14 | R15;
    pub const RDMSR: u16 = R10 | R11 | R12;
    pub const WRMSR: u16 = R10 | R11 | R12 | R13;
    pub const HLT: u16 = R10 | R11 | R12;
    pub const MAP_GPA: u16 = R10 | R11 | R12 | R13;
}

const LINUX_KINDS: &[Kind] = &[
    Kind::VpInfo,
    Kind::Accept,
    Kind::AcceptRange,
    Kind::VmRd,
    Kind::SetVmm,
    Kind::VmcallCpuid,
    Kind::VmcallRdmsr,
    Kind::VmcallWrmsr,
    Kind::VmcallHlt,
    Kind::VmcallMapGpa,
    Kind::VmcallConvert,
];

/// Linux style, as Linux does it: `__tdcall`/`__tdcall_ret` for TDG.VP.INFO,
/// TDG.MEM.PAGE.ACCEPT and TDG.VM.RD (version 0), `__tdx_hypercall` (mask 0xFFCC) for
/// Instruction.CPUID, Instruction.RDMSR, Instruction.WRMSR, Instruction.HLT and MapGPA.
pub struct LinuxStyle;

/// The policy differences of the C implementations (`docs/findings/cabi-policy.md`): both
/// Linux and EDK2 check a MapGPA resume address against the range but not its alignment.
pub const CABI_POLICY: &[Policy] = &[Policy::new(
    Verdict::Decoding,
    "MapGPA",
    quantity::RESUME_UNALIGNED,
    "MapGPA resume address checked for range only, not alignment",
)];

/// Whether the entry points a Linux-style call needs are defined: `__tdcall_ret` for
/// TDG.VP.INFO and TDG.VM.RD, `__tdcall` for TDG.MEM.PAGE.ACCEPT, and `vmcall` (the TDVMCALL
/// entry point the variant issues its sub-functions through) for the rest, converting a range
/// included (its loop makes MapGPA calls only).
fn linux_defined(kind: Kind, vmcall: bool) -> bool {
    let e = ffi::entry_points();
    LINUX_KINDS.contains(&kind)
        && match kind {
            Kind::VpInfo | Kind::VmRd => e.tdcall_ret.is_some(),
            Kind::Accept | Kind::AcceptRange => e.tdcall.is_some(),
            Kind::SetVmm => true,
            _ => vmcall,
        }
}

impl Wrappers for LinuxStyle {
    const NAME: &'static str = "C ABI: Linux style";

    fn policy(&self, f: &tdx_oracle::Failure) -> Option<&'static str> {
        Policy::judge(CABI_POLICY, f)
    }
    // Exposes a fixed register set for every TDVMCALL and zero-fills what a call does not use:
    // reported as policy, not as a leak.
    const EXACT_MASK: bool = false;

    fn provides(&self, kind: Kind) -> bool {
        linux_defined(kind, ffi::entry_points().tdx_hypercall.is_some())
    }

    #[inline(always)]
    fn vp_info(&self) -> Result<TdInfo, TdxStatus> {
        linux::vp_info()
    }

    #[inline(always)]
    unsafe fn accept(&self, page: AcceptPage) -> Result<Accepted, TdxStatus> {
        // SAFETY: forwarded from the caller.
        unsafe { linux::accept(page) }
    }

    #[inline(always)]
    fn vm_rd(&self, field: FieldId) -> Result<u64, TdxStatus> {
        linux::vm_rd(field)
    }

    #[inline(always)]
    fn cpuid(&self, leaf: u32, subleaf: u32) -> Result<CpuidResult, VmcallError> {
        linux::cpuid(linux::hypercall, leaf, subleaf)
    }

    #[inline(always)]
    fn rdmsr(&self, msr: u32) -> Result<u64, VmcallError> {
        linux::rdmsr(linux::hypercall, msr)
    }

    #[inline(always)]
    fn wrmsr(&self, msr: u32, value: u64) -> Result<(), VmcallError> {
        linux::wrmsr(linux::hypercall, msr, value)
    }

    #[inline(always)]
    fn hlt(&self, interrupts_blocked: bool) -> Result<(), VmcallError> {
        linux::hlt(linux::hypercall, interrupts_blocked)
    }

    #[inline(always)]
    fn map_gpa(&self, gpa: u64, len: u64) -> Result<MapGpaProgress, VmcallError> {
        linux::map_gpa(linux::hypercall, gpa, len)
    }
}

/// Linux style with the mask narrowed to each sub-function's registers: the same callers and
/// decoding as [`LinuxStyle`], issued through `__tdcall_saved_ret` with `args.rcx` set to the
/// GHCI-minimal mask. Not what Linux does: it exists so that the oracle's leakage verdict,
/// which fails every [`LinuxStyle`] TDVMCALL on the 0xFFCC mask alone, does not hide the
/// other verdicts (clobbers, decoding, semantics) of the same C code.
pub struct LinuxContractMask;

impl Wrappers for LinuxContractMask {
    const NAME: &'static str = "C ABI: Linux style, contract masks";

    fn policy(&self, f: &tdx_oracle::Failure) -> Option<&'static str> {
        Policy::judge(CABI_POLICY, f)
    }

    fn provides(&self, kind: Kind) -> bool {
        linux_defined(kind, ffi::entry_points().tdcall_saved_ret.is_some())
    }

    #[inline(always)]
    fn vp_info(&self) -> Result<TdInfo, TdxStatus> {
        linux::vp_info()
    }

    #[inline(always)]
    unsafe fn accept(&self, page: AcceptPage) -> Result<Accepted, TdxStatus> {
        // SAFETY: forwarded from the caller.
        unsafe { linux::accept(page) }
    }

    #[inline(always)]
    fn vm_rd(&self, field: FieldId) -> Result<u64, TdxStatus> {
        linux::vm_rd(field)
    }

    #[inline(always)]
    fn cpuid(&self, leaf: u32, subleaf: u32) -> Result<CpuidResult, VmcallError> {
        linux::cpuid(linux::saved_ret(minimal::CPUID), leaf, subleaf)
    }

    #[inline(always)]
    fn rdmsr(&self, msr: u32) -> Result<u64, VmcallError> {
        linux::rdmsr(linux::saved_ret(minimal::RDMSR), msr)
    }

    #[inline(always)]
    fn wrmsr(&self, msr: u32, value: u64) -> Result<(), VmcallError> {
        linux::wrmsr(linux::saved_ret(minimal::WRMSR), msr, value)
    }

    #[inline(always)]
    fn hlt(&self, interrupts_blocked: bool) -> Result<(), VmcallError> {
        linux::hlt(linux::saved_ret(minimal::HLT), interrupts_blocked)
    }

    #[inline(always)]
    fn map_gpa(&self, gpa: u64, len: u64) -> Result<MapGpaProgress, VmcallError> {
        linux::map_gpa(linux::saved_ret(minimal::MAP_GPA), gpa, len)
    }
}

/// EDK2's `TdVmCall` return value as our typed error: 0 is success; anything else is RAX when
/// the module refused the call and R10 (the GHCI status) otherwise, and the caller cannot tell
/// which. The module refuses only a malformed RCX, which `TdVmCall` never builds, so a non-zero
/// value is read as the VMM's status.
fn edk2_status(ret: u64) -> Result<(), VmcallError> {
    vmm_status(ret)
}

type TdVmCallFn = unsafe fn(u64, u64, u64, u64, u64, *mut c_void) -> u64;

/// `TdVmCall(leaf, a1, a2, 0, 0, &val)`: (status, val). `val` starts at 0 and keeps it when
/// `TdVmCall` does not write it.
#[inline(always)]
fn td_vm_call(f: TdVmCallFn, leaf: u64, a: [u64; 4], want: bool) -> (u64, u64) {
    let mut val = 0u64;
    let p = if want {
        core::ptr::from_mut(&mut val).cast()
    } else {
        core::ptr::null_mut()
    };
    // SAFETY: `p` is null or points at a live u64, all TdVmCall writes.
    let s = unsafe { f(leaf, a[0], a[1], a[2], a[3], p) };
    (s, val)
}

/// EDK2 style (current EDK2): `TdCall` for TDG.VP.INFO and TDG.MEM.PAGE.ACCEPT, `TdVmCall`
/// (mask 0xFFCC) for Instruction.HLT, Instruction.RDMSR, Instruction.WRMSR, Instruction.IO and
/// MapGPA, with the arguments OVMF's `CcExitLib`, `BaseIoLibIntrinsic` and
/// `BaseMemEncryptTdxLib` pass, and `TdVmCallCpuid` for Instruction.CPUID as `CcExitLib`'s
/// `CpuIdExit` calls it. `TdVmCallCpuid` returns to a wrong address on its error paths
/// (`docs/findings/edk2-tdvmcallcpuid-stack.md`): the oracle makes those calls in a child
/// process ([`Wrappers::may_end_process`]).
pub struct Edk2Style;

const EDK2_KINDS: &[Kind] = &[
    Kind::VpInfo,
    Kind::VmcallCpuid,
    Kind::Accept,
    Kind::AcceptRange,
    Kind::SetVmm,
    Kind::VmcallHlt,
    Kind::VmcallRdmsr,
    Kind::VmcallWrmsr,
    Kind::VmcallIo,
    Kind::VmcallMapGpa,
    Kind::VmcallConvert,
];

/// EDK2's policy differences: [`CABI_POLICY`], and its HLT never says interrupts are blocked
/// (`TdVmCall (TDVMCALL_HALT, 0, 0, 0, 0, 0)`: R12 = 0), so a halt with interrupts blocked is
/// encoded as one without (`docs/findings/cabi-policy.md`).
pub const EDK2_POLICY: &[Policy] = &[
    CABI_POLICY[0],
    Policy::new(
        Verdict::Encoding,
        "Instruction.HLT",
        "interrupts_blocked",
        "HLT with R12 = 0 (interrupts not blocked) whatever the caller's state",
    )
    .when(|got, want| got == Some(0) && want == Some(1)),
];

impl Wrappers for Edk2Style {
    const NAME: &'static str = "C ABI: EDK2 style";

    fn policy(&self, f: &tdx_oracle::Failure) -> Option<&'static str> {
        Policy::judge(EDK2_POLICY, f)
    }
    // Exposes a fixed register set for every TDVMCALL and zero-fills what a call does not use:
    // reported as policy, not as a leak.
    const EXACT_MASK: bool = false;

    fn provides(&self, kind: Kind) -> bool {
        let e = ffi::entry_points();
        EDK2_KINDS.contains(&kind)
            && match kind {
                Kind::VpInfo | Kind::Accept | Kind::AcceptRange => e.td_call.is_some(),
                Kind::VmcallCpuid => e.td_vm_call_cpuid.is_some(),
                Kind::SetVmm => true,
                _ => e.td_vm_call.is_some(),
            }
    }

    fn may_end_process(&self, kind: Kind) -> bool {
        kind == Kind::VmcallCpuid
    }

    #[inline(always)]
    fn cpuid(&self, leaf: u32, subleaf: u32) -> Result<CpuidResult, VmcallError> {
        // CcExitLib CpuIdExit(): Status = TdVmCallCpuid (Regs->Rax, Regs->Rcx, &CpuIdData);
        // on success Regs->Rax..Rdx = CpuIdData.Regs[0..3] (four UINT64).
        let mut r = [0u64; 4];
        // SAFETY: `r` holds the four UINT64 TdVmCallCpuid writes; its error paths return to a
        // wrong address, and `may_end_process` has the oracle make this call in a child.
        let s =
            unsafe { ffi::td_vm_call_cpuid(leaf.into(), subleaf.into(), r.as_mut_ptr().cast()) };
        edk2_status(s)?;
        Ok(CpuidResult {
            eax: r[0] as u32,
            ebx: r[1] as u32,
            ecx: r[2] as u32,
            edx: r[3] as u32,
        })
    }

    #[inline(always)]
    fn vp_info(&self) -> Result<TdInfo, TdxStatus> {
        // TdxLib: TdCall (TDCALL_TDINFO, 0, 0, 0, &TdReturnData).
        let mut r = [0u64; 6];
        // SAFETY: `r` holds the six UINT64 TdCall writes; TDG.VP.INFO touches no memory.
        let rax = unsafe { ffi::td_call(TDG_VP_INFO, 0, 0, 0, r.as_mut_ptr().cast()) };
        status_result(rax)?;
        Ok(td_info(r[0], r[1], r[2], r[3], r[4]))
    }

    #[inline(always)]
    unsafe fn accept(&self, page: AcceptPage) -> Result<Accepted, TdxStatus> {
        // TdAcceptPages(): TdCall (TDCALL_TDACCEPTPAGE, Address | GpaPageSize, 0, 0, NULL).
        // SAFETY: forwarded from the caller; no results buffer.
        let rax = unsafe {
            ffi::td_call(
                TDG_MEM_PAGE_ACCEPT,
                page.to_rcx(),
                0,
                0,
                core::ptr::null_mut(),
            )
        };
        accepted(rax)
    }

    #[inline(always)]
    fn hlt(&self, interrupts_blocked: bool) -> Result<(), VmcallError> {
        // Exactly as EDK2 halts (CcExitLib's #VE handler, LocalApicLib, IoLibIntrinsicTdx on
        // an error): TdVmCall (TDVMCALL_HALT, 0, 0, 0, 0, 0). It has no interrupts-blocked
        // input: R12 is 0 whatever the caller's state (policy, `edk2_policy`).
        let _ = interrupts_blocked;
        let (s, _) = td_vm_call(ffi::td_vm_call, HLT, [0, 0, 0, 0], false);
        edk2_status(s)
    }

    #[inline(always)]
    fn rdmsr(&self, msr: u32) -> Result<u64, VmcallError> {
        // CcExitLib ReadMsrExit(): TdVmCall (EXIT_REASON_MSR_READ, Rcx, 0, 0, 0, &Data).
        let (s, v) = td_vm_call(ffi::td_vm_call, RDMSR, [msr.into(), 0, 0, 0], true);
        edk2_status(s)?;
        Ok(v)
    }

    #[inline(always)]
    fn wrmsr(&self, msr: u32, value: u64) -> Result<(), VmcallError> {
        // WriteMsrExit(): TdVmCall (EXIT_REASON_MSR_WRITE, Rcx, Data.Val, 0, 0, NULL).
        let (s, _) = td_vm_call(ffi::td_vm_call, WRMSR, [msr.into(), value, 0, 0], false);
        edk2_status(s)
    }

    #[inline(always)]
    fn io_read(&self, size: AccessSize, port: u16) -> Result<u32, VmcallError> {
        // IoExit(): TdVmCall (EXIT_REASON_IO_INSTRUCTION, Size, Write, Port, Val, &Val);
        // then CopyMem (&Regs->Rax, &Val, Size).
        let (s, v) = td_vm_call(ffi::td_vm_call, IO, [size as u64, 0, port.into(), 0], true);
        edk2_status(s)?;
        Ok((v & size.mask()) as u32)
    }

    #[inline(always)]
    fn io_write(&self, size: AccessSize, port: u16, value: u32) -> Result<(), VmcallError> {
        // CopyMem (&Val, &Regs->Rax, Size); TdVmCall (.., Size, Write, Port, Val, NULL).
        let val = u64::from(value) & size.mask();
        let (s, _) = td_vm_call(
            ffi::td_vm_call,
            IO,
            [size as u64, 1, port.into(), val],
            false,
        );
        edk2_status(s)
    }

    #[inline(always)]
    fn map_gpa(&self, gpa: u64, len: u64) -> Result<MapGpaProgress, VmcallError> {
        // SetOrClearSharedBit(): TdVmCall (TDVMCALL_MAPGPA, PhysicalAddress, Length, 0, 0,
        // &MapGpaRetryAddr); RETRY: range check of MapGpaRetryAddr.
        let end = map_range(gpa, len)?;
        let (s, r11) = td_vm_call(ffi::td_vm_call, MAP_GPA, [gpa, len, 0, 0], true);
        map_gpa_progress(gpa, end, s, r11)
    }
}

/// EDK2 style with `TdVmCall` as shipped from 2021-11 to 2024-02 (mask 0xFFEC, RBP selected;
/// R11 returned on success only): Instruction.HLT and Instruction.RDMSR.
pub struct Edk2Ffec;

impl Wrappers for Edk2Ffec {
    const NAME: &'static str = "C ABI: EDK2 style, TdVmCall 0xFFEC (2021-2024)";
    // Exposes a fixed register set for every TDVMCALL and zero-fills what a call does not use:
    // reported as policy, not as a leak.
    const EXACT_MASK: bool = false;

    fn provides(&self, kind: Kind) -> bool {
        ffi::entry_points().td_vm_call_ffec.is_some()
            && matches!(kind, Kind::SetVmm | Kind::VmcallHlt | Kind::VmcallRdmsr)
    }

    #[inline(always)]
    fn hlt(&self, interrupts_blocked: bool) -> Result<(), VmcallError> {
        let (s, _) = td_vm_call(
            ffi::td_vm_call_ffec,
            HLT,
            [interrupts_blocked.into(), 0, 0, 0],
            false,
        );
        edk2_status(s)
    }

    #[inline(always)]
    fn rdmsr(&self, msr: u32) -> Result<u64, VmcallError> {
        let (s, v) = td_vm_call(ffi::td_vm_call_ffec, RDMSR, [msr.into(), 0, 0, 0], true);
        edk2_status(s)?;
        Ok(v)
    }
}

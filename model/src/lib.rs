//! # tdx-model — a reference model of the Intel TDX guest-side TDCALL ABI
//!
//! A pure-Rust (`no_std` + `alloc`, no `unsafe`, no asm) model of what a TD guest sees when it
//! executes `TDCALL`: the register contract of each leaf ([`contract`]), the completion status
//! codes ([`status`]), and a simulated TDX module ([`TdxModule`]) that answers a TDCALL given the
//! guest's register file, so a test harness can compare real wrappers against it.
//!
//! ## What is modelled
//!
//! TDX module **1.5.05** behaviour of the guest leaves TDG.VP.INFO (1), TDG.MR.RTMR.EXTEND (2),
//! TDG.VP.VEINFO.GET (3), TDG.MR.REPORT (4), TDG.VP.CPUIDVE.SET (5), TDG.MEM.PAGE.ACCEPT (6),
//! TDG.VM.RD (7, versions 0 and 1) and TDG.VM.WR (8): RAX decoding, the exact order of operand
//! checks, status codes with operand IDs, default output values on failure, which registers are
//! written, interruption (RAX/RIP untouched) and EPT-violation TD exits.
//!
//! TDX module 1.5 leaves: TDG.VP.RD (9) / TDG.VP.WR (10), TDG.SYS.RD (11) / TDG.SYS.RDALL (12),
//! TDG.SERVTD.RD (18) / TDG.SERVTD.WR (20), TDG.MR.VERIFYREPORT (22), TDG.MEM.PAGE.ATTR.RD (23) /
//! .WR (24), TDG.VP.ENTER (25), TDG.VP.INVEPT (26) and TDG.VP.INVGLA (27, `tdg_vp_invvpid.c`),
//! from the 1.5.05 source (see [`contract::CONTRACTS`] for their registers and `TdxModule`'s
//! inspection methods). Their model parameters are in [`TdConfig`] (`num_l2_vms`,
//! `seamverifyreport_available`, `l2_vapic_set`, `l2_sept_ready`, `servtd_target`), which by
//! default leave leaves 0–8 unchanged. TDG.VP.INVGLA list mode is interruptible with visible
//! progress ([`Completion::InterruptedWithProgress`]); TDG.SERVTD.RD/WR binding failures are
//! trap-like cross-TD-trap TD exits ([`TdExitReason::CrossTdTrap`]) after which the TDCALL has
//! completed with the failure status ([`TdxModule::take_cross_td_trap`] records the exit).
//!
//! TDG.MR.KEY.GET (29) from the 1.5.34 source, present on the modules that have it
//! ([`ModuleVersion`]; `model/VERSIONS.md`); [`TdxModule::set_key_get_enables`] chooses the
//! platform's sealing support, CONFIG_FLAGS.SEALING and TD_CTLS.ENABLE_HW_KEYS.
//!
//! **TDG.MEM.PAGE.RELEASE (30) is not modelled** (answered `TDX_OPERAND_INVALID` + RAX like any
//! unknown leaf, as the 1.5.05 module does). Searched: the 1.5.05 source (no leaf 30), and the
//! public code index for `TDG_MEM_PAGE_RELEASE`. Found: only a Linux RFC series (Zhenzhong Duan,
//! "[RFCv2 PATCH] ... coco guest" memory hot-unplug, 2026) that confirms the leaf number, the
//! CONFIG_FLAGS bit 6 (PAGE_RELEASE) enable and the RCX input (`start | TDX_PS_{4K,2M,1G}`,
//! i.e. ACCEPT's layout) and treats any non-zero RAX as failure; the statuses and the RCX output
//! on error are only in OpenVMM's definitions (fact sheet §3.2), not in any module source, so
//! the leaf's semantics could not be confirmed from a primary source.
//!
//! ## Simplifications
//!
//! * **Accept region.** Only private memory inside [`TdConfig::accept_region_base`] ..
//!   `+ accept_region_size` has a tracked Secure-EPT state (free / PENDING / accepted, 4 KiB or
//!   2 MiB leaves, host lock). Private GPAs outside it are treated as accepted memory mapped with
//!   4 KiB leaves. [`TdxModule::vmm_handle_exit`] plays an honest KVM-like VMM (4 KiB
//!   TDH.MEM.PAGE.AUG, demotion of a PENDING 2 MiB leaf).
//! * **Guest memory** is reached through the [`GuestMemory`] trait, with the shared bit
//!   stripped; `false` from it means "not backed" and becomes an EPT-violation TD exit. A private
//!   memory operand in a non-accepted page of the region is a TD exit, except on a PENDING page
//!   while TD_CTLS.PENDING_VE_DISABLE is clear: then a #VE ([`Completion::VeInjected`]).
//! * **TDREPORT** is laid out exactly as `td_report_t`, but CPUSVN, TEE_TCB_INFO and the MAC are
//!   deterministic model values ([`TdxModule::expected_report`]).
//! * **Metadata**: the full TDR/TDCS table with guest read/write masks is transcribed
//!   ([`metadata`]); CPUID_VALUES leaf/subleaf validation is not.
//! * TDG.VP.VMCALL (leaf 0): the module's part (control-value checks, the exit to the VMM and
//!   the resume rules) is modelled exactly; the VMM is a model ([`vmm`]: an honest KVM + QEMU-like
//!   VMM or a deterministic hostile one), and the GHCI sub-function contracts are in [`vmcall`].
//!   XMM registers are not modelled.
//! * **TDX 1.5 leaves**: the VCPU metadata table is the guest-accessible subset of TDVPS (the
//!   TD-VMCS / L2-VMCS tables are not modelled) — see [`metadata15`]; the L2 VMCS fields are two
//!   ([`metadata15::L2_VMCS_FIELDS`]); SEAMVERIFYREPORT uses the model
//!   MAC of [`TdxModule::expected_report`] and checks CPUSVN before the MAC (**UNVERIFIED**
//!   order); the L2 VCPU of TDG.VP.ENTER is a fixed program (`lea rax, [rax + 1]; cpuid`);
//!   L2 page aliases are tracked for the accept region only.
//!
//! ## Sources
//!
//! * TDX module 1.5.05 source, `niooss-ledger/tdx-module` @ `f99767b40bc3` ("TDX 1.5.05"):
//!   `src/td_dispatcher/tdx_td_dispatcher.c` (`td_call`), `src/td_dispatcher/vm_exits/tdg_*.c`,
//!   `src/common/helpers/helpers.c` (`check_gpa_validity`, `check_walk_and_map_guest_side_gpa`,
//!   `get_tdinfo_and_teeinfohash`), `src/common/metadata_handlers/metadata_{generic,td}.[ch]`,
//!   `include/auto_gen/tdr_tdcs_fields_lookup.c`, `include/auto_gen/tdx_error_codes_defs.h`,
//!   `include/tdx_api_defs.h` (`md_field_id_t`, `td_report_t`).
//! * The workspace fact sheet `shared/reference/tdx-abi.md` (§1–§4, §6), which also cites Linux
//!   `arch/x86/coco/tdx`, EDK2 `TdxLib` and td-shim.
//! * TDG.VP.VMCALL VMM side: KVM `arch/x86/kvm/vmx/tdx.c` and `x86.c` (v6.16, read in
//!   6.16.1), QEMU `target/i386/kvm/tdx.c` (2025), Linux `drivers/virt/coco/tdx-guest/tdx-guest.c`
//!   (`torvalds/linux` @ `6867849a`, GetQuote buffer header).
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

extern crate alloc;

pub mod contract;
pub mod field_id;
pub mod leaf;
pub mod memory;
pub mod metadata;
pub mod metadata15;
pub mod metadata_1_5_34;
pub mod metadata_2_0_18;
pub mod module;
pub mod reach;
pub mod regs;
pub mod status;
pub mod version;
pub mod vmcall;
pub mod vmm;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests15;
#[cfg(test)]
mod tests_key;
#[cfg(test)]
mod tests_tables;
#[cfg(test)]
mod vmcall_tests;

pub use contract::{EncodeError, EncodedInputs, LeafContract};
pub use memory::{FlatMemory, GuestMemory, NoMemory};
pub use module::{
    l2_state_enters, Completion, MetadataAccess, PageInfo, PageState, ServtdTarget, TdConfig,
    TdExitReason, TdxModule, VeInfo,
};
pub use regs::{Gpr, RegSet, Regs};
pub use version::{ModuleVersion, Selection};
pub use vmcall::{vmcall_lookup, VmcallContract, VMCALL_CONTRACTS};
pub use vmm::{HonestVmm, HostileVmm, Vmm, VmmMode, VmmView};

//! Intel TDX guest TDCALL wrappers.
//!
//! For TD firmware, kernels and paravisors: `#![no_std]`, no allocation, no dependencies.
//!
//! * One function per TDX-module leaf ([`tdg_vp_info`], [`tdg_mem_page_accept`], ...), each a
//!   single `asm!` with explicit registers that declares every register the leaf may change.
//!   No register state is marshalled through memory.
//! * Typed inputs with checked constructors ([`Gpa`], [`AcceptPage`], [`FieldId`],
//!   [`RtmrIndex`], ...) and typed outputs ([`TdInfo`], [`VeInfo`], ...).
//! * [`TdxStatus`] keeps all 64 bits of RAX. Warnings (bit 63 clear, non-zero) are part of a
//!   leaf's typed result only where the leaf defines them ([`Accepted::AlreadyAccepted`],
//!   [`tdg_vm_rd_first`]); any other non-zero status is an error, returned whole.
//! * [`accept::accept_range`]: accept a GPA range, largest page first.
//!
//! The types build on every target; the leaf functions only on `x86_64`. Every leaf is checked
//! against an independent model of the ABI by the workspace's trap harness.
#![no_std]
#![deny(unsafe_op_in_unsafe_fn, missing_docs)]
#![warn(clippy::undocumented_unsafe_blocks)]

/// TDCALL, written once: `66 0F 01 CC`.
#[cfg(target_arch = "x86_64")]
macro_rules! tdcall {
    () => {
        ".byte 0x66, 0x0f, 0x01, 0xcc"
    };
}

pub mod accept;
#[cfg(target_arch = "x86_64")]
pub mod leaf;
#[cfg(target_arch = "x86_64")]
pub mod leaf15;
pub mod mr_key;
pub mod status;
pub mod types;
#[cfg(target_arch = "x86_64")]
pub mod vmcall;

#[cfg(target_arch = "x86_64")]
pub use leaf::{
    tdg_mem_page_accept, tdg_mr_report, tdg_mr_rtmr_extend, tdg_vm_rd, tdg_vm_rd_first,
    tdg_vm_rd_v1, tdg_vm_wr, tdg_vp_cpuidve_set, tdg_vp_info, tdg_vp_veinfo_get,
    tdg_vp_veinfo_get_v1, tdg_vp_veinfo_get_v2,
};
#[cfg(target_arch = "x86_64")]
pub use mr_key::tdg_mr_key_get;
pub use mr_key::{KeyRequestor, KeySize, TdKeyRequest};
pub use status::{OperandId, StatusCode, TdxStatus};
pub use types::{
    AcceptPage, Accepted, AlignedGpa, CpuidVe, FieldId, Gpa, InputError, PageLevel, ReportData,
    ReportRequestor, RtmrExtendData, RtmrIndex, TdAttributes, TdInfo, TdReport, VeInfo, VeInfoExt,
};

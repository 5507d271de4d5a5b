//! The simulated TDX module: TD state and the TDCALL dispatcher.
//!
//! Behaviour is that of TDX module 1.5.05 (`niooss-ledger/tdx-module` @ `f99767b4`,
//! `src/td_dispatcher/tdx_td_dispatcher.c` `td_call()` and `src/td_dispatcher/vm_exits/tdg_*.c`),
//! as summarised in the fact sheet `tdx-abi.md` §2–§3. Each leaf's doc below gives its check order.
//!
//! [`TdxModule::tdcall`] and everything it calls do not allocate: all state is preallocated in
//! [`TdxModule::new`].

use alloc::vec;
use alloc::vec::Vec;

use sha2::{Digest, Sha384};

use crate::field_id::{FieldId, CONTEXT_TD, NULL};
use crate::leaf;
use crate::memory::GuestMemory;
use crate::metadata::{self, MdEntry, CPUID_CLASS_CODE};
use crate::regs::{Gpr, Regs};
use crate::status::{self, operand};
use crate::vmm::{HonestVmm, HostileVmm, Vmm, VmmMode, VmmState, VmmView};

pub(crate) mod leaves15;
mod mr_key;

pub use mr_key::{
    request_offsets, CONFIG_FLAGS_SEALING, KEY_SIZE, TDKEYREQUEST_SIZE, TD_CTLS_ENABLE_HW_KEYS,
};

pub use leaves15::{
    l2_state_enters, ServtdTarget, L2_ENTER_GUEST_STATE_SIZE, REPORTMACSTRUCT_SIZE,
};

/// 4 KiB.
pub const PAGE_4K: u64 = 0x1000;
/// 2 MiB.
pub const PAGE_2M: u64 = 0x20_0000;
/// Number of 4 KiB pages in 2 MiB.
const PAGES_PER_2M: usize = 512;

/// TD ATTRIBUTES bit 28: SEPT_VE_DISABLE.
pub const ATTR_SEPT_VE_DISABLE: u64 = 1 << 28;
/// TDINFO.VALID bits of version 3 reports (`SERVTD_HASH_VALID_BIT` 0, `TD_UUID_VALID_BIT` 8,
/// `VMID_VALID_BIT` 9: `include/tdx_api_defs.h` 9fd3c8b1, e69a4391): SERVTD_HASH is not zero.
pub const TDINFO_VALID_SERVTD_HASH: u32 = 1 << 0;
/// TDINFO.VALID: TDID holds the TD_UUID.
pub const TDINFO_VALID_TDID: u32 = 1 << 8;
/// TDINFO.VALID: VMID holds the requestor id.
pub const TDINFO_VALID_VMID: u32 = 1 << 9;
/// TD ATTRIBUTES bit 17: SERVTDEXT (`td_param_attributes_t.servtdext`, 2.0.18
/// `include/tdx_api_defs.h`): from 1.5.34 TDG.MR.REPORT writes REPORTTYPE.VERSION 3.
pub const ATTR_SERVTDEXT: u64 = 1 << 17;
/// TD ATTRIBUTES bit 29: MIGRATABLE.
pub const ATTR_MIGRATABLE: u64 = 1 << 29;
/// TDCS CONFIG_FLAGS bit 0: GPAW.
pub const CONFIG_FLAGS_GPAW: u64 = 1 << 0;
/// TDCS CONFIG_FLAGS bit 1: FLEXIBLE_PENDING_VE (the guest may change TD_CTLS.PENDING_VE_DISABLE).
pub const CONFIG_FLAGS_FLEXIBLE_PENDING_VE: u64 = 1 << 1;
/// TDCS CONFIG_FLAGS bit 2: NO_RBP_MOD (TDG.VP.VMCALL may not select RBP).
pub const CONFIG_FLAGS_NO_RBP_MOD: u64 = 1 << 2;
/// VMX basic exit reason of an EPT violation (VE_INFO.EXIT_REASON of a #VE the module injects).
pub const EXIT_REASON_EPT_VIOLATION: u32 = 48;
/// VE_CATEGORY of a #VE for a PENDING page (`VE_INFO_PENDING`, `ve_category_e` in
/// `helpers.h`, 1.5.34 and 2.0.18).
pub const VE_CATEGORY_PENDING: u8 = 1;
/// TDCS TD_CTLS bit 0: PENDING_VE_DISABLE.
pub const TD_CTLS_PENDING_VE_DISABLE: u64 = 1 << 0;
/// TDCS TD_CTLS bit 1: ENUM_TOPOLOGY.
pub const TD_CTLS_ENUM_TOPOLOGY: u64 = 1 << 1;
/// TDCS TD_CTLS bit 2: VIRT_CPUID2 (1.5.34 and 2.0.18, `td_ctls_t`).
pub const TD_CTLS_VIRT_CPUID2: u64 = 1 << 2;
/// TDCS TD_CTLS bit 3: REDUCE_VE (1.5.34 and 2.0.18): writing it also sets ENUM_TOPOLOGY and
/// VIRT_CPUID2.
pub const TD_CTLS_REDUCE_VE: u64 = 1 << 3;
/// TDCS TD_CTLS bit 63: LOCK (1.5.34 and 2.0.18): once set, TD_CTLS and the CPUID #VE controls
/// no longer change.
pub const TD_CTLS_LOCK: u64 = 1 << 63;
/// Guest read and write mask of TD_CTLS from 1.5.34 (`tdr_tdcs_fields_lookup.c` of
/// `auto_gen_1_5/` at 9fd3c8b1 and `auto_gen_2_0/` at e69a4391); 1.5.05 reads all and writes
/// bits 1:0.
pub const TD_CTLS_GUEST_MASK: u64 = TD_CTLS_LOCK | 0x1F;

/// Size of TDREPORT_STRUCT.
pub const TDREPORT_SIZE: usize = 1024;

/// Byte offsets in TDREPORT_STRUCT (`td_report_t`), from TDX module 1.5.05
/// `include/tdx_api_defs.h` (`report_mac_struct_t` 256 B, `tee_tcb_info_t` 239 B + 17 B
/// reserved, `td_info_t` 512 B; all `PACKED`, sizes checked there by `tdx_static_assert`).
pub mod report_offsets {
    /// REPORTMACSTRUCT (256 bytes).
    pub const REPORTMACSTRUCT: usize = 0;
    /// REPORTTYPE: type (0x81 = TDX), subtype (0), version (0, or 1 with service TDs), reserved.
    pub const REPORTTYPE: usize = 0;
    /// 12 reserved bytes.
    pub const RESERVED_MAC0: usize = 4;
    /// CPUSVN (16 bytes).
    pub const CPUSVN: usize = 16;
    /// TEE_TCB_INFO_HASH: SHA-384 of TEE_TCB_INFO (48 bytes).
    pub const TEE_TCB_INFO_HASH: usize = 32;
    /// TEE_INFO_HASH: SHA-384 of TDINFO (48 bytes).
    pub const TEE_INFO_HASH: usize = 80;
    /// REPORTDATA (64 bytes).
    pub const REPORTDATA: usize = 128;
    /// 32 reserved bytes.
    pub const RESERVED_MAC1: usize = 192;
    /// MAC (32 bytes).
    pub const MAC: usize = 224;
    /// TEE_TCB_INFO (239 bytes).
    pub const TEE_TCB_INFO: usize = 256;
    /// TEE_TCB_INFO.VALID (8 bytes).
    pub const TEE_TCB_INFO_VALID: usize = 256;
    /// TEE_TCB_INFO.TEE_TCB_SVN (16 bytes).
    pub const TEE_TCB_SVN: usize = 264;
    /// TEE_TCB_INFO.MRSEAM (48 bytes).
    pub const MRSEAM: usize = 280;
    /// TEE_TCB_INFO.MRSIGNERSEAM (48 bytes).
    pub const MRSIGNERSEAM: usize = 328;
    /// TEE_TCB_INFO.ATTRIBUTES (8 bytes).
    pub const SEAM_ATTRIBUTES: usize = 376;
    /// TEE_TCB_INFO.TEE_TCB_SVN2 (16 bytes).
    pub const TEE_TCB_SVN2: usize = 384;
    /// End of TEE_TCB_INFO (95 reserved bytes at 400..495, then 17 reserved bytes).
    pub const TEE_TCB_INFO_END: usize = 495;
    /// TDINFO (512 bytes).
    pub const TDINFO: usize = 512;
    /// TDINFO.ATTRIBUTES.
    pub const ATTRIBUTES: usize = 512;
    /// TDINFO.XFAM.
    pub const XFAM: usize = 520;
    /// TDINFO.MRTD.
    pub const MRTD: usize = 528;
    /// TDINFO.MRCONFIGID.
    pub const MRCONFIGID: usize = 576;
    /// TDINFO.MROWNER.
    pub const MROWNER: usize = 624;
    /// TDINFO.MROWNERCONFIG.
    pub const MROWNERCONFIG: usize = 672;
    /// TDINFO.RTMR[0..4] (4 × 48 bytes).
    pub const RTMR: usize = 720;
    /// TDINFO.SERVTD_HASH.
    pub const SERVTD_HASH: usize = 912;
    /// 64 reserved bytes, to 1024 (1.5.05; from 1.5.34 the fields below).
    pub const RESERVED_TDINFO: usize = 960;
    /// TDINFO.TDID (32 bytes: TD_UUID), REPORTTYPE.VERSION 3 only (1.5.34, 2.0.18).
    pub const TDID: usize = 960;
    /// TDINFO.VMID (1 byte: the requestor id of R8 bits 9:8), version 3 only.
    pub const VMID: usize = 1016;
    /// TDINFO.VALID (4 bytes): which of SERVTD_HASH, VMID, TDID hold a value, version 3 only.
    pub const TDINFO_VALID: usize = 1020;
}

/// Configuration of the simulated TD (TDCS values fixed at TD creation, plus model parameters).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TdConfig {
    /// The TDX module version the host runs ([`crate::version`]); default the newest modelled.
    pub module_version: crate::ModuleVersion,
    /// TDCS GPAW: `true` = 52-bit GPA width (shared bit 51), `false` = 48-bit (shared bit 47).
    pub gpaw_52: bool,
    /// TDCS.VIRT_MAXPA, which GPAs are checked against from 1.5.34 (`check_gpa_validity()`):
    /// no bit at or above min(VIRT_MAXPA, GPAW) but the shared bit (0 = `MAX_PA`, 52). 1.5.05
    /// has no VIRT_MAXPA and ignores it: bits 63:52 must be zero (with GPAW 48, bits 51:48
    /// too).
    pub max_pa: u8,
    /// TD ATTRIBUTES.
    pub attributes: u64,
    /// TD XFAM.
    pub xfam: u64,
    /// TDCS NUM_VCPUS.
    pub num_vcpus: u32,
    /// TDCS MAX_VCPUS.
    pub max_vcpus: u32,
    /// The calling VCPU's VCPU_INDEX.
    pub vcpu_index: u32,
    /// Base GPA of the accept region (2 MiB aligned): the only private memory whose SEPT state
    /// the model tracks.
    pub accept_region_base: u64,
    /// Size of the accept region (a multiple of 2 MiB).
    pub accept_region_size: u64,
    /// MRTD.
    pub mrtd: [u8; 48],
    /// MRCONFIGID.
    pub mrconfigid: [u8; 48],
    /// MROWNER.
    pub mrowner: [u8; 48],
    /// MROWNERCONFIG.
    pub mrownerconfig: [u8; 48],
    /// SERVTD_HASH.
    pub servtd_hash: [u8; 48],
    /// SERVTD_NUM (number of bound service TDs; > 0 gives REPORTTYPE.VERSION 1).
    pub servtd_num: u16,
    /// TD_UUID (TDR), 4 qwords.
    pub td_uuid: [u64; 4],
    /// TSC_FREQUENCY in units of 25 MHz.
    pub tsc_frequency: u16,
    /// CONFIG_FLAGS at creation; bit 0 (GPAW) is forced to `gpaw_52` by [`TdxModule::new`].
    pub config_flags: u64,
    /// NOTIFY_ENABLES at creation.
    pub notify_enables: u64,
    /// TOPOLOGY_ENUM_CONFIGURED (all VCPUs have a configured x2APIC ID).
    pub topology_enum_configured: bool,
    /// REPORTMACSTRUCT.CPUSVN (model value).
    pub cpusvn: [u8; 16],
    /// TEE_TCB_INFO.VALID (model value).
    pub tee_tcb_info_valid: u64,
    /// TEE_TCB_INFO.TEE_TCB_SVN (model value).
    pub tee_tcb_svn: [u8; 16],
    /// TEE_TCB_INFO.MRSEAM (model value).
    pub mr_seam: [u8; 48],
    /// TEE_TCB_INFO.MRSIGNERSEAM (zero for an Intel module).
    pub mr_signer_seam: [u8; 48],
    /// TEE_TCB_INFO.ATTRIBUTES (zero for an Intel module).
    pub seam_attributes: u64,
    /// TEE_TCB_INFO.TEE_TCB_SVN2 (model value).
    pub tee_tcb_svn2: [u8; 16],
    /// TDCS NUM_L2_VMS (TD partitioning, 0..=3). 0 (default): TDG.VP.ENTER, TDG.VP.INVGLA reject
    /// every VM index, TDG.VP.INVEPT accepts only an empty bitmap, TDG.MEM.PAGE.ATTR.WR accepts
    /// only all-zero attributes/flags, and TDG.MEM.PAGE.ATTR.RD returns VM words 1–3 as 0.
    /// Also read by TDG.VM.RD (NUM_L2_VMS), and the TD-scope table has an L2_SEPT_ROOT entry per
    /// L2 VM ([`crate::metadata::td_fields_for`]).
    pub num_l2_vms: u8,
    /// The CPU supports SEAMOPS(SEAMVERIFYREPORT): TDG.MR.VERIFYREPORT is available and
    /// TDX_FEATURES0.LOCAL_ATTESTATION (bit 8) is 1 (default `true`).
    pub seamverifyreport_available: bool,
    /// The L1 VMM set the virtual-APIC page GPA of L2 VM `i` (index 1..=3; index 0 unused).
    /// Default: all set. TDG.VP.ENTER of a VM whose entry is `false` fails with
    /// `OPERAND_INVALID` + `L2_VAPIC_GPA` (0xAA).
    pub l2_vapic_set: [bool; 4],
    /// The host added the L2 Secure-EPT pages: the L2 SEPT walk of TDG.MEM.PAGE.ATTR.WR
    /// succeeds (default `true`); `false` → `TDX_L2_SEPT_WALK_FAILED` on the first new alias.
    pub l2_sept_ready: bool,
    /// The target TD this (service) TD is bound to, for TDG.SERVTD.RD/WR (default `None`: no
    /// target; every binding handle whose slot is 0 then causes a cross-TD-trap TD exit).
    pub servtd_target: Option<ServtdTarget>,
    /// The platform supports sealing keys (`global_data->sealing_supported`): else
    /// TDG.MR.KEY.GET answers `TDX_OPERAND_INVALID` (default `true`).
    pub sealing_supported: bool,
    /// Key sizes the module and platform support (`sealing_supported_sizes_bitmap`; bit 0 128
    /// bits, bit 1 256 bits; default both). TDG.MR.KEY.GET needs KEYSIZE_BITMAP to share a bit.
    pub seal_key_sizes: u8,
    /// key_size as SEAMOPS(SEAMGETKEY) leaves it in its request: TDG.MR.KEY.GET returns
    /// R9 = 128 << key_size (default 0: the handler zeroes the request and never sets it).
    pub seal_key_size: u8,
    /// The host enabled TDID/VMID reporting (TDH.SYS.CONFIG, TDX_FEATURES0 bit 49;
    /// `tdid_vmid_reporting_enabled`): from 1.5.34 TDG.MR.REPORT then writes REPORTTYPE.VERSION
    /// 3 with TDID and VMID, and is never interrupted (default `false`).
    pub tdid_vmid_reporting: bool,
}

const fn seq48(start: u8) -> [u8; 48] {
    let mut a = [0u8; 48];
    let mut i = 0;
    while i < 48 {
        a[i] = start.wrapping_add(i as u8);
        i += 1;
    }
    a
}

impl Default for TdConfig {
    /// GPAW 48, MAX_PA 52, ATTRIBUTES = SEPT_VE_DISABLE, XFAM 0xE7 (x87, SSE, AVX, AVX-512),
    /// 4 of 8 VCPUs, index 0, a 64 MiB accept region at 0x8000_0000, MRTD = bytes 0x00..0x2F,
    /// CONFIG_FLAGS = FLEXIBLE_PENDING_VE, topology configured, deterministic model TCB values.
    fn default() -> Self {
        TdConfig {
            module_version: crate::ModuleVersion::NEWEST,
            gpaw_52: false,
            max_pa: 52,
            attributes: ATTR_SEPT_VE_DISABLE,
            xfam: 0xE7,
            num_vcpus: 4,
            max_vcpus: 8,
            vcpu_index: 0,
            accept_region_base: 0x8000_0000,
            accept_region_size: 64 << 20,
            mrtd: seq48(0),
            mrconfigid: [0; 48],
            mrowner: [0; 48],
            mrownerconfig: [0; 48],
            servtd_hash: [0; 48],
            servtd_num: 0,
            td_uuid: [
                0x1111_1111_1111_1111,
                0x2222_2222_2222_2222,
                0x3333_3333_3333_3333,
                0x4444_4444_4444_4444,
            ],
            tsc_frequency: 100,
            config_flags: CONFIG_FLAGS_FLEXIBLE_PENDING_VE,
            notify_enables: 0,
            topology_enum_configured: true,
            cpusvn: [0x05; 16],
            tee_tcb_info_valid: (1 << 1) | (1 << 3) | (1 << 16),
            tee_tcb_svn: [0x03; 16],
            mr_seam: seq48(0x80),
            mr_signer_seam: [0; 48],
            seam_attributes: 0,
            tee_tcb_svn2: [0; 16],
            num_l2_vms: 0,
            seamverifyreport_available: true,
            l2_vapic_set: [false, true, true, true],
            l2_sept_ready: true,
            servtd_target: None,
            sealing_supported: true,
            seal_key_sizes: 0b11,
            seal_key_size: 0,
            tdid_vmid_reporting: false,
        }
    }
}

/// Secure-EPT state of a private 4 KiB page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PageState {
    /// No SEPT leaf maps the page (for a 2 MiB range: the PDE is free).
    Unmapped,
    /// Mapped by the VMM (TDH.MEM.PAGE.AUG), not yet accepted.
    Pending,
    /// Accepted (guest-accessible).
    Accepted,
}

/// SEPT information about the 4 KiB page holding a GPA.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PageInfo {
    /// State of the page (of the 2 MiB leaf when `level == 1`).
    pub state: PageState,
    /// Mapping level: 0 = 4 KiB leaf (or a free PTE under a 4 KiB page table), 1 = 2 MiB leaf
    /// (or, when `state == Unmapped`, a free PDE).
    pub level: u8,
    /// The SEPT entry is locked by the host (TDG.MEM.PAGE.ACCEPT returns OPERAND_BUSY).
    pub busy: bool,
}

/// Why a TDCALL did not complete but exited to the VMM.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TdExitReason {
    /// EPT violation at `gpa` (for ACCEPT: the page GPA aligned to the requested level; for
    /// memory operands: the operand GPA as given, shared bit included).
    EptViolation {
        /// The faulting GPA.
        gpa: u64,
    },
    /// Cross-TD trap (`async_tdexit_cross_td(TDX_CROSS_TD_TRAP, ..)`,
    /// `tdg_servtd_rd_wr.c`; `td_exit.c`): TDG.SERVTD.RD/WR found the binding handle's TDR
    /// page not to be the bound target's, the binding slot not bound (`TDX_SERVTD_NOT_BOUND` +
    /// slot), the binding recorded for another service TD (`TDX_SERVTD_UUID_MISMATCH`) or a
    /// TDINFO hash mismatch (`TDX_SERVTD_INFO_HASH_MISMATCH`). The module writes the default
    /// outputs (RD: RDX = −1; R8 = 0) and guest RAX = `status`, advances RIP past the TDCALL
    /// (a trap-like exit: `TDX_CROSS_TD_TRAP` has the host-recoverability hint) and exits to
    /// the VMM. When the TD resumes, the TDCALL has completed with that error: the model
    /// returns [`Completion::Completed`] and records this exit
    /// ([`TdxModule::take_cross_td_trap`]); it is never returned as a [`Completion::TdExit`].
    CrossTdTrap {
        /// The cross-TD status the module reports (model value for a bad TDR page:
        /// `TDX_OPERAND_INVALID` + operand TDR (128)).
        status: u64,
        /// The target TDR physical address decoded from the binding handle.
        target_tdr_pa: u64,
    },
}

/// The outcome of one TDCALL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Completion {
    /// The whole GPR file after the leaf: RAX = status, outputs written, every other register =
    /// its input value; RSP unchanged.
    Completed(Regs),
    /// Leaf interrupted (pending interrupt): RAX and RIP untouched, registers unchanged, the
    /// TDCALL re-executes after the interrupt is handled.
    Interrupted,
    /// The leaf did not complete (EPT violation TD exit); the TDCALL re-executes after the VMM
    /// handles it.
    TdExit(TdExitReason),
    /// The leaf did not complete: the module injected a #VE into the TD for a memory operand on
    /// a PENDING page (TD_CTLS.PENDING_VE_DISABLE clear) and returned to it with RIP at the
    /// TDCALL and every register unchanged; VE_INFO now holds the EPT violation
    /// ([`TdxModule::ve_info`]). The TDCALL executes again when the TD's #VE handler returns.
    VeInjected,
    /// The leaf did not complete: it would have injected a #VE while VE_INFO was still valid
    /// (not yet read by TDG.VP.VEINFO.GET), so the module injected a #DF instead
    /// (`tdx_inject_ve()`).
    DoubleFault,
    /// Leaf interrupted after making visible progress (TDG.VP.INVGLA list mode,
    /// `tdg_vp_invvpid.c`): RAX and RIP untouched, so the TDCALL re-executes after the interrupt
    /// is handled; the register file is the input one except the progress registers (RDX =
    /// the updated GLA_LIST_INFO: FIRST_ENTRY advanced, NUM_ENTRIES decreased). RAX holds its
    /// *input* value (the leaf/version), RSP is unchanged. Re-executing with these registers
    /// continues where the interrupted call stopped.
    InterruptedWithProgress(Regs),
    /// The TDX module stopped (`FATAL_ERROR()`, a `ud2` in SEAM): the TD never runs again.
    /// 1.5.05 does this when VMLAUNCH/VMRESUME of an L2 VM fails (`tdg_vp_enter.c`
    /// e98d9639: "Any VM entry error is considered fatal"); later versions return
    /// `TDX_L2_VM_ENTRY_FAILED` to L1.
    ModuleFatal,
}

/// #VE information (TDVPS VE_INFO) as returned by TDG.VP.VEINFO.GET.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Hash)]
pub struct VeInfo {
    /// Exit reason (RCX, zero-extended).
    pub exit_reason: u32,
    /// Exit qualification (RDX).
    pub exit_qualification: u64,
    /// Guest linear address (R8).
    pub gla: u64,
    /// Guest physical address (R9).
    pub gpa: u64,
    /// Instruction length (R10 bits 31:0).
    pub instruction_length: u32,
    /// Instruction information (R10 bits 63:32).
    pub instruction_info: u32,
    /// VE_INFO.VE_CATEGORY: RCX bits 39:32 from leaf version 1 on.
    pub ve_category: u8,
    /// VE_INFO.INTERRUPTIBILITY_STATE: R12 (zero-extended) from leaf version 2 on.
    pub interruptibility_state: u32,
}

/// Guest access rights to a TD-scope metadata element (see [`TdxModule::metadata_fields`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MetadataAccess {
    /// Field name (module source, without `TDCS_`/`TDR_`).
    pub name: &'static str,
    /// Element size in bytes.
    pub element_size: u8,
    /// Bits TDG.VM.RD returns (0 = not readable).
    pub rd_mask: u64,
    /// Bits TDG.VM.WR may change (0 = not writable).
    pub wr_mask: u64,
}

impl MetadataAccess {
    /// Whether TDG.VM.RD can read it.
    pub const fn readable(&self) -> bool {
        self.rd_mask != 0
    }
    /// Whether TDG.VM.WR can write it.
    pub const fn writable(&self) -> bool {
        self.wr_mask != 0
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Chunk {
    /// The PDE points to a 4 KiB page table (state per page in `pages`).
    split: bool,
    /// State of the 2 MiB leaf (Unmapped = free PDE) when not split.
    state: PageState,
    /// PDE locked by the host.
    busy: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Page {
    state: PageState,
    busy: bool,
}

/// Result of a leaf function before it is turned into a [`Completion`].
enum Step {
    Status(u64),
    Interrupted,
    /// Interrupted after writing progress registers into `out`.
    InterruptedWithProgress,
    Exit(u64),
    /// A #VE for a memory operand on a PENDING page (`write`: mapped read-write).
    Ve {
        gpa: u64,
        write: bool,
    },
    /// Cross-TD-trap TD exit `(status, target TDR PA)`.
    CrossTd(u64, u64),
    /// The module stops (`FATAL_ERROR()`).
    ModuleFatal,
}

/// The simulated TDX module for one TD and one VCPU.
#[derive(Debug)]
pub struct TdxModule {
    cfg: TdConfig,
    chunks: Vec<Chunk>,
    pages: Vec<Page>,
    rtmr: [[u8; 48]; 4],
    rtmr_busy: bool,
    teeinfo_hash_cached: bool,
    interrupts: u32,
    retry_pending: bool,
    ve_info: Option<VeInfo>,
    /// TDVPS CPUID_SUPERVISOR_VE, CPUID_USER_VE (bytes; TDG.VP.CPUIDVE.SET writes 0/1).
    cpuid_ve: (u8, u8),
    config_flags: u64,
    notify_enables: u64,
    td_ctls: u64,
    vmm: VmmState,
    last_vmm_view: Option<VmmView>,
    /// The last cross-TD trap TD exit, not yet taken ([`Self::take_cross_td_trap`]).
    cross_td_trap: Option<TdExitReason>,
    vmcall_count: u64,
    vp: leaves15::VpState,
    servtd: leaves15::ServtdState,
    l2: leaves15::L2State,
    /// The platform supports sealing (`global_data->sealing_supported`; TDG.MR.KEY.GET).
    sealing_supported: bool,
    /// TDCS FEATURE_PARAVIRT_CTLS (1.5.34 and 2.0.18; 0 at TDH.MNG.INIT).
    feature_paravirt_ctls: u64,
    /// The status the next TDG.VP.VMCALL is refused with ([`Self::refuse_next_vmcall`]).
    vmcall_refusal: Option<u64>,
    /// A host lock held for a number of accepts ([`Self::hold_busy`]).
    busy_hold: Option<BusyHold>,
    /// Private memory outside the accept region is mapped with 2 MiB leaves
    /// ([`Self::map_outside_2m`]).
    outside_2m: bool,
}

// By hand: `clone_from` reuses the page tables' buffers (every field's own `clone_from`), so
// resetting a module from a template, or copying one for a dry run, allocates none of the
// accept region's tables (the VMM's and the VCPU's smaller ones still use their derived
// `clone`). The destructuring names every field: a new one must be added here too. Every field
// alike, Copy or not.
#[allow(clippy::clone_on_copy)]
impl Clone for TdxModule {
    fn clone(&self) -> Self {
        TdxModule {
            cfg: self.cfg.clone(),
            chunks: self.chunks.clone(),
            pages: self.pages.clone(),
            rtmr: self.rtmr.clone(),
            rtmr_busy: self.rtmr_busy.clone(),
            teeinfo_hash_cached: self.teeinfo_hash_cached.clone(),
            interrupts: self.interrupts.clone(),
            retry_pending: self.retry_pending.clone(),
            ve_info: self.ve_info.clone(),
            cpuid_ve: self.cpuid_ve.clone(),
            config_flags: self.config_flags.clone(),
            notify_enables: self.notify_enables.clone(),
            td_ctls: self.td_ctls.clone(),
            vmm: self.vmm.clone(),
            last_vmm_view: self.last_vmm_view.clone(),
            cross_td_trap: self.cross_td_trap.clone(),
            vmcall_count: self.vmcall_count.clone(),
            vp: self.vp.clone(),
            servtd: self.servtd.clone(),
            l2: self.l2.clone(),
            sealing_supported: self.sealing_supported.clone(),
            feature_paravirt_ctls: self.feature_paravirt_ctls.clone(),
            vmcall_refusal: self.vmcall_refusal.clone(),
            busy_hold: self.busy_hold.clone(),
            outside_2m: self.outside_2m.clone(),
        }
    }

    fn clone_from(&mut self, src: &Self) {
        let TdxModule {
            cfg,
            chunks,
            pages,
            rtmr,
            rtmr_busy,
            teeinfo_hash_cached,
            interrupts,
            retry_pending,
            ve_info,
            cpuid_ve,
            config_flags,
            notify_enables,
            td_ctls,
            vmm,
            last_vmm_view,
            cross_td_trap,
            vmcall_count,
            vp,
            servtd,
            l2,
            sealing_supported,
            feature_paravirt_ctls,
            vmcall_refusal,
            busy_hold,
            outside_2m,
        } = src;
        self.cfg.clone_from(cfg);
        self.chunks.clone_from(chunks);
        self.pages.clone_from(pages);
        self.rtmr.clone_from(rtmr);
        self.rtmr_busy.clone_from(rtmr_busy);
        self.teeinfo_hash_cached.clone_from(teeinfo_hash_cached);
        self.interrupts.clone_from(interrupts);
        self.retry_pending.clone_from(retry_pending);
        self.ve_info.clone_from(ve_info);
        self.cpuid_ve.clone_from(cpuid_ve);
        self.config_flags.clone_from(config_flags);
        self.notify_enables.clone_from(notify_enables);
        self.td_ctls.clone_from(td_ctls);
        self.vmm.clone_from(vmm);
        self.last_vmm_view.clone_from(last_vmm_view);
        self.cross_td_trap.clone_from(cross_td_trap);
        self.vmcall_count.clone_from(vmcall_count);
        self.vp.clone_from(vp);
        self.servtd.clone_from(servtd);
        self.l2.clone_from(l2);
        self.sealing_supported.clone_from(sealing_supported);
        self.feature_paravirt_ctls.clone_from(feature_paravirt_ctls);
        self.vmcall_refusal.clone_from(vmcall_refusal);
        self.busy_hold.clone_from(busy_hold);
        self.outside_2m.clone_from(outside_2m);
    }
}

/// A host lock on one SEPT entry held for a number of TDG.MEM.PAGE.ACCEPT answers
/// ([`TdxModule::hold_busy`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BusyHold {
    /// The GPA the lock was taken for (its entry: the 2 MiB leaf, or the 4 KiB leaf of a split
    /// range, as [`TdxModule::set_busy`]).
    pub gpa: u64,
    /// `OPERAND_BUSY` answers still to give.
    pub remaining: u32,
    /// `OPERAND_BUSY` answers given.
    pub answered: u32,
    /// The locked entry's level: 1 (the 2 MiB leaf) or 0 (a 4 KiB leaf of a split range; a
    /// 2 MiB lock moves to the page of `gpa` when the host splits the range).
    pub level: u8,
}

fn put(buf: &mut [u8], off: usize, bytes: &[u8]) {
    buf[off..off + bytes.len()].copy_from_slice(bytes);
}

fn qword(bytes: &[u8; 48], i: usize) -> u64 {
    let mut q = [0u8; 8];
    q.copy_from_slice(&bytes[i * 8..i * 8 + 8]);
    u64::from_le_bytes(q)
}

impl TdxModule {
    /// A module for a TD with `config`; every page of the accept region starts `Unmapped`
    /// (free PDEs), the RTMRs are zero, no #VE info, CPUID #VE off, no interrupt pending.
    ///
    /// Panics if the accept region is not 2 MiB aligned or its size not a multiple of 2 MiB.
    pub fn new(config: TdConfig) -> TdxModule {
        assert_eq!(
            config.accept_region_base % PAGE_2M,
            0,
            "region base must be 2 MiB aligned"
        );
        assert_eq!(
            config.accept_region_size % PAGE_2M,
            0,
            "region size must be a 2 MiB multiple"
        );
        assert!(config.max_pa <= 64);
        assert!(config.num_l2_vms <= 3, "NUM_L2_VMS is at most 3");
        let n = (config.accept_region_size / PAGE_2M) as usize;
        let config_flags = (config.config_flags & !CONFIG_FLAGS_GPAW) | config.gpaw_52 as u64;
        let td_ctls = if config.attributes & ATTR_SEPT_VE_DISABLE != 0 {
            TD_CTLS_PENDING_VE_DISABLE
        } else {
            0
        };
        TdxModule {
            chunks: vec![
                Chunk {
                    split: false,
                    state: PageState::Unmapped,
                    busy: false
                };
                n
            ],
            pages: vec![
                Page {
                    state: PageState::Unmapped,
                    busy: false
                };
                n * PAGES_PER_2M
            ],
            rtmr: [[0; 48]; 4],
            rtmr_busy: false,
            teeinfo_hash_cached: false,
            interrupts: 0,
            retry_pending: false,
            ve_info: None,
            cpuid_ve: (0, 0),
            config_flags,
            notify_enables: config.notify_enables,
            td_ctls,
            vmm: VmmState::new(VmmMode::Honest, &config),
            last_vmm_view: None,
            cross_td_trap: None,
            vmcall_count: 0,
            vp: leaves15::VpState::new(config.num_l2_vms),
            servtd: leaves15::ServtdState::new(),
            l2: leaves15::L2State::new(if config.num_l2_vms > 0 { n } else { 0 }),
            sealing_supported: config.sealing_supported,
            feature_paravirt_ctls: 0,
            vmcall_refusal: None,
            busy_hold: None,
            outside_2m: false,
            cfg: config,
        }
    }

    /// The cross-TD trap TD exit the last TDCALL took, if any (a TDG.SERVTD.RD/WR binding
    /// failure: the guest saw the TDCALL complete with its status); cleared by this call and at
    /// the start of every TDCALL.
    pub fn take_cross_td_trap(&mut self) -> Option<TdExitReason> {
        self.cross_td_trap.take()
    }

    /// The configuration the module was created with.
    pub fn config(&self) -> &TdConfig {
        &self.cfg
    }

    // ------------------------------------------------------------------ dispatcher

    /// Execute one TDCALL with the guest register file `input`. Does not allocate.
    ///
    /// RAX decoding (`td_call()`): bits 63:24 ≠ 0, a version ≠ 0 for a leaf whose handler takes
    /// no version (every leaf but TDG.VM.RD, and TDG.VP.VEINFO.GET from 1.5.34 / 2.0.18 on:
    /// `versioned_leaf`), or an unknown leaf → `TDX_OPERAND_INVALID` (operand RAX), nothing
    /// else written. Leaves modelled:
    /// 0 (TDG.VP.VMCALL), 1–8, the TDX 1.5 leaves 9–12, 18, 20, 22–27 (their check orders
    /// are documented on the `leaves15` functions, summarised in [`crate::contract`]) and, from
    /// 1.5.34 and 2.0.18 on, 29 (TDG.MR.KEY.GET, `mr_key`); leaf 30
    /// (TDG.MEM.PAGE.RELEASE) and the other numbers are answered `TDX_OPERAND_INVALID` + RAX.
    ///
    /// TDG.VP.VMCALL (`tdg_vp_vmcall.c`, fact sheet §4.1; RAX must be exactly 0). RCX is the
    /// control value: bits 63:32 ≠ 0, `GPR_SELECT` bit 0 (RAX), 1 (RCX) or 4 (RSP) set, or bit
    /// 5 (RBP) set while CONFIG_FLAGS.NO_RBP_MOD ([`CONFIG_FLAGS_NO_RBP_MOD`]) is set →
    /// `Completed` with RAX = `TDX_OPERAND_INVALID` + 1 (RCX), nothing else changed, no exit.
    /// `XMM_SELECT` is not validated. Otherwise the module exits to the VMM
    /// ([`Self::set_vmm`]), which sees a [`VmmView`] (selected GPRs, others zero, RCX = control;
    /// recorded in [`Self::last_vmm_view`]), and the TD resumes: `Completed` with RAX = 0,
    /// RCX = the control value, every GPR selected in bits 2–15 = the VMM's value, every other
    /// register preserved. The module never looks at R10/R11: the sub-function semantics are
    /// the VMM's ([`crate::vmcall`]).
    pub fn tdcall(&mut self, input: &Regs, mem: &mut dyn GuestMemory) -> Completion {
        self.cross_td_trap = None;
        let rax = input[Gpr::Rax];
        let mut out = *input;
        let step = if !leaf::reserved_clear(rax) {
            Step::Status(status::TDX_OPERAND_INVALID + operand::RAX)
        } else {
            let lf = leaf::leaf_of(rax);
            let ver = leaf::version_of(rax);
            if ver > 0 && !self.versioned_leaf(lf) {
                Step::Status(status::TDX_OPERAND_INVALID + operand::RAX)
            } else {
                match lf {
                    leaf::TDG_VP_VMCALL => self.vp_vmcall(input, &mut out, mem),
                    leaf::TDG_VP_INFO => self.vp_info(&mut out),
                    leaf::TDG_MR_RTMR_EXTEND => self.rtmr_extend(input, mem),
                    leaf::TDG_VP_VEINFO_GET => self.veinfo_get(&mut out, ver),
                    leaf::TDG_MR_REPORT => self.mr_report(input, mem),
                    leaf::TDG_VP_CPUIDVE_SET => self.cpuidve_set(input),
                    leaf::TDG_MEM_PAGE_ACCEPT => self.page_accept(input[Gpr::Rcx]),
                    leaf::TDG_VM_RD => self.vm_rd_wr(input, &mut out, false, ver),
                    leaf::TDG_VM_WR => self.vm_rd_wr(input, &mut out, true, 0),
                    leaf::TDG_VP_RD => self.vp_rd_wr(input, &mut out, false),
                    leaf::TDG_VP_WR => self.vp_rd_wr(input, &mut out, true),
                    leaf::TDG_SYS_RD => self.sys_rd(input, &mut out),
                    leaf::TDG_SYS_RDALL => self.sys_rdall(input, &mut out, mem),
                    leaf::TDG_SERVTD_RD => self.servtd_rd_wr(input, &mut out, false),
                    leaf::TDG_SERVTD_WR => self.servtd_rd_wr(input, &mut out, true),
                    leaf::TDG_MR_VERIFYREPORT => self.verifyreport(input, mem),
                    leaf::TDG_MEM_PAGE_ATTR_RD => self.page_attr_rd(input, &mut out),
                    leaf::TDG_MEM_PAGE_ATTR_WR => self.page_attr_wr(input, &mut out),
                    leaf::TDG_VP_ENTER => self.vp_enter(input, &mut out, mem),
                    leaf::TDG_VP_INVEPT => self.vp_invept(input),
                    leaf::TDG_VP_INVGLA => self.vp_invgla(input, &mut out, mem),
                    leaf::TDG_MR_KEY_GET if self.has_key_get() => {
                        self.mr_key_get(input, &mut out, mem)
                    }
                    _ => Step::Status(status::TDX_OPERAND_INVALID + operand::RAX),
                }
            }
        };
        match step {
            Step::Status(s) => {
                self.retry_pending = false;
                out[Gpr::Rax] = s;
                Completion::Completed(out)
            }
            Step::Interrupted => Completion::Interrupted,
            Step::InterruptedWithProgress => {
                out[Gpr::Rax] = rax;
                Completion::InterruptedWithProgress(out)
            }
            Step::Exit(gpa) => Completion::TdExit(TdExitReason::EptViolation { gpa }),
            Step::Ve { gpa, write } => self.inject_ve(gpa, write),
            // A trap-like TD exit: RIP is already past the TDCALL and RAX holds the status
            // when the VMM resumes the TD, so the guest sees a completed TDCALL. The exit is
            // recorded for the host side ([`Self::take_cross_td_trap`]).
            Step::CrossTd(status, target_tdr_pa) => {
                self.retry_pending = false;
                self.cross_td_trap = Some(TdExitReason::CrossTdTrap {
                    status,
                    target_tdr_pa,
                });
                out[Gpr::Rax] = status;
                Completion::Completed(out)
            }
            Step::ModuleFatal => Completion::ModuleFatal,
        }
    }

    /// TDG.VP.VMCALL: control-value check, exit to the VMM, resume (see [`Self::tdcall`]).
    fn vp_vmcall(&mut self, input: &Regs, out: &mut Regs, mem: &mut dyn GuestMemory) -> Step {
        self.last_vmm_view = None;
        if let Some(status) = self.vmcall_refusal.take() {
            return Step::Status(status);
        }
        let control = input[Gpr::Rcx];
        let select = control as u16;
        let illegal = (1u16 << Gpr::Rax as u8) | (1 << Gpr::Rcx as u8) | (1 << Gpr::Rsp as u8);
        let rbp_illegal =
            self.config_flags & CONFIG_FLAGS_NO_RBP_MOD != 0 && select & (1 << Gpr::Rbp as u8) != 0;
        if control >> 32 != 0 || select & illegal != 0 || rbp_illegal {
            return Step::Status(status::TDX_OPERAND_INVALID + operand::RCX);
        }
        let view = VmmView::new(control, input);
        self.last_vmm_view = Some(view);
        self.vmcall_count += 1;
        let back = self.vmm.handle(&view, mem);
        for r in view.selected().iter() {
            out[r] = back[r];
        }
        out[Gpr::Rcx] = control;
        Step::Status(status::TDX_SUCCESS)
    }

    /// An interruption point of an interruptible leaf: interrupt if the counter set by
    /// [`Self::set_interrupt_pending`] is non-zero, unless the previous interruptible call was
    /// interrupted and no TDCALL has completed since (the re-execution always makes progress).
    fn take_interrupt(&mut self) -> bool {
        if self.retry_pending || self.interrupts == 0 {
            return false;
        }
        self.interrupts -= 1;
        self.retry_pending = true;
        true
    }

    // ------------------------------------------------------------------ GPAs and SEPT

    fn shared_bit(&self) -> u64 {
        if self.cfg.gpaw_52 {
            1 << 51
        } else {
            1 << 47
        }
    }

    /// `check_gpa_validity()` (`src/common/helpers/helpers.c`): shared bit clear (if
    /// `private_only`), bits ≥ MAX_PA clear, and with GPAW 48 bits MAX_PA-1:48 clear.
    fn gpa_valid(&self, gpa: u64, private_only: bool) -> bool {
        if private_only && gpa & self.shared_bit() != 0 {
            return false;
        }
        if self.cfg.module_version >= crate::ModuleVersion::V1_5_34 {
            // `check_gpa_validity()` (9fd3c8b1, e69a4391): no bit at or above
            // min(VIRT_MAXPA, GPAW) but the shared bit; VIRT_MAXPA 0 means MAX_PA (52).
            let gpaw = if self.cfg.gpaw_52 { 52 } else { 48 };
            let virt = match self.cfg.max_pa {
                0 => 52,
                m => u32::from(m),
            };
            let w = virt.min(gpaw);
            return gpa & !((1u64 << w) - 1) & !self.shared_bit() == 0;
        }
        // 1.5.05: the constant MAX_PA (52); with GPAW 48 bits 51:48 too.
        gpa >> 52 == 0 && (self.cfg.gpaw_52 || gpa & (0xF << 48) == 0)
    }

    fn region_index(&self, gpa: u64) -> Option<(usize, usize)> {
        let off = gpa.checked_sub(self.cfg.accept_region_base)?;
        if off >= self.cfg.accept_region_size {
            return None;
        }
        let chunk = (off / PAGE_2M) as usize;
        let page = (off / PAGE_4K) as usize;
        Some((chunk, page))
    }

    /// Guest-side walk of a memory operand mapped for reading, or for writing too (`write`)
    /// (`check_walk_and_map_guest_side_gpa()`, `helpers.c`): a private GPA inside the accept
    /// region must be Accepted. A PENDING page is decided by TD_CTLS.PENDING_VE_DISABLE (set
    /// from ATTRIBUTES.SEPT_VE_DISABLE at TD creation, changeable with TDG.VM.WR under
    /// CONFIG_FLAGS.FLEXIBLE_PENDING_VE): set → EPT-violation TD exit, clear → a #VE injected
    /// into the TD with the TDCALL not completed; any other page → EPT-violation TD exit.
    /// Returns the address handed to [`GuestMemory`]: the GPA with the shared bit cleared.
    fn walk(&self, gpa: u64, write: bool) -> Result<u64, Step> {
        let shared = gpa & self.shared_bit() != 0;
        if !shared {
            match self.page(gpa).state {
                PageState::Accepted => {}
                PageState::Pending if self.td_ctls & TD_CTLS_PENDING_VE_DISABLE == 0 => {
                    return Err(Step::Ve { gpa, write });
                }
                // From 1.5.34 the exit reports the page, not the operand's byte
                // (`check_walk_and_map_guest_side_gpa()`: `gpa_without_offset`, 9fd3c8b1,
                // e69a4391; 1.5.05 passes the GPA as given).
                _ if self.cfg.module_version >= crate::ModuleVersion::V1_5_34 => {
                    return Err(Step::Exit(gpa & !(PAGE_4K - 1)));
                }
                _ => return Err(Step::Exit(gpa)),
            }
        }
        Ok(gpa & !self.shared_bit())
    }

    /// `inject_ve_and_return_to_td()` (`helpers.c`) and `tdx_inject_ve()`
    /// (`td_other_exits.c`): VE_INFO = EPT violation (exit reason 48), GLA 0, the operand GPA
    /// (page offset included); instruction length and information are those of the TDCALL's VM
    /// exit (4 and 0 in the model); a #DF if VE_INFO is still valid. Keyed by version:
    /// 1.5.05 (e98d9639; 72d8cff is 1.5.01) qualifies the access as data read, plus data write for a
    /// read-write mapping (the PENDING leaf grants no access), with no category; 1.5.34 and
    /// 2.0.18 (`map_permissions()`, 9fd3c8b1, e69a4391) as data write alone for a read-write
    /// mapping, data read otherwise, and record VE_CATEGORY = `VE_INFO_PENDING` (1) and the
    /// guest interruptibility state (0 in the model).
    fn inject_ve(&mut self, gpa: u64, write: bool) -> Completion {
        if self.ve_info.is_some() {
            return Completion::DoubleFault;
        }
        let newer = self.cfg.module_version >= crate::ModuleVersion::V1_5_34;
        let (exit_qualification, ve_category) = match (newer, write) {
            (false, w) => (1 | u64::from(w) << 1, 0),
            (true, true) => (2, VE_CATEGORY_PENDING),
            (true, false) => (1, VE_CATEGORY_PENDING),
        };
        self.ve_info = Some(VeInfo {
            exit_reason: EXIT_REASON_EPT_VIOLATION,
            exit_qualification,
            gla: 0,
            gpa,
            instruction_length: 4,
            instruction_info: 0,
            ve_category,
            interruptibility_state: 0,
        });
        Completion::VeInjected
    }

    // ------------------------------------------------------------------ leaves

    /// TDG.VP.INFO (`tdg_vp_info.c`): RCX = 52 or 48, RDX = ATTRIBUTES, R8 = MAX_VCPUS:NUM_VCPUS,
    /// R9 = VCPU_INDEX, R10 = 1 (TDG.SYS.RD available), R11 = 0. Always succeeds.
    fn vp_info(&mut self, out: &mut Regs) -> Step {
        out[Gpr::Rcx] = if self.cfg.gpaw_52 { 52 } else { 48 };
        out[Gpr::Rdx] = self.cfg.attributes;
        out[Gpr::R8] = self.cfg.num_vcpus as u64 | (self.cfg.max_vcpus as u64) << 32;
        out[Gpr::R9] = self.cfg.vcpu_index as u64;
        out[Gpr::R10] = 1;
        out[Gpr::R11] = 0;
        Step::Status(status::TDX_SUCCESS)
    }

    /// TDG.MR.RTMR.EXTEND (`tdg_mr_rtmr_extend.c`). Order: RCX 64-byte aligned → private GPA
    /// check (RCX) → walk and read 48 bytes (TD exit if not accessible / not backed) → RDX < 4
    /// (full 64-bit) → RTMR lock (`OPERAND_BUSY` + 0xA8) → RTMR[i] = SHA-384(RTMR[i] ‖ data).
    fn rtmr_extend(&mut self, input: &Regs, mem: &mut dyn GuestMemory) -> Step {
        let gpa = input[Gpr::Rcx];
        let index = input[Gpr::Rdx];
        if gpa & 63 != 0 || !self.gpa_valid(gpa, true) {
            return Step::Status(status::TDX_OPERAND_INVALID + operand::RCX);
        }
        let addr = match self.walk(gpa, false) {
            Ok(a) => a,
            Err(s) => return s,
        };
        let mut data = [0u8; 48];
        if !mem.read(addr, &mut data) {
            return Step::Exit(gpa);
        }
        if index >= 4 {
            return Step::Status(status::TDX_OPERAND_INVALID + operand::RDX);
        }
        if self.rtmr_busy {
            return Step::Status(status::TDX_OPERAND_BUSY + operand::RTMR);
        }
        let i = index as usize;
        let mut h = Sha384::new();
        h.update(self.rtmr[i]);
        h.update(data);
        self.rtmr[i].copy_from_slice(&h.finalize());
        self.teeinfo_hash_cached = false;
        Step::Status(status::TDX_SUCCESS)
    }

    /// Whether the dispatcher (`td_call()` in `tdx_td_dispatcher.c`) passes a leaf version
    /// above 0 to `leaf`'s handler; for any other leaf a version above 0 is
    /// `TDX_OPERAND_INVALID` with operand RAX, nothing written. TDG.VM.RD in every version;
    /// TDG.VP.VEINFO.GET from 1.5.28 and
    /// 2.0.04 on (1.5.05 e98d9639 and 2.0.02 be443240 gate every leaf but TDG.VM.RD; 1.5.34
    /// 9fd3c8b1 and 2.0.18 e69a4391 add TDG_VP_VEINFO_GET_LEAF to the exception).
    fn versioned_leaf(&self, lf: u16) -> bool {
        lf == leaf::TDG_VM_RD
            || (lf == leaf::TDG_VP_VEINFO_GET
                && self.cfg.module_version >= crate::ModuleVersion::V1_5_34)
    }

    /// TDG.VP.VEINFO.GET (`tdg_vp_veinfo_get()`, `tdg_vp_veinfo_get.c`): RCX, RDX, R8, R9, R10
    /// zeroed first; a leaf version above 2 → `TDX_OPERAND_INVALID` + RAX (only reachable where
    /// the dispatcher passes versions, [`Self::versioned_leaf`]; `MAX_TDG_VP_VEINFO_GET_VERSION`
    /// is 2 in the 2.0.14 text db57c638, taken for 1.5.34 and 2.0.18, which store no text of
    /// their own and define `VEINFO_INTR_STATE_SUPPORTED`); no valid #VE information →
    /// `TDX_NO_VALID_VE_INFO`; version 2 then zeroes R11 and R12 (so they keep their inputs on
    /// either failure). Success: RCX = exit reason, plus (version ≥ 1) VE_CATEGORY in bits
    /// 39:32; RDX qualification, R8 GLA, R9 GPA, R10 length | info << 32; (version 2) R12 =
    /// INTERRUPTIBILITY_STATE; the information is consumed.
    fn veinfo_get(&mut self, out: &mut Regs, version: u8) -> Step {
        for r in [Gpr::Rcx, Gpr::Rdx, Gpr::R8, Gpr::R9, Gpr::R10] {
            out[r] = 0;
        }
        if version > 2 {
            return Step::Status(status::TDX_OPERAND_INVALID + operand::RAX);
        }
        let Some(ve) = self.ve_info.take() else {
            return Step::Status(status::TDX_NO_VALID_VE_INFO);
        };
        out[Gpr::Rcx] = ve.exit_reason as u64;
        if version >= 1 {
            out[Gpr::Rcx] |= (ve.ve_category as u64) << 32;
        }
        out[Gpr::Rdx] = ve.exit_qualification;
        out[Gpr::R8] = ve.gla;
        out[Gpr::R9] = ve.gpa;
        out[Gpr::R10] = ve.instruction_length as u64 | (ve.instruction_info as u64) << 32;
        if version >= 2 {
            out[Gpr::R11] = 0;
            out[Gpr::R12] = ve.interruptibility_state as u64;
        }
        Step::Status(status::TDX_SUCCESS)
    }

    /// TDG.MR.REPORT (`tdg_mr_report.c`). Order: RCX 1024-aligned → RDX 64-aligned → GPA check
    /// (private or shared) and walk of RDX, read REPORTDATA → R8 == 0 (full 64-bit) → RTMR lock
    /// (`OPERAND_BUSY` + 0xA8) → interruption point (only when TEE_INFO_HASH was not cached: the
    /// first report after TD creation or after an RTMR extend; the hash is cached before the
    /// interruption so the re-execution is not interruptible) → GPA check and walk of RCX →
    /// write the 1024-byte TDREPORT_STRUCT ([`Self::expected_report`]).
    fn mr_report(&mut self, input: &Regs, mem: &mut dyn GuestMemory) -> Step {
        let report_gpa = input[Gpr::Rcx];
        let data_gpa = input[Gpr::Rdx];
        if report_gpa & (TDREPORT_SIZE as u64 - 1) != 0 {
            return Step::Status(status::TDX_OPERAND_INVALID + operand::RCX);
        }
        if data_gpa & 63 != 0 {
            return Step::Status(status::TDX_OPERAND_INVALID + operand::RDX);
        }
        if !self.gpa_valid(data_gpa, false) {
            return Step::Status(status::TDX_OPERAND_INVALID + operand::RDX);
        }
        let addr = match self.walk(data_gpa, false) {
            Ok(a) => a,
            Err(s) => return s,
        };
        let mut report_data = [0u8; 64];
        if !mem.read(addr, &mut report_data) {
            return Step::Exit(data_gpa);
        }
        // 1.5.05 compares the whole of R8 with subtype 0. From 1.5.34 R8 is
        // `sub_type : 8, requestor_id : 2, reserved : 54`: the subtype must be 0, then the
        // reserved bits; any requestor id is taken (`tdg_mr_report()`, 9fd3c8b1).
        let r8 = input[Gpr::R8];
        let newer = self.cfg.module_version >= crate::ModuleVersion::V1_5_34;
        let refused = if newer {
            r8 & 0xFF != 0 || r8 >> 10 != 0
        } else {
            r8 != 0
        };
        if refused {
            return Step::Status(status::TDX_OPERAND_INVALID + operand::R8);
        }
        if self.rtmr_busy {
            return Step::Status(status::TDX_OPERAND_BUSY + operand::RTMR);
        }
        // With TDID/VMID reporting the TEEINFO hash is never cached and the call has no
        // interruption point (1.5.34+).
        let reporting = newer && self.cfg.tdid_vmid_reporting;
        let cached = self.teeinfo_hash_cached && !reporting;
        self.teeinfo_hash_cached = true;
        if !cached && !reporting && self.take_interrupt() {
            return Step::Interrupted;
        }
        let report = self.expected_report_for(&report_data, (r8 >> 8 & 3) as u8);
        if !self.gpa_valid(report_gpa, false) {
            return Step::Status(status::TDX_OPERAND_INVALID + operand::RCX);
        }
        let addr = match self.walk(report_gpa, true) {
            Ok(a) => a,
            Err(s) => return s,
        };
        if !mem.write(addr, &report) {
            return Step::Exit(report_gpa);
        }
        Step::Status(status::TDX_SUCCESS)
    }

    /// TDG.VP.CPUIDVE.SET (`tdg_vp_cpuidve_set.c`): RCX bits 63:2 ≠ 0 → `OPERAND_INVALID` + RCX;
    /// else bit 0 → supervisor, bit 1 → user. From 1.5.34 a set TD_CTLS.LOCK refuses a change
    /// with `OPERAND_INVALID` + RCX.
    fn cpuidve_set(&mut self, input: &Regs) -> Step {
        let rcx = input[Gpr::Rcx];
        if rcx >> 2 != 0 {
            return Step::Status(status::TDX_OPERAND_INVALID + operand::RCX);
        }
        let want = ((rcx & 1) as u8, (rcx >> 1 & 1) as u8);
        // From 1.5.34 a locked TD_CTLS freezes the controls (`tdg_vp_cpuidve_set()` of 2.0.08
        // 1666adc4, the only stored text with the check; inferred for 1.5.34 and 2.0.18).
        if self.cfg.module_version >= crate::ModuleVersion::V1_5_34
            && self.td_ctls & TD_CTLS_LOCK != 0
            && want != self.cpuid_ve
        {
            return Step::Status(status::TDX_OPERAND_INVALID + operand::RCX);
        }
        self.cpuid_ve = want;
        Step::Status(status::TDX_SUCCESS)
    }

    /// TDG.MEM.PAGE.ACCEPT (`tdg_mem_page_accept.c`, `check_tdaccept_failure()`).
    ///
    /// Order: RCX reserved bits (11:3, 63:52), level ∉ {0, 1} (1 GiB rejected), GPA not aligned
    /// to the level, private GPA check → `OPERAND_INVALID` + RCX. Then the SEPT walk to the
    /// requested level:
    /// * walk stops above the requested level (4 KiB request in a 2 MiB leaf or free PDE):
    ///   accepted 2 MiB leaf → `PAGE_ALREADY_ACCEPTED` + 1; pending 2 MiB leaf or free PDE →
    ///   EPT-violation TD exit;
    /// * entry at the requested level locked → `OPERAND_BUSY` + RCX (checked before the state);
    /// * 2 MiB request on a PDE pointing to a 4 KiB page table → `PAGE_SIZE_MISMATCH` + 1;
    /// * accepted leaf at the level → `PAGE_ALREADY_ACCEPTED` + level;
    /// * free entry (unmapped) → EPT-violation TD exit;
    /// * pending → accepted (the module zeroes the page; the model only records the state),
    ///   `TDX_SUCCESS`. A 2 MiB accept is interruptible ([`Self::set_interrupt_pending`]).
    ///
    /// GPAs outside the accept region are treated as accepted memory mapped with 4 KiB leaves:
    /// 4 KiB → `PAGE_ALREADY_ACCEPTED` + 0, 2 MiB → `PAGE_SIZE_MISMATCH` + 1.
    fn page_accept(&mut self, rcx: u64) -> Step {
        const RESERVED: u64 = 0x0000_0000_0000_0FF8 | 0xFFF0_0000_0000_0000;
        let invalid = Step::Status(status::TDX_OPERAND_INVALID + operand::RCX);
        let level = rcx & 7;
        if rcx & RESERVED != 0 || level > 1 {
            return invalid;
        }
        let gpa = rcx & 0x000F_FFFF_FFFF_F000;
        let size = if level == 0 { PAGE_4K } else { PAGE_2M };
        if gpa & (size - 1) != 0 || !self.gpa_valid(gpa, true) {
            return invalid;
        }
        let Some((ci, pi)) = self.region_index(gpa) else {
            return Step::Status(if self.outside_2m {
                status::TDX_PAGE_ALREADY_ACCEPTED + 1
            } else if level == 0 {
                status::TDX_PAGE_ALREADY_ACCEPTED
            } else {
                status::TDX_PAGE_SIZE_MISMATCH + 1
            });
        };
        let chunk = self.chunks[ci];
        if level == 0 {
            if !chunk.split {
                return match chunk.state {
                    PageState::Accepted => Step::Status(status::TDX_PAGE_ALREADY_ACCEPTED + 1),
                    PageState::Pending | PageState::Unmapped => Step::Exit(gpa),
                };
            }
            let page = self.pages[pi];
            if page.busy {
                self.busy_answered(gpa);
                return Step::Status(status::TDX_OPERAND_BUSY + operand::RCX);
            }
            match page.state {
                PageState::Accepted => Step::Status(status::TDX_PAGE_ALREADY_ACCEPTED),
                PageState::Unmapped => Step::Exit(gpa),
                PageState::Pending => {
                    self.pages[pi].state = PageState::Accepted;
                    Step::Status(status::TDX_SUCCESS)
                }
            }
        } else {
            if chunk.busy {
                self.busy_answered(gpa);
                return Step::Status(status::TDX_OPERAND_BUSY + operand::RCX);
            }
            if chunk.split {
                return Step::Status(status::TDX_PAGE_SIZE_MISMATCH + 1);
            }
            match chunk.state {
                PageState::Accepted => Step::Status(status::TDX_PAGE_ALREADY_ACCEPTED + 1),
                PageState::Unmapped => Step::Exit(gpa),
                PageState::Pending => {
                    if self.take_interrupt() {
                        return Step::Interrupted;
                    }
                    self.chunks[ci].state = PageState::Accepted;
                    Step::Status(status::TDX_SUCCESS)
                }
            }
        }
    }

    /// TDG.VM.RD (version 0/1) and TDG.VM.WR (`tdg_vm_rd_wr.c`, `metadata_generic.c`,
    /// `metadata_td.c`).
    ///
    /// Defaults first: R8 = 0, and for RD version ≥ 1 RDX = -1. RD version > 1 →
    /// `OPERAND_INVALID` + RAX (after the defaults). RCX ≠ 0 → `OPERAND_INVALID` + RCX. The
    /// context code of RDX is ignored. RD version 1 with the null ID → RDX = first guest-readable
    /// element ID, `TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT`. Reserved bits, last-element or
    /// last-field ≠ 0, or no table entry → `METADATA_FIELD_ID_INCORRECT`.
    ///
    /// RD: guest read mask 0 → `METADATA_FIELD_NOT_READABLE`; else R8 = value & read mask and
    /// (version 1) RDX = next guest-readable element ID ([`metadata::next_readable_element`]).
    ///
    /// WR (`md_td_write_element`): combined = guest write mask & R9; 0 →
    /// `METADATA_FIELD_NOT_WRITABLE`. Bits set in R9 outside the write mask must hold the current
    /// value in R8, else `METADATA_FIELD_VALUE_NOT_VALID` (the 1.5.05 module never returns
    /// `WR_MASK_NOT_VALID` for guest-writable fields). New = (old & !combined) | (R8 & combined);
    /// TD_CTLS: changing PENDING_VE_DISABLE without CONFIG_FLAGS.FLEXIBLE_PENDING_VE, or setting
    /// ENUM_TOPOLOGY without TOPOLOGY_ENUM_CONFIGURED → `METADATA_FIELD_VALUE_NOT_VALID`. R8 = old
    /// value & read mask.
    ///
    /// TD_CTLS from 1.5.34 (`md_td_write_element()`, `metadata_td.c` 9fd3c8b1 = e69a4391):
    /// guest masks [`TD_CTLS_GUEST_MASK`]; after the merge, a set LOCK refuses any change
    /// (`VALUE_NOT_VALID`; an unchanged write succeeds); REDUCE_VE also sets ENUM_TOPOLOGY and
    /// VIRT_CPUID2 (before the topology check); ENABLE_HW_KEYS on a platform without sealing →
    /// `VALUE_NOT_VALID`. The table is the version's ([`metadata::td_fields_for`]): from
    /// 1.5.34 VE_REDUCTION_VALID reads 1 and FEATURE_PARAVIRT_CTLS (guest masks 0xFFF, initially
    /// 0) is written like any field but refuses a change under TD_CTLS.LOCK (`VALUE_NOT_VALID`;
    /// an unchanged write succeeds).
    ///
    /// CPUID_VALUES (class 0x14) simplification: the module validates the encoded leaf/subleaf
    /// against its CPUID table (1.5.05: unknown → `FIELD_ID_INCORRECT`; from 1.5.34 unknown or
    /// invalid → `NOT_READABLE` for RD and WR alike); the model only checks field-code bits
    /// 23:17 (`FIELD_ID_INCORRECT`) and then answers RD `NOT_READABLE`, WR `NOT_WRITABLE`
    /// (guest masks are 0).
    fn vm_rd_wr(&mut self, input: &Regs, out: &mut Regs, write: bool, version: u8) -> Step {
        let vm_index = input[Gpr::Rcx];
        let wr_value = input[Gpr::R8];
        let wr_mask = input[Gpr::R9];
        if !write && version > 0 {
            out[Gpr::Rdx] = NULL;
        }
        out[Gpr::R8] = 0;
        if !write && version > 1 {
            return Step::Status(status::TDX_OPERAND_INVALID + operand::RAX);
        }
        if vm_index != 0 {
            return Step::Status(status::TDX_OPERAND_INVALID + operand::RCX);
        }
        let id = FieldId(input[Gpr::Rdx]).with_context(CONTEXT_TD);
        if !write && version > 0 && id.is_null() {
            out[Gpr::Rdx] = metadata::next_readable_element(self.td_table(), id, None);
            return Step::Status(status::TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT);
        }
        if !id.is_valid_single_element() {
            return Step::Status(status::TDX_METADATA_FIELD_ID_INCORRECT);
        }
        let Some(idx) = metadata::find_entry(self.td_table(), id) else {
            return Step::Status(status::TDX_METADATA_FIELD_ID_INCORRECT);
        };
        let entry = &self.td_table()[idx];
        if entry.class_code() == CPUID_CLASS_CODE {
            if id.field_code() >> 17 != 0 {
                return Step::Status(status::TDX_METADATA_FIELD_ID_INCORRECT);
            }
            return Step::Status(if write {
                status::TDX_METADATA_FIELD_NOT_WRITABLE
            } else {
                status::TDX_METADATA_FIELD_NOT_READABLE
            });
        }
        let elem = id.field_code() - entry.field_code();
        let old = self.md_element(entry, elem) & entry.element_mask();
        let newer = self.cfg.module_version >= crate::ModuleVersion::V1_5_34;
        let (rd_mask, wr_allowed) = (entry.guest_rd_mask, entry.guest_wr_mask);
        if write {
            let combined = wr_allowed & wr_mask;
            if combined == 0 {
                return Step::Status(status::TDX_METADATA_FIELD_NOT_WRITABLE);
            }
            let forbidden = wr_mask & !wr_allowed;
            if (old ^ wr_value) & forbidden != 0 {
                return Step::Status(status::TDX_METADATA_FIELD_VALUE_NOT_VALID);
            }
            let mut new = (old & !combined) | (wr_value & combined);
            // FEATURE_PARAVIRT_CTLS (1.5.34, 2.0.18): frozen by TD_CTLS.LOCK like TD_CTLS.
            if entry.name == "FEATURE_PARAVIRT_CTLS" && self.td_ctls & TD_CTLS_LOCK != 0 {
                if new != old {
                    return Step::Status(status::TDX_METADATA_FIELD_VALUE_NOT_VALID);
                }
                out[Gpr::R8] = old & rd_mask;
                return Step::Status(status::TDX_SUCCESS);
            }
            if entry.name == "TD_CTLS" {
                if newer && old & TD_CTLS_LOCK != 0 {
                    if new != old {
                        return Step::Status(status::TDX_METADATA_FIELD_VALUE_NOT_VALID);
                    }
                    out[Gpr::R8] = old & rd_mask;
                    return Step::Status(status::TDX_SUCCESS);
                }
                if self.config_flags & CONFIG_FLAGS_FLEXIBLE_PENDING_VE == 0
                    && (new ^ old) & TD_CTLS_PENDING_VE_DISABLE != 0
                {
                    return Step::Status(status::TDX_METADATA_FIELD_VALUE_NOT_VALID);
                }
                new = self.td_ctls_written(new);
                if new & TD_CTLS_ENUM_TOPOLOGY != 0 && !self.cfg.topology_enum_configured {
                    return Step::Status(status::TDX_METADATA_FIELD_VALUE_NOT_VALID);
                }
                if newer && new & TD_CTLS_ENABLE_HW_KEYS != 0 && !self.sealing_supported {
                    return Step::Status(status::TDX_METADATA_FIELD_VALUE_NOT_VALID);
                }
            }
            self.md_store(entry, new);
            out[Gpr::R8] = old & rd_mask;
        } else {
            if rd_mask == 0 {
                return Step::Status(status::TDX_METADATA_FIELD_NOT_READABLE);
            }
            if version > 0 {
                out[Gpr::Rdx] = metadata::next_readable_element(self.td_table(), id, Some(idx));
            }
            out[Gpr::R8] = old & rd_mask;
        }
        Step::Status(status::TDX_SUCCESS)
    }

    /// What a TDG.VM.WR of TD_CTLS that merged to `merged` stores: from 1.5.34, REDUCE_VE also
    /// sets ENUM_TOPOLOGY and VIRT_CPUID2 (`md_td_write_element()`; clearing it clears
    /// neither).
    pub fn td_ctls_written(&self, merged: u64) -> u64 {
        if self.cfg.module_version >= crate::ModuleVersion::V1_5_34
            && merged & TD_CTLS_REDUCE_VE != 0
        {
            merged | TD_CTLS_ENUM_TOPOLOGY | TD_CTLS_VIRT_CPUID2
        } else {
            merged
        }
    }

    /// Raw value of element `elem` of a table entry (before the element-size and read masks).
    /// Fields the guest cannot read hold 0 in the model.
    fn md_element(&self, entry: &MdEntry, elem: u32) -> u64 {
        let e = elem as usize;
        let c = &self.cfg;
        match entry.name {
            "TD_UUID" => c.td_uuid[e],
            "NUM_VCPUS" => c.num_vcpus as u64,
            "NUM_L2_VMS" => c.num_l2_vms as u64,
            "ATTRIBUTES" => c.attributes,
            "XFAM" => c.xfam,
            "MAX_VCPUS" => c.max_vcpus as u64,
            "GPAW" => c.gpaw_52 as u64,
            "TSC_FREQUENCY" => c.tsc_frequency as u64,
            "NOTIFY_ENABLES" => self.notify_enables,
            "CONFIG_FLAGS" => self.config_flags,
            "TD_CTLS" => self.td_ctls,
            "TOPOLOGY_ENUM_CONFIGURED" => c.topology_enum_configured as u64,
            // Cleared only for a TD imported without all CPUID(4) native values
            // (`check_and_init_imported_td_state_immutable()`, `helpers.c` e69a4391); the model's
            // TD is built, not imported. (The TDH.MNG.INIT text that sets it is not stored for
            // 1.5.34 or 2.0.18: 1 here is the model's reading of that rule.)
            "VE_REDUCTION_VALID" => 1,
            "FEATURE_PARAVIRT_CTLS" => self.feature_paravirt_ctls,
            "MRTD" => qword(&c.mrtd, e),
            "MRCONFIGID" => qword(&c.mrconfigid, e),
            "MROWNER" => qword(&c.mrowner, e),
            "MROWNERCONFIG" => qword(&c.mrownerconfig, e),
            "RTMR" => qword(&self.rtmr[e / 6], e % 6),
            "SERVTD_HASH" => qword(&c.servtd_hash, e),
            "SERVTD_NUM" => c.servtd_num as u64,
            _ => 0,
        }
    }

    fn md_store(&mut self, entry: &MdEntry, value: u64) {
        match entry.name {
            "NOTIFY_ENABLES" => self.notify_enables = value,
            "TD_CTLS" => self.td_ctls = value,
            "FEATURE_PARAVIRT_CTLS" => self.feature_paravirt_ctls = value,
            _ => {}
        }
    }

    // ------------------------------------------------------------------ VMM side

    /// The honest VMM's answer to a TD exit (KVM's behaviour). For an EPT violation on a private
    /// GPA inside the accept region: a free PDE or free PTE → TDH.MEM.PAGE.AUG of the 4 KiB page
    /// as PENDING (the PDE becomes a 4 KiB page table); a PENDING 2 MiB leaf → demoted to 512
    /// PENDING 4 KiB leaves. Accepted pages, shared GPAs and GPAs outside the region: nothing
    /// (a PENDING 4 KiB page cannot be fixed by the VMM: the guest must accept it).
    ///
    /// A [`TdExitReason::CrossTdTrap`] is ignored: [`Self::tdcall`] never returns one (the
    /// TDCALL completes; see the variant), and no VMM action could fix a bad binding.
    pub fn vmm_handle_exit(&mut self, exit: TdExitReason) {
        let TdExitReason::EptViolation { gpa } = exit else {
            return;
        };
        if gpa & self.shared_bit() != 0 {
            return;
        }
        let Some((ci, pi)) = self.region_index(gpa) else {
            return;
        };
        let chunk = self.chunks[ci];
        if !chunk.split {
            match chunk.state {
                PageState::Accepted => {}
                PageState::Unmapped | PageState::Pending => {
                    self.split(ci);
                    if self.pages[pi].state == PageState::Unmapped {
                        self.pages[pi].state = PageState::Pending;
                    }
                }
            }
        } else if self.pages[pi].state == PageState::Unmapped {
            self.pages[pi].state = PageState::Pending;
        }
    }

    /// Turn chunk `ci` into a 4 KiB page table, each page taking the 2 MiB leaf's state.
    fn split(&mut self, ci: usize) {
        let c = self.chunks[ci];
        if c.split {
            return;
        }
        for p in &mut self.pages[ci * PAGES_PER_2M..(ci + 1) * PAGES_PER_2M] {
            *p = Page {
                state: c.state,
                busy: false,
            };
        }
        self.chunks[ci] = Chunk {
            split: true,
            state: PageState::Unmapped,
            busy: false,
        };
        // A held lock stays held: on the page it was taken for.
        if let Some(h) = self.busy_hold {
            if let Some((hc, hp)) = self.region_index(h.gpa) {
                if hc == ci && c.busy {
                    self.pages[hp].busy = true;
                    self.busy_hold = Some(BusyHold { level: 0, ..h });
                }
            }
        }
        self.split_l2(ci);
    }

    // ------------------------------------------------------------------ setup / inspection

    /// Set the SEPT state of the page holding `gpa` (inside the accept region).
    ///
    /// `level == 1`: the 2 MiB range holding `gpa` becomes one 2 MiB leaf in `state`
    /// (`Unmapped` = free PDE), not busy. `level == 0`: the range becomes a 4 KiB page table if
    /// it was not (every page taking the former leaf's state) and the 4 KiB page holding `gpa`
    /// gets `state`.
    ///
    /// Panics if `gpa` is outside the accept region or `level > 1`.
    pub fn set_page(&mut self, gpa: u64, level: u8, state: PageState) {
        let (ci, pi) = self
            .region_index(gpa)
            .expect("gpa outside the accept region");
        match level {
            1 => {
                self.chunks[ci] = Chunk {
                    split: false,
                    state,
                    busy: false,
                }
            }
            0 => {
                self.split(ci);
                self.pages[pi].state = state;
            }
            _ => panic!("level must be 0 (4 KiB) or 1 (2 MiB)"),
        }
    }

    /// SEPT information about the page holding `gpa`. Outside the accept region: accepted,
    /// level 0 (1 under [`Self::map_outside_2m`]), not busy.
    pub fn page(&self, gpa: u64) -> PageInfo {
        match self.region_index(gpa) {
            None => PageInfo {
                state: PageState::Accepted,
                level: u8::from(self.outside_2m),
                busy: false,
            },
            Some((ci, pi)) => {
                let c = self.chunks[ci];
                if c.split {
                    let p = self.pages[pi];
                    PageInfo {
                        state: p.state,
                        level: 0,
                        busy: p.busy,
                    }
                } else {
                    PageInfo {
                        state: c.state,
                        level: 1,
                        busy: c.busy,
                    }
                }
            }
        }
    }

    /// Lock (host side) the SEPT leaf covering `gpa`: the 2 MiB entry if the range is not split,
    /// else the 4 KiB entry. Panics if `gpa` is outside the accept region.
    pub fn set_busy(&mut self, gpa: u64, busy: bool) {
        let (ci, pi) = self
            .region_index(gpa)
            .expect("gpa outside the accept region");
        if self.chunks[ci].split {
            self.pages[pi].busy = busy;
        } else {
            self.chunks[ci].busy = busy;
        }
    }

    /// Lock (host side) the SEPT entry of `gpa` as [`Self::set_busy`] for the next `n`
    /// TDG.MEM.PAGE.ACCEPT answers that meet it (`OPERAND_BUSY`), then release it: a host
    /// that holds the lock a while. Replaces any earlier hold (releasing its lock). Panics
    /// if `gpa` is outside the accept region.
    pub fn hold_busy(&mut self, gpa: u64, n: u32) {
        self.release_busy_hold();
        self.set_busy(gpa, n > 0);
        let level = self.page(gpa).level;
        self.busy_hold = Some(BusyHold {
            gpa,
            remaining: n,
            answered: 0,
            level,
        });
    }

    /// Ends the hold of [`Self::hold_busy`] (releasing its lock) and says what it answered.
    pub fn release_busy_hold(&mut self) -> Option<BusyHold> {
        let hold = self.busy_hold.take()?;
        self.set_busy(hold.gpa, false);
        Some(hold)
    }

    /// An `OPERAND_BUSY` answer for the entry of `gpa`: counted against the hold on it.
    fn busy_answered(&mut self, gpa: u64) {
        let Some(mut hold) = self.busy_hold else {
            return;
        };
        let same = match (self.region_index(gpa), self.region_index(hold.gpa)) {
            (Some((c, p)), Some((hc, hp))) => c == hc && (!self.chunks[c].split || p == hp),
            _ => false,
        };
        if !same || hold.remaining == 0 {
            return;
        }
        hold.remaining -= 1;
        hold.answered += 1;
        self.busy_hold = Some(hold);
        if hold.remaining == 0 {
            self.set_busy(hold.gpa, false);
        }
    }

    /// Private memory outside the accept region is mapped with accepted 2 MiB leaves (`true`)
    /// or 4 KiB leaves (`false`, the default): a host choice. TDG.MEM.PAGE.ACCEPT there then
    /// answers `PAGE_ALREADY_ACCEPTED` + 1 at either size.
    pub fn map_outside_2m(&mut self, on: bool) {
        self.outside_2m = on;
    }

    /// The next `n` interruption points are interrupted (TDG.MEM.PAGE.ACCEPT at 2 MiB;
    /// TDG.MR.REPORT when TEE_INFO_HASH is not cached), but never two in a row without a
    /// completed TDCALL in between, so each interrupted call completes on re-execution.
    pub fn set_interrupt_pending(&mut self, n: u32) {
        self.interrupts = n;
    }

    /// Sets what decides a TDG.MR.REPORT of version 3 (1.5.34+): ATTRIBUTES.SERVTDEXT, fixed
    /// when the TD was created, and the host's TDID/VMID reporting. Returns the previous pair.
    pub fn set_report_v3_enables(&mut self, servtdext: bool, tdid_vmid: bool) -> (bool, bool) {
        let old = (
            self.cfg.attributes & ATTR_SERVTDEXT != 0,
            self.cfg.tdid_vmid_reporting,
        );
        self.cfg.attributes =
            self.cfg.attributes & !ATTR_SERVTDEXT | if servtdext { ATTR_SERVTDEXT } else { 0 };
        self.cfg.tdid_vmid_reporting = tdid_vmid;
        old
    }

    /// Interruptions still to be delivered.
    pub fn interrupts_pending(&self) -> u32 {
        self.interrupts
    }

    /// Current value of RTMR `i` (panics if `i >= 4`).
    pub fn rtmr(&self, i: usize) -> [u8; 48] {
        self.rtmr[i]
    }

    /// Hold (or release) the RTMR lock on the host side: RTMR.EXTEND and REPORT return
    /// `OPERAND_BUSY` + 0xA8.
    pub fn set_rtmr_busy(&mut self, busy: bool) {
        self.rtmr_busy = busy;
    }

    /// Makes the next TDG.VP.VMCALL complete with RAX = `status` and nothing else changed,
    /// before any exit to the VMM: a module that refuses the call (a future status, or a
    /// faulty module), for checking how a trampoline decodes RAX.
    pub fn refuse_next_vmcall(&mut self, status: u64) {
        self.vmcall_refusal = Some(status);
    }

    /// Choose the VMM answering TDG.VP.VMCALL exits (initially [`VmmMode::Honest`]). Always
    /// installs a fresh VMM (an honest VMM starts with every accept-region page private).
    /// Allocates; not for the TDCALL path.
    pub fn set_vmm(&mut self, mode: VmmMode) {
        self.vmm = VmmState::new(mode, &self.cfg);
    }

    /// Tells the hostile VMM, if installed, that a new call of the guest begins
    /// ([`HostileVmm::begin_call`]); the honest VMM answers from the TD's state alone.
    pub fn begin_vmm_call(&mut self, salt: u64) {
        if let VmmState::Hostile(v) = &mut self.vmm {
            v.begin_call(salt);
        }
    }

    /// The VMM currently installed.
    pub fn vmm_mode(&self) -> VmmMode {
        self.vmm.mode()
    }

    /// The honest VMM, if installed.
    pub fn honest_vmm(&self) -> Option<&HonestVmm> {
        match &self.vmm {
            VmmState::Honest(v) => Some(v),
            VmmState::Hostile(_) => None,
        }
    }

    /// The honest VMM, mutably (e.g. [`HonestVmm::set_map_gpa_chunk_limit`]), if installed.
    pub fn honest_vmm_mut(&mut self) -> Option<&mut HonestVmm> {
        match &mut self.vmm {
            VmmState::Honest(v) => Some(v),
            VmmState::Hostile(_) => None,
        }
    }

    /// The hostile VMM, if installed.
    pub fn hostile_vmm(&self) -> Option<&HostileVmm> {
        match &self.vmm {
            VmmState::Hostile(v) => Some(v),
            VmmState::Honest(_) => None,
        }
    }

    /// What the VMM saw at the last TDG.VP.VMCALL exit (`None` before the first, and after a
    /// TDG.VP.VMCALL the module refused: no exit).
    pub fn last_vmm_view(&self) -> Option<VmmView> {
        self.last_vmm_view
    }

    /// Number of TDG.VP.VMCALL exits to the VMM so far (rejected control values not counted).
    pub fn vmcall_count(&self) -> u64 {
        self.vmcall_count
    }

    /// Honest VMM: whether the accept-region page holding `gpa` is shared (`None` outside the
    /// region or with the hostile VMM).
    pub fn gpa_shared(&self, gpa: u64) -> Option<bool> {
        self.honest_vmm()?.gpa_shared(gpa)
    }

    /// Honest VMM: the value RDMSR of `index` returns now (`None` if unknown or hostile VMM).
    pub fn msr(&self, index: u32) -> Option<u64> {
        self.honest_vmm()?.msr(index)
    }

    /// Honest VMM: the registered event-notification vector.
    pub fn notify_vector(&self) -> Option<u8> {
        self.honest_vmm()?.notify_vector()
    }

    /// Honest VMM: the last ReportFatalError `(error code, 64-byte message)`.
    pub fn fatal_report(&self) -> Option<(u64, [u8; 64])> {
        self.honest_vmm()?.fatal_report()
    }

    /// Set (or clear) the valid #VE information.
    pub fn set_ve_info(&mut self, info: Option<VeInfo>) {
        self.ve_info = info;
    }

    /// The valid #VE information, if any.
    pub fn ve_info(&self) -> Option<VeInfo> {
        self.ve_info
    }

    /// CPUID #VE controls `(supervisor, user)` as set by TDG.VP.CPUIDVE.SET (initially off).
    pub fn cpuid_ve(&self) -> (bool, bool) {
        (self.cpuid_ve.0 != 0, self.cpuid_ve.1 != 0)
    }

    /// The name of the TD-scope table entry holding `field_id`, if any.
    pub fn metadata_name(&self, field_id: u64) -> Option<&'static str> {
        let id = FieldId(field_id).with_context(CONTEXT_TD);
        metadata::find_entry(self.td_table(), id).map(|i| self.td_table()[i].name)
    }

    /// What TDG.VM.RD (version 0) would return in R8 for `field_id`, or `None` if it would fail.
    pub fn metadata(&self, field_id: u64) -> Option<u64> {
        let id = FieldId(field_id).with_context(CONTEXT_TD);
        if !id.is_valid_single_element() {
            return None;
        }
        let entry = &self.td_table()[metadata::find_entry(self.td_table(), id)?];
        let rd_mask = entry.guest_rd_mask;
        if rd_mask == 0 || entry.class_code() == CPUID_CLASS_CODE {
            return None;
        }
        let elem = id.field_code() - entry.field_code();
        Some(self.md_element(entry, elem) & entry.element_mask() & rd_mask)
    }

    /// Every guest-accessible (readable or writable) TD-scope metadata element, in the module's
    /// table order: `(canonical element ID, access)`.
    pub fn metadata_fields(&self) -> impl Iterator<Item = (u64, MetadataAccess)> + '_ {
        self.td_table()
            .iter()
            .filter(|e| e.guest_rd_mask != 0 || e.guest_wr_mask != 0)
            .flat_map(move |e| {
                let (rd_mask, wr_mask) = (e.guest_rd_mask, e.guest_wr_mask);
                (0..e.num_elements()).map(move |k| {
                    (
                        e.element_id(k),
                        MetadataAccess {
                            name: e.name,
                            element_size: 1 << e.element_size_code(),
                            rd_mask,
                            wr_mask,
                        },
                    )
                })
            })
    }

    /// Exactly the 1024 bytes TDG.MR.REPORT writes now for `report_data` (see
    /// [`report_offsets`]). Model values: REPORTTYPE = {0x81, 0, version 0 (1 if SERVTD_NUM > 0),
    /// 0}; CPUSVN and TEE_TCB_INFO from [`TdConfig`]; TEE_TCB_INFO_HASH = SHA-384 of the 239-byte
    /// TEE_TCB_INFO; TEE_INFO_HASH = SHA-384 of the 512-byte TDINFO (as the module computes it,
    /// `get_tdinfo_and_teeinfohash()`); TDINFO = ATTRIBUTES, XFAM, MRTD, MRCONFIGID, MROWNER,
    /// MROWNERCONFIG, RTMR[0..4] (current), SERVTD_HASH. The MAC (computed by the CPU's
    /// SEAMOPS.SEAMDB_REPORT in reality) is modelled as the first 32 bytes of SHA-384 over bytes
    /// 0..224. Reserved bytes are zero. Does not allocate.
    pub fn expected_report(&self, report_data: &[u8; 64]) -> [u8; TDREPORT_SIZE] {
        self.expected_report_for(report_data, 0)
    }

    /// [`Self::expected_report`] asked by requestor `requestor` (R8 bits 9:8, 1.5.34+).
    ///
    /// REPORTTYPE.VERSION: 1.5.05 gives 1 with bound service TDs, else 0. From 1.5.34
    /// (`tdg_mr_report()` 9fd3c8b1) it is 3 when ATTRIBUTES.SERVTDEXT is set or the host
    /// enabled TDID/VMID reporting; then TDINFO ends with TDID, VMID and VALID
    /// (`get_tdinfo_and_teeinfohash()` in `helpers.c`, the same at 9fd3c8b1 and e69a4391):
    /// TDID = TD_UUID and VMID = the requestor only with reporting enabled; VALID bit 0 when
    /// SERVTD_HASH is not zero, bits 8 and 9 for TDID and VMID.
    pub fn expected_report_for(
        &self,
        report_data: &[u8; 64],
        requestor: u8,
    ) -> [u8; TDREPORT_SIZE] {
        use report_offsets as o;
        let c = &self.cfg;
        let mut r = [0u8; TDREPORT_SIZE];
        let newer = c.module_version >= crate::ModuleVersion::V1_5_34;
        let v3 = newer && (c.attributes & ATTR_SERVTDEXT != 0 || c.tdid_vmid_reporting);
        r[o::REPORTTYPE] = 0x81;
        r[o::REPORTTYPE + 1] = 0;
        r[o::REPORTTYPE + 2] = if v3 { 3 } else { (c.servtd_num > 0) as u8 };
        if v3 {
            let mut valid = 0u32;
            if c.tdid_vmid_reporting {
                r[o::VMID] = requestor;
                for (i, q) in c.td_uuid.iter().enumerate() {
                    put(&mut r, o::TDID + 8 * i, &q.to_le_bytes());
                }
                valid |= TDINFO_VALID_VMID | TDINFO_VALID_TDID;
            }
            if c.servtd_hash != [0; 48] {
                valid |= TDINFO_VALID_SERVTD_HASH;
            }
            put(&mut r, o::TDINFO_VALID, &valid.to_le_bytes());
        }
        put(&mut r, o::CPUSVN, &c.cpusvn);
        put(
            &mut r,
            o::TEE_TCB_INFO_VALID,
            &c.tee_tcb_info_valid.to_le_bytes(),
        );
        put(&mut r, o::TEE_TCB_SVN, &c.tee_tcb_svn);
        put(&mut r, o::MRSEAM, &c.mr_seam);
        put(&mut r, o::MRSIGNERSEAM, &c.mr_signer_seam);
        put(&mut r, o::SEAM_ATTRIBUTES, &c.seam_attributes.to_le_bytes());
        put(&mut r, o::TEE_TCB_SVN2, &c.tee_tcb_svn2);
        put(&mut r, o::ATTRIBUTES, &c.attributes.to_le_bytes());
        put(&mut r, o::XFAM, &c.xfam.to_le_bytes());
        put(&mut r, o::MRTD, &c.mrtd);
        put(&mut r, o::MRCONFIGID, &c.mrconfigid);
        put(&mut r, o::MROWNER, &c.mrowner);
        put(&mut r, o::MROWNERCONFIG, &c.mrownerconfig);
        for (i, m) in self.rtmr.iter().enumerate() {
            put(&mut r, o::RTMR + 48 * i, m);
        }
        put(&mut r, o::SERVTD_HASH, &c.servtd_hash);
        let tcb_hash = Sha384::digest(&r[o::TEE_TCB_INFO..o::TEE_TCB_INFO_END]);
        put(&mut r, o::TEE_TCB_INFO_HASH, &tcb_hash);
        let info_hash = Sha384::digest(&r[o::TDINFO..TDREPORT_SIZE]);
        put(&mut r, o::TEE_INFO_HASH, &info_hash);
        put(&mut r, o::REPORTDATA, report_data);
        let mac = Sha384::digest(&r[..o::MAC]);
        put(&mut r, o::MAC, &mac[..32]);
        r
    }
}

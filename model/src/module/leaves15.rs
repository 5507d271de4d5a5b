//! The TDX module 1.5 guest leaves 9–12, 18, 20 and 22–27.
//!
//! Each function's comment gives the check order, from TDX module 1.5.05
//! (`niooss-ledger/tdx-module` @ `f99767b4`): `src/td_dispatcher/vm_exits/tdg_vp_rd_wr.c`,
//! `tdg_sys_rd.c`, `tdg_sys_rdall.c`, `tdg_mr_verifyreport.c`, `tdg_mem_page_attr_rd.c`,
//! `tdg_mem_page_attr_wr.c`, `tdg_vp_invept.c`, `tdg_vp_invvpid.c`,
//! `src/vmm_dispatcher/migration_api_calls/tdg_servtd_rd_wr.c`,
//! `src/td_transitions/tdg_vp_enter.c` + `td_exit.c` (`td_l2_to_l1_exit_internal()`,
//! `write_l2_enter_outputs()`), `src/common/metadata_handlers/metadata_{generic,sys,vp,td}.c`.
//! Nothing here allocates: all state is preallocated by [`TdxModule::new`].

use alloc::vec;
use alloc::vec::Vec;

use sha2::{Digest, Sha384};

use super::{report_offsets, PageState, Step, TdxModule, PAGES_PER_2M, PAGE_2M, PAGE_4K};
use crate::contract::layout::{self, GLA_ENTRY, GLA_LIST_INFO};
use crate::field_id::{FieldId, CONTEXT_CODE_MASK, CONTEXT_TD, NULL, RESERVED_MASK};
use crate::memory::GuestMemory;
use crate::metadata::{self, MdEntry, CPUID_CLASS_CODE};
use crate::metadata15::{
    find_in, next_element_in, servtd_masks, CONTEXT_SYS, CONTEXT_VP, VP_FIELDS, VP_FIELDS_BASE,
};
use crate::regs::{Gpr, Regs};
use crate::status::{self, operand};

/// Size of REPORTMACSTRUCT (the first 256 bytes of TDREPORT_STRUCT; TDG.MR.VERIFYREPORT input).
pub const REPORTMACSTRUCT_SIZE: usize = 256;

/// Size (and alignment) of the L2_ENTER_GUEST_STATE buffer of TDG.VP.ENTER
/// (`l2_enter_guest_state_t`, `include/tdx_api_defs.h`: 16 GPRs in x86 order, RFLAGS, RIP, SSP
/// at bytes 128, 136, 144 and the 16-bit guest interrupt status at byte 152; the module maps a
/// 256-byte-aligned GPA).
pub const L2_ENTER_GUEST_STATE_SIZE: usize = 256;

/// Bytes of L2_ENTER_GUEST_STATE the module reads and writes back (`l2_enter_guest_state_t`
/// without padding: 16 × 8 + 3 × 8 + 2).
const L2_STATE_USED: usize = 154;

/// The service-TD binding target of TDG.SERVTD.RD/WR (one bound target TD; the 1.5.05 module
/// has `MAX_SERVTDS = 1`, `src/common/helpers/service_td.h`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServtdTarget {
    /// Physical address of the target's TDR page (bits 51:12 go into the binding handle).
    pub tdr_pa: u64,
    /// The target's TD_UUID (compared with R10–R13).
    pub td_uuid: [u64; 4],
    /// The target's PRE_IMPORT_UUID: R10–R13 equal to it → `TDX_TARGET_UUID_UPDATED` with
    /// R10–R13 = `td_uuid`.
    pub preimport_uuid: [u64; 4],
    /// Binding slot 0 of the target is in state BOUND (else cross-TD trap
    /// `TDX_SERVTD_NOT_BOUND` + 0).
    pub bound: bool,
    /// The service TD UUID recorded in the binding (must equal this TD's TD_UUID, else
    /// cross-TD trap `TDX_SERVTD_UUID_MISMATCH`).
    pub binding_uuid: [u64; 4],
    /// The binding's INFO_HASH equals this TD's TDINFO hash (else cross-TD trap
    /// `TDX_SERVTD_INFO_HASH_MISMATCH`). A flag instead of a hash: the model does not carry the
    /// binding's ignore-TDINFO attributes.
    pub info_hash_matches: bool,
    /// The target's ATTRIBUTES.
    pub attributes: u64,
    /// The target's XFAM.
    pub xfam: u64,
}

impl ServtdTarget {
    /// A bound, consistent target for a service TD whose TD_UUID is `servtd_uuid`: TDR at
    /// 0x1_2345_6000, UUID `[0xA1.., 0xA2.., 0xA3.., 0xA4..]`, pre-import UUID
    /// `[0xB1.., 0xB2.., 0xB3.., 0xB4..]`, ATTRIBUTES = MIGRATABLE (bit 29), XFAM 0xE7.
    pub fn bound_to(servtd_uuid: [u64; 4]) -> ServtdTarget {
        ServtdTarget {
            tdr_pa: 0x1_2345_6000,
            td_uuid: [
                0xA1A1_A1A1_A1A1_A1A1,
                0xA2A2_A2A2_A2A2_A2A2,
                0xA3A3_A3A3_A3A3_A3A3,
                0xA4A4_A4A4_A4A4_A4A4,
            ],
            preimport_uuid: [
                0xB1B1_B1B1_B1B1_B1B1,
                0xB2B2_B2B2_B2B2_B2B2,
                0xB3B3_B3B3_B3B3_B3B3,
                0xB4B4_B4B4_B4B4_B4B4,
            ],
            bound: true,
            binding_uuid: servtd_uuid,
            info_hash_matches: true,
            attributes: 1 << 29,
            xfam: 0xE7,
        }
    }
}

/// VCPU-scope (TDVPS) state reachable through TDG.VP.RD/WR, besides CPUID_*_VE (kept in
/// `TdxModule::cpuid_ve`) and VCPU_INDEX (from the config).
#[derive(Clone, Debug)]
pub(super) struct VpState {
    l2_ctls: [u64; 4],
    tsc_deadline: [u64; 4],
    cpuid_control: [u8; 128],
    /// L2 shadow MSR bitmaps, 3 × 512 qwords (guest view of L2_MSR_BITMAPS_1..3).
    msr_bitmaps: Vec<u64>,
    invept_count: u64,
    invgla_pages: u64,
    l2_entries: u64,
    l1_interrupt_pending: bool,
    /// Per L2 VM (index 1–3), the values of [`crate::metadata15::L2_VMCS_FIELDS`].
    l2_vmcs: [[u64; 2]; 4],
}

impl VpState {
    /// `num_l2_vms` L2 MSR bitmaps are allocated (none without L2 VMs, keeping clones cheap).
    pub(super) fn new(num_l2_vms: u8) -> VpState {
        VpState {
            l2_ctls: [0; 4],
            tsc_deadline: [u64::MAX; 4],
            cpuid_control: [0; 128],
            msr_bitmaps: vec![u64::MAX; num_l2_vms as usize * 512],
            invept_count: 0,
            invgla_pages: 0,
            l2_entries: 0,
            l1_interrupt_pending: false,
            l2_vmcs: [[0; 2]; 4],
        }
    }
}

/// Writable state of the service-TD target.
#[derive(Clone, Debug)]
pub(super) struct ServtdState {
    mig_dec_key: [u64; 4],
    mig_version: u64,
    bindings_busy: bool,
}

impl ServtdState {
    pub(super) fn new() -> ServtdState {
        ServtdState {
            mig_dec_key: [0; 4],
            mig_version: 0,
            bindings_busy: false,
        }
    }
}

/// L2 aliases of accept-region pages: for each 2 MiB range (used while it is a 2 MiB leaf) and
/// each 4 KiB page (used once the range is split), the GPA_ATTR word of L2 VMs 1..=3 (index 0
/// unused; 0 = not aliased).
#[derive(Debug)]
pub(super) struct L2State {
    chunk_attr: Vec<[u16; 4]>,
    page_attr: Vec<[u16; 4]>,
}

// By hand: `clone_from` keeps the buffers (a page's attributes for the whole accept region),
// so a module reset from a template or copied for a dry run does not allocate them again.
impl Clone for L2State {
    fn clone(&self) -> Self {
        L2State {
            chunk_attr: self.chunk_attr.clone(),
            page_attr: self.page_attr.clone(),
        }
    }

    fn clone_from(&mut self, src: &Self) {
        let L2State {
            chunk_attr,
            page_attr,
        } = src;
        self.chunk_attr.clone_from(chunk_attr);
        self.page_attr.clone_from(page_attr);
    }
}

impl L2State {
    /// Alias tables for `chunks` 2 MiB ranges (pass 0 without L2 VMs: no alias can exist).
    pub(super) fn new(chunks: usize) -> L2State {
        L2State {
            chunk_attr: vec![[0; 4]; chunks],
            page_attr: vec![[0; 4]; chunks * PAGES_PER_2M],
        }
    }
}

/// GPA_ATTR bits (`gpa_attr_single_vm_t`, `include/tdx_api_defs.h`).
mod attr {
    pub const R: u16 = 1 << 0;
    pub const W: u16 = 1 << 1;
    pub const XS: u16 = 1 << 2;
    pub const XU: u16 = 1 << 3;
    pub const PWA: u16 = 1 << 5;
    pub const SVE: u16 = 1 << 7;
    pub const RESERVED: u16 = 0x7F00;
    pub const VALID: u16 = 1 << 15;

    /// `is_gpa_attr_present()`.
    pub const fn present(a: u16) -> bool {
        a & (R | W | XS | XU) != 0
    }

    /// `is_gpa_attr_legal()` (`src/common/helpers/helpers.h`).
    pub const fn legal(a: u16) -> bool {
        !((a & VALID == 0 && a != 0)
            || a & RESERVED != 0
            || (a & W != 0 && a & R == 0)
            || (a & PWA != 0 && a & R == 0)
            || a & SVE != 0)
    }
}

/// TDX_FEATURES0 bits the 1.5.05 module reports (`md_sys_get_elements()`,
/// `tdx_features_enum0_t`): TD_MIGRATION (0), TD_PRESERVING (1), SERVICE_TD (2), TDG_VP_RDWR
/// (3), RELAXED_MEM_MNG_CONCURRENCY (4), CPUID_VIRT_GUEST_CTRL (5), TD_PARTITIONING (7),
/// TD_ENTRY_ENHANCEMENTS (9), HOST_PRIORITY_LOCKS (10), CONFIG_IA32_ARCH_CAP (11),
/// PENDING_EPT_VIOLATION_V2 (16), FMS_CONFIG (17), NO_RBP_MOD (18), L2_TLB_INVD_OPT (19),
/// TOPOLOGY_ENUM (20); LOCAL_ATTESTATION (8) = SEAMVERIFYREPORT available.
pub(crate) const TDX_FEATURES0: u64 = 0x1F_0EBF;
/// TDX_FEATURES0 bits 1.5.34 and 2.0.18 always report (`get_tdx_features_enum0()`,
/// `helpers.c` 9fd3c8b1, e69a4391): 1.5.05's but CONFIG_IA32_ARCH_CAP (11), plus
/// PARTITIONED_TD_MIGRATION (21), EVENT_FILTERING (24), ICSSD (25), FIXED_CTR12_PROF (26),
/// MAXPA_VIRT (27), CPUID2_VIRT (29), VE_REDUCTION (30), MAXGPA_VIRT (33), DYNAMIC_PAMT (36),
/// FATAL_DIAGNOSTICS (37), ENHANCED_INTR_STATE (40), SCAN_EXPORT_RESTORE (43),
/// IMPORT_PAGE_STATUS (44), VE_INFO_INTR_STATE (46), UPDATE_COMPATIBILITY (47),
/// TDID_VMID_REPORTING (49), ENHANCED_DEMOTE_INTERRUPTIBILITY (51), DEBUG_RO_TD_MIGRATION (52),
/// LIST_ERROR_COUNT (54). CONFIG_IA32_ARCH_CAP is then set on every CPU but a GNR(-D) A0
/// stepping (the model's CPU is not one); HW_SEALING (12) and SEALKEY_128 (56) with platform
/// sealing; TDX_IO (6) and TDX_CONNECT_PARTITIONING (32) on 2.0.18 with TDX-IO system
/// information (the model's platform has none).
pub(crate) const TDX_FEATURES0_1_5_34: u64 = 0x005A_D932_6F3F_06BF | 1 << 11;
/// TDX_FEATURES0 bits HW_SEALING (12) and SEALKEY_128 (56), set from 1.5.34 with sealing.
const TDX_FEATURES0_SEALING: u64 = 1 << 12 | 1 << 56;
/// TDX_CONNECT_FEATURES (2.0.18, `TDX_CONNECT_FEATURES_MASK` in `tdx_api_defs.h`, e69a4391:
/// bits 0, 7, 9, 12), a constant whatever the platform supports.
const TDX_CONNECT_FEATURES: u64 = 0x1281;
/// TDX_FEATURES0.LOCAL_ATTESTATION.
const TDX_FEATURES0_LOCAL_ATTESTATION: u64 = 1 << 8;

/// `GUEST_L2_GPA_ATTR_MASK` (`include/tdx_api_defs.h`: bits 6:0 and 15).
const GUEST_L2_GPA_ATTR_MASK: u64 = 0x807F;

/// Model L2 CS: selector 0x10, access rights 0xA09B (64-bit code), limit 0xFFFF_FFFF, base 0.
const L2_CS_SELECTOR: u64 = 0x10;
const L2_CS_AR: u64 = 0xA09B;
const L2_CS_LIMIT: u64 = 0xFFFF_FFFF;
/// VM-exit basic reason CPUID.
const EXIT_REASON_CPUID: u64 = 10;
/// VM-entry failure on the guest state: basic reason 33 with bit 31 (entry failure) set.
pub const EXIT_REASON_FAILED_VMENTER_GS: u64 = 1 << 31 | 33;
/// RFLAGS bit 1, always 1 in a valid guest state.
const RFLAGS_FIXED1: u64 = 1 << 1;
/// RFLAGS bits a valid guest state keeps 0: 3, 5, 15 and 63:22, and VM (17) in an IA-32e
/// guest.
const RFLAGS_RESERVED: u64 = 1 << 3 | 1 << 5 | 1 << 15 | 1 << 17 | !((1 << 22) - 1);

/// The most CR3-target values VM entry accepts (IA32_VMX_MISC bits 24:16 on the platforms TDX
/// runs on).
const L2_CR3_TARGET_COUNT_MAX: u64 = 4;
/// VM-instruction error 7: VM entry with invalid control field(s).
const VM_INSTRUCTION_ERROR_ENTRY_CONTROLS: u64 = 7;
/// RAX details of `TDX_L2_VM_ENTRY_FAILED`: a VM-exit reason with the VM-entry-failure bit and
/// basic reason 0xFFFF (`resume_l1_and_emulate_termination()`, `td_exit.c` 9fd3c8b1, e69a4391).
const L2_ENTRY_FAILED_DETAILS: u64 = 0x8000_FFFF;
/// Extended exit qualification type VM_ENTRY_FAILURE (`vmx_eeq_type_t`, bits 3:0).
const EEQ_VM_ENTRY_FAILURE: u64 = 7;
/// Extended exit qualification info (bits 63:32) `L1_FAILED_TO_ENTER_L2` (`l2_failure_flow_e`).
const L1_FAILED_TO_ENTER_L2: u64 = 9;

/// Whether the VM-entry checks take an L2 state with this RFLAGS and RIP (SDM, checks on guest
/// RIP and RFLAGS, for the model's 64-bit L2): RFLAGS bit 1 set, bits 3, 5, 15, 17 and 63:22
/// clear; RIP canonical at the processor's linear-address width, 57 bits on the TDX platforms
/// (5-level paging).
pub fn l2_state_enters(rflags: u64, rip: u64) -> bool {
    let top = rip >> 56;
    rflags & RFLAGS_FIXED1 != 0 && rflags & RFLAGS_RESERVED == 0 && (top == 0 || top == 0xFF)
}

/// The model L2 program: `lea rax, [rax + 1]` (4 bytes, flags unchanged) then `cpuid`
/// (2 bytes, exits to L1).
const L2_LEA_LEN: u64 = 4;
const L2_CPUID_LEN: u64 = 2;

fn le64(b: &[u8], off: usize) -> u64 {
    let mut q = [0u8; 8];
    q.copy_from_slice(&b[off..off + 8]);
    u64::from_le_bytes(q)
}

/// 48-bit canonical (bits 63:47 all equal). The model's CPU has no LA57.
const fn canonical(la: u64) -> bool {
    let top = la >> 47;
    top == 0 || top == 0x1_FFFF
}

/// The element-size code is ignored on single-element access; the rest of `md_field_id_t`
/// must pass `md_check_as_single_element_id()`.
fn single(id: FieldId) -> Result<(), Step> {
    if id.is_valid_single_element() {
        Ok(())
    } else {
        Err(Step::Status(status::TDX_METADATA_FIELD_ID_INCORRECT))
    }
}

impl TdxModule {
    /// The TD-scope metadata table of this module version.
    pub(crate) fn td_table(&self) -> &'static [MdEntry] {
        metadata::td_fields_for(self.cfg.module_version, self.cfg.num_l2_vms)
    }

    /// The global-scope metadata table of this module version.
    pub(crate) fn sys_table(&self) -> &'static [MdEntry] {
        crate::metadata15::sys_fields(self.cfg.module_version)
    }

    // ------------------------------------------------------------------ TDG.VP.RD / WR

    fn vp_table_len(&self) -> usize {
        VP_FIELDS_BASE + self.cfg.num_l2_vms as usize
    }

    /// The raw value of VCPU-scope element `elem` of `entry` (before masks).
    fn vp_element(&self, entry: &MdEntry, elem: usize) -> u64 {
        match entry.name {
            "VCPU_INDEX" => self.cfg.vcpu_index as u64,
            "CPUID_SUPERVISOR_VE" => self.cpuid_ve.0 as u64,
            "CPUID_USER_VE" => self.cpuid_ve.1 as u64,
            "XFAM" => self.cfg.xfam,
            "L2_CTLS" => self.vp.l2_ctls[elem],
            "TSC_DEADLINE" => self.vp.tsc_deadline[elem],
            "CPUID_CONTROL" => self.vp.cpuid_control[elem] as u64,
            "L2_MSR_BITMAPS_1" => self.vp.msr_bitmaps[elem],
            "L2_MSR_BITMAPS_2" => self.vp.msr_bitmaps[512 + elem],
            "L2_MSR_BITMAPS_3" => self.vp.msr_bitmaps[1024 + elem],
            _ => 0,
        }
    }

    fn vp_store(&mut self, entry: &MdEntry, elem: usize, v: u64) {
        match entry.name {
            "CPUID_SUPERVISOR_VE" => self.cpuid_ve.0 = v as u8,
            "CPUID_USER_VE" => self.cpuid_ve.1 = v as u8,
            "L2_CTLS" => self.vp.l2_ctls[elem] = v,
            "TSC_DEADLINE" => self.vp.tsc_deadline[elem] = v,
            "CPUID_CONTROL" => self.vp.cpuid_control[elem] = v as u8,
            "L2_MSR_BITMAPS_1" => self.vp.msr_bitmaps[elem] = v,
            "L2_MSR_BITMAPS_2" => self.vp.msr_bitmaps[512 + elem] = v,
            "L2_MSR_BITMAPS_3" => self.vp.msr_bitmaps[1024 + elem] = v,
            _ => {}
        }
    }

    /// Whether a TDG.VP.WR of `field_id` that succeeds stores nothing: from 1.5.34 the CPUID
    /// #VE controls under TD_CTLS.LOCK (only their base value is taken).
    pub fn vp_write_frozen(&self, field_id: u64) -> bool {
        let id = FieldId(field_id).with_context(CONTEXT_VP);
        let table = &VP_FIELDS[..self.vp_table_len()];
        find_in(table, id).is_some_and(|i| self.frozen_by_lock(table[i].name))
    }

    fn frozen_by_lock(&self, name: &str) -> bool {
        matches!(
            name,
            "CPUID_SUPERVISOR_VE" | "CPUID_USER_VE" | "CPUID_CONTROL"
        ) && self.cfg.module_version >= crate::ModuleVersion::V1_5_34
            && self.td_ctls & crate::module::TD_CTLS_LOCK != 0
    }

    /// TDG.VP.RD / TDG.VP.WR (`tdg_vp_rd_wr.c`, `md_vp_read_element()`,
    /// `md_vp_write_element()`). Defaults first: RD RDX = -1; R8 = 0. RCX ≠ 0 (whole register)
    /// → `OPERAND_INVALID` + RCX. Context forced to VP. RD with the null ID → RDX = first
    /// guest-readable element (VCPU_INDEX), `METADATA_FIRST_FIELD_ID_IN_CONTEXT`. Reserved /
    /// last-element / last-field bits → `METADATA_FIELD_ID_INCORRECT`; no entry (in the
    /// modelled subset, L2_MSR_BITMAPS_n only for n ≤ NUM_L2_VMS) → `FIELD_ID_INCORRECT`.
    /// RD: read mask 0 → `NOT_READABLE`; R8 = value & read mask, RDX = next readable element.
    /// WR: write mask & R9 = 0 → `NOT_WRITABLE`; bits of R9 outside the write mask must equal the
    /// current value (`md_check_forbidden_bits_unchanged`) else `VALUE_NOT_VALID`; the new value
    /// is stored (L2_CTLS / TSC_DEADLINE of VM 0 or of a non-existent VM are stored too, the
    /// module only skips the VMCS side effects); R8 = old value & read mask, RDX unchanged.
    /// From 1.5.34, with TD_CTLS.LOCK set, CPUID_SUPERVISOR_VE, CPUID_USER_VE and CPUID_CONTROL
    /// take only their base value (`VALUE_NOT_VALID` otherwise, nothing stored).
    pub(super) fn vp_rd_wr(&mut self, input: &Regs, out: &mut Regs, write: bool) -> Step {
        if !write {
            out[Gpr::Rdx] = NULL;
        }
        out[Gpr::R8] = 0;
        if input[Gpr::Rcx] != 0 {
            return Step::Status(status::TDX_OPERAND_INVALID + operand::RCX);
        }
        let id = FieldId(input[Gpr::Rdx]).with_context(CONTEXT_VP);
        let table = &VP_FIELDS[..self.vp_table_len()];
        let rd = |e: &MdEntry| e.guest_rd_mask;
        if !write && id.is_null() {
            out[Gpr::Rdx] = next_element_in(table, id, None, rd);
            return Step::Status(status::TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT);
        }
        if let Err(s) = single(id) {
            return s;
        }
        if let Some(vm) = crate::metadata15::l2_vmcs_vm(id.class_code()) {
            return self.l2_vmcs_rd_wr(id, vm, input, out, write);
        }
        let Some(idx) = find_in(table, id) else {
            return Step::Status(status::TDX_METADATA_FIELD_ID_INCORRECT);
        };
        let entry = &table[idx];
        let elem = (id.field_code() - entry.field_code()) as usize;
        let old = self.vp_element(entry, elem) & entry.element_mask();
        if write {
            let wr_value = input[Gpr::R8];
            let req = input[Gpr::R9];
            let combined = entry.guest_wr_mask & req;
            if combined == 0 {
                return Step::Status(status::TDX_METADATA_FIELD_NOT_WRITABLE);
            }
            // A full-element write does not merge with the old value (md_vp_write_element).
            let base = if combined == entry.element_mask() {
                0
            } else {
                old
            };
            if (base ^ wr_value) & req & !entry.guest_wr_mask != 0 {
                return Step::Status(status::TDX_METADATA_FIELD_VALUE_NOT_VALID);
            }
            let new = (base & !combined) | (wr_value & combined);
            // From 1.5.34 a locked TD_CTLS freezes the CPUID #VE controls: a value other than
            // the base refused, the same one taken without a store
            // (`md_vp_element_tdvps_wr_handle()`, 9fd3c8b1 = e69a4391; the base is 0 for a
            // full-element write, as above).
            let frozen = self.frozen_by_lock(entry.name);
            if frozen && new & entry.element_mask() != base {
                return Step::Status(status::TDX_METADATA_FIELD_VALUE_NOT_VALID);
            }
            if !frozen {
                self.vp_store(entry, elem, new & entry.element_mask());
            }
            out[Gpr::R8] = old & entry.guest_rd_mask;
        } else {
            if entry.guest_rd_mask == 0 {
                return Step::Status(status::TDX_METADATA_FIELD_NOT_READABLE);
            }
            out[Gpr::R8] = old & entry.guest_rd_mask;
            out[Gpr::Rdx] = next_element_in(table, id, Some(idx), rd);
        }
        Step::Status(status::TDX_SUCCESS)
    }

    /// TDG.VP.RD/WR of an L2 VMCS field of VM `vm` ([`crate::metadata15::L2_VMCS_FIELDS`]),
    /// after the single-element check: a VM beyond NUM_L2_VMS or a field outside the subset →
    /// `FIELD_ID_INCORRECT`; then as any VCPU field with the L1 masks. RD's next element is the
    /// subset's next field of the same VM, −1 after the last (a simplification: the module
    /// walks its whole L2 VMCS table).
    fn l2_vmcs_rd_wr(
        &mut self,
        id: FieldId,
        vm: usize,
        input: &Regs,
        out: &mut Regs,
        write: bool,
    ) -> Step {
        use crate::metadata15::L2_VMCS_FIELDS;
        let code = id.field_code();
        let found = L2_VMCS_FIELDS.iter().position(|e| e.field_code() == code);
        let (Some(i), true) = (found, vm <= self.cfg.num_l2_vms as usize) else {
            return Step::Status(status::TDX_METADATA_FIELD_ID_INCORRECT);
        };
        let entry = &L2_VMCS_FIELDS[i];
        let old = self.vp.l2_vmcs[vm][i] & entry.element_mask();
        if write {
            let (value, req) = (input[Gpr::R8], input[Gpr::R9]);
            let combined = entry.guest_wr_mask & req;
            if combined == 0 {
                return Step::Status(status::TDX_METADATA_FIELD_NOT_WRITABLE);
            }
            if (old ^ value) & req & !entry.guest_wr_mask != 0 {
                return Step::Status(status::TDX_METADATA_FIELD_VALUE_NOT_VALID);
            }
            self.vp.l2_vmcs[vm][i] = (old & !combined) | (value & combined);
        } else {
            out[Gpr::Rdx] = L2_VMCS_FIELDS[i + 1..]
                .iter()
                .find(|e| e.guest_rd_mask != 0)
                .map_or(NULL, |e| id.with_field_code(e.field_code()).0);
        }
        out[Gpr::R8] = old & entry.guest_rd_mask;
        Step::Status(status::TDX_SUCCESS)
    }

    // ------------------------------------------------------------------ TDG.SYS.RD / RDALL

    /// Value of a global-scope element (`md_sys_get_elements()`, `metadata_sys.c`); only the
    /// guest-readable ones matter. MAJOR_VERSION and MINOR_VERSION are the build's
    /// `TDX_MODULE_MAJOR_VER` / `_MINOR_VER`: 1.5 for 1.5.05 and 1.5.34, 2.0 for 2.0.18.
    fn sys_element(&self, entry: &MdEntry) -> u64 {
        let (major, minor) = self.cfg.module_version.major_minor();
        match entry.name {
            "VENDOR_ID" => 0x8086,
            "MINOR_VERSION" => u64::from(minor),
            "MAJOR_VERSION" => u64::from(major),
            "NUM_TDX_FEATURES" => 1,
            "TDX_FEATURES0" => {
                let mut f = if self.cfg.module_version >= crate::ModuleVersion::V1_5_34 {
                    TDX_FEATURES0_1_5_34
                        | if self.sealing_supported {
                            TDX_FEATURES0_SEALING
                        } else {
                            0
                        }
                } else {
                    TDX_FEATURES0
                };
                if self.cfg.seamverifyreport_available {
                    f |= TDX_FEATURES0_LOCAL_ATTESTATION;
                }
                f
            }
            "GUEST_L2_GPA_ATTR_MASK" => GUEST_L2_GPA_ATTR_MASK,
            "TDX_CONNECT_FEATURES" => TDX_CONNECT_FEATURES,
            // SYS_ATTRIBUTES, MIG_ATTRIBUTES, MIN/MAX_EXPORT/IMPORT_VERSION (every version) and
            // GUEST_GPA_ATTR_MASK (2.0.18) are 0.
            _ => 0,
        }
    }

    /// What TDG.SYS.RD returns in R8 for `field_id`, or `None` if it fails.
    pub fn sys_metadata(&self, field_id: u64) -> Option<u64> {
        let id = FieldId(field_id).with_context(CONTEXT_SYS);
        if !id.is_valid_single_element() {
            return None;
        }
        let table = self.sys_table();
        let entry = &table[find_in(table, id)?];
        (entry.guest_rd_mask != 0).then(|| self.sys_element(entry) & entry.guest_rd_mask)
    }

    /// TDG.SYS.RD (`tdg_sys_rd.c`). RCX is not read. Defaults: RDX = -1, R8 = 0. Context
    /// forced to SYS. Null ID → RDX = first guest-readable element (VENDOR_ID),
    /// `METADATA_FIRST_FIELD_ID_IN_CONTEXT`. Reserved / last-element / last-field bits or no
    /// entry → `METADATA_FIELD_ID_INCORRECT`; read mask 0 → `METADATA_FIELD_NOT_READABLE`
    /// (R8 = 0). Success: R8 = value & read mask, RDX = next readable element.
    pub(super) fn sys_rd(&mut self, input: &Regs, out: &mut Regs) -> Step {
        out[Gpr::Rdx] = NULL;
        out[Gpr::R8] = 0;
        let id = FieldId(input[Gpr::Rdx]).with_context(CONTEXT_SYS);
        let rd = |e: &MdEntry| e.guest_rd_mask;
        let table = self.sys_table();
        if id.is_null() {
            out[Gpr::Rdx] = next_element_in(table, id, None, rd);
            return Step::Status(status::TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT);
        }
        if let Err(s) = single(id) {
            return s;
        }
        let Some(idx) = find_in(table, id) else {
            return Step::Status(status::TDX_METADATA_FIELD_ID_INCORRECT);
        };
        let entry = &table[idx];
        if entry.guest_rd_mask == 0 {
            return Step::Status(status::TDX_METADATA_FIELD_NOT_READABLE);
        }
        out[Gpr::R8] = self.sys_element(entry) & entry.guest_rd_mask;
        out[Gpr::Rdx] = next_element_in(table, id, Some(idx), rd);
        Step::Status(status::TDX_SUCCESS)
    }

    /// The next guest-readable *field* of the SYS context after table entry `idx` / field ID
    /// `id` (`md_get_next_field_in_context()`; every SYS entry readable by the guest has one
    /// element per field): `(index, canonical ID with the next field code)` or `None`.
    fn sys_next_field(
        table: &[MdEntry],
        idx: Option<usize>,
        id: FieldId,
    ) -> Option<(usize, FieldId)> {
        let start = match idx {
            None => 0,
            Some(i) => {
                let en = &table[i];
                let field = (id.field_code() - en.field_code()) / en.num_elem as u32;
                if field + 1 < en.num_fields as u32 {
                    let code = id.field_code() + en.num_elem as u32;
                    return Some((i, id.with_field_code(code)));
                }
                i + 1
            }
        };
        (start..table.len())
            .find(|&j| table[j].guest_rd_mask != 0)
            .map(|j| (j, FieldId(table[j].field_id)))
    }

    /// `md_dump_list(MD_CTX_SYS, .., MD_GUEST_RD)` (`metadata_generic.c`) into `buf` (whose
    /// length is the buffer size): returns `(status, next field ID, bytes written)`. The list is
    /// `md_list_header_t` (`metadata_generic.h`: u16 LIST_BUFF_SIZE = bytes used including the
    /// header, u16 NUM_SEQUENCES, u32 reserved = 0) followed by sequences, each an 8-byte
    /// sequence header (the first field's ID with context SYS, reserved bits and
    /// WRITE_MASK_VALID cleared, LAST_ELEMENT_IN_FIELD = elements per field − 1,
    /// LAST_FIELD_IN_SEQUENCE = fields − 1) and one 8-byte slot per element (value & read
    /// mask, zero-extended). A sequence continues while the next readable field has the same
    /// class, the next field code, the same element count and the same element size. A
    /// sequence or field is only started if it fits whole; when the buffer is full the status is
    /// `TDX_METADATA_LIST_OVERFLOW` and the next field ID is the first field not written, else
    /// `TDX_SUCCESS` with the null ID.
    pub(crate) fn sys_dump_list(&self, start: FieldId, buf: &mut [u8]) -> (u64, u64, usize) {
        let size = buf.len();
        let table = self.sys_table();
        if size < 8 + 8 + 16 {
            return (status::TDX_METADATA_LIST_OVERFLOW, start.0, 0);
        }
        let (mut idx, mut cur) = if start.is_null() {
            match Self::sys_next_field(table, None, start) {
                Some(x) => x,
                None => return (status::TDX_SUCCESS, NULL, 0),
            }
        } else {
            // md_check_field_and_get_entry(): entry found, ID at a field start, element size
            // code equal to the entry's.
            let Some(i) = find_in(table, start) else {
                return (status::TDX_METADATA_FIELD_ID_INCORRECT, NULL, 0);
            };
            let en = &table[i];
            if (start.field_code() - en.field_code()) % en.num_elem as u32 != 0
                || start.element_size_code() != en.element_size_code()
            {
                return (status::TDX_METADATA_FIELD_ID_INCORRECT, NULL, 0);
            }
            (i, FieldId(en.field_id).with_field_code(start.field_code()))
        };
        let mut remaining = size - 8;
        let mut used = 8usize;
        let mut num_seq = 0u16;
        let mut done_all = false;
        loop {
            let entry = &table[idx];
            if remaining < 8 + entry.num_elem as usize * 8 {
                break;
            }
            // md_dump_sequence()
            let seq_off = used;
            let mut b = remaining - 8;
            let mut n_elems = 0usize;
            let mut n_fields = 0u64;
            let mut header: Option<FieldId> = None;
            let mut no_space = true;
            let mut e = entry;
            while b >= e.num_elem as usize * 8 {
                let readable = e.guest_rd_mask != 0;
                if readable {
                    if header.is_none() {
                        header = Some(cur);
                    }
                    let v = self.sys_element(e) & e.guest_rd_mask;
                    for k in 0..e.num_elem as usize {
                        let off = seq_off + 8 + (n_elems + k) * 8;
                        buf[off..off + 8].copy_from_slice(&v.to_le_bytes());
                    }
                    b -= e.num_elem as usize * 8;
                    n_elems += e.num_elem as usize;
                    n_fields += 1;
                }
                let last = cur;
                let last_n = e.num_elem;
                let last_size = e.element_size_code();
                match Self::sys_next_field(table, Some(idx), cur) {
                    None => {
                        done_all = true;
                        no_space = false;
                        break;
                    }
                    Some((j, f)) => {
                        idx = j;
                        cur = f;
                    }
                }
                let next = &table[idx];
                if !readable
                    || last.class_code() != cur.class_code()
                    || last.field_code() + last_n as u32 != cur.field_code()
                    || next.num_elem != last_n
                    || cur.element_size_code() != last_size
                {
                    no_space = false;
                    break;
                }
                e = next;
            }
            if let Some(h) = header {
                let clear = CONTEXT_CODE_MASK | RESERVED_MASK | 1 << 51 | 0xF << 34 | 0x1FF << 38;
                let raw = (h.0 & !clear)
                    | (CONTEXT_SYS as u64) << 52
                    | (entry.num_elem as u64 - 1) << 34
                    | ((n_fields - 1) & 0x1FF) << 38;
                buf[seq_off..seq_off + 8].copy_from_slice(&raw.to_le_bytes());
                num_seq += 1;
                used += 8 + n_elems * 8;
                remaining -= 8 + n_elems * 8;
            }
            if no_space || done_all {
                break;
            }
        }
        buf[0..2].copy_from_slice(&(used as u16).to_le_bytes());
        buf[2..4].copy_from_slice(&num_seq.to_le_bytes());
        buf[4..8].copy_from_slice(&[0; 4]);
        if done_all {
            (status::TDX_SUCCESS, NULL, used)
        } else {
            (status::TDX_METADATA_LIST_OVERFLOW, cur.0, used)
        }
    }

    /// TDG.SYS.RDALL (`tdg_sys_rdall.c`). Default R8 = -1. RDX not 4 KiB aligned →
    /// `OPERAND_INVALID` + RDX; RDX not a valid private GPA → `OPERAND_INVALID` + RDX; page not
    /// accessible → EPT-violation TD exit. R8 = first field ID (context forced SYS; -1 = from
    /// the first readable field); then [`Self::sys_dump_list`] into the 4 KiB page (only the
    /// bytes of the list are written; nothing on `METADATA_FIELD_ID_INCORRECT`), R8 = next
    /// field ID (-1 when complete). With the 1.5.05 table (12 readable one-element fields in 8 sequences,
    /// 168 bytes) a 4 KiB list never overflows; the overflow path is exercised by unit tests with
    /// smaller buffers.
    pub(super) fn sys_rdall(
        &mut self,
        input: &Regs,
        out: &mut Regs,
        mem: &mut dyn GuestMemory,
    ) -> Step {
        out[Gpr::R8] = NULL;
        let gpa = input[Gpr::Rdx];
        if gpa & (PAGE_4K - 1) != 0 || !self.gpa_valid(gpa, true) {
            return Step::Status(status::TDX_OPERAND_INVALID + operand::RDX);
        }
        let addr = match self.walk(gpa, true) {
            Ok(a) => a,
            Err(s) => return s,
        };
        let start = FieldId(input[Gpr::R8]).with_context(CONTEXT_SYS);
        let mut buf = [0u8; PAGE_4K as usize];
        // 2.0.16 on dump 64 bytes per call and report an unfinished list as SUCCESS with R8 =
        // the next field (`tdg_sys_rdall.c` e69a4391: `buff_size = 64`, LIST_OVERFLOW →
        // TDX_SUCCESS); 1.5.x dump 4 KiB with LIST_OVERFLOW (9fd3c8b1: `buff_size = _4KB`).
        let chunked = self.cfg.module_version >= crate::ModuleVersion::V2_0_18;
        let size = if chunked { 64 } else { PAGE_4K as usize };
        let (mut st, next, used) = self.sys_dump_list(start, &mut buf[..size]);
        if chunked && st == status::TDX_METADATA_LIST_OVERFLOW {
            st = status::TDX_SUCCESS;
        }
        if used > 0 && !mem.write(addr, &buf[..used]) {
            return Step::Exit(gpa);
        }
        out[Gpr::R8] = next;
        Step::Status(st)
    }

    // ------------------------------------------------------------------ TDG.SERVTD.RD / WR

    /// The binding handle TDH.SERVTD.BIND would have given this (service) TD for the configured
    /// target's slot 0: `((TDR PA >> 12) << 12 | slot) + TD_UUID[0]` (wrapping;
    /// `servtd_binding_handle_t` and `break_servtd_binding_handle()`,
    /// `src/common/helpers/service_td.h`). `None` without a target.
    pub fn servtd_binding_handle(&self) -> Option<u64> {
        let t = self.cfg.servtd_target.as_ref()?;
        Some((t.tdr_pa & 0x000F_FFFF_FFFF_F000).wrapping_add(self.cfg.td_uuid[0]))
    }

    /// Hold (or release) the target TD's service-TD bindings lock:
    /// TDG.SERVTD.RD/WR return `OPERAND_BUSY` + `SERVTD_BINDINGS` (0xAE).
    pub fn set_servtd_bindings_busy(&mut self, busy: bool) {
        self.servtd.bindings_busy = busy;
    }

    /// Make this (service) TD one that 2.0.18 does not let use a binding
    /// (`is_binding_allowed()`): `nested` = it has a service TD of its own (SERVTD_NUM = 1),
    /// `migratable` = ATTRIBUTES.MIGRATABLE. Both are the TD's build-time configuration; a
    /// generator asks about another TD this way, and puts the old values back with
    /// `(false, false)` only if they were clear.
    pub fn set_servtd_caller(&mut self, nested: bool, migratable: bool) {
        self.cfg.servtd_num = u16::from(nested);
        if migratable {
            self.cfg.attributes |= crate::module::ATTR_MIGRATABLE;
        } else {
            self.cfg.attributes &= !crate::module::ATTR_MIGRATABLE;
        }
    }

    /// The bound target, for the host side: its binding may change at any time (the host
    /// binds, unbinds or re-binds the service TD), which TDG.SERVTD.RD/WR then see.
    pub fn servtd_target_mut(&mut self) -> Option<&mut ServtdTarget> {
        self.cfg.servtd_target.as_mut()
    }

    fn servtd_element(&self, t: &ServtdTarget, entry: &MdEntry, elem: usize) -> u64 {
        match entry.name {
            "TD_UUID" => t.td_uuid[elem],
            "ATTRIBUTES" => t.attributes,
            "XFAM" => t.xfam,
            "MIG_DEC_KEY" => self.servtd.mig_dec_key[elem],
            "MIG_VERSION" => self.servtd.mig_version,
            "PRE_IMPORT_UUID" => t.preimport_uuid[elem],
            "SERVTD_NUM" => 1,
            // As the TD's own (`md_element()`): a TD built, not imported.
            "VE_REDUCTION_VALID" => 1,
            // NUM_L2_VMS, GPAW, EPTP, CONFIG_FLAGS, counters, keys, X2APIC_IDS: 0 in the model.
            _ => 0,
        }
    }

    /// TDG.SERVTD.RD / WR (`tdg_servtd_rd_wr.c`). Defaults: RD RDX = -1; R8 = 0. On 2.0.18
    /// the caller must be allowed to use a binding (`is_binding_allowed()`, e69a4391): its own
    /// SERVTD_NUM ≠ 0 → `TDX_SERVTD_NESTING_NOT_ALLOWED`, else its ATTRIBUTES.MIGRATABLE →
    /// `TDX_SERVTD_CANNOT_BE_MIGRATABLE` (no operand id, no TD exit). Handle decode: `h = RCX - TD_UUID[0]`, slot = h[11:0], TDR page = h[51:12]. Order: slot ≥
    /// MAX_SERVTDS (1) → `OPERAND_INVALID` + RCX; no target or TDR page ≠ the target's →
    /// cross-TD trap (status `OPERAND_INVALID` + TDR, model value); target TD_UUID ≠ R10–R13:
    /// equal to its PRE_IMPORT_UUID → R10–R13 = TD_UUID, `TDX_TARGET_UUID_UPDATED`, else
    /// `TDX_TARGET_UUID_MISMATCH`; bindings lock held → `OPERAND_BUSY` + 0xAE; slot not bound →
    /// cross-TD trap `SERVTD_NOT_BOUND` + slot; binding of another service TD → cross-TD trap
    /// `SERVTD_UUID_MISMATCH`; RTMR lock held (TDINFO hash) → `OPERAND_BUSY` + 0xA8; INFO_HASH
    /// mismatch → cross-TD trap `SERVTD_INFO_HASH_MISMATCH`. Then the target's TD-scope metadata
    /// with the service-TD masks ([`crate::metadata15::servtd_masks`]): RD null ID → RDX =
    /// first readable element (TD_UUID[0]), `FIRST_FIELD_ID_IN_CONTEXT`; single-element check
    /// and lookup in the TDR/TDCS table → `FIELD_ID_INCORRECT`; RD mask 0 → `NOT_READABLE`, else
    /// R8 = value & mask, RDX = next readable element; WR as TDG.VM.WR (`NOT_WRITABLE`,
    /// `VALUE_NOT_VALID` for forbidden bits; MIG_VERSION must stay within
    /// [MIN, MAX]_MIGRATION_{EXPORT,IMPORT}_VERSION = 0 else `VALUE_NOT_VALID`), R8 = old
    /// value & read mask. CPUID_VALUES (readable by a MigTD) is not modelled: its IDs answer
    /// `FIELD_ID_INCORRECT` and iteration skips it.
    pub(super) fn servtd_rd_wr(&mut self, input: &Regs, out: &mut Regs, write: bool) -> Step {
        let version = self.cfg.module_version;
        // The target's table: it has no L2 VMs (its NUM_L2_VMS reads 0).
        let table = metadata::td_fields_for(version, 0);
        if !write {
            out[Gpr::Rdx] = NULL;
        }
        out[Gpr::R8] = 0;
        // 2.0.18 `is_binding_allowed()` (`helpers.h`), first, on the caller's own TDCS.
        if version >= crate::ModuleVersion::V2_0_18 {
            if self.cfg.servtd_num != 0 {
                return Step::Status(status::TDX_SERVTD_NESTING_NOT_ALLOWED);
            }
            if self.cfg.attributes & crate::module::ATTR_MIGRATABLE != 0 {
                return Step::Status(status::TDX_SERVTD_CANNOT_BE_MIGRATABLE);
            }
        }
        let h = input[Gpr::Rcx].wrapping_sub(self.cfg.td_uuid[0]);
        let slot = h & 0xFFF;
        let tdr_pa = h & 0x000F_FFFF_FFFF_F000;
        if slot >= 1 {
            return Step::Status(status::TDX_OPERAND_INVALID + operand::RCX);
        }
        let Some(t) = self.cfg.servtd_target.as_ref() else {
            return Step::CrossTd(status::TDX_OPERAND_INVALID + operand::TDR, tdr_pa);
        };
        if t.tdr_pa & 0x000F_FFFF_FFFF_F000 != tdr_pa {
            return Step::CrossTd(status::TDX_OPERAND_INVALID + operand::TDR, tdr_pa);
        }
        let uuid = [
            input[Gpr::R10],
            input[Gpr::R11],
            input[Gpr::R12],
            input[Gpr::R13],
        ];
        if uuid != t.td_uuid {
            if uuid == t.preimport_uuid {
                out[Gpr::R10] = t.td_uuid[0];
                out[Gpr::R11] = t.td_uuid[1];
                out[Gpr::R12] = t.td_uuid[2];
                out[Gpr::R13] = t.td_uuid[3];
                return Step::Status(status::TDX_TARGET_UUID_UPDATED);
            }
            return Step::Status(status::TDX_TARGET_UUID_MISMATCH);
        }
        if self.servtd.bindings_busy {
            return Step::Status(status::TDX_OPERAND_BUSY + operand::SERVTD_BINDINGS);
        }
        if !t.bound {
            return Step::CrossTd(status::TDX_SERVTD_NOT_BOUND + slot, tdr_pa);
        }
        if t.binding_uuid != self.cfg.td_uuid {
            return Step::CrossTd(status::TDX_SERVTD_UUID_MISMATCH, tdr_pa);
        }
        if self.rtmr_busy {
            return Step::Status(status::TDX_OPERAND_BUSY + operand::RTMR);
        }
        if !t.info_hash_matches {
            return Step::CrossTd(status::TDX_SERVTD_INFO_HASH_MISMATCH, tdr_pa);
        }
        let id = FieldId(input[Gpr::Rdx]).with_context(CONTEXT_TD);
        let rd = |e: &MdEntry| {
            if e.class_code() == CPUID_CLASS_CODE {
                0
            } else {
                servtd_masks(version, e.name).0 & e.element_mask()
            }
        };
        if !write && id.is_null() {
            out[Gpr::Rdx] = next_element_in(table, id, None, rd);
            return Step::Status(status::TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT);
        }
        if let Err(s) = single(id) {
            return s;
        }
        let Some(idx) = metadata::find_entry(table, id) else {
            return Step::Status(status::TDX_METADATA_FIELD_ID_INCORRECT);
        };
        let entry = &table[idx];
        if entry.class_code() == CPUID_CLASS_CODE {
            return Step::Status(status::TDX_METADATA_FIELD_ID_INCORRECT);
        }
        let (rd_mask, wr_mask) = servtd_masks(version, entry.name);
        let rd_mask = rd_mask & entry.element_mask();
        let wr_mask = wr_mask & entry.element_mask();
        let elem = (id.field_code() - entry.field_code()) as usize;
        let old = self.servtd_element(t, entry, elem) & entry.element_mask();
        if write {
            let wr_value = input[Gpr::R8];
            let req = input[Gpr::R9];
            let combined = wr_mask & req;
            if combined == 0 {
                return Step::Status(status::TDX_METADATA_FIELD_NOT_WRITABLE);
            }
            if (old ^ wr_value) & req & !wr_mask != 0 {
                return Step::Status(status::TDX_METADATA_FIELD_VALUE_NOT_VALID);
            }
            let new = (old & !combined) | (wr_value & combined);
            match entry.name {
                "MIG_VERSION" => {
                    if new != 0 {
                        return Step::Status(status::TDX_METADATA_FIELD_VALUE_NOT_VALID);
                    }
                    self.servtd.mig_version = new;
                }
                "MIG_DEC_KEY" => self.servtd.mig_dec_key[elem] = new,
                _ => {}
            }
            out[Gpr::R8] = old & rd_mask;
        } else {
            if rd_mask == 0 {
                return Step::Status(status::TDX_METADATA_FIELD_NOT_READABLE);
            }
            out[Gpr::R8] = old & rd_mask;
            out[Gpr::Rdx] = next_element_in(table, id, Some(idx), rd);
        }
        Step::Status(status::TDX_SUCCESS)
    }

    /// Whether the host added the L2 Secure-EPT pages ([`crate::TdConfig::l2_sept_ready`]),
    /// changed for the next calls (a harness's choice per call).
    pub fn set_l2_sept_ready(&mut self, ready: bool) {
        self.cfg.l2_sept_ready = ready;
    }

    /// Whether the L1 VMM set L2 VM `vm`'s virtual-APIC page GPA
    /// ([`crate::TdConfig::l2_vapic_set`]; `vm` 1..=3), changed for the next calls.
    pub fn set_l2_vapic(&mut self, vm: usize, set: bool) {
        self.cfg.l2_vapic_set[vm] = set;
    }

    /// The target TD's MIG_DEC_KEY as written by TDG.SERVTD.WR.
    pub fn servtd_mig_dec_key(&self) -> [u64; 4] {
        self.servtd.mig_dec_key
    }

    // ------------------------------------------------------------------ TDG.MR.VERIFYREPORT

    /// Whether the model's SEAMOPS(SEAMVERIFYREPORT) accepts a 256-byte REPORTMACSTRUCT, as a
    /// status: CPUSVN ≠ the current CPUSVN ([`crate::TdConfig::cpusvn`]) →
    /// `TDX_INVALID_CPUSVN`; MAC ≠ the model MAC (first 32 bytes of SHA-384 over bytes 0..224,
    /// the scheme of [`TdxModule::expected_report`]) → `TDX_INVALID_REPORTMACSTRUCT`; else
    /// `TDX_SUCCESS`. The CPUSVN-before-MAC order is the CPU's (SEAMOPS leaf 1, not in the
    /// module source): **UNVERIFIED** model choice.
    pub fn verify_reportmac(&self, mac_struct: &[u8; REPORTMACSTRUCT_SIZE]) -> u64 {
        use report_offsets as o;
        if mac_struct[o::CPUSVN..o::CPUSVN + 16] != self.cfg.cpusvn {
            return status::TDX_INVALID_CPUSVN;
        }
        let mac = Sha384::digest(&mac_struct[..o::MAC]);
        if mac[..32] != mac_struct[o::MAC..o::MAC + 32] {
            return status::TDX_INVALID_REPORTMACSTRUCT;
        }
        status::TDX_SUCCESS
    }

    /// TDG.MR.VERIFYREPORT (`tdg_mr_verifyreport.c`). Order: SEAMVERIFYREPORT not available
    /// ([`crate::TdConfig::seamverifyreport_available`]) → `OPERAND_INVALID` + RAX; RCX not
    /// 256-byte aligned → `OPERAND_INVALID` + RCX; not a valid private GPA → `OPERAND_INVALID`
    /// plus RCX; not accessible → EPT-violation TD exit; then [`Self::verify_reportmac`]. No
    /// register outputs.
    pub(super) fn verifyreport(&mut self, input: &Regs, mem: &mut dyn GuestMemory) -> Step {
        if !self.cfg.seamverifyreport_available {
            return Step::Status(status::TDX_OPERAND_INVALID + operand::RAX);
        }
        let gpa = input[Gpr::Rcx];
        if gpa & (REPORTMACSTRUCT_SIZE as u64 - 1) != 0 || !self.gpa_valid(gpa, true) {
            return Step::Status(status::TDX_OPERAND_INVALID + operand::RCX);
        }
        let addr = match self.walk(gpa, false) {
            Ok(a) => a,
            Err(s) => return s,
        };
        let mut m = [0u8; REPORTMACSTRUCT_SIZE];
        if !mem.read(addr, &mut m) {
            return Step::Exit(gpa);
        }
        Step::Status(self.verify_reportmac(&m))
    }

    // ------------------------------------------------------------------ TDG.MEM.PAGE.ATTR.RD / WR

    /// L2 attribute words of the SEPT leaf holding `gpa` (index 1..=3; 0 = not aliased).
    /// Outside the accept region: never aliased.
    pub fn l2_page_attr(&self, gpa: u64) -> [u16; 4] {
        if self.l2.chunk_attr.is_empty() {
            return [0; 4];
        }
        match self.region_index(gpa) {
            None => [0; 4],
            Some((ci, pi)) => {
                if self.chunks[ci].split {
                    self.l2.page_attr[pi]
                } else {
                    self.l2.chunk_attr[ci]
                }
            }
        }
    }

    fn set_l2_page_attr(&mut self, gpa: u64, level: u8, a: [u16; 4]) {
        if self.l2.chunk_attr.is_empty() {
            return;
        }
        if let Some((ci, pi)) = self.region_index(gpa) {
            if level == 1 {
                self.l2.chunk_attr[ci] = a;
            } else {
                self.l2.page_attr[pi] = a;
            }
        }
    }

    /// Copy a 2 MiB range's L2 attributes to its 4 KiB pages (called when the range is split).
    pub(super) fn split_l2(&mut self, ci: usize) {
        if self.l2.chunk_attr.is_empty() {
            return;
        }
        let a = self.l2.chunk_attr[ci];
        for p in &mut self.l2.page_attr[ci * PAGES_PER_2M..(ci + 1) * PAGES_PER_2M] {
            *p = a;
        }
        self.l2.chunk_attr[ci] = [0; 4];
    }

    /// TDG.MEM.PAGE.ATTR.RD (`tdg_mem_page_attr_rd.c`). Defaults on error: RCX = RDX = 0.
    /// RCX not a valid private GPA → `OPERAND_INVALID` + RCX; SEPT leaf locked →
    /// `OPERAND_BUSY` + RCX; no leaf (free entry) → EPT-violation TD exit (GPA with bits 11:0
    /// cleared). Success: RCX = GPA aligned to the leaf's level | level | PENDING (bit 62);
    /// RDX = GPA_ATTR: VM 0 word 0 (`sept_get_gpa_attr()` returns 0 in 1.5.05), VM 1..NUM_L2_VMS
    /// = the L2 alias's attributes (0 when not aliased), other words 0.
    pub(super) fn page_attr_rd(&mut self, input: &Regs, out: &mut Regs) -> Step {
        out[Gpr::Rcx] = 0;
        out[Gpr::Rdx] = 0;
        let gpa = input[Gpr::Rcx];
        if !self.gpa_valid(gpa, true) {
            return Step::Status(status::TDX_OPERAND_INVALID + operand::RCX);
        }
        let info = self.page(gpa);
        if info.busy {
            return Step::Status(status::TDX_OPERAND_BUSY + operand::RCX);
        }
        if info.state == PageState::Unmapped {
            return Step::Exit(gpa & !(PAGE_4K - 1));
        }
        let size = if info.level == 1 { PAGE_2M } else { PAGE_4K };
        let a = self.l2_page_attr(gpa);
        let mut attrs = 0u64;
        for (vm, w) in a
            .iter()
            .enumerate()
            .take(self.cfg.num_l2_vms as usize + 1)
            .skip(1)
        {
            attrs |= (*w as u64) << (16 * vm);
        }
        out[Gpr::Rcx] = (gpa & !(size - 1) & 0x000F_FFFF_FFFF_F000)
            | info.level as u64
            | ((info.state == PageState::Pending) as u64) << 62;
        out[Gpr::Rdx] = attrs;
        Step::Status(status::TDX_SUCCESS)
    }

    /// TDG.MEM.PAGE.ATTR.WR (`tdg_mem_page_attr_wr.c`, `get_all_l2_sept_entries()`). Defaults
    /// on error: RCX = RDX = 0. Order: for VM 0..3 in turn: VM 0 or VM > NUM_L2_VMS with a
    /// non-zero RDX word → `OPERAND_INVALID` + RDX, with a non-zero R8 word → `OPERAND_INVALID`
    /// plus R8; an existing VM's non-zero RDX word without VALID (bit 15) → `OPERAND_INVALID` +
    /// RDX. RCX reserved bits (11:3, 63:52) or level > 2 or GPA not aligned to the level, or not
    /// a valid private GPA → `OPERAND_INVALID` + RCX. SEPT walk to the level: the leaf is above
    /// it (4 KiB request in a 2 MiB leaf or free PDE) → EPT-violation TD exit; entry locked →
    /// `OPERAND_BUSY` + RCX; non-leaf at the level (2 MiB request on a split range, any 1 GiB
    /// request) → `PAGE_SIZE_MISMATCH` + level; free leaf → EPT-violation TD exit. Per L2 VM
    /// with (RDX word & (R8 word | VALID)) having VALID: aliased → new = (current & !mask) |
    /// masked, present but illegal → `PAGE_ATTR_INVALID` (word = current); not aliased →
    /// present and illegal → `PAGE_ATTR_INVALID` (word = 0), present and legal → new alias
    /// (L2 SEPT walk failure, [`crate::TdConfig::l2_sept_ready`] = false →
    /// `L2_SEPT_WALK_FAILED` with details VM in bits 31:16 and level in 15:0). With
    /// `PAGE_ATTR_INVALID`: RCX = 0, RDX = the words, nothing changed. Success: aliases
    /// updated (a valid non-present word removes the alias and reads back as VALID only),
    /// RCX = input RCX | PENDING (bit 62), RDX = resulting words (VM 0 word 0). R8 bit 15 of
    /// a VM word requests an INVEPT of that VM (counted in [`Self::invept_count`]). Pending
    /// leaves are accepted as targets (**UNVERIFIED**: `sept_state_is_tdcall_leaf_allowed()`
    /// not transcribed). Outside the accept region 4 KiB pages behave as accepted leaves but
    /// their aliases are not recorded.
    pub(super) fn page_attr_wr(&mut self, input: &Regs, out: &mut Regs) -> Step {
        out[Gpr::Rcx] = 0;
        out[Gpr::Rdx] = 0;
        let rcx = input[Gpr::Rcx];
        let new_attr = input[Gpr::Rdx];
        let flags = input[Gpr::R8];
        let n = self.cfg.num_l2_vms as usize;
        let word = |v: u64, vm: usize| (v >> (16 * vm)) as u16;
        for vm in 0..4 {
            if vm == 0 || vm > n {
                if word(new_attr, vm) != 0 {
                    return Step::Status(status::TDX_OPERAND_INVALID + operand::RDX);
                }
                if word(flags, vm) != 0 {
                    return Step::Status(status::TDX_OPERAND_INVALID + operand::R8);
                }
            } else if word(new_attr, vm) != 0 && word(new_attr, vm) & attr::VALID == 0 {
                return Step::Status(status::TDX_OPERAND_INVALID + operand::RDX);
            }
        }
        const RESERVED: u64 = 0x0000_0000_0000_0FF8 | 0xFFF0_0000_0000_0000;
        let level = rcx & 7;
        let gpa = rcx & 0x000F_FFFF_FFFF_F000;
        let size = match level {
            0 => PAGE_4K,
            1 => PAGE_2M,
            _ => 1 << 30,
        };
        if rcx & RESERVED != 0 || level > 2 || gpa & (size - 1) != 0 || !self.gpa_valid(gpa, true) {
            return Step::Status(status::TDX_OPERAND_INVALID + operand::RCX);
        }
        let info = self.page(gpa);
        if level == 2 {
            return Step::Status(status::TDX_PAGE_SIZE_MISMATCH + 2);
        }
        let in_region = self.region_index(gpa).is_some();
        if level == 0 && info.level == 1 {
            return Step::Exit(gpa);
        }
        // A 2 MiB request on a PDE pointing to a page table (the model never locks such a PDE).
        if level == 1 && (info.level == 0 || !in_region) {
            return Step::Status(status::TDX_PAGE_SIZE_MISMATCH + 1);
        }
        if info.busy {
            return Step::Status(status::TDX_OPERAND_BUSY + operand::RCX);
        }
        if info.state == PageState::Unmapped {
            return Step::Exit(gpa);
        }
        let cur = self.l2_page_attr(gpa);
        let mut words = [0u16; 4];
        for (vm, w) in words.iter_mut().enumerate().skip(1) {
            *w = word(new_attr, vm);
        }
        let mut invalid = false;
        let mut create = [false; 4];
        for vm in 1..=n {
            let mask = word(flags, vm) | attr::VALID;
            let masked = word(new_attr, vm) & mask;
            if masked & attr::VALID == 0 {
                continue;
            }
            if cur[vm] != 0 {
                let new = (cur[vm] & !mask) | masked;
                words[vm] = new;
                if attr::present(new) && !attr::legal(new) {
                    invalid = true;
                    words[vm] = cur[vm];
                }
            } else if attr::present(masked) {
                if !attr::legal(masked) {
                    invalid = true;
                    words[vm] = 0;
                } else {
                    words[vm] = masked;
                    if !self.cfg.l2_sept_ready {
                        return Step::Status(
                            status::TDX_L2_SEPT_WALK_FAILED | (vm as u64) << 16 | level,
                        );
                    }
                    create[vm] = true;
                }
            }
        }
        let pack = |w: &[u16; 4]| {
            w.iter()
                .enumerate()
                .fold(0u64, |acc, (i, x)| acc | (*x as u64) << (16 * i))
        };
        if invalid {
            out[Gpr::Rcx] = 0;
            out[Gpr::Rdx] = pack(&words);
            return Step::Status(status::TDX_PAGE_ATTR_INVALID);
        }
        let mut next = cur;
        for vm in 1..=n {
            if cur[vm] != 0 {
                if words[vm] & attr::VALID != 0 {
                    if attr::present(words[vm]) {
                        next[vm] = words[vm];
                    } else {
                        next[vm] = 0;
                        words[vm] = attr::VALID;
                    }
                }
            } else if create[vm] {
                next[vm] = words[vm];
            }
            if word(flags, vm) & attr::VALID != 0 {
                self.vp.invept_count += 1;
            }
        }
        self.set_l2_page_attr(gpa, level as u8, next);
        out[Gpr::Rcx] = rcx | ((info.state == PageState::Pending) as u64) << 62;
        out[Gpr::Rdx] = pack(&words);
        Step::Status(status::TDX_SUCCESS)
    }

    // ------------------------------------------------------------------ TDG.VP.ENTER

    /// Make an L1 interrupt pending (or not): TDG.VP.ENTER then returns
    /// `TDX_PENDING_INTERRUPT` (the module compares the L1 RVI with the PPR).
    pub fn set_l1_interrupt_pending(&mut self, pending: bool) {
        self.vp.l1_interrupt_pending = pending;
    }

    /// Number of L2 entry attempts that returned to L1 with an L2 exit (successful TDG.VP.ENTER
    /// calls, an entry that failed on the guest state included) so far.
    pub fn l2_entries(&self) -> u64 {
        self.vp.l2_entries
    }

    /// TDG.VP.ENTER (`tdg_vp_enter.c`, `td_exit.c`). Order: RDX not 256-byte aligned or not a
    /// valid private GPA → `OPERAND_INVALID` + RDX; RCX VM (bits 53:52) 0 or > NUM_L2_VMS, or
    /// reserved bits 51:2 / 63:54 set → `OPERAND_INVALID` + RCX; the VM's virtual-APIC GPA
    /// unset ([`crate::TdConfig::l2_vapic_set`]) → `OPERAND_INVALID` + 0xAA; L1 interrupt
    /// pending ([`Self::set_l1_interrupt_pending`]) → `TDX_PENDING_INTERRUPT`; buffer not
    /// accessible → EPT-violation TD exit. RCX bits 1:0 (TLB invalidation type) are not
    /// checked. Nothing but RAX is written on these failures.
    ///
    /// The model L2 VCPU loads the buffer's state (16 GPRs, RFLAGS at 128, RIP at 136, SSP at
    /// 144, interrupt status at 152), executes `lea rax, [rax + 1]` (4 bytes) and then `cpuid`,
    /// which exits to L1: the module writes the L2 state back (RAX + 1, RIP + 4, the rest
    /// unchanged) and returns to L1 (`td_l2_to_l1_exit_internal()`) with RAX = `TDX_SUCCESS` |
    /// exit reason 10 (CPUID), RBX = 0, RCX = exit qualification (0), RDX = guest linear address
    /// (0), RSI = L2 CS selector | AR << 16 | limit << 32 (0x10, 0xA09B, 0xFFFF_FFFF), RDI = CS
    /// base (0), R8 = guest physical address (0), R9 = interruption error << 32 | info (0),
    /// R10 = IDT-vectoring error << 32 | info (0), R11 = instruction length (2) << 32 |
    /// instruction info (0), R12 = CPL (0), R13 = extended exit qualification (0), R14 = R15 = 0,
    /// and **RBP = the L2's RBP**: the module loads the L2 GPRs over L1's and on the way back
    /// overwrites all of them but RBP (RSP is L1's, from its VMCS).
    ///
    /// An L2 state the CPU's VM-entry checks refuse ([`l2_state_enters`]: RFLAGS bit 1 clear,
    /// bit 3, 5, 15, 17 or 63:22 set; a RIP not canonical at 57 bits under the 64-bit CS)
    /// fails the entry with exit reason 33 | bit 31 (`VMEXIT_REASON_FAILED_VMENTER_GS`). The
    /// module returns it to L1 like any L2 exit, on every version
    /// (`handle_l2_vm_entry_failures()` in `tdx_td_l2_dispatcher.c`, e98d9639, 30d22188,
    /// 1666adc4, db57c638): RAX = `TDX_SUCCESS` | 0x8000_0021, the state written back
    /// unchanged (nothing ran), the outputs as above but R11 = 0 (model choice: the VMCS's
    /// instruction fields are not defined for a failed entry, and the model keeps no stale
    /// ones).
    ///
    /// Before that, VMLAUNCH/VMRESUME checks the controls: with the VM's CR3-target count
    /// above 4 (an L2 VMCS field L1 writes with TDG.VP.WR unchecked) it fails outright. 1.5.34
    /// and 2.0.18 return `TDX_L2_VM_ENTRY_FAILED` | 0x8000_FFFF to L1
    /// (`resume_l1_and_emulate_termination(L1_FAILED_TO_ENTER_L2)`, `td_exit.c`): the outputs
    /// as above but RSI/RBP only, R13 = 9 << 32 | 7, the state written back as loaded, the
    /// VM-instruction error 7, no entry counted. 1.5.05 stops the module
    /// ([`crate::Completion::ModuleFatal`]; `tdg_vp_enter.c` e98d9639).
    pub(super) fn vp_enter(
        &mut self,
        input: &Regs,
        out: &mut Regs,
        mem: &mut dyn GuestMemory,
    ) -> Step {
        let rcx = input[Gpr::Rcx];
        let gpa = input[Gpr::Rdx];
        if gpa & (L2_ENTER_GUEST_STATE_SIZE as u64 - 1) != 0 || !self.gpa_valid(gpa, true) {
            return Step::Status(status::TDX_OPERAND_INVALID + operand::RDX);
        }
        let vm = (rcx >> 52 & 3) as usize;
        // `vm_and_flags_t`: reserved bits 51:2 and 63:54.
        let reserved = rcx & (0x000F_FFFF_FFFF_FFFC | 0xFFC0_0000_0000_0000);
        if vm == 0 || vm > self.cfg.num_l2_vms as usize || reserved != 0 {
            return Step::Status(status::TDX_OPERAND_INVALID + operand::RCX);
        }
        if !self.cfg.l2_vapic_set[vm] {
            return Step::Status(status::TDX_OPERAND_INVALID + operand::L2_VAPIC_GPA);
        }
        if self.vp.l1_interrupt_pending {
            return Step::Status(status::TDX_PENDING_INTERRUPT);
        }
        // The buffer is translated before the entry (`translate_gpas()`): a page the TD cannot
        // use is an EPT-violation exit at its page, never a #VE, whatever TD_CTLS says.
        let addr = match self.walk(gpa, true) {
            Ok(a) => a,
            Err(_) => return Step::Exit(gpa & !0xFFF),
        };
        let mut st = [0u8; L2_STATE_USED];
        if !mem.read(addr, &mut st) {
            return Step::Exit(gpa & !0xFFF);
        }
        // VMLAUNCH/VMRESUME checks the controls first: a CR3-target count above 4 (the
        // platform's IA32_VMX_MISC limit) is VMfailValid, error 7.
        if self.vp.l2_vmcs[vm][0] > L2_CR3_TARGET_COUNT_MAX {
            if self.cfg.module_version < crate::ModuleVersion::V1_5_34 {
                return Step::ModuleFatal;
            }
            self.vp.l2_vmcs[vm][1] = VM_INSTRUCTION_ERROR_ENTRY_CONTROLS;
            // `write_l2_enter_outputs()` writes back the state just loaded.
            if !mem.write(addr, &st) {
                return Step::Exit(gpa & !0xFFF);
            }
            for r in [
                Gpr::Rbx,
                Gpr::Rcx,
                Gpr::Rdx,
                Gpr::Rdi,
                Gpr::R8,
                Gpr::R9,
                Gpr::R10,
            ] {
                out[r] = 0;
            }
            for r in [Gpr::R11, Gpr::R12, Gpr::R14, Gpr::R15] {
                out[r] = 0;
            }
            out[Gpr::Rbp] = le64(&st, 8 * Gpr::Rbp.index());
            out[Gpr::Rsi] = L2_CS_SELECTOR | L2_CS_AR << 16 | L2_CS_LIMIT << 32;
            out[Gpr::R13] = L1_FAILED_TO_ENTER_L2 << 32 | EEQ_VM_ENTRY_FAILURE;
            return Step::Status(status::TDX_L2_VM_ENTRY_FAILED | L2_ENTRY_FAILED_DETAILS);
        }
        let rflags = le64(&st, 128);
        let entry_fails = !l2_state_enters(rflags, le64(&st, 136));
        if !entry_fails {
            // The L2 runs: lea rax, [rax + 1]; cpuid → VM exit (CPUID) to L1.
            let l2_rax = le64(&st, 0).wrapping_add(1);
            let l2_rip = le64(&st, 136).wrapping_add(L2_LEA_LEN);
            st[0..8].copy_from_slice(&l2_rax.to_le_bytes());
            st[136..144].copy_from_slice(&l2_rip.to_le_bytes());
        }
        if !mem.write(addr, &st) {
            return Step::Exit(gpa & !0xFFF);
        }
        self.vp.l2_entries += 1;
        out[Gpr::Rbx] = 0;
        out[Gpr::Rcx] = 0;
        out[Gpr::Rdx] = 0;
        out[Gpr::Rbp] = le64(&st, 8 * Gpr::Rbp.index());
        out[Gpr::Rsi] = L2_CS_SELECTOR | L2_CS_AR << 16 | L2_CS_LIMIT << 32;
        out[Gpr::Rdi] = 0;
        out[Gpr::R8] = 0;
        out[Gpr::R9] = 0;
        out[Gpr::R10] = 0;
        out[Gpr::R11] = if entry_fails { 0 } else { L2_CPUID_LEN << 32 };
        out[Gpr::R12] = 0;
        out[Gpr::R13] = 0;
        out[Gpr::R14] = 0;
        out[Gpr::R15] = 0;
        Step::Status(if entry_fails {
            status::TDX_SUCCESS | EXIT_REASON_FAILED_VMENTER_GS
        } else {
            status::TDX_SUCCESS | EXIT_REASON_CPUID
        })
    }

    // ------------------------------------------------------------------ TDG.VP.INVEPT / INVGLA

    /// INVEPT requests so far (TDG.VP.INVEPT VMs, TDG.MEM.PAGE.ATTR.WR R8 bit-15 requests).
    pub fn invept_count(&self) -> u64 {
        self.vp.invept_count
    }

    /// 4 KiB linear pages invalidated by TDG.VP.INVGLA so far.
    pub fn invgla_pages(&self) -> u64 {
        self.vp.invgla_pages
    }

    /// TDG.VP.INVEPT (`tdg_vp_invept.c`): RCX bit 0 set or any bit above NUM_L2_VMS set →
    /// `OPERAND_INVALID` + RCX; else each VM in the bitmap is flushed. No outputs.
    pub(super) fn vp_invept(&mut self, input: &Regs) -> Step {
        let mask = input[Gpr::Rcx];
        if mask & 1 != 0 || mask >> (self.cfg.num_l2_vms as u32 + 1) != 0 {
            return Step::Status(status::TDX_OPERAND_INVALID + operand::RCX);
        }
        self.vp.invept_count += mask.count_ones() as u64;
        Step::Status(status::TDX_SUCCESS)
    }

    /// Invalidate one GLA list entry (`invvpid_gla_list_entry()`): pages base, base + 1, …,
    /// base + LAST_GLA_INDEX (bits 11:0); a non-canonical page → `TDX_GLA_NOT_CANONICAL`.
    fn invgla_entry(&mut self, entry: u64) -> Result<(), Step> {
        let mut la = layout::get(GLA_ENTRY, entry, "base_gla_page") << 12;
        for _ in 0..=layout::get(GLA_ENTRY, entry, "last_gla_index") {
            if !canonical(la) {
                return Err(Step::Status(status::TDX_GLA_NOT_CANONICAL));
            }
            self.vp.invgla_pages += 1;
            la = la.wrapping_add(PAGE_4K);
        }
        Ok(())
    }

    /// TDG.VP.INVGLA (leaf 27; `tdg_vp_invvpid.c`). RCX: bit 0 LIST, bits 51:1 and 63:54
    /// reserved, VM in bits 53:52 (1..NUM_L2_VMS) → else `OPERAND_INVALID` + RCX.
    /// LIST = 0: RDX = one GLA entry; `TDX_GLA_NOT_CANONICAL` if a page is not canonical. No
    /// outputs. LIST = 1: RDX = GLA_LIST_INFO ([8:0] FIRST_ENTRY, [11:9] reserved, [51:12] list
    /// GPA page, [61:52] NUM_ENTRIES, [63:62] reserved): reserved bits or FIRST_ENTRY +
    /// NUM_ENTRIES > 512 → `OPERAND_INVALID` + RDX; list page not a valid private GPA →
    /// `OPERAND_INVALID` + RDX; not accessible → EPT-violation TD exit. Then for each entry:
    /// invalidate it (non-canonical → `TDX_GLA_NOT_CANONICAL`, RDX **not** updated), advance
    /// FIRST_ENTRY, decrement NUM_ENTRIES, and check for a pending interrupt
    /// ([`Self::set_interrupt_pending`]; every entry is a check point, progress always made):
    /// interrupted → [`crate::Completion::InterruptedWithProgress`] with RDX = updated info.
    /// Completed: RDX = updated info (NUM_ENTRIES 0), `TDX_SUCCESS`.
    pub(super) fn vp_invgla(
        &mut self,
        input: &Regs,
        out: &mut Regs,
        mem: &mut dyn GuestMemory,
    ) -> Step {
        let rcx = input[Gpr::Rcx];
        let vm = (rcx >> 52 & 3) as usize;
        let reserved = rcx & (0x000F_FFFF_FFFF_FFFE | 0xFFC0_0000_0000_0000);
        if vm == 0 || vm > self.cfg.num_l2_vms as usize || reserved != 0 {
            return Step::Status(status::TDX_OPERAND_INVALID + operand::RCX);
        }
        let rdx = input[Gpr::Rdx];
        if rcx & 1 == 0 {
            return match self.invgla_entry(rdx) {
                Ok(()) => Step::Status(status::TDX_SUCCESS),
                Err(s) => s,
            };
        }
        let mut first = layout::get(GLA_LIST_INFO, rdx, "first_entry");
        let mut count = layout::get(GLA_LIST_INFO, rdx, "num_entries");
        if layout::reserved(GLA_LIST_INFO, rdx) != 0 || first + count > 512 {
            return Step::Status(status::TDX_OPERAND_INVALID + operand::RDX);
        }
        let list_gpa = layout::get(GLA_LIST_INFO, rdx, "list_gpa_page") << 12;
        if !self.gpa_valid(list_gpa, true) {
            return Step::Status(status::TDX_OPERAND_INVALID + operand::RDX);
        }
        let addr = match self.walk(list_gpa, false) {
            Ok(a) => a,
            Err(s) => return s,
        };
        let mut interrupted = false;
        while count > 0 && !interrupted {
            let mut e = [0u8; 8];
            if !mem.read(addr + first * 8, &mut e) {
                return Step::Exit(list_gpa);
            }
            if let Err(s) = self.invgla_entry(u64::from_le_bytes(e)) {
                return s;
            }
            first += 1;
            count -= 1;
            if self.interrupts > 0 {
                self.interrupts -= 1;
                interrupted = true;
            }
        }
        let progress = layout::set(GLA_LIST_INFO, rdx, "first_entry", first);
        out[Gpr::Rdx] = layout::set(GLA_LIST_INFO, progress, "num_entries", count);
        if interrupted {
            Step::InterruptedWithProgress
        } else {
            Step::Status(status::TDX_SUCCESS)
        }
    }
}

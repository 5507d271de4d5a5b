//! TDX module 1.5 metadata contexts other than the TD scope: the global SYS context
//! (TDG.SYS.RD / TDG.SYS.RDALL), the VCPU (TDVPS) context (TDG.VP.RD / TDG.VP.WR) and the
//! service-TD access masks of the TD context (TDG.SERVTD.RD / TDG.SERVTD.WR).
//!
//! Sources (TDX module 1.5.05, `niooss-ledger/tdx-module` @ `f99767b4`):
//! * [`SYS_FIELDS`]: a full transcription of `include/auto_gen/global_sys_fields_lookup.c`
//!   (`global_sys_lookup[]`, 66 entries) keeping the *guest* read mask (the global table has no
//!   guest write mask: TDG.SYS.WR does not exist). Twelve entries are guest-readable: VENDOR_ID,
//!   MINOR_VERSION, MAJOR_VERSION, SYS_ATTRIBUTES, NUM_TDX_FEATURES, TDX_FEATURES0,
//!   MIG_ATTRIBUTES, MIN/MAX_EXPORT_VERSION, MIN/MAX_IMPORT_VERSION, GUEST_L2_GPA_ATTR_MASK.
//!   Notably MAX_VCPUS_PER_TD and the L2 fields other than GUEST_L2_GPA_ATTR_MASK are **not**
//!   guest-readable in 1.5.05. Values: `src/common/metadata_handlers/metadata_sys.c`
//!   (`md_sys_get_elements()`), see [`crate::TdxModule::sys_metadata`].
//! * [`VP_FIELDS`]: a **subset** of `include/auto_gen/tdvps_fields_lookup.c` (`tdvps_lookup[]`,
//!   119 entries): every entry with a non-zero guest mask (VCPU_INDEX, CPUID_SUPERVISOR_VE,
//!   CPUID_USER_VE, L2_CTLS, TSC_DEADLINE, CPUID_CONTROL, L2_MSR_BITMAPS_1..3) plus a few
//!   non-guest-accessible ones (EXIT_REASON, VCPU_STATE, XFAM, CURR_VM, L2_VAPIC_GPA) so that
//!   `METADATA_FIELD_NOT_READABLE` / `NOT_WRITABLE` can be exercised. Because every
//!   guest-readable TDVPS entry is present, next-field iteration over the TDVPS table is exact.
//!   Not modelled: the other 106 TDVPS entries and the TD-VMCS tables
//!   (`td_vmcs_fields_lookup.c`, class 0, no guest-readable field; `td_l2_vmcs_fields_lookup.c`,
//!   classes 36/44/52, readable by the L1 VMM through the aliased `l1_vmm_rd_mask` when
//!   NUM_L2_VMS > 0) but for the two fields of [`L2_VMCS_FIELDS`]: IDs of those entries answer
//!   `METADATA_FIELD_ID_INCORRECT` in the model, and with NUM_L2_VMS > 0 the model's iteration
//!   skips the L2 VMCS fields.
//! * [`servtd_masks`]: the `migtd_rd_mask` / `migtd_wr_mask` columns of
//!   `include/auto_gen/tdr_tdcs_fields_lookup.c` (21 entries have a non-zero one).
//!
//! Lookup and iteration follow `src/common/metadata_handlers/metadata_generic.c`
//! (`md_find_entry_idx()`, `md_get_next_item_with_iterator()`): by class code and field code;
//! the next element within an entry keeps the input ID's other bits; the next entry gives its
//! canonical ID. In the VCPU context the last `TDVPS_PAGES_PER_L2_VM × (3 − NUM_L2_VMS)`
//! entries are dropped (`md_get_num_of_td_vp_ctx_unused_entries()`), which the model applies
//! to its `L2_MSR_BITMAPS_n` entries.

use crate::metadata::{e, MdEntry};
pub use crate::metadata::{find_in, next_element_in};
use crate::ModuleVersion;

/// Context code of the global (SYS) metadata context (`MD_CTX_SYS`).
pub const CONTEXT_SYS: u8 = 0;
/// Context code of the VCPU (TDVPS) metadata context (`MD_CTX_VP`).
pub const CONTEXT_VP: u8 = 2;

/// The global-scope metadata table, in the module's order (`global_sys_lookup[]`).
pub static SYS_FIELDS: &[MdEntry] = &[
    e("NUM_PKGS", 0x0000000200000000, 1, 1, 0x0, 0x0), // 0
    e("PKG_FMS", 0x0000000200000001, 8, 1, 0x0, 0x0),  // 1
    e("VENDOR_ID", 0x0800000200000000, 1, 1, 0xFFFFFFFF, 0x0), // 2
    e("BUILD_DATE", 0x8800000200000001, 1, 1, 0x0, 0x0), // 3
    e("BUILD_NUM", 0x8800000100000002, 1, 1, 0x0, 0x0), // 4
    e("MINOR_VERSION", 0x0800000100000003, 1, 1, 0xFFFF, 0x0), // 5
    e("MAJOR_VERSION", 0x0800000100000004, 1, 1, 0xFFFF, 0x0), // 6
    e("UPDATE_VERSION", 0x0800000100000005, 1, 1, 0x0, 0x0), // 7
    e("INTERNAL_VERSION", 0x0800000100000006, 1, 1, 0x0, 0x0), // 8
    e("MODULE_HV", 0x8900000100000000, 1, 1, 0x0, 0x0), // 9
    e("MIN_UPDATE_HV", 0x8900000100000001, 1, 1, 0x0, 0x0), // 10
    e("NO_DOWNGRADE", 0x8900000000000002, 1, 1, 0x0, 0x0), // 11
    e("NUM_HANDOFF_PAGES", 0x8900000100000003, 1, 1, 0x0, 0x0), // 12
    e("HANDOFF_DATA_VALID", 0x8900000000000004, 1, 1, 0x0, 0x0), // 13
    e("HANDOFF_DATA_HV", 0x8900000100000005, 1, 1, 0x0, 0x0), // 14
    e("HANDOFF_DATA_SIZE", 0x8900000200000006, 1, 1, 0x0, 0x0), // 15
    e("SYS_ATTRIBUTES", 0x0A00000200000000, 1, 1, 0xFFFFFFFF, 0x0), // 16
    e("NUM_TDX_FEATURES", 0x0A00000000000001, 1, 1, 0xFF, 0x0), // 17
    e(
        "TDX_FEATURES0",
        0x0A00000300000008,
        1,
        1,
        0xFFFFFFFFFFFFFFFF,
        0x0,
    ), // 18
    e("NUM_CMRS", 0x9000000100000000, 1, 1, 0x0, 0x0), // 19
    e("CMR_BASE", 0x9000000300000080, 32, 1, 0x0, 0x0), // 20
    e("CMR_SIZE", 0x9000000300000100, 32, 1, 0x0, 0x0), // 21
    e("MAX_TDMRS", 0x9100000100000008, 1, 1, 0x0, 0x0), // 22
    e("MAX_RESERVED_PER_TDMR", 0x9100000100000009, 1, 1, 0x0, 0x0), // 23
    e("PAMT_4K_ENTRY_SIZE", 0x9100000100000010, 1, 1, 0x0, 0x0), // 24
    e("PAMT_2M_ENTRY_SIZE", 0x9100000100000011, 1, 1, 0x0, 0x0), // 25
    e("PAMT_1G_ENTRY_SIZE", 0x9100000100000012, 1, 1, 0x0, 0x0), // 26
    e("TDR_BASE_SIZE", 0x9800000100000000, 1, 1, 0x0, 0x0), // 27
    e("TDCS_BASE_SIZE", 0x9800000100000100, 1, 1, 0x0, 0x0), // 28
    e("TDCS_SIZE_PER_L2_VM", 0x9800000100000101, 1, 1, 0x0, 0x0), // 29
    e("TDVPS_BASE_SIZE", 0x9800000100000200, 1, 1, 0x0, 0x0), // 30
    e("TDVPS_SIZE_PER_L2_VM", 0x9800000100000201, 1, 1, 0x0, 0x0), // 31
    e("ATTRIBUTES_FIXED0", 0x1900000300000000, 1, 1, 0x0, 0x0), // 32
    e("ATTRIBUTES_FIXED1", 0x1900000300000001, 1, 1, 0x0, 0x0), // 33
    e("XFAM_FIXED0", 0x1900000300000002, 1, 1, 0x0, 0x0), // 34
    e("XFAM_FIXED1", 0x1900000300000003, 1, 1, 0x0, 0x0), // 35
    e("NUM_CPUID_CONFIG", 0x9900000100000004, 1, 1, 0x0, 0x0), // 36
    e("CONFIG_FLAGS_FIXED0", 0x9900000300000006, 1, 1, 0x0, 0x0), // 37
    e("CONFIG_FLAGS_FIXED1", 0x9900000300000007, 1, 1, 0x0, 0x0), // 38
    e("MAX_VCPUS_PER_TD", 0x9900000100000008, 1, 1, 0x0, 0x0), // 39
    e("CPUID_CONFIG_LEAVES", 0x9900000300000400, 32, 1, 0x0, 0x0), // 40
    e("CPUID_CONFIG_VALUES", 0x9900000300000500, 32, 2, 0x0, 0x0), // 41
    e(
        "IA32_ARCH_CAPABILITIES_CONFIG_MASK",
        0x9900000300000600,
        1,
        1,
        0x0,
        0x0,
    ), // 42
    e("NUM_ALLOWED_FMS", 0x9900000100000800, 1, 1, 0x0, 0x0), // 43
    e("NUM_DISALLOWED_FMS", 0x9900000100000801, 1, 1, 0x0, 0x0), // 44
    e("ALLOWED_FMS", 0x9900000300000810, 64, 1, 0x0, 0x0), // 45
    e("DISALLOWED_FMS", 0x9900000300000850, 64, 1, 0x0, 0x0), // 46
    e(
        "MIG_ATTRIBUTES",
        0xA000000300000000,
        1,
        1,
        0xFFFFFFFFFFFFFFFF,
        0x0,
    ), // 47
    e("MIN_EXPORT_VERSION", 0x2000000100000001, 1, 1, 0xFFFF, 0x0), // 48
    e("MAX_EXPORT_VERSION", 0x2000000100000002, 1, 1, 0xFFFF, 0x0), // 49
    e("MIN_IMPORT_VERSION", 0x2000000100000003, 1, 1, 0xFFFF, 0x0), // 50
    e("MAX_IMPORT_VERSION", 0x2000000100000004, 1, 1, 0xFFFF, 0x0), // 51
    e("MAX_MIGS", 0xA000000100000010, 1, 1, 0x0, 0x0), // 52
    e(
        "NUM_IMMUTABLE_STATE_PAGES",
        0xA000000000000020,
        1,
        1,
        0x0,
        0x0,
    ), // 53
    e("NUM_TD_STATE_PAGES", 0xA000000000000021, 1, 1, 0x0, 0x0), // 54
    e("NUM_VP_STATE_PAGES", 0xA000000000000022, 1, 1, 0x0, 0x0), // 55
    e("MAX_SERV_TDS", 0xA100000100000000, 1, 1, 0x0, 0x0), // 56
    e("SERVTD_ATTR_FIXED0", 0xA100000300000001, 1, 1, 0x0, 0x0), // 57
    e("SERVTD_ATTR_FIXED1", 0xA100000300000002, 1, 1, 0x0, 0x0), // 58
    e(
        "GUEST_L2_GPA_ATTR_MASK",
        0xA200000100000000,
        1,
        1,
        0xFFFF,
        0x0,
    ), // 59
    e("VM_CTLS_FIXED0", 0xA200000300000001, 1, 1, 0x0, 0x0), // 60
    e("VM_CTLS_FIXED1", 0xA200000300000002, 1, 1, 0x0, 0x0), // 61
    e("VPCU_L2_CTLS_FIXED0", 0xA200000300000003, 1, 1, 0x0, 0x0), // 62
    e("VCPU_L2_CTLS_FIXED1", 0xA200000300000004, 1, 1, 0x0, 0x0), // 63
    e(
        "VPCU_L2_DEBUG_CTLS_FIXED0",
        0xA200000300000005,
        1,
        1,
        0x0,
        0x0,
    ), // 64
    e(
        "VCPU_L2_DEBUG_CTLS_FIXED1",
        0xA200000300000006,
        1,
        1,
        0x0,
        0x0,
    ), // 65
];

/// Number of [`VP_FIELDS`] entries present with NUM_L2_VMS = 0 (the last three,
/// `L2_MSR_BITMAPS_1..3`, exist only for existing L2 VMs).
pub const VP_FIELDS_BASE: usize = 14;

/// The modelled subset of the TDVPS metadata table, in the module's order (`tdvps_lookup[]`
/// index in the comments). Guest masks already narrowed to the element size.
pub static VP_FIELDS: &[MdEntry] = &[
    e("EXIT_REASON", 0x0220000200000000, 1, 1, 0x0, 0x0), // 1
    e("VCPU_STATE", 0xA020000000000000, 1, 1, 0x0, 0x0),  // 59
    e("VCPU_INDEX", 0xA020000200000002, 1, 1, 0xFFFFFFFF, 0x0), // 60
    e("CPUID_SUPERVISOR_VE", 0xA020000000000007, 1, 1, 0xFF, 0xFF), // 64
    e("CPUID_USER_VE", 0xA020000000000008, 1, 1, 0xFF, 0xFF), // 65
    e("XFAM", 0x202000030000000C, 1, 1, 0x0, 0x0),        // 68
    e("CURR_VM", 0xA020000100000041, 1, 1, 0x0, 0x0),     // 77
    e("L2_CTLS", 0xA020000300000050, 4, 1, u64::MAX, 0x3), // 82
    e("TSC_DEADLINE", 0xA020000300000058, 4, 1, u64::MAX, u64::MAX), // 84
    e(
        "L2_ENTER_GUEST_STATE_GPA",
        0xA020000300000100,
        4,
        1,
        0x0,
        0x0,
    ), // 102
    e("VE_INFO_GPA", 0xA020000300000108, 4, 1, 0x0, 0x0), // 104
    e("L2_VAPIC_GPA", 0xA020000300000110, 4, 1, 0x0, 0x0), // 106
    e("CPUID_CONTROL", 0xA120000000000000, 128, 1, 0xFF, 0x3), // 108
    e("LAST_EPF_GPA_LIST", 0xA220000300000200, 32, 1, 0x0, 0x0), // 109
    e(
        "L2_MSR_BITMAPS_1",
        0x2520000300000000,
        512,
        1,
        u64::MAX,
        u64::MAX,
    ), // 111
    e(
        "L2_MSR_BITMAPS_2",
        0x2D20000300000000,
        512,
        1,
        u64::MAX,
        u64::MAX,
    ), // 114
    e(
        "L2_MSR_BITMAPS_3",
        0x3520000300000000,
        512,
        1,
        u64::MAX,
        u64::MAX,
    ), // 117
];

/// The modelled subset of the L2 VMCS fields L1 reads and writes with TDG.VP.RD/WR
/// (`td_l2_vmcs_lookup[]`, class 0 in the table, `l1_vmm_rd_mask` / `l1_vmm_wr_mask`; the same
/// rows in `include/auto_gen/` e98d9639 and `include/auto_gen_2_0/` 1666adc4, no special write
/// handling): CR3-target count (VMCS encoding 0x400A), which VM entry checks against 4, and the
/// VM-instruction error (0x4400). A field ID names VM n by its class code
/// ([`l2_vmcs_vm`]). Other L2 VMCS fields answer `METADATA_FIELD_ID_INCORRECT` in the model.
pub static L2_VMCS_FIELDS: &[MdEntry] = &[
    e(
        "CR3_TARGET_COUNT",
        0x0024_0002_0000_400A,
        1,
        1,
        0xFFFF_FFFF,
        0xFFFF_FFFF,
    ),
    e(
        "VM_INSTRUCTION_ERROR",
        0x0024_0002_0000_4400,
        1,
        1,
        0xFFFF_FFFF,
        0x0,
    ),
];

/// The L2 VM (1–3) whose VMCS a VCPU-context class code names: 36 + 8 × (n − 1)
/// (`MD_TDVPS_VMCS_1/2/3_CLASS_CODE`, `md_vp_get_l2_vm_index()`), or `None`.
pub const fn l2_vmcs_vm(class_code: u8) -> Option<usize> {
    match class_code {
        0x24 => Some(1),
        0x2C => Some(2),
        0x34 => Some(3),
        _ => None,
    }
}

/// Every modelled L2 VMCS element ID of VMs 1..=`num_l2_vms` (VCPU context).
pub fn l2_vmcs_element_ids(num_l2_vms: u8) -> impl Iterator<Item = u64> {
    (1..=u64::from(num_l2_vms.min(3))).flat_map(|vm| {
        L2_VMCS_FIELDS
            .iter()
            .map(move |en| en.field_id | (0x24 + 8 * (vm - 1)) << 56)
    })
}

/// The global-scope table of module `version`, in the module's order: [`SYS_FIELDS`]
/// (1.5.05), [`crate::metadata_1_5_34::SYS_FIELDS`], [`crate::metadata_2_0_18::SYS_FIELDS`].
pub fn sys_fields(version: ModuleVersion) -> &'static [MdEntry] {
    match version {
        ModuleVersion::V1_5_05 => SYS_FIELDS,
        ModuleVersion::V1_5_34 => crate::metadata_1_5_34::SYS_FIELDS,
        ModuleVersion::V2_0_18 => crate::metadata_2_0_18::SYS_FIELDS,
    }
}

/// Service-TD (`MD_SERV_TD_RD` / `MD_SERV_TD_WR`) masks `(migtd_rd_mask, migtd_wr_mask)` of the
/// TD-scope entry `name` of module `version` ([`crate::metadata::td_fields`]), already narrowed
/// to the element size; `(0, 0)` when the service TD cannot access it.
pub fn servtd_masks(version: ModuleVersion, name: &str) -> (u64, u64) {
    let table = match version {
        ModuleVersion::V1_5_05 => SERVTD_MASKS,
        ModuleVersion::V1_5_34 => crate::metadata_1_5_34::SERVTD_MASKS,
        ModuleVersion::V2_0_18 => crate::metadata_2_0_18::SERVTD_MASKS,
    };
    table
        .iter()
        .find(|(n, _, _)| *n == name)
        .map_or((0, 0), |&(_, rd, wr)| (rd, wr))
}

/// 1.5.05's non-zero `(name, migtd_rd_mask, migtd_wr_mask)` rows of `tdr_tdcs_lookup[]`.
pub static SERVTD_MASKS: &[(&str, u64, u64)] = &[
    ("TD_UUID", u64::MAX, 0),
    ("NUM_L2_VMS", 0xFFFF, 0),
    ("ATTRIBUTES", u64::MAX, 0),
    ("XFAM", u64::MAX, 0),
    ("GPAW", 0xFF, 0),
    ("EPTP", 0xFFF0_0000_0000_0FFF, 0),
    ("CONFIG_FLAGS", u64::MAX, 0),
    ("TOPOLOGY_ENUM_CONFIGURED", 0xFF, 0),
    ("CPUID_VALUES", u64::MAX, 0),
    ("EXPORT_COUNT", 0xFFFF_FFFF, 0),
    ("IMPORT_COUNT", 0xFFFF_FFFF, 0),
    ("MIG_DEC_KEY", u64::MAX, u64::MAX),
    ("MIG_DEC_WORKING_KEY", u64::MAX, 0),
    ("MIG_ENC_KEY", u64::MAX, 0),
    ("MIG_ENC_WORKING_KEY", u64::MAX, 0),
    ("MIG_VERSION", 0xFFFF, 0xFFFF),
    ("MIG_WORKING_VERSION", 0xFFFF, 0),
    ("PRE_IMPORT_UUID", u64::MAX, 0),
    ("SERVTD_HASH", u64::MAX, 0),
    ("SERVTD_NUM", 0xFFFF, 0),
    ("X2APIC_IDS", 0xFFFF_FFFF, 0),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field_id::{FieldId, NULL};

    #[test]
    fn tables_shape() {
        assert_eq!(SYS_FIELDS.len(), 66);
        let readable: alloc::vec::Vec<&str> = SYS_FIELDS
            .iter()
            .filter(|e| e.guest_rd_mask != 0)
            .map(|e| e.name)
            .collect();
        assert_eq!(readable.len(), 12);
        assert_eq!(readable[0], "VENDOR_ID");
        assert_eq!(readable[11], "GUEST_L2_GPA_ATTR_MASK");
        for en in SYS_FIELDS {
            assert_eq!(
                FieldId(en.field_id).context_code(),
                CONTEXT_SYS,
                "{}",
                en.name
            );
            assert_eq!(en.guest_rd_mask & !en.element_mask(), 0, "{}", en.name);
        }
        for en in VP_FIELDS {
            assert_eq!(
                FieldId(en.field_id).context_code(),
                CONTEXT_VP,
                "{}",
                en.name
            );
            assert_eq!(en.guest_rd_mask & !en.element_mask(), 0, "{}", en.name);
            assert!(FieldId(en.field_id).is_valid_single_element());
        }
        assert_eq!(VP_FIELDS[VP_FIELDS_BASE].name, "L2_MSR_BITMAPS_1");
        assert_eq!(
            servtd_masks(ModuleVersion::V1_5_05, "MIG_VERSION"),
            (0xFFFF, 0xFFFF)
        );
        assert_eq!(servtd_masks(ModuleVersion::V1_5_05, "RTMR"), (0, 0));
    }

    #[test]
    fn sys_iteration() {
        let rd = |e: &MdEntry| e.guest_rd_mask;
        let first = next_element_in(SYS_FIELDS, FieldId(NULL), None, rd);
        assert_eq!(first, 0x0800_0002_0000_0000);
        let mut n = 0;
        let mut id = first;
        while id != NULL {
            n += 1;
            let f = FieldId(id);
            id = next_element_in(SYS_FIELDS, f, find_in(SYS_FIELDS, f), rd);
        }
        assert_eq!(n, 12);
        assert_eq!(find_in(SYS_FIELDS, FieldId(0x0800_0001_0000_0003)), Some(5));
        assert_eq!(find_in(SYS_FIELDS, FieldId(0x0800_0001_0000_0007)), None);
    }
}

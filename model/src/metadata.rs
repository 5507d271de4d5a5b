//! The TD-scope (TDR/TDCS) metadata table as the guest sees it through TDG.VM.RD / TDG.VM.WR.
//!
//! [`TD_FIELDS`] is a transcription of the TDX module 1.5.05 auto-generated table
//! `include/auto_gen/tdr_tdcs_fields_lookup.c` (`tdr_tdcs_lookup[]`, 85 entries;
//! `niooss-ledger/tdx-module` @ `f99767b4`), keeping for each entry its field ID, number of fields
//! and elements, and the *guest* read and write masks (`guest_rd_mask`, `guest_wr_mask`, already
//! narrowed to the element size as in the source). Host, debug and migration masks are not
//! modelled; the service-TD masks are in [`crate::metadata15::servtd_masks`]. The last three
//! entries (`L2_SEPT_ROOT_1..3`) exist only for the TD's L2 VMs: the module drops
//! `TDCS_PAGES_PER_L2_VM * (MAX_L2_VMS - NUM_L2_VMS)` entries from the end of the table
//! (`md_get_num_of_td_vp_ctx_unused_entries()`, `metadata_generic.c`; [`td_fields_for`]).
//! The tables of 1.5.34 and 2.0.18 are in [`crate::metadata_1_5_34`] and
//! [`crate::metadata_2_0_18`]; [`td_fields`] picks a version's.
//!
//! Lookup (`md_find_entry_idx()`): by class code and field code only — the element size, inc
//! size, write-mask-valid, context and non-arch bits of the input ID do not matter. Hence Linux's
//! `TDCS_CONFIG_FLAGS = 0x1110000300000016` and the table's `0x9110000300000016` name the same
//! field. CPUID_VALUES (class 0x14) is special in the module (leaf/subleaf encoded in the field
//! code, validated against the module's CPUID table); the model does not carry that table:
//! see [`crate::TdxModule`] for the simplification.
//!
//! Guest-accessible entries (rd ≠ 0 or wr ≠ 0) in 1.5.05: TD_UUID, NUM_VCPUS, NUM_L2_VMS,
//! ATTRIBUTES, XFAM, MAX_VCPUS, GPAW, TSC_FREQUENCY, NOTIFY_ENABLES (rd/wr mask 1), CONFIG_FLAGS,
//! TD_CTLS (wr mask 3: PENDING_VE_DISABLE, ENUM_TOPOLOGY), TOPOLOGY_ENUM_CONFIGURED, MRTD,
//! MRCONFIGID, MROWNER, MROWNERCONFIG, RTMR (4 fields × 6), PRE_IMPORT_UUID, SERVTD_HASH,
//! SERVTD_NUM, SERVTD_BINDINGS_TABLE. Only NOTIFY_ENABLES and TD_CTLS are guest-writable.

use crate::field_id::{FieldId, NULL};
use crate::ModuleVersion;

/// One entry of the TDR/TDCS metadata table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MdEntry {
    /// Field name (without the `TDCS_`/`TDR_` prefix), as in the module source.
    pub name: &'static str,
    /// The entry's canonical field ID (first element of the first field).
    pub field_id: u64,
    /// Number of fields (consecutive field codes, each `num_elem` elements).
    pub num_fields: u16,
    /// Number of elements per field.
    pub num_elem: u16,
    /// Bits the guest may read (0 = not guest-readable).
    pub guest_rd_mask: u64,
    /// Bits the guest may write (0 = not guest-writable).
    pub guest_wr_mask: u64,
}

impl MdEntry {
    /// Total number of elements (`num_fields * num_elem`); each has field code
    /// `field_code(field_id) + k`.
    pub const fn num_elements(&self) -> u32 {
        self.num_fields as u32 * self.num_elem as u32
    }
    /// The entry's class code.
    pub const fn class_code(&self) -> u8 {
        FieldId(self.field_id).class_code()
    }
    /// The entry's first field code.
    pub const fn field_code(&self) -> u32 {
        FieldId(self.field_id).field_code()
    }
    /// Element size code (0: 1 B … 3: 8 B).
    pub const fn element_size_code(&self) -> u8 {
        FieldId(self.field_id).element_size_code()
    }
    /// Mask of an element's bits (`md_get_element_size_mask`).
    pub const fn element_mask(&self) -> u64 {
        match self.element_size_code() {
            0 => 0xFF,
            1 => 0xFFFF,
            2 => 0xFFFF_FFFF,
            _ => u64::MAX,
        }
    }
    /// Canonical field ID of element `k` of the entry.
    pub const fn element_id(&self, k: u32) -> u64 {
        FieldId(self.field_id)
            .with_field_code(self.field_code() + k)
            .0
    }
}

/// A table row (the columns of the module's lookup tables).
pub(crate) const fn e(
    name: &'static str,
    field_id: u64,
    num_fields: u16,
    num_elem: u16,
    guest_rd_mask: u64,
    guest_wr_mask: u64,
) -> MdEntry {
    MdEntry {
        name,
        field_id,
        num_fields,
        num_elem,
        guest_rd_mask,
        guest_wr_mask,
    }
}

/// Class code of CPUID_VALUES (special field-code encoding).
pub const CPUID_CLASS_CODE: u8 = 0x14;

/// The TDR/TDCS metadata table of 1.5.05, in the module's order (`tdr_tdcs_lookup[]`).
pub static TD_FIELDS: &[MdEntry] = &[
    e("FATAL", 0x8010000000000001, 1, 1, 0x0, 0x0),    // 0
    e("NUM_TDCX", 0x8010000200000002, 1, 1, 0x0, 0x0), // 1
    e("CHLDCNT", 0x8010000300000004, 1, 1, 0x0, 0x0),  // 2
    e("LIFECYCLE_STATE", 0x8010000200000005, 1, 1, 0x0, 0x0), // 3
    e("TDCX_PA", 0x8010000300000010, 9, 1, 0x0, 0x0),  // 4
    e("TD_UUID", 0x8010000300000020, 1, 4, 0xFFFFFFFFFFFFFFFF, 0x0), // 5
    e("HKID", 0x8110000100000001, 1, 1, 0x0, 0x0),     // 6
    e("PKG_CONFIG_BITMAP", 0x8110000300000002, 1, 1, 0x0, 0x0), // 7
    e("HANDOFF_VERSION", 0x8210000100000000, 1, 1, 0x0, 0x0), // 8
    e("SEAMDB_INDEX", 0x8210000300000001, 1, 1, 0x0, 0x0), // 9
    e("SEAMDB_NONCE", 0x8210000300000002, 1, 4, 0x0, 0x0), // 10
    e("NUM_VCPUS", 0x9010000200000001, 1, 1, 0xFFFFFFFF, 0x0), // 11
    e("NUM_ASSOC_VCPUS", 0x9010000200000002, 1, 1, 0x0, 0x0), // 12
    e("OP_STATE", 0x9010000200000004, 1, 1, 0x0, 0x0), // 13
    e("NUM_L2_VMS", 0x9010000100000005, 1, 1, 0xFFFF, 0x0), // 14
    e(
        "ATTRIBUTES",
        0x1110000300000000,
        1,
        1,
        0xFFFFFFFFFFFFFFFF,
        0x0,
    ), // 15
    e("XFAM", 0x1110000300000001, 1, 1, 0xFFFFFFFFFFFFFFFF, 0x0), // 16
    e("MAX_VCPUS", 0x1110000200000002, 1, 1, 0xFFFFFFFF, 0x0), // 17
    e("GPAW", 0x1110000000000003, 1, 1, 0xFF, 0x0),    // 18
    e("EPTP", 0x1110000300000004, 1, 1, 0x0, 0x0),     // 19
    e("TSC_OFFSET", 0x111000030000000A, 1, 1, 0x0, 0x0), // 20
    e("TSC_MULTIPLIER", 0x111000030000000B, 1, 1, 0x0, 0x0), // 21
    e("TSC_FREQUENCY", 0x111000010000000C, 1, 1, 0xFFFF, 0x0), // 22
    e("VIRTUAL_TSC", 0x111000030000000D, 1, 1, 0x0, 0x0), // 23
    e("NUM_CPUID_VALUES", 0x911000010000000E, 1, 1, 0x0, 0x0), // 24
    e("XBUFF_SIZE", 0x911000020000000F, 1, 1, 0x0, 0x0), // 25
    e("NOTIFY_ENABLES", 0x9110000300000010, 1, 1, 0x1, 0x1), // 26
    e("HP_LOCK_TIMEOUT", 0x9110000300000011, 1, 1, 0x0, 0x0), // 27
    e("VM_CTLS", 0x9110000300000012, 4, 1, 0x0, 0x0),  // 28
    e(
        "CONFIG_FLAGS",
        0x9110000300000016,
        1,
        1,
        0xFFFFFFFFFFFFFFFF,
        0x0,
    ), // 29
    e("TD_CTLS", 0x9110000300000017, 1, 1, 0xFFFFFFFFFFFFFFFF, 0x3), // 30
    e(
        "TOPOLOGY_ENUM_CONFIGURED",
        0x9110000000000019,
        1,
        1,
        0xFF,
        0x0,
    ), // 31
    e("CPUID_VALID", 0x9110000000000080, 80, 1, 0x0, 0x0), // 32
    e("XBUFF_OFFSETS", 0x9110000200000800, 19, 1, 0x0, 0x0), // 33
    e("TD_EPOCH", 0x9210000300000000, 1, 1, 0x0, 0x0), // 34
    e("REFCOUNT", 0x9210000100000001, 2, 1, 0x0, 0x0), // 35
    e("MRTD", 0x1310000300000000, 1, 6, 0xFFFFFFFFFFFFFFFF, 0x0), // 36
    e(
        "MRCONFIGID",
        0x1310000300000010,
        1,
        6,
        0xFFFFFFFFFFFFFFFF,
        0x0,
    ), // 37
    e("MROWNER", 0x1310000300000018, 1, 6, 0xFFFFFFFFFFFFFFFF, 0x0), // 38
    e(
        "MROWNERCONFIG",
        0x1310000300000020,
        1,
        6,
        0xFFFFFFFFFFFFFFFF,
        0x0,
    ), // 39
    e("RTMR", 0x1310000300000040, 4, 6, 0xFFFFFFFFFFFFFFFF, 0x0), // 40
    e("CPUID_VALUES", 0x9410000300000000, 80, 2, 0x0, 0x0), // 41
    e(
        "VIRTUAL_IA32_ARCH_CAPABILITIES",
        0x961000030000010A,
        1,
        1,
        0x0,
        0x0,
    ), // 42
    e("VIRTUAL_IA32_VMX_BASIC", 0x9610000300000480, 1, 1, 0x0, 0x0), // 43
    e("VIRTUAL_IA32_VMX_MISC", 0x9610000300000485, 1, 1, 0x0, 0x0), // 44
    e(
        "VIRTUAL_IA32_VMX_CR0_FIXED0",
        0x9610000300000486,
        1,
        1,
        0x0,
        0x0,
    ), // 45
    e(
        "VIRTUAL_IA32_VMX_CR0_FIXED1",
        0x9610000300000487,
        1,
        1,
        0x0,
        0x0,
    ), // 46
    e(
        "VIRTUAL_IA32_VMX_CR4_FIXED0",
        0x9610000300000488,
        1,
        1,
        0x0,
        0x0,
    ), // 47
    e(
        "VIRTUAL_IA32_VMX_CR4_FIXED1",
        0x9610000300000489,
        1,
        1,
        0x0,
        0x0,
    ), // 48
    e(
        "VIRTUAL_IA32_VMX_PROCBASED_CTLS2",
        0x961000030000048B,
        1,
        1,
        0x0,
        0x0,
    ), // 49
    e(
        "VIRTUAL_IA32_VMX_EPT_VPID_CAP",
        0x961000030000048C,
        1,
        1,
        0x0,
        0x0,
    ), // 50
    e(
        "VIRTUAL_IA32_VMX_TRUE_PINBASED_CTLS",
        0x961000030000048D,
        1,
        1,
        0x0,
        0x0,
    ), // 51
    e(
        "VIRTUAL_IA32_VMX_TRUE_PROCBASED_CTLS",
        0x961000030000048E,
        1,
        1,
        0x0,
        0x0,
    ), // 52
    e(
        "VIRTUAL_IA32_VMX_TRUE_EXIT_CTLS",
        0x961000030000048F,
        1,
        1,
        0x0,
        0x0,
    ), // 53
    e(
        "VIRTUAL_IA32_VMX_TRUE_ENTRY_CTLS",
        0x9610000300000490,
        1,
        1,
        0x0,
        0x0,
    ), // 54
    e(
        "VIRTUAL_IA32_VMX_VMFUNC",
        0x9610000300000491,
        1,
        1,
        0x0,
        0x0,
    ), // 55
    e(
        "VIRTUAL_IA32_VMX_PROCBASED_CTLS3",
        0x9610000300000492,
        1,
        1,
        0x0,
        0x0,
    ), // 56
    e(
        "VIRTUAL_IA32_VMX_EXIT_CTLS2",
        0x9610000300000493,
        1,
        1,
        0x0,
        0x0,
    ), // 57
    e("MIG_DEC_KEY_SET", 0x9810000000000001, 1, 1, 0x0, 0x0), // 58
    e("EXPORT_COUNT", 0x9810000200000002, 1, 1, 0x0, 0x0), // 59
    e("IMPORT_COUNT", 0x9810000200000003, 1, 1, 0x0, 0x0), // 60
    e("MIG_EPOCH", 0x9810000200000004, 1, 1, 0x0, 0x0), // 61
    e("BW_EPOCH", 0x9810000300000005, 1, 1, 0x0, 0x0), // 62
    e("TOTAL_MB_COUNT", 0x9810000300000006, 1, 1, 0x0, 0x0), // 63
    e("MIG_DEC_KEY", 0x9810000300000010, 1, 4, 0x0, 0x0), // 64
    e("MIG_DEC_WORKING_KEY", 0x9810000300000014, 1, 4, 0x0, 0x0), // 65
    e("MIG_ENC_KEY", 0x9810000300000018, 1, 4, 0x0, 0x0), // 66
    e("MIG_ENC_WORKING_KEY", 0x981000030000001C, 1, 4, 0x0, 0x0), // 67
    e("MIG_VERSION", 0x9810000100000020, 1, 1, 0x0, 0x0), // 68
    e("MIG_WORKING_VERSION", 0x9810000100000021, 1, 1, 0x0, 0x0), // 69
    e("DIRTY_COUNT", 0x9810000300000030, 1, 1, 0x0, 0x0), // 70
    e("MIG_COUNT", 0x9810000300000031, 1, 1, 0x0, 0x0), // 71
    e("NUM_MIGS", 0x9810000100000032, 1, 1, 0x0, 0x0), // 72
    e("NUM_MIGRATED_VCPUS", 0x9810000200000034, 1, 1, 0x0, 0x0), // 73
    e(
        "PRE_IMPORT_UUID",
        0x9810000300000040,
        1,
        4,
        0xFFFFFFFFFFFFFFFF,
        0x0,
    ), // 74
    e(
        "SERVTD_HASH",
        0x9910000300000000,
        1,
        6,
        0xFFFFFFFFFFFFFFFF,
        0x0,
    ), // 75
    e("SERVTD_NUM", 0x9910000100000006, 1, 1, 0xFFFF, 0x0), // 76
    e(
        "SERVTD_BINDINGS_TABLE",
        0x9910000300000080,
        1,
        16,
        0xFFFFFFFFFFFFFFFF,
        0x0,
    ), // 77
    e("MIGSC_LINKS", 0x9A10000300000000, 512, 1, 0x0, 0x0), // 78
    e("X2APIC_IDS", 0x9C10000200000000, 576, 1, 0x0, 0x0), // 79
    e("MSR_BITMAPS", 0x2010000300000000, 512, 1, 0x0, 0x0), // 80
    e("SEPT_ROOT", 0x2110000300000000, 512, 1, 0x0, 0x0), // 81
    e("L2_SEPT_ROOT_1", 0x2510000300000000, 512, 1, 0x0, 0x0), // 82 (NUM_L2_VMS >= 1)
    e("L2_SEPT_ROOT_2", 0x2910000300000000, 512, 1, 0x0, 0x0), // 83 (NUM_L2_VMS >= 2)
    e("L2_SEPT_ROOT_3", 0x2D10000300000000, 512, 1, 0x0, 0x0), // 84 (NUM_L2_VMS >= 3)
];

/// The TD-scope table of module `version`, in the module's order: [`TD_FIELDS`] (1.5.05),
/// [`crate::metadata_1_5_34::TD_FIELDS`], [`crate::metadata_2_0_18::TD_FIELDS`]. Every version's
/// table ends with the three L2_SEPT_ROOT entries, which a TD sees only for its L2 VMs
/// ([`td_fields_for`]).
pub fn td_fields(version: ModuleVersion) -> &'static [MdEntry] {
    match version {
        ModuleVersion::V1_5_05 => TD_FIELDS,
        ModuleVersion::V1_5_34 => crate::metadata_1_5_34::TD_FIELDS,
        ModuleVersion::V2_0_18 => crate::metadata_2_0_18::TD_FIELDS,
    }
}

/// The TD-scope table a TD with `num_l2_vms` L2 VMs sees on module `version`: the module drops
/// `TDCS_PAGES_PER_L2_VM (1) × (MAX_L2_VMS (3) − NUM_L2_VMS)` entries from the end
/// (`md_get_num_of_td_vp_ctx_unused_entries()`, `metadata_generic.c`, every version).
pub fn td_fields_for(version: ModuleVersion, num_l2_vms: u8) -> &'static [MdEntry] {
    let table = td_fields(version);
    &table[..table.len() - 3 + usize::from(num_l2_vms.min(3))]
}

/// The entry named `name` in the TD-scope table of any modelled version (the oldest that has
/// it): for generators that name a field whatever the version.
pub fn td_entry_named(name: &str) -> Option<&'static MdEntry> {
    ModuleVersion::ALL
        .into_iter()
        .find_map(|v| td_fields(v).iter().find(|e| e.name == name))
}

/// Every element ID of the entries `keep` selects in `tables(v)` of every modelled version,
/// each once: the oldest version's in table order, then those a newer version adds. A
/// generator that picks from this list names the same field on every version, and a field one
/// version lacks is asked of all.
pub fn element_ids_any_version(
    tables: impl Fn(ModuleVersion) -> &'static [MdEntry],
    keep: impl Fn(ModuleVersion, &MdEntry) -> bool,
) -> alloc::vec::Vec<u64> {
    let mut ids = alloc::vec::Vec::new();
    for v in ModuleVersion::ALL {
        for en in tables(v).iter().filter(|en| keep(v, en)) {
            for k in 0..en.num_elements() {
                let id = en.element_id(k);
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
    }
    ids
}

/// Index in `table` (a TD-scope table, [`td_fields`]) of the entry holding `id`
/// (`md_find_entry_idx`): as [`find_in`], but for the CPUID class the field code is replaced
/// by its ELEMENT bit (bit 0) first, as the module does.
pub fn find_entry(table: &[MdEntry], id: FieldId) -> Option<usize> {
    let id = if id.class_code() == CPUID_CLASS_CODE {
        id.with_field_code(id.field_code() & 1)
    } else {
        id
    };
    find_in(table, id)
}

/// The next guest-readable element ID after `id` in `table` (a TD-scope table)
/// (`md_get_next_element_in_context(MD_CTX_TD, .., MD_GUEST_RD)`), as [`next_element_in`].
/// CPUID_VALUES is never guest-readable, so `idx` is a plain entry here.
pub fn next_readable_element(table: &[MdEntry], id: FieldId, idx: Option<usize>) -> u64 {
    next_element_in(table, id, idx, |en| en.guest_rd_mask)
}

/// Index in `table` of the entry holding `id`: class code equal and field code within
/// `[first, first + num_fields * num_elem)` (`md_find_entry_idx()`, without the TD context's CPUID special case, [`find_entry`]).
pub fn find_in(table: &[MdEntry], id: FieldId) -> Option<usize> {
    let class = id.class_code();
    let code = id.field_code();
    table.iter().position(|en| {
        en.class_code() == class
            && code >= en.field_code()
            && code - en.field_code() < en.num_elements()
    })
}

/// The next element ID after `id` (found at `idx`; `None` with the null ID = from the start)
/// whose `rd_mask(entry)` is non-zero (`md_get_next_element_in_context(.., MD_GUEST_RD)`):
/// within the same entry the input ID with its field code incremented; otherwise the canonical
/// ID of the next accessible entry; [`NULL`] at the end. Entries whose mask is zero are skipped
/// (also within: an entry is either wholly accessible or not).
pub fn next_element_in(
    table: &[MdEntry],
    id: FieldId,
    idx: Option<usize>,
    rd_mask: impl Fn(&MdEntry) -> u64,
) -> u64 {
    let start = match idx {
        None => 0,
        Some(i) => {
            let en = &table[i];
            let elem = id.field_code() - en.field_code();
            if elem + 1 < en.num_elements() {
                return id.with_field_code(id.field_code() + 1).0;
            }
            i + 1
        }
    };
    table[start..]
        .iter()
        .find(|en| rd_mask(en) != 0)
        .map_or(NULL, |en| en.field_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newer_tables_shape() {
        for (v, len, sys_len) in [
            (ModuleVersion::V1_5_34, 99, 73),
            (ModuleVersion::V2_0_18, 112, 75),
        ] {
            let t = td_fields(v);
            assert_eq!(t.len(), len, "{v}");
            let tail: alloc::vec::Vec<&str> = t[len - 3..].iter().map(|e| e.name).collect();
            assert_eq!(tail, ["L2_SEPT_ROOT_1", "L2_SEPT_ROOT_2", "L2_SEPT_ROOT_3"]);
            assert_eq!(t.iter().filter(|e| e.guest_rd_mask != 0).count(), 23, "{v}");
            let writable: alloc::vec::Vec<&str> = t
                .iter()
                .filter(|e| e.guest_wr_mask != 0)
                .map(|e| e.name)
                .collect();
            assert_eq!(
                writable,
                ["NOTIFY_ENABLES", "TD_CTLS", "FEATURE_PARAVIRT_CTLS"]
            );
            let ctls = t.iter().find(|e| e.name == "TD_CTLS").unwrap();
            assert_eq!(
                (ctls.guest_rd_mask, ctls.guest_wr_mask),
                (
                    crate::module::TD_CTLS_GUEST_MASK,
                    crate::module::TD_CTLS_GUEST_MASK
                )
            );
            assert!(t.iter().all(|e| e.name != "SEAMDB_NONCE"), "{v}");
            let sys = crate::metadata15::sys_fields(v);
            assert_eq!(sys.len(), sys_len, "{v}");
            for (table, context) in [(t, 1), (sys, 0)] {
                for en in table {
                    assert_eq!(en.guest_rd_mask & !en.element_mask(), 0, "{}", en.name);
                    assert_eq!(en.guest_wr_mask & !en.element_mask(), 0, "{}", en.name);
                    assert_eq!(FieldId(en.field_id).context_code(), context, "{}", en.name);
                    assert!(
                        FieldId(en.field_id).is_valid_single_element(),
                        "{}",
                        en.name
                    );
                }
            }
        }
    }

    #[test]
    fn table_shape() {
        assert_eq!(TD_FIELDS.len(), 85);
        assert_eq!(TD_FIELDS[5].name, "TD_UUID");
        assert_eq!(TD_FIELDS[81].name, "SEPT_ROOT");
        let readable: usize = TD_FIELDS.iter().filter(|e| e.guest_rd_mask != 0).count();
        assert_eq!(readable, 21);
        let writable: alloc::vec::Vec<&str> = TD_FIELDS
            .iter()
            .filter(|e| e.guest_wr_mask != 0)
            .map(|e| e.name)
            .collect();
        assert_eq!(writable, ["NOTIFY_ENABLES", "TD_CTLS"]);
        for en in TD_FIELDS {
            assert_eq!(en.guest_rd_mask & !en.element_mask(), 0, "{}", en.name);
            assert_eq!(FieldId(en.field_id).context_code(), 1, "{}", en.name);
            assert!(
                FieldId(en.field_id).is_valid_single_element(),
                "{}",
                en.name
            );
        }
    }

    #[test]
    fn lookup_ignores_non_key_bits() {
        // Linux IDs (tdx.h) vs the module's table IDs.
        assert_eq!(
            find_entry(TD_FIELDS, FieldId(0x1110_0003_0000_0016)),
            Some(29)
        );
        assert_eq!(
            find_entry(TD_FIELDS, FieldId(0x9110_0003_0000_0016)),
            Some(29)
        );
        assert_eq!(
            find_entry(TD_FIELDS, FieldId(0x9100_0000_0000_0010)),
            Some(26)
        );
        assert_eq!(
            find_entry(TD_FIELDS, FieldId(0x9100_0000_0000_0019)),
            Some(31)
        );
        assert_eq!(
            find_entry(TD_FIELDS, FieldId(0x1110_0003_0000_0017)),
            Some(30)
        );
        // RTMR: 4 fields x 6 elements, codes 0x40..=0x57.
        assert_eq!(
            find_entry(TD_FIELDS, FieldId(0x1310_0003_0000_0057)),
            Some(40)
        );
        assert_eq!(find_entry(TD_FIELDS, FieldId(0x1310_0003_0000_0058)), None);
        assert_eq!(find_entry(TD_FIELDS, FieldId(0x1310_0003_0000_0006)), None);
        // CPUID values: any field code of the class maps to the single entry.
        assert_eq!(
            find_entry(TD_FIELDS, FieldId(0x9410_0003_0012_3401)),
            Some(41)
        );
        // L2 SEPT roots are dropped with NUM_L2_VMS = 0.
        let seen = td_fields_for(ModuleVersion::V1_5_05, 0);
        assert_eq!(find_entry(seen, FieldId(0x2510_0003_0000_0000)), None);
        assert_eq!(
            find_entry(TD_FIELDS, FieldId(0x2510_0003_0000_0000)),
            Some(82)
        );
    }

    #[test]
    fn next_element_walk() {
        let first = next_readable_element(TD_FIELDS, FieldId(NULL), None);
        assert_eq!(first, 0x8010_0003_0000_0020); // TD_UUID[0]
        assert_eq!(
            next_readable_element(TD_FIELDS, FieldId(first), Some(5)),
            0x8010_0003_0000_0021
        );
        // Last TD_UUID element -> NUM_VCPUS (canonical ID).
        assert_eq!(
            next_readable_element(TD_FIELDS, FieldId(0x8010_0003_0000_0023), Some(5)),
            0x9010_0002_0000_0001
        );
        // Input bits are kept within an entry.
        assert_eq!(
            next_readable_element(TD_FIELDS, FieldId(0x0010_0000_0000_0040), Some(40)),
            0x0010_0000_0000_0041
        );
        // NUM_L2_VMS -> ATTRIBUTES; GPAW -> TSC_FREQUENCY (skips EPTP, TSC_OFFSET, ...).
        assert_eq!(
            next_readable_element(TD_FIELDS, FieldId(0x9010_0001_0000_0005), Some(14)),
            0x1110_0003_0000_0000
        );
        assert_eq!(
            next_readable_element(TD_FIELDS, FieldId(0x1110_0000_0000_0003), Some(18)),
            0x1110_0001_0000_000C
        );
        // Last element of the last readable entry -> NULL.
        assert_eq!(
            next_readable_element(TD_FIELDS, FieldId(0x9910_0003_0000_008F), Some(77)),
            NULL
        );
        // Walk everything: 4+1+1+1+1+1+1+1+1+1+1+1 + 6*4 + 24 + 4 + 6 + 1 + 16 elements.
        let mut n = 0;
        let mut id = next_readable_element(TD_FIELDS, FieldId(NULL), None);
        while id != NULL {
            n += 1;
            let f = FieldId(id);
            id = next_readable_element(TD_FIELDS, f, find_entry(TD_FIELDS, f));
        }
        assert_eq!(n, 4 + 11 + 24 + 24 + 4 + 6 + 1 + 16);
    }
}

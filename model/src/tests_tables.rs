//! The metadata tables by module version: each test asks what only one version's table
//! answers, so it fails against another version's (`model/VERSIONS.md`).

use crate::field_id::NULL;
use crate::leaf::*;
use crate::memory::NoMemory;
use crate::module::*;
use crate::regs::{Gpr, Regs};
use crate::status::*;
use crate::ModuleVersion::{self, V1_5_05, V1_5_34, V2_0_18};

fn module(v: ModuleVersion) -> TdxModule {
    TdxModule::new(TdConfig {
        module_version: v,
        ..TdConfig::default()
    })
}

fn call(m: &mut TdxModule, leaf: u16, version: u8, inputs: &[(Gpr, u64)]) -> Regs {
    let mut r = Regs::default();
    r[Gpr::Rax] = rax(leaf, version);
    for (g, v) in inputs {
        r[*g] = *v;
    }
    match m.tdcall(&r, &mut NoMemory) {
        Completion::Completed(out) => out,
        other => panic!("expected a completed call, got {other:?}"),
    }
}

/// TDG.VM.RD version 1: `(status, R8, RDX = next element)`.
fn vm_rd(m: &mut TdxModule, id: u64) -> (u64, u64, u64) {
    let o = call(m, TDG_VM_RD, 1, &[(Gpr::Rdx, id)]);
    (o[Gpr::Rax], o[Gpr::R8], o[Gpr::Rdx])
}

/// TDG.VM.WR: `(status, R8 = old value)`.
fn vm_wr(m: &mut TdxModule, id: u64, value: u64, mask: u64) -> (u64, u64) {
    let o = call(
        m,
        TDG_VM_WR,
        0,
        &[(Gpr::Rdx, id), (Gpr::R8, value), (Gpr::R9, mask)],
    );
    (o[Gpr::Rax], o[Gpr::R8])
}

/// TDG.SYS.RD: `(status, R8, RDX = next element)`.
fn sys_rd(m: &mut TdxModule, id: u64) -> (u64, u64, u64) {
    let o = call(m, TDG_SYS_RD, 0, &[(Gpr::Rdx, id)]);
    (o[Gpr::Rax], o[Gpr::R8], o[Gpr::Rdx])
}

const TOPOLOGY_ENUM_CONFIGURED: u64 = 0x9110_0000_0000_0019;
const VE_REDUCTION_VALID: u64 = 0x9110_0000_0000_001A;
const FEATURE_PARAVIRT_CTLS: u64 = 0x9110_0003_0000_0022;
const TD_CTLS: u64 = 0x9110_0003_0000_0017;
const VIRT_MAXPA: u64 = 0x9110_0000_0000_0018;
const SEAMDB_NONCE: u64 = 0x8210_0003_0000_0002;
const MRTD: u64 = 0x1310_0003_0000_0000;
const L2_SEPT_ROOT_1: u64 = 0x2510_0003_0000_0000;
const TDX_FEATURES0: u64 = 0x0A00_0003_0000_0008;
const GUEST_GPA_ATTR_MASK: u64 = 0x9A00_0003_0000_0000;
const MIG_ATTRIBUTES: u64 = 0xA000_0003_0000_0000;
const GUEST_L2_GPA_ATTR_MASK: u64 = 0xA200_0001_0000_0000;
const TDX_CONNECT_FEATURES: u64 = 0x3000_0003_0000_0000;

/// VE_REDUCTION_VALID and FEATURE_PARAVIRT_CTLS exist from 1.5.34 (`tdr_tdcs_fields_lookup.c`
/// of `auto_gen_1_5/` and `auto_gen_2_0/`) and join the guest's iteration after
/// TOPOLOGY_ENUM_CONFIGURED; 1.5.05 goes on to MRTD.
#[test]
fn td_fields_added_from_1_5_34() {
    for v in ModuleVersion::ALL {
        let mut m = module(v);
        let newer = v >= V1_5_34;
        let (st, _, next) = vm_rd(&mut m, TOPOLOGY_ENUM_CONFIGURED);
        assert_eq!(st, TDX_SUCCESS, "{v}");
        assert_eq!(next, if newer { VE_REDUCTION_VALID } else { MRTD }, "{v}");
        let got = vm_rd(&mut m, VE_REDUCTION_VALID);
        if newer {
            assert_eq!(got, (TDX_SUCCESS, 1, FEATURE_PARAVIRT_CTLS), "{v}");
            assert_eq!(vm_rd(&mut m, FEATURE_PARAVIRT_CTLS), (TDX_SUCCESS, 0, MRTD));
        } else {
            assert_eq!(got, (TDX_METADATA_FIELD_ID_INCORRECT, 0, NULL), "{v}");
        }
        // Removed (SEAMDB_NONCE) and added without a guest mask (VIRT_MAXPA).
        let (nonce, _, _) = vm_rd(&mut m, SEAMDB_NONCE);
        let (maxpa, _, _) = vm_rd(&mut m, VIRT_MAXPA);
        if newer {
            assert_eq!(nonce, TDX_METADATA_FIELD_ID_INCORRECT, "{v}");
            assert_eq!(maxpa, TDX_METADATA_FIELD_NOT_READABLE, "{v}");
        } else {
            assert_eq!(nonce, TDX_METADATA_FIELD_NOT_READABLE, "{v}");
            assert_eq!(maxpa, TDX_METADATA_FIELD_ID_INCORRECT, "{v}");
        }
    }
}

/// FEATURE_PARAVIRT_CTLS takes bits 11:0 (others must keep their value) until TD_CTLS.LOCK
/// freezes it; an unchanged write still succeeds (`md_td_write_element()`, `metadata_td.c`).
#[test]
fn feature_paravirt_ctls_frozen_by_lock() {
    for v in [V1_5_34, V2_0_18] {
        let mut m = module(v);
        assert_eq!(
            vm_wr(&mut m, FEATURE_PARAVIRT_CTLS, 0x5, 0xFFF),
            (TDX_SUCCESS, 0)
        );
        assert_eq!(
            vm_wr(&mut m, FEATURE_PARAVIRT_CTLS, 0x1005, u64::MAX),
            (TDX_METADATA_FIELD_VALUE_NOT_VALID, 0)
        );
        assert_eq!(
            vm_wr(&mut m, TD_CTLS, TD_CTLS_LOCK, TD_CTLS_LOCK).0,
            TDX_SUCCESS
        );
        assert_eq!(
            vm_wr(&mut m, FEATURE_PARAVIRT_CTLS, 0x5, 0xFFF),
            (TDX_SUCCESS, 0x5)
        );
        // Bits outside the write mask are checked before the lock: a changed bit 12 is refused
        // even where the masked bits keep their value.
        assert_eq!(
            vm_wr(&mut m, FEATURE_PARAVIRT_CTLS, 0x1005, u64::MAX),
            (TDX_METADATA_FIELD_VALUE_NOT_VALID, 0)
        );
        assert_eq!(
            vm_wr(&mut m, FEATURE_PARAVIRT_CTLS, 0x4, 0xFFF),
            (TDX_METADATA_FIELD_VALUE_NOT_VALID, 0)
        );
        assert_eq!(m.metadata(FEATURE_PARAVIRT_CTLS), Some(0x5), "{v}");
    }
    let mut m = module(V1_5_05);
    assert_eq!(
        vm_wr(&mut m, FEATURE_PARAVIRT_CTLS, 0x5, 0xFFF),
        (TDX_METADATA_FIELD_ID_INCORRECT, 0)
    );
}

/// The L2_SEPT_ROOT entries exist for the TD's L2 VMs only (`md_get_num_of_td_vp_ctx_unused_
/// entries()`), on every version; no guest mask.
#[test]
fn l2_sept_roots_follow_num_l2_vms() {
    for v in ModuleVersion::ALL {
        for (l2, want) in [
            (0, TDX_METADATA_FIELD_ID_INCORRECT),
            (1, TDX_METADATA_FIELD_NOT_READABLE),
        ] {
            let mut m = TdxModule::new(TdConfig {
                module_version: v,
                num_l2_vms: l2,
                ..TdConfig::default()
            });
            assert_eq!(vm_rd(&mut m, L2_SEPT_ROOT_1).0, want, "{v} {l2}");
            assert_eq!(
                vm_rd(&mut m, L2_SEPT_ROOT_1 + (2 << 58)).0,
                TDX_METADATA_FIELD_ID_INCORRECT,
                "{v}: L2_SEPT_ROOT_3 with one L2 VM"
            );
        }
    }
}

/// TDX_FEATURES0 by version (`get_tdx_features_enum0()`, `helpers.c`): 1.5.34 and 2.0.18 add
/// 19 feature bits and, with platform sealing, HW_SEALING (12) and SEALKEY_128 (56).
#[test]
fn tdx_features0_by_module_version() {
    for (v, sealing, want) in [
        (V1_5_05, true, 0x1F_0FBF),
        (V1_5_05, false, 0x1F_0FBF),
        (V1_5_34, false, 0x005A_D932_6F3F_0FBF),
        (V1_5_34, true, 0x015A_D932_6F3F_1FBF),
        (V2_0_18, true, 0x015A_D932_6F3F_1FBF),
    ] {
        let mut m = module(v);
        if !sealing {
            m.set_key_get_enables(false, false, false);
        }
        assert_eq!(
            sys_rd(&mut m, TDX_FEATURES0).1,
            want,
            "{v} sealing {sealing}"
        );
    }
}

/// 2.0.18 adds two guest-readable SYS fields (`global_sys_fields_lookup.c` of `auto_gen_2_0/`,
/// `md_sys_get_elements()`): GUEST_GPA_ATTR_MASK (0) after TDX_FEATURES0 and
/// TDX_CONNECT_FEATURES (0x1281) last; 1.5.x does not know them.
#[test]
fn sys_fields_added_in_2_0_18() {
    for v in ModuleVersion::ALL {
        let mut m = module(v);
        let newest = v == V2_0_18;
        let after_features = sys_rd(&mut m, TDX_FEATURES0).2;
        let after_l2_mask = sys_rd(&mut m, GUEST_L2_GPA_ATTR_MASK).2;
        if newest {
            assert_eq!(after_features, GUEST_GPA_ATTR_MASK);
            assert_eq!(after_l2_mask, TDX_CONNECT_FEATURES);
            assert_eq!(
                sys_rd(&mut m, GUEST_GPA_ATTR_MASK),
                (TDX_SUCCESS, 0, MIG_ATTRIBUTES)
            );
            assert_eq!(
                sys_rd(&mut m, TDX_CONNECT_FEATURES),
                (TDX_SUCCESS, 0x1281, NULL)
            );
        } else {
            assert_eq!(after_features, MIG_ATTRIBUTES, "{v}");
            assert_eq!(after_l2_mask, NULL, "{v}");
            for id in [GUEST_GPA_ATTR_MASK, TDX_CONNECT_FEATURES] {
                assert_eq!(sys_rd(&mut m, id).0, TDX_METADATA_FIELD_ID_INCORRECT, "{v}");
            }
        }
    }
}

/// Entries whose size or presence differs between 1.5.34 and 2.0.18 (TDCX_PA: 9 fields, 12 on
/// 2.0.18) and SYS entries 1.5.34 adds without a guest mask (MIN_VIRT_MAXPA).
#[test]
fn table_sizes_by_module_version() {
    const TDCX_PA_9: u64 = 0x8010_0003_0000_0019;
    const MIN_VIRT_MAXPA: u64 = 0x9900_0000_0000_0009;
    for (v, tdcx_9, min_virt_maxpa) in [
        (
            V1_5_05,
            TDX_METADATA_FIELD_ID_INCORRECT,
            TDX_METADATA_FIELD_ID_INCORRECT,
        ),
        (
            V1_5_34,
            TDX_METADATA_FIELD_ID_INCORRECT,
            TDX_METADATA_FIELD_NOT_READABLE,
        ),
        (
            V2_0_18,
            TDX_METADATA_FIELD_NOT_READABLE,
            TDX_METADATA_FIELD_NOT_READABLE,
        ),
    ] {
        let mut m = module(v);
        assert_eq!(vm_rd(&mut m, TDCX_PA_9).0, tdcx_9, "{v}");
        assert_eq!(sys_rd(&mut m, MIN_VIRT_MAXPA).0, min_virt_maxpa, "{v}");
    }
}

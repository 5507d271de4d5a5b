//! TDCALL completion status codes (guest RAX after the leaf) and their layout.
//!
//! Values from TDX module 1.5.05 `include/auto_gen/tdx_error_codes_defs.h`
//! (`niooss-ledger/tdx-module` @ `f99767b4`), layout from `include/tdx_api_defs.h`
//! (`api_error_code_t`). Operand IDs are *added* to the base code
//! (`api_error_with_operand_id(err, id) = err + id`).
//!
//! Bit 63 clear with a non-zero value is a warning / informational status (e.g.
//! [`TDX_PAGE_ALREADY_ACCEPTED`], [`TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT`]).

/// Operation completed successfully.
pub const TDX_SUCCESS: u64 = 0x0000_0000_0000_0000;
/// An operand is invalid; low 32 bits = operand ID (see [`operand`]).
pub const TDX_OPERAND_INVALID: u64 = 0xC000_0100_0000_0000;
/// An operand address is out of range.
pub const TDX_OPERAND_ADDR_RANGE_ERROR: u64 = 0xC000_0101_0000_0000;
/// An operand is busy (lock contention); low 32 bits = operand ID. Retryable.
pub const TDX_OPERAND_BUSY: u64 = 0x8000_0200_0000_0000;
/// Busy due to host priority; converted to [`TDX_OPERAND_BUSY`] before reaching the guest.
pub const TDX_OPERAND_BUSY_HOST_PRIORITY: u64 = 0x8000_0204_0000_0000;
/// TD-exit status when a host-priority lock stayed busy too long (seen by the VMM).
pub const TDX_HOST_PRIORITY_BUSY_TIMEOUT: u64 = 0x9000_0205_0000_0000;
/// TDG.VP.VEINFO.GET: no valid #VE information.
pub const TDX_NO_VALID_VE_INFO: u64 = 0xC000_0704_0000_0000;
/// TDX 1.0 TDG.VM.WR: field not writable (replaced by the metadata codes in 1.5).
pub const TDX_FIELD_NOT_WRITABLE: u64 = 0xC000_0720_0000_0000;
/// TDX 1.0 TDG.VM.RD: field not readable (replaced by the metadata codes in 1.5).
pub const TDX_FIELD_NOT_READABLE: u64 = 0xC000_0721_0000_0000;
/// Secure-EPT entry is free.
pub const TDX_EPT_ENTRY_FREE: u64 = 0xC000_0B01_0000_0000;
/// Page already accepted (warning, bit 63 clear); low 32 bits = SEPT level of the existing leaf.
pub const TDX_PAGE_ALREADY_ACCEPTED: u64 = 0x0000_0B0A_0000_0000;
/// Page size mismatch; low 32 bits = SEPT level.
pub const TDX_PAGE_SIZE_MISMATCH: u64 = 0xC000_0B0B_0000_0000;
/// Secure-EPT entry state incorrect.
pub const TDX_EPT_ENTRY_STATE_INCORRECT: u64 = 0xC000_0B0D_0000_0000;
/// L2 Secure-EPT walk failed (TD partitioning).
pub const TDX_L2_SEPT_WALK_FAILED: u64 = 0xC000_0B0F_0000_0000;
/// Page attributes invalid (TD partitioning).
pub const TDX_PAGE_ATTR_INVALID: u64 = 0xC000_0B11_0000_0000;
/// Metadata field ID is incorrect (reserved bits, last element/field non-zero, unknown field).
pub const TDX_METADATA_FIELD_ID_INCORRECT: u64 = 0xC000_0C00_0000_0000;
/// Metadata field is not writable.
pub const TDX_METADATA_FIELD_NOT_WRITABLE: u64 = 0xC000_0C01_0000_0000;
/// Metadata field is not readable.
pub const TDX_METADATA_FIELD_NOT_READABLE: u64 = 0xC000_0C02_0000_0000;
/// Metadata field value is not valid.
pub const TDX_METADATA_FIELD_VALUE_NOT_VALID: u64 = 0xC000_0C03_0000_0000;
/// Metadata list overflow (TDG.SYS.RDALL).
pub const TDX_METADATA_LIST_OVERFLOW: u64 = 0xC000_0C04_0000_0000;
/// Metadata element size incorrect.
pub const TDX_METADATA_ELEMENT_SIZE_INCORRECT: u64 = 0xC000_0C07_0000_0000;
/// Metadata last element incorrect.
pub const TDX_METADATA_LAST_ELEMENT_INCORRECT: u64 = 0xC000_0C08_0000_0000;
/// Metadata field currently not writable.
pub const TDX_METADATA_FIELD_CURRENTLY_NOT_WRITABLE: u64 = 0xC000_0C09_0000_0000;
/// Metadata write mask not valid.
pub const TDX_METADATA_WR_MASK_NOT_VALID: u64 = 0xC000_0C0A_0000_0000;
/// Informational (bit 63 clear): the first field ID in the context was returned.
pub const TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT: u64 = 0x0000_0C0B_0000_0000;
/// Informational: metadata field skipped (internal to the module's list reads).
pub const TDX_METADATA_FIELD_SKIP: u64 = 0x0000_0C0C_0000_0000;
/// Service TD already bound for this type.
pub const TDX_SERVTD_ALREADY_BOUND_FOR_TYPE: u64 = 0xC000_0D00_0000_0000;
/// Service TD type mismatch.
pub const TDX_SERVTD_TYPE_MISMATCH: u64 = 0xC000_0D01_0000_0000;
/// Service TD attributes mismatch.
pub const TDX_SERVTD_ATTR_MISMATCH: u64 = 0xC000_0D02_0000_0000;
/// Service TD info hash mismatch.
pub const TDX_SERVTD_INFO_HASH_MISMATCH: u64 = 0xC000_0D03_0000_0000;
/// Service TD UUID mismatch.
pub const TDX_SERVTD_UUID_MISMATCH: u64 = 0xC000_0D04_0000_0000;
/// Service TD not bound.
pub const TDX_SERVTD_NOT_BOUND: u64 = 0xC000_0D05_0000_0000;
/// Service TD bound.
pub const TDX_SERVTD_BOUND: u64 = 0xC000_0D06_0000_0000;
/// Target TD UUID mismatch.
pub const TDX_TARGET_UUID_MISMATCH: u64 = 0xC000_0D07_0000_0000;
/// Target TD UUID updated.
pub const TDX_TARGET_UUID_UPDATED: u64 = 0xC000_0D08_0000_0000;
/// The caller of TDG.SERVTD.RD/WR has service TDs of its own (2.0.18, `is_binding_allowed()`).
pub const TDX_SERVTD_NESTING_NOT_ALLOWED: u64 = 0xC000_0D0C_0000_0000;
/// The caller of TDG.SERVTD.RD/WR is migratable (2.0.18, `is_binding_allowed()`).
pub const TDX_SERVTD_CANNOT_BE_MIGRATABLE: u64 = 0xC000_0D0D_0000_0000;
/// TDG.MR.VERIFYREPORT: invalid CPUSVN.
pub const TDX_INVALID_CPUSVN: u64 = 0xC000_1000_0000_0000;
/// TDG.MR.VERIFYREPORT: invalid REPORTMACSTRUCT.
pub const TDX_INVALID_REPORTMACSTRUCT: u64 = 0xC000_1001_0000_0000;
/// TDG.MR.KEY.GET: the TD may not get keys (neither CONFIG_FLAGS.SEALING nor
/// TD_CTLS.ENABLE_HW_KEYS; `include/auto_gen_1_5/tdx_error_codes_defs.h` @ 9fd3c8b1).
pub const TDX_MR_KEY_GET_NOT_SUPPORTED: u64 = 0xC000_1004_0000_0000;
/// TDG.MR.KEY.GET: SEAMOPS(SEAMGETKEY) refused the requested CPUSVN or TEE_TCB_SVN.
pub const TDX_SVN_INVALID: u64 = 0xC000_1006_0000_0000;
/// TDG.VP.ENTER: L2 exit, host-routed asynchronous.
pub const TDX_L2_EXIT_HOST_ROUTED_ASYNC: u64 = 0x0000_1100_0000_0000;
/// TDG.VP.ENTER: L2 exit, host-routed TDVMCALL.
pub const TDX_L2_EXIT_HOST_ROUTED_TDVMCALL: u64 = 0x0000_1101_0000_0000;
/// TDG.VP.ENTER: L2 exit due to a pending interrupt.
pub const TDX_L2_EXIT_PENDING_INTERRUPT: u64 = 0x0000_1102_0000_0000;
/// TDG.VP.ENTER (1.5.34, 2.0.18): VMLAUNCH/VMRESUME of the L2 VM failed (`td_exit.c`,
/// `resume_l1_and_emulate_termination(L1_FAILED_TO_ENTER_L2)`); details 0x8000_FFFF.
pub const TDX_L2_VM_ENTRY_FAILED: u64 = 0x8000_1103_0000_0000;
/// TDG.VP.ENTER: an L1 interrupt is pending.
pub const TDX_PENDING_INTERRUPT: u64 = 0x0000_1120_0000_0000;
/// TD exit before L2 entry.
pub const TDX_TD_EXIT_BEFORE_L2_ENTRY: u64 = 0x0000_1140_0000_0000;
/// TD exit on L2 VM exit.
pub const TDX_TD_EXIT_ON_L2_VM_EXIT: u64 = 0x0000_1141_0000_0000;
/// TD exit on L2-to-L1 transition.
pub const TDX_TD_EXIT_ON_L2_TO_L1: u64 = 0x0000_1142_0000_0000;
/// TDG.VP.INVVPID / INVGLA: GLA not canonical.
pub const TDX_GLA_NOT_CANONICAL: u64 = 0xC000_1160_0000_0000;

/// Operand IDs (low 32 bits of a status), `include/auto_gen/tdx_error_codes_defs.h`.
pub mod operand {
    /// RAX.
    pub const RAX: u64 = 0;
    /// RCX.
    pub const RCX: u64 = 1;
    /// RDX.
    pub const RDX: u64 = 2;
    /// RBX.
    pub const RBX: u64 = 3;
    /// RBP (RSP, 4, is not an operand).
    pub const RBP: u64 = 5;
    /// RSI.
    pub const RSI: u64 = 6;
    /// RDI.
    pub const RDI: u64 = 7;
    /// R8.
    pub const R8: u64 = 8;
    /// R9.
    pub const R9: u64 = 9;
    /// R10.
    pub const R10: u64 = 10;
    /// R11.
    pub const R11: u64 = 11;
    /// R12.
    pub const R12: u64 = 12;
    /// R13.
    pub const R13: u64 = 13;
    /// R14.
    pub const R14: u64 = 14;
    /// R15.
    pub const R15: u64 = 15;
    /// TDR page.
    pub const TDR: u64 = 128;
    /// Secure-EPT tree.
    pub const SEPT_TREE: u64 = 146;
    /// Secure-EPT entry.
    pub const SEPT_ENTRY: u64 = 147;
    /// The RTMR lock (TDG.MR.RTMR.EXTEND, TDG.MR.REPORT).
    pub const RTMR: u64 = 0xA8;
    /// TD epoch.
    pub const TD_EPOCH: u64 = 169;
    /// L2 virtual-APIC page GPA.
    pub const L2_VAPIC_GPA: u64 = 0xAA;
    /// TD operation state.
    pub const OP_STATE: u64 = 172;
    /// Service-TD bindings.
    pub const SERVTD_BINDINGS: u64 = 0xAE;
    /// A metadata field (concurrent write).
    pub const METADATA_FIELD: u64 = 176;
    /// TDKEYREQUEST.KEYNAME (TDG.MR.KEY.GET).
    pub const KEYNAME: u64 = 100;
    /// TDKEYREQUEST.KEYSIZE_BITMAP (TDG.MR.KEY.GET).
    pub const KEYSIZE_BITMAP: u64 = 108;
}

/// A status split into its `api_error_code_t` fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decoded {
    /// The raw value.
    pub raw: u64,
    /// Bit 63: error.
    pub error: bool,
    /// Bit 62: non-recoverable.
    pub non_recoverable: bool,
    /// Bit 61: fatal.
    pub fatal: bool,
    /// Bit 60: host recoverability hint.
    pub host_recoverability_hint: bool,
    /// Bits 59:48: reserved.
    pub reserved: u16,
    /// Bits 47:40: class.
    pub class: u8,
    /// Bits 39:32: code within class.
    pub code: u8,
    /// Bits 31:0: operand ID or leaf-specific detail (e.g. SEPT level).
    pub details: u32,
}

/// Split a status into its fields.
pub const fn decode(raw: u64) -> Decoded {
    Decoded {
        raw,
        error: raw >> 63 & 1 != 0,
        non_recoverable: raw >> 62 & 1 != 0,
        fatal: raw >> 61 & 1 != 0,
        host_recoverability_hint: raw >> 60 & 1 != 0,
        reserved: (raw >> 48 & 0xFFF) as u16,
        class: (raw >> 40) as u8,
        code: (raw >> 32) as u8,
        details: raw as u32,
    }
}

/// `base + operand` (the module's `api_error_with_operand_id`).
pub const fn with_operand(base: u64, operand: u64) -> u64 {
    base + operand
}

/// Every named status code, for exhaustive tests and pretty-printing.
pub static KNOWN: &[(&str, u64)] = &[
    ("TDX_SUCCESS", TDX_SUCCESS),
    ("TDX_OPERAND_INVALID", TDX_OPERAND_INVALID),
    ("TDX_OPERAND_ADDR_RANGE_ERROR", TDX_OPERAND_ADDR_RANGE_ERROR),
    ("TDX_OPERAND_BUSY", TDX_OPERAND_BUSY),
    (
        "TDX_OPERAND_BUSY_HOST_PRIORITY",
        TDX_OPERAND_BUSY_HOST_PRIORITY,
    ),
    (
        "TDX_HOST_PRIORITY_BUSY_TIMEOUT",
        TDX_HOST_PRIORITY_BUSY_TIMEOUT,
    ),
    ("TDX_NO_VALID_VE_INFO", TDX_NO_VALID_VE_INFO),
    ("TDX_FIELD_NOT_WRITABLE", TDX_FIELD_NOT_WRITABLE),
    ("TDX_FIELD_NOT_READABLE", TDX_FIELD_NOT_READABLE),
    ("TDX_EPT_ENTRY_FREE", TDX_EPT_ENTRY_FREE),
    ("TDX_PAGE_ALREADY_ACCEPTED", TDX_PAGE_ALREADY_ACCEPTED),
    ("TDX_PAGE_SIZE_MISMATCH", TDX_PAGE_SIZE_MISMATCH),
    (
        "TDX_EPT_ENTRY_STATE_INCORRECT",
        TDX_EPT_ENTRY_STATE_INCORRECT,
    ),
    ("TDX_L2_SEPT_WALK_FAILED", TDX_L2_SEPT_WALK_FAILED),
    ("TDX_PAGE_ATTR_INVALID", TDX_PAGE_ATTR_INVALID),
    (
        "TDX_METADATA_FIELD_ID_INCORRECT",
        TDX_METADATA_FIELD_ID_INCORRECT,
    ),
    (
        "TDX_METADATA_FIELD_NOT_WRITABLE",
        TDX_METADATA_FIELD_NOT_WRITABLE,
    ),
    (
        "TDX_METADATA_FIELD_NOT_READABLE",
        TDX_METADATA_FIELD_NOT_READABLE,
    ),
    (
        "TDX_METADATA_FIELD_VALUE_NOT_VALID",
        TDX_METADATA_FIELD_VALUE_NOT_VALID,
    ),
    ("TDX_METADATA_LIST_OVERFLOW", TDX_METADATA_LIST_OVERFLOW),
    (
        "TDX_METADATA_ELEMENT_SIZE_INCORRECT",
        TDX_METADATA_ELEMENT_SIZE_INCORRECT,
    ),
    (
        "TDX_METADATA_LAST_ELEMENT_INCORRECT",
        TDX_METADATA_LAST_ELEMENT_INCORRECT,
    ),
    (
        "TDX_METADATA_FIELD_CURRENTLY_NOT_WRITABLE",
        TDX_METADATA_FIELD_CURRENTLY_NOT_WRITABLE,
    ),
    (
        "TDX_METADATA_WR_MASK_NOT_VALID",
        TDX_METADATA_WR_MASK_NOT_VALID,
    ),
    (
        "TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT",
        TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT,
    ),
    ("TDX_METADATA_FIELD_SKIP", TDX_METADATA_FIELD_SKIP),
    (
        "TDX_SERVTD_ALREADY_BOUND_FOR_TYPE",
        TDX_SERVTD_ALREADY_BOUND_FOR_TYPE,
    ),
    ("TDX_SERVTD_TYPE_MISMATCH", TDX_SERVTD_TYPE_MISMATCH),
    ("TDX_SERVTD_ATTR_MISMATCH", TDX_SERVTD_ATTR_MISMATCH),
    (
        "TDX_SERVTD_INFO_HASH_MISMATCH",
        TDX_SERVTD_INFO_HASH_MISMATCH,
    ),
    ("TDX_SERVTD_UUID_MISMATCH", TDX_SERVTD_UUID_MISMATCH),
    ("TDX_SERVTD_NOT_BOUND", TDX_SERVTD_NOT_BOUND),
    ("TDX_SERVTD_BOUND", TDX_SERVTD_BOUND),
    ("TDX_TARGET_UUID_MISMATCH", TDX_TARGET_UUID_MISMATCH),
    ("TDX_TARGET_UUID_UPDATED", TDX_TARGET_UUID_UPDATED),
    (
        "TDX_SERVTD_NESTING_NOT_ALLOWED",
        TDX_SERVTD_NESTING_NOT_ALLOWED,
    ),
    (
        "TDX_SERVTD_CANNOT_BE_MIGRATABLE",
        TDX_SERVTD_CANNOT_BE_MIGRATABLE,
    ),
    ("TDX_INVALID_CPUSVN", TDX_INVALID_CPUSVN),
    ("TDX_INVALID_REPORTMACSTRUCT", TDX_INVALID_REPORTMACSTRUCT),
    (
        "TDX_L2_EXIT_HOST_ROUTED_ASYNC",
        TDX_L2_EXIT_HOST_ROUTED_ASYNC,
    ),
    (
        "TDX_L2_EXIT_HOST_ROUTED_TDVMCALL",
        TDX_L2_EXIT_HOST_ROUTED_TDVMCALL,
    ),
    (
        "TDX_L2_EXIT_PENDING_INTERRUPT",
        TDX_L2_EXIT_PENDING_INTERRUPT,
    ),
    ("TDX_L2_VM_ENTRY_FAILED", TDX_L2_VM_ENTRY_FAILED),
    ("TDX_PENDING_INTERRUPT", TDX_PENDING_INTERRUPT),
    ("TDX_TD_EXIT_BEFORE_L2_ENTRY", TDX_TD_EXIT_BEFORE_L2_ENTRY),
    ("TDX_TD_EXIT_ON_L2_VM_EXIT", TDX_TD_EXIT_ON_L2_VM_EXIT),
    ("TDX_TD_EXIT_ON_L2_TO_L1", TDX_TD_EXIT_ON_L2_TO_L1),
    ("TDX_GLA_NOT_CANONICAL", TDX_GLA_NOT_CANONICAL),
    // Appended, so that the named-status indexes of committed corpora keep their meaning.
    ("TDX_MR_KEY_GET_NOT_SUPPORTED", TDX_MR_KEY_GET_NOT_SUPPORTED),
    ("TDX_SVN_INVALID", TDX_SVN_INVALID),
];

/// Spec name of `raw & 0xFFFF_FFFF_0000_0000` (operand/details ignored), or `None` if unknown.
pub fn name(raw: u64) -> Option<&'static str> {
    let base = raw & 0xFFFF_FFFF_0000_0000;
    KNOWN.iter().find(|(_, v)| *v == base).map(|(n, _)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_fields() {
        let d = decode(with_operand(TDX_OPERAND_INVALID, operand::RCX));
        assert_eq!(d.raw, 0xC000_0100_0000_0001);
        assert!(d.error && d.non_recoverable && !d.fatal && !d.host_recoverability_hint);
        assert_eq!((d.reserved, d.class, d.code, d.details), (0, 1, 0, 1));
        let d = decode(TDX_PAGE_ALREADY_ACCEPTED + 1);
        assert!(!d.error && !d.non_recoverable);
        assert_eq!((d.class, d.code, d.details), (0x0B, 0x0A, 1));
        let d = decode(TDX_HOST_PRIORITY_BUSY_TIMEOUT);
        assert!(d.error && !d.non_recoverable && d.host_recoverability_hint);
        let d = decode(0x0FFF_0000_0000_0000);
        assert_eq!(d.reserved, 0xFFF);
    }

    #[test]
    fn names_are_unique_and_resolve() {
        for (i, (n, v)) in KNOWN.iter().enumerate() {
            assert_eq!(v & 0xFFFF_FFFF, 0, "{n} has non-zero low half");
            assert_eq!(name(*v), Some(*n));
            assert_eq!(name(v + 0xA8), Some(*n));
            for (m, w) in &KNOWN[i + 1..] {
                assert_ne!(v, w, "{n} and {m} share a value");
                assert_ne!(n, m);
            }
        }
        assert_eq!(name(0xC000_0100_0000_0002), Some("TDX_OPERAND_INVALID"));
        assert_eq!(name(0xC000_0BFF_0000_0000), None);
        assert_eq!(KNOWN.len(), 50);
    }

    #[test]
    fn spec_values() {
        assert_eq!(
            with_operand(TDX_OPERAND_BUSY, operand::RTMR),
            0x8000_0200_0000_00A8
        );
        assert_eq!(TDX_PAGE_SIZE_MISMATCH + 1, 0xC000_0B0B_0000_0001);
        assert_eq!(TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT >> 63, 0);
    }
}

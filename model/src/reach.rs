//! What each leaf and TDVMCALL sub-function can answer, by the model's status names: the
//! statuses of each leaf function of [`crate::TdxModule`] (each written from the module source
//! its documentation cites) and the GHCI statuses a VMM may return. A harness checks that its
//! generators reach every one; [`NOT_REACHED`] lists those that cannot be reached on purpose,
//! with the reason.
//!
//! A label is a status name; an operand-class status carries its operand in parentheses
//! (`TDX_OPERAND_INVALID(RCX)`). Details other than an operand (a SEPT level, a slot) are not
//! part of the requirement. For a TDVMCALL the label is the GHCI name of R10, or `GHCI other`
//! for a value the GHCI does not define (the hostile VMM's).

/// Per leaf or sub-function (the contract's spec name), every label it can answer.
pub const STATUSES: &[(&str, &[&str])] = &[
    ("TDG.VP.INFO", &["TDX_SUCCESS"]),
    (
        "TDG.MR.RTMR.EXTEND",
        &[
            "TDX_SUCCESS",
            "TDX_OPERAND_INVALID(RCX)",
            "TDX_OPERAND_INVALID(RDX)",
            "TDX_OPERAND_BUSY(RTMR)",
        ],
    ),
    (
        "TDG.VP.VEINFO.GET",
        &[
            "TDX_SUCCESS",
            "TDX_NO_VALID_VE_INFO",
            "TDX_OPERAND_INVALID(RAX)",
        ],
    ),
    (
        "TDG.MR.REPORT",
        &[
            "TDX_SUCCESS",
            "TDX_OPERAND_INVALID(RCX)",
            "TDX_OPERAND_INVALID(RDX)",
            "TDX_OPERAND_INVALID(R8)",
            "TDX_OPERAND_BUSY(RTMR)",
        ],
    ),
    (
        "TDG.VP.CPUIDVE.SET",
        &["TDX_SUCCESS", "TDX_OPERAND_INVALID(RCX)"],
    ),
    (
        "TDG.MEM.PAGE.ACCEPT",
        &[
            "TDX_SUCCESS",
            "TDX_PAGE_ALREADY_ACCEPTED",
            "TDX_PAGE_SIZE_MISMATCH",
            "TDX_OPERAND_INVALID(RCX)",
            "TDX_OPERAND_BUSY(RCX)",
        ],
    ),
    (
        "TDG.VM.RD",
        &[
            "TDX_SUCCESS",
            "TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT",
            "TDX_METADATA_FIELD_ID_INCORRECT",
            "TDX_METADATA_FIELD_NOT_READABLE",
            "TDX_OPERAND_INVALID(RCX)",
            "TDX_OPERAND_INVALID(RAX)",
        ],
    ),
    (
        "TDG.VM.WR",
        &[
            "TDX_SUCCESS",
            "TDX_METADATA_FIELD_ID_INCORRECT",
            "TDX_METADATA_FIELD_NOT_WRITABLE",
            "TDX_METADATA_FIELD_VALUE_NOT_VALID",
            "TDX_OPERAND_INVALID(RCX)",
        ],
    ),
    (
        "TDG.VP.RD",
        &[
            "TDX_SUCCESS",
            "TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT",
            "TDX_METADATA_FIELD_ID_INCORRECT",
            "TDX_METADATA_FIELD_NOT_READABLE",
            "TDX_OPERAND_INVALID(RCX)",
        ],
    ),
    (
        "TDG.VP.WR",
        &[
            "TDX_SUCCESS",
            "TDX_METADATA_FIELD_ID_INCORRECT",
            "TDX_METADATA_FIELD_NOT_WRITABLE",
            "TDX_METADATA_FIELD_VALUE_NOT_VALID",
            "TDX_OPERAND_INVALID(RCX)",
        ],
    ),
    (
        "TDG.SYS.RD",
        &[
            "TDX_SUCCESS",
            "TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT",
            "TDX_METADATA_FIELD_ID_INCORRECT",
            "TDX_METADATA_FIELD_NOT_READABLE",
        ],
    ),
    (
        "TDG.SYS.RDALL",
        &[
            "TDX_SUCCESS",
            "TDX_METADATA_LIST_OVERFLOW",
            "TDX_METADATA_FIELD_ID_INCORRECT",
            "TDX_OPERAND_INVALID(RDX)",
        ],
    ),
    (
        "TDG.SERVTD.RD",
        &[
            "TDX_SUCCESS",
            "TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT",
            "TDX_METADATA_FIELD_ID_INCORRECT",
            "TDX_METADATA_FIELD_NOT_READABLE",
            "TDX_OPERAND_INVALID(RCX)",
            "TDX_OPERAND_INVALID(TDR)",
            "TDX_OPERAND_BUSY(SERVTD_BINDINGS)",
            "TDX_SERVTD_NOT_BOUND",
            "TDX_SERVTD_UUID_MISMATCH",
            "TDX_SERVTD_INFO_HASH_MISMATCH",
            "TDX_SERVTD_NESTING_NOT_ALLOWED",
            "TDX_SERVTD_CANNOT_BE_MIGRATABLE",
            "TDX_TARGET_UUID_MISMATCH",
            "TDX_TARGET_UUID_UPDATED",
        ],
    ),
    (
        "TDG.SERVTD.WR",
        &[
            "TDX_SUCCESS",
            "TDX_METADATA_FIELD_ID_INCORRECT",
            "TDX_METADATA_FIELD_NOT_WRITABLE",
            "TDX_METADATA_FIELD_VALUE_NOT_VALID",
            "TDX_OPERAND_INVALID(RCX)",
            "TDX_OPERAND_INVALID(TDR)",
            "TDX_OPERAND_BUSY(SERVTD_BINDINGS)",
            "TDX_SERVTD_NOT_BOUND",
            "TDX_SERVTD_UUID_MISMATCH",
            "TDX_SERVTD_INFO_HASH_MISMATCH",
            "TDX_SERVTD_NESTING_NOT_ALLOWED",
            "TDX_SERVTD_CANNOT_BE_MIGRATABLE",
            "TDX_TARGET_UUID_MISMATCH",
            "TDX_TARGET_UUID_UPDATED",
        ],
    ),
    (
        "TDG.MR.VERIFYREPORT",
        &[
            "TDX_SUCCESS",
            "TDX_INVALID_CPUSVN",
            "TDX_INVALID_REPORTMACSTRUCT",
            "TDX_OPERAND_INVALID(RCX)",
            "TDX_OPERAND_INVALID(RAX)",
        ],
    ),
    (
        "TDG.MEM.PAGE.ATTR.RD",
        &[
            "TDX_SUCCESS",
            "TDX_OPERAND_INVALID(RCX)",
            "TDX_OPERAND_BUSY(RCX)",
        ],
    ),
    (
        "TDG.MEM.PAGE.ATTR.WR",
        &[
            "TDX_SUCCESS",
            "TDX_PAGE_SIZE_MISMATCH",
            "TDX_PAGE_ATTR_INVALID",
            "TDX_L2_SEPT_WALK_FAILED",
            "TDX_OPERAND_INVALID(RCX)",
            "TDX_OPERAND_INVALID(RDX)",
            "TDX_OPERAND_INVALID(R8)",
            "TDX_OPERAND_BUSY(RCX)",
        ],
    ),
    (
        "TDG.VP.ENTER",
        &[
            "TDX_SUCCESS",
            "TDX_PENDING_INTERRUPT",
            "TDX_OPERAND_INVALID(RCX)",
            "TDX_OPERAND_INVALID(RDX)",
            "TDX_OPERAND_INVALID(L2_VAPIC_GPA)",
            "TDX_L2_VM_ENTRY_FAILED",
        ],
    ),
    (
        "TDG.VP.INVEPT",
        &["TDX_SUCCESS", "TDX_OPERAND_INVALID(RCX)"],
    ),
    (
        "TDG.VP.INVGLA",
        &[
            "TDX_SUCCESS",
            "TDX_GLA_NOT_CANONICAL",
            "TDX_OPERAND_INVALID(RCX)",
            "TDX_OPERAND_INVALID(RDX)",
        ],
    ),
    (
        "TDG.MR.KEY.GET",
        &[
            "TDX_SUCCESS",
            "TDX_OPERAND_INVALID(RAX)",
            "TDX_MR_KEY_GET_NOT_SUPPORTED",
            "TDX_OPERAND_INVALID(R8)",
            "TDX_OPERAND_INVALID(RCX)",
            "TDX_OPERAND_INVALID(RDX)",
            "TDX_OPERAND_INVALID(KEYNAME)",
            "TDX_OPERAND_INVALID(KEYSIZE_BITMAP)",
            "TDX_OPERAND_BUSY(RTMR)",
            "TDX_SVN_INVALID",
        ],
    ),
    ("GetTdVmCallInfo", GHCI),
    ("MapGPA", GHCI),
    ("GetQuote", GHCI),
    ("SetupEventNotifyInterrupt", GHCI),
    ("Service", GHCI),
    ("Instruction.CPUID", GHCI),
    ("Instruction.HLT", GHCI),
    ("Instruction.IO", GHCI),
    ("Instruction.RDMSR", GHCI),
    ("Instruction.WRMSR", GHCI),
    ("#VE.RequestMMIO", GHCI),
    ("Instruction.WBINVD", GHCI),
];

/// What any TDVMCALL may get back: a VMM may answer any GHCI status, or a value the GHCI does
/// not define (a hostile VMM).
const GHCI: &[&str] = &[
    "TDG.VP.VMCALL_SUCCESS",
    "TDG.VP.VMCALL_RETRY",
    "TDG.VP.VMCALL_INVALID_OPERAND",
    "TDG.VP.VMCALL_GPA_INUSE",
    "TDG.VP.VMCALL_ALIGN_ERROR",
    "TDG.VP.VMCALL_SUBFUNC_UNSUPPORTED",
    "GHCI other",
];

/// Labels of [`STATUSES`] that no call of the production wrappers can reach, and why.
pub const NOT_REACHED: &[(&str, &str, &str)] = &[
    (
        "TDG.MR.RTMR.EXTEND",
        "TDX_OPERAND_INVALID(RDX)",
        "an index above 3 is refused by the typed input (RtmrIndex); the refusal is compared with this status",
    ),
    (
        "TDG.VM.RD",
        "TDX_OPERAND_INVALID(RCX)",
        "the wrappers read the TD's own metadata: RCX (VM index) is always 0",
    ),
    (
        "TDG.VM.RD",
        "TDX_OPERAND_INVALID(RAX)",
        "no wrapper issues a leaf version above 1 (the model's default writes are checked by the model's tests)",
    ),
    (
        "TDG.VM.WR",
        "TDX_OPERAND_INVALID(RCX)",
        "the wrappers write the TD's own metadata: RCX (VM index) is always 0",
    ),
    (
        "TDG.VP.RD",
        "TDX_OPERAND_INVALID(RCX)",
        "the wrappers read the L1 VCPU's own metadata: the VM index is always 0",
    ),
    (
        "TDG.VP.WR",
        "TDX_OPERAND_INVALID(RCX)",
        "the wrappers write the L1 VCPU's own metadata: the VM index is always 0",
    ),
    (
        "TDG.SYS.RDALL",
        "TDX_METADATA_LIST_OVERFLOW",
        "the modelled system fields fit in one 4 KiB list on 1.5.x, and 2.0.18 says 'more' with TDX_SUCCESS",
    ),
    (
        "TDG.SERVTD.RD",
        "TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT",
        "tdcall has no first-field form of TDG.SERVTD.RD: a FieldId cannot be the null id",
    ),
    (
        "TDG.MR.VERIFYREPORT",
        "TDX_OPERAND_INVALID(RAX)",
        "the simulated CPU always has SEAMVERIFYREPORT (TdConfig::seamverifyreport_available)",
    ),
    (
        "TDG.MR.KEY.GET",
        "TDX_OPERAND_INVALID(R8)",
        "a requestor above 3 is refused by the typed input (KeyRequestor); the refusal is compared with this status",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_reached_are_listed_statuses() {
        for (leaf, label, _) in NOT_REACHED {
            let listed = STATUSES
                .iter()
                .find(|(l, _)| l == leaf)
                .is_some_and(|(_, ls)| ls.contains(label));
            assert!(listed, "{leaf}: {label} is not among its statuses");
        }
    }
}

//! The TDCALL completion status returned in RAX.
//!
//! Layout (`api_error_code_t`, TDX module 1.5 `include/tdx_api_defs.h`; TDX Module ABI
//! specification, "Completion Status Codes"):
//!
//! | bits  | field |
//! |-------|-------|
//! | 63    | error |
//! | 62    | non-recoverable |
//! | 61    | fatal |
//! | 60    | host recoverability hint |
//! | 59:48 | reserved |
//! | 47:40 | class |
//! | 39:32 | code within class |
//! | 31:0  | operand id or leaf-specific detail (e.g. SEPT level) |
//!
//! [`TdxStatus`] keeps all 64 bits; nothing is ever masked away. A status with bit 63 clear and
//! a non-zero value is a *warning* (for example [`StatusCode::PageAlreadyAccepted`]); the wrappers
//! never treat a warning as plain success or plain failure: each leaf's result type states which
//! warnings it understands, and any other non-zero status is returned whole as an error.

use core::fmt;

/// The raw 64-bit completion status of a TDCALL leaf, as the TDX module wrote it to RAX.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct TdxStatus(u64);

impl TdxStatus {
    /// `TDX_SUCCESS`.
    pub const SUCCESS: TdxStatus = TdxStatus(0);

    /// Wraps a raw RAX value.
    #[inline]
    pub const fn from_raw(raw: u64) -> TdxStatus {
        TdxStatus(raw)
    }

    /// The raw RAX value, all 64 bits.
    #[inline]
    pub const fn raw(self) -> u64 {
        self.0
    }

    /// `TDX_SUCCESS`: every bit zero.
    #[inline]
    pub const fn is_success(self) -> bool {
        self.0 == 0
    }

    /// Bit 63: the leaf failed.
    #[inline]
    pub const fn is_error(self) -> bool {
        self.0 & (1 << 63) != 0
    }

    /// Non-zero with bit 63 clear: the leaf completed with a warning or information.
    #[inline]
    pub const fn is_warning(self) -> bool {
        self.0 != 0 && !self.is_error()
    }

    /// Bit 62: retrying with the same inputs will not help.
    #[inline]
    pub const fn is_non_recoverable(self) -> bool {
        self.0 & (1 << 62) != 0
    }

    /// Bit 61: fatal.
    #[inline]
    pub const fn is_fatal(self) -> bool {
        self.0 & (1 << 61) != 0
    }

    /// Bit 60: host recoverability hint.
    #[inline]
    pub const fn host_recoverability_hint(self) -> bool {
        self.0 & (1 << 60) != 0
    }

    /// Bits 59:48, reserved (zero in every status the module defines; kept, never masked).
    #[inline]
    pub const fn reserved(self) -> u16 {
        ((self.0 >> 48) & 0xfff) as u16
    }

    /// Bits 47:40: status class.
    #[inline]
    pub const fn class(self) -> u8 {
        (self.0 >> 40) as u8
    }

    /// Bits 39:32: status code within its class.
    #[inline]
    pub const fn code(self) -> u8 {
        (self.0 >> 32) as u8
    }

    /// Bits 63:32, the part that names the status (what Linux compares).
    #[inline]
    pub const fn upper(self) -> u32 {
        (self.0 >> 32) as u32
    }

    /// Bits 31:0: operand id (for operand errors) or leaf-specific detail.
    #[inline]
    pub const fn details(self) -> u32 {
        self.0 as u32
    }

    /// The named status code, or `None` for a code this crate does not know (the raw value is
    /// still available through [`raw`](Self::raw)).
    #[inline]
    pub const fn kind(self) -> Option<StatusCode> {
        StatusCode::from_upper(self.upper())
    }

    /// The operand the status refers to, for operand-class statuses (`TDX_OPERAND_INVALID`,
    /// `TDX_OPERAND_BUSY`, ...): class 0x01 or 0x02.
    #[inline]
    pub const fn operand(self) -> Option<OperandId> {
        match self.class() {
            0x01 | 0x02 => Some(OperandId(self.details())),
            _ => None,
        }
    }

    /// True if this status is `code` (any details).
    #[inline]
    pub const fn is(self, code: StatusCode) -> bool {
        self.upper() == code as u32
    }
}

impl fmt::Debug for TdxStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind() {
            Some(k) => write!(f, "{:?}({:#018x}", k, self.0)?,
            None => write!(f, "UnknownStatus({:#018x}", self.0)?,
        }
        if let Some(op) = self.operand() {
            write!(f, ", operand {:?}", op)?;
        }
        f.write_str(")")
    }
}

impl fmt::Display for TdxStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind() {
            Some(k) => f.write_str(k.spec_name())?,
            None => f.write_str("unknown TDX status")?,
        }
        write!(f, " ({:#018x})", self.0)
    }
}

/// An operand id in the low 32 bits of an operand-class status. GPRs use their x86 register
/// number (RAX 0, RCX 1, RDX 2, RBX 3, RBP 5, RSI 6, RDI 7, R8–R15 8–15); fields of a memory
/// operand have ids from 64 up and other operands from 128 up (TDX module 1.5
/// `include/auto_gen/tdx_error_codes_defs.h`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct OperandId(pub u32);

impl OperandId {
    /// RAX (the leaf and version).
    pub const RAX: OperandId = OperandId(0);
    /// RCX.
    pub const RCX: OperandId = OperandId(1);
    /// RDX.
    pub const RDX: OperandId = OperandId(2);
    /// RBX.
    pub const RBX: OperandId = OperandId(3);
    /// RBP.
    pub const RBP: OperandId = OperandId(5);
    /// RSI.
    pub const RSI: OperandId = OperandId(6);
    /// RDI.
    pub const RDI: OperandId = OperandId(7);
    /// R8.
    pub const R8: OperandId = OperandId(8);
    /// R9.
    pub const R9: OperandId = OperandId(9);
    /// R10.
    pub const R10: OperandId = OperandId(10);
    /// R11.
    pub const R11: OperandId = OperandId(11);
    /// R12.
    pub const R12: OperandId = OperandId(12);
    /// R13.
    pub const R13: OperandId = OperandId(13);
    /// R14.
    pub const R14: OperandId = OperandId(14);
    /// R15.
    pub const R15: OperandId = OperandId(15);
    /// `OPERAND_ID_KEYNAME` (TDKEYREQUEST.KEYNAME, TDG.MR.KEY.GET).
    pub const KEYNAME: OperandId = OperandId(100);
    /// `OPERAND_ID_KEYSIZE_BITMAP` (TDKEYREQUEST.KEYSIZE_BITMAP, TDG.MR.KEY.GET).
    pub const KEYSIZE_BITMAP: OperandId = OperandId(108);
    /// `OPERAND_ID_TDR`.
    pub const TDR: OperandId = OperandId(0x80);
    /// `OPERAND_ID_SEPT_TREE`.
    pub const SEPT_TREE: OperandId = OperandId(0x92);
    /// `OPERAND_ID_SEPT_ENTRY`.
    pub const SEPT_ENTRY: OperandId = OperandId(0x93);
    /// `OPERAND_ID_RTMR` (the RTMR lock, for `TDX_OPERAND_BUSY`).
    pub const RTMR: OperandId = OperandId(0xA8);
    /// `OPERAND_ID_TD_EPOCH`.
    pub const TD_EPOCH: OperandId = OperandId(0xA9);
    /// `OPERAND_ID_L2_VAPIC_GPA`.
    pub const L2_VAPIC_GPA: OperandId = OperandId(0xAA);
    /// `OPERAND_ID_OP_STATE`.
    pub const OP_STATE: OperandId = OperandId(0xAC);
    /// `OPERAND_ID_SERVTD_BINDINGS`.
    pub const SERVTD_BINDINGS: OperandId = OperandId(0xAE);
    /// `OPERAND_ID_METADATA_FIELD`.
    pub const METADATA_FIELD: OperandId = OperandId(0xB0);

    /// The register name for GPR operands.
    #[inline]
    pub const fn register_name(self) -> Option<&'static str> {
        const NAMES: [&str; 16] = [
            "RAX", "RCX", "RDX", "RBX", "RSP", "RBP", "RSI", "RDI", "R8", "R9", "R10", "R11",
            "R12", "R13", "R14", "R15",
        ];
        if self.0 < 16 && self.0 != 4 {
            Some(NAMES[self.0 as usize])
        } else {
            None
        }
    }
}

impl fmt::Debug for OperandId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.register_name() {
            Some(n) => f.write_str(n),
            None => write!(f, "{:#x}", self.0),
        }
    }
}

macro_rules! status_codes {
    ($($(#[$doc:meta])* $name:ident = $value:literal, $spec:literal;)*) => {
        /// Every completion status a guest-side leaf can return, by its spec name. The value is
        /// bits 63:32 of the status (error, recoverability, class and code).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u32)]
        #[non_exhaustive]
        pub enum StatusCode {
            $($(#[$doc])* $name = $value,)*
        }

        impl StatusCode {
            /// Every named code.
            pub const ALL: &'static [StatusCode] = &[$(StatusCode::$name,)*];

            /// The code named by bits 63:32 of a status, if known.
            #[inline]
            pub const fn from_upper(upper: u32) -> Option<StatusCode> {
                match upper {
                    $($value => Some(StatusCode::$name),)*
                    _ => None,
                }
            }

            /// The name the TDX module specification uses, e.g. `TDX_OPERAND_INVALID`.
            #[inline]
            pub const fn spec_name(self) -> &'static str {
                match self {
                    $(StatusCode::$name => $spec,)*
                }
            }

            /// The status with this code and zero details.
            #[inline]
            pub const fn status(self) -> TdxStatus {
                TdxStatus((self as u32 as u64) << 32)
            }
        }
    };
}

status_codes! {
    /// The leaf completed.
    Success = 0x0000_0000, "TDX_SUCCESS";
    /// An operand (named in bits 31:0) is invalid.
    OperandInvalid = 0xC000_0100, "TDX_OPERAND_INVALID";
    /// An operand address is out of range.
    OperandAddrRangeError = 0xC000_0101, "TDX_OPERAND_ADDR_RANGE_ERROR";
    /// An operand (named in bits 31:0) is busy; retrying may succeed.
    OperandBusy = 0x8000_0200, "TDX_OPERAND_BUSY";
    /// Busy with host priority (converted to `TDX_OPERAND_BUSY` before a guest sees it).
    OperandBusyHostPriority = 0x8000_0204, "TDX_OPERAND_BUSY_HOST_PRIORITY";
    /// TD exit (seen by the VMM): a host-priority lock stayed busy past its timeout.
    HostPriorityBusyTimeout = 0x9000_0205, "TDX_HOST_PRIORITY_BUSY_TIMEOUT";
    /// The TD's vCPU has no valid #VE information.
    NoValidVeInfo = 0xC000_0704, "TDX_NO_VALID_VE_INFO";
    /// TDX module 1.0: the metadata field is not writable.
    FieldNotWritable = 0xC000_0720, "TDX_FIELD_NOT_WRITABLE";
    /// TDX module 1.0: the metadata field is not readable.
    FieldNotReadable = 0xC000_0721, "TDX_FIELD_NOT_READABLE";
    /// Secure EPT entry is free.
    EptEntryFree = 0xC000_0B01, "TDX_EPT_ENTRY_FREE";
    /// Warning: the page was already accepted; bits 31:0 hold the SEPT level of its mapping.
    PageAlreadyAccepted = 0x0000_0B0A, "TDX_PAGE_ALREADY_ACCEPTED";
    /// The requested page size does not match the mapping; bits 31:0 hold the SEPT level.
    PageSizeMismatch = 0xC000_0B0B, "TDX_PAGE_SIZE_MISMATCH";
    /// Secure EPT entry state is incorrect.
    EptEntryStateIncorrect = 0xC000_0B0D, "TDX_EPT_ENTRY_STATE_INCORRECT";
    /// The L2 Secure EPT walk failed.
    L2SeptWalkFailed = 0xC000_0B0F, "TDX_L2_SEPT_WALK_FAILED";
    /// Invalid page attributes.
    PageAttrInvalid = 0xC000_0B11, "TDX_PAGE_ATTR_INVALID";
    /// The metadata field id is incorrect.
    MetadataFieldIdIncorrect = 0xC000_0C00, "TDX_METADATA_FIELD_ID_INCORRECT";
    /// The metadata field is not writable.
    MetadataFieldNotWritable = 0xC000_0C01, "TDX_METADATA_FIELD_NOT_WRITABLE";
    /// The metadata field is not readable.
    MetadataFieldNotReadable = 0xC000_0C02, "TDX_METADATA_FIELD_NOT_READABLE";
    /// The metadata field value is not valid.
    MetadataFieldValueNotValid = 0xC000_0C03, "TDX_METADATA_FIELD_VALUE_NOT_VALID";
    /// The metadata list buffer is full; continue from the returned field id.
    MetadataListOverflow = 0xC000_0C04, "TDX_METADATA_LIST_OVERFLOW";
    /// The metadata element size is incorrect.
    MetadataElementSizeIncorrect = 0xC000_0C07, "TDX_METADATA_ELEMENT_SIZE_INCORRECT";
    /// The metadata last-element field is incorrect.
    MetadataLastElementIncorrect = 0xC000_0C08, "TDX_METADATA_LAST_ELEMENT_INCORRECT";
    /// The metadata field is currently not writable.
    MetadataFieldCurrentlyNotWritable = 0xC000_0C09, "TDX_METADATA_FIELD_CURRENTLY_NOT_WRITABLE";
    /// The write mask is not valid for the field.
    MetadataWrMaskNotValid = 0xC000_0C0A, "TDX_METADATA_WR_MASK_NOT_VALID";
    /// Information: the first field id in the context is returned.
    MetadataFirstFieldIdInContext = 0x0000_0C0B, "TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT";
    /// Information: a metadata field was skipped.
    MetadataFieldSkip = 0x0000_0C0C, "TDX_METADATA_FIELD_SKIP";
    /// A service TD is already bound for this type.
    ServtdAlreadyBoundForType = 0xC000_0D00, "TDX_SERVTD_ALREADY_BOUND_FOR_TYPE";
    /// Service TD type mismatch.
    ServtdTypeMismatch = 0xC000_0D01, "TDX_SERVTD_TYPE_MISMATCH";
    /// Service TD attributes mismatch.
    ServtdAttrMismatch = 0xC000_0D02, "TDX_SERVTD_ATTR_MISMATCH";
    /// Service TD info hash mismatch.
    ServtdInfoHashMismatch = 0xC000_0D03, "TDX_SERVTD_INFO_HASH_MISMATCH";
    /// Service TD UUID mismatch.
    ServtdUuidMismatch = 0xC000_0D04, "TDX_SERVTD_UUID_MISMATCH";
    /// Service TD not bound.
    ServtdNotBound = 0xC000_0D05, "TDX_SERVTD_NOT_BOUND";
    /// Service TD bound.
    ServtdBound = 0xC000_0D06, "TDX_SERVTD_BOUND";
    /// Target TD UUID mismatch.
    TargetUuidMismatch = 0xC000_0D07, "TDX_TARGET_UUID_MISMATCH";
    /// Target TD UUID updated.
    TargetUuidUpdated = 0xC000_0D08, "TDX_TARGET_UUID_UPDATED";
    /// TDG.SERVTD.RD/WR (2.0.18): the caller has service TDs of its own.
    ServtdNestingNotAllowed = 0xC000_0D0C, "TDX_SERVTD_NESTING_NOT_ALLOWED";
    /// TDG.SERVTD.RD/WR (2.0.18): the caller is migratable.
    ServtdCannotBeMigratable = 0xC000_0D0D, "TDX_SERVTD_CANNOT_BE_MIGRATABLE";
    /// Invalid CPUSVN in a REPORTMACSTRUCT.
    InvalidCpusvn = 0xC000_1000, "TDX_INVALID_CPUSVN";
    /// Invalid REPORTMACSTRUCT.
    InvalidReportmacstruct = 0xC000_1001, "TDX_INVALID_REPORTMACSTRUCT";
    /// TDG.MR.KEY.GET is not enabled for this TD.
    MrKeyGetNotSupported = 0xC000_1004, "TDX_MR_KEY_GET_NOT_SUPPORTED";
    /// TDG.MR.KEY.GET: the requested CPUSVN or TEE_TCB_SVN is not valid on this platform.
    SvnInvalid = 0xC000_1006, "TDX_SVN_INVALID";
    /// L2 exit: host-routed asynchronous event.
    L2ExitHostRoutedAsync = 0x0000_1100, "TDX_L2_EXIT_HOST_ROUTED_ASYNC";
    /// L2 exit: host-routed TDVMCALL.
    L2ExitHostRoutedTdvmcall = 0x0000_1101, "TDX_L2_EXIT_HOST_ROUTED_TDVMCALL";
    /// L2 exit: pending interrupt.
    L2ExitPendingInterrupt = 0x0000_1102, "TDX_L2_EXIT_PENDING_INTERRUPT";
    /// TDG.VP.ENTER (1.5.34, 2.0.18): VMLAUNCH/VMRESUME of the L2 VM failed; the L2 VM did not run.
    L2VmEntryFailed = 0x8000_1103, "TDX_L2_VM_ENTRY_FAILED";
    /// TDG.VP.ENTER not done: an L1 interrupt is pending.
    PendingInterrupt = 0x0000_1120, "TDX_PENDING_INTERRUPT";
    /// TD exit before L2 entry.
    TdExitBeforeL2Entry = 0x0000_1140, "TDX_TD_EXIT_BEFORE_L2_ENTRY";
    /// TD exit on an L2 VM exit.
    TdExitOnL2VmExit = 0x0000_1141, "TDX_TD_EXIT_ON_L2_VM_EXIT";
    /// TD exit on an L2-to-L1 transition.
    TdExitOnL2ToL1 = 0x0000_1142, "TDX_TD_EXIT_ON_L2_TO_L1";
    /// A guest linear address is not canonical.
    GlaNotCanonical = 0xC000_1160, "TDX_GLA_NOT_CANONICAL";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_round_trip_every_bit() {
        let s = TdxStatus::from_raw(0xC000_0B0B_0000_0001);
        assert!(s.is_error() && s.is_non_recoverable() && !s.is_fatal());
        assert_eq!(s.class(), 0x0B);
        assert_eq!(s.code(), 0x0B);
        assert_eq!(s.details(), 1);
        assert_eq!(s.kind(), Some(StatusCode::PageSizeMismatch));
        assert_eq!(s.raw(), 0xC000_0B0B_0000_0001);
    }

    #[test]
    fn warnings_are_neither_success_nor_error() {
        let s = StatusCode::PageAlreadyAccepted.status();
        assert!(s.is_warning() && !s.is_error() && !s.is_success());
    }

    #[test]
    fn unknown_codes_keep_all_bits() {
        let s = TdxStatus::from_raw(0xDEAD_BEEF_1234_5678);
        assert_eq!(s.kind(), None);
        assert_eq!(s.raw(), 0xDEAD_BEEF_1234_5678);
        assert_eq!(s.reserved(), 0xEAD);
    }

    #[test]
    fn operand_only_for_operand_classes() {
        let s = TdxStatus::from_raw(0xC000_0100_0000_0002);
        assert_eq!(s.operand(), Some(OperandId::RDX));
        assert_eq!(StatusCode::PageSizeMismatch.status().operand(), None);
    }

    #[test]
    fn register_names_are_the_x86_gpr_numbers() {
        // x86 GPR numbering: RAX 0, RCX 1, RDX 2, RBX 3, (RSP 4: never a TDCALL operand),
        // RBP 5, RSI 6, RDI 7, R8–R15 8–15.
        let expected = [
            Some("RAX"),
            Some("RCX"),
            Some("RDX"),
            Some("RBX"),
            None,
            Some("RBP"),
            Some("RSI"),
            Some("RDI"),
            Some("R8"),
            Some("R9"),
            Some("R10"),
            Some("R11"),
            Some("R12"),
            Some("R13"),
            Some("R14"),
            Some("R15"),
        ];
        for (id, name) in expected.iter().enumerate() {
            assert_eq!(OperandId(id as u32).register_name(), *name, "operand {id}");
        }
        assert_eq!(OperandId::RCX.register_name(), Some("RCX"));
        assert_eq!(OperandId::R15.register_name(), Some("R15"));
        // Not GPRs: 16 and up, the non-register operand ids from 0x80.
        for id in [
            16,
            17,
            31,
            0x80,
            OperandId::SEPT_ENTRY.0,
            OperandId::METADATA_FIELD.0,
            u32::MAX,
        ] {
            assert_eq!(OperandId(id).register_name(), None, "operand {id:#x}");
        }
    }

    #[test]
    fn operand_and_status_formatting() {
        extern crate std;
        use std::format;
        assert_eq!(format!("{:?}", OperandId::RCX), "RCX");
        assert_eq!(format!("{:?}", OperandId(4)), "0x4");
        assert_eq!(format!("{:?}", OperandId::TDR), "0x80");
        assert_eq!(format!("{:?}", OperandId(16)), "0x10");
        let s = TdxStatus::from_raw(0xC000_0100_0000_0001);
        assert_eq!(
            format!("{s:?}"),
            "OperandInvalid(0xc000010000000001, operand RCX)"
        );
        assert_eq!(format!("{s}"), "TDX_OPERAND_INVALID (0xc000010000000001)");
        let s = TdxStatus::from_raw(0xC000_0B0B_0000_0001);
        assert_eq!(format!("{s:?}"), "PageSizeMismatch(0xc0000b0b00000001)");
        let s = TdxStatus::from_raw(0xDEAD_BEEF_1234_5678);
        assert_eq!(format!("{s:?}"), "UnknownStatus(0xdeadbeef12345678)");
        assert_eq!(format!("{s}"), "unknown TDX status (0xdeadbeef12345678)");
    }

    #[test]
    fn every_field_of_the_layout() {
        // Bits 63, 62, 61, 60 one at a time.
        let flags = |raw: u64| {
            let s = TdxStatus::from_raw(raw);
            [
                s.is_error(),
                s.is_non_recoverable(),
                s.is_fatal(),
                s.host_recoverability_hint(),
            ]
        };
        assert_eq!(flags(1 << 63), [true, false, false, false]);
        assert_eq!(flags(1 << 62), [false, true, false, false]);
        assert_eq!(flags(1 << 61), [false, false, true, false]);
        assert_eq!(flags(1 << 60), [false, false, false, true]);
        assert_eq!(flags(!(0xf << 60)), [false; 4]);
        assert_eq!(flags(u64::MAX), [true; 4]);
        // Reserved 59:48, class 47:40, code 39:32, upper 63:32, details 31:0.
        let s = TdxStatus::from_raw(0x1234_5678_9abc_def0);
        assert_eq!(s.reserved(), 0x234);
        assert_eq!(s.class(), 0x56);
        assert_eq!(s.code(), 0x78);
        assert_eq!(s.upper(), 0x1234_5678);
        assert_eq!(s.details(), 0x9abc_def0);
        let s = TdxStatus::from_raw(0xfedc_ba98_7654_3210);
        assert_eq!(s.reserved(), 0xedc);
        assert_eq!(s.class(), 0xba);
        assert_eq!(s.code(), 0x98);
        assert_eq!(s.upper(), 0xfedc_ba98);
        assert_eq!(s.details(), 0x7654_3210);
        assert_eq!(TdxStatus::from_raw(0x0ff0_0000_0000_0000).reserved(), 0xff0);
        assert_eq!(TdxStatus::from_raw(0x0000_ffff_ffff_ffff).reserved(), 0);
        assert_eq!(TdxStatus::from_raw(0xffff_0000_0000_0000).reserved(), 0xfff);
    }

    #[test]
    fn success_warning_error() {
        let s = TdxStatus::SUCCESS;
        assert!(s.is_success() && !s.is_warning() && !s.is_error());
        assert_eq!(s.raw(), 0);
        for raw in [1, 1 << 32, 0x0000_0B0A_0000_0001, 0x7fff_ffff_ffff_ffff] {
            let s = TdxStatus::from_raw(raw);
            assert!(
                !s.is_success() && s.is_warning() && !s.is_error(),
                "{raw:#x}"
            );
        }
        for raw in [1 << 63, 0xC000_0100_0000_0001, u64::MAX] {
            let s = TdxStatus::from_raw(raw);
            assert!(
                !s.is_success() && !s.is_warning() && s.is_error(),
                "{raw:#x}"
            );
        }
    }

    #[test]
    fn status_codes_are_their_upper_half() {
        for &c in StatusCode::ALL {
            let s = c.status();
            assert_eq!(s.raw(), (c as u32 as u64) << 32, "{c:?}");
            assert_eq!(s.details(), 0);
            assert_eq!(StatusCode::from_upper(c as u32), Some(c));
            assert_eq!(s.kind(), Some(c));
            assert!(s.is(c));
            // Any details: still the same code.
            assert!(TdxStatus::from_raw(s.raw() | 0xffff_ffff).is(c));
            assert_eq!(TdxStatus::from_raw(s.raw() | 0x1234).kind(), Some(c));
            assert!(c.spec_name().starts_with("TDX_"), "{c:?}");
        }
        assert_eq!(StatusCode::ALL.len(), 50);
        assert_eq!(
            StatusCode::OperandBusy.status().raw(),
            0x8000_0200_0000_0000
        );
        assert_eq!(
            StatusCode::PageAlreadyAccepted.status().raw(),
            0x0000_0B0A_0000_0000
        );
        assert_eq!(
            StatusCode::OperandInvalid.spec_name(),
            "TDX_OPERAND_INVALID"
        );
        assert_eq!(StatusCode::Success.spec_name(), "TDX_SUCCESS");
        assert_eq!(
            StatusCode::GlaNotCanonical.spec_name(),
            "TDX_GLA_NOT_CANONICAL"
        );
        assert_eq!(
            StatusCode::MetadataFieldCurrentlyNotWritable.spec_name(),
            "TDX_METADATA_FIELD_CURRENTLY_NOT_WRITABLE"
        );
        assert_eq!(StatusCode::from_upper(0xC000_0102), None);
        assert_eq!(StatusCode::from_upper(0x4000_0100), None);
        assert!(!StatusCode::OperandInvalid
            .status()
            .is(StatusCode::OperandBusy));
        assert!(!TdxStatus::from_raw(0x4000_0100_0000_0001).is(StatusCode::OperandInvalid));
    }

    #[test]
    fn operand_for_classes_1_and_2_only() {
        // Class 0x01 (OPERAND_INVALID) and 0x02 (OPERAND_BUSY): details are the operand id.
        assert_eq!(
            TdxStatus::from_raw(0xC000_0100_0000_0001).operand(),
            Some(OperandId::RCX)
        );
        assert_eq!(
            TdxStatus::from_raw(0x8000_0200_0000_00A8).operand(),
            Some(OperandId::RTMR)
        );
        assert_eq!(
            TdxStatus::from_raw(0x0000_02ff_1234_5678).operand(),
            Some(OperandId(0x1234_5678))
        );
        for raw in [
            0u64,
            0x0000_0000_0000_0001,
            0xC000_0300_0000_0001,
            0xC000_0B0B_0000_0001,
            0xC000_1100_0000_0001,
            0xC000_8100_0000_0001,
        ] {
            assert_eq!(TdxStatus::from_raw(raw).operand(), None, "{raw:#x}");
        }
    }
}

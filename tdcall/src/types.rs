//! Typed inputs (checked constructors) and typed outputs of the guest-side leaves.
//!
//! These types compile on every target; only the code that executes TDCALL is x86_64-only.

use core::fmt;

/// Why a typed input was rejected before any TDCALL was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InputError {
    /// A guest physical address has bits set above bit 51 (`value` is the rejected address).
    GpaTooWide {
        /// The rejected address.
        value: u64,
    },
    /// An address is not aligned as the leaf requires.
    Misaligned {
        /// The rejected address.
        value: u64,
        /// The alignment the leaf requires, in bytes.
        required: u64,
    },
    /// An RTMR index outside 0..=3.
    RtmrIndexOutOfRange {
        /// The rejected index.
        value: u64,
    },
    /// A page-level encoding outside 0..=2.
    PageLevelOutOfRange {
        /// The rejected level.
        value: u64,
    },
    /// A metadata field id with reserved bits set, or naming a sequence rather than one field.
    FieldIdInvalid {
        /// The rejected field id.
        value: u64,
    },
    /// A GPA width other than 48 or 52.
    GpaWidthInvalid {
        /// The rejected width.
        value: u8,
    },
    /// A GPA that must be shared lacks the TD's shared bit (or lies beyond the GPA width).
    NotShared {
        /// The rejected address.
        value: u64,
    },
    /// An interrupt vector below 32.
    VectorOutOfRange {
        /// The rejected vector.
        value: u8,
    },
    /// An access size the call does not support.
    AccessSizeInvalid {
        /// The rejected size in bytes.
        value: u64,
    },
    /// A vendor-specific TDG.VP.VMCALL needs a non-zero R10.
    VendorCallZero,
    /// An L2 VM index outside 1..=3.
    L2VmOutOfRange {
        /// The rejected index.
        value: u8,
    },
    /// A requestor id above 3 (TDG.MR.KEY.GET, TDG.MR.REPORT).
    RequestorOutOfRange {
        /// The rejected requestor.
        value: u8,
    },
    /// A GPA range that is empty, wraps, or is not 4 KiB aligned.
    RangeInvalid {
        /// Start of the rejected range.
        start: u64,
        /// Length of the rejected range in bytes.
        len: u64,
    },
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            InputError::GpaTooWide { value } => write!(f, "GPA {value:#x} has bits above 51 set"),
            InputError::Misaligned { value, required } => {
                write!(f, "address {value:#x} is not {required:#x}-byte aligned")
            }
            InputError::RtmrIndexOutOfRange { value } => write!(f, "RTMR index {value} > 3"),
            InputError::PageLevelOutOfRange { value } => write!(f, "page level {value} > 2"),
            InputError::FieldIdInvalid { value } => write!(f, "invalid field id {value:#x}"),
            InputError::GpaWidthInvalid { value } => write!(f, "GPA width {value} is not 48 or 52"),
            InputError::NotShared { value } => write!(f, "GPA {value:#x} is not a shared GPA"),
            InputError::VectorOutOfRange { value } => write!(f, "vector {value} < 32"),
            InputError::AccessSizeInvalid { value } => write!(f, "access size {value} unsupported"),
            InputError::VendorCallZero => f.write_str("vendor-specific TDVMCALL with R10 = 0"),
            InputError::L2VmOutOfRange { value } => write!(f, "L2 VM index {value} not in 1..=3"),
            InputError::RequestorOutOfRange { value } => write!(f, "requestor id {value} > 3"),
            InputError::RangeInvalid { start, len } => {
                write!(f, "invalid GPA range {start:#x}+{len:#x}")
            }
        }
    }
}

/// Highest GPA bit any TD can have (GPAW 52).
const GPA_MASK: u64 = (1 << 52) - 1;

/// A guest physical address: bits 63:52 clear.
///
/// Whether the address is private or shared depends on the TD's GPA width (shared bit 47 or 51,
/// see [`TdInfo::shared_bit`]); the module checks that, not this type.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(transparent)]
pub struct Gpa(u64);

impl Gpa {
    /// Checks that bits 63:52 are clear.
    #[inline]
    pub const fn new(value: u64) -> Result<Gpa, InputError> {
        if value & !GPA_MASK != 0 {
            Err(InputError::GpaTooWide { value })
        } else {
            Ok(Gpa(value))
        }
    }

    /// The address.
    #[inline]
    pub const fn raw(self) -> u64 {
        self.0
    }
}

impl fmt::Debug for Gpa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Gpa({:#x})", self.0)
    }
}

/// A guest physical address aligned to `ALIGN` bytes (a power of two), as the memory operands of
/// TDG.MR.RTMR.EXTEND (64) and TDG.MR.REPORT (1024 and 64) require.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct AlignedGpa<const ALIGN: u64>(Gpa);

impl<const ALIGN: u64> AlignedGpa<ALIGN> {
    /// Checks width and alignment.
    #[inline]
    pub const fn new(value: u64) -> Result<Self, InputError> {
        match Gpa::new(value) {
            Err(e) => Err(e),
            Ok(_) if value & (ALIGN - 1) != 0 => Err(InputError::Misaligned {
                value,
                required: ALIGN,
            }),
            Ok(g) => Ok(AlignedGpa(g)),
        }
    }

    /// The address.
    #[inline]
    pub const fn raw(self) -> u64 {
        self.0 .0
    }

    /// The address as a plain [`Gpa`].
    #[inline]
    pub const fn gpa(self) -> Gpa {
        self.0
    }
}

impl<const ALIGN: u64> fmt::Debug for AlignedGpa<ALIGN> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AlignedGpa<{ALIGN}>({:#x})", self.raw())
    }
}

/// Secure EPT page level, as the `level` field of a TDG.MEM.PAGE.ACCEPT operand encodes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum PageLevel {
    /// 4 KiB page (level 0).
    Size4K = 0,
    /// 2 MiB page (level 1).
    Size2M = 1,
    /// 1 GiB page (level 2; rejected by TDX modules 1.0 and 1.5).
    Size1G = 2,
}

impl PageLevel {
    /// Decodes a level number.
    #[inline]
    pub const fn from_raw(level: u64) -> Result<PageLevel, InputError> {
        match level {
            0 => Ok(PageLevel::Size4K),
            1 => Ok(PageLevel::Size2M),
            2 => Ok(PageLevel::Size1G),
            value => Err(InputError::PageLevelOutOfRange { value }),
        }
    }

    /// Size of a page at this level, in bytes.
    #[inline]
    pub const fn size(self) -> u64 {
        1 << (12 + 9 * self as u64)
    }

    /// The next smaller level.
    #[inline]
    pub const fn smaller(self) -> Option<PageLevel> {
        match self {
            PageLevel::Size1G => Some(PageLevel::Size2M),
            PageLevel::Size2M => Some(PageLevel::Size4K),
            PageLevel::Size4K => None,
        }
    }
}

/// The operand of TDG.MEM.PAGE.ACCEPT: a GPA aligned to its page level.
///
/// RCX layout: bits 2:0 level, 11:3 reserved (0), 51:12 GPA bits 51:12, 63:52 reserved (0).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AcceptPage {
    gpa: Gpa,
    level: PageLevel,
}

impl AcceptPage {
    /// Checks that `gpa` is aligned to the size of `level`.
    #[inline]
    pub const fn new(gpa: Gpa, level: PageLevel) -> Result<AcceptPage, InputError> {
        if gpa.raw() & (level.size() - 1) != 0 {
            Err(InputError::Misaligned {
                value: gpa.raw(),
                required: level.size(),
            })
        } else {
            Ok(AcceptPage { gpa, level })
        }
    }

    /// The page's GPA.
    #[inline]
    pub const fn gpa(self) -> Gpa {
        self.gpa
    }

    /// The page's level.
    #[inline]
    pub const fn level(self) -> PageLevel {
        self.level
    }

    /// The RCX value of the leaf.
    #[inline]
    pub const fn to_rcx(self) -> u64 {
        self.gpa.raw() | self.level as u64
    }
}

impl fmt::Debug for AcceptPage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AcceptPage({:#x}, {:?})", self.gpa.raw(), self.level)
    }
}

/// An RTMR index, 0..=3.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RtmrIndex(u8);

impl RtmrIndex {
    /// Checks the range.
    #[inline]
    pub const fn new(index: u64) -> Result<RtmrIndex, InputError> {
        if index < 4 {
            Ok(RtmrIndex(index as u8))
        } else {
            Err(InputError::RtmrIndexOutOfRange { value: index })
        }
    }

    /// The index.
    #[inline]
    pub const fn get(self) -> u8 {
        self.0
    }
}

/// A metadata field identifier (`MD_FIELD_ID`) naming one field, for TDG.VM.RD and TDG.VM.WR.
///
/// Layout: 23:0 field code, 31:24 reserved, 33:32 element size code, 37:34 last element in
/// field, 46:38 last field in sequence, 49:47 reserved, 50 increment size, 51 write-mask valid,
/// 54:52 context code (ignored by TDG.VM.*, forced to TD), 55 reserved, 61:56 class code,
/// 62 reserved, 63 non-architectural. The constructor rejects reserved bits and sequence ids
/// (last element or last field non-zero), which the module would reject with
/// `TDX_METADATA_FIELD_ID_INCORRECT`; whether a field *exists* only the module knows.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(transparent)]
pub struct FieldId(u64);

impl FieldId {
    const RESERVED: u64 = (0xff << 24) | (0x7 << 47) | (1 << 55) | (1 << 62);
    const SEQUENCE: u64 = (0xf << 34) | (0x1ff << 38);

    /// Checks reserved bits and that the id names a single field.
    #[inline]
    pub const fn new(raw: u64) -> Result<FieldId, InputError> {
        if raw & (Self::RESERVED | Self::SEQUENCE) != 0 {
            Err(InputError::FieldIdInvalid { value: raw })
        } else {
            Ok(FieldId(raw))
        }
    }

    /// A field id the TDX module returned (next-field iteration); taken as it is.
    #[inline]
    pub(crate) const fn from_module(raw: u64) -> FieldId {
        FieldId(raw)
    }

    /// The raw id.
    #[inline]
    pub const fn raw(self) -> u64 {
        self.0
    }

    /// Bits 23:0.
    #[inline]
    pub const fn field_code(self) -> u32 {
        (self.0 & 0xff_ffff) as u32
    }

    /// Bits 61:56.
    #[inline]
    pub const fn class_code(self) -> u8 {
        ((self.0 >> 56) & 0x3f) as u8
    }

    /// Element size in bytes (bits 33:32: 1, 2, 4 or 8).
    #[inline]
    pub const fn element_size(self) -> u8 {
        1 << ((self.0 >> 32) & 3)
    }
}

impl fmt::Debug for FieldId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FieldId({:#018x})", self.0)
    }
}

/// TD ATTRIBUTES, as TDG.VP.INFO returns them in RDX (TDX Module ABI spec, TD_PARAMS
/// ATTRIBUTES; Linux `arch/x86/include/asm/shared/tdx.h`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct TdAttributes(pub u64);

impl TdAttributes {
    /// Bit 0: off-TD debug.
    pub const DEBUG: u64 = 1 << 0;
    /// Bit 28: EPT violations on pending pages do not become #VE.
    pub const SEPT_VE_DISABLE: u64 = 1 << 28;
    /// Bit 29: migratable.
    pub const MIGRATABLE: u64 = 1 << 29;
    /// Bit 30: PKS.
    pub const PKS: u64 = 1 << 30;
    /// Bit 31: Key Locker.
    pub const KL: u64 = 1 << 31;
    /// Bit 62: TD partitioning.
    pub const TPA: u64 = 1 << 62;
    /// Bit 63: PERFMON.
    pub const PERFMON: u64 = 1 << 63;

    /// True if every bit of `mask` is set.
    #[inline]
    pub const fn contains(self, mask: u64) -> bool {
        self.0 & mask == mask
    }
}

impl fmt::Debug for TdAttributes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TdAttributes({:#x})", self.0)
    }
}

/// The output of TDG.VP.INFO.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TdInfo {
    /// RCX bits 5:0: the GPA width, 48 or 52.
    pub gpa_width: u8,
    /// RDX: TD ATTRIBUTES.
    pub attributes: TdAttributes,
    /// R8 bits 31:0: vCPUs initialized so far.
    pub num_vcpus: u32,
    /// R8 bits 63:32: maximum vCPUs.
    pub max_vcpus: u32,
    /// R9 bits 31:0: this vCPU's index.
    pub vcpu_index: u32,
    /// R10 bit 0 (TDX module 1.5): TDG.SYS.RD is available.
    pub sys_rd_available: bool,
}

impl TdInfo {
    /// The shared bit: bit `gpa_width - 1` (47 or 51).
    #[inline]
    pub const fn shared_bit(&self) -> u64 {
        1u64 << (self.gpa_width.saturating_sub(1) & 63)
    }
}

/// The output of TDG.VP.VEINFO.GET: the #VE information of the current vCPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VeInfo {
    /// RCX bits 31:0: VM-exit reason.
    pub exit_reason: u32,
    /// RDX: exit qualification.
    pub exit_qualification: u64,
    /// R8: guest linear address.
    pub gla: u64,
    /// R9: guest physical address.
    pub gpa: u64,
    /// R10 bits 31:0: VM-exit instruction length.
    pub instruction_length: u32,
    /// R10 bits 63:32: VM-exit instruction information.
    pub instruction_info: u32,
}

/// The output of TDG.VP.VEINFO.GET versions 1 and 2: version 0's information, the #VE
/// category and (version 2) the interruptibility state at the #VE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VeInfoExt {
    /// What version 0 returns.
    pub info: VeInfo,
    /// RCX bits 39:32: VE_INFO.VE_CATEGORY.
    pub ve_category: u8,
    /// R12 bits 31:0 (version 2 only): VE_INFO.INTERRUPTIBILITY_STATE.
    pub interruptibility_state: Option<u32>,
}

/// TDG.VP.CPUIDVE.SET's operand: which CPUID executions raise #VE.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct CpuidVe {
    /// RCX bit 0: CPUID at CPL 0.
    pub supervisor: bool,
    /// RCX bit 1: CPUID at CPL > 0.
    pub user: bool,
}

impl CpuidVe {
    /// The RCX value of the leaf; bits 63:2 are zero.
    #[inline]
    pub const fn to_rcx(self) -> u64 {
        self.supervisor as u64 | (self.user as u64) << 1
    }
}

/// What TDG.MEM.PAGE.ACCEPT reported on success.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accepted {
    /// The page was pending and is now accepted (and zeroed).
    Accepted,
    /// Warning `TDX_PAGE_ALREADY_ACCEPTED`: the page was accepted before; the module reports the
    /// level of the existing mapping, which may be larger than the one requested.
    AlreadyAccepted {
        /// Level of the mapping that covers the page.
        mapped_level: PageLevel,
    },
}

/// 1024-byte TDREPORT_STRUCT buffer, aligned as TDG.MR.REPORT requires.
#[derive(Clone, Copy)]
#[repr(C, align(1024))]
pub struct TdReport(pub [u8; 1024]);

impl TdReport {
    /// Byte offset of REPORTDATA inside the report (REPORTMACSTRUCT at offset 0, REPORTDATA at
    /// offset 128 of it).
    pub const REPORT_DATA_OFFSET: usize = 128;

    /// The REPORTDATA the report carries.
    pub fn report_data(&self) -> &[u8; 64] {
        self.0[Self::REPORT_DATA_OFFSET..Self::REPORT_DATA_OFFSET + 64]
            .try_into()
            .expect("64-byte slice")
    }

    /// REPORTTYPE.VERSION (byte 2): 0; 1 with bound service TDs; 3 (modules 1.5.34 and
    /// 2.0.18) with ATTRIBUTES.SERVTDEXT or the host's TDID/VMID reporting, where TDINFO ends
    /// with TDID, VMID and VALID.
    pub fn version(&self) -> u8 {
        self.0[2]
    }

    /// TDINFO.VALID of a version 3 report (bit 0 SERVTD_HASH, bit 8 TDID, bit 9 VMID); 0
    /// for the other versions, whose bytes there are reserved.
    pub fn tdinfo_valid(&self) -> u32 {
        if self.version() != 3 {
            return 0;
        }
        let mut b = [0u8; 4];
        b.copy_from_slice(&self.0[1020..1024]);
        u32::from_le_bytes(b)
    }

    /// TDINFO.TDID (the TD_UUID) when the report says it is valid.
    pub fn tdid(&self) -> Option<&[u8; 32]> {
        (self.tdinfo_valid() & 1 << 8 != 0)
            .then(|| self.0[960..992].try_into().expect("32-byte slice"))
    }

    /// TDINFO.VMID (the requestor id given to TDG.MR.REPORT) when the report says it is valid.
    pub fn vmid(&self) -> Option<u8> {
        (self.tdinfo_valid() & 1 << 9 != 0).then_some(self.0[1016])
    }
}

/// Who asks for a TDG.MR.REPORT: R8 bits 9:8 (`requestor_id`), 0..=3, shown as TDINFO.VMID
/// when the host enabled TDID/VMID reporting. Modules 1.5.34 and 2.0.18 take any value;
/// 1.5.05 refuses all but 0 with `TDX_OPERAND_INVALID` + R8.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct ReportRequestor(u8);

impl ReportRequestor {
    /// Checks the range (two bits).
    #[inline]
    pub const fn new(value: u8) -> Result<Self, InputError> {
        if value > 3 {
            Err(InputError::RequestorOutOfRange { value })
        } else {
            Ok(ReportRequestor(value))
        }
    }

    /// The requestor id.
    #[inline]
    pub const fn raw(self) -> u8 {
        self.0
    }
}

impl Default for TdReport {
    fn default() -> Self {
        TdReport([0; 1024])
    }
}

/// 64-byte REPORTDATA buffer, aligned as TDG.MR.REPORT requires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C, align(64))]
pub struct ReportData(pub [u8; 64]);

impl Default for ReportData {
    fn default() -> Self {
        ReportData([0; 64])
    }
}

/// 48-byte RTMR extension value (a SHA-384 digest), aligned as TDG.MR.RTMR.EXTEND requires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C, align(64))]
pub struct RtmrExtendData(pub [u8; 48]);

impl Default for RtmrExtendData {
    fn default() -> Self {
        RtmrExtendData([0; 48])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_requestor_is_two_bits() {
        extern crate std;
        use std::string::ToString;
        assert_eq!(
            InputError::RequestorOutOfRange { value: 4 }.to_string(),
            "requestor id 4 > 3"
        );
        assert_eq!(ReportRequestor::new(3).map(ReportRequestor::raw), Ok(3));
        assert_eq!(ReportRequestor::new(0).map(ReportRequestor::raw), Ok(0));
        assert_eq!(
            ReportRequestor::new(4),
            Err(InputError::RequestorOutOfRange { value: 4 })
        );
    }

    /// TDINFO's tail (`td_info_t`, 1.5.34/2.0.18 `include/tdx_api_defs.h`): TDID at report byte
    /// 960, VMID at 1016, VALID (u32) at 1020; read only in version 3 reports.
    #[test]
    fn report_tail_read_by_version_and_valid_bits() {
        let mut r = TdReport::default();
        r.0[960..992].copy_from_slice(&[0x11; 32]);
        r.0[1016] = 2;
        r.0[1020..1024].copy_from_slice(&0x301u32.to_le_bytes());
        for version in [0, 1] {
            r.0[2] = version;
            assert_eq!(r.version(), version);
            assert_eq!((r.tdinfo_valid(), r.tdid(), r.vmid()), (0, None, None));
        }
        r.0[2] = 3;
        assert_eq!(r.tdinfo_valid(), 0x301);
        assert_eq!(r.tdid(), Some(&[0x11; 32]));
        assert_eq!(r.vmid(), Some(2));
        r.0[1020..1024].copy_from_slice(&0x100u32.to_le_bytes());
        assert_eq!((r.tdid(), r.vmid()), (Some(&[0x11; 32]), None));
        r.0[1020..1024].copy_from_slice(&0x200u32.to_le_bytes());
        assert_eq!((r.tdid(), r.vmid()), (None, Some(2)));
    }

    #[test]
    fn gpa_rejects_high_bits() {
        assert!(Gpa::new((1 << 52) - 1).is_ok());
        assert_eq!(
            Gpa::new(1 << 52),
            Err(InputError::GpaTooWide { value: 1 << 52 })
        );
    }

    #[test]
    fn accept_page_needs_level_alignment() {
        let g = Gpa::new(0x1000).unwrap();
        assert!(AcceptPage::new(g, PageLevel::Size4K).is_ok());
        assert!(AcceptPage::new(g, PageLevel::Size2M).is_err());
        let g2 = Gpa::new(0x20_0000).unwrap();
        assert_eq!(
            AcceptPage::new(g2, PageLevel::Size2M).unwrap().to_rcx(),
            0x20_0001
        );
    }

    #[test]
    fn field_id_rejects_sequences_and_reserved() {
        assert!(FieldId::new(0x1110_0003_0000_0016).is_ok());
        assert!(FieldId::new(0x1110_0003_0000_0016 | 1 << 34).is_err());
        assert!(FieldId::new(1 << 24).is_err());
        assert!(FieldId::new(u64::MAX).is_err());
    }

    #[test]
    fn aligned_gpa() {
        assert!(AlignedGpa::<64>::new(0x40).is_ok());
        assert!(AlignedGpa::<64>::new(0x41).is_err());
        assert!(AlignedGpa::<1024>::new(0x400).is_ok());
    }

    #[test]
    fn field_id_parts() {
        // Class code 0x11 (bits 61:56), context code 1 (bits 54:52), element size code 3
        // (bits 33:32: 8 bytes), field code 0x16 (bits 23:0).
        let f = FieldId::new(0x1110_0003_0000_0016).unwrap();
        assert_eq!(f.class_code(), 0x11);
        assert_eq!(f.field_code(), 0x16);
        assert_eq!(f.element_size(), 8);
        // Bit 63 (non-architectural) is not part of the class code.
        let f = FieldId::new(0x9110_0003_0000_0016).unwrap();
        assert_eq!(f.class_code(), 0x11);
        // Class code 0x2a, element size code 0 (1 byte), field code 0xabcdef.
        let f = FieldId::new(0x2a00_0000_00ab_cdef).unwrap();
        assert_eq!(f.class_code(), 0x2a);
        assert_eq!(f.field_code(), 0xab_cdef);
        assert_eq!(f.element_size(), 1);
        // Every bit set (as the module may return it): class code is six bits.
        let f = FieldId::from_module(u64::MAX);
        assert_eq!(f.class_code(), 0x3f);
        assert_eq!(f.field_code(), 0xff_ffff);
        assert_eq!(f.element_size(), 8);
        assert_eq!(FieldId::from_module(0).class_code(), 0);
    }

    #[test]
    fn td_attributes_debug_is_the_raw_value_in_hex() {
        extern crate std;
        use std::format;
        let a = TdAttributes(TdAttributes::SEPT_VE_DISABLE | TdAttributes::DEBUG);
        assert_eq!(format!("{a:?}"), "TdAttributes(0x10000001)");
        assert_eq!(format!("{:?}", TdAttributes(0)), "TdAttributes(0x0)");
        assert_eq!(
            format!(
                "{:?}",
                TdAttributes(TdAttributes::PERFMON | TdAttributes::TPA)
            ),
            "TdAttributes(0xc000000000000000)"
        );
    }

    #[test]
    fn input_error_display() {
        extern crate std;
        use std::string::ToString;
        let cases: [(InputError, &str); 12] = [
            (
                InputError::GpaTooWide { value: 1 << 52 },
                "GPA 0x10000000000000 has bits above 51 set",
            ),
            (
                InputError::Misaligned {
                    value: 0x1040,
                    required: 0x400,
                },
                "address 0x1040 is not 0x400-byte aligned",
            ),
            (
                InputError::RtmrIndexOutOfRange { value: 4 },
                "RTMR index 4 > 3",
            ),
            (
                InputError::PageLevelOutOfRange { value: 3 },
                "page level 3 > 2",
            ),
            (
                InputError::FieldIdInvalid { value: 0x100_0000 },
                "invalid field id 0x1000000",
            ),
            (
                InputError::GpaWidthInvalid { value: 47 },
                "GPA width 47 is not 48 or 52",
            ),
            (
                InputError::NotShared { value: 0x1000 },
                "GPA 0x1000 is not a shared GPA",
            ),
            (InputError::VectorOutOfRange { value: 31 }, "vector 31 < 32"),
            (
                InputError::AccessSizeInvalid { value: 3 },
                "access size 3 unsupported",
            ),
            (
                InputError::VendorCallZero,
                "vendor-specific TDVMCALL with R10 = 0",
            ),
            (
                InputError::L2VmOutOfRange { value: 0 },
                "L2 VM index 0 not in 1..=3",
            ),
            (
                InputError::RangeInvalid {
                    start: 0x1000,
                    len: 0x1800,
                },
                "invalid GPA range 0x1000+0x1800",
            ),
        ];
        for (e, text) in cases {
            assert_eq!(e.to_string(), text);
        }
    }

    #[test]
    fn debug_of_addresses_and_ids() {
        extern crate std;
        use std::format;
        assert_eq!(
            format!("{:?}", Gpa::new(0xabc000).unwrap()),
            "Gpa(0xabc000)"
        );
        assert_eq!(
            format!("{:?}", AlignedGpa::<64>::new(0x1040).unwrap()),
            "AlignedGpa<64>(0x1040)"
        );
        assert_eq!(
            format!(
                "{:?}",
                AcceptPage::new(Gpa::new(0x4000_0000).unwrap(), PageLevel::Size1G).unwrap()
            ),
            "AcceptPage(0x40000000, Size1G)"
        );
        assert_eq!(
            format!("{:?}", FieldId::new(0x1110_0003_0000_0016).unwrap()),
            "FieldId(0x1110000300000016)"
        );
        assert_eq!(
            format!("{:?}", FieldId::from_module(1)),
            "FieldId(0x0000000000000001)"
        );
    }

    #[test]
    fn page_levels() {
        assert_eq!(PageLevel::from_raw(0), Ok(PageLevel::Size4K));
        assert_eq!(PageLevel::from_raw(1), Ok(PageLevel::Size2M));
        assert_eq!(PageLevel::from_raw(2), Ok(PageLevel::Size1G));
        for v in [3, 7, u64::MAX] {
            assert_eq!(
                PageLevel::from_raw(v),
                Err(InputError::PageLevelOutOfRange { value: v })
            );
        }
        assert_eq!(PageLevel::Size4K.size(), 0x1000);
        assert_eq!(PageLevel::Size2M.size(), 0x20_0000);
        assert_eq!(PageLevel::Size1G.size(), 0x4000_0000);
        assert_eq!(PageLevel::Size1G.smaller(), Some(PageLevel::Size2M));
        assert_eq!(PageLevel::Size2M.smaller(), Some(PageLevel::Size4K));
        assert_eq!(PageLevel::Size4K.smaller(), None);
    }

    #[test]
    fn accept_page_operand() {
        // RCX: level 2:0, GPA 51:12.
        let g = Gpa::new(0x000f_ffff_c000_0000).unwrap();
        let p = AcceptPage::new(g, PageLevel::Size1G).unwrap();
        assert_eq!(p.gpa(), g);
        assert_eq!(p.level(), PageLevel::Size1G);
        assert_eq!(p.to_rcx(), 0x000f_ffff_c000_0002);
        let p = AcceptPage::new(Gpa::new(0x7000).unwrap(), PageLevel::Size4K).unwrap();
        assert_eq!(p.to_rcx(), 0x7000);
        assert_eq!(
            AcceptPage::new(Gpa::new(0x20_1000).unwrap(), PageLevel::Size2M),
            Err(InputError::Misaligned {
                value: 0x20_1000,
                required: 0x20_0000
            })
        );
        assert_eq!(
            AcceptPage::new(Gpa::new(0x20_0000).unwrap(), PageLevel::Size1G),
            Err(InputError::Misaligned {
                value: 0x20_0000,
                required: 0x4000_0000
            })
        );
        assert_eq!(
            AcceptPage::new(Gpa::new(0x800).unwrap(), PageLevel::Size4K),
            Err(InputError::Misaligned {
                value: 0x800,
                required: 0x1000
            })
        );
    }

    #[test]
    fn gpa_and_aligned_gpa_values() {
        assert_eq!(Gpa::new(0x1234).map(Gpa::raw), Ok(0x1234));
        assert_eq!(Gpa::new(0).map(Gpa::raw), Ok(0));
        assert_eq!(
            Gpa::new(u64::MAX),
            Err(InputError::GpaTooWide { value: u64::MAX })
        );
        assert_eq!(
            Gpa::new(1 << 63),
            Err(InputError::GpaTooWide { value: 1 << 63 })
        );
        let a = AlignedGpa::<1024>::new(0x000f_ffff_ffff_fc00).unwrap();
        assert_eq!(a.raw(), 0x000f_ffff_ffff_fc00);
        assert_eq!(a.gpa(), Gpa::new(0x000f_ffff_ffff_fc00).unwrap());
        assert_eq!(
            AlignedGpa::<1024>::new(0x600),
            Err(InputError::Misaligned {
                value: 0x600,
                required: 1024
            })
        );
        assert_eq!(
            AlignedGpa::<64>::new(1 << 52),
            Err(InputError::GpaTooWide { value: 1 << 52 })
        );
        assert_eq!(
            AlignedGpa::<64>::new(1 << 52 | 1),
            Err(InputError::GpaTooWide { value: 1 << 52 | 1 })
        );
    }

    #[test]
    fn rtmr_index_is_0_to_3() {
        for i in 0..4 {
            assert_eq!(RtmrIndex::new(i).map(RtmrIndex::get), Ok(i as u8));
        }
        for i in [4, 5, 256, u64::MAX] {
            assert_eq!(
                RtmrIndex::new(i),
                Err(InputError::RtmrIndexOutOfRange { value: i })
            );
        }
    }

    #[test]
    fn field_id_reserved_and_sequence_bits() {
        // Reserved: 31:24, 49:47, 55, 62. Sequence: 37:34 (last element), 46:38 (last field).
        let ok = 0x1110_0003_0000_0016u64;
        for bit in (24..=31).chain(34..=49).chain([55, 62]) {
            assert_eq!(
                FieldId::new(ok | 1 << bit),
                Err(InputError::FieldIdInvalid {
                    value: ok | 1 << bit
                }),
                "bit {bit}"
            );
        }
        // Every other bit is allowed: field code, element size, increment size, write-mask
        // valid, context code, class code, non-architectural.
        for bit in (0..=23)
            .chain(32..=33)
            .chain(50..=54)
            .chain(56..=61)
            .chain([63])
        {
            assert_eq!(
                FieldId::new(1 << bit).map(FieldId::raw),
                Ok(1 << bit),
                "bit {bit}"
            );
        }
    }

    #[test]
    fn element_sizes() {
        for (code, size) in [(0u64, 1u8), (1, 2), (2, 4), (3, 8)] {
            assert_eq!(FieldId::new(code << 32).unwrap().element_size(), size);
        }
    }

    #[test]
    fn td_attributes_bits() {
        assert_eq!(TdAttributes::DEBUG, 1);
        assert_eq!(TdAttributes::SEPT_VE_DISABLE, 0x1000_0000);
        assert_eq!(TdAttributes::MIGRATABLE, 0x2000_0000);
        assert_eq!(TdAttributes::PKS, 0x4000_0000);
        assert_eq!(TdAttributes::KL, 0x8000_0000);
        assert_eq!(TdAttributes::TPA, 0x4000_0000_0000_0000);
        assert_eq!(TdAttributes::PERFMON, 0x8000_0000_0000_0000);
        let a = TdAttributes(TdAttributes::DEBUG | TdAttributes::SEPT_VE_DISABLE);
        assert!(a.contains(TdAttributes::DEBUG));
        assert!(a.contains(TdAttributes::SEPT_VE_DISABLE));
        assert!(a.contains(TdAttributes::DEBUG | TdAttributes::SEPT_VE_DISABLE));
        assert!(a.contains(0));
        assert!(!a.contains(TdAttributes::PKS));
        assert!(!a.contains(TdAttributes::DEBUG | TdAttributes::PKS));
        assert!(!TdAttributes(0).contains(TdAttributes::DEBUG));
        assert!(TdAttributes(u64::MAX).contains(TdAttributes::PERFMON | TdAttributes::TPA));
    }

    #[test]
    fn shared_bit_is_gpa_width_minus_one() {
        let info = |gpa_width| TdInfo {
            gpa_width,
            attributes: TdAttributes(0),
            num_vcpus: 1,
            max_vcpus: 1,
            vcpu_index: 0,
            sys_rd_available: false,
        };
        assert_eq!(info(48).shared_bit(), 1 << 47);
        assert_eq!(info(52).shared_bit(), 1 << 51);
        assert_eq!(info(64).shared_bit(), 1 << 63);
    }

    #[test]
    fn cpuid_ve_operand() {
        // RCX bit 0 supervisor, bit 1 user.
        let c = |supervisor, user| CpuidVe { supervisor, user }.to_rcx();
        assert_eq!(c(false, false), 0);
        assert_eq!(c(true, false), 1);
        assert_eq!(c(false, true), 2);
        assert_eq!(c(true, true), 3);
        assert_eq!(CpuidVe::default().to_rcx(), 0);
    }

    #[test]
    fn buffers() {
        let mut r = TdReport::default();
        assert_eq!(r.0, [0; 1024]);
        for (i, b) in r.0.iter_mut().enumerate() {
            *b = i as u8;
        }
        // REPORTDATA: bytes 128..192.
        let want: [u8; 64] = core::array::from_fn(|i| (128 + i) as u8);
        assert_eq!(r.report_data(), &want);
        assert_eq!(core::mem::align_of::<TdReport>(), 1024);
        assert_eq!(ReportData::default().0, [0; 64]);
        assert_eq!(core::mem::align_of::<ReportData>(), 64);
        assert_eq!(RtmrExtendData::default().0, [0; 48]);
        assert_eq!(core::mem::align_of::<RtmrExtendData>(), 64);
    }
}

//! `md_field_id_t`: the metadata field identifier used by TDG.VM.RD / TDG.VM.WR.
//!
//! Layout from TDX module 1.5.05 `include/tdx_api_defs.h` (`md_field_id_u`):
//!
//! | bits | field |
//! |---|---|
//! | 23:0 | field code |
//! | 31:24 | reserved_0 (must be 0) |
//! | 33:32 | element size code (0: 1 B, 1: 2 B, 2: 4 B, 3: 8 B) — ignored on single-element access |
//! | 37:34 | last element in field (must be 0 for single-element access) |
//! | 46:38 | last field in sequence (must be 0 for single-element access) |
//! | 49:47 | reserved_1 (must be 0) |
//! | 50 | inc size — ignored on input |
//! | 51 | write mask valid — ignored on single-element access |
//! | 54:52 | context code (1 = TD) — ignored on input, forced to TD |
//! | 55 | reserved_2 (must be 0) |
//! | 61:56 | class code |
//! | 62 | reserved_3 (must be 0) |
//! | 63 | non-architectural — not checked, not used for lookup |
//!
//! Single-element checks: `md_check_as_single_element_id()` in
//! `src/common/metadata_handlers/metadata_generic.c`; "null" ID: `is_null_field_id()` in
//! `metadata_generic.h` (`(raw | CONTEXT_CODE_MASK) == -1`).

/// The "null" field ID (`MD_FIELD_ID_NA`), also the "no next field" value.
pub const NULL: u64 = u64::MAX;

/// Context code mask, bits 54:52.
pub const CONTEXT_CODE_MASK: u64 = 0x0070_0000_0000_0000;

/// Reserved bits of `md_field_id_t` (31:24, 49:47, 55, 62).
pub const RESERVED_MASK: u64 = 0xFF00_0000 | (0x7 << 47) | (1 << 55) | (1 << 62);

/// Context code of TD-scope (TDR/TDCS) metadata.
pub const CONTEXT_TD: u8 = 1;

/// A metadata field identifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldId(pub u64);

impl FieldId {
    /// Bits 23:0.
    pub const fn field_code(self) -> u32 {
        (self.0 & 0xFF_FFFF) as u32
    }
    /// Bits 33:32.
    pub const fn element_size_code(self) -> u8 {
        (self.0 >> 32 & 0x3) as u8
    }
    /// Element size in bytes (1 << element size code).
    pub const fn element_size(self) -> usize {
        1 << self.element_size_code()
    }
    /// Bits 37:34.
    pub const fn last_element_in_field(self) -> u8 {
        (self.0 >> 34 & 0xF) as u8
    }
    /// Bits 46:38.
    pub const fn last_field_in_sequence(self) -> u16 {
        (self.0 >> 38 & 0x1FF) as u16
    }
    /// Bit 50.
    pub const fn inc_size(self) -> bool {
        self.0 >> 50 & 1 != 0
    }
    /// Bit 51.
    pub const fn write_mask_valid(self) -> bool {
        self.0 >> 51 & 1 != 0
    }
    /// Bits 54:52.
    pub const fn context_code(self) -> u8 {
        (self.0 >> 52 & 0x7) as u8
    }
    /// Bits 61:56.
    pub const fn class_code(self) -> u8 {
        (self.0 >> 56 & 0x3F) as u8
    }
    /// Bit 63.
    pub const fn non_arch(self) -> bool {
        self.0 >> 63 != 0
    }
    /// The reserved bits (31:24, 49:47, 55, 62), in place.
    pub const fn reserved_bits(self) -> u64 {
        self.0 & RESERVED_MASK
    }
    /// Whether this is the null ID (all ones, context bits ignored).
    pub const fn is_null(self) -> bool {
        self.0 | CONTEXT_CODE_MASK == NULL
    }
    /// Whether the ID is acceptable for a single-element access: reserved bits, last element
    /// and last field all zero (`md_check_as_single_element_id`).
    pub const fn is_valid_single_element(self) -> bool {
        self.reserved_bits() == 0
            && self.last_element_in_field() == 0
            && self.last_field_in_sequence() == 0
    }
    /// The same ID with its context code replaced.
    pub const fn with_context(self, ctx: u8) -> FieldId {
        FieldId(self.0 & !CONTEXT_CODE_MASK | ((ctx as u64 & 7) << 52))
    }
    /// The same ID with its field code replaced.
    pub const fn with_field_code(self, code: u32) -> FieldId {
        FieldId(self.0 & !0xFF_FFFF | (code as u64 & 0xFF_FFFF))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accessors() {
        let f = FieldId(0x9110_0003_0000_0017);
        assert_eq!(f.field_code(), 0x17);
        assert_eq!(f.element_size_code(), 3);
        assert_eq!(f.element_size(), 8);
        assert_eq!(f.context_code(), 1);
        assert_eq!(f.class_code(), 0x11);
        assert!(f.non_arch());
        assert!(!f.inc_size() && !f.write_mask_valid());
        assert!(f.is_valid_single_element());
        let g = FieldId(0x1110_0003_0000_0016);
        assert_eq!(g.class_code(), 0x11);
        assert!(!g.non_arch());
        let h = FieldId(0x0000_003C_0000_0000 | (0x1FF << 38));
        assert_eq!(h.last_element_in_field(), 0xF);
        assert_eq!(h.last_field_in_sequence(), 0x1FF);
        assert!(!h.is_valid_single_element());
        assert!(FieldId(NULL).is_null());
        assert!(FieldId(NULL & !CONTEXT_CODE_MASK).is_null());
        assert!(!FieldId(NULL - 1).is_null());
        assert_eq!(FieldId(1 << 62).reserved_bits(), 1 << 62);
        assert_eq!(FieldId(1 << 55).reserved_bits(), 1 << 55);
        assert_eq!(FieldId(1 << 24).reserved_bits(), 1 << 24);
        assert_eq!(FieldId(1 << 47).reserved_bits(), 1 << 47);
        assert_eq!(
            FieldId((1 << 50) | (1 << 51) | (1 << 63)).reserved_bits(),
            0
        );
        assert_eq!(FieldId(0).with_context(1).0, 1 << 52);
        assert_eq!(f.with_field_code(0x19).0, 0x9110_0003_0000_0019);
        let v = FieldId(1 << 51);
        assert!(v.write_mask_valid());
        assert!(FieldId(1 << 50).inc_size());
    }
}

//! TDG.MR.KEY.GET (leaf 29, TDX module 1.5.34 and 2.0.18 on): a sealing key bound to the TD's
//! identity. One `asm!`, under the contract of `crate::leaf` (its `# Safety` section); the
//! types build on every target, the leaf function only on `x86_64`.
//!
//! Modules before 1.5.34 do not have the leaf and answer `TDX_OPERAND_INVALID` (operand RAX);
//! so does a platform without sealing support. Spec: TDX module 1.5.34
//! `src/td_dispatcher/vm_exits/tdg_mr_key_get.c`, `td_key_request_t`.

#[cfg(target_arch = "x86_64")]
use core::arch::asm;

use crate::status::TdxStatus;
use crate::types::{AlignedGpa, InputError};

/// The leaf number (RAX bits 15:0).
pub const TDG_MR_KEY_GET: u64 = 29;

/// TDKEYREQUEST (`td_key_request_t`): 128 bytes, placed 128-byte aligned in private memory.
/// Reserved fields must be zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[repr(C, align(128))]
pub struct TdKeyRequest {
    /// KEYNAME: must be 0.
    pub keyname: u16,
    /// SW_KEYNAME: chosen by software, part of the derivation.
    pub sw_keyname: u8,
    /// KEYSIZE_BITMAP: acceptable key sizes (bit 0 128 bits, bit 1 256 bits).
    pub keysize_bitmap: u8,
    /// Reserved, 0.
    pub reserved0: [u8; 4],
    /// TDKEYPOLICY: bit 0 MRTD, bit 1 MROWNER, bits 35:32 RTMR\[3:0\] enter the derivation.
    pub tdkeypolicy: u64,
    /// ATTRIBUTES_MASK: TD ATTRIBUTES bits that enter the derivation.
    pub attributes_mask: u64,
    /// XFAM_MASK: XFAM bits that enter the derivation.
    pub xfam_mask: u64,
    /// CPUSVN the key is derived for (at most the platform's).
    pub cpusvn: [u8; 16],
    /// TEE_TCB_SVN the key is derived for (bytes 3..16 reserved).
    pub tee_tcb_svn: [u8; 16],
    /// ISVSVN.
    pub isvsvn: u16,
    /// MRCONFIGSVN.
    pub mrconfigsvn: u16,
    /// MROWNERCONFIGSVN.
    pub mrownerconfigsvn: u16,
    /// SALT: part of the derivation.
    pub salt: [u8; 32],
    /// Reserved, 0.
    pub reserved1: [u8; 26],
}

const _: () = assert!(core::mem::size_of::<TdKeyRequest>() == 128);

/// Who the key is for: R8 bits 7:0 (`requestor_info_t.requestor`), 0..=3.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct KeyRequestor(u8);

impl KeyRequestor {
    /// Checks the range (`REQUESTOR_TYPE_MAX` is 3).
    #[inline]
    pub const fn new(value: u8) -> Result<Self, InputError> {
        if value > 3 {
            Err(InputError::RequestorOutOfRange { value })
        } else {
            Ok(KeyRequestor(value))
        }
    }

    /// The requestor.
    #[inline]
    pub const fn raw(self) -> u8 {
        self.0
    }
}

/// The size of the key written, in bits, as R9 returns it (`128 << key_size`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KeySize(pub u64);

impl KeySize {
    /// Bits.
    #[inline]
    pub const fn bits(self) -> u64 {
        self.0
    }
}

/// The typed result of TDG.MR.KEY.GET from RAX and R9 (R9 is only meaningful on success).
#[inline]
pub(crate) fn key_get_result(rax: u64, r9: u64) -> Result<KeySize, TdxStatus> {
    if rax == 0 {
        Ok(KeySize(r9))
    } else {
        Err(TdxStatus::from_raw(rax))
    }
}

/// TDG.MR.KEY.GET (leaf 29): derive a key from the TDKEYREQUEST at `request` into the 32 bytes at
/// `key`.
///
/// Registers: in RAX = 29, RCX = GPA of the TDKEYREQUEST (128-byte aligned, private), RDX = GPA
/// of the 32-byte key output (32-byte aligned, private), R8 = requestor (bits 63:8 zero). Out
/// RAX, and R9 = key size in bits on success only.
///
/// Errors: `TDX_OPERAND_INVALID` (no operand: no such leaf, or no sealing on the platform),
/// `TDX_MR_KEY_GET_NOT_SUPPORTED`, `TDX_OPERAND_INVALID` + R8 / RCX / RDX / KEYNAME (100) /
/// KEYSIZE_BITMAP (108), `TDX_OPERAND_BUSY` + RTMR, `TDX_SVN_INVALID`.
///
/// # Safety
///
/// `request` must be the guest physical address of a [`TdKeyRequest`] the module may read, and
/// `key` the address of 32 bytes that the caller owns and that nothing else reads or writes
/// during the call: the module overwrites them.
#[cfg(target_arch = "x86_64")]
#[inline]
pub unsafe fn tdg_mr_key_get(
    request: AlignedGpa<128>,
    key: AlignedGpa<32>,
    requestor: KeyRequestor,
) -> Result<KeySize, TdxStatus> {
    let rax: u64;
    let r9: u64;
    // SAFETY: see the contract of `crate::leaf`; the caller guarantees the key buffer may be
    // overwritten. The module writes RAX and, on success, R9.
    unsafe {
        asm!(
            tdcall!(),
            inlateout("rax") TDG_MR_KEY_GET => rax,
            in("rcx") request.raw(),
            in("rdx") key.raw(),
            in("r8") requestor.raw() as u64,
            lateout("r9") r9,
            options(nostack),
        );
    }
    key_get_result(rax, r9)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_layout() {
        let r = TdKeyRequest::default();
        let base = &r as *const _ as usize;
        let at = |p: *const u8| p as usize - base;
        assert_eq!(core::mem::align_of::<TdKeyRequest>(), 128);
        assert_eq!(at(&r.keysize_bitmap), 3);
        assert_eq!(at(&r.tdkeypolicy as *const u64 as *const u8), 8);
        assert_eq!(at(r.cpusvn.as_ptr()), 32);
        assert_eq!(at(r.tee_tcb_svn.as_ptr()), 48);
        assert_eq!(at(&r.mrownerconfigsvn as *const u16 as *const u8), 68);
        assert_eq!(at(r.salt.as_ptr()), 70);
        assert_eq!(at(r.reserved1.as_ptr()), 102);
    }

    #[test]
    fn requestor_range() {
        assert_eq!(KeyRequestor::new(3).map(KeyRequestor::raw), Ok(3));
        assert_eq!(
            KeyRequestor::new(4),
            Err(InputError::RequestorOutOfRange { value: 4 })
        );
    }

    #[test]
    fn result_keeps_status_and_size() {
        assert_eq!(key_get_result(0, 256), Ok(KeySize(256)));
        let e = key_get_result(0xC000_1004_0000_0000, 128).unwrap_err();
        assert_eq!(e.raw(), 0xC000_1004_0000_0000);
        assert_eq!(KeySize(128).bits(), 128);
    }
}

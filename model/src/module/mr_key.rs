//! TDG.MR.KEY.GET (leaf 29): a key bound to the TD's identity, derived by SEAMOPS(SEAMGETKEY).
//!
//! Present from module 1.5.34 (9fd3c8b1) and 2.0.18 (e69a4391) on; absent from the dispatchers
//! of 1.5.05 (e98d9639) and every other commit read (`model/VERSIONS.md`), which answer
//! `TDX_OPERAND_INVALID` + RAX. The handler is `tdg_mr_key_get()` in
//! `src/td_dispatcher/vm_exits/tdg_mr_key_get.c` (one text in the sources, stored at 9fd3c8b1).

use sha2::{Digest, Sha384};

use super::{Step, TdxModule};
use crate::memory::GuestMemory;
use crate::regs::{Gpr, Regs};
use crate::status::{self, operand};
use crate::ModuleVersion;

/// Size and alignment of TDKEYREQUEST (`td_key_request_t`, `TD_KEY_REQUEST_ALIGNMENT_IN_BYTES`).
pub const TDKEYREQUEST_SIZE: usize = 128;
/// Size and alignment of the key output (`key256_t`, `MR_KEY_ALIGNMENT_IN_BYTES`).
pub const KEY_SIZE: usize = 32;
/// Largest REQUESTOR (R8 bits 7:0) the leaf accepts (`REQUESTOR_TYPE_MAX`).
pub const REQUESTOR_MAX: u64 = 3;

/// TDCS CONFIG_FLAGS bit 7: SEALING (enables TDG.MR.KEY.GET; `config_flags_t.sealing`,
/// `CONFIG_FLAGS_FIXED0` of 9fd3c8b1 `td_control_structures.h`).
pub const CONFIG_FLAGS_SEALING: u64 = 1 << 7;
/// TDCS TD_CTLS bit 4: ENABLE_HW_KEYS (`td_ctls_t.enable_hw_keys`, 9fd3c8b1).
pub const TD_CTLS_ENABLE_HW_KEYS: u64 = 1 << 4;

/// Byte offsets in TDKEYREQUEST (`td_key_request_t`, 9fd3c8b1).
pub mod request_offsets {
    /// KEYNAME (u16; must be 0).
    pub const KEYNAME: usize = 0;
    /// SW_KEYNAME (u8).
    pub const SW_KEYNAME: usize = 2;
    /// KEYSIZE_BITMAP (u8; must share a bit with the supported sizes).
    pub const KEYSIZE_BITMAP: usize = 3;
    /// 4 reserved bytes (must be 0).
    pub const RESERVED_0: usize = 4;
    /// TDKEYPOLICY (u64).
    pub const TDKEYPOLICY: usize = 8;
    /// ATTRIBUTES_MASK (u64).
    pub const ATTRIBUTES_MASK: usize = 16;
    /// XFAM_MASK (u64).
    pub const XFAM_MASK: usize = 24;
    /// CPUSVN (16 bytes).
    pub const CPUSVN: usize = 32;
    /// TEE_TCB_SVN (16 bytes; bytes 3..16 reserved).
    pub const TEE_TCB_SVN: usize = 48;
    /// ISVSVN, MRCONFIGSVN, MROWNERCONFIGSVN (u16 each; not used by the module).
    pub const ISVSVN: usize = 64;
    /// SALT (32 bytes).
    pub const SALT: usize = 70;
    /// 26 reserved bytes (must be 0).
    pub const RESERVED_1: usize = 102;
}

/// TDKEYPOLICY bits that must be zero: `reserved_0` 7:4, `reserved_1` 31:11, `reserved_2` 63:48.
pub const TDKEYPOLICY_RESERVED: u64 = 0xF0 | 0xFFFF_F800 | 0xFFFF_0000_0000_0000;
/// TDKEYPOLICY bit 0: MRTD in the derivation.
pub const TDKEYPOLICY_MRTD: u64 = 1 << 0;
/// TDKEYPOLICY bit 1: MROWNER in the derivation.
pub const TDKEYPOLICY_MROWNER: u64 = 1 << 1;
/// TDKEYPOLICY bits 35:32: RTMR\[i\] in the derivation for bit 32 + i.
pub const TDKEYPOLICY_RTMR_SHIFT: u32 = 32;
/// ATTRIBUTES_MASK bits that must be zero: `reserved_tud` 3:1, `reserved_tup2` 15:7,
/// `reserved_p` 22:18, `reserved_n` 26:23, `reserved_other` 61:32 of `td_param_attributes_t`
/// (9fd3c8b1, e69a4391: bit 17 is SERVTDEXT, not reserved; bits 5:4 `reserved_tup` are not
/// checked).
pub const ATTRIBUTES_MASK_RESERVED: u64 =
    0xE | 0xFF80 | (0x1F << 18) | (0xF << 23) | (0x3FFF_FFFF << 32);
/// XFAM_MASK bits that must be zero: `ia32_xcr0_t.reserved_1`, bits 63:19.
pub const XFAM_MASK_RESERVED: u64 = !((1 << 19) - 1);

/// Whether the model's SEAMOPS(SEAMGETKEY) accepts the requested SVNs: every CPUSVN byte and
/// each of the three TEE_TCB_SVN bytes at most the platform's
/// ([`crate::TdConfig::cpusvn`], [`crate::TdConfig::tee_tcb_svn`]). The instruction is the
/// CPU's (not in the module source): **UNVERIFIED** model choice, as for EGETKEY.
pub fn svn_acceptable(cfg: &crate::TdConfig, request: &[u8; TDKEYREQUEST_SIZE]) -> bool {
    use request_offsets as o;
    let cpusvn = &request[o::CPUSVN..o::CPUSVN + 16];
    let tcb = &request[o::TEE_TCB_SVN..o::TEE_TCB_SVN + 3];
    cpusvn.iter().zip(cfg.cpusvn.iter()).all(|(r, p)| r <= p)
        && tcb.iter().zip(cfg.tee_tcb_svn.iter()).all(|(r, p)| r <= p)
}

fn u64_at(b: &[u8], off: usize) -> u64 {
    let mut q = [0u8; 8];
    q.copy_from_slice(&b[off..off + 8]);
    u64::from_le_bytes(q)
}

impl TdxModule {
    /// Whether the leaf exists in this module version (1.5.34 and 2.0.18).
    pub(super) fn has_key_get(&self) -> bool {
        self.cfg.module_version >= ModuleVersion::V1_5_34
    }

    /// Sets what TDG.MR.KEY.GET's first two checks read: the platform supports sealing
    /// (`global_data->sealing_supported`), CONFIG_FLAGS.SEALING and TD_CTLS.ENABLE_HW_KEYS.
    /// CONFIG_FLAGS and TD_CTLS are the TD's (TDG.VM.RD sees them).
    pub fn set_key_get_enables(&mut self, platform: bool, sealing: bool, hw_keys: bool) {
        self.sealing_supported = platform;
        self.config_flags = (self.config_flags & !CONFIG_FLAGS_SEALING)
            | if sealing { CONFIG_FLAGS_SEALING } else { 0 };
        self.td_ctls = (self.td_ctls & !TD_CTLS_ENABLE_HW_KEYS)
            | if hw_keys { TD_CTLS_ENABLE_HW_KEYS } else { 0 };
    }

    /// What TDG.MR.KEY.GET's first two checks read: (platform, CONFIG_FLAGS.SEALING,
    /// TD_CTLS.ENABLE_HW_KEYS).
    pub fn key_get_enables(&self) -> (bool, bool, bool) {
        (
            self.sealing_supported,
            self.config_flags & CONFIG_FLAGS_SEALING != 0,
            self.td_ctls & TD_CTLS_ENABLE_HW_KEYS != 0,
        )
    }

    /// The key the model derives for a valid `request` from `requestor`, as TDG.MR.KEY.GET
    /// writes it. The derivation string follows `tdgetkey_derivation_string_t` as the handler
    /// fills it: KEYNAME, SW_KEYNAME, ATTRIBUTES & ATTRIBUTES_MASK, the mask, XFAM & XFAM_MASK,
    /// the mask, MRTD and MROWNER if TDKEYPOLICY selects them, RTMR\[i\] for policy bit 32 + i,
    /// SERVTD_HASH if the TD is migratable (ATTRIBUTES bit 29), REQUESTOR and SALT. The model's
    /// SEAMGETKEY is the first 32 bytes of SHA-384 over a model platform secret, that string's
    /// SHA-384 (KEY_INFO), CPUSVN and TEE_TCB_SVN of the request (the CPU's derivation is not
    /// public).
    pub fn derive_key(&self, request: &[u8; TDKEYREQUEST_SIZE], requestor: u8) -> [u8; KEY_SIZE] {
        use request_offsets as o;
        let c = &self.cfg;
        let policy = u64_at(request, o::TDKEYPOLICY);
        let attr_mask = u64_at(request, o::ATTRIBUTES_MASK);
        let xfam_mask = u64_at(request, o::XFAM_MASK);
        let mut d = Sha384::new();
        d.update(&request[o::KEYNAME..o::KEYNAME + 3]);
        d.update((c.attributes & attr_mask).to_le_bytes());
        d.update(attr_mask.to_le_bytes());
        d.update((c.xfam & xfam_mask).to_le_bytes());
        d.update(xfam_mask.to_le_bytes());
        let none = [0u8; 48];
        d.update(if policy & TDKEYPOLICY_MRTD != 0 {
            &c.mrtd
        } else {
            &none
        });
        d.update(if policy & TDKEYPOLICY_MROWNER != 0 {
            &c.mrowner
        } else {
            &none
        });
        for (i, rtmr) in self.rtmr.iter().enumerate() {
            let selected = policy >> (TDKEYPOLICY_RTMR_SHIFT + i as u32) & 1 != 0;
            d.update(if selected { rtmr } else { &none });
        }
        let migratable = c.attributes & (1 << 29) != 0;
        d.update(if migratable { &c.servtd_hash } else { &none });
        d.update([requestor]);
        d.update(&request[o::SALT..o::SALT + 32]);
        let key_info = d.finalize();
        let mut k = Sha384::new();
        k.update(b"tdx-model SEAMGETKEY platform secret");
        k.update(key_info);
        k.update(&request[o::CPUSVN..o::TEE_TCB_SVN + 16]);
        let mut key = [0u8; KEY_SIZE];
        key.copy_from_slice(&k.finalize()[..KEY_SIZE]);
        key
    }

    /// TDG.MR.KEY.GET (`tdg_mr_key_get()`), checks in the handler's order:
    /// platform without sealing → `TDX_OPERAND_INVALID` (operand 0, the same value as an unknown
    /// leaf); neither CONFIG_FLAGS.SEALING nor TD_CTLS.ENABLE_HW_KEYS →
    /// `TDX_MR_KEY_GET_NOT_SUPPORTED`; R8 requestor > 3 or R8\[63:8\] ≠ 0 → `OPERAND_INVALID` +
    /// R8; RCX not 128-byte aligned → + RCX; RCX not a valid private GPA → + RCX, not accessible
    /// → EPT-violation TD exit; the request is copied; RDX not 32-byte aligned → + RDX; RDX not a
    /// valid private GPA → + RDX, not accessible → TD exit; KEYNAME ≠ 0 → + KEYNAME (100); a
    /// reserved field or bit set (RESERVED_0/1, TDKEYPOLICY, TEE_TCB_SVN bytes 3..16,
    /// ATTRIBUTES_MASK, XFAM_MASK) → + RCX; KEYSIZE_BITMAP ∩ supported sizes empty → +
    /// KEYSIZE_BITMAP (108); the RTMR lock held → `OPERAND_BUSY` + RTMR; SEAMGETKEY refuses the
    /// SVNs ([`svn_acceptable`]) → `TDX_SVN_INVALID`. Success: the key ([`Self::derive_key`])
    /// is written at RDX and R9 = 128 << key_size. Nothing but RAX is written on failure.
    ///
    /// key_size comes from the SEAMGETKEY request, which the handler zeroes and never sets from
    /// KEYSIZE_BITMAP: R9 = 128 unless the instruction itself writes the size back, which the
    /// model does not (**UNVERIFIED**; [`crate::TdConfig::seal_key_size`] changes it).
    pub(super) fn mr_key_get(
        &mut self,
        input: &Regs,
        out: &mut Regs,
        mem: &mut dyn GuestMemory,
    ) -> Step {
        use request_offsets as o;
        if !self.sealing_supported {
            return Step::Status(status::TDX_OPERAND_INVALID);
        }
        let (_, sealing, hw_keys) = self.key_get_enables();
        if !sealing && !hw_keys {
            return Step::Status(status::TDX_MR_KEY_GET_NOT_SUPPORTED);
        }
        let requestor = input[Gpr::R8];
        if requestor > REQUESTOR_MAX {
            return Step::Status(status::TDX_OPERAND_INVALID + operand::R8);
        }
        let request_gpa = input[Gpr::Rcx];
        if request_gpa % TDKEYREQUEST_SIZE as u64 != 0 || !self.gpa_valid(request_gpa, true) {
            return Step::Status(status::TDX_OPERAND_INVALID + operand::RCX);
        }
        let addr = match self.walk(request_gpa, false) {
            Ok(a) => a,
            Err(s) => return s,
        };
        let mut request = [0u8; TDKEYREQUEST_SIZE];
        if !mem.read(addr, &mut request) {
            return Step::Exit(request_gpa);
        }
        let key_gpa = input[Gpr::Rdx];
        if key_gpa % KEY_SIZE as u64 != 0 || !self.gpa_valid(key_gpa, true) {
            return Step::Status(status::TDX_OPERAND_INVALID + operand::RDX);
        }
        let key_addr = match self.walk(key_gpa, true) {
            Ok(a) => a,
            Err(s) => return s,
        };
        // The module maps the output page read-write here: an unbacked page exits now.
        let mut probe = [0u8; KEY_SIZE];
        if !mem.read(key_addr, &mut probe) {
            return Step::Exit(key_gpa);
        }
        if request[o::KEYNAME..o::KEYNAME + 2] != [0, 0] {
            return Step::Status(status::TDX_OPERAND_INVALID + operand::KEYNAME);
        }
        let reserved = request[o::RESERVED_0..o::RESERVED_0 + 4]
            .iter()
            .chain(&request[o::RESERVED_1..TDKEYREQUEST_SIZE])
            .chain(&request[o::TEE_TCB_SVN + 3..o::TEE_TCB_SVN + 16])
            .any(|b| *b != 0)
            || u64_at(&request, o::TDKEYPOLICY) & TDKEYPOLICY_RESERVED != 0
            || u64_at(&request, o::ATTRIBUTES_MASK) & ATTRIBUTES_MASK_RESERVED != 0
            || u64_at(&request, o::XFAM_MASK) & XFAM_MASK_RESERVED != 0;
        if reserved {
            return Step::Status(status::TDX_OPERAND_INVALID + operand::RCX);
        }
        if request[o::KEYSIZE_BITMAP] & self.cfg.seal_key_sizes == 0 {
            return Step::Status(status::TDX_OPERAND_INVALID + operand::KEYSIZE_BITMAP);
        }
        if self.rtmr_busy {
            return Step::Status(status::TDX_OPERAND_BUSY + operand::RTMR);
        }
        if !svn_acceptable(&self.cfg, &request) {
            return Step::Status(status::TDX_SVN_INVALID);
        }
        let key = self.derive_key(&request, requestor as u8);
        if !mem.write(key_addr, &key) {
            return Step::Exit(key_gpa);
        }
        out[Gpr::R9] = 128 << self.cfg.seal_key_size;
        Step::Status(status::TDX_SUCCESS)
    }
}

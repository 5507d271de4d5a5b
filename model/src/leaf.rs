//! TDCALL leaf numbers (RAX bits 15:0) and the RAX input encoding.
//!
//! Source: TDX module 1.5.05 `include/tdx_api_defs.h` (`tdx_leaf_and_version_t`,
//! `TDG_*_LEAF`); Linux `arch/x86/include/asm/shared/tdx.h`.

/// TDG.VP.VMCALL: call the host VMM (GHCI); see [`crate::vmcall`] and [`crate::vmm`].
pub const TDG_VP_VMCALL: u16 = 0;
/// TDG.VP.INFO: TD execution environment information.
pub const TDG_VP_INFO: u16 = 1;
/// TDG.MR.RTMR.EXTEND: extend a runtime measurement register.
pub const TDG_MR_RTMR_EXTEND: u16 = 2;
/// TDG.VP.VEINFO.GET: read and consume the #VE information.
pub const TDG_VP_VEINFO_GET: u16 = 3;
/// TDG.MR.REPORT: create a TDREPORT_STRUCT.
pub const TDG_MR_REPORT: u16 = 4;
/// TDG.VP.CPUIDVE.SET: control #VE on CPUID.
pub const TDG_VP_CPUIDVE_SET: u16 = 5;
/// TDG.MEM.PAGE.ACCEPT: accept a pending private page.
pub const TDG_MEM_PAGE_ACCEPT: u16 = 6;
/// TDG.VM.RD: read a TD-scope metadata field (versions 0 and 1).
pub const TDG_VM_RD: u16 = 7;
/// TDG.VM.WR: write a TD-scope metadata field.
pub const TDG_VM_WR: u16 = 8;
/// TDG.VP.RD: read a VCPU-scope (TDVPS) metadata field (TDX 1.5).
pub const TDG_VP_RD: u16 = 9;
/// TDG.VP.WR: write a VCPU-scope (TDVPS) metadata field (TDX 1.5).
pub const TDG_VP_WR: u16 = 10;
/// TDG.SYS.RD: read a global-scope metadata field (TDX 1.5).
pub const TDG_SYS_RD: u16 = 11;
/// TDG.SYS.RDALL: read all guest-readable global-scope metadata into a list (TDX 1.5).
pub const TDG_SYS_RDALL: u16 = 12;
/// TDG.SERVTD.RD: a service TD reads a target TD's metadata (TDX 1.5).
pub const TDG_SERVTD_RD: u16 = 18;
/// TDG.SERVTD.WR: a service TD writes a target TD's metadata (TDX 1.5).
pub const TDG_SERVTD_WR: u16 = 20;
/// TDG.MR.VERIFYREPORT: verify a REPORTMACSTRUCT produced on this platform (TDX 1.5).
pub const TDG_MR_VERIFYREPORT: u16 = 22;
/// TDG.MEM.PAGE.ATTR.RD: read a private page's mapping and L2 attributes (TD partitioning).
pub const TDG_MEM_PAGE_ATTR_RD: u16 = 23;
/// TDG.MEM.PAGE.ATTR.WR: write a private page's L2 attributes (TD partitioning).
pub const TDG_MEM_PAGE_ATTR_WR: u16 = 24;
/// TDG.VP.ENTER: enter an L2 VCPU (TD partitioning).
pub const TDG_VP_ENTER: u16 = 25;
/// TDG.VP.INVEPT: invalidate cached EPT translations of L2 VMs (TD partitioning).
pub const TDG_VP_INVEPT: u16 = 26;
/// TDG.VP.INVGLA: invalidate L2 TLB entries by guest linear address (named TDG.VP.INVVPID in
/// the 1.5.05 source, `tdg_vp_invvpid.c`).
pub const TDG_VP_INVGLA: u16 = 27;
/// TDG.MR.KEY.GET: derive a sealing key bound to the TD's identity (module 1.5.34 and 2.0.18 on;
/// `tdg_mr_key_get.c`; earlier modules answer `TDX_OPERAND_INVALID` + RAX).
pub const TDG_MR_KEY_GET: u16 = 29;

/// RAX input value for `leaf` at `version`: bits 15:0 leaf, 23:16 version, 63:24 zero.
pub const fn rax(leaf: u16, version: u8) -> u64 {
    (leaf as u64) | ((version as u64) << 16)
}

/// Leaf number of a RAX input value (bits 15:0).
pub const fn leaf_of(rax: u64) -> u16 {
    rax as u16
}

/// Version of a RAX input value (bits 23:16).
pub const fn version_of(rax: u64) -> u8 {
    (rax >> 16) as u8
}

/// Whether the reserved bits 63:24 of a RAX input value are all zero.
pub const fn reserved_clear(rax: u64) -> bool {
    rax >> 24 == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rax_encoding() {
        assert_eq!(rax(TDG_VM_RD, 1), 0x1_0007);
        assert_eq!(rax(TDG_MEM_PAGE_ACCEPT, 0), 6);
        assert_eq!(leaf_of(0x1_0007), 7);
        assert_eq!(version_of(0x1_0007), 1);
        assert!(reserved_clear(0xFF_FFFF));
        assert!(!reserved_clear(0x100_0000));
    }
}

//! TDG.MR.KEY.GET (leaf 29) on every modelled module version.

use crate::contract::lookup;
use crate::leaf::*;
use crate::memory::{FlatMemory, GuestMemory};
use crate::module::*;
use crate::regs::{Gpr, RegSet, Regs};
use crate::status::*;
use crate::ModuleVersion;

const MEM: u64 = 0x10_0000;
const REQUEST: u64 = MEM;
const KEY: u64 = MEM + 0x1000;

fn module(version: ModuleVersion) -> TdxModule {
    let mut m = TdxModule::new(TdConfig {
        module_version: version,
        ..TdConfig::default()
    });
    m.set_key_get_enables(true, true, false);
    m
}

/// A valid request: 128- and 256-bit keys, MRTD and RTMR[2] selected, a salt.
fn request() -> [u8; TDKEYREQUEST_SIZE] {
    use request_offsets as o;
    let mut r = [0u8; TDKEYREQUEST_SIZE];
    r[o::SW_KEYNAME] = 7;
    r[o::KEYSIZE_BITMAP] = 0b11;
    r[o::TDKEYPOLICY..o::TDKEYPOLICY + 8].copy_from_slice(&(1u64 | 1 << 34).to_le_bytes());
    r[o::ATTRIBUTES_MASK..o::ATTRIBUTES_MASK + 8].copy_from_slice(&(1u64 << 28).to_le_bytes());
    r[o::XFAM_MASK..o::XFAM_MASK + 8].copy_from_slice(&0xE7u64.to_le_bytes());
    r[o::CPUSVN..o::CPUSVN + 16].fill(0x05);
    r[o::TEE_TCB_SVN..o::TEE_TCB_SVN + 3].fill(0x03);
    r[o::SALT..o::SALT + 32].fill(0xA5);
    r
}

fn input(requestor: u64) -> Regs {
    let mut r = Regs::default();
    for (i, v) in r.gpr.iter_mut().enumerate() {
        *v = 0xDEAD_0000_0000_0000 | (i as u64) << 8;
    }
    r[Gpr::Rax] = rax(TDG_MR_KEY_GET, 0);
    r[Gpr::Rcx] = REQUEST;
    r[Gpr::Rdx] = KEY;
    r[Gpr::R8] = requestor;
    r
}

/// Runs the leaf on `req`; checks that only RAX (and R9 on success) changed and that the key
/// page is written on success only. Returns (RAX, R9, key bytes).
fn key_get(
    m: &mut TdxModule,
    req: &[u8; TDKEYREQUEST_SIZE],
    input: &Regs,
) -> (u64, u64, [u8; KEY_SIZE]) {
    let mut mem = FlatMemory::new(MEM, 0x2000);
    mem.bytes[..TDKEYREQUEST_SIZE].copy_from_slice(req);
    mem.bytes[0x1000..0x1020].fill(0xEE);
    let out = match m.tdcall(input, &mut mem) {
        Completion::Completed(r) => r,
        other => panic!("expected Completed, got {other:?}"),
    };
    let c = lookup(TDG_MR_KEY_GET, 0).unwrap();
    let changed = out.diff(input);
    assert_eq!(changed.minus(c.may_modify), RegSet::EMPTY);
    let mut key = [0u8; KEY_SIZE];
    assert!(mem.read(KEY, &mut key));
    if out[Gpr::Rax] != TDX_SUCCESS {
        assert_eq!(out[Gpr::R9], input[Gpr::R9], "R9 written on failure");
        assert_eq!(key, [0xEE; KEY_SIZE], "key written on failure");
    }
    (out[Gpr::Rax], out[Gpr::R9], key)
}

#[test]
fn mr_key_get_by_module_version() {
    for version in ModuleVersion::ALL {
        let mut m = module(version);
        let (status, r9, key) = key_get(&mut m, &request(), &input(0));
        if version < ModuleVersion::V1_5_34 {
            assert_eq!(status, TDX_OPERAND_INVALID + operand::RAX, "{version}");
        } else {
            assert_eq!(status, TDX_SUCCESS, "{version}");
            assert_eq!(r9, 128, "{version}");
            assert_eq!(key, m.derive_key(&request(), 0), "{version}");
        }
    }
}

#[test]
fn mr_key_get_check_order() {
    use request_offsets as o;
    let mut m = module(ModuleVersion::NEWEST);
    // Every case also breaks a check that comes later, so the first failing check must win.
    let mut bad = request();
    bad[o::KEYNAME] = 1;
    bad[o::KEYSIZE_BITMAP] = 0;
    let mut late = input(4);
    late[Gpr::Rcx] = REQUEST + 64;
    m.set_key_get_enables(false, true, true);
    assert_eq!(key_get(&mut m, &bad, &late).0, TDX_OPERAND_INVALID);
    m.set_key_get_enables(true, false, false);
    assert_eq!(key_get(&mut m, &bad, &late).0, TDX_MR_KEY_GET_NOT_SUPPORTED);
    // Either enable is enough.
    m.set_key_get_enables(true, false, true);
    assert_eq!(key_get(&mut m, &request(), &input(3)).0, TDX_SUCCESS);
    assert_eq!(
        key_get(&mut m, &bad, &late).0,
        TDX_OPERAND_INVALID + operand::R8
    );
    assert_eq!(
        key_get(&mut m, &bad, &input(1 << 8)).0,
        TDX_OPERAND_INVALID + operand::R8
    );
    let mut i = input(0);
    i[Gpr::Rcx] = REQUEST + 64;
    i[Gpr::Rdx] = KEY + 1;
    assert_eq!(
        key_get(&mut m, &bad, &i).0,
        TDX_OPERAND_INVALID + operand::RCX
    );
    i[Gpr::Rcx] = REQUEST | 1 << 47;
    assert_eq!(
        key_get(&mut m, &bad, &i).0,
        TDX_OPERAND_INVALID + operand::RCX
    );
    i[Gpr::Rcx] = REQUEST;
    assert_eq!(
        key_get(&mut m, &bad, &i).0,
        TDX_OPERAND_INVALID + operand::RDX
    );
    i[Gpr::Rdx] = KEY | 1 << 47;
    assert_eq!(
        key_get(&mut m, &bad, &i).0,
        TDX_OPERAND_INVALID + operand::RDX
    );
    assert_eq!(
        key_get(&mut m, &bad, &input(0)).0,
        TDX_OPERAND_INVALID + operand::KEYNAME
    );
    bad[o::KEYNAME] = 0;
    for (off, bit) in [
        (o::RESERVED_0 + 3, 1u8),
        (o::RESERVED_1 + 25, 0x80),
        (o::TEE_TCB_SVN + 3, 1),
        (o::TDKEYPOLICY, 0x10),
        (o::TDKEYPOLICY + 7, 0x80),
        (o::ATTRIBUTES_MASK, 0x02),
        (o::ATTRIBUTES_MASK + 2, 0x04), // bit 18, reserved_p
        (o::ATTRIBUTES_MASK + 7, 0x20),
        (o::XFAM_MASK + 2, 0x08),
    ] {
        let mut r = bad;
        r[off] |= bit;
        assert_eq!(
            key_get(&mut m, &r, &input(0)).0,
            TDX_OPERAND_INVALID + operand::RCX,
            "reserved byte {off} bit {bit:#x}"
        );
    }
    assert_eq!(
        key_get(&mut m, &bad, &input(0)).0,
        TDX_OPERAND_INVALID + operand::KEYSIZE_BITMAP
    );
    bad[o::KEYSIZE_BITMAP] = 0b100;
    assert_eq!(
        key_get(&mut m, &bad, &input(0)).0,
        TDX_OPERAND_INVALID + operand::KEYSIZE_BITMAP
    );
    let mut over = request();
    over[o::CPUSVN + 9] = 6;
    m.set_rtmr_busy(true);
    assert_eq!(
        key_get(&mut m, &over, &input(0)).0,
        TDX_OPERAND_BUSY + operand::RTMR
    );
    m.set_rtmr_busy(false);
    assert_eq!(key_get(&mut m, &over, &input(0)).0, TDX_SVN_INVALID);
    let mut over = request();
    over[o::TEE_TCB_SVN + 2] = 4;
    assert_eq!(key_get(&mut m, &over, &input(0)).0, TDX_SVN_INVALID);
    // Bits 5:4 of ATTRIBUTES_MASK (reserved_tup) are not checked; bit 17 is SERVTDEXT.
    let mut tup = request();
    tup[o::ATTRIBUTES_MASK] |= 0x30;
    tup[o::ATTRIBUTES_MASK + 2] |= 0x02;
    assert_eq!(key_get(&mut m, &tup, &input(0)).0, TDX_SUCCESS);
}

#[test]
fn mr_key_get_derivation() {
    use request_offsets as o;
    let mut m = module(ModuleVersion::V1_5_34);
    let key = |m: &mut TdxModule, r: &[u8; TDKEYREQUEST_SIZE], requestor: u64| {
        let (status, _, k) = key_get(m, r, &input(requestor));
        assert_eq!(status, TDX_SUCCESS);
        k
    };
    let base = key(&mut m, &request(), 0);
    assert_eq!(key(&mut m, &request(), 0), base, "same request, same key");
    assert_ne!(key(&mut m, &request(), 1), base, "requestor");
    let mut salted = request();
    salted[o::SALT + 31] ^= 1;
    assert_ne!(key(&mut m, &salted, 0), base, "salt");
    let mut lower = request();
    lower[o::CPUSVN] = 4;
    assert_ne!(key(&mut m, &lower, 0), base, "CPUSVN");
    // Extending RTMR[1] (not selected) keeps the key; RTMR[2] (selected) changes it.
    let mut mem = FlatMemory::new(MEM, 0x2000);
    for index in [1u64, 2] {
        let mut ext = input(0);
        ext[Gpr::Rax] = rax(TDG_MR_RTMR_EXTEND, 0);
        ext[Gpr::Rcx] = MEM;
        ext[Gpr::Rdx] = index;
        assert!(matches!(m.tdcall(&ext, &mut mem), Completion::Completed(r) if r[Gpr::Rax] == 0));
        let k = key(&mut m, &request(), 0);
        assert_eq!(k == base, index == 1, "after extending RTMR[{index}]");
    }
    // The R9 key size follows the SEAMGETKEY request's key_size.
    let mut m = TdxModule::new(TdConfig {
        module_version: ModuleVersion::V2_0_18,
        seal_key_size: 1,
        ..TdConfig::default()
    });
    m.set_key_get_enables(true, true, false);
    assert_eq!(key_get(&mut m, &request(), &input(0)).1, 256);
}

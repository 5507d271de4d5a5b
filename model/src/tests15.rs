//! Unit tests of the TDX 1.5 leaves 9–12, 18, 20, 22–27.

use crate::contract::{lookup, OnFailure};
use crate::field_id::{FieldId, NULL};
use crate::leaf::*;
use crate::memory::{FlatMemory, GuestMemory, NoMemory};
use crate::module::*;
use crate::regs::{Gpr, RegSet, Regs};
use crate::status::*;

const BASE: u64 = 0x8000_0000;

/// The 1.5.05 module these tests were written from; rules keyed by version have tests of
/// their own over every version.
fn cfg() -> TdConfig {
    TdConfig {
        module_version: crate::ModuleVersion::V1_5_05,
        ..TdConfig::default()
    }
}

fn regs(rax: u64, inputs: &[(Gpr, u64)]) -> Regs {
    let mut r = Regs::default();
    for (i, v) in r.gpr.iter_mut().enumerate() {
        *v = 0xDEAD_0000_0000_0000 | (i as u64) << 8 | 0x5A;
    }
    r[Gpr::Rax] = rax;
    for (g, v) in inputs {
        r[*g] = *v;
    }
    r
}

/// Run a completed TDCALL and check that only registers of the contract's `may_modify` changed.
fn run(m: &mut TdxModule, input: &Regs, mem: &mut dyn GuestMemory) -> Regs {
    let out = match m.tdcall(input, mem) {
        Completion::Completed(r) => r,
        other => panic!("expected Completed, got {other:?}"),
    };
    let c = lookup(leaf_of(input[Gpr::Rax]), 0).unwrap();
    let diff = out.diff(input);
    assert_eq!(
        diff.minus(c.may_modify),
        RegSet::EMPTY,
        "{}: writes outside may_modify",
        c.name
    );
    out
}

/// Check the contract defaults after a failure: every `Default` output holds its value, every
/// `Unchanged` output its input.
fn assert_defaults(input: &Regs, out: &Regs) {
    let c = lookup(leaf_of(input[Gpr::Rax]), 0).unwrap();
    for o in c.outputs {
        match o.on_failure {
            OnFailure::Default(v) => assert_eq!(out[o.reg], v, "{} {:?}", c.name, o.reg),
            OnFailure::Unchanged => assert_eq!(out[o.reg], input[o.reg], "{} {:?}", c.name, o.reg),
        }
    }
}

fn fail(m: &mut TdxModule, input: &Regs, mem: &mut dyn GuestMemory) -> u64 {
    let out = run(m, input, mem);
    assert_defaults(input, &out);
    out[Gpr::Rax]
}

// ------------------------------------------------------------------ TDG.VP.RD / WR

const VCPU_INDEX: u64 = 0xA020_0002_0000_0002;
const CPUID_SUP_VE: u64 = 0xA020_0000_0000_0007;
const CPUID_USER_VE: u64 = 0xA020_0000_0000_0008;
const CPUID_CONTROL: u64 = 0xA120_0000_0000_0000;
const EXIT_REASON: u64 = 0x0220_0002_0000_0000;
const L2_MSR_BITMAPS_1: u64 = 0x2520_0003_0000_0000;

fn vp_rd(m: &mut TdxModule, rcx: u64, id: u64) -> Regs {
    run(
        m,
        &regs(rax(TDG_VP_RD, 0), &[(Gpr::Rcx, rcx), (Gpr::Rdx, id)]),
        &mut NoMemory,
    )
}

fn vp_wr(m: &mut TdxModule, id: u64, value: u64, mask: u64) -> Regs {
    run(
        m,
        &regs(
            rax(TDG_VP_WR, 0),
            &[
                (Gpr::Rcx, 0),
                (Gpr::Rdx, id),
                (Gpr::R8, value),
                (Gpr::R9, mask),
            ],
        ),
        &mut NoMemory,
    )
}

#[test]
fn vp_rd_paths_and_defaults() {
    let mut m = TdxModule::new(TdConfig {
        vcpu_index: 3,
        ..cfg()
    });
    // RCX != 0 (any bit) -> OPERAND_INVALID + RCX, RDX = -1, R8 = 0.
    let i = regs(
        rax(TDG_VP_RD, 0),
        &[(Gpr::Rcx, 1 << 63), (Gpr::Rdx, VCPU_INDEX)],
    );
    assert_eq!(fail(&mut m, &i, &mut NoMemory), 0xC000_0100_0000_0001);
    // Null ID (context bits ignored) -> first readable element.
    let o = vp_rd(&mut m, 0, NULL & !(7 << 52));
    assert_eq!(o[Gpr::Rax], TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT);
    assert_eq!(o[Gpr::Rdx], VCPU_INDEX);
    assert_eq!(o[Gpr::R8], 0);
    // Read VCPU_INDEX (context code ignored: 0 given).
    let o = vp_rd(&mut m, 0, VCPU_INDEX & !(7 << 52));
    assert_eq!(o[Gpr::Rax], TDX_SUCCESS);
    assert_eq!(o[Gpr::R8], 3);
    assert_eq!(o[Gpr::Rdx], CPUID_SUP_VE);
    // Not readable, unknown, reserved bits, last-element bits, L2 entry without L2 VM.
    for (id, st) in [
        (EXIT_REASON, TDX_METADATA_FIELD_NOT_READABLE),
        (0xA020_0002_0000_0003, TDX_METADATA_FIELD_ID_INCORRECT),
        (VCPU_INDEX | 1 << 62, TDX_METADATA_FIELD_ID_INCORRECT),
        (VCPU_INDEX | 1 << 34, TDX_METADATA_FIELD_ID_INCORRECT),
        (L2_MSR_BITMAPS_1, TDX_METADATA_FIELD_ID_INCORRECT),
    ] {
        let i = regs(rax(TDG_VP_RD, 0), &[(Gpr::Rcx, 0), (Gpr::Rdx, id)]);
        assert_eq!(fail(&mut m, &i, &mut NoMemory), st, "{id:#x}");
    }
}

#[test]
fn vp_rd_iteration() {
    for (n, expect) in [
        (0u8, 1 + 1 + 1 + 4 + 4 + 128),
        (1, 139 + 512),
        (3, 139 + 3 * 512),
    ] {
        let mut m = TdxModule::new(TdConfig {
            num_l2_vms: n,
            ..cfg()
        });
        let mut id = vp_rd(&mut m, 0, NULL)[Gpr::Rdx];
        let mut count = 0;
        let mut last = 0;
        while id != NULL {
            let o = vp_rd(&mut m, 0, id);
            assert_eq!(o[Gpr::Rax], TDX_SUCCESS, "{id:#x}");
            count += 1;
            last = id;
            id = o[Gpr::Rdx];
        }
        assert_eq!(count, expect, "NUM_L2_VMS {n}");
        if n == 0 {
            assert_eq!(last, CPUID_CONTROL + 127);
        }
    }
    // Within an entry the input ID's other bits are kept (element size code 0 given for an
    // 8-byte field).
    let mut m = TdxModule::new(cfg());
    let o = vp_rd(&mut m, 0, 0xA020_0000_0000_0050);
    assert_eq!(o[Gpr::Rdx], 0xA020_0000_0000_0051);
    // Last TSC_DEADLINE -> CPUID_CONTROL[0] (skips the non-readable GPA entries).
    let o = vp_rd(&mut m, 0, 0xA020_0003_0000_005B);
    assert_eq!(o[Gpr::R8], u64::MAX);
    assert_eq!(o[Gpr::Rdx], CPUID_CONTROL);
}

/// From 1.5.34 a locked TD_CTLS freezes the CPUID #VE controls in TDG.VP.WR too.
#[test]
fn vp_wr_cpuid_ve_frozen_by_td_ctls_lock() {
    const SUP: u64 = 0xA020_0000_0000_0007;
    const TD_CTLS: u64 = 0x9110_0003_0000_0017;
    for v in crate::ModuleVersion::ALL {
        let newer = v >= crate::ModuleVersion::V1_5_34;
        let mut m = TdxModule::new(TdConfig {
            module_version: v,
            ..cfg()
        });
        let lock = 1 << 63;
        let wr = regs(
            rax(TDG_VM_WR, 0),
            &[
                (Gpr::Rcx, 0),
                (Gpr::Rdx, TD_CTLS),
                (Gpr::R8, lock),
                (Gpr::R9, lock),
            ],
        );
        let st = run(&mut m, &wr, &mut NoMemory)[Gpr::Rax];
        assert_eq!(st == TDX_SUCCESS, newer, "{v}: {st:#x}");
        let o = vp_wr(&mut m, SUP, 1, 0xFF);
        if newer {
            assert_eq!(o[Gpr::Rax], TDX_METADATA_FIELD_VALUE_NOT_VALID, "{v}");
            assert_eq!(m.cpuid_ve(), (false, false), "{v}");
            // The same value (the base of a full-element write is 0) is taken.
            assert_eq!(vp_wr(&mut m, SUP, 0, 0xFF)[Gpr::Rax], TDX_SUCCESS, "{v}");
        } else {
            assert_eq!(o[Gpr::Rax], TDX_SUCCESS, "{v}");
            assert_eq!(m.cpuid_ve(), (true, false), "{v}");
        }
    }
}

#[test]
fn vp_wr_paths() {
    let mut m = TdxModule::new(cfg());
    // CPUID_SUPERVISOR_VE shares state with TDG.VP.CPUIDVE.SET.
    let o = vp_wr(&mut m, CPUID_SUP_VE, 1, 0xFF);
    assert_eq!(o[Gpr::Rax], TDX_SUCCESS);
    assert_eq!(o[Gpr::R8], 0);
    assert_eq!(m.cpuid_ve(), (true, false));
    let o = run(
        &mut m,
        &regs(rax(TDG_VP_CPUIDVE_SET, 0), &[(Gpr::Rcx, 2)]),
        &mut NoMemory,
    );
    assert_eq!(o[Gpr::Rax], TDX_SUCCESS);
    assert_eq!(vp_rd(&mut m, 0, CPUID_SUP_VE)[Gpr::R8], 0);
    assert_eq!(vp_rd(&mut m, 0, CPUID_USER_VE)[Gpr::R8], 1);
    // A byte field takes any byte value; old value returned.
    assert_eq!(vp_wr(&mut m, CPUID_USER_VE, 0x80, 0xFF)[Gpr::R8], 1);
    assert_eq!(vp_rd(&mut m, 0, CPUID_USER_VE)[Gpr::R8], 0x80);
    // CPUID_CONTROL[5]: write mask 3. Partial write keeps the other bits.
    assert_eq!(
        vp_wr(&mut m, CPUID_CONTROL + 5, 3, 3)[Gpr::Rax],
        TDX_SUCCESS
    );
    assert_eq!(vp_wr(&mut m, CPUID_CONTROL + 5, 0, 1)[Gpr::R8], 3);
    assert_eq!(vp_rd(&mut m, 0, CPUID_CONTROL + 5)[Gpr::R8], 2);
    // Bits outside the write mask must equal the current value.
    let i = regs(
        rax(TDG_VP_WR, 0),
        &[
            (Gpr::Rcx, 0),
            (Gpr::Rdx, CPUID_CONTROL + 5),
            (Gpr::R8, 0x12),
            (Gpr::R9, 0xFF),
        ],
    );
    assert_eq!(
        fail(&mut m, &i, &mut NoMemory),
        TDX_METADATA_FIELD_VALUE_NOT_VALID
    );
    let o = vp_wr(&mut m, CPUID_CONTROL + 5, 0x01, 0xFF);
    assert_eq!((o[Gpr::Rax], o[Gpr::R8]), (TDX_SUCCESS, 2));
    // Not writable / RCX / unknown; RDX is never written by WR.
    for (rcx, id, mask, st) in [
        (0, VCPU_INDEX, u64::MAX, TDX_METADATA_FIELD_NOT_WRITABLE),
        (0, CPUID_CONTROL, 0x4, TDX_METADATA_FIELD_NOT_WRITABLE),
        (0, EXIT_REASON, u64::MAX, TDX_METADATA_FIELD_NOT_WRITABLE),
        (7, CPUID_CONTROL, 1, 0xC000_0100_0000_0001),
        (0, 0x1234_5678, 1, TDX_METADATA_FIELD_ID_INCORRECT),
    ] {
        let i = regs(
            rax(TDG_VP_WR, 0),
            &[
                (Gpr::Rcx, rcx),
                (Gpr::Rdx, id),
                (Gpr::R8, 1),
                (Gpr::R9, mask),
            ],
        );
        assert_eq!(fail(&mut m, &i, &mut NoMemory), st);
    }
    // L2 MSR bitmaps writable with an L2 VM.
    let mut m = TdxModule::new(TdConfig {
        num_l2_vms: 1,
        ..cfg()
    });
    assert_eq!(
        vp_wr(&mut m, L2_MSR_BITMAPS_1 + 3, 0, u64::MAX)[Gpr::R8],
        u64::MAX
    );
    assert_eq!(vp_rd(&mut m, 0, L2_MSR_BITMAPS_1 + 3)[Gpr::R8], 0);
}

// ------------------------------------------------------------------ TDG.SYS.RD / RDALL

const VENDOR_ID: u64 = 0x0800_0002_0000_0000;
const MINOR_VERSION: u64 = 0x0800_0001_0000_0003;
const MAJOR_VERSION: u64 = 0x0800_0001_0000_0004;
const TDX_FEATURES0_ID: u64 = 0x0A00_0003_0000_0008;

fn sys_rd(m: &mut TdxModule, id: u64) -> Regs {
    run(
        m,
        &regs(rax(TDG_SYS_RD, 0), &[(Gpr::Rdx, id)]),
        &mut NoMemory,
    )
}

/// A guest that reads MAJOR_VERSION, MINOR_VERSION and TDX_FEATURES0 selects the version it
/// runs on, with or without the platform-dependent bits; a major.minor no version has falls
/// back to the newest, said so.
#[test]
fn version_selected_from_what_the_guest_reads() {
    for v in crate::ModuleVersion::ALL {
        for (sealing, local_attestation) in [(false, false), (true, true)] {
            let mut c = cfg();
            c.module_version = v;
            c.seamverifyreport_available = local_attestation;
            c.sealing_supported = sealing;
            let mut m = TdxModule::new(c);
            let read = |m: &mut TdxModule, id| {
                let out = sys_rd(m, id);
                assert_eq!(out[Gpr::Rax], TDX_SUCCESS, "{v} field {id:#x}");
                out[Gpr::R8]
            };
            let (major, minor) = (read(&mut m, MAJOR_VERSION), read(&mut m, MINOR_VERSION));
            let features = read(&mut m, TDX_FEATURES0_ID);
            let s = crate::ModuleVersion::select(major, minor, features);
            assert_eq!(s.version, v, "features {features:#x}");
            assert!(s.same_major_minor && s.features_matched);
        }
    }
    let old = crate::ModuleVersion::select(1, 0, 0);
    assert_eq!(old.version, crate::ModuleVersion::NEWEST);
    assert!(!old.same_major_minor);
    // A 1.5 module reporting fewer features than 1.5.05 always does: the oldest 1.5.
    let s = crate::ModuleVersion::select(1, 5, 0);
    assert_eq!(s.version, crate::ModuleVersion::V1_5_05);
    assert!(s.same_major_minor && !s.features_matched);
}

#[test]
fn sys_rd_paths() {
    let mut m = TdxModule::new(cfg());
    let o = sys_rd(&mut m, NULL);
    assert_eq!(o[Gpr::Rax], TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT);
    assert_eq!((o[Gpr::Rdx], o[Gpr::R8]), (VENDOR_ID, 0));
    let o = sys_rd(&mut m, VENDOR_ID | 3 << 52); // context ignored
    assert_eq!((o[Gpr::Rax], o[Gpr::R8]), (TDX_SUCCESS, 0x8086));
    assert_eq!(o[Gpr::Rdx], MINOR_VERSION);
    let o = sys_rd(&mut m, MINOR_VERSION);
    assert_eq!(o[Gpr::Rdx], MAJOR_VERSION);
    // MAJOR.MINOR are the build's: 1.5 on 1.5.x, 2.0 on 2.0.x.
    for (v, want) in [
        (crate::ModuleVersion::V1_5_05, (1, 5)),
        (crate::ModuleVersion::V1_5_34, (1, 5)),
        (crate::ModuleVersion::V2_0_18, (2, 0)),
    ] {
        let mut mv = TdxModule::new(TdConfig {
            module_version: v,
            ..cfg()
        });
        let major = sys_rd(&mut mv, MAJOR_VERSION)[Gpr::R8];
        let minor = sys_rd(&mut mv, MINOR_VERSION)[Gpr::R8];
        assert_eq!((major, minor), want, "{v}");
    }
    assert_eq!(sys_rd(&mut m, TDX_FEATURES0_ID)[Gpr::R8], 0x1F_0FBF);
    assert_eq!(m.sys_metadata(0xA200_0001_0000_0000), Some(0x807F));
    let mut m2 = TdxModule::new(TdConfig {
        seamverifyreport_available: false,
        ..cfg()
    });
    assert_eq!(sys_rd(&mut m2, TDX_FEATURES0_ID)[Gpr::R8], 0x1F_0EBF);
    // Iteration: 12 readable elements.
    let mut id = sys_rd(&mut m, NULL)[Gpr::Rdx];
    let mut n = 0;
    while id != NULL {
        let o = sys_rd(&mut m, id);
        assert_eq!(o[Gpr::Rax], TDX_SUCCESS);
        n += 1;
        id = o[Gpr::Rdx];
    }
    assert_eq!(n, 12);
    // Errors with defaults.
    for (id, st) in [
        (0x0000_0002_0000_0000, TDX_METADATA_FIELD_NOT_READABLE), // NUM_PKGS
        (0x9900_0001_0000_0008, TDX_METADATA_FIELD_NOT_READABLE), // MAX_VCPUS_PER_TD
        (0x0800_0001_0000_0007, TDX_METADATA_FIELD_ID_INCORRECT),
        (VENDOR_ID | 1 << 24, TDX_METADATA_FIELD_ID_INCORRECT),
        (VENDOR_ID | 1 << 38, TDX_METADATA_FIELD_ID_INCORRECT),
    ] {
        let i = regs(rax(TDG_SYS_RD, 0), &[(Gpr::Rdx, id)]);
        assert_eq!(fail(&mut m, &i, &mut NoMemory), st, "{id:#x}");
    }
    assert_eq!(m.sys_metadata(0x0000_0002_0000_0000), None);
}

fn le16(b: &[u8], o: usize) -> u64 {
    u16::from_le_bytes([b[o], b[o + 1]]) as u64
}

fn le64(b: &[u8], o: usize) -> u64 {
    let mut q = [0u8; 8];
    q.copy_from_slice(&b[o..o + 8]);
    u64::from_le_bytes(q)
}

#[test]
fn sys_rdall_full_list() {
    let mut m = TdxModule::new(cfg());
    let list = 0x10_0000u64;
    let mut mem = FlatMemory::new(list, 0x1000);
    mem.bytes.fill(0xEE);
    let o = run(
        &mut m,
        &regs(rax(TDG_SYS_RDALL, 0), &[(Gpr::Rdx, list), (Gpr::R8, NULL)]),
        &mut mem,
    );
    assert_eq!((o[Gpr::Rax], o[Gpr::R8]), (TDX_SUCCESS, NULL));
    let b = &mem.bytes;
    assert_eq!(le16(b, 0), 168);
    assert_eq!(le16(b, 2), 8);
    assert_eq!(&b[4..8], &[0; 4]);
    // Sequence 1: VENDOR_ID.
    assert_eq!(le64(b, 8), VENDOR_ID);
    assert_eq!(le64(b, 16), 0x8086);
    // Sequence 2: MINOR_VERSION, MAJOR_VERSION (LAST_FIELD_IN_SEQUENCE = 1).
    assert_eq!(le64(b, 24), MINOR_VERSION | 1 << 38);
    assert_eq!((le64(b, 32), le64(b, 40)), (5, 1));
    // Sequences 3-5: SYS_ATTRIBUTES, NUM_TDX_FEATURES, TDX_FEATURES0 (element sizes differ).
    assert_eq!(le64(b, 48), 0x0A00_0002_0000_0000);
    assert_eq!(le64(b, 64), 0x0A00_0000_0000_0001);
    assert_eq!(le64(b, 72), 1);
    assert_eq!(le64(b, 80), TDX_FEATURES0_ID);
    assert_eq!(le64(b, 88), 0x1F_0FBF);
    // Sequence 6: MIG_ATTRIBUTES; 7: the four migration versions; 8: GUEST_L2_GPA_ATTR_MASK.
    assert_eq!(le64(b, 96), 0xA000_0003_0000_0000);
    assert_eq!(le64(b, 112), 0x2000_00C1_0000_0001);
    assert_eq!(le64(b, 152), 0xA200_0001_0000_0000);
    assert_eq!(le64(b, 160), 0x807F);
    // Nothing written past the list.
    assert!(b[168..].iter().all(|&x| x == 0xEE));
    // Continuation from a given field.
    let o = run(
        &mut m,
        &regs(
            rax(TDG_SYS_RDALL, 0),
            &[(Gpr::Rdx, list), (Gpr::R8, MAJOR_VERSION)],
        ),
        &mut mem,
    );
    assert_eq!((o[Gpr::Rax], o[Gpr::R8]), (TDX_SUCCESS, NULL));
    assert_eq!(le16(&mem.bytes, 2), 7);
    assert_eq!(le64(&mem.bytes, 8), MAJOR_VERSION);
    assert_eq!(le64(&mem.bytes, 16), 1);
}

/// TDG.SYS.RDALL by module version: 1.5.05 and 1.5.34 dump the whole list into the 4 KiB page
/// at once; 2.0.18 dumps at most 64 bytes per call and returns SUCCESS with R8 = the next
/// field until the list is done. Reading in a loop until R8 = -1 gives the same sequences.
#[test]
fn sys_rdall_chunks_by_module_version() {
    use crate::ModuleVersion;
    let list = 0x10_0000u64;
    let mut whole: Option<alloc::vec::Vec<u64>> = None;
    for version in ModuleVersion::ALL {
        let mut m = TdxModule::new(TdConfig {
            module_version: version,
            ..TdConfig::default()
        });
        let mut next = NULL;
        let mut calls = 0;
        let mut values: alloc::vec::Vec<u64> = alloc::vec::Vec::new();
        loop {
            let mut mem = FlatMemory::new(list, 0x1000);
            let o = run(
                &mut m,
                &regs(rax(TDG_SYS_RDALL, 0), &[(Gpr::Rdx, list), (Gpr::R8, next)]),
                &mut mem,
            );
            calls += 1;
            assert_eq!(
                o[Gpr::Rax],
                TDX_SUCCESS,
                "{version}: never LIST_OVERFLOW here"
            );
            let used = le16(&mem.bytes, 0) as usize;
            let limit = if version == ModuleVersion::V2_0_18 {
                64
            } else {
                4096
            };
            assert!(used <= limit, "{version}: {used} bytes in one call");
            // The element values of every sequence, in order (headers parsed, not compared:
            // a chunk boundary may split a sequence).
            let mut at = 8;
            while at < used {
                let hdr = le64(&mem.bytes, at);
                let n = (((hdr >> 34) & 0xF) + 1) * (((hdr >> 38) & 0x1FF) + 1);
                values.extend((0..n as usize).map(|k| le64(&mem.bytes, at + 8 + 8 * k)));
                at += 8 + 8 * n as usize;
            }
            assert_eq!(at, used, "{version}: sequences fill the list exactly");
            next = o[Gpr::R8];
            if next == NULL {
                break;
            }
            assert!(calls < 64, "{version}: no end");
        }
        if version == ModuleVersion::V2_0_18 {
            assert!(calls > 1, "2.0.18 dumps in chunks");
        } else {
            assert_eq!(calls, 1, "{version} dumps the list at once");
        }
        // The same values, in the same order, on every version, but MINOR_VERSION and
        // MAJOR_VERSION (after VENDOR_ID) and TDX_FEATURES0: the version's own; and 2.0.18's
        // GUEST_GPA_ATTR_MASK after TDX_FEATURES0 and TDX_CONNECT_FEATURES last.
        let (major, minor) = version.major_minor();
        assert_eq!(
            values[1..3],
            [u64::from(minor), u64::from(major)],
            "{version}"
        );
        values[1..3].fill(0);
        assert_eq!(
            Some(values[5]),
            m.sys_metadata(TDX_FEATURES0_ID),
            "{version}"
        );
        values[5] = 0;
        if version == ModuleVersion::V2_0_18 {
            assert_eq!(values.remove(6), 0, "GUEST_GPA_ATTR_MASK");
            assert_eq!(values.pop(), Some(0x1281), "TDX_CONNECT_FEATURES");
        }
        match &whole {
            None => whole = Some(values),
            Some(w) => assert_eq!(w, &values, "{version}"),
        }
    }
}

#[test]
fn sys_rdall_overflow_and_continuation() {
    let m = TdxModule::new(cfg());
    // 40 bytes: header, VENDOR_ID sequence, MINOR_VERSION only (MAJOR does not fit).
    let mut buf = [0u8; 40];
    let (st, next, used) = m.sys_dump_list(FieldId(NULL), &mut buf);
    assert_eq!(
        (st, next, used),
        (TDX_METADATA_LIST_OVERFLOW, MAJOR_VERSION, 40)
    );
    assert_eq!((le16(&buf, 0), le16(&buf, 2)), (40, 2));
    assert_eq!(le64(&buf, 24), MINOR_VERSION);
    // Continue in small pieces until done; every readable element is dumped exactly once.
    let mut start = next;
    let mut elems = 2;
    loop {
        let mut buf = [0u8; 40];
        let (st, next, used) = m.sys_dump_list(FieldId(start), &mut buf);
        let mut off = 8;
        while off < used {
            let h = le64(&buf, off);
            let fields = (h >> 38 & 0x1FF) + 1;
            elems += fields;
            off += 8 + 8 * fields as usize;
        }
        assert_eq!(off, used);
        if st == TDX_SUCCESS {
            assert_eq!(next, NULL);
            break;
        }
        assert_eq!(st, TDX_METADATA_LIST_OVERFLOW);
        start = next;
    }
    assert_eq!(elems, 12);
    // Too small for a header and one sequence.
    let mut tiny = [0u8; 16];
    assert_eq!(
        m.sys_dump_list(FieldId(VENDOR_ID), &mut tiny),
        (TDX_METADATA_LIST_OVERFLOW, VENDOR_ID, 0)
    );
}

#[test]
fn sys_rdall_errors() {
    let mut m = TdxModule::new(cfg());
    let mut mem = FlatMemory::new(0x10_0000, 0x1000);
    for (rdx, r8, st) in [
        (0x10_0800, NULL, 0xC000_0100_0000_0002),
        (0x10_0000 | 1 << 47, NULL, 0xC000_0100_0000_0002),
        (0x10_0000 | 1 << 52, NULL, 0xC000_0100_0000_0002),
        // VENDOR_ID is a 4-byte field: element size code 3 does not match.
        (
            0x10_0000,
            VENDOR_ID | 1 << 32,
            TDX_METADATA_FIELD_ID_INCORRECT,
        ),
        (
            0x10_0000,
            0x0800_0001_0000_0007,
            TDX_METADATA_FIELD_ID_INCORRECT,
        ),
    ] {
        let i = regs(rax(TDG_SYS_RDALL, 0), &[(Gpr::Rdx, rdx), (Gpr::R8, r8)]);
        assert_eq!(fail(&mut m, &i, &mut mem), st, "{rdx:#x} {r8:#x}");
    }
    assert!(mem.bytes.iter().all(|&x| x == 0));
    // Non-accepted private page: EPT-violation TD exit.
    m.set_page(BASE, 0, PageState::Pending);
    let i = regs(rax(TDG_SYS_RDALL, 0), &[(Gpr::Rdx, BASE), (Gpr::R8, NULL)]);
    assert_eq!(
        m.tdcall(&i, &mut mem),
        Completion::TdExit(TdExitReason::EptViolation { gpa: BASE })
    );
}

// ------------------------------------------------------------------ TDG.SERVTD.RD / WR

fn servtd_module(f: impl FnOnce(&mut ServtdTarget)) -> TdxModule {
    let c = cfg();
    let mut t = ServtdTarget::bound_to(c.td_uuid);
    f(&mut t);
    TdxModule::new(TdConfig {
        servtd_target: Some(t),
        ..c
    })
}

fn servtd_in(leaf: u16, handle: u64, id: u64, uuid: [u64; 4]) -> Regs {
    regs(
        rax(leaf, 0),
        &[
            (Gpr::Rcx, handle),
            (Gpr::Rdx, id),
            (Gpr::R8, 0),
            (Gpr::R9, 0),
            (Gpr::R10, uuid[0]),
            (Gpr::R11, uuid[1]),
            (Gpr::R12, uuid[2]),
            (Gpr::R13, uuid[3]),
        ],
    )
}

const TD_UUID0: u64 = 0x8010_0003_0000_0020;
const MIG_DEC_KEY: u64 = 0x9810_0003_0000_0010;
const MIG_VERSION: u64 = 0x9810_0001_0000_0020;

#[test]
fn servtd_rd_paths() {
    let mut m = servtd_module(|_| {});
    let t = m.config().servtd_target.clone().unwrap();
    let h = m.servtd_binding_handle().unwrap();
    assert_eq!(h, 0x1_2345_6000u64.wrapping_add(0x1111_1111_1111_1111));
    let uuid = t.td_uuid;
    // Success: TD_UUID[0], next = TD_UUID[1].
    let o = run(
        &mut m,
        &servtd_in(TDG_SERVTD_RD, h, TD_UUID0, uuid),
        &mut NoMemory,
    );
    assert_eq!(o[Gpr::Rax], TDX_SUCCESS);
    assert_eq!((o[Gpr::R8], o[Gpr::Rdx]), (uuid[0], TD_UUID0 + 1));
    // Null ID: first readable element.
    let o = run(
        &mut m,
        &servtd_in(TDG_SERVTD_RD, h, NULL, uuid),
        &mut NoMemory,
    );
    assert_eq!(o[Gpr::Rax], TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT);
    assert_eq!(o[Gpr::Rdx], TD_UUID0);
    // Last TD_UUID element -> NUM_L2_VMS (readable by the service TD, not by the guest).
    let o = run(
        &mut m,
        &servtd_in(TDG_SERVTD_RD, h, TD_UUID0 + 3, uuid),
        &mut NoMemory,
    );
    assert_eq!(o[Gpr::Rdx], 0x9010_0001_0000_0005);
    // Iterate all service-TD-readable elements (CPUID_VALUES skipped).
    let mut id = TD_UUID0;
    let mut n = 0;
    while id != NULL {
        let o = run(
            &mut m,
            &servtd_in(TDG_SERVTD_RD, h, id, uuid),
            &mut NoMemory,
        );
        assert_eq!(o[Gpr::Rax], TDX_SUCCESS, "{id:#x}");
        n += 1;
        id = o[Gpr::Rdx];
    }
    // TD_UUID 4, NUM_L2_VMS..TOPOLOGY_ENUM_CONFIGURED 7, EXPORT/IMPORT_COUNT 2, four keys 16,
    // MIG_VERSION + MIG_WORKING_VERSION 2, PRE_IMPORT_UUID 4, SERVTD_HASH 6, SERVTD_NUM 1,
    // X2APIC_IDS 576.
    assert_eq!(n, 4 + 7 + 2 + 16 + 2 + 4 + 6 + 1 + 576);
    // Status paths with defaults.
    let cases: [(u64, u64, [u64; 4], u64); 4] = [
        (h + 1, TD_UUID0, uuid, 0xC000_0100_0000_0001),
        (h + 0xFFF, TD_UUID0, uuid, 0xC000_0100_0000_0001),
        (h, TD_UUID0, [1, 2, 3, 4], TDX_TARGET_UUID_MISMATCH),
        (
            h,
            0x1310_0003_0000_0040,
            uuid,
            TDX_METADATA_FIELD_NOT_READABLE,
        ), // RTMR
    ];
    for (handle, id, u, st) in cases {
        let i = servtd_in(TDG_SERVTD_RD, handle, id, u);
        assert_eq!(fail(&mut m, &i, &mut NoMemory), st);
    }
    for (id, st) in [
        (0x9410_0003_0000_0000, TDX_METADATA_FIELD_ID_INCORRECT), // CPUID_VALUES
        (TD_UUID0 | 1 << 55, TDX_METADATA_FIELD_ID_INCORRECT),
        (0x8010_0003_0000_0024, TDX_METADATA_FIELD_ID_INCORRECT),
    ] {
        let i = servtd_in(TDG_SERVTD_RD, h, id, uuid);
        assert_eq!(fail(&mut m, &i, &mut NoMemory), st);
    }
    // Pre-import UUID: R10-R13 = current UUID, TARGET_UUID_UPDATED, RDX/R8 defaults.
    let i = servtd_in(TDG_SERVTD_RD, h, TD_UUID0, t.preimport_uuid);
    let o = run(&mut m, &i, &mut NoMemory);
    assert_eq!(o[Gpr::Rax], TDX_TARGET_UUID_UPDATED);
    assert_eq!([o[Gpr::R10], o[Gpr::R11], o[Gpr::R12], o[Gpr::R13]], uuid);
    assert_eq!((o[Gpr::Rdx], o[Gpr::R8]), (NULL, 0));
    // Busy bindings lock, busy RTMR lock.
    m.set_servtd_bindings_busy(true);
    let i = servtd_in(TDG_SERVTD_RD, h, TD_UUID0, uuid);
    assert_eq!(fail(&mut m, &i, &mut NoMemory), 0x8000_0200_0000_00AE);
    m.set_servtd_bindings_busy(false);
    m.set_rtmr_busy(true);
    assert_eq!(fail(&mut m, &i, &mut NoMemory), 0x8000_0200_0000_00A8);
}

#[test]
fn servtd_cross_td_traps() {
    let exit = |m: &mut TdxModule, handle: u64| {
        let uuid = m
            .config()
            .servtd_target
            .as_ref()
            .map_or([0; 4], |t| t.td_uuid);
        let i = servtd_in(TDG_SERVTD_RD, handle, TD_UUID0, uuid);
        // The trap-like exit: the TDCALL completes with the status, RIP past it, the
        // default outputs written (RDX = -1, R8 = 0); the exit itself is recorded.
        let i = Regs {
            gpr: {
                let mut g = i.gpr;
                g[Gpr::Rdx.index()] = 0x1234;
                g[Gpr::R8.index()] = 0x5678;
                g
            },
        };
        let out = match m.tdcall(&i, &mut NoMemory) {
            Completion::Completed(o) => o,
            other => panic!("expected a completed TDCALL, got {other:?}"),
        };
        let e = m
            .take_cross_td_trap()
            .expect("a cross-TD trap was recorded");
        let TdExitReason::CrossTdTrap { status, .. } = e else {
            panic!("{e:?}")
        };
        assert_eq!(out[Gpr::Rax], status);
        assert_eq!((out[Gpr::Rdx], out[Gpr::R8]), (u64::MAX, 0));
        assert_eq!(m.take_cross_td_trap(), None);
        e
    };
    let mut m = servtd_module(|_| {});
    let h = m.servtd_binding_handle().unwrap();
    assert_eq!(
        exit(&mut m, h + 0x1000),
        TdExitReason::CrossTdTrap {
            status: 0xC000_0100_0000_0080,
            target_tdr_pa: 0x1_2345_7000
        }
    );
    let mut m = servtd_module(|t| t.bound = false);
    assert_eq!(
        exit(&mut m, h),
        TdExitReason::CrossTdTrap {
            status: TDX_SERVTD_NOT_BOUND,
            target_tdr_pa: 0x1_2345_6000
        }
    );
    let mut m = servtd_module(|t| t.binding_uuid = [9; 4]);
    assert!(
        matches!(exit(&mut m, h), TdExitReason::CrossTdTrap { status, .. } if status == TDX_SERVTD_UUID_MISMATCH)
    );
    let mut m = servtd_module(|t| t.info_hash_matches = false);
    assert!(
        matches!(exit(&mut m, h), TdExitReason::CrossTdTrap { status, .. } if status == TDX_SERVTD_INFO_HASH_MISMATCH)
    );
    let mut m = TdxModule::new(cfg());
    assert!(m.servtd_binding_handle().is_none());
    assert!(matches!(exit(&mut m, h), TdExitReason::CrossTdTrap { .. }));
}

#[test]
fn servtd_wr_paths() {
    let mut m = servtd_module(|_| {});
    let h = m.servtd_binding_handle().unwrap();
    let uuid = m.config().servtd_target.as_ref().unwrap().td_uuid;
    let wr = |_m: &mut TdxModule, id: u64, v: u64, mask: u64| {
        let mut i = servtd_in(TDG_SERVTD_WR, h, id, uuid);
        i[Gpr::R8] = v;
        i[Gpr::R9] = mask;
        i
    };
    let i = wr(&mut m, MIG_DEC_KEY + 2, 0x1234, u64::MAX);
    let o = run(&mut m, &i, &mut NoMemory);
    assert_eq!((o[Gpr::Rax], o[Gpr::R8]), (TDX_SUCCESS, 0));
    assert_eq!(o[Gpr::Rdx], i[Gpr::Rdx]);
    assert_eq!(m.servtd_mig_dec_key(), [0, 0, 0x1234, 0]);
    let i = wr(&mut m, MIG_DEC_KEY + 2, 0, 0xFF);
    assert_eq!(run(&mut m, &i, &mut NoMemory)[Gpr::R8], 0x1234);
    assert_eq!(m.servtd_mig_dec_key()[2], 0x1200);
    // MIG_VERSION: only 0 is valid in 1.5.05.
    let i = wr(&mut m, MIG_VERSION, 1, 0xFFFF);
    assert_eq!(
        fail(&mut m, &i, &mut NoMemory),
        TDX_METADATA_FIELD_VALUE_NOT_VALID
    );
    let i = wr(&mut m, MIG_VERSION, 0, 0xFFFF);
    assert_eq!(run(&mut m, &i, &mut NoMemory)[Gpr::Rax], TDX_SUCCESS);
    // Forbidden bits (above the 2-byte element) must match the current value.
    let i = wr(&mut m, MIG_VERSION, 1 << 20, u64::MAX);
    assert_eq!(
        fail(&mut m, &i, &mut NoMemory),
        TDX_METADATA_FIELD_VALUE_NOT_VALID
    );
    // Not writable by the service TD.
    let i = wr(&mut m, 0x1110_0003_0000_0000, 1, u64::MAX); // ATTRIBUTES
    assert_eq!(
        fail(&mut m, &i, &mut NoMemory),
        TDX_METADATA_FIELD_NOT_WRITABLE
    );
    // Null ID is not special for WR: FIELD_ID_INCORRECT.
    let i = wr(&mut m, NULL, 1, 1);
    assert_eq!(
        fail(&mut m, &i, &mut NoMemory),
        TDX_METADATA_FIELD_ID_INCORRECT
    );
}

// ------------------------------------------------------------------ TDG.MR.VERIFYREPORT

#[test]
fn verifyreport_genuine_and_modified() {
    let mut m = TdxModule::new(cfg());
    let base = 0x10_0000u64;
    let mut mem = FlatMemory::new(base, 0x2000);
    mem.bytes[0x1000..0x1040].fill(0x42);
    let o = run(
        &mut m,
        &regs(
            rax(TDG_MR_REPORT, 0),
            &[(Gpr::Rcx, base), (Gpr::Rdx, base + 0x1000), (Gpr::R8, 0)],
        ),
        &mut mem,
    );
    assert_eq!(o[Gpr::Rax], TDX_SUCCESS);
    let verify = |m: &mut TdxModule, mem: &mut FlatMemory, gpa: u64| {
        run(
            m,
            &regs(rax(TDG_MR_VERIFYREPORT, 0), &[(Gpr::Rcx, gpa)]),
            mem,
        )[Gpr::Rax]
    };
    assert_eq!(verify(&mut m, &mut mem, base), TDX_SUCCESS);
    // An RTMR extend later does not invalidate an earlier report.
    mem.bytes[0x1100..0x1130].fill(7);
    let o = run(
        &mut m,
        &regs(
            rax(TDG_MR_RTMR_EXTEND, 0),
            &[(Gpr::Rcx, base + 0x1100), (Gpr::Rdx, 2)],
        ),
        &mut mem,
    );
    assert_eq!(o[Gpr::Rax], TDX_SUCCESS);
    assert_eq!(verify(&mut m, &mut mem, base), TDX_SUCCESS);
    // Any modification of bytes 0..224 or of the MAC fails; CPUSVN first.
    for off in [0usize, 20, 40, 100, 130, 200, 223, 224, 255] {
        mem.bytes[off] ^= 1;
        let expect = if (16..32).contains(&off) {
            TDX_INVALID_CPUSVN
        } else {
            TDX_INVALID_REPORTMACSTRUCT
        };
        assert_eq!(verify(&mut m, &mut mem, base), expect, "byte {off}");
        mem.bytes[off] ^= 1;
    }
    assert_eq!(verify(&mut m, &mut mem, base), TDX_SUCCESS);
    // A copy at another 256-aligned GPA verifies too.
    let copy: alloc::vec::Vec<u8> = mem.bytes[..256].to_vec();
    mem.bytes[0x1F00..].copy_from_slice(&copy);
    assert_eq!(verify(&mut m, &mut mem, base + 0x1F00), TDX_SUCCESS);
    // Operand errors.
    for gpa in [base + 0x80, base | 1 << 47, 1 << 52] {
        assert_eq!(
            verify(&mut m, &mut mem, gpa),
            0xC000_0100_0000_0001,
            "{gpa:#x}"
        );
    }
    // Not accessible: TD exit; not backed: TD exit.
    m.set_page(BASE, 0, PageState::Pending);
    let i = regs(rax(TDG_MR_VERIFYREPORT, 0), &[(Gpr::Rcx, BASE)]);
    assert_eq!(
        m.tdcall(&i, &mut mem),
        Completion::TdExit(TdExitReason::EptViolation { gpa: BASE })
    );
    // SEAMVERIFYREPORT unavailable: OPERAND_INVALID + RAX before anything else.
    let mut m = TdxModule::new(TdConfig {
        seamverifyreport_available: false,
        ..cfg()
    });
    assert_eq!(verify(&mut m, &mut mem, base + 0x80), 0xC000_0100_0000_0000);
}

// ------------------------------------------------------------------ TDG.MEM.PAGE.ATTR.RD / WR

fn attr_rd(m: &mut TdxModule, gpa: u64) -> Regs {
    run(
        m,
        &regs(rax(TDG_MEM_PAGE_ATTR_RD, 0), &[(Gpr::Rcx, gpa)]),
        &mut NoMemory,
    )
}

fn attr_wr_in(rcx: u64, rdx: u64, r8: u64) -> Regs {
    regs(
        rax(TDG_MEM_PAGE_ATTR_WR, 0),
        &[(Gpr::Rcx, rcx), (Gpr::Rdx, rdx), (Gpr::R8, r8)],
    )
}

#[test]
fn page_attr_rd_paths() {
    let mut m = TdxModule::new(TdConfig {
        num_l2_vms: 2,
        ..cfg()
    });
    // Outside the region: accepted 4 KiB page, no alias.
    let o = attr_rd(&mut m, 0x10_0123);
    assert_eq!(
        (o[Gpr::Rax], o[Gpr::Rcx], o[Gpr::Rdx]),
        (TDX_SUCCESS, 0x10_0000, 0)
    );
    // Pending 2 MiB leaf: level 1, PENDING.
    m.set_page(BASE, 1, PageState::Pending);
    let o = attr_rd(&mut m, BASE + 0x1234);
    assert_eq!(o[Gpr::Rcx], BASE | 1 | 1 << 62);
    // Errors: defaults RCX = RDX = 0.
    for (gpa, st) in [
        (BASE | 1 << 47, 0xC000_0100_0000_0001),
        (1 << 52, 0xC000_0100_0000_0001),
    ] {
        let i = regs(rax(TDG_MEM_PAGE_ATTR_RD, 0), &[(Gpr::Rcx, gpa)]);
        assert_eq!(fail(&mut m, &i, &mut NoMemory), st);
    }
    m.set_busy(BASE, true);
    let i = regs(rax(TDG_MEM_PAGE_ATTR_RD, 0), &[(Gpr::Rcx, BASE)]);
    assert_eq!(fail(&mut m, &i, &mut NoMemory), 0x8000_0200_0000_0001);
    let g = BASE + PAGE_2M + 0x345;
    let i = regs(rax(TDG_MEM_PAGE_ATTR_RD, 0), &[(Gpr::Rcx, g)]);
    assert_eq!(
        m.tdcall(&i, &mut NoMemory),
        Completion::TdExit(TdExitReason::EptViolation {
            gpa: BASE + PAGE_2M
        })
    );
}

#[test]
fn page_attr_wr_paths() {
    const RWX: u64 = 0x8007;
    let mut m = TdxModule::new(TdConfig {
        num_l2_vms: 2,
        ..cfg()
    });
    let g = BASE + 0x5000;
    m.set_page(g, 0, PageState::Accepted);
    // Create a VM 1 alias R|W|XS, INVEPT requested.
    let o = run(
        &mut m,
        &attr_wr_in(g, RWX << 16, 0x8007 << 16),
        &mut NoMemory,
    );
    assert_eq!(o[Gpr::Rax], TDX_SUCCESS);
    assert_eq!((o[Gpr::Rcx], o[Gpr::Rdx]), (g, RWX << 16));
    assert_eq!(m.l2_page_attr(g), [0, 0x8007, 0, 0]);
    assert_eq!(m.invept_count(), 1);
    assert_eq!(attr_rd(&mut m, g)[Gpr::Rdx], RWX << 16);
    // Masked update of the alias: clear W only.
    let o = run(
        &mut m,
        &attr_wr_in(g, 0x8001 << 16, 0x0002 << 16),
        &mut NoMemory,
    );
    assert_eq!(o[Gpr::Rdx], 0x8005 << 16);
    // Illegal result (W without R): PAGE_ATTR_INVALID, RCX = 0, RDX = words, nothing changed.
    let i = attr_wr_in(g, (0x8002 << 16) | (0x8002 << 32), 0x0003 << 16);
    let o = run(&mut m, &i, &mut NoMemory);
    assert_eq!(o[Gpr::Rax], TDX_PAGE_ATTR_INVALID);
    // VM 2's word (VALID, not present, not aliased) is returned as given.
    assert_eq!((o[Gpr::Rcx], o[Gpr::Rdx]), (0, 0x8005 << 16 | 0x8002 << 32));
    assert_eq!(m.l2_page_attr(g), [0, 0x8005, 0, 0]);
    // Remove the alias: VALID with no access bits.
    let o = run(
        &mut m,
        &attr_wr_in(g, 0x8000 << 16, 0xFFFF << 16),
        &mut NoMemory,
    );
    assert_eq!(o[Gpr::Rdx], 0x8000 << 16);
    assert_eq!(m.l2_page_attr(g), [0; 4]);
    // Operand errors in order, defaults RCX = RDX = 0.
    for (rcx, rdx, r8, st) in [
        (g, 1, 0, 0xC000_0100_0000_0002),            // VM 0 attr
        (g, 0, 1, 0xC000_0100_0000_0008),            // VM 0 flags
        (g, 0x0007 << 16, 0, 0xC000_0100_0000_0002), // no VALID
        (g, RWX << 48, 0, 0xC000_0100_0000_0002),    // VM 3 does not exist
        (g, 0, 1 << 48, 0xC000_0100_0000_0008),      // VM 3 flags
        (g | 1 << 3, 0, 0, 0xC000_0100_0000_0001),   // reserved
        (g | 3, 0, 0, 0xC000_0100_0000_0001),        // level 3
        (g | 1, 0, 0, 0xC000_0100_0000_0001),        // not 2 MiB aligned
        (g | 1 << 47, 0, 0, 0xC000_0100_0000_0001),  // shared
        (BASE | 2, 0, 0, 0xC000_0B0B_0000_0002),     // 1 GiB: non-leaf
        (BASE | 1, 0, 0, 0xC000_0B0B_0000_0001),     // 2 MiB on a split range
    ] {
        let i = attr_wr_in(rcx, rdx, r8);
        assert_eq!(
            fail(&mut m, &i, &mut NoMemory),
            st,
            "{rcx:#x} {rdx:#x} {r8:#x}"
        );
    }
    m.set_busy(g, true);
    assert_eq!(
        fail(&mut m, &attr_wr_in(g, RWX << 16, 0), &mut NoMemory),
        0x8000_0200_0000_0001
    );
    m.set_busy(g, false);
    // Free leaf / 4 KiB in a free PDE: EPT-violation TD exit.
    let f = BASE + 4 * PAGE_2M;
    assert_eq!(
        m.tdcall(&attr_wr_in(f, 0, 0), &mut NoMemory),
        Completion::TdExit(TdExitReason::EptViolation { gpa: f })
    );
    // L2 SEPT not ready.
    let mut m2 = TdxModule::new(TdConfig {
        num_l2_vms: 2,
        l2_sept_ready: false,
        ..cfg()
    });
    m2.set_page(g, 0, PageState::Accepted);
    assert_eq!(
        fail(&mut m2, &attr_wr_in(g, RWX << 32, 0x7 << 32), &mut NoMemory),
        TDX_L2_SEPT_WALK_FAILED | 2 << 16
    );
    // Without write-mask bits in R8 only VALID is taken: nothing is created.
    let o = run(&mut m2, &attr_wr_in(g, RWX << 32, 0), &mut NoMemory);
    assert_eq!((o[Gpr::Rax], o[Gpr::Rdx]), (TDX_SUCCESS, RWX << 32));
    assert_eq!(m2.l2_page_attr(g), [0; 4]);
    // NUM_L2_VMS = 0: only all-zero words; success changes nothing.
    let mut m0 = TdxModule::new(cfg());
    m0.set_page(g, 0, PageState::Accepted);
    assert_eq!(
        fail(&mut m0, &attr_wr_in(g, RWX << 16, 0), &mut NoMemory),
        0xC000_0100_0000_0002
    );
    let o = run(&mut m0, &attr_wr_in(g, 0, 0), &mut NoMemory);
    assert_eq!((o[Gpr::Rax], o[Gpr::Rcx], o[Gpr::Rdx]), (TDX_SUCCESS, g, 0));
    // 2 MiB alias survives a split (copied to the 4 KiB pages).
    let c = BASE + 8 * PAGE_2M;
    m.set_page(c, 1, PageState::Accepted);
    assert_eq!(
        run(
            &mut m,
            &attr_wr_in(c | 1, RWX << 32, 0x7 << 32),
            &mut NoMemory
        )[Gpr::Rax],
        TDX_SUCCESS
    );
    assert_eq!(m.l2_page_attr(c + 0x3000), [0, 0, 0x8007, 0]);
    m.set_page(c + 0x3000, 0, PageState::Accepted);
    assert_eq!(m.page(c + 0x4000).level, 0);
    assert_eq!(m.l2_page_attr(c + 0x4000), [0, 0, 0x8007, 0]);
}

// ------------------------------------------------------------------ TDG.VP.ENTER

#[test]
fn vp_enter_success_and_write_back() {
    let mut m = TdxModule::new(TdConfig {
        num_l2_vms: 1,
        ..cfg()
    });
    let buf = 0x10_0100u64;
    let mut mem = FlatMemory::new(0x10_0000, 0x1000);
    let mut state = [0u8; 256];
    for i in 0..16 {
        state[8 * i..8 * i + 8].copy_from_slice(&(0x1000 + i as u64).to_le_bytes());
    }
    state[128..136].copy_from_slice(&0x2u64.to_le_bytes()); // RFLAGS
    state[136..144].copy_from_slice(&0x40_0000u64.to_le_bytes()); // RIP
    state[144..152].copy_from_slice(&0x7777u64.to_le_bytes()); // SSP
    state[152..154].copy_from_slice(&0x0030u16.to_le_bytes());
    state[154..].fill(0xCC);
    mem.bytes[0x100..0x200].copy_from_slice(&state);
    let i = regs(
        rax(TDG_VP_ENTER, 0),
        &[(Gpr::Rcx, 1 << 52 | 1), (Gpr::Rdx, buf)],
    );
    let o = run(&mut m, &i, &mut mem);
    assert_eq!(o[Gpr::Rax], 10); // TDX_SUCCESS | CPUID exit
    assert_eq!(o[Gpr::Rbx], 0);
    assert_eq!((o[Gpr::Rcx], o[Gpr::Rdx]), (0, 0));
    assert_eq!(o[Gpr::Rbp], 0x1005);
    assert_eq!(o[Gpr::Rsi], 0xFFFF_FFFF_A09B_0010);
    assert_eq!(
        (o[Gpr::Rdi], o[Gpr::R8], o[Gpr::R9], o[Gpr::R10]),
        (0, 0, 0, 0)
    );
    assert_eq!(o[Gpr::R11], 2 << 32);
    assert_eq!(
        (o[Gpr::R12], o[Gpr::R13], o[Gpr::R14], o[Gpr::R15]),
        (0, 0, 0, 0)
    );
    assert_eq!(o[Gpr::Rsp], i[Gpr::Rsp]);
    let c = lookup(TDG_VP_ENTER, 0).unwrap();
    assert_eq!(c.output_field(&o, "instruction_length"), Some(2));
    assert_eq!(c.output_field(&o, "cs_ar"), Some(0xA09B));
    // Write-back: RAX + 1, RIP + 4, everything else as loaded, padding untouched.
    let b = &mem.bytes[0x100..0x200];
    assert_eq!(le64(b, 0), 0x1001);
    assert_eq!(le64(b, 8), 0x1001);
    assert_eq!(le64(b, 136), 0x40_0004);
    assert_eq!(&b[16..136], &state[16..136]);
    assert_eq!(&b[144..], &state[144..]);
    assert_eq!(m.l2_entries(), 1);
    // Entering again continues the L2 state from the buffer.
    run(&mut m, &i, &mut mem);
    assert_eq!(le64(&mem.bytes, 0x100), 0x1002);
    assert_eq!(le64(&mem.bytes, 0x100 + 136), 0x40_0008);
}

/// An L2 state the VM-entry checks refuse: the entry fails with exit reason 33 | bit 31,
/// returned to L1 as an L2 exit on every version; nothing ran, the state comes back as it was.
#[test]
fn vp_enter_guest_state_failure() {
    for v in crate::ModuleVersion::ALL {
        for (rflags, rip) in [
            (0u64, 0x40_0000u64),            // bit 1 clear
            (0x2 | 1 << 3, 0x40_0000),       // reserved bit 3
            (0x2 | 1 << 22, 0x40_0000),      // reserved bit 22
            (0x2 | 1 << 17, 0x40_0000),      // RFLAGS.VM in an IA-32e guest
            (0x2, 0x8000_0000_0000_0000u64), // RIP not canonical at 57 bits
            (0x2, 0x0100_0000_0000_0000),    // nor this one
        ] {
            let mut m = TdxModule::new(TdConfig {
                module_version: v,
                num_l2_vms: 1,
                ..cfg()
            });
            let mut mem = FlatMemory::new(0x10_0000, 0x1000);
            let mut state = [0u8; 256];
            state[0..8].copy_from_slice(&0x1000u64.to_le_bytes());
            state[128..136].copy_from_slice(&rflags.to_le_bytes());
            state[136..144].copy_from_slice(&rip.to_le_bytes());
            mem.bytes[0x100..0x200].copy_from_slice(&state);
            let i = regs(
                rax(TDG_VP_ENTER, 0),
                &[(Gpr::Rcx, 1 << 52), (Gpr::Rdx, 0x10_0100)],
            );
            let o = run(&mut m, &i, &mut mem);
            assert_eq!(o[Gpr::Rax], 0x8000_0021, "{v} {rflags:#x} {rip:#x}");
            assert_eq!(o[Gpr::R11], 0, "{v}");
            assert_eq!(&mem.bytes[0x100..0x200], &state[..], "{v}: nothing ran");
            assert_eq!(m.l2_entries(), 1, "{v}");
        }
    }
}

#[test]
fn vp_enter_errors_write_nothing() {
    let mut m = TdxModule::new(TdConfig {
        num_l2_vms: 2,
        l2_vapic_set: [false, true, false, true],
        ..cfg()
    });
    let mut mem = FlatMemory::new(0x10_0000, 0x1000);
    for (rcx, rdx, st) in [
        (0, 0x10_0080, 0xC000_0100_0000_0002), // RDX checked first
        (1 << 52, 0x10_0080, 0xC000_0100_0000_0002),
        (1 << 52, 0x10_0000 | 1 << 47, 0xC000_0100_0000_0002),
        (0, 0x10_0000, 0xC000_0100_0000_0001),
        (3 << 52, 0x10_0000, 0xC000_0100_0000_0001),
        (1 << 52 | 1 << 2, 0x10_0000, 0xC000_0100_0000_0001),
        (1 << 52 | 1 << 60, 0x10_0000, 0xC000_0100_0000_0001),
        (1 << 52 | 1 << 50, 0x10_0000, 0xC000_0100_0000_0001), // reserved 51:2
        (1 << 52 | 1 << 51, 0x10_0000, 0xC000_0100_0000_0001),
        (2 << 52, 0x10_0000, 0xC000_0100_0000_00AA),
    ] {
        let i = regs(rax(TDG_VP_ENTER, 0), &[(Gpr::Rcx, rcx), (Gpr::Rdx, rdx)]);
        let o = fail(&mut m, &i, &mut mem);
        assert_eq!(o, st, "{rcx:#x} {rdx:#x}");
    }
    m.set_l1_interrupt_pending(true);
    let i = regs(
        rax(TDG_VP_ENTER, 0),
        &[(Gpr::Rcx, 1 << 52), (Gpr::Rdx, 0x10_0000)],
    );
    assert_eq!(fail(&mut m, &i, &mut mem), TDX_PENDING_INTERRUPT);
    m.set_l1_interrupt_pending(false);
    assert!(mem.bytes.iter().all(|&x| x == 0));
    // Buffer in a non-accepted page: TD exit.
    m.set_page(BASE, 0, PageState::Pending);
    let i = regs(
        rax(TDG_VP_ENTER, 0),
        &[(Gpr::Rcx, 1 << 52), (Gpr::Rdx, BASE)],
    );
    assert_eq!(
        m.tdcall(&i, &mut mem),
        Completion::TdExit(TdExitReason::EptViolation { gpa: BASE })
    );
    assert_eq!(m.l2_entries(), 0);
    // Also with PENDING_VE_DISABLE clear: the buffer is translated before the entry, so a
    // PENDING page is an exit at its page, never a #VE (`translate_gpas()`), on every version.
    for v in crate::ModuleVersion::ALL {
        let mut m = TdxModule::new(TdConfig {
            module_version: v,
            num_l2_vms: 1,
            attributes: 0,
            ..cfg()
        });
        m.set_page(BASE, 0, PageState::Pending);
        let i = regs(
            rax(TDG_VP_ENTER, 0),
            &[(Gpr::Rcx, 1 << 52), (Gpr::Rdx, BASE + 0x100)],
        );
        assert_eq!(
            m.tdcall(&i, &mut mem),
            Completion::TdExit(TdExitReason::EptViolation { gpa: BASE }),
            "{v}"
        );
    }
}

// ------------------------------------------------------------------ TDG.VP.INVEPT / INVGLA

#[test]
fn invept_bitmap() {
    let mut m = TdxModule::new(TdConfig {
        num_l2_vms: 2,
        ..cfg()
    });
    let inv = |m: &mut TdxModule, rcx: u64| {
        run(
            m,
            &regs(rax(TDG_VP_INVEPT, 0), &[(Gpr::Rcx, rcx)]),
            &mut NoMemory,
        )[Gpr::Rax]
    };
    assert_eq!(inv(&mut m, 0b110), TDX_SUCCESS);
    assert_eq!(inv(&mut m, 0), TDX_SUCCESS);
    assert_eq!(m.invept_count(), 2);
    for rcx in [1, 0b1000, 1 << 63] {
        assert_eq!(inv(&mut m, rcx), 0xC000_0100_0000_0001);
    }
    let mut m0 = TdxModule::new(cfg());
    assert_eq!(inv(&mut m0, 0), TDX_SUCCESS);
    assert_eq!(inv(&mut m0, 2), 0xC000_0100_0000_0001);
}

fn invgla_in(rcx: u64, rdx: u64) -> Regs {
    regs(rax(TDG_VP_INVGLA, 0), &[(Gpr::Rcx, rcx), (Gpr::Rdx, rdx)])
}

#[test]
fn invgla_single_and_errors() {
    let mut m = TdxModule::new(TdConfig {
        num_l2_vms: 1,
        ..cfg()
    });
    let vm1 = 1u64 << 52;
    let o = run(&mut m, &invgla_in(vm1, 0x7FFF_0000_0003), &mut NoMemory);
    assert_eq!((o[Gpr::Rax], o[Gpr::Rdx]), (TDX_SUCCESS, 0x7FFF_0000_0003));
    assert_eq!(m.invgla_pages(), 4);
    for (rcx, rdx, st) in [
        (0, 0, 0xC000_0100_0000_0001),
        (2 << 52, 0, 0xC000_0100_0000_0001),
        (vm1 | 2, 0, 0xC000_0100_0000_0001),
        (vm1 | 1 << 63, 0, 0xC000_0100_0000_0001),
        (vm1, 0x0000_8000_0000_0000, TDX_GLA_NOT_CANONICAL),
        (vm1, 0x0000_7FFF_FFFF_F001, TDX_GLA_NOT_CANONICAL), // second page crosses
        (vm1 | 1, 0x10_0000 | 1 << 9, 0xC000_0100_0000_0002),
        (vm1 | 1, 0x10_0000 | 1 << 62, 0xC000_0100_0000_0002),
        (vm1 | 1, 0x10_0000 | 500 | 13 << 52, 0xC000_0100_0000_0002),
        (
            vm1 | 1,
            0x10_0000 | 1 << 47 | 1 << 52,
            0xC000_0100_0000_0002,
        ),
    ] {
        let i = invgla_in(rcx, rdx);
        assert_eq!(fail(&mut m, &i, &mut NoMemory), st, "{rcx:#x} {rdx:#x}");
    }
}

#[test]
fn invgla_list_progress_across_interruptions() {
    let mut m = TdxModule::new(TdConfig {
        num_l2_vms: 1,
        ..cfg()
    });
    let list = 0x10_0000u64;
    let mut mem = FlatMemory::new(list, 0x1000);
    // Entries 10..15: entry k invalidates k + 1 pages at 0x1000_0000 * k.
    for k in 10..15u64 {
        let e = (0x1000_0000 * k) | k;
        mem.bytes[8 * k as usize..8 * k as usize + 8].copy_from_slice(&e.to_le_bytes());
    }
    let vm1 = 1u64 << 52 | 1;
    let mut input = invgla_in(vm1, list | 10 | 5 << 52);
    m.set_interrupt_pending(2);
    let mut seen = alloc::vec::Vec::new();
    let out = loop {
        match m.tdcall(&input, &mut mem) {
            Completion::InterruptedWithProgress(r) => {
                assert_eq!(r[Gpr::Rax], input[Gpr::Rax]);
                assert_eq!(r.diff(&input).minus(RegSet::of(&[Gpr::Rdx])), RegSet::EMPTY);
                seen.push(r[Gpr::Rdx]);
                input = r;
            }
            Completion::Completed(r) => break r,
            other => panic!("unexpected {other:?}"),
        }
    };
    assert_eq!(seen, [list | 11 | 4 << 52, list | 12 | 3 << 52]);
    assert_eq!(out[Gpr::Rax], TDX_SUCCESS);
    assert_eq!(out[Gpr::Rdx], list | 15);
    assert_eq!(m.invgla_pages(), 11 + 12 + 13 + 14 + 15);
    assert_eq!(m.interrupts_pending(), 0);
    // A non-canonical entry fails without updating RDX.
    let bad = 0x0000_8000_0000_0000u64;
    mem.bytes[8 * 20..8 * 21].copy_from_slice(&bad.to_le_bytes());
    let i = invgla_in(vm1, list | 19 | 2 << 52);
    let o = run(&mut m, &i, &mut mem);
    assert_eq!(
        (o[Gpr::Rax], o[Gpr::Rdx]),
        (TDX_GLA_NOT_CANONICAL, i[Gpr::Rdx])
    );
    // List page not accessible: TD exit.
    m.set_page(BASE, 0, PageState::Pending);
    assert_eq!(
        m.tdcall(&invgla_in(vm1, BASE | 1 << 52), &mut mem),
        Completion::TdExit(TdExitReason::EptViolation { gpa: BASE })
    );
}

// ------------------------------------------------------------------ contracts

#[test]
fn new_contracts() {
    let names = [
        (TDG_VP_RD, "TDG.VP.RD"),
        (TDG_VP_WR, "TDG.VP.WR"),
        (TDG_SYS_RD, "TDG.SYS.RD"),
        (TDG_SYS_RDALL, "TDG.SYS.RDALL"),
        (TDG_SERVTD_RD, "TDG.SERVTD.RD"),
        (TDG_SERVTD_WR, "TDG.SERVTD.WR"),
        (TDG_MR_VERIFYREPORT, "TDG.MR.VERIFYREPORT"),
        (TDG_MEM_PAGE_ATTR_RD, "TDG.MEM.PAGE.ATTR.RD"),
        (TDG_MEM_PAGE_ATTR_WR, "TDG.MEM.PAGE.ATTR.WR"),
        (TDG_VP_ENTER, "TDG.VP.ENTER"),
        (TDG_VP_INVEPT, "TDG.VP.INVEPT"),
        (TDG_VP_INVGLA, "TDG.VP.INVGLA"),
    ];
    for (l, n) in names {
        assert_eq!(lookup(l, 0).unwrap().name, n);
        assert!(lookup(l, 1).is_none());
    }
    assert!(lookup(30, 0).is_none());
    let enter = lookup(TDG_VP_ENTER, 0).unwrap();
    assert_eq!(enter.may_modify, RegSet::ALL.minus(RegSet::of(&[Gpr::Rsp])));
    let wr = lookup(TDG_SERVTD_WR, 0).unwrap();
    let e = wr
        .encode(&[
            ("binding_handle", 1),
            ("field_id", 2),
            ("value", 3),
            ("write_mask", 4),
            ("target_uuid_0", 5),
            ("target_uuid_1", 6),
            ("target_uuid_2", 7),
            ("target_uuid_3", 8),
        ])
        .unwrap();
    assert_eq!(e.len(), 8);
    assert_eq!(e.get(Gpr::R13), Some(8));
    let inv = lookup(TDG_VP_INVGLA, 0).unwrap();
    assert!(inv.interruptible);
    assert_eq!(
        inv.encode(&[("list", 1), ("vm_index", 2), ("gla_entry_or_list", 9)])
            .unwrap()
            .as_slice(),
        &[(Gpr::Rcx, 1 | 2 << 52), (Gpr::Rdx, 9)]
    );
    let rdall = lookup(TDG_SYS_RDALL, 0).unwrap();
    assert_eq!(
        rdall.output(Gpr::R8).unwrap().on_failure,
        OnFailure::Default(u64::MAX)
    );
    let attr = lookup(TDG_MEM_PAGE_ATTR_WR, 0).unwrap();
    let mut r = Regs::default();
    r[Gpr::Rcx] = 0x8000_5000 | 1 << 62;
    assert_eq!(attr.output_field(&r, "pending"), Some(1));
    assert_eq!(attr.output_field(&r, "mapped_gpa"), Some(0x80005));
}

/// 2.0.18 checks that the caller may use a binding at all, before the handle
/// (`is_binding_allowed()` in `tdg_servtd_rd_wr()`, e69a4391): a caller with a service TD of its
/// own → `TDX_SERVTD_NESTING_NOT_ALLOWED`, a migratable one → `TDX_SERVTD_CANNOT_BE_MIGRATABLE`,
/// with the defaults written and no TD exit. 1.5.05 and 1.5.34 (whose handler text is not
/// stored) go on to the handle.
#[test]
fn servtd_binding_allowed_by_module_version() {
    use crate::ModuleVersion;
    for v in ModuleVersion::ALL {
        for (nested, migratable, want) in [
            (true, false, TDX_SERVTD_NESTING_NOT_ALLOWED),
            (false, true, TDX_SERVTD_CANNOT_BE_MIGRATABLE),
            (true, true, TDX_SERVTD_NESTING_NOT_ALLOWED),
        ] {
            let mut m = servtd_module(|_| {});
            let mut c = m.config().clone();
            c.module_version = v;
            let mut m2 = TdxModule::new(c);
            m2.set_servtd_caller(nested, migratable);
            let h = m.servtd_binding_handle().unwrap();
            let uuid = m.config().servtd_target.clone().unwrap().td_uuid;
            for leaf in [TDG_SERVTD_RD, TDG_SERVTD_WR] {
                // A bad handle too: the check comes first.
                for handle in [h, h.wrapping_add(1)] {
                    let input = servtd_in(leaf, handle, TD_UUID0, uuid);
                    let o = run(&mut m2, &input, &mut NoMemory);
                    if v == ModuleVersion::V2_0_18 {
                        assert_eq!(o[Gpr::Rax], want, "{v} {nested} {migratable}");
                        assert_defaults(&input, &o);
                    } else {
                        let older = [
                            TDX_SUCCESS,
                            TDX_METADATA_FIELD_NOT_WRITABLE,
                            TDX_OPERAND_INVALID + operand::RCX,
                        ];
                        assert!(older.contains(&o[Gpr::Rax]), "{v}: {:#x}", o[Gpr::Rax]);
                    }
                    assert_eq!(m2.take_cross_td_trap(), None);
                }
            }
            m.set_servtd_caller(false, false);
        }
    }
}

/// L1 writes an L2 VMCS field VM entry refuses (CR3-target count 5 > 4): VMLAUNCH fails.
/// 1.5.34 and 2.0.18 return `TDX_L2_VM_ENTRY_FAILED` | 0x8000_FFFF to L1 with the exit
/// outputs (R13 = VM_ENTRY_FAILURE, L1_FAILED_TO_ENTER_L2), the state written back as loaded
/// and VM-instruction error 7 (`resume_l1_and_emulate_termination()`, `td_exit.c`); 1.5.05
/// stops the module (`tdg_vp_enter.c`, e98d9639). Back at 0 the VM enters again.
#[test]
fn vp_enter_l2_vm_entry_failed_by_module_version() {
    const CR3_TARGET_COUNT_VM1: u64 = 0x2420_0002_0000_400A;
    const VM_INSTRUCTION_ERROR_VM1: u64 = 0x2420_0002_0000_4400;
    for v in crate::ModuleVersion::ALL {
        let mut m = TdxModule::new(TdConfig {
            module_version: v,
            num_l2_vms: 1,
            ..cfg()
        });
        // VM 2 does not exist; VM 1's fields read 0 and iterate within the subset.
        let o = vp_rd(&mut m, 0, CR3_TARGET_COUNT_VM1 + (8 << 56));
        assert_eq!(o[Gpr::Rax], TDX_METADATA_FIELD_ID_INCORRECT);
        let o = vp_rd(&mut m, 0, CR3_TARGET_COUNT_VM1);
        assert_eq!(
            (o[Gpr::Rax], o[Gpr::R8], o[Gpr::Rdx]),
            (TDX_SUCCESS, 0, VM_INSTRUCTION_ERROR_VM1)
        );
        let o = vp_wr(&mut m, VM_INSTRUCTION_ERROR_VM1, 1, 0xFFFF_FFFF);
        assert_eq!(o[Gpr::Rax], TDX_METADATA_FIELD_NOT_WRITABLE);
        let o = vp_wr(&mut m, CR3_TARGET_COUNT_VM1, 5 | 1 << 32, u64::MAX);
        assert_eq!(
            o[Gpr::Rax],
            TDX_METADATA_FIELD_VALUE_NOT_VALID,
            "bits 63:32"
        );
        let o = vp_wr(&mut m, CR3_TARGET_COUNT_VM1, 5, 0xFFFF_FFFF);
        assert_eq!((o[Gpr::Rax], o[Gpr::R8]), (TDX_SUCCESS, 0));

        let mut mem = FlatMemory::new(0x10_0000, 0x1000);
        let mut state = [0u8; 256];
        state[8 * Gpr::Rbp.index()..][..8].copy_from_slice(&0xBB_u64.to_le_bytes());
        state[128..136].copy_from_slice(&0x2u64.to_le_bytes());
        state[136..144].copy_from_slice(&0x40_0000u64.to_le_bytes());
        mem.bytes[0x100..0x200].copy_from_slice(&state);
        let i = regs(
            rax(TDG_VP_ENTER, 0),
            &[(Gpr::Rcx, 1 << 52), (Gpr::Rdx, 0x10_0100)],
        );
        if v == crate::ModuleVersion::V1_5_05 {
            assert_eq!(m.tdcall(&i, &mut mem), Completion::ModuleFatal);
            continue;
        }
        let o = run(&mut m, &i, &mut mem);
        assert_eq!(o[Gpr::Rax], 0x8000_1103_8000_FFFF, "{v}");
        assert_eq!(o[Gpr::R13], 0x0000_0009_0000_0007, "{v}");
        assert_eq!(o[Gpr::Rbp], 0xBB, "{v}: the buffer's RBP");
        assert_eq!(o[Gpr::Rsi] & 0xFFFF, 0x10, "{v}: L2 CS selector");
        for r in [
            Gpr::Rbx,
            Gpr::Rcx,
            Gpr::Rdx,
            Gpr::R8,
            Gpr::R11,
            Gpr::R12,
            Gpr::R15,
        ] {
            assert_eq!(o[r], 0, "{v} {r:?}");
        }
        assert_eq!(&mem.bytes[0x100..0x200], &state[..], "{v}: nothing ran");
        assert_eq!(m.l2_entries(), 0, "{v}");
        let c = lookup(TDG_VP_ENTER, 0).unwrap();
        assert!(c.outputs_written(o[Gpr::Rax]) && !c.outputs_written(TDX_OPERAND_INVALID));
        assert_eq!(
            vp_rd(&mut m, 0, VM_INSTRUCTION_ERROR_VM1)[Gpr::R8],
            7,
            "{v}"
        );
        assert_eq!(
            vp_wr(&mut m, CR3_TARGET_COUNT_VM1, 4, 0xFFFF_FFFF)[Gpr::Rax],
            0
        );
        let o = run(&mut m, &i, &mut mem);
        assert_eq!(o[Gpr::Rax], 10, "{v}: CPUID exit");
    }
}

/// A service TD reads VE_REDUCTION_VALID (1) and CPUID_FIXED0_BITMAP from 1.5.34 (their
/// `migtd_rd_mask`); 1.5.05 has neither field.
#[test]
fn servtd_masks_by_module_version() {
    use crate::ModuleVersion;
    const VE_REDUCTION_VALID: u64 = 0x9110_0000_0000_001A;
    const CPUID_FIXED0_BITMAP: u64 = 0x9110_0003_0000_0021;
    for v in ModuleVersion::ALL {
        let m0 = servtd_module(|_| {});
        let mut c = m0.config().clone();
        c.module_version = v;
        let mut m = TdxModule::new(c);
        let h = m.servtd_binding_handle().unwrap();
        let uuid = m.config().servtd_target.clone().unwrap().td_uuid;
        let rd = |m: &mut TdxModule, id| {
            let o = run(m, &servtd_in(TDG_SERVTD_RD, h, id, uuid), &mut NoMemory);
            (o[Gpr::Rax], o[Gpr::R8], o[Gpr::Rdx])
        };
        if v == ModuleVersion::V1_5_05 {
            assert_eq!(
                rd(&mut m, VE_REDUCTION_VALID).0,
                TDX_METADATA_FIELD_ID_INCORRECT
            );
        } else {
            assert_eq!(
                rd(&mut m, VE_REDUCTION_VALID),
                (TDX_SUCCESS, 1, CPUID_FIXED0_BITMAP),
                "{v}"
            );
            assert_eq!(rd(&mut m, CPUID_FIXED0_BITMAP).0, TDX_SUCCESS, "{v}");
        }
    }
}

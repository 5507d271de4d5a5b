//! Behavioural tests of the simulated module, one status path at a time.

use crate::contract::{lookup, OnFailure};
use crate::field_id::NULL;
use crate::leaf::*;
use crate::memory::{FlatMemory, GuestMemory, NoMemory};
use crate::module::{report_offsets as o, *};
use crate::regs::{Gpr, RegSet, Regs};
use crate::status::*;
use crate::ModuleVersion;

const BASE: u64 = 0x8000_0000;

fn module() -> TdxModule {
    TdxModule::new(TdConfig::default())
}

/// A register file with a distinct junk value in every register, then RAX and the given inputs.
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

fn completed(c: Completion) -> Regs {
    match c {
        Completion::Completed(r) => r,
        other => panic!("expected Completed, got {other:?}"),
    }
}

/// Run and check that only RAX and `changed` may differ from the input.
fn run(m: &mut TdxModule, input: &Regs, mem: &mut dyn GuestMemory, changed: RegSet) -> Regs {
    let out = completed(m.tdcall(input, mem));
    let diff = out.diff(input).minus(RegSet::of(&[Gpr::Rax]));
    assert_eq!(
        diff.minus(changed),
        RegSet::EMPTY,
        "unexpected writes: {diff:?}"
    );
    out
}

fn hex48(s: &str) -> [u8; 48] {
    let mut a = [0u8; 48];
    for (i, b) in a.iter_mut().enumerate() {
        *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap();
    }
    a
}

// ------------------------------------------------------------------ RAX decoding

#[test]
fn rax_reserved_unknown_and_version() {
    let mut m = module();
    for rax in [
        1u64 << 24 | 1,
        1 << 63 | 6,
        rax(TDG_VP_INFO, 1),
        rax(TDG_VM_WR, 1),
        rax(TDG_MEM_PAGE_ACCEPT, 0xFF),
        rax(TDG_VP_RD, 1),
        13,
        19,
        21,
        28,
        30,
        0xFFFF,
        rax(TDG_VP_VMCALL, 1),
    ] {
        let input = regs(rax, &[]);
        let out = run(&mut m, &input, &mut NoMemory, RegSet::EMPTY);
        assert_eq!(out[Gpr::Rax], 0xC000_0100_0000_0000, "rax {rax:#x}");
    }
}

#[test]
fn vm_rd_version_above_one_writes_defaults() {
    let mut m = module();
    let input = regs(
        rax(TDG_VM_RD, 2),
        &[(Gpr::Rcx, 0), (Gpr::Rdx, 0x1110_0003_0000_0000)],
    );
    let out = run(
        &mut m,
        &input,
        &mut NoMemory,
        RegSet::of(&[Gpr::Rdx, Gpr::R8]),
    );
    assert_eq!(out[Gpr::Rax], TDX_OPERAND_INVALID);
    assert_eq!(out[Gpr::Rdx], u64::MAX);
    assert_eq!(out[Gpr::R8], 0);
}

// ------------------------------------------------------------------ VP.INFO

#[test]
fn vp_info_outputs() {
    let mut m = module();
    let input = regs(rax(TDG_VP_INFO, 0), &[]);
    let c = lookup(TDG_VP_INFO, 0).unwrap();
    let out = run(&mut m, &input, &mut NoMemory, c.may_modify);
    assert_eq!(out[Gpr::Rax], TDX_SUCCESS);
    assert_eq!(out[Gpr::Rcx], 48);
    assert_eq!(out[Gpr::Rdx], ATTR_SEPT_VE_DISABLE);
    assert_eq!(out[Gpr::R8], 0x0000_0008_0000_0004);
    assert_eq!(out[Gpr::R9], 0);
    assert_eq!(out[Gpr::R10], 1);
    assert_eq!(out[Gpr::R11], 0);
    assert_eq!(c.output_field(&out, "max_vcpus"), Some(8));
    assert_eq!(c.output_field(&out, "sys_rd"), Some(1));

    let mut m = TdxModule::new(TdConfig {
        gpaw_52: true,
        vcpu_index: 3,
        attributes: 1,
        ..TdConfig::default()
    });
    let out = completed(m.tdcall(&input, &mut NoMemory));
    assert_eq!((out[Gpr::Rcx], out[Gpr::Rdx], out[Gpr::R9]), (52, 1, 3));
}

// ------------------------------------------------------------------ ACCEPT

fn accept_rcx(gpa: u64, level: u64) -> Regs {
    regs(rax(TDG_MEM_PAGE_ACCEPT, 0), &[(Gpr::Rcx, gpa | level)])
}

fn accept(m: &mut TdxModule, gpa: u64, level: u64) -> Completion {
    m.tdcall(&accept_rcx(gpa, level), &mut NoMemory)
}

fn accept_status(m: &mut TdxModule, gpa: u64, level: u64) -> u64 {
    let input = accept_rcx(gpa, level);
    run(m, &input, &mut NoMemory, RegSet::EMPTY)[Gpr::Rax]
}

#[test]
fn accept_operand_checks() {
    let mut m = module();
    m.set_page(BASE, 0, PageState::Pending);
    let inv = TDX_OPERAND_INVALID + 1;
    assert_eq!(accept_status(&mut m, BASE | 1 << 3, 0), inv); // reserved 11:3
    assert_eq!(accept_status(&mut m, BASE | 1 << 11, 0), inv);
    assert_eq!(accept_status(&mut m, BASE | 1 << 52, 0), inv); // reserved 63:52
    assert_eq!(accept_status(&mut m, BASE | 1 << 63, 0), inv);
    assert_eq!(accept_status(&mut m, 0x4000_0000, 2), inv); // 1 GiB rejected
    assert_eq!(accept_status(&mut m, BASE, 7), inv);
    assert_eq!(accept_status(&mut m, BASE + 0x1000, 1), inv); // 2 MiB misaligned
    assert_eq!(accept_status(&mut m, BASE | 1 << 47, 0), inv); // shared bit (GPAW 48)
    assert_eq!(accept_status(&mut m, BASE | 1 << 48, 0), inv); // bits 51:48 with GPAW 48
    assert_eq!(accept_status(&mut m, BASE | 1 << 51, 0), inv);
    // GPAW 52: bit 47 is an ordinary address bit, bit 51 is the shared bit.
    let mut m52 = TdxModule::new(TdConfig {
        gpaw_52: true,
        ..TdConfig::default()
    });
    assert_eq!(accept_status(&mut m52, 1 << 51, 0), inv);
    assert_eq!(
        accept_status(&mut m52, 1 << 47, 0),
        TDX_PAGE_ALREADY_ACCEPTED
    );
    assert_eq!(
        accept_status(&mut m52, 1 << 48, 1),
        TDX_PAGE_SIZE_MISMATCH + 1
    );
    // A smaller MAX_PA.
    let mut m46 = TdxModule::new(TdConfig {
        max_pa: 46,
        ..TdConfig::default()
    });
    assert_eq!(accept_status(&mut m46, 1 << 46, 0), inv);
    // Nothing changed.
    assert_eq!(m.page(BASE).state, PageState::Pending);
}

#[test]
fn accept_4k_paths() {
    let mut m = module();
    // Free PDE: TD exit; the VMM AUGs a 4 KiB pending page; accept succeeds; again: already.
    assert_eq!(
        accept(&mut m, BASE + 0x3000, 0),
        Completion::TdExit(TdExitReason::EptViolation { gpa: BASE + 0x3000 })
    );
    assert_eq!(m.page(BASE + 0x3000).state, PageState::Unmapped);
    m.vmm_handle_exit(TdExitReason::EptViolation { gpa: BASE + 0x3000 });
    assert_eq!(
        m.page(BASE + 0x3000),
        PageInfo {
            state: PageState::Pending,
            level: 0,
            busy: false
        }
    );
    assert_eq!(m.page(BASE + 0x4000).state, PageState::Unmapped);
    assert_eq!(accept_status(&mut m, BASE + 0x3000, 0), TDX_SUCCESS);
    assert_eq!(m.page(BASE + 0x3000).state, PageState::Accepted);
    assert_eq!(
        accept_status(&mut m, BASE + 0x3000, 0),
        TDX_PAGE_ALREADY_ACCEPTED
    );
    // Free PTE under a page table: TD exit too.
    assert!(matches!(
        accept(&mut m, BASE + 0x4000, 0),
        Completion::TdExit(_)
    ));
    // Busy PTE: OPERAND_BUSY|RCX, whatever the state (lock is checked before the state).
    m.set_page(BASE + 0x5000, 0, PageState::Pending);
    m.set_busy(BASE + 0x5000, true);
    assert_eq!(
        accept_status(&mut m, BASE + 0x5000, 0),
        0x8000_0200_0000_0001
    );
    m.set_busy(BASE + 0x3000, true);
    assert_eq!(
        accept_status(&mut m, BASE + 0x3000, 0),
        TDX_OPERAND_BUSY + 1
    );
    m.set_busy(BASE + 0x5000, false);
    assert_eq!(accept_status(&mut m, BASE + 0x5000, 0), TDX_SUCCESS);
}

#[test]
fn accept_4k_inside_2m_leaf() {
    let mut m = module();
    let g = BASE + 0x20_0000;
    m.set_page(g, 1, PageState::Accepted);
    // Accepted 2 MiB leaf covers the 4 KiB request: ALREADY_ACCEPTED + 1 (warning), even if busy.
    assert_eq!(accept_status(&mut m, g + 0x7000, 0), 0x0000_0B0A_0000_0001);
    m.set_busy(g, true);
    assert_eq!(
        accept_status(&mut m, g + 0x7000, 0),
        TDX_PAGE_ALREADY_ACCEPTED + 1
    );
    // 2 MiB request on it: busy first, then ALREADY_ACCEPTED + 1.
    assert_eq!(accept_status(&mut m, g, 1), TDX_OPERAND_BUSY + 1);
    m.set_busy(g, false);
    assert_eq!(accept_status(&mut m, g, 1), TDX_PAGE_ALREADY_ACCEPTED + 1);
    // Pending 2 MiB leaf and a 4 KiB request: TD exit; the VMM demotes; the 4 KiB accept works.
    let h = BASE + 0x40_0000;
    m.set_page(h, 1, PageState::Pending);
    let exit = match accept(&mut m, h + 0x1000, 0) {
        Completion::TdExit(e) => e,
        other => panic!("{other:?}"),
    };
    assert_eq!(exit, TdExitReason::EptViolation { gpa: h + 0x1000 });
    m.vmm_handle_exit(exit);
    assert_eq!(m.page(h + 0x1000).level, 0);
    assert_eq!(m.page(h + 0x1F_F000).state, PageState::Pending);
    assert_eq!(accept_status(&mut m, h + 0x1000, 0), TDX_SUCCESS);
    assert_eq!(accept_status(&mut m, h, 1), TDX_PAGE_SIZE_MISMATCH + 1);
}

#[test]
fn accept_2m_paths_and_linux_flow() {
    let mut m = module();
    let g = BASE + 0x60_0000;
    // Free PDE, 2 MiB request: TD exit at the 2 MiB GPA; the VMM AUGs one 4 KiB page; retry
    // gives SIZE_MISMATCH + 1; Linux then accepts 4 KiB by 4 KiB.
    assert_eq!(
        accept(&mut m, g, 1),
        Completion::TdExit(TdExitReason::EptViolation { gpa: g })
    );
    m.vmm_handle_exit(TdExitReason::EptViolation { gpa: g });
    assert_eq!(accept_status(&mut m, g, 1), 0xC000_0B0B_0000_0001);
    for i in 0..4u64 {
        let p = g + i * 0x1000;
        loop {
            match accept(&mut m, p, 0) {
                Completion::TdExit(e) => m.vmm_handle_exit(e),
                Completion::Completed(r) => {
                    assert_eq!(r[Gpr::Rax], TDX_SUCCESS);
                    break;
                }
                other => panic!("4K accept of a pending page: {other:?}"),
            }
        }
        assert_eq!(m.page(p).state, PageState::Accepted);
    }
    // Pending 2 MiB leaf: accepted at once.
    let h = BASE + 0x80_0000;
    m.set_page(h, 1, PageState::Pending);
    assert_eq!(accept_status(&mut m, h, 1), TDX_SUCCESS);
    assert_eq!(
        m.page(h + 0x12_3000),
        PageInfo {
            state: PageState::Accepted,
            level: 1,
            busy: false
        }
    );
    // 4 KiB-mapped (any state) 2 MiB range: size mismatch.
    let k = BASE + 0xA0_0000;
    m.set_page(k + 0x1000, 0, PageState::Accepted);
    assert_eq!(accept_status(&mut m, k, 1), TDX_PAGE_SIZE_MISMATCH + 1);
    // Outside the region: accepted 4 KiB memory.
    assert_eq!(accept_status(&mut m, 0x1000, 0), TDX_PAGE_ALREADY_ACCEPTED);
    assert_eq!(
        accept_status(&mut m, 0x20_0000, 1),
        TDX_PAGE_SIZE_MISMATCH + 1
    );
    assert_eq!(
        accept_status(&mut m, BASE + (64 << 20), 0),
        TDX_PAGE_ALREADY_ACCEPTED
    );
}

#[test]
fn accept_2m_interruptible() {
    let mut m = module();
    let g = BASE;
    let h = BASE + 0x20_0000;
    m.set_page(g, 1, PageState::Pending);
    m.set_page(h, 1, PageState::Pending);
    m.set_interrupt_pending(2);
    // 4 KiB accepts are not interruption points.
    m.set_page(BASE + 0x40_0000, 0, PageState::Pending);
    assert_eq!(accept_status(&mut m, BASE + 0x40_0000, 0), TDX_SUCCESS);
    assert_eq!(m.interrupts_pending(), 2);
    // Each 2 MiB accept is interrupted once, then completes on re-execution.
    assert_eq!(accept(&mut m, g, 1), Completion::Interrupted);
    assert_eq!(m.page(g).state, PageState::Pending);
    assert_eq!(accept_status(&mut m, g, 1), TDX_SUCCESS);
    assert_eq!(accept(&mut m, h, 1), Completion::Interrupted);
    assert_eq!(accept_status(&mut m, h, 1), TDX_SUCCESS);
    assert_eq!(m.interrupts_pending(), 0);
    // Failures are not interruption points.
    m.set_interrupt_pending(1);
    assert_eq!(accept_status(&mut m, g, 1), TDX_PAGE_ALREADY_ACCEPTED + 1);
    assert_eq!(m.interrupts_pending(), 1);
}

// ------------------------------------------------------------------ RTMR.EXTEND

fn extend(m: &mut TdxModule, mem: &mut dyn GuestMemory, gpa: u64, idx: u64) -> Completion {
    let input = regs(
        rax(TDG_MR_RTMR_EXTEND, 0),
        &[(Gpr::Rcx, gpa), (Gpr::Rdx, idx)],
    );
    m.tdcall(&input, mem)
}

#[test]
fn sha384_known_vector() {
    use sha2::{Digest, Sha384};
    let h = Sha384::digest(b"abc");
    assert_eq!(
        h[..],
        hex48("cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7")
    );
}

#[test]
fn rtmr_extend_paths() {
    let mut m = module();
    let mut mem = FlatMemory::new(0x1000, 0x1000);
    assert!(mem.write(0x1040, &[0xAB; 48]));
    let st = |c: Completion| completed(c)[Gpr::Rax];
    assert_eq!(
        st(extend(&mut m, &mut mem, 0x1041, 0)),
        TDX_OPERAND_INVALID + 1
    );
    assert_eq!(
        st(extend(&mut m, &mut mem, 0x1020, 0)),
        TDX_OPERAND_INVALID + 1
    );
    assert_eq!(
        st(extend(&mut m, &mut mem, 0x1040 | 1 << 47, 0)),
        TDX_OPERAND_INVALID + 1
    );
    assert_eq!(
        st(extend(&mut m, &mut mem, 0x1040 | 1 << 50, 0)),
        TDX_OPERAND_INVALID + 1
    );
    // Unbacked memory is reached before the index check.
    assert_eq!(
        extend(&mut m, &mut mem, 0x8040, 9),
        Completion::TdExit(TdExitReason::EptViolation { gpa: 0x8040 })
    );
    // A non-accepted page of the accept region: TD exit.
    assert_eq!(
        extend(&mut m, &mut NoMemory, BASE, 0),
        Completion::TdExit(TdExitReason::EptViolation { gpa: BASE })
    );
    assert_eq!(
        st(extend(&mut m, &mut mem, 0x1040, 4)),
        TDX_OPERAND_INVALID + 2
    );
    assert_eq!(
        st(extend(&mut m, &mut mem, 0x1040, 1 << 32)),
        TDX_OPERAND_INVALID + 2
    );
    m.set_rtmr_busy(true);
    assert_eq!(
        st(extend(&mut m, &mut mem, 0x1040, 0)),
        0x8000_0200_0000_00A8
    );
    m.set_rtmr_busy(false);
    assert_eq!(m.rtmr(0), [0; 48]);
    let input = regs(
        rax(TDG_MR_RTMR_EXTEND, 0),
        &[(Gpr::Rcx, 0x1040), (Gpr::Rdx, 2)],
    );
    assert_eq!(
        run(&mut m, &input, &mut mem, RegSet::EMPTY)[Gpr::Rax],
        TDX_SUCCESS
    );
    let one = hex48("73bbee246f69b6bf7824b9e7643701dad9ed70c94c9880d033c0ac87b5043d0dd70cad576882faf2f6679a22ededfea4");
    assert_eq!(m.rtmr(2), one);
    assert_eq!(m.rtmr(0), [0; 48]);
    assert_eq!(st(extend(&mut m, &mut mem, 0x1040, 2)), TDX_SUCCESS);
    let two = hex48("6c66ae2e9c5a901001663472ba8a8a6ecefb3d66f5f9f15daafd41de0fba03b85feac1bf2d74cf4c80493692e58c4aea");
    assert_eq!(m.rtmr(2), two);
    // Readable through TDG.VM.RD: RTMR[2] element 0 is field code 0x40 + 2*6.
    assert_eq!(
        m.metadata(0x1310_0003_0000_0040 + 12),
        Some(u64::from_le_bytes(two[..8].try_into().unwrap()))
    );
    // Accepted private page in the region works.
    m.set_page(BASE, 1, PageState::Accepted);
    let mut mem2 = FlatMemory::new(BASE, 0x1000);
    assert_eq!(st(extend(&mut m, &mut mem2, BASE, 3)), TDX_SUCCESS);
    assert_ne!(m.rtmr(3), [0; 48]);
}

// ------------------------------------------------------------------ VEINFO.GET

#[test]
fn veinfo_get_paths() {
    let mut m = module();
    let c = lookup(TDG_VP_VEINFO_GET, 0).unwrap();
    let input = regs(rax(TDG_VP_VEINFO_GET, 0), &[]);
    let out = run(&mut m, &input, &mut NoMemory, c.may_modify);
    assert_eq!(out[Gpr::Rax], 0xC000_0704_0000_0000);
    for o in c.outputs {
        assert_eq!(o.on_failure, OnFailure::Default(0));
        assert_eq!(out[o.reg], 0, "{:?}", o.reg);
    }
    assert_eq!(out[Gpr::R11], input[Gpr::R11]);
    let ve = VeInfo {
        exit_reason: 48,
        exit_qualification: 0x181,
        gla: 0xFFFF_8000_1234_5678,
        gpa: 0x8000_1000,
        instruction_length: 3,
        instruction_info: 0x77,
        ve_category: 2,
        interruptibility_state: 9,
    };
    m.set_ve_info(Some(ve));
    let out = run(&mut m, &input, &mut NoMemory, c.may_modify);
    assert_eq!(out[Gpr::Rax], TDX_SUCCESS);
    assert_eq!(out[Gpr::Rcx], 48);
    assert_eq!(out[Gpr::Rdx], 0x181);
    assert_eq!(out[Gpr::R8], 0xFFFF_8000_1234_5678);
    assert_eq!(out[Gpr::R9], 0x8000_1000);
    assert_eq!(out[Gpr::R10], 0x77_0000_0003);
    assert_eq!(c.output_field(&out, "instruction_info"), Some(0x77));
    assert_eq!(m.ve_info(), None);
    assert_eq!(
        completed(m.tdcall(&input, &mut NoMemory))[Gpr::Rax],
        TDX_NO_VALID_VE_INFO
    );
}

/// TDG.VP.VEINFO.GET versions 1 and 2 exist from module 1.5.28 / 2.0.04 on: 1.5.05 rejects
/// them in the dispatcher (nothing written); 1.5.34 and 2.0.18 return the #VE category in RCX
/// bits 39:32 and (version 2) R11 = 0, R12 = the interruptibility state; version 3 is refused
/// by the handler after the default outputs are written.
#[test]
fn veinfo_get_versions_by_module() {
    use crate::ModuleVersion;
    let ve = VeInfo {
        exit_reason: 48,
        exit_qualification: 0x181,
        gla: 0x1000,
        gpa: 0x8000_1000,
        instruction_length: 3,
        instruction_info: 0x77,
        ve_category: 2,
        interruptibility_state: 9,
    };
    let canaries = &[
        (Gpr::Rcx, 0xc1),
        (Gpr::R10, 0xc10),
        (Gpr::R11, 0xc11),
        (Gpr::R12, 0xc12),
    ];
    for version in ModuleVersion::ALL {
        let mut m = TdxModule::new(TdConfig {
            module_version: version,
            ..TdConfig::default()
        });
        for leaf_version in 1..=3u8 {
            m.set_ve_info(Some(ve));
            let input = regs(rax(TDG_VP_VEINFO_GET, leaf_version), canaries);
            let out = completed(m.tdcall(&input, &mut NoMemory));
            if version == ModuleVersion::V1_5_05 {
                assert_eq!(out[Gpr::Rax], 0xC000_0100_0000_0000, "{version}");
                assert_eq!(
                    out,
                    Regs {
                        gpr: {
                            let mut g = input.gpr;
                            g[0] = out[Gpr::Rax];
                            g
                        }
                    }
                );
                assert_eq!(m.ve_info(), Some(ve), "not consumed");
                continue;
            }
            if leaf_version == 3 {
                assert_eq!(out[Gpr::Rax], 0xC000_0100_0000_0000, "{version}");
                assert_eq!((out[Gpr::Rcx], out[Gpr::R10]), (0, 0), "defaults written");
                assert_eq!((out[Gpr::R11], out[Gpr::R12]), (0xc11, 0xc12));
                continue;
            }
            let c = lookup(TDG_VP_VEINFO_GET, leaf_version).unwrap();
            assert_eq!(out[Gpr::Rax], TDX_SUCCESS, "{version} v{leaf_version}");
            assert_eq!(out[Gpr::Rcx], 48 | 2 << 32);
            assert_eq!(c.output_field(&out, "ve_category"), Some(2));
            if leaf_version == 2 {
                assert_eq!((out[Gpr::R11], out[Gpr::R12]), (0, 9));
                assert_eq!(c.output_field(&out, "interruptibility_state"), Some(9));
            } else {
                assert_eq!((out[Gpr::R11], out[Gpr::R12]), (0xc11, 0xc12));
            }
            // No valid information: R11 and R12 keep their inputs in version 2 too.
            let out = completed(m.tdcall(&input, &mut NoMemory));
            assert_eq!(out[Gpr::Rax], TDX_NO_VALID_VE_INFO);
            assert_eq!((out[Gpr::R11], out[Gpr::R12]), (0xc11, 0xc12));
        }
    }
}

// ------------------------------------------------------------------ CPUIDVE.SET

#[test]
fn cpuidve_set_paths() {
    let mut m = module();
    assert_eq!(m.cpuid_ve(), (false, false));
    let set = |m: &mut TdxModule, v: u64| {
        let input = regs(rax(TDG_VP_CPUIDVE_SET, 0), &[(Gpr::Rcx, v)]);
        run(m, &input, &mut NoMemory, RegSet::EMPTY)[Gpr::Rax]
    };
    assert_eq!(set(&mut m, 2), TDX_SUCCESS);
    assert_eq!(m.cpuid_ve(), (false, true));
    assert_eq!(set(&mut m, 4), TDX_OPERAND_INVALID + 1);
    assert_eq!(set(&mut m, 1 << 63 | 1), TDX_OPERAND_INVALID + 1);
    assert_eq!(m.cpuid_ve(), (false, true));
    assert_eq!(set(&mut m, 1), TDX_SUCCESS);
    assert_eq!(m.cpuid_ve(), (true, false));
}

// ------------------------------------------------------------------ REPORT

fn report(m: &mut TdxModule, mem: &mut dyn GuestMemory, rcx: u64, rdx: u64, r8: u64) -> Completion {
    let input = regs(
        rax(TDG_MR_REPORT, 0),
        &[(Gpr::Rcx, rcx), (Gpr::Rdx, rdx), (Gpr::R8, r8)],
    );
    m.tdcall(&input, mem)
}

#[test]
fn report_paths() {
    let mut m = module();
    let mut mem = FlatMemory::new(0x10_0000, 0x2000);
    let data: [u8; 64] = core::array::from_fn(|i| i as u8 ^ 0x3C);
    assert!(mem.write(0x10_1040, &data));
    let st = |c: Completion| completed(c)[Gpr::Rax];
    assert_eq!(
        st(report(&mut m, &mut mem, 0x10_0200, 0x10_1040, 0)),
        TDX_OPERAND_INVALID + 1
    );
    // RCX alignment is checked before RDX alignment.
    assert_eq!(
        st(report(&mut m, &mut mem, 0x10_0200, 0x10_1041, 0)),
        TDX_OPERAND_INVALID + 1
    );
    assert_eq!(
        st(report(&mut m, &mut mem, 0x10_0000, 0x10_1041, 0)),
        TDX_OPERAND_INVALID + 2
    );
    assert_eq!(
        st(report(&mut m, &mut mem, 0x10_0000, 0x10_1040 | 1 << 49, 0)),
        TDX_OPERAND_INVALID + 2
    );
    // REPORTDATA is read before R8 is checked.
    assert_eq!(
        report(&mut m, &mut mem, 0x10_0000, 0x20_0000, 1),
        Completion::TdExit(TdExitReason::EptViolation { gpa: 0x20_0000 })
    );
    assert_eq!(
        st(report(&mut m, &mut mem, 0x10_0000, 0x10_1040, 1)),
        TDX_OPERAND_INVALID + 8
    );
    assert_eq!(
        st(report(&mut m, &mut mem, 0x10_0000, 0x10_1040, 1 << 40)),
        TDX_OPERAND_INVALID + 8
    );
    m.set_rtmr_busy(true);
    assert_eq!(
        st(report(&mut m, &mut mem, 0x10_0000, 0x10_1040, 0)),
        TDX_OPERAND_BUSY + 0xA8
    );
    m.set_rtmr_busy(false);
    // RCX not backed: TD exit after everything else; RCX invalid GPA: OPERAND_INVALID|RCX.
    assert_eq!(
        report(&mut m, &mut mem, 0x30_0000, 0x10_1040, 0),
        Completion::TdExit(TdExitReason::EptViolation { gpa: 0x30_0000 })
    );
    assert_eq!(
        st(report(&mut m, &mut mem, 0x10_0000 | 1 << 50, 0x10_1040, 0)),
        TDX_OPERAND_INVALID + 1
    );
    // Success, shared GPAs allowed (shared bit stripped for memory).
    let input = regs(
        rax(TDG_MR_REPORT, 0),
        &[
            (Gpr::Rcx, 0x10_0400 | 1 << 47),
            (Gpr::Rdx, 0x10_1040 | 1 << 47),
            (Gpr::R8, 0),
        ],
    );
    assert_eq!(
        run(&mut m, &input, &mut mem, RegSet::EMPTY)[Gpr::Rax],
        TDX_SUCCESS
    );
    let expect = m.expected_report(&data);
    assert_eq!(&mem.bytes[0x400..0x800], &expect[..]);
    // Private report buffer in a non-accepted page of the region: TD exit.
    assert!(matches!(
        report(&mut m, &mut mem, BASE, 0x10_1040, 0),
        Completion::TdExit(TdExitReason::EptViolation { gpa: BASE })
    ));
}

#[test]
fn report_layout() {
    let mut m = module();
    let mut mem = FlatMemory::new(0x10_0000, 0x2000);
    mem.write(0x10_1800, &[0xAB; 48]);
    assert_eq!(
        completed(extend(&mut m, &mut mem, 0x10_1800, 1))[Gpr::Rax],
        TDX_SUCCESS
    );
    let data = [0x42u8; 64];
    let r = m.expected_report(&data);
    let c = m.config().clone();
    assert_eq!(&r[0..4], &[0x81, 0, 0, 0]);
    assert_eq!(&r[4..16], &[0; 12]);
    assert_eq!(&r[o::CPUSVN..o::CPUSVN + 16], &c.cpusvn);
    assert_eq!(&r[128..192], &data);
    assert_eq!(&r[192..224], &[0; 32]);
    assert_eq!(
        &r[o::TEE_TCB_INFO_VALID..o::TEE_TCB_INFO_VALID + 8],
        &c.tee_tcb_info_valid.to_le_bytes()
    );
    assert_eq!(&r[280..328], &c.mr_seam);
    assert_eq!(&r[400..512], &[0; 112]);
    assert_eq!(&r[512..520], &ATTR_SEPT_VE_DISABLE.to_le_bytes());
    assert_eq!(&r[520..528], &0xE7u64.to_le_bytes());
    assert_eq!(&r[528..576], &c.mrtd);
    assert_eq!(r[528], 0);
    assert_eq!(r[575], 47);
    assert_eq!(&r[720..768], &[0; 48]);
    let one = hex48("73bbee246f69b6bf7824b9e7643701dad9ed70c94c9880d033c0ac87b5043d0dd70cad576882faf2f6679a22ededfea4");
    assert_eq!(&r[768..816], &one);
    assert_eq!(&r[960..1024], &[0; 64]);
    {
        use sha2::{Digest, Sha384};
        assert_eq!(r[32..80], Sha384::digest(&r[256..495])[..]);
        assert_eq!(r[80..128], Sha384::digest(&r[512..1024])[..]);
        assert_eq!(r[224..256], Sha384::digest(&r[..224])[..32]);
    }
    // REPORTTYPE.VERSION is 1 with service TDs.
    let m1 = TdxModule::new(TdConfig {
        servtd_num: 1,
        ..TdConfig::default()
    });
    assert_eq!(m1.expected_report(&data)[2], 1);
    // The report changes with REPORTDATA only in REPORTDATA and the MAC.
    let r2 = m.expected_report(&[0u8; 64]);
    assert_eq!(r[..128], r2[..128]);
    assert_eq!(r[192..224], r2[192..224]);
    assert_ne!(r[224..256], r2[224..256]);
    assert_eq!(r[256..], r2[256..]);
}

/// TD_CTLS: 1.5.05 writes bits 1:0 only; 1.5.34 and 2.0.18 write bits 4:0 and LOCK (63),
/// REDUCE_VE sets ENUM_TOPOLOGY and VIRT_CPUID2, LOCK freezes TD_CTLS and the CPUID #VE
/// controls, ENABLE_HW_KEYS needs sealing (`md_td_write_element()`, `metadata_td.c`).
#[test]
fn td_ctls_by_module_version() {
    let inv = |o: &Regs| (o[Gpr::Rax], o[Gpr::R8]);
    for v in ModuleVersion::ALL {
        let newer = v >= ModuleVersion::V1_5_34;
        let mut m = TdxModule::new(TdConfig {
            module_version: v,
            ..TdConfig::default()
        });
        let start = m.metadata(TD_CTLS).unwrap();
        assert_eq!(start, TD_CTLS_PENDING_VE_DISABLE);
        // REDUCE_VE alone.
        let out = vm_wr(&mut m, 0, TD_CTLS, TD_CTLS_REDUCE_VE, TD_CTLS_REDUCE_VE);
        if newer {
            assert_eq!(inv(&out), (TDX_SUCCESS, start), "{v}");
            assert_eq!(
                m.metadata(TD_CTLS),
                Some(start | TD_CTLS_REDUCE_VE | TD_CTLS_ENUM_TOPOLOGY | TD_CTLS_VIRT_CPUID2),
                "{v}"
            );
        } else {
            assert_eq!(inv(&out), (TDX_METADATA_FIELD_NOT_WRITABLE, 0), "{v}");
            // With a writable bit in the mask, the other bits must keep their value.
            assert_eq!(
                inv(&vm_wr(&mut m, 0, TD_CTLS, 8 | 2, 8 | 2)),
                (TDX_METADATA_FIELD_VALUE_NOT_VALID, 0)
            );
            assert_eq!(m.metadata(TD_CTLS), Some(start));
        }
        // ENABLE_HW_KEYS on a platform without sealing.
        m.set_key_get_enables(false, false, false);
        let out = vm_wr(
            &mut m,
            0,
            TD_CTLS,
            TD_CTLS_ENABLE_HW_KEYS,
            TD_CTLS_ENABLE_HW_KEYS,
        );
        let want = if newer {
            TDX_METADATA_FIELD_VALUE_NOT_VALID
        } else {
            TDX_METADATA_FIELD_NOT_WRITABLE
        };
        assert_eq!(out[Gpr::Rax], want, "{v}");
        // LOCK: then no change is taken, an unchanged write is, and CPUIDVE.SET may not change
        // the controls.
        let before = m.metadata(TD_CTLS).unwrap();
        let out = vm_wr(&mut m, 0, TD_CTLS, TD_CTLS_LOCK, TD_CTLS_LOCK);
        let cpuidve = |m: &mut TdxModule, rcx| {
            completed(m.tdcall(
                &regs(rax(TDG_VP_CPUIDVE_SET, 0), &[(Gpr::Rcx, rcx)]),
                &mut NoMemory,
            ))[Gpr::Rax]
        };
        if newer {
            assert_eq!(inv(&out), (TDX_SUCCESS, before), "{v}");
            let locked = before | TD_CTLS_LOCK;
            assert_eq!(
                inv(&vm_wr(&mut m, 0, TD_CTLS, 0, TD_CTLS_ENUM_TOPOLOGY)),
                (TDX_METADATA_FIELD_VALUE_NOT_VALID, 0),
                "{v}"
            );
            assert_eq!(
                inv(&vm_wr(&mut m, 0, TD_CTLS, locked, u64::MAX)),
                (TDX_SUCCESS, locked),
                "{v}"
            );
            assert_eq!(m.metadata(TD_CTLS), Some(locked), "{v}");
            assert_eq!(cpuidve(&mut m, 0), TDX_SUCCESS, "{v}: unchanged");
            assert_eq!(cpuidve(&mut m, 1), TDX_OPERAND_INVALID + 1, "{v}");
            assert_eq!(m.cpuid_ve(), (false, false), "{v}");
        } else {
            assert_eq!(inv(&out), (TDX_METADATA_FIELD_NOT_WRITABLE, 0), "{v}");
            assert_eq!(cpuidve(&mut m, 1), TDX_SUCCESS, "{v}");
            assert_eq!(m.cpuid_ve(), (true, false), "{v}");
        }
    }
}

/// R8 bits 9:8 (requestor id) and REPORTTYPE.VERSION 3 exist from 1.5.34 (`tdg_mr_report()`,
/// 9fd3c8b1); 1.5.05 refuses any R8 but 0.
#[test]
fn report_requestor_and_version_3_by_module_version() {
    let data = [0x5Au8; 64];
    for v in ModuleVersion::ALL {
        let newer = v >= ModuleVersion::V1_5_34;
        let mut m = TdxModule::new(TdConfig {
            module_version: v,
            ..TdConfig::default()
        });
        let mut mem = FlatMemory::new(0x10_0000, 0x2000);
        assert!(mem.write(0x10_1040, &data));
        let st = |m: &mut TdxModule, mem: &mut FlatMemory, r8| {
            completed(report(m, mem, 0x10_0000, 0x10_1040, r8))[Gpr::Rax]
        };
        let want = if newer {
            TDX_SUCCESS
        } else {
            TDX_OPERAND_INVALID + 8
        };
        assert_eq!(st(&mut m, &mut mem, 3 << 8), want, "{v}");
        // Subtype and the reserved bits above the requestor id: refused on every version.
        assert_eq!(st(&mut m, &mut mem, 1), TDX_OPERAND_INVALID + 8, "{v}");
        assert_eq!(
            st(&mut m, &mut mem, 1 << 10),
            TDX_OPERAND_INVALID + 8,
            "{v}"
        );
        // Without SERVTDEXT or TDID/VMID reporting: version 0 and a zero tail, everywhere.
        assert_eq!(st(&mut m, &mut mem, 0), TDX_SUCCESS);
        assert_eq!(mem.bytes[2], 0, "{v}");
        assert_eq!(&mem.bytes[960..1024], &[0; 64], "{v}");
        // Host reporting on, requestor 2: version 3 with TDID, VMID and VALID from 1.5.34.
        m.set_report_v3_enables(false, true);
        let r8 = if newer { 2 << 8 } else { 0 };
        assert_eq!(st(&mut m, &mut mem, r8), TDX_SUCCESS, "{v}");
        let r = &mem.bytes[..1024];
        if newer {
            assert_eq!(r[2], 3, "{v}");
            assert_eq!(r[1016], 2, "{v}");
            assert_eq!(&r[960..968], &m.config().td_uuid[0].to_le_bytes(), "{v}");
            assert_eq!(&r[984..992], &m.config().td_uuid[3].to_le_bytes(), "{v}");
            assert_eq!(&r[1020..1024], &0x300u32.to_le_bytes(), "{v}");
        } else {
            assert_eq!(r[2], 0, "{v}");
            assert_eq!(&r[960..1024], &[0; 64], "{v}");
        }
        assert_eq!(
            r[..],
            m.expected_report_for(&data, (r8 >> 8) as u8)[..],
            "{v}"
        );
        // Reporting on: no interruption point from 1.5.34 (the hash is never cached). An RTMR
        // extension drops the cached hash, so 1.5.05 has one.
        assert!(mem.write(0x10_1800, &[0xAB; 48]));
        assert_eq!(
            completed(extend(&mut m, &mut mem, 0x10_1800, 2))[Gpr::Rax],
            TDX_SUCCESS
        );
        m.set_interrupt_pending(1);
        let c = report(&mut m, &mut mem, 0x10_0000, 0x10_1040, 0);
        assert_eq!(c == Completion::Interrupted, !newer, "{v}");
        m.set_interrupt_pending(0);
        // SERVTDEXT alone: version 3, TDID and VMID not valid; SERVTD_HASH is zero here.
        m.set_report_v3_enables(true, false);
        assert_eq!(st(&mut m, &mut mem, 0), TDX_SUCCESS);
        assert_eq!(mem.bytes[2], if newer { 3 } else { 0 }, "{v}");
        assert_eq!(&mem.bytes[960..1024], &[0; 64], "{v}");
    }
}

/// `check_gpa_validity()` and the exit GPA by version: from 1.5.34 VIRT_MAXPA (`max_pa`) caps
/// the width but the shared bit stays valid, and an EPT-violation exit reports the page.
#[test]
fn gpa_validity_and_exit_gpa_by_module_version() {
    let data = [7u8; 64];
    for v in ModuleVersion::ALL {
        let newer = v >= ModuleVersion::V1_5_34;
        let mut m = TdxModule::new(TdConfig {
            module_version: v,
            max_pa: 46,
            ..TdConfig::default()
        });
        let mut mem = FlatMemory::new(0x10_0000, 0x2000);
        assert!(mem.write(0x10_1040, &data));
        let st = |m: &mut TdxModule, mem: &mut FlatMemory, rdx| {
            completed(report(m, mem, 0x10_0000, rdx, 0))[Gpr::Rax]
        };
        // The shared bit stays valid; bit 46 is beyond VIRT_MAXPA from 1.5.34 only (1.5.05
        // checks against the constant MAX_PA, 52, and then walks the private GPA: an exit).
        assert_eq!(
            st(&mut m, &mut mem, 0x10_1040 | 1 << 47),
            TDX_SUCCESS,
            "{v}"
        );
        let beyond = report(&mut m, &mut mem, 0x10_0000, 0x10_1040 | 1 << 46, 0);
        if newer {
            assert_eq!(completed(beyond)[Gpr::Rax], TDX_OPERAND_INVALID + 2, "{v}");
        } else {
            assert!(matches!(beyond, Completion::TdExit(_)), "{v}: {beyond:?}");
        }
        let exit = if newer { BASE } else { BASE + 0x40 };
        assert_eq!(
            report(&mut m, &mut mem, 0x10_0000, BASE + 0x40, 0),
            Completion::TdExit(TdExitReason::EptViolation { gpa: exit }),
            "{v}"
        );
    }
}

#[test]
fn report_interruptible_only_without_cached_hash() {
    let mut m = module();
    let mut mem = FlatMemory::new(0x10_0000, 0x2000);
    m.set_interrupt_pending(3);
    assert_eq!(
        report(&mut m, &mut mem, 0x10_0000, 0x10_1000, 0),
        Completion::Interrupted
    );
    assert_eq!(mem.bytes[0], 0, "nothing written when interrupted");
    assert_eq!(
        completed(report(&mut m, &mut mem, 0x10_0000, 0x10_1000, 0))[Gpr::Rax],
        TDX_SUCCESS
    );
    assert_eq!(mem.bytes[0], 0x81);
    // TEE_INFO_HASH is now cached: not an interruption point.
    assert_eq!(
        completed(report(&mut m, &mut mem, 0x10_0000, 0x10_1000, 0))[Gpr::Rax],
        TDX_SUCCESS
    );
    assert_eq!(m.interrupts_pending(), 2);
    // An RTMR extend invalidates the cache.
    assert_eq!(
        completed(extend(&mut m, &mut mem, 0x10_1800, 0))[Gpr::Rax],
        TDX_SUCCESS
    );
    assert_eq!(
        report(&mut m, &mut mem, 0x10_0000, 0x10_1000, 0),
        Completion::Interrupted
    );
    assert_eq!(
        completed(report(&mut m, &mut mem, 0x10_0000, 0x10_1000, 0))[Gpr::Rax],
        TDX_SUCCESS
    );
    assert_eq!(m.interrupts_pending(), 1);
}

// ------------------------------------------------------------------ VM.RD / VM.WR

fn vm_rd(m: &mut TdxModule, version: u8, rcx: u64, field: u64) -> Regs {
    let c = lookup(TDG_VM_RD, version).unwrap();
    let input = regs(
        rax(TDG_VM_RD, version),
        &[(Gpr::Rcx, rcx), (Gpr::Rdx, field)],
    );
    run(m, &input, &mut NoMemory, c.may_modify)
}

fn vm_wr(m: &mut TdxModule, rcx: u64, field: u64, value: u64, mask: u64) -> Regs {
    let c = lookup(TDG_VM_WR, 0).unwrap();
    let input = regs(
        rax(TDG_VM_WR, 0),
        &[
            (Gpr::Rcx, rcx),
            (Gpr::Rdx, field),
            (Gpr::R8, value),
            (Gpr::R9, mask),
        ],
    );
    run(m, &input, &mut NoMemory, c.may_modify)
}

const ATTRIBUTES: u64 = 0x1110_0003_0000_0000;
const CONFIG_FLAGS: u64 = 0x1110_0003_0000_0016;
const TD_CTLS: u64 = 0x1110_0003_0000_0017;
const NOTIFY_ENABLES: u64 = 0x9100_0000_0000_0010;
const TOPOLOGY: u64 = 0x9100_0000_0000_0019;

#[test]
fn vm_rd_v0_paths() {
    let mut m = module();
    let out = vm_rd(&mut m, 0, 0, ATTRIBUTES);
    assert_eq!(out[Gpr::Rax], TDX_SUCCESS);
    assert_eq!(out[Gpr::R8], ATTR_SEPT_VE_DISABLE);
    assert_eq!(out[Gpr::Rdx], ATTRIBUTES, "v0 leaves RDX alone");
    // Context code ignored; non-arch bit and element size don't matter for lookup.
    assert_eq!(
        vm_rd(&mut m, 0, 0, ATTRIBUTES & !(0x7 << 52))[Gpr::R8],
        ATTR_SEPT_VE_DISABLE
    );
    assert_eq!(
        vm_rd(&mut m, 0, 0, CONFIG_FLAGS)[Gpr::R8],
        CONFIG_FLAGS_FLEXIBLE_PENDING_VE
    );
    assert_eq!(
        vm_rd(&mut m, 0, 0, TD_CTLS)[Gpr::R8],
        TD_CTLS_PENDING_VE_DISABLE
    );
    assert_eq!(vm_rd(&mut m, 0, 0, TOPOLOGY)[Gpr::R8], 1);
    assert_eq!(vm_rd(&mut m, 0, 0, NOTIFY_ENABLES)[Gpr::R8], 0);
    assert_eq!(vm_rd(&mut m, 0, 0, 0x1110_0000_0000_0003)[Gpr::R8], 0); // GPAW
    assert_eq!(vm_rd(&mut m, 0, 0, 0x9010_0002_0000_0001)[Gpr::R8], 4); // NUM_VCPUS
    assert_eq!(vm_rd(&mut m, 0, 0, 0x1110_0002_0000_0002)[Gpr::R8], 8); // MAX_VCPUS
    assert_eq!(
        vm_rd(&mut m, 0, 0, 0x1310_0003_0000_0001)[Gpr::R8],
        0x0F0E_0D0C_0B0A_0908
    ); // MRTD[1]
    assert_eq!(
        vm_rd(&mut m, 0, 0, 0x8010_0003_0000_0022)[Gpr::R8],
        0x3333_3333_3333_3333
    ); // TD_UUID[2]
       // Failures: R8 = 0, RDX unchanged.
    let out = vm_rd(&mut m, 0, 1, ATTRIBUTES);
    assert_eq!((out[Gpr::Rax], out[Gpr::R8]), (TDX_OPERAND_INVALID + 1, 0));
    for bad in [
        ATTRIBUTES | 1 << 24,  // reserved_0
        ATTRIBUTES | 1 << 47,  // reserved_1
        ATTRIBUTES | 1 << 55,  // reserved_2
        ATTRIBUTES | 1 << 62,  // reserved_3
        ATTRIBUTES | 1 << 34,  // last element
        ATTRIBUTES | 1 << 38,  // last field
        0x1110_0003_0000_0005, // unknown field code
        0x3F10_0003_0000_0000, // unknown class
        0x2510_0003_0000_0000, // L2 SEPT root, no L2 VMs
        0x9410_0003_00FE_0000, // CPUID field code bits 23:17
        NULL,                  // null ID in version 0
    ] {
        let out = vm_rd(&mut m, 0, 0, bad);
        assert_eq!(out[Gpr::Rax], TDX_METADATA_FIELD_ID_INCORRECT, "{bad:#x}");
        assert_eq!(out[Gpr::R8], 0);
        assert_eq!(out[Gpr::Rdx], bad);
    }
    // Existing but not guest-readable.
    for nr in [
        0x8010_0000_0000_0001u64,
        0x9110_0003_0000_0011,
        0x2110_0003_0000_0005,
        0x9410_0003_0000_0000,
    ] {
        let out = vm_rd(&mut m, 0, 0, nr);
        assert_eq!(out[Gpr::Rax], TDX_METADATA_FIELD_NOT_READABLE, "{nr:#x}");
        assert_eq!(out[Gpr::R8], 0);
    }
}

#[test]
fn vm_rd_v1_next_and_defaults() {
    let mut m = module();
    // Null ID (context bits ignored): first field, informational status, R8 = 0.
    for null in [NULL, NULL & !(0x7 << 52)] {
        let out = vm_rd(&mut m, 1, 0, null);
        assert_eq!(out[Gpr::Rax], 0x0000_0C0B_0000_0000);
        assert_eq!(out[Gpr::Rdx], 0x8010_0003_0000_0020);
        assert_eq!(out[Gpr::R8], 0);
    }
    // Next within an entry keeps the input's bits (context forced to TD).
    let out = vm_rd(&mut m, 1, 0, 0x1300_0003_0000_0000);
    assert_eq!(out[Gpr::Rax], TDX_SUCCESS);
    assert_eq!(out[Gpr::R8], 0x0706_0504_0302_0100);
    assert_eq!(out[Gpr::Rdx], 0x1310_0003_0000_0001);
    // Last element of an entry: canonical ID of the next readable entry.
    assert_eq!(
        vm_rd(&mut m, 1, 0, 0x1310_0003_0000_0005)[Gpr::Rdx],
        0x1310_0003_0000_0010
    );
    assert_eq!(
        vm_rd(&mut m, 1, 0, CONFIG_FLAGS)[Gpr::Rdx],
        0x9110_0003_0000_0017
    );
    // 2.0.18 (the default) reads VE_REDUCTION_VALID next; 1.5.05 MRTD (`tests_tables.rs`).
    assert_eq!(
        vm_rd(&mut m, 1, 0, TOPOLOGY)[Gpr::Rdx],
        0x9110_0000_0000_001A
    );
    // Last readable element: next = -1.
    let out = vm_rd(&mut m, 1, 0, 0x9910_0003_0000_008F);
    assert_eq!(
        (out[Gpr::Rax], out[Gpr::Rdx], out[Gpr::R8]),
        (TDX_SUCCESS, NULL, 0)
    );
    // Failures: RDX = -1, R8 = 0.
    for (rcx, id, st) in [
        (1, ATTRIBUTES, TDX_OPERAND_INVALID + 1),
        (0, 0x1110_0003_0000_0005, TDX_METADATA_FIELD_ID_INCORRECT),
        (0, 0x8010_0000_0000_0001, TDX_METADATA_FIELD_NOT_READABLE),
    ] {
        let out = vm_rd(&mut m, 1, rcx, id);
        assert_eq!((out[Gpr::Rax], out[Gpr::Rdx], out[Gpr::R8]), (st, NULL, 0));
    }
    // Walking the whole context with version 1 visits every readable element once, in order.
    let readable: alloc::vec::Vec<u64> = m
        .metadata_fields()
        .filter(|(_, a)| a.readable())
        .map(|(id, _)| id)
        .collect();
    let mut id = vm_rd(&mut m, 1, 0, NULL)[Gpr::Rdx];
    let mut seen = alloc::vec::Vec::new();
    while id != NULL {
        let out = vm_rd(&mut m, 1, 0, id);
        assert_eq!(out[Gpr::Rax], TDX_SUCCESS);
        assert_eq!(Some(out[Gpr::R8]), m.metadata(id));
        seen.push(id);
        id = out[Gpr::Rdx];
    }
    assert_eq!(seen, readable);
    assert_eq!(seen.len(), 92); // 2.0.18: with VE_REDUCTION_VALID and FEATURE_PARAVIRT_CTLS
}

#[test]
fn vm_wr_paths() {
    let mut m = module();
    let inv = |o: &Regs| (o[Gpr::Rax], o[Gpr::R8]);
    // NOTIFY_ENABLES: write bit 0.
    let out = vm_wr(&mut m, 0, NOTIFY_ENABLES, 1, 1);
    assert_eq!(inv(&out), (TDX_SUCCESS, 0));
    assert_eq!(m.metadata(NOTIFY_ENABLES), Some(1));
    let out = vm_wr(&mut m, 0, NOTIFY_ENABLES, 0, u64::MAX);
    assert_eq!(
        inv(&out),
        (TDX_SUCCESS, 1),
        "old value returned; extra mask bits ok if unchanged"
    );
    assert_eq!(m.metadata(NOTIFY_ENABLES), Some(0));
    // Mask bits outside the write mask with a different value: VALUE_NOT_VALID.
    assert_eq!(
        inv(&vm_wr(&mut m, 0, NOTIFY_ENABLES, 3, 3)),
        (TDX_METADATA_FIELD_VALUE_NOT_VALID, 0)
    );
    // Mask only outside the write mask: NOT_WRITABLE.
    assert_eq!(
        inv(&vm_wr(&mut m, 0, NOTIFY_ENABLES, 2, 2)),
        (TDX_METADATA_FIELD_NOT_WRITABLE, 0)
    );
    assert_eq!(
        inv(&vm_wr(&mut m, 0, NOTIFY_ENABLES, 1, 0)),
        (TDX_METADATA_FIELD_NOT_WRITABLE, 0)
    );
    // Read-only fields.
    assert_eq!(
        inv(&vm_wr(&mut m, 0, ATTRIBUTES, 0, u64::MAX)),
        (TDX_METADATA_FIELD_NOT_WRITABLE, 0)
    );
    assert_eq!(
        inv(&vm_wr(&mut m, 0, CONFIG_FLAGS, 0, 1)),
        (TDX_METADATA_FIELD_NOT_WRITABLE, 0)
    );
    assert_eq!(
        inv(&vm_wr(&mut m, 0, 0x9410_0003_0000_0000, 0, 1)),
        (TDX_METADATA_FIELD_NOT_WRITABLE, 0)
    );
    // Operand and ID checks.
    assert_eq!(
        inv(&vm_wr(&mut m, 2, NOTIFY_ENABLES, 1, 1)),
        (TDX_OPERAND_INVALID + 1, 0)
    );
    assert_eq!(
        inv(&vm_wr(&mut m, 0, NULL, 1, 1)),
        (TDX_METADATA_FIELD_ID_INCORRECT, 0)
    );
    assert_eq!(
        inv(&vm_wr(&mut m, 0, NOTIFY_ENABLES | 1 << 62, 1, 1)),
        (TDX_METADATA_FIELD_ID_INCORRECT, 0)
    );
    // TD_CTLS: ENUM_TOPOLOGY (configured), PENDING_VE_DISABLE (flexible).
    let out = vm_wr(
        &mut m,
        0,
        TD_CTLS,
        TD_CTLS_ENUM_TOPOLOGY,
        TD_CTLS_ENUM_TOPOLOGY,
    );
    assert_eq!(inv(&out), (TDX_SUCCESS, TD_CTLS_PENDING_VE_DISABLE));
    let out = vm_wr(&mut m, 0, TD_CTLS, 0, TD_CTLS_PENDING_VE_DISABLE);
    assert_eq!(inv(&out), (TDX_SUCCESS, 3));
    assert_eq!(m.metadata(TD_CTLS), Some(TD_CTLS_ENUM_TOPOLOGY));
    // The bits of later modules: `td_ctls_by_module_version`.

    // Without FLEXIBLE_PENDING_VE and without configured topology.
    let mut m = TdxModule::new(TdConfig {
        config_flags: 0,
        topology_enum_configured: false,
        ..TdConfig::default()
    });
    assert_eq!(m.metadata(CONFIG_FLAGS), Some(0));
    assert_eq!(
        inv(&vm_wr(&mut m, 0, TD_CTLS, 0, 1)),
        (TDX_METADATA_FIELD_VALUE_NOT_VALID, 0)
    );
    assert_eq!(
        inv(&vm_wr(&mut m, 0, TD_CTLS, 1, 1)),
        (TDX_SUCCESS, 1),
        "unchanged is fine"
    );
    assert_eq!(
        inv(&vm_wr(&mut m, 0, TD_CTLS, 3, 2)),
        (TDX_METADATA_FIELD_VALUE_NOT_VALID, 0)
    );
    assert_eq!(m.metadata(TD_CTLS), Some(1));
    // GPAW 52 shows in CONFIG_FLAGS bit 0 and in GPAW.
    let m = TdxModule::new(TdConfig {
        gpaw_52: true,
        ..TdConfig::default()
    });
    assert_eq!(m.metadata(CONFIG_FLAGS), Some(3));
    assert_eq!(m.metadata(0x1110_0000_0000_0003), Some(1));
}

#[test]
fn metadata_fields_listing() {
    let m = module();
    let all: alloc::vec::Vec<(u64, MetadataAccess)> = m.metadata_fields().collect();
    // 2.0.18 (the default): 1.5.05's 90 elements, VE_REDUCTION_VALID and FEATURE_PARAVIRT_CTLS.
    assert_eq!(all.len(), 92);
    let w: alloc::vec::Vec<(u64, u64)> = all
        .iter()
        .filter(|(_, a)| a.writable())
        .map(|(id, a)| (*id, a.wr_mask))
        .collect();
    // TD_CTLS's guest write mask is the module version's: bits 4:0 and LOCK on 2.0.18 (the
    // default), bits 1:0 on 1.5.05.
    assert_eq!(
        w,
        [
            (0x9110_0003_0000_0010, 1),
            (0x9110_0003_0000_0017, TD_CTLS_GUEST_MASK),
            (0x9110_0003_0000_0022, 0xFFF)
        ]
    );
    let old = TdxModule::new(TdConfig {
        module_version: ModuleVersion::V1_5_05,
        ..TdConfig::default()
    });
    let ctls = old.metadata_fields().find(|(_, a)| a.name == "TD_CTLS");
    assert_eq!(ctls.map(|(_, a)| a.wr_mask), Some(3));
    assert_eq!(all[0].1.name, "TD_UUID");
    assert_eq!(all[all.len() - 1].0, 0x9910_0003_0000_008F);
    let gpaw = all.iter().find(|(_, a)| a.name == "GPAW").unwrap();
    assert_eq!(
        (gpaw.0, gpaw.1.element_size, gpaw.1.rd_mask),
        (0x9110_0000_0000_0003 & !(1 << 63), 1, 0xFF)
    );
}

#[test]
fn contracts_match_module_writes() {
    // For every contract, a success and a failure run only touch may_modify, and failure
    // defaults are as declared.
    let mut m = module();
    m.set_page(BASE, 0, PageState::Pending);
    let mut mem = FlatMemory::new(0x10_0000, 0x2000);
    for c in crate::contract::CONTRACTS {
        let input = regs(
            c.rax(),
            &[
                (Gpr::Rcx, 0x10_0000),
                (Gpr::Rdx, 0x10_0040),
                (Gpr::R8, 0),
                (Gpr::R9, 0),
            ],
        );
        if let Completion::Completed(out) = m.tdcall(&input, &mut mem) {
            let diff = out.diff(&input);
            assert_eq!(diff.minus(c.may_modify), RegSet::EMPTY, "{}", c.name);
            if decode_is_error(out[Gpr::Rax]) {
                for o in c.outputs {
                    if let OnFailure::Default(v) = o.on_failure {
                        assert_eq!(out[o.reg], v, "{} {:?}", c.name, o.reg);
                    }
                }
            }
        }
    }
}

fn decode_is_error(s: u64) -> bool {
    decode(s).error
}

/// A memory operand on a PENDING page: an EPT-violation TD exit while TD_CTLS.PENDING_VE_DISABLE
/// is set, a #VE (TDCALL not completed, VE_INFO filled) once the guest clears it, a #DF if
/// VE_INFO is still unread; other pages are unaffected by the control.
#[test]
fn pending_page_operand_follows_td_ctls() {
    for version in crate::ModuleVersion::ALL {
        pending_page_operand_on(version);
    }
}

fn pending_page_operand_on(version: crate::ModuleVersion) {
    let newer = version >= crate::ModuleVersion::V1_5_34;
    let mut m = TdxModule::new(TdConfig {
        module_version: version,
        ..TdConfig::default()
    });
    let pending = 0x8000_0000u64;
    let accepted = pending + 0x1000;
    m.set_page(pending, 0, PageState::Pending);
    m.set_page(accepted, 0, PageState::Accepted);
    let unmapped = pending + 0x2000;
    let extend = |gpa: u64| {
        regs(
            rax(TDG_MR_RTMR_EXTEND, 0),
            &[(Gpr::Rcx, gpa), (Gpr::Rdx, 0)],
        )
    };
    let report = |gpa: u64| {
        regs(
            rax(TDG_MR_REPORT, 0),
            &[(Gpr::Rcx, gpa), (Gpr::Rdx, accepted), (Gpr::R8, 0)],
        )
    };
    let mut mem = FlatMemory::new(pending, 0x4000);
    assert_eq!(
        m.tdcall(&extend(pending), &mut mem),
        Completion::TdExit(TdExitReason::EptViolation { gpa: pending })
    );
    // The guest clears PENDING_VE_DISABLE (CONFIG_FLAGS.FLEXIBLE_PENDING_VE is set).
    assert_eq!(vm_wr(&mut m, 0, TD_CTLS, 0, 1)[Gpr::Rax], TDX_SUCCESS);
    assert_eq!(m.tdcall(&extend(pending), &mut mem), Completion::VeInjected);
    let ve = m.ve_info().expect("VE_INFO valid after the #VE");
    assert_eq!(
        (ve.exit_reason, ve.exit_qualification, ve.gla, ve.gpa),
        (EXIT_REASON_EPT_VIOLATION, 1, 0, pending)
    );
    let category = if newer { VE_CATEGORY_PENDING } else { 0 };
    assert_eq!(ve.ve_category, category, "{version}");
    // VE_INFO not yet read: the next #VE becomes a #DF and VE_INFO keeps the first one.
    assert_eq!(
        m.tdcall(&report(pending), &mut mem),
        Completion::DoubleFault
    );
    assert_eq!(m.ve_info(), Some(ve));
    m.set_ve_info(None);
    // A read-write mapping (the TDREPORT output): data read and write on 1.5.05, data write
    assert_eq!(m.tdcall(&report(pending), &mut mem), Completion::VeInjected);
    // alone from 1.5.34 on
    // (`map_permissions()`).
    let qualification = if newer { 2 } else { 3 };
    assert_eq!(
        m.ve_info().map(|v| v.exit_qualification),
        Some(qualification),
        "{version}"
    );
    m.set_ve_info(None);
    // Unmapped pages still exit to the VMM; accepted ones complete.
    assert_eq!(
        m.tdcall(&extend(unmapped), &mut mem),
        Completion::TdExit(TdExitReason::EptViolation { gpa: unmapped })
    );
    assert!(matches!(
        m.tdcall(&extend(accepted), &mut mem),
        Completion::Completed(r) if r[Gpr::Rax] == TDX_SUCCESS
    ));
    assert_eq!(m.ve_info(), None);
}

#[test]
fn busy_hold_answers_n_times_then_releases() {
    let mut m = module();
    m.set_page(BASE, 1, PageState::Pending);
    m.set_page(BASE + 0x20_0000 + 0x3000, 0, PageState::Pending);
    m.set_page(BASE + 0x20_0000 + 0x4000, 0, PageState::Pending);
    m.hold_busy(BASE, 2);
    for _ in 0..2 {
        assert_eq!(accept_status(&mut m, BASE, 1), TDX_OPERAND_BUSY + 1);
    }
    assert_eq!(accept_status(&mut m, BASE, 1), TDX_SUCCESS);
    let hold = m.release_busy_hold().unwrap();
    assert_eq!((hold.answered, hold.remaining), (2, 0));
    // A 4 KiB hold in a split range counts only answers for its own page.
    let g = BASE + 0x20_0000;
    m.hold_busy(g + 0x3000, 3);
    assert_eq!(accept_status(&mut m, g + 0x3000, 0), TDX_OPERAND_BUSY + 1);
    assert_ne!(accept_status(&mut m, g + 0x4000, 0), TDX_OPERAND_BUSY + 1);
    let hold = m.release_busy_hold().unwrap();
    assert_eq!((hold.answered, hold.remaining), (1, 2));
    // Released: the page is free again.
    assert_eq!(accept_status(&mut m, g + 0x3000, 0), TDX_SUCCESS);
    assert_eq!(m.release_busy_hold(), None);
}

#[test]
fn outside_region_mapped_with_2m_leaves() {
    let mut m = module();
    let outside = BASE + (64 << 20);
    assert_eq!(accept_status(&mut m, outside, 0), TDX_PAGE_ALREADY_ACCEPTED);
    assert_eq!(
        accept_status(&mut m, outside, 1),
        TDX_PAGE_SIZE_MISMATCH + 1
    );
    m.map_outside_2m(true);
    assert_eq!(
        accept_status(&mut m, outside, 0),
        TDX_PAGE_ALREADY_ACCEPTED + 1
    );
    assert_eq!(
        accept_status(&mut m, outside, 1),
        TDX_PAGE_ALREADY_ACCEPTED + 1
    );
    assert_eq!(m.page(outside).level, 1);
    // 1 GiB is refused on every version, before the address is looked at.
    assert_eq!(
        accept_status(&mut m, BASE & !((1 << 30) - 1), 2),
        TDX_OPERAND_INVALID + 1
    );
}

#[test]
fn busy_hold_survives_a_split() {
    let mut m = module();
    m.set_page(BASE, 1, PageState::Pending);
    m.hold_busy(BASE + 0x5000, 3);
    // A 4 KiB accept in the pending 2 MiB leaf: TD exit; the honest VMM splits the range.
    let Completion::TdExit(exit) = accept(&mut m, BASE + 0x5000, 0) else {
        panic!("expected a TD exit");
    };
    m.vmm_handle_exit(exit);
    assert_eq!(
        accept_status(&mut m, BASE + 0x5000, 0),
        TDX_OPERAND_BUSY + 1
    );
    let hold = m.release_busy_hold().unwrap();
    assert_eq!((hold.answered, hold.level), (1, 0));
}

#[test]
fn clone_from_makes_the_same_module_in_place() {
    // A module that ran calls (pages, RTMR, the VMM's state) copied over one of another
    // configuration and state, with L2 VMs (their attribute tables): the same as a clone.
    let with_l2 = TdConfig {
        num_l2_vms: 2,
        ..TdConfig::default()
    };
    let mut src = TdxModule::new(with_l2.clone());
    accept(&mut src, BASE + 0x3000, 0);
    src.vmm_handle_exit(TdExitReason::EptViolation { gpa: BASE + 0x3000 });
    assert_eq!(accept_status(&mut src, BASE + 0x3000, 0), TDX_SUCCESS);
    src.set_busy(BASE + 0x5000, true);
    let mut dst = module();
    dst.set_page(BASE + 0x7000, 0, PageState::Pending);
    dst.clone_from(&src);
    assert_eq!(
        alloc::format!("{dst:?}"),
        alloc::format!("{:?}", src.clone())
    );
    assert_eq!(alloc::format!("{dst:?}"), alloc::format!("{src:?}"));
    // And back over a module of the same shape: the buffers are reused, the contents replaced.
    let fresh = TdxModule::new(with_l2);
    dst.clone_from(&fresh);
    assert_eq!(alloc::format!("{dst:?}"), alloc::format!("{fresh:?}"));
    assert_eq!(dst.page(BASE + 0x3000).state, PageState::Unmapped);
}

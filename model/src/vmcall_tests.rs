//! Tests of TDG.VP.VMCALL: the module's control-value checks, the VMM view and resume rules,
//! the honest VMM's sub-functions and the hostile VMM.

use crate::memory::{FlatMemory, GuestMemory, NoMemory};
use crate::module::*;
use crate::regs::{Gpr, RegSet, Regs};
use crate::status::TDX_OPERAND_INVALID;
use crate::vmcall::{get_quote, kvm, status::*, subfunction::*, vmcall_lookup, VmcallContract};
use crate::vmm::*;

const BASE: u64 = 0x8000_0000;
const SHARED: u64 = 1 << 47;

fn module() -> TdxModule {
    TdxModule::new(TdConfig::default())
}

fn junk() -> Regs {
    let mut r = Regs::default();
    for (i, v) in r.gpr.iter_mut().enumerate() {
        *v = 0xDEAD_0000_0000_0000 | (i as u64) << 8 | 0x5A;
    }
    r
}

fn completed(c: Completion) -> Regs {
    match c {
        Completion::Completed(r) => r,
        other => panic!("expected Completed, got {other:?}"),
    }
}

/// Junk registers, then the contract's RAX/RCX/R10/R11, then `args`.
fn input_for(c: &VmcallContract, args: &[(Gpr, u64)]) -> Regs {
    let mut r = junk();
    c.prepare(&mut r);
    for (g, v) in args {
        r[*g] = *v;
    }
    r
}

/// Run a standard sub-function with the contract's RCX; check the resume rules (RAX 0, RCX
/// restored, only exposed registers changed) and return the output registers.
fn call_in(m: &mut TdxModule, mem: &mut dyn GuestMemory, sf: u64, args: &[(Gpr, u64)]) -> Regs {
    let c = vmcall_lookup(0, sf).expect("contract");
    let input = input_for(c, args);
    let out = completed(m.tdcall(&input, mem));
    assert_eq!(out[Gpr::Rax], 0);
    assert_eq!(out[Gpr::Rcx], c.rcx());
    let changed = out.diff(&input).minus(RegSet::of(&[Gpr::Rax]));
    assert_eq!(changed.minus(c.exposed), RegSet::EMPTY, "{}", c.name);
    out
}

fn call(m: &mut TdxModule, sf: u64, args: &[(Gpr, u64)]) -> Regs {
    call_in(m, &mut NoMemory, sf, args)
}

// ------------------------------------------------------------------ module: control value

#[test]
fn control_value_illegal_bits() {
    let mut m = module();
    let ok = 0xFC00u64;
    for control in [
        ok | 1,       // RAX
        ok | 2,       // RCX
        ok | 1 << 4,  // RSP
        ok | 1 << 32, // bits 63:32
        ok | 1 << 63,
        0xFFFF_FFFF_0000_0000,
        0xFFFF,
    ] {
        let mut input = junk();
        input[Gpr::Rax] = 0;
        input[Gpr::Rcx] = control;
        let out = completed(m.tdcall(&input, &mut NoMemory));
        assert_eq!(out[Gpr::Rax], TDX_OPERAND_INVALID + 1, "{control:#x}");
        assert_eq!(out[Gpr::Rax], 0xC000_0100_0000_0001);
        assert_eq!(
            out.diff(&input),
            RegSet::of(&[Gpr::Rax]),
            "{control:#x}: only RAX changes"
        );
    }
    assert_eq!(m.vmcall_count(), 0);
    assert_eq!(m.last_vmm_view(), None);
}

#[test]
fn control_value_rbp_and_no_rbp_mod() {
    let rbp = 1u64 << 5;
    let mut input = junk();
    input[Gpr::Rax] = 0;
    input[Gpr::Rcx] = 0xFC00 | rbp;
    input[Gpr::R10] = 0;
    input[Gpr::R11] = INSTRUCTION_HLT;

    // NO_RBP_MOD clear: RBP may be selected, the exit happens.
    let mut m = module();
    let out = completed(m.tdcall(&input, &mut NoMemory));
    assert_eq!(out[Gpr::Rax], 0);
    assert_eq!(out[Gpr::R10], SUCCESS);
    assert_eq!(m.vmcall_count(), 1);
    assert_eq!(m.last_vmm_view().unwrap().regs[Gpr::Rbp], input[Gpr::Rbp]);

    // NO_RBP_MOD set: rejected.
    let cfg = TdConfig {
        config_flags: CONFIG_FLAGS_FLEXIBLE_PENDING_VE | CONFIG_FLAGS_NO_RBP_MOD,
        ..TdConfig::default()
    };
    let mut m = TdxModule::new(cfg);
    let out = completed(m.tdcall(&input, &mut NoMemory));
    assert_eq!(out[Gpr::Rax], 0xC000_0100_0000_0001);
    assert_eq!(out.diff(&input), RegSet::of(&[Gpr::Rax]));
    assert_eq!(m.vmcall_count(), 0);
    // ... but a mask without RBP still works.
    input[Gpr::Rcx] = 0xFC00;
    let out = completed(m.tdcall(&input, &mut NoMemory));
    assert_eq!(out[Gpr::Rax], 0);
    assert_eq!(m.vmcall_count(), 1);
}

#[test]
fn xmm_select_not_validated_and_rax_exact() {
    let mut m = module();
    let mut input = junk();
    input[Gpr::Rax] = 0;
    input[Gpr::Rcx] = 0xFFFF_1C00;
    input[Gpr::R10] = 0;
    input[Gpr::R11] = INSTRUCTION_HLT;
    let out = completed(m.tdcall(&input, &mut NoMemory));
    assert_eq!(out[Gpr::Rax], 0);
    assert_eq!(out[Gpr::Rcx], 0xFFFF_1C00);
    assert_eq!(m.last_vmm_view().unwrap().xmm_selected(), 0xFFFF);
    // RAX must be exactly 0: version 1 or reserved bits → OPERAND_INVALID + RAX, no exit.
    for rax in [1u64 << 16, 1 << 24, 1 << 63] {
        input[Gpr::Rax] = rax;
        let out = completed(m.tdcall(&input, &mut NoMemory));
        assert_eq!(out[Gpr::Rax], TDX_OPERAND_INVALID, "{rax:#x}");
        assert_eq!(out.diff(&input), RegSet::of(&[Gpr::Rax]));
    }
    assert_eq!(m.vmcall_count(), 1);
}

// ------------------------------------------------------------------ module: view and resume

#[test]
fn vmm_view_zeroes_unselected_and_includes_rcx() {
    let mut m = module();
    let c = vmcall_lookup(0, INSTRUCTION_RDMSR).unwrap();
    let input = input_for(c, &[(Gpr::R12, 0x1B)]);
    completed(m.tdcall(&input, &mut NoMemory));
    let view = m.last_vmm_view().unwrap();
    assert_eq!(view.control, 0x1C00);
    assert_eq!(view.selected(), RegSet::of(&[Gpr::R10, Gpr::R11, Gpr::R12]));
    let mut expect = Regs::zero();
    expect[Gpr::Rcx] = 0x1C00;
    expect[Gpr::R10] = 0;
    expect[Gpr::R11] = INSTRUCTION_RDMSR;
    expect[Gpr::R12] = 0x1B;
    assert_eq!(view.regs, expect);
    assert_eq!(view, VmmView::new(0x1C00, &input));

    // The 0xFFCC mask shows RDX, RBX, RSI, RDI, R8..R15; RBP stays hidden.
    let mut input = junk();
    input[Gpr::Rax] = 0;
    input[Gpr::Rcx] = 0xFFCC;
    input[Gpr::R10] = 0;
    input[Gpr::R11] = INSTRUCTION_HLT;
    completed(m.tdcall(&input, &mut NoMemory));
    let view = m.last_vmm_view().unwrap();
    for r in Gpr::ALL {
        let expect = match r {
            Gpr::Rcx => 0xFFCC,
            Gpr::Rax | Gpr::Rsp | Gpr::Rbp => 0,
            _ => input[r],
        };
        assert_eq!(view.regs[r], expect, "{}", r.name());
    }
    assert_eq!(m.vmcall_count(), 2);
}

#[test]
fn resume_rules_with_hostile_vmm() {
    for seed in 0..32u64 {
        let mut m = module();
        m.set_vmm(VmmMode::Hostile { seed });
        assert_eq!(m.vmm_mode(), VmmMode::Hostile { seed });
        let mut shadow = HostileVmm::new(seed);
        for (k, control) in [0xFFCCu64 | 1 << 5, 0x1C00, 0x00FF_0004, 0xFFEC]
            .into_iter()
            .enumerate()
        {
            let mut input = junk();
            input[Gpr::Rax] = 0;
            input[Gpr::Rcx] = control;
            input[Gpr::R10] = k as u64 % 2;
            input[Gpr::R11] = MAP_GPA;
            let out = completed(m.tdcall(&input, &mut NoMemory));
            let view = VmmView::new(control, &input);
            assert_eq!(m.last_vmm_view(), Some(view));
            let vmm = shadow.handle(&view, &mut NoMemory);
            let sel = RegSet(control as u16);
            for r in Gpr::ALL {
                let expect = match r {
                    Gpr::Rax => 0,
                    Gpr::Rcx => control,
                    _ if sel.contains(r) => vmm[r],
                    _ => input[r],
                };
                assert_eq!(
                    out[r],
                    expect,
                    "seed {seed} control {control:#x} {}",
                    r.name()
                );
            }
        }
        assert_eq!(m.vmcall_count(), 4);
    }
}

#[test]
fn honest_vmm_leaves_unused_exposed_registers() {
    // HLT with the wide 0xFFCC mask: the honest VMM writes only R10.
    let mut m = module();
    let mut input = junk();
    input[Gpr::Rax] = 0;
    input[Gpr::Rcx] = 0xFFCC;
    input[Gpr::R10] = 0;
    input[Gpr::R11] = INSTRUCTION_HLT;
    input[Gpr::R10] = 0;
    let out = completed(m.tdcall(&input, &mut NoMemory));
    assert_eq!(out, input, "input RAX was already 0, R10 = SUCCESS = input");
    assert_eq!(out[Gpr::R10], 0);
    // A non-zero R10 that is not selected: the VMM sees R10 = 0 → a standard call.
    input[Gpr::Rcx] = 0x0800; // R11 only
    input[Gpr::R10] = 99;
    let out = completed(m.tdcall(&input, &mut NoMemory));
    assert_eq!(out[Gpr::R10], 99, "R10 not selected: preserved");
    assert_eq!(m.last_vmm_view().unwrap().r10(), 0);
}

// ------------------------------------------------------------------ honest sub-functions

#[test]
fn get_td_vm_call_info() {
    let mut m = module();
    let out = call(&mut m, GET_TD_VM_CALL_INFO, &[(Gpr::R12, 0)]);
    assert_eq!(out[Gpr::R10], SUCCESS);
    for r in [Gpr::R11, Gpr::R12, Gpr::R13, Gpr::R14] {
        assert_eq!(out[r], 0);
    }
    let out = call(&mut m, GET_TD_VM_CALL_INFO, &[(Gpr::R12, 1)]);
    assert_eq!(out[Gpr::R10], SUCCESS);
    assert_eq!(out[Gpr::R11], 0b10);
    assert_eq!((out[Gpr::R12], out[Gpr::R13], out[Gpr::R14]), (0, 0, 0));
    let out = call(&mut m, GET_TD_VM_CALL_INFO, &[(Gpr::R12, 2)]);
    assert_eq!(out[Gpr::R10], INVALID_OPERAND);
    assert_eq!(out[Gpr::R11], GET_TD_VM_CALL_INFO, "unchanged on failure");
    assert_eq!(out[Gpr::R13], junk()[Gpr::R13]);
}

#[test]
fn map_gpa_retry_and_resume_until_done() {
    let mut m = module();
    let start = (BASE + 0x10_0000) | SHARED; // 1 MiB into the region, not 2 MiB aligned
    let size = 5 * PAGE_2M + 0x3000;
    let end = start + size;
    let mut next = start;
    let mut exits = 0;
    loop {
        let out = call(&mut m, MAP_GPA, &[(Gpr::R12, next), (Gpr::R13, end - next)]);
        exits += 1;
        if out[Gpr::R10] == SUCCESS {
            assert_eq!(out[Gpr::R11], MAP_GPA, "R11 untouched on success");
            break;
        }
        assert_eq!(out[Gpr::R10], RETRY);
        assert_eq!(out[Gpr::R11], next + PAGE_2M, "one 2 MiB chunk per exit");
        assert!(out[Gpr::R11] & SHARED != 0);
        next = out[Gpr::R11];
        assert!(exits < 10);
    }
    assert_eq!(exits, 6);
    assert_eq!(m.vmcall_count(), 6);
    let s = start & !SHARED;
    assert_eq!(m.gpa_shared(BASE), Some(false));
    assert_eq!(m.gpa_shared(s - PAGE_4K), Some(false));
    assert_eq!(m.gpa_shared(s), Some(true));
    assert_eq!(m.gpa_shared(s | SHARED), Some(true), "shared bit ignored");
    assert_eq!(m.gpa_shared(s + size - PAGE_4K), Some(true));
    assert_eq!(m.gpa_shared(s + size), Some(false));
    assert_eq!(m.gpa_shared(BASE + (64 << 20)), None, "outside the region");

    // Back to private in one exit when no interrupt is ever pending.
    m.honest_vmm_mut().unwrap().set_map_gpa_chunk_limit(0);
    let out = call(&mut m, MAP_GPA, &[(Gpr::R12, s), (Gpr::R13, size)]);
    assert_eq!(out[Gpr::R10], SUCCESS);
    assert_eq!(m.gpa_shared(s), Some(false));
    assert_eq!(m.gpa_shared(s + size - PAGE_4K), Some(false));

    // Stalls: RETRY at the start, nothing converted, then progress again.
    m.honest_vmm_mut().unwrap().stall_map_gpa(2);
    for _ in 0..2 {
        let out = call(&mut m, MAP_GPA, &[(Gpr::R12, s | SHARED), (Gpr::R13, size)]);
        assert_eq!((out[Gpr::R10], out[Gpr::R11]), (RETRY, s | SHARED));
        assert_eq!(m.gpa_shared(s), Some(false));
    }
    assert_eq!(m.honest_vmm().unwrap().map_gpa_stalls(), 0);
    let out = call(&mut m, MAP_GPA, &[(Gpr::R12, s), (Gpr::R13, size)]);
    assert_eq!(out[Gpr::R10], SUCCESS);

    // Chunk limit 2: 4 MiB per exit.
    m.honest_vmm_mut().unwrap().set_map_gpa_chunk_limit(2);
    let out = call(&mut m, MAP_GPA, &[(Gpr::R12, s | SHARED), (Gpr::R13, size)]);
    assert_eq!(out[Gpr::R10], RETRY);
    assert_eq!(out[Gpr::R11], (s + 2 * PAGE_2M) | SHARED);

    // Outside the region: accepted, untracked.
    let out = call(
        &mut m,
        MAP_GPA,
        &[(Gpr::R12, 0x1000 | SHARED), (Gpr::R13, 0x1000)],
    );
    assert_eq!(out[Gpr::R10], SUCCESS);
    assert_eq!(m.gpa_shared(0x1000), None);
}

#[test]
fn map_gpa_errors() {
    let mut m = module();
    let cases: &[(u64, u64, u64)] = &[
        (BASE | SHARED, 0, INVALID_OPERAND),           // size 0
        (BASE | 0x800, 0, INVALID_OPERAND),            // size 0 wins over alignment
        (u64::MAX - 0xFFF, 0x2000, INVALID_OPERAND),   // wraps
        (SHARED - 0x1000, 0x2000, INVALID_OPERAND),    // private start, shared end
        (1 << 48, 0x1000, INVALID_OPERAND),            // beyond GPAW 48
        ((1 << 48) - 0x1000, 0x2000, INVALID_OPERAND), // last byte beyond GPAW
        (BASE | 0x800, 0x1000, ALIGN_ERROR),           // start misaligned
        (BASE | SHARED, 0x1800, ALIGN_ERROR),          // size misaligned
        (BASE | SHARED | 0x10, 0x1000, ALIGN_ERROR),
    ];
    for &(gpa, size, st) in cases {
        let out = call(&mut m, MAP_GPA, &[(Gpr::R12, gpa), (Gpr::R13, size)]);
        assert_eq!(out[Gpr::R10], st, "gpa {gpa:#x} size {size:#x}");
        assert_eq!(out[Gpr::R11], gpa, "R11 = failing GPA");
    }
    assert_eq!(m.gpa_shared(BASE), Some(false));

    // GPAW 52: bit 51 is the shared bit, bit 47 an ordinary address bit.
    let mut m = TdxModule::new(TdConfig {
        gpaw_52: true,
        ..TdConfig::default()
    });
    let out = call(
        &mut m,
        MAP_GPA,
        &[(Gpr::R12, BASE | 1 << 51), (Gpr::R13, 0x1000)],
    );
    assert_eq!(out[Gpr::R10], SUCCESS);
    assert_eq!(m.gpa_shared(BASE), Some(true));
    let out = call(&mut m, MAP_GPA, &[(Gpr::R12, 1 << 52), (Gpr::R13, 0x1000)]);
    assert_eq!(out[Gpr::R10], INVALID_OPERAND);
}

fn quote_buffer(mem: &mut FlatMemory, addr: u64, version: u64, in_len: u32) {
    let mut hdr = [0u8; get_quote::HEADER_SIZE];
    hdr[0..8].copy_from_slice(&version.to_le_bytes());
    hdr[8..16].copy_from_slice(&get_quote::STATUS_IN_FLIGHT.to_le_bytes());
    hdr[16..20].copy_from_slice(&in_len.to_le_bytes());
    hdr[20..24].copy_from_slice(&0xFFFF_FFFFu32.to_le_bytes());
    assert!(mem.write(addr, &hdr));
}

#[test]
fn get_quote_paths() {
    let mut m = module();
    let buf = 0x1_0000_0000u64;
    let mut mem = FlatMemory::new(buf, 0x4_0000);
    quote_buffer(&mut mem, buf, 1, 1024);
    let out = call_in(
        &mut m,
        &mut mem,
        GET_QUOTE,
        &[(Gpr::R12, buf | SHARED), (Gpr::R13, 0x2000)],
    );
    assert_eq!(out[Gpr::R10], SUCCESS);
    let mut hdr = [0u8; 24];
    assert!(mem.read(buf, &mut hdr));
    assert_eq!(u64::from_le_bytes(hdr[0..8].try_into().unwrap()), 1);
    assert_eq!(
        u64::from_le_bytes(hdr[8..16].try_into().unwrap()),
        get_quote::STATUS_SUCCESS
    );
    assert_eq!(u32::from_le_bytes(hdr[16..20].try_into().unwrap()), 1024);
    assert_eq!(u32::from_le_bytes(hdr[20..24].try_into().unwrap()), 0);

    let cases: &[(u64, u64, u64)] = &[
        (buf, 0x2000, INVALID_OPERAND),                  // private GPA
        (buf | SHARED, 0, INVALID_OPERAND),              // length 0
        (buf | SHARED | 0x800, 0x2000, ALIGN_ERROR),     // GPA misaligned
        (buf | SHARED, 0x2100, ALIGN_ERROR),             // length misaligned
        (buf | SHARED, 0x2_1000, INVALID_OPERAND),       // > 128 KiB
        (0x5000_0000 | SHARED, 0x1000, INVALID_OPERAND), // header not backed
    ];
    for &(gpa, len, st) in cases {
        quote_buffer(&mut mem, buf, 1, 1024);
        let out = call_in(
            &mut m,
            &mut mem,
            GET_QUOTE,
            &[(Gpr::R12, gpa), (Gpr::R13, len)],
        );
        assert_eq!(out[Gpr::R10], st, "gpa {gpa:#x} len {len:#x}");
        let mut s = [0u8; 8];
        assert!(mem.read(buf + 8, &mut s));
        assert_eq!(
            u64::from_le_bytes(s),
            get_quote::STATUS_IN_FLIGHT,
            "untouched"
        );
    }
    // Bad version, in_len too large.
    for (version, in_len) in [(2u64, 1024u32), (1, 0x1000 - 23)] {
        quote_buffer(&mut mem, buf, version, in_len);
        let out = call_in(
            &mut m,
            &mut mem,
            GET_QUOTE,
            &[(Gpr::R12, buf | SHARED), (Gpr::R13, 0x1000)],
        );
        assert_eq!(out[Gpr::R10], INVALID_OPERAND);
    }
}

#[test]
fn setup_event_notify_and_service() {
    let mut m = module();
    assert_eq!(m.notify_vector(), None);
    for (v, st) in [
        (31u64, INVALID_OPERAND),
        (256, INVALID_OPERAND),
        (1 << 40 | 40, INVALID_OPERAND),
    ] {
        let out = call(&mut m, SETUP_EVENT_NOTIFY_INTERRUPT, &[(Gpr::R12, v)]);
        assert_eq!(out[Gpr::R10], st, "vector {v}");
    }
    assert_eq!(m.notify_vector(), None);
    let out = call(&mut m, SETUP_EVENT_NOTIFY_INTERRUPT, &[(Gpr::R12, 32)]);
    assert_eq!(out[Gpr::R10], SUCCESS);
    assert_eq!(m.notify_vector(), Some(32));
    let out = call(&mut m, SETUP_EVENT_NOTIFY_INTERRUPT, &[(Gpr::R12, 255)]);
    assert_eq!(out[Gpr::R10], SUCCESS);
    assert_eq!(m.notify_vector(), Some(255));

    let svc = |m: &mut TdxModule, cmd: u64, rsp: u64, vec: u64| {
        call(
            m,
            SERVICE,
            &[
                (Gpr::R12, cmd),
                (Gpr::R13, rsp),
                (Gpr::R14, vec),
                (Gpr::R15, 0),
            ],
        )[Gpr::R10]
    };
    // As KVM: no Service handler, whatever the inputs.
    for (cmd, rsp, vec) in [(SHARED | 0x1000, SHARED | 0x2000, 0), (0x1000, 0x2000, 5)] {
        assert_eq!(svc(&mut m, cmd, rsp, vec), SUBFUNC_UNSUPPORTED);
    }
    // By the GHCI's rules.
    m.honest_vmm_mut().unwrap().set_ghci_rules(true);
    assert_eq!(svc(&mut m, SHARED | 0x1000, SHARED | 0x2000, 0), SUCCESS);
    assert_eq!(svc(&mut m, SHARED | 0x1000, SHARED | 0x2000, 100), SUCCESS);
    assert_eq!(
        svc(&mut m, SHARED | 0x1001, SHARED | 0x2000, 0),
        ALIGN_ERROR
    );
    assert_eq!(svc(&mut m, 0x1000, SHARED | 0x2000, 0), INVALID_OPERAND);
    assert_eq!(svc(&mut m, SHARED | 0x1000, 0x2000, 0), INVALID_OPERAND);
    assert_eq!(
        svc(&mut m, SHARED | 0x1000, SHARED | 0x2000, 5),
        INVALID_OPERAND
    );
    assert_eq!(
        svc(&mut m, SHARED | 0x1000, SHARED | 0x2000, 256),
        INVALID_OPERAND
    );
}

#[test]
fn cpuid_table_zero_extended() {
    let mut m = module();
    let out = call(&mut m, INSTRUCTION_CPUID, &[(Gpr::R12, 0), (Gpr::R13, 0)]);
    assert_eq!(out[Gpr::R10], SUCCESS);
    assert_eq!(out[Gpr::R12], 0x23);
    let mut vendor = [0u8; 12];
    vendor[0..4].copy_from_slice(&(out[Gpr::R13] as u32).to_le_bytes());
    vendor[4..8].copy_from_slice(&(out[Gpr::R15] as u32).to_le_bytes());
    vendor[8..12].copy_from_slice(&(out[Gpr::R14] as u32).to_le_bytes());
    assert_eq!(&vendor, b"GenuineIntel");
    for r in [Gpr::R12, Gpr::R13, Gpr::R14, Gpr::R15] {
        assert_eq!(out[r] >> 32, 0, "zero-extended {}", r.name());
    }
    let out = call(&mut m, INSTRUCTION_CPUID, &[(Gpr::R12, 1), (Gpr::R13, 0)]);
    assert_eq!(out[Gpr::R12], 0x0008_06F8);
    assert_eq!(out[Gpr::R14] >> 31, 1, "hypervisor bit");
    // Leaf is EAX: R12 bits 63:32 ignored (KVM's u32).
    let out = call(
        &mut m,
        INSTRUCTION_CPUID,
        &[(Gpr::R12, 1 << 32), (Gpr::R13, 0)],
    );
    assert_eq!(out[Gpr::R13], 0x756E_6547);
    let out = call(&mut m, INSTRUCTION_CPUID, &[(Gpr::R12, 7), (Gpr::R13, 0)]);
    for r in [Gpr::R12, Gpr::R13, Gpr::R14, Gpr::R15] {
        assert_eq!(out[r], 0);
    }
    let c = vmcall_lookup(0, INSTRUCTION_CPUID).unwrap();
    assert_eq!(c.output_field(&out, "edx"), Some(0));
}

#[test]
fn hlt_io_msr_mmio_wbinvd_unknown() {
    let mut m = module();
    let out = call(&mut m, INSTRUCTION_HLT, &[(Gpr::R12, 1)]);
    assert_eq!(out[Gpr::R10], SUCCESS);
    assert_eq!(out[Gpr::R11], INSTRUCTION_HLT);

    // IO.
    let io = |m: &mut TdxModule, size: u64, dir: u64, port: u64| {
        call(
            m,
            INSTRUCTION_IO,
            &[
                (Gpr::R12, size),
                (Gpr::R13, dir),
                (Gpr::R14, port),
                (Gpr::R15, 0x1234),
            ],
        )
    };
    for (size, dir) in [(3u64, 0u64), (8, 0), (0, 1), (1, 2), (1 << 32 | 1, 0)] {
        let out = io(&mut m, size, dir, 0x3F8);
        assert_eq!(out[Gpr::R10], INVALID_OPERAND, "size {size} dir {dir}");
        assert_eq!(out[Gpr::R11], INSTRUCTION_IO);
    }
    for (size, mask) in [(1u64, 0xFFu64), (2, 0xFFFF), (4, 0xFFFF_FFFF)] {
        let out = io(&mut m, size, 0, 0x3F8);
        assert_eq!(out[Gpr::R10], SUCCESS);
        assert_eq!(out[Gpr::R11], io_read_value(0x3F8) & mask);
    }
    assert_eq!(io_read_value(0x3F8) & 0xFF, 0x5D);
    let out = io(&mut m, 4, 1, 0x80);
    assert_eq!(out[Gpr::R10], SUCCESS);
    assert_eq!(out[Gpr::R11], INSTRUCTION_IO, "write: R11 untouched");

    // MSRs.
    let rd = |m: &mut TdxModule, msr: u64| call(m, INSTRUCTION_RDMSR, &[(Gpr::R12, msr)]);
    let wr = |m: &mut TdxModule, msr: u64, v: u64| {
        call(m, INSTRUCTION_WRMSR, &[(Gpr::R12, msr), (Gpr::R13, v)])[Gpr::R10]
    };
    // KVM (`tdx_get_msr()`/`tdx_set_msr()`): APIC_BASE and EFER read-only, PAT read/write
    // with valid memory types, the rest (IA32_TSC included) not emulated for a TD.
    let out = rd(&mut m, 0x1B);
    assert_eq!((out[Gpr::R10], out[Gpr::R11]), (SUCCESS, APIC_BASE_INITIAL));
    assert_eq!(wr(&mut m, 0x1B, 0xFEE0_0C00), INVALID_OPERAND);
    assert_eq!(m.msr(0x1B), Some(APIC_BASE_INITIAL));
    assert_eq!(
        rd(&mut m, 1 << 32 | 0x1B)[Gpr::R11],
        APIC_BASE_INITIAL,
        "index is R12[31:0]"
    );
    let out = rd(&mut m, 0xC000_0080);
    assert_eq!((out[Gpr::R10], out[Gpr::R11]), (SUCCESS, EFER_TD));
    assert_eq!(wr(&mut m, 0xC000_0080, EFER_TD), INVALID_OPERAND);
    let out = rd(&mut m, 0x277);
    assert_eq!((out[Gpr::R10], out[Gpr::R11]), (SUCCESS, PAT_DEFAULT));
    assert_eq!(wr(&mut m, 0x277, 0x0606_0606_0606_0606), SUCCESS);
    assert_eq!(m.msr(0x277), Some(0x0606_0606_0606_0606));
    // Memory types 2 and 3 (and anything above 7) are invalid.
    for bad in [0x02, 0x03, 0x08, 0x0300_0000_0000_0000] {
        assert_eq!(wr(&mut m, 0x277, bad), INVALID_OPERAND, "{bad:#x}");
    }
    assert_eq!(m.msr(0x277), Some(0x0606_0606_0606_0606));
    assert!(pat_valid(PAT_DEFAULT) && pat_valid(0x0701_0504_0600_0001));
    let out = rd(&mut m, 0x10);
    assert_eq!(out[Gpr::R10], INVALID_OPERAND);
    assert_eq!(out[Gpr::R11], INSTRUCTION_RDMSR);
    assert_eq!(wr(&mut m, 0x10, 0), INVALID_OPERAND);
    assert_eq!(wr(&mut m, 0x3A, 1), INVALID_OPERAND);
    assert_eq!(m.msr(0x3A), None);

    // MMIO.
    let mmio = |m: &mut TdxModule, size: u64, dir: u64, gpa: u64| {
        call(
            m,
            VE_REQUEST_MMIO,
            &[
                (Gpr::R12, size),
                (Gpr::R13, dir),
                (Gpr::R14, gpa),
                (Gpr::R15, 7),
            ],
        )
    };
    let dev = 0xFEB0_0000u64;
    let out = mmio(&mut m, 8, 0, dev | SHARED);
    assert_eq!(
        (out[Gpr::R10], out[Gpr::R11]),
        (SUCCESS, mmio_read_value(dev))
    );
    let out = mmio(&mut m, 2, 0, dev | SHARED);
    assert_eq!(out[Gpr::R11], mmio_read_value(dev) & 0xFFFF);
    let out = mmio(&mut m, 4, 1, dev | SHARED);
    assert_eq!((out[Gpr::R10], out[Gpr::R11]), (SUCCESS, VE_REQUEST_MMIO));
    for (size, dir, gpa) in [
        (8u64, 0u64, dev),
        (3, 0, dev | SHARED),
        (16, 0, dev | SHARED),
        (4, 2, dev | SHARED),
        (8, 0, (SHARED << 1) - 4), // last byte wraps past the shared bit range
    ] {
        assert_eq!(mmio(&mut m, size, dir, gpa)[Gpr::R10], INVALID_OPERAND);
    }
    // KVM reads bits 31:0 of size and direction and checks no GPA width; the GHCI's rules do.
    let wide = [
        (1 << 32 | 8, 0, dev | SHARED),
        (4, 1 << 32, dev | SHARED),
        (4, 0, dev | SHARED | SHARED << 2),
    ];
    for (size, dir, gpa) in wide {
        assert_eq!(
            mmio(&mut m, size, dir, gpa)[Gpr::R10],
            SUCCESS,
            "{size:#x} {dir:#x}"
        );
    }
    m.honest_vmm_mut().unwrap().set_ghci_rules(true);
    for (size, dir, gpa) in wide {
        assert_eq!(mmio(&mut m, size, dir, gpa)[Gpr::R10], INVALID_OPERAND);
    }
    m.honest_vmm_mut().unwrap().set_ghci_rules(false);

    // WBINVD, PCONFIG, unknown, MigTD → SUBFUNC_UNSUPPORTED.
    let out = call(&mut m, INSTRUCTION_WBINVD, &[(Gpr::R12, 0)]);
    assert_eq!(out[Gpr::R10], SUBFUNC_UNSUPPORTED);
    for sf in [65u64, 0x10006, 0xFFFF_FFFF] {
        let mut input = junk();
        input[Gpr::Rax] = 0;
        input[Gpr::Rcx] = 0xFC00;
        input[Gpr::R10] = 0;
        input[Gpr::R11] = sf;
        let out = completed(m.tdcall(&input, &mut NoMemory));
        assert_eq!(out[Gpr::R10], SUBFUNC_UNSUPPORTED, "{sf:#x}");
        assert_eq!(out.diff(&input), RegSet::of(&[Gpr::R10]));
    }
}

#[test]
fn report_fatal_error_records_message() {
    let mut m = module();
    assert_eq!(m.fatal_report(), None);
    let text = b"TD panic: out of memory in the early boot allocator, giving up!!";
    assert_eq!(text.len(), 64);
    let mut args = [(Gpr::R12, 0u64); 10];
    args[1] = (Gpr::R13, 0);
    let order = [
        Gpr::R14,
        Gpr::R15,
        Gpr::Rbx,
        Gpr::Rdi,
        Gpr::Rsi,
        Gpr::R8,
        Gpr::R9,
        Gpr::Rdx,
    ];
    for (i, r) in order.iter().enumerate() {
        let q = u64::from_le_bytes(text[i * 8..i * 8 + 8].try_into().unwrap());
        args[2 + i] = (*r, q);
    }
    let out = call(&mut m, REPORT_FATAL_ERROR, &args);
    assert_eq!(out[Gpr::R10], SUCCESS);
    let (code, msg) = m.fatal_report().unwrap();
    assert_eq!(code, 0);
    assert_eq!(&msg, text);
    assert!(!vmcall_lookup(0, REPORT_FATAL_ERROR).unwrap().returns);

    // Message registers not selected arrive as zeros.
    let mut input = junk();
    input[Gpr::Rax] = 0;
    input[Gpr::Rcx] = 0xFC00; // R10..R15 only
    input[Gpr::R10] = 0;
    input[Gpr::R11] = REPORT_FATAL_ERROR;
    input[Gpr::R12] = 1 << 63 | 5;
    input[Gpr::R14] = u64::from_le_bytes(*b"panic!\0\0");
    completed(m.tdcall(&input, &mut NoMemory));
    let (code, msg) = m.fatal_report().unwrap();
    assert_eq!(code, 1 << 63 | 5);
    assert_eq!(&msg[..8], b"panic!\0\0");
    assert_eq!(&msg[8..16], &input[Gpr::R15].to_le_bytes());
    assert!(msg[16..].iter().all(|b| *b == 0));
}

#[test]
fn kvm_hypercall() {
    let mut m = module();
    let c = vmcall_lookup(1, 0).unwrap();
    // MAP_GPA_RANGE's arguments (R11 gpa, R12 pages) are 0 here: no pages → −KVM_EINVAL.
    for (nr, result) in [
        (kvm::KVM_HC_VAPIC_POLL_IRQ, 0u64),
        (KVM_HC_KICK_CPU, 0),
        (KVM_HC_SCHED_YIELD, 0),
        (KVM_HC_MAP_GPA_RANGE, RESULT_EINVAL),
        (10, kvm::RESULT_ENOSYS),
        (u64::MAX, kvm::RESULT_ENOSYS),
    ] {
        let input = input_for(c, &[(Gpr::R10, nr)]);
        let out = completed(m.tdcall(&input, &mut NoMemory));
        assert_eq!(out[Gpr::R10], result, "nr {nr}");
        assert_eq!(
            out.diff(&input).minus(RegSet::of(&[Gpr::Rax, Gpr::R10])),
            RegSet::EMPTY
        );
    }
    assert_eq!(kvm::RESULT_ENOSYS, 0xFFFF_FFFF_FFFF_FC18);
    // MAP_GPA_RANGE: unaligned or wrapping → −KVM_EINVAL; else the pages change side.
    let page = BASE + 0x3000;
    for (gpa, pages, want) in [
        (page + 8, 1, RESULT_EINVAL),
        (page, u64::MAX, RESULT_EINVAL),
        (page, 2, 0),
    ] {
        let input = input_for(
            c,
            &[
                (Gpr::R10, KVM_HC_MAP_GPA_RANGE),
                (Gpr::R11, gpa),
                (Gpr::R12, pages),
                (Gpr::R13, 0),
            ],
        );
        let out = completed(m.tdcall(&input, &mut NoMemory));
        assert_eq!(out[Gpr::R10], want, "{gpa:#x} {pages}");
    }
    assert_eq!(m.gpa_shared(page), Some(true));
    assert_eq!(m.gpa_shared(page + 0x1000), Some(true));
    assert_eq!(m.gpa_shared(page + 0x2000), Some(false));
    let input = input_for(
        c,
        &[
            (Gpr::R10, KVM_HC_MAP_GPA_RANGE),
            (Gpr::R11, page),
            (Gpr::R12, 1),
            (Gpr::R13, KVM_MAP_GPA_RANGE_ENCRYPTED),
        ],
    );
    assert_eq!(completed(m.tdcall(&input, &mut NoMemory))[Gpr::R10], 0);
    assert_eq!(m.gpa_shared(page), Some(false));
}

#[test]
fn set_vmm_and_clone() {
    let mut m = module();
    assert_eq!(m.vmm_mode(), VmmMode::Honest);
    call(&mut m, SETUP_EVENT_NOTIFY_INTERRUPT, &[(Gpr::R12, 77)]);
    let c = m.clone();
    assert_eq!(c.notify_vector(), Some(77));
    assert_eq!(c.vmcall_count(), 1);
    m.set_vmm(VmmMode::Hostile { seed: 9 });
    assert!(m.honest_vmm().is_none());
    assert_eq!(m.hostile_vmm().unwrap().seed(), 9);
    assert_eq!(m.notify_vector(), None);
    assert_eq!(m.msr(0x1B), None);
    m.set_vmm(VmmMode::Honest);
    assert_eq!(m.notify_vector(), None, "fresh honest VMM");
    assert_eq!(m.vmcall_count(), 1, "count kept across set_vmm");
}

// ------------------------------------------------------------------ hostile VMM

fn map_gpa_input(start: u64, size: u64) -> Regs {
    input_for(
        vmcall_lookup(0, MAP_GPA).unwrap(),
        &[(Gpr::R12, start), (Gpr::R13, size)],
    )
}

#[test]
fn hostile_is_deterministic() {
    let run = |seed: u64| {
        let mut m = module();
        m.set_vmm(VmmMode::Hostile { seed });
        let mut outs = [Regs::zero(); 24];
        for (i, o) in outs.iter_mut().enumerate() {
            let mut input = junk();
            input[Gpr::Rax] = 0;
            input[Gpr::Rcx] = [0xFFCC, 0xFC00, 0x3C00][i % 3];
            input[Gpr::R10] = 0;
            input[Gpr::R11] = [MAP_GPA, INSTRUCTION_CPUID, GET_QUOTE][i % 3];
            *o = completed(m.tdcall(&input, &mut NoMemory));
        }
        outs
    };
    assert_eq!(run(42), run(42));
    assert_ne!(run(42), run(43));
    let mut a = HostileVmm::new(5);
    let mut b = a.clone();
    let view = VmmView::new(0xFFCC, &junk());
    for _ in 0..100 {
        assert_eq!(
            a.handle(&view, &mut NoMemory),
            b.handle(&view, &mut NoMemory)
        );
    }
}

/// After `begin_call`, the answers depend on the seed and the call's salt only: a VMM that
/// answered other TDVMCALLs before (a storm under way included) answers as a fresh one, and
/// another salt answers otherwise.
#[test]
fn hostile_answers_restart_per_call() {
    let view = VmmView::new(0xFFCC, &junk());
    let answers = |v: &mut HostileVmm| -> alloc::vec::Vec<Regs> {
        (0..16).map(|_| v.handle(&view, &mut NoMemory)).collect()
    };
    let mut fresh = HostileVmm::new(5);
    fresh.begin_call(0x1234);
    let mut used = HostileVmm::new(5);
    for _ in 0..37 {
        used.handle(&view, &mut NoMemory);
    }
    used.begin_call(0x1234);
    assert_eq!(answers(&mut fresh), answers(&mut used));
    let mut other = HostileVmm::new(5);
    other.begin_call(0x1235);
    let mut again = HostileVmm::new(5);
    again.begin_call(0x1234);
    assert_ne!(answers(&mut other), answers(&mut again));
}

#[test]
fn hostile_retry_storms_and_bogus_resume() {
    let start = BASE | SHARED;
    let size = 8 * PAGE_2M;
    let end = start + size;
    let mut seeds_with_storm = 0;
    let mut below = 0;
    let mut past_end = 0;
    let mut stuck = 0;
    let mut statuses = [0u32; 6];
    let mut other_status = 0;
    let mut untouched = 0;
    for seed in 0..200u64 {
        let mut m = module();
        m.set_vmm(VmmMode::Hostile { seed });
        let (mut run, mut best) = (0, 0);
        for _ in 0..32 {
            let input = map_gpa_input(start, size);
            let out = completed(m.tdcall(&input, &mut NoMemory));
            assert_eq!(out[Gpr::Rax], 0);
            assert_eq!(out[Gpr::Rcx], 0x3C00);
            assert_eq!(
                out.diff(&input).minus(RegSet(0x3C01)),
                RegSet::EMPTY,
                "only exposed registers change"
            );
            if out == input {
                untouched += 1;
            }
            let r10 = out[Gpr::R10];
            match KNOWN.iter().position(|(_, v)| *v == r10) {
                Some(i) => statuses[i] += 1,
                None => other_status += 1,
            }
            if r10 == RETRY {
                run += 1;
                best = best.max(run);
                let r11 = out[Gpr::R11];
                if r11 < start {
                    below += 1;
                } else if r11 >= end {
                    past_end += 1;
                } else if r11 == start {
                    stuck += 1;
                }
            } else {
                run = 0;
            }
        }
        if best >= 3 {
            seeds_with_storm += 1;
        }
    }
    assert!(
        seeds_with_storm >= 100,
        "storms in {seeds_with_storm} of 200 seeds"
    );
    assert!(
        below > 0 && past_end > 0 && stuck > 0,
        "{below} {past_end} {stuck}"
    );
    assert!(statuses.iter().all(|n| *n > 0), "{statuses:?}");
    assert!(other_status > 0);
    assert!(untouched > 0);
}

#[test]
fn hostile_cpuid_outputs_wider_than_32_bits() {
    let c = vmcall_lookup(0, INSTRUCTION_CPUID).unwrap();
    let mut wide = 0;
    for seed in 0..64u64 {
        let mut m = module();
        m.set_vmm(VmmMode::Hostile { seed });
        let input = input_for(c, &[(Gpr::R12, 0), (Gpr::R13, 0)]);
        let out = completed(m.tdcall(&input, &mut NoMemory));
        for r in [Gpr::R12, Gpr::R13, Gpr::R14, Gpr::R15] {
            if out[r] > u32::MAX as u64 && out[r] != input[r] {
                wide += 1;
                // The contract's field view masks the reserved half.
                let name = c.outputs.iter().find(|o| o.reg == r).unwrap().name;
                assert!(c.output_field(&out, name).unwrap() <= u32::MAX as u64);
            }
        }
    }
    assert!(wide > 10, "{wide}");
}

#[test]
fn hostile_never_panics_on_any_control() {
    let mut x = 0x1234_5678_9ABC_DEF0u64;
    let mut rnd = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for seed in 0..64u64 {
        let mut m = module();
        m.set_vmm(VmmMode::Hostile { seed });
        for _ in 0..64 {
            let mut input = Regs::zero();
            for g in input.gpr.iter_mut() {
                *g = rnd();
            }
            input[Gpr::Rax] = 0;
            input[Gpr::Rcx] = rnd() & 0xFFFF_FFFF & !0x13;
            if rnd() % 2 == 0 {
                input[Gpr::R10] = 0;
                input[Gpr::R11] = [MAP_GPA, GET_QUOTE, INSTRUCTION_IO][(rnd() % 3) as usize];
            }
            let out = completed(m.tdcall(&input, &mut NoMemory));
            let sel = RegSet(input[Gpr::Rcx] as u16);
            assert_eq!(
                out.diff(&input).minus(sel).minus(RegSet::of(&[Gpr::Rax])),
                RegSet::EMPTY
            );
        }
    }
    // And the honest VMM on the same inputs.
    let mut m = module();
    for _ in 0..2000 {
        let mut input = Regs::zero();
        for g in input.gpr.iter_mut() {
            *g = rnd();
        }
        input[Gpr::Rax] = 0;
        input[Gpr::Rcx] = 0xFFCC;
        input[Gpr::R10] = if rnd() % 4 == 0 { rnd() } else { 0 };
        input[Gpr::R11] = [
            GET_TD_VM_CALL_INFO,
            MAP_GPA,
            GET_QUOTE,
            REPORT_FATAL_ERROR,
            SETUP_EVENT_NOTIFY_INTERRUPT,
            SERVICE,
            INSTRUCTION_CPUID,
            INSTRUCTION_HLT,
            INSTRUCTION_IO,
            INSTRUCTION_RDMSR,
            INSTRUCTION_WRMSR,
            VE_REQUEST_MMIO,
            INSTRUCTION_WBINVD,
        ][(rnd() % 13) as usize];
        if rnd() % 2 == 0 {
            input[Gpr::R13] &= 0xF_F000;
            input[Gpr::R12] &= 0xFFFF_F000 | SHARED;
        }
        let out = completed(m.tdcall(&input, &mut NoMemory));
        assert_eq!(out[Gpr::Rax], 0);
    }
}

/// The GHCI's fixed answer (GetTdVmCallInfo leaf 0) is what the honest VMM answers, and names
/// nothing for leaf 1 or another sub-function, where the VMM decides.
#[test]
fn ghci_fixed_is_the_honest_answer_to_info_leaf_0() {
    let c = vmcall_lookup(0, GET_TD_VM_CALL_INFO).expect("contract");
    let leaf0 = input_for(c, &[(Gpr::R12, 0)]);
    let fixed = crate::vmcall::ghci_fixed(&leaf0);
    assert_eq!(fixed.len(), 5);
    let out = completed(module().tdcall(&leaf0, &mut NoMemory));
    for (r, v) in fixed {
        assert_eq!(out[*r], *v, "{}", r.name());
    }
    assert!(crate::vmcall::ghci_fixed(&input_for(c, &[(Gpr::R12, 1)])).is_empty());
    let cpuid = vmcall_lookup(0, INSTRUCTION_CPUID).expect("contract");
    assert!(crate::vmcall::ghci_fixed(&input_for(cpuid, &[(Gpr::R12, 0)])).is_empty());
    // Leaf 0 with R13 not exposed: its value is not the VMM's to give, nothing fixed.
    let mut narrow = leaf0;
    narrow[Gpr::Rcx] &= !(1 << Gpr::R13.index());
    assert!(crate::vmcall::ghci_fixed(&narrow).is_empty());
}

//! Minimized reproducers of the findings in `docs/findings/` (cabi-policy.md,
//! edk2-tdvmcall-rbp.md): one program each, and the exact failure the oracle gives.
//!
//! `cargo test --manifest-path adapters/cabi/Cargo.toml --test findings -- --nocapture`

use tdx_adapter_cabi::{ffi, Edk2Ffec, Edk2Style, LinuxContractMask, LinuxStyle};
use tdx_model::module::CONFIG_FLAGS_NO_RBP_MOD;
use tdx_trap::call::{Call, PageRef, Program};
use tdx_trap::oracle::{world_config, Verdict, WIDER_MASK};
use tdx_trap::{Failure, Oracle, Session, Wrappers};

fn first_failure<W: Wrappers>(w: W, p: &Program) -> Option<Failure> {
    let f = Oracle::new(w, 1).run_program(p, |_, _| {}).err();
    if let Some(f) = &f {
        println!("{}:\n{f}  program: {p:?}\n", W::NAME);
    }
    f
}

/// The policy notes of a program that passes every verdict.
fn policies<W: Wrappers>(w: W, p: &Program) -> Vec<Option<&'static str>> {
    let mut seen = Vec::new();
    Oracle::new(w, 1)
        .run_program(p, |_, out| seen.push(out.policy))
        .unwrap_or_else(|f| panic!("{}: {f}", W::NAME));
    seen
}

/// cabi-policy.md §1: Linux's __tdx_hypercall() exposes 0xFFCC for a one-argument call,
/// zero-filled: every verdict passes and the wider mask is reported as policy.
#[test]
fn linux_hlt_exposes_ffcc() {
    let p = Program(vec![Call::VmcallHlt { blocked: true }]);
    assert_eq!(policies(LinuxStyle, &p), [Some(WIDER_MASK)]);
    // The same C code with the contract's mask has nothing to report.
    assert_eq!(policies(LinuxContractMask, &p), [None]);
}

/// cabi-policy.md §1: EDK2's TdVmCall, the same mask.
#[test]
fn edk2_rdmsr_exposes_ffcc() {
    let p = Program(vec![Call::VmcallRdmsr { msr: 0x1b }]);
    assert_eq!(policies(Edk2Style, &p), [Some(WIDER_MASK)]);
}

/// cabi-policy.md §1: convert_range through the same mask, reported the same way.
#[test]
fn linux_convert_range_mask_is_policy() {
    let p = Program(vec![Call::VmcallConvert {
        page: PageRef::Region(0),
        pages: 1,
        shared: true,
    }]);
    assert_eq!(policies(LinuxStyle, &p), [Some(WIDER_MASK)]);
}

/// edk2-tdvmcall-rbp.md: TdVmCall 2021-2024 selects RBP.
#[test]
fn edk2_ffec_selects_rbp() {
    let p = Program(vec![Call::VmcallHlt { blocked: false }]);
    let f = first_failure(Edk2Ffec, &p).expect("the leakage verdict fails");
    assert_eq!((f.verdict, f.leaf), (Verdict::Leakage, "Instruction.HLT"));
    assert!(f.detail.starts_with("RCX 0xffec exposes"), "{}", f.detail);
    assert!(f.detail.contains("\"RBP\""), "{}", f.detail);
}

/// edk2-tdvmcall-rbp.md: in a TD with CONFIG_FLAGS.NO_RBP_MOD the module refuses that
/// TDVMCALL (RAX = TDX_OPERAND_INVALID + RCX), and TdVmCall hands the TDX status back as its
/// return value, where callers expect a GHCI status. The current TdVmCall gets through.
#[test]
fn edk2_ffec_refused_with_no_rbp_mod() {
    let mut config = world_config();
    config.config_flags |= CONFIG_FLAGS_NO_RBP_MOD;
    let session = Session::new(config, 7);
    let hlt = 12;
    // SAFETY: no results pointer; the TDCALL traps to the session's handler on this thread.
    let old = unsafe { ffi::td_vm_call_ffec(hlt, 0, 0, 0, 0, core::ptr::null_mut()) };
    // SAFETY: as above.
    let new = unsafe { ffi::td_vm_call(hlt, 0, 0, 0, 0, core::ptr::null_mut()) };
    drop(session);
    println!("TdVmCallFfec(HLT) = {old:#018x}; TdVmCall(HLT) = {new:#018x}");
    assert_eq!(old, 0xC000_0100_0000_0001);
    assert_eq!(new, 0);
}

/// cabi-policy.md §2: a MapGPA RETRY whose resume address lies inside the range but is not page
/// aligned is accepted by Linux's and EDK2's range check; the model calls it untrusted. Seen
/// through the contract-mask variant (the 0xFFCC mask stops the oracle at leakage first).
#[test]
fn map_gpa_unaligned_resume_accepted() {
    let p = Program(vec![
        Call::SetVmm {
            hostile: true,
            seed: UNALIGNED_RESUME_SEED,
        },
        Call::VmcallMapGpa {
            page: PageRef::Raw(0),
            pages: 0,
            shared: false,
        },
    ]);
    let f = first_failure(LinuxContractMask, &p).expect("the decoding verdict fails");
    assert_eq!((f.verdict, f.leaf), (Verdict::Decoding, "MapGPA"));
    assert!(
        f.detail.contains("wrapper returned Ok(Retry { resume:"),
        "{}",
        f.detail
    );
}

/// A hostile-VMM seed for which the first MapGPA of [0, 0x1000) gets RETRY with an unaligned R11
/// inside the range (found by `find_unaligned_resume_seed`).
const UNALIGNED_RESUME_SEED: u64 = 98;

#[test]
#[ignore = "search helper for UNALIGNED_RESUME_SEED"]
fn find_unaligned_resume_seed() {
    for seed in 0..100_000u64 {
        let p = Program(vec![
            Call::SetVmm {
                hostile: true,
                seed,
            },
            Call::VmcallMapGpa {
                page: PageRef::Raw(0),
                pages: 0,
                shared: false,
            },
        ]);
        let r = Oracle::new(LinuxContractMask, 1).run_program(&p, |_, _| {});
        if let Err(f) = r {
            if f.verdict == Verdict::Decoding {
                println!("seed {seed}: {}", f.detail);
                return;
            }
        }
    }
    panic!("no seed found");
}

//! Minimized reproducers of the findings in `docs/findings/` (cabi-policy.md,
//! edk2-tdvmcall-rbp.md): one program each, and the exact failure the oracle gives.
//!
//! `cargo test --manifest-path adapters/cabi/Cargo.toml --test findings -- --nocapture`

use tdx_adapter_cabi::{ffi, Edk2Ffec, Edk2Style, LinuxContractMask, LinuxStyle};
use tdx_model::module::CONFIG_FLAGS_NO_RBP_MOD;
use tdx_trap::call::{Call, PageRef, Program};
use tdx_trap::oracle::{world_config, Verdict};
use tdx_trap::{Failure, Oracle, Session, Wrappers};

fn first_failure<W: Wrappers>(w: W, p: &Program) -> Option<Failure> {
    let f = Oracle::new(w, 1).run_program(p, |_, _| {}).err();
    if let Some(f) = &f {
        println!("{}:\n{f}  program: {p:?}\n", W::NAME);
    }
    f
}

/// cabi-policy.md §1: Linux's __tdx_hypercall() exposes 0xFFCC for a one-argument call.
#[test]
fn linux_hlt_exposes_ffcc() {
    let p = Program(vec![Call::VmcallHlt { blocked: true }]);
    let f = first_failure(LinuxStyle, &p).expect("the leakage verdict fails");
    assert_eq!((f.verdict, f.leaf), (Verdict::Leakage, "Instruction.HLT"));
    assert!(f.detail.starts_with("RCX 0xffcc exposes"), "{}", f.detail);
    // The same C code with the contract's mask passes every verdict.
    assert!(first_failure(LinuxContractMask, &p).is_none());
}

/// cabi-policy.md §1: EDK2's TdVmCall, the same mask.
#[test]
fn edk2_rdmsr_exposes_ffcc() {
    let p = Program(vec![Call::VmcallRdmsr { msr: 0x1b }]);
    let f = first_failure(Edk2Style, &p).expect("the leakage verdict fails");
    assert_eq!((f.verdict, f.leaf), (Verdict::Leakage, "Instruction.RDMSR"));
    assert!(f.detail.starts_with("RCX 0xffcc exposes"), "{}", f.detail);
}

/// cabi-policy.md §1: convert_range reports the same mask as an encoding failure.
#[test]
fn linux_convert_range_mask_is_an_encoding_failure() {
    let p = Program(vec![Call::VmcallConvert {
        page: PageRef::Region(0),
        pages: 1,
        shared: true,
    }]);
    let f = first_failure(LinuxStyle, &p).expect("convert_range fails");
    assert_eq!(
        (f.verdict, f.leaf),
        (Verdict::Encoding, "convert_range (TDG.VP.VMCALL<MapGPA>)")
    );
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

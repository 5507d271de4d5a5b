//! Minimized reproducers of the findings in `docs/findings/` (cabi-policy.md,
//! edk2-tdvmcall-rbp.md, edk2-tdvmcallcpuid-stack.md): one program or child process each, and
//! the exact failure seen.
//!
//! `cargo test --manifest-path adapters/cabi/Cargo.toml --test findings -- --nocapture`

use tdx_adapter_cabi::{ffi, Edk2Ffec, Edk2Style, LinuxContractMask, LinuxStyle};
use tdx_model::module::CONFIG_FLAGS_NO_RBP_MOD;
use tdx_model::vmm::{VmmMode, CPUID_TABLE};
use tdx_oracle::call::{Call, PageRef, Program};
use tdx_oracle::{world_config, Verdict, WIDER_MASK};
use tdx_oracle::{Failure, Oracle, Wrappers};
use tdx_trap::Session;

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

/// cabi-policy.md §4: EDK2 halts with R12 = 0 whatever the caller's state, exactly as
/// `TdVmCall (TDVMCALL_HALT, 0, 0, 0, 0, 0)`: a halt with interrupts blocked fails the encoding
/// check, which the adapter declares as policy; one without passes.
#[test]
fn edk2_hlt_r12_is_zero() {
    let blocked = Program(vec![Call::VmcallHlt { blocked: true }]);
    let f = first_failure(Edk2Style, &blocked).expect("R12 = 0 is not the contract's encoding");
    assert_eq!(
        (f.verdict, f.leaf),
        (tdx_oracle::Verdict::Encoding, "Instruction.HLT")
    );
    assert!(Edk2Style.policy(&f).is_some(), "{f}");
    let open = Program(vec![Call::VmcallHlt { blocked: false }]);
    assert_eq!(policies(Edk2Style, &open), [Some(WIDER_MASK)]);
}

/// cabi-policy.md §1: convert_range through the same mask, reported the same way.
#[test]
fn linux_convert_range_mask_is_policy() {
    let p = Program(vec![Call::VmcallConvert {
        page: PageRef::Region(0),
        pages: 1,
        shared: true,
        stalls: 0,
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

/// edk2-tdvmcallcpuid-stack.md: what the child process does, chosen by this variable.
const CPUID_MODE: &str = "TDX_CABI_CPUID_MODE";

/// The child side of `edk2_cpuid_error_path_breaks_the_stack`; only runs when spawned by it.
/// Exits 0 if TdVmCallCpuid returned with the right status and results.
#[test]
fn edk2_cpuid_child() {
    let Ok(mode) = std::env::var(CPUID_MODE) else {
        return;
    };
    let mut session = Session::new(world_config(), 3);
    let (fault, fixed) = match mode.split_once('+') {
        Some((f, "fixed")) => (f, true),
        _ => (mode.as_str(), false),
    };
    let expected = match fault {
        "success" => 0,
        "module_error" => {
            session.force_status(TDX_OPERAND_INVALID_RCX);
            TDX_OPERAND_INVALID_RCX
        }
        "vmm_error" => {
            // SAFETY: no TDCALL runs while the module is borrowed.
            unsafe { session.module() }.set_vmm(VmmMode::Hostile {
                seed: CPUID_ERROR_SEED,
            });
            VMCALL_INVALID_OPERAND
        }
        _ => unreachable!(),
    };
    let mut results = [0u64; 4];
    println!("calling TdVmCallCpuid ({mode})");
    // SAFETY: Results points to four UINT64; the TDCALL traps to this thread's session. On an
    // error path the routine corrupts this process, which is why it runs in a child.
    let rax = unsafe {
        if fixed {
            ffi::td_vm_call_cpuid_fixed(0, 0, results.as_mut_ptr().cast())
        } else {
            ffi::td_vm_call_cpuid(0, 0, results.as_mut_ptr().cast())
        }
    };
    println!("returned {rax:#x}, results {results:x?}");
    drop(session);
    let ok = rax == expected && (rax != 0 || results[0] == u64::from(CPUID_TABLE[0].1[0]));
    std::process::exit(if ok { 0 } else { 3 });
}

const TDX_OPERAND_INVALID_RCX: u64 = 0xC000_0100_0000_0001;
const VMCALL_INVALID_OPERAND: u64 = 0x8000_0000_0000_0000;

/// A hostile-VMM seed whose first Instruction.CPUID answer (through the 0xFFCC mask) is R10 =
/// TDG.VP.VMCALL_INVALID_OPERAND (found by
/// `find_cpuid_error_seed`).
const CPUID_ERROR_SEED: u64 = 10;

#[test]
#[ignore = "search helper for CPUID_ERROR_SEED"]
fn find_cpuid_error_seed() {
    for seed in 0..100_000u64 {
        let mut session = Session::new(world_config(), 3);
        // SAFETY: no TDCALL runs while the module is borrowed.
        unsafe { session.module() }.set_vmm(VmmMode::Hostile { seed });
        let mut results = [0u64; 4];
        // SAFETY: as in `edk2_cpuid_child`; the fixed routine returns on every path.
        let r = unsafe { ffi::td_vm_call_cpuid_fixed(0, 0, results.as_mut_ptr().cast()) };
        drop(session);
        if r == VMCALL_INVALID_OPERAND {
            println!("seed {seed}: {r:#x}");
            return;
        }
    }
    panic!("no seed found");
}

fn run_cpuid_child(mode: &str) -> std::process::Output {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "edk2_cpuid_child",
            "--test-threads=1",
            "--nocapture",
        ])
        .env(CPUID_MODE, mode)
        .output()
        .unwrap();
    println!(
        "{mode}: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout)
    );
    out
}

/// edk2-tdvmcallcpuid-stack.md: TdVmCallCpuid pushes its Results pointer after the saved
/// registers and pops it only on success. On success it returns normally; when the module or
/// the VMM reports an error it never returns to its caller: the process dies by a signal.
/// The control, Results popped on every path, returns the error on both.
#[test]
fn edk2_cpuid_error_path_breaks_the_stack() {
    use std::os::unix::process::ExitStatusExt;
    for mode in [
        "success",
        "success+fixed",
        "module_error+fixed",
        "vmm_error+fixed",
    ] {
        let out = run_cpuid_child(mode);
        assert_eq!(out.status.code(), Some(0), "{mode}: {:?}", out.status);
    }
    for mode in ["module_error", "vmm_error"] {
        let out = run_cpuid_child(mode);
        assert!(
            out.status.signal().is_some(),
            "{mode}: TdVmCallCpuid came back ({:?}); the error path was expected to return to a \
             wrong address",
            out.status
        );
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("calling TdVmCallCpuid"),
            "{mode}: the child died before the call"
        );
    }
}

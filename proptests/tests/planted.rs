//! The property run catches every planted bug: each variant of `tdx_planted` is driven
//! by the same strategy as the production wrappers and must fail with the expected verdict
//! within `PROPTEST_CASES` cases.
//!
//! A missing clobber shows at run time only where the compiler happens to keep a live value in
//! the register, which depends on the build profile. The clobbers verdict therefore has a
//! static half as well (`tdx_oracle::asm_contract`: each `asm!` block's declared registers against
//! the model's contract): a planted clobber bug must be caught by the run or by that check, in
//! every profile, and this test says which.

use proptest::strategy::Strategy;
use proptest::test_runner::{TestCaseError, TestError, TestRunner};
use tdx_model::{Gpr, RegSet};
use tdx_oracle::asm_contract::check_source;
use tdx_oracle::call::{Call, Program, Target};
use tdx_oracle::Wrappers;
use tdx_oracle::{Oracle, Verdict};
use tdx_planted::*;
use tdx_proptests::{config, program};

/// The verdict of the first failure the property run finds for `wrappers`, if any.
fn run<W: Wrappers>(wrappers: W, target: Target) -> Option<(Verdict, String)> {
    run_only(wrappers, target, |_| true)
}

/// [`run`] over the calls of each program that `keep` keeps.
fn run_only<W: Wrappers>(
    wrappers: W,
    target: Target,
    keep: fn(&Call) -> bool,
) -> Option<(Verdict, String)> {
    run_mapped(wrappers, target, keep, Some)
}

/// [`run`] over each program's calls that `keep` keeps, as `f` changes them.
fn run_mapped<W: Wrappers>(
    wrappers: W,
    target: Target,
    keep: fn(&Call) -> bool,
    f: fn(Call) -> Option<Call>,
) -> Option<(Verdict, String)> {
    let oracle = std::cell::RefCell::new(Oracle::new(wrappers, 11));
    let mut cfg = config();
    cfg.failure_persistence = None;
    cfg.max_shrink_iters = 0;
    let mut runner = TestRunner::new(cfg);
    let seen = std::cell::Cell::new(None);
    let programs = program(target)
        .prop_map(move |p| Program(p.0.into_iter().filter(keep).filter_map(f).collect()));
    let result = runner.run(&programs, |p| {
        oracle.borrow_mut().run_program(&p, |_, _| {}).map_err(|f| {
            seen.set(Some(f.verdict));
            TestCaseError::fail(f.to_string())
        })
    });
    match result {
        Err(TestError::Fail(msg, _)) => {
            Some((seen.get().expect("a failure's verdict"), msg.to_string()))
        }
        Ok(()) => None,
        other => panic!("{}: the run ended with {other:?}", W::NAME),
    }
}

/// The run catches `wrappers`, and with `verdict`.
fn caught<W: Wrappers>(wrappers: W, target: Target, verdict: Verdict) {
    match run(wrappers, target) {
        Some((v, _)) if v == verdict => eprintln!("{}: caught by the run as {v:?}", W::NAME),
        Some((_, msg)) => panic!("{} caught, but as: {msg}", W::NAME),
        None => panic!("{} was not caught", W::NAME),
    }
}

/// A planted clobber bug in `function`'s block, calling `contract`: caught by the run, or by
/// the static check of `planted/src/lib.rs`, which must flag exactly `missing`.
fn clobber_caught<W: Wrappers>(
    wrappers: W,
    target: Target,
    function: &str,
    contract: &str,
    missing: Gpr,
) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../planted/src/lib.rs");
    let src = std::fs::read_to_string(path).unwrap();
    let reports = check_source("planted/src/lib.rs", &src).unwrap();
    let statically = reports.iter().any(|r| {
        r.block.function.as_deref() == Some(function)
            && r.checks.as_ref().is_ok_and(|cs| {
                cs.iter().any(|c| {
                    c.expected.contract == contract
                        && !c.passes()
                        && c.missing_written == RegSet::of(&[missing])
                })
            })
    });
    // The run may meet the bug as another verdict first (an input-only register the VMM
    // changed is also one the copy never clears: hygiene); clobbers must catch it somewhere.
    let by_run = run(wrappers, target).map(|(v, _)| v);
    eprintln!(
        "{}: the run's first failure: {by_run:?}; the static check flags it: {statically}",
        W::NAME
    );
    assert!(
        by_run == Some(Verdict::Clobbers) || statically,
        "{} was not caught by clobbers",
        W::NAME
    );
}

#[test]
fn missing_clobber_is_caught() {
    clobber_caught(
        MissingClobber,
        Target::LeafVpInfo,
        "vp_info",
        "TDG.VP.INFO (leaf 1, version 0)",
        Gpr::R11,
    );
}

#[test]
fn wrong_output_register_is_caught() {
    caught(WrongOutputRegister, Target::LeafVeinfo, Verdict::Decoding);
}

#[test]
fn wrong_leaf_number_is_caught() {
    caught(WrongLeafNumber, Target::LeafVmRd, Verdict::Encoding);
}

#[test]
fn ignored_error_is_caught() {
    caught(IgnoresError, Target::LeafVmWr, Verdict::Decoding);
}

#[test]
fn lost_operand_id_is_caught() {
    caught(LosesOperand, Target::LeafAccept, Verdict::Decoding);
}

#[test]
fn exposed_live_register_is_caught() {
    caught(ExposesLiveRegister, Target::VmcallCpuid, Verdict::Leakage);
}

#[test]
fn missing_vmm_clobber_is_caught() {
    clobber_caught(
        MissingVmmClobber,
        Target::VmcallRdmsr,
        "rdmsr",
        "TDG.VP.VMCALL<Instruction.RDMSR>",
        Gpr::R12,
    );
}

#[test]
fn trusted_resume_address_is_caught() {
    caught(TrustsResume, Target::VmcallMapGpa, Verdict::Decoding);
}

#[test]
fn unmasked_io_read_is_caught() {
    caught(UnmaskedIo, Target::VmcallIo, Verdict::Decoding);
}

#[test]
fn xmm_bit_is_caught() {
    caught(XmmBit, Target::VmcallHlt, Verdict::Leakage);
}

#[test]
fn vp_enter_missing_clobber_is_caught() {
    clobber_caught(
        EnterMissesR14,
        Target::LeafVpEnter,
        "vp_enter",
        "TDG.VP.ENTER (leaf 25, version 0)",
        Gpr::R14,
    );
}

#[test]
fn dropped_updated_uuid_is_caught() {
    caught(DropsUpdatedUuid, Target::LeafServtdRd, Verdict::Decoding);
}

#[test]
fn invgla_list_rdx_input_only_is_caught() {
    clobber_caught(
        InvglaListRdxInputOnly,
        Target::LeafInvgla,
        "invgla_list",
        "TDG.VP.INVGLA (leaf 27, version 0)",
        Gpr::Rdx,
    );
}

#[test]
fn dropped_notify_vector_check_is_caught() {
    caught(
        DropsInputChecks,
        Target::VmcallSetupEventNotifyInterrupt,
        Verdict::Refusal,
    );
}

#[test]
fn dropped_service_checks_are_caught() {
    caught(DropsInputChecks, Target::VmcallService, Verdict::Refusal);
}

#[test]
fn dropped_quote_alignment_check_is_caught() {
    caught(DropsInputChecks, Target::VmcallGetQuote, Verdict::Refusal);
}

#[test]
fn dropped_io_size_check_is_caught() {
    caught(DropsInputChecks, Target::VmcallIo, Verdict::Refusal);
}

#[test]
fn uncleared_exposed_registers_are_caught() {
    caught(KeepsVmmValues, Target::VmcallHlt, Verdict::Hygiene);
}

#[test]
fn wrong_effect_on_the_report_is_caught() {
    caught(ReportScribbles, Target::LeafReport, Verdict::Semantics);
}

#[test]
fn truncated_gla_base_is_caught() {
    caught(TruncatesGlaRange, Target::LeafInvgla, Verdict::Encoding);
}

#[test]
fn refusing_an_input_the_module_accepts_is_caught() {
    caught(RefusesValidRtmr, Target::LeafRtmrExtend, Verdict::Refusal);
}

#[test]
fn refusing_with_another_status_than_the_module_is_caught() {
    // On single-page accepts, where the refusal itself is compared with the module's (through
    // `accept_range` the same bug shows as the helper failing: Semantics).
    let single_pages = |c: &Call| !matches!(c, Call::AcceptRange { .. });
    match run_only(RefusesWithoutOperand, Target::LeafAccept, single_pages) {
        Some((Verdict::Refusal, _)) => {}
        other => panic!("{}: {other:?}", RefusesWithoutOperand::NAME),
    }
}

#[test]
fn dropped_ve_category_is_caught() {
    caught(DropsVeCategory, Target::LeafVeinfo, Verdict::Decoding);
}

#[test]
fn folded_servtd_binding_failures_are_caught() {
    caught(
        FoldsBindingFailures,
        Target::LeafServtdRd,
        Verdict::Decoding,
    );
}

#[test]
fn l2_entry_failure_taken_for_an_exit_is_caught() {
    // Each TDG.VP.WR of the target's programs sets VM 1's CR3-target count beyond 4, so the
    // entries of VM 1 that follow fail (the generators alone write it rarely: most random
    // writes change bits outside its 32-bit mask and are refused).
    let cr3_target_count = |c: Call| match c {
        Call::VpWr { .. } => Some(Call::VpWr {
            field: tdx_oracle::call::FieldRef::Raw(0x2420_0002_0000_400A),
            value: 5,
            mask: 0xFFFF_FFFF,
            narrow: false,
        }),
        other => Some(other),
    };
    match run_mapped(
        L2EntryFailureAsExit,
        Target::LeafVpEnter,
        |_| true,
        cr3_target_count,
    ) {
        Some((Verdict::Decoding, _)) => {}
        other => panic!("{}: {other:?}", L2EntryFailureAsExit::NAME),
    }
    // The same programs pass with the production wrapper: the failure is the planted bug's.
    let ours = run_mapped(
        tdx_oracle::wrappers::Production,
        Target::LeafVpEnter,
        |_| true,
        cr3_target_count,
    );
    assert_eq!(ours, None);
}

#[test]
fn rdall_success_taken_as_complete_is_caught() {
    caught(
        RdAllSuccessIsComplete,
        Target::LeafSysRdAll,
        Verdict::Decoding,
    );
}

#[test]
fn key_get_missing_r9_clobber_is_caught() {
    clobber_caught(
        KeyGetMissesR9,
        Target::LeafMrKeyGet,
        "mr_key_get",
        "TDG.MR.KEY.GET (leaf 29, version 0)",
        Gpr::R9,
    );
}

#[test]
fn key_size_in_bytes_is_caught() {
    caught(KeySizeInBytes, Target::LeafMrKeyGet, Verdict::Decoding);
}

#[test]
fn ignored_module_refusal_is_caught() {
    caught(
        IgnoresModuleRefusal,
        Target::StatusDecode,
        Verdict::Decoding,
    );
}

#[test]
fn undeclared_halt_on_refusal_is_caught() {
    caught(HaltsUndeclared, Target::StatusDecode, Verdict::Decoding);
}

#[test]
fn dropped_report_requestor_is_caught() {
    caught(ReportDropsRequestor, Target::LeafReport, Verdict::Encoding);
}

#[test]
fn undeclared_fatal_halt_on_refusal_is_caught() {
    caught(FatalHaltsOnRefusal, Target::StatusDecode, Verdict::Decoding);
}

#[test]
fn servtd_wr_new_value_is_caught() {
    caught(
        ServtdWrReturnsNewValue,
        Target::LeafServtdWr,
        Verdict::Decoding,
    );
}

#[test]
fn fatal_registers_reused_after_a_resume_are_caught() {
    caught(
        FatalRegsOutsideLoop,
        Target::VmcallReportFatalError,
        Verdict::Encoding,
    );
}

#[test]
fn unbounded_busy_retries_are_caught() {
    caught(AcceptBusyUnbounded, Target::LeafAccept, Verdict::Semantics);
}

#[test]
fn missing_page_size_fallback_is_caught() {
    // Every range in the 1 GiB window (rare in generated programs: a thousand TDCALLs each).
    let window = |mut c: Call| {
        if let Call::AcceptRange { window, .. } = &mut c {
            *window = u8::MAX;
        }
        Some(c)
    };
    match run_mapped(AcceptNoSizeFallback, Target::LeafAccept, |_| true, window) {
        Some((Verdict::Semantics, _)) => {}
        other => panic!("{}: {other:?}", AcceptNoSizeFallback::NAME),
    }
}

#[test]
fn unbounded_map_gpa_stalls_are_caught() {
    caught(
        ConvertStallsUnbounded,
        Target::VmcallMapGpa,
        Verdict::Semantics,
    );
}

/// A trampoline that exposes RBP (its frame pointer), RSI and RDI: a hostile VMM's RBP becomes
/// the stack pointer and the process dies inside the call. The campaign runs it anyway: the
/// call the process died in is a Leakage verdict (RBP shown to the VMM) with its TDCALL, the
/// campaign goes on with the next program, and every phase still reports.
#[test]
fn exposed_frame_pointer_crash_is_a_verdict() {
    use std::time::Duration;
    let report = tdx_campaign::run(ExposesFramePointer, 7, Duration::from_millis(150));
    let table = tdx_campaign::table(&report);
    eprintln!("{table}");
    let (crash, program) = report
        .first_crash
        .as_ref()
        .expect("a hostile VMM's RBP crashes the planted trampoline");
    eprintln!("{crash}\n  program: {program:?}");
    assert!(report.crashes > 0);
    assert_eq!(crash.verdict, Verdict::Leakage, "{crash}");
    // The call is CPUID itself, or CPUID under a forced status.
    assert!(
        crash.table.contains("contract: Instruction.CPUID") && crash.table.contains("RBP"),
        "{crash}"
    );
    // The campaign went on: programs after the crash ran, and the table has every leaf.
    assert!(report.programs > report.crashes);
    for leaf in [
        "TDG.VP.INFO",
        "TDG.MEM.PAGE.ACCEPT",
        "Instruction.HLT",
        "MapGPA",
    ] {
        assert!(report.leaves.contains_key(leaf), "{leaf} missing:\n{table}");
    }
    // Calls that returned in the child are credited with the crash check, the failing one
    // with its failure.
    let cpuid = &report.leaves["Instruction.CPUID"];
    assert!(cpuid.failed.get(&Verdict::Leakage).copied().unwrap_or(0) > 0);
    assert!(
        report.leaves["TDG.VP.INFO"]
            .passed
            .get(&Verdict::Crash)
            .copied()
            .unwrap_or(0)
            > 0
    );
}

/// An implementation that ends the process with status 0 inside a call is a crash of that call,
/// not a phase that ended early.
#[test]
fn exit_inside_a_call_is_a_verdict() {
    use std::time::Duration;
    let report = tdx_campaign::run(ExitsOnVmmError, 5, Duration::from_millis(100));
    let (crash, program) = report
        .first_crash
        .as_ref()
        .expect("a hostile VMM's error makes the planted HLT exit");
    eprintln!("{crash}\n  program: {program:?}");
    assert_eq!(crash.verdict, Verdict::Crash, "{crash}");
    assert!(crash.detail.contains("exited with status 0"), "{crash}");
    assert!(report.programs > report.crashes);
}

/// Under a status forced on `accept_range`'s first ACCEPT, the helper must stop with that
/// status whole: the variant that drops the operand id is caught by decoding.
#[test]
fn status_lost_by_accept_range_is_caught() {
    caught(
        AcceptNoSizeFallback,
        Target::StatusDecode,
        Verdict::Decoding,
    );
}

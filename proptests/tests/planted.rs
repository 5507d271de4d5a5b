//! The property run catches every planted bug: each variant of `tdx_trap::planted` is driven
//! by the same strategy as the production wrappers and must fail with the expected verdict
//! within `PROPTEST_CASES` cases.

use proptest::test_runner::{TestCaseError, TestError, TestRunner};
use tdx_proptests::{config, program};
use tdx_trap::call::Target;
use tdx_trap::oracle::{Oracle, Verdict};
use tdx_trap::planted::*;
use tdx_trap::Wrappers;

fn caught<W: Wrappers>(wrappers: W, target: Target, verdict: Verdict) {
    let oracle = std::cell::RefCell::new(Oracle::new(wrappers, 11));
    let mut cfg = config();
    cfg.failure_persistence = None;
    cfg.max_shrink_iters = 0;
    let mut runner = TestRunner::new(cfg);
    let seen = std::cell::Cell::new(None);
    let result = runner.run(&program(target), |p| {
        oracle.borrow_mut().run_program(&p, |_, _| {}).map_err(|f| {
            seen.set(Some(f.verdict));
            TestCaseError::fail(f.to_string())
        })
    });
    match result {
        Err(TestError::Fail(msg, _)) => {
            assert_eq!(
                seen.get(),
                Some(verdict),
                "{} caught, but as: {msg}",
                W::NAME
            );
            eprintln!("{}: caught as {verdict:?}", W::NAME);
        }
        other => panic!("{} was not caught: {other:?}", W::NAME),
    }
}

#[test]
fn missing_clobber_is_caught() {
    caught(MissingClobber, Target::LeafVpInfo, Verdict::Clobbers);
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
    caught(MissingVmmClobber, Target::VmcallRdmsr, Verdict::Clobbers);
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
    caught(EnterMissesR14, Target::LeafVpEnter, Verdict::Clobbers);
}

#[test]
fn dropped_updated_uuid_is_caught() {
    caught(DropsUpdatedUuid, Target::LeafServtdRd, Verdict::Decoding);
}

#[test]
fn invgla_list_rdx_input_only_is_caught() {
    caught(
        InvglaListRdxInputOnly,
        Target::LeafInvgla,
        Verdict::Clobbers,
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

//! Every leaf, through the production wrappers and the trap backend, checked four ways.

use proptest::prelude::*;
use tdx_oracle::call::Target;
use tdx_oracle::fuzzing::run_program;
use tdx_proptests::{config, program};

fn check(p: &tdx_oracle::Program) -> Result<(), TestCaseError> {
    run_program(p).map_err(|f| TestCaseError::fail(f.to_string()))
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn leaf_accept(p in program(Target::LeafAccept)) { check(&p)?; }

    #[test]
    fn leaf_vp_info(p in program(Target::LeafVpInfo)) { check(&p)?; }

    #[test]
    fn leaf_vm_rd(p in program(Target::LeafVmRd)) { check(&p)?; }

    #[test]
    fn leaf_vm_wr(p in program(Target::LeafVmWr)) { check(&p)?; }

    #[test]
    fn leaf_report(p in program(Target::LeafReport)) { check(&p)?; }

    #[test]
    fn leaf_rtmr_extend(p in program(Target::LeafRtmrExtend)) { check(&p)?; }

    #[test]
    fn leaf_veinfo(p in program(Target::LeafVeinfo)) { check(&p)?; }

    #[test]
    fn leaf_cpuidve(p in program(Target::LeafCpuidve)) { check(&p)?; }

    #[test]
    fn status_decode(p in program(Target::StatusDecode)) { check(&p)?; }

    #[test]
    fn status_fields(raw in any::<u64>()) {
        tdx_oracle::check_status_fields(raw).map_err(|f| TestCaseError::fail(f.to_string()))?;
    }

    #[test]
    fn mixed_programs(p in program(Target::All)) { check(&p)?; }

    #[test]
    fn leaf_vp_rd(p in program(Target::LeafVpRd)) { check(&p)?; }

    #[test]
    fn leaf_vp_wr(p in program(Target::LeafVpWr)) { check(&p)?; }

    #[test]
    fn leaf_sys_rd(p in program(Target::LeafSysRd)) { check(&p)?; }

    #[test]
    fn leaf_sys_rdall(p in program(Target::LeafSysRdAll)) { check(&p)?; }

    #[test]
    fn leaf_servtd_rd(p in program(Target::LeafServtdRd)) { check(&p)?; }

    #[test]
    fn leaf_servtd_wr(p in program(Target::LeafServtdWr)) { check(&p)?; }

    #[test]
    fn leaf_verifyreport(p in program(Target::LeafVerifyReport)) { check(&p)?; }
    fn leaf_mr_key_get(p in program(Target::LeafMrKeyGet)) { check(&p)?; }

    #[test]
    fn leaf_page_attr_rd(p in program(Target::LeafPageAttrRd)) { check(&p)?; }

    #[test]
    fn leaf_page_attr_wr(p in program(Target::LeafPageAttrWr)) { check(&p)?; }

    #[test]
    fn leaf_vp_enter(p in program(Target::LeafVpEnter)) { check(&p)?; }

    #[test]
    fn leaf_invept(p in program(Target::LeafInvept)) { check(&p)?; }

    #[test]
    fn leaf_invgla(p in program(Target::LeafInvgla)) { check(&p)?; }

    #[test]
    fn vmcall_get_td_vm_call_info(p in program(Target::VmcallGetTdVmCallInfo)) { check(&p)?; }

    #[test]
    fn vmcall_map_gpa(p in program(Target::VmcallMapGpa)) { check(&p)?; }

    #[test]
    fn vmcall_get_quote(p in program(Target::VmcallGetQuote)) { check(&p)?; }

    #[test]
    fn vmcall_report_fatal_error(p in program(Target::VmcallReportFatalError)) { check(&p)?; }

    #[test]
    fn vmcall_setup_event_notify_interrupt(p in program(Target::VmcallSetupEventNotifyInterrupt)) {
        check(&p)?;
    }

    #[test]
    fn vmcall_service(p in program(Target::VmcallService)) { check(&p)?; }

    #[test]
    fn vmcall_cpuid(p in program(Target::VmcallCpuid)) { check(&p)?; }

    #[test]
    fn vmcall_hlt(p in program(Target::VmcallHlt)) { check(&p)?; }

    #[test]
    fn vmcall_io(p in program(Target::VmcallIo)) { check(&p)?; }

    #[test]
    fn vmcall_rdmsr(p in program(Target::VmcallRdmsr)) { check(&p)?; }

    #[test]
    fn vmcall_wrmsr(p in program(Target::VmcallWrmsr)) { check(&p)?; }

    #[test]
    fn vmcall_mmio(p in program(Target::VmcallMmio)) { check(&p)?; }

    #[test]
    fn vmcall_wbinvd(p in program(Target::VmcallWbinvd)) { check(&p)?; }

    #[test]
    fn vmcall_vendor(p in program(Target::VmcallVendor)) { check(&p)?; }

    #[test]
    fn vmcall_hostile(p in program(Target::VmcallHostile)) { check(&p)?; }
}

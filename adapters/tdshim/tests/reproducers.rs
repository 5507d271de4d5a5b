//! Minimized reproducers of the td-shim findings the oracle cannot reach through the
//! `Wrappers` shape (TDG.MR.REPORT's own buffer), or reaches only by chance (BUSY on
//! TDG.MEM.PAGE.ATTR.WR). Each calls td-shim directly under a trap session and asserts the
//! behaviour written up in `docs/findings/`: if one fails, td-shim changed — update the write-up.

use tdx_adapter_tdshim::{warm_up, TdShim};
use tdx_model::Gpr;
use tdx_oracle::Oracle;
use tdx_tdcall::tdx;
use tdx_tdcall::TdCallError;
use tdx_trap::Record;

const OPERAND_BUSY_RCX: u64 = 0x8000_0200_0000_0001;
const OPERAND_INVALID_RCX: u64 = 0xC000_0100_0000_0001;
const OPERAND_INVALID_RAX: u64 = 0xC000_0100_0000_0000;

fn log(o: &mut Oracle<TdShim>) -> Vec<Record> {
    // SAFETY: no TDCALL runs while the copy is made.
    unsafe { o.session.log() }.to_vec()
}

fn accept_page(o: &mut Oracle<TdShim>) -> u64 {
    // SAFETY: no TDCALL runs while the config is read.
    let cfg = unsafe { o.session.module() }.config();
    // Block 2 of the laid-out region: pending 4 KiB pages.
    cfg.accept_region_base + 2 * (2 << 20)
}

/// docs/findings/tdshim-report-status-lost.md
#[test]
fn finding_report_error_status_is_lost() {
    let mut o = Oracle::new(TdShim, 1);
    warm_up();
    o.session.clear_log();
    o.session.force_status(OPERAND_INVALID_RCX);
    let r = tdx_tdcall::tdreport::tdcall_report(&[0x5a; 64]);
    let l = log(&mut o);
    assert_eq!(l.len(), 1);
    assert_eq!(l[0].input[Gpr::Rax], 4, "TDG.MR.REPORT");
    assert_eq!(
        l[0].output[Gpr::Rax],
        OPERAND_INVALID_RCX,
        "the module's status"
    );
    // td-shim converts R10 (0: it passed R10 = 0, and the leaf leaves it alone), not RAX.
    assert_eq!(r.err(), Some(TdCallError::LeafSpecific(0)));
}

/// docs/findings/tdshim-retry-reuses-outputs.md
#[test]
fn finding_accept_busy_retry_issues_the_status_as_leaf() {
    let mut o = Oracle::new(TdShim, 2);
    warm_up();
    let gpa = accept_page(&mut o);
    o.session.clear_log();
    o.session.force_status(OPERAND_BUSY_RCX);
    let r = tdx::tdcall_accept_page(gpa);
    let l = log(&mut o);
    assert_eq!(l.len(), 2, "one retry");
    assert_eq!(l[0].input[Gpr::Rax], 6, "TDG.MEM.PAGE.ACCEPT");
    assert_eq!(
        l[1].input[Gpr::Rax],
        OPERAND_BUSY_RCX,
        "the retry's RAX is the BUSY status"
    );
    assert_eq!(l[1].output[Gpr::Rax], OPERAND_INVALID_RAX);
    assert_eq!(r.err(), Some(TdCallError::TdxExitReasonOperandInvalid(0)));
}

/// docs/findings/tdshim-retry-reuses-outputs.md
#[test]
fn finding_attr_wr_busy_retry_issues_the_status_as_leaf() {
    let mut o = Oracle::new(TdShim, 3);
    warm_up();
    let gpa = accept_page(&mut o);
    o.session.clear_log();
    o.session.force_status(OPERAND_BUSY_RCX);
    let r = tdx::tdcall_mem_page_attr_wr(gpa, 0, 0);
    let l = log(&mut o);
    assert_eq!(l.len(), 2, "one retry");
    assert_eq!(l[0].input[Gpr::Rax], 24, "TDG.MEM.PAGE.ATTR.WR");
    assert_eq!(
        l[1].input[Gpr::Rax],
        OPERAND_BUSY_RCX,
        "the retry's RAX is the BUSY status"
    );
    assert_eq!(l[1].output[Gpr::Rax], OPERAND_INVALID_RAX);
    assert_eq!(r.err(), Some(TdCallError::TdxExitReasonOperandInvalid(0)));
}

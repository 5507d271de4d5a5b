//! An implementation that refuses an input itself, without a TDCALL, exactly as the module
//! would, passes: its refusal is judged against the model's answer and counted as a refusal,
//! not reported as a missing TDCALL.

use tdcall::{AcceptPage, Accepted, PageLevel, TdxStatus};
use tdx_model::status::{operand, TDX_OPERAND_INVALID};
use tdx_oracle::call::{Call, PageRef};
use tdx_oracle::{Oracle, Verdict, Wrappers};

/// TDG.MEM.PAGE.ACCEPT refusing 1 GiB pages as the module does (TDX_OPERAND_INVALID, operand
/// RCX), with no TDCALL.
struct RefusesOneGig;

impl Wrappers for RefusesOneGig {
    const NAME: &'static str = "refuses 1 GiB accepts as the module does";

    unsafe fn accept(&self, page: AcceptPage) -> Result<Accepted, TdxStatus> {
        if page.level() == PageLevel::Size1G {
            return Err(TdxStatus::from_raw(TDX_OPERAND_INVALID + operand::RCX));
        }
        // SAFETY: forwarded from the caller.
        unsafe { tdcall::tdg_mem_page_accept(page) }
    }
}

#[test]
fn a_refusal_the_module_would_make_passes_and_counts_as_refusal() {
    let mut oracle = Oracle::new(RefusesOneGig, 5);
    let mut refusals = 0;
    // 1 GiB-aligned GPAs, so that the typed constructor accepts the page and the wrapper runs.
    for i in 0..64u32 {
        let call = Call::Accept {
            page: PageRef::Raw(u64::from(i) << 30),
            level: 2,
            busy: false,
            interrupts: 0,
        };
        let outcome = oracle
            .run_call(&call)
            .unwrap_or_else(|f| panic!("a correct refusal failed: {f}"));
        assert!(
            !outcome.checks.contains(Verdict::Encoding),
            "no TDCALL: no encoding check"
        );
        if outcome.checks.contains(Verdict::Refusal) {
            refusals += 1;
        }
    }
    assert_eq!(refusals, 64, "every 1 GiB accept was judged as a refusal");
}

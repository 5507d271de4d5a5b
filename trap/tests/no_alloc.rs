//! The trap handler allocates nothing: a counting allocator sees no allocation on this thread
//! across raw wrapper calls that each fault into the handler and run the model.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use tdcall::{AcceptPage, AlignedGpa, FieldId, Gpa, PageLevel, RtmrIndex};
use tdx_model::TdConfig;
use tdx_trap::Session;

struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator; the counter is a const thread-local `Cell`, which
// needs no allocation.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.with(|a| a.set(a.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocs() -> u64 {
    ALLOCS.with(|a| a.get())
}

#[test]
fn handler_does_not_allocate() {
    let mut s = Session::new(TdConfig::default(), 7);
    let arena = s.arena_gpa();
    // SAFETY: no TDCALL runs while the model is set up.
    let base = unsafe {
        let m = s.module();
        let base = m.config().accept_region_base;
        m.set_page(base, 1, tdx_model::module::PageState::Pending);
        m.set_interrupt_pending(2);
        base
    };
    let td_ctls = FieldId::new(0x1110_0003_0000_0017).unwrap();
    let before = allocs();
    let info = tdcall::tdg_vp_info();
    // SAFETY: the page is the simulated TD's.
    let accepted = unsafe {
        tdcall::tdg_mem_page_accept(
            AcceptPage::new(Gpa::new(base).unwrap(), PageLevel::Size2M).unwrap(),
        )
    };
    let ext = tdcall::tdg_mr_rtmr_extend(
        AlignedGpa::<64>::new(arena).unwrap(),
        RtmrIndex::new(2).unwrap(),
    );
    // SAFETY: the report lands in the session's arena, which nothing borrows here.
    let rep = unsafe {
        tdcall::tdg_mr_report(
            AlignedGpa::<1024>::new(arena + 4096).unwrap(),
            AlignedGpa::<64>::new(arena).unwrap(),
            0,
            tdcall::ReportRequestor::default(),
        )
    };
    let rd = tdcall::tdg_vm_rd(td_ctls);
    let first = tdcall::tdg_vm_rd_first();
    let wr = tdcall::tdg_vm_wr(td_ctls, 0, 0);
    let ve = tdcall::tdg_vp_veinfo_get();
    let after = allocs();
    let calls = s.tdcall_count();
    // Results are inspected only after the allocation count is taken.
    assert!(info.is_ok() && rd.is_ok() && first.is_ok() && ve.is_err() && wr.is_err());
    assert!(
        accepted.is_ok() && ext.is_ok() && rep.is_ok(),
        "{accepted:?} {ext:?} {rep:?}"
    );
    assert!(calls >= 9, "every wrapper trapped ({calls} TDCALLs)");
    assert_eq!(
        after - before,
        0,
        "allocations during {calls} trapped TDCALLs"
    );
}

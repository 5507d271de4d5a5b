//! The GetQuote helpers against the honest and the hostile VMM.

use tdcall::vmcall::{quote, quote_status, request_quote, QuoteStatus, SharedGpa};
use tdx_model::vmm::VmmMode;
use tdx_model::TdConfig;
use tdx_trap::Session;

#[test]
fn request_and_status() {
    let mut s = Session::new(TdConfig::default(), 3);
    let shared = SharedGpa::new(s.arena_gpa() | 1 << 47, 48).unwrap();
    // SAFETY: no TDCALL runs while the arena pointer is taken.
    let buf = unsafe { s.arena() }.as_mut_ptr();
    let report = [0x5a; 1024];
    // SAFETY: the arena is the memory at `shared` (identity mapped), 16 KiB; no reference to
    // it lives across the call.
    let r = unsafe { request_quote(buf, 8192, shared, &report) };
    assert_eq!(r, Ok(()));
    // SAFETY: as above.
    let st = unsafe { quote_status(buf, 8192) };
    assert_eq!(st, QuoteStatus::Ready { len: 0 });
    // SAFETY: reads the request the helper wrote, after the call.
    let arena = unsafe { s.arena() };
    assert_eq!(arena[..8], quote::VERSION.to_le_bytes());
    assert_eq!(arena[16..20], 1024u32.to_le_bytes());
    assert_eq!(arena[24..24 + 1024], report);
}

#[test]
fn hostile_status_is_validated() {
    let mut s = Session::new(TdConfig::default(), 4);
    // SAFETY: no TDCALL runs during the setup.
    unsafe { s.module() }.set_vmm(VmmMode::Hostile { seed: 9 });
    // SAFETY: as above.
    let buf = unsafe { s.arena() }.as_mut_ptr();
    // A length the VMM claims that exceeds the buffer is not believed.
    // SAFETY: writes inside the arena, then reads it back.
    unsafe {
        buf.add(8).cast::<[u8; 8]>().write(0u64.to_le_bytes());
        buf.add(20).cast::<[u8; 4]>().write(9000u32.to_le_bytes());
        assert_eq!(quote_status(buf, 4096), QuoteStatus::BadLength(9000));
        buf.add(8).cast::<[u8; 8]>().write(5u64.to_le_bytes());
        assert_eq!(quote_status(buf, 4096), QuoteStatus::Failed(5));
    }
    // Bad lengths are refused before any TDCALL.
    let shared = SharedGpa::new(s.arena_gpa() | 1 << 47, 48).unwrap();
    // SAFETY: as above.
    let r = unsafe { request_quote(buf, 100, shared, &[0; 64]) };
    assert!(r.is_err());
    assert_eq!(s.tdcall_count(), 0);
}

//! The canary path raises no false alarm: every callee-saved register survives a correct
//! implementation of the leaf that changes the most registers (TDG.VP.ENTER), and the clobbers
//! check is counted on every call, canaries or register pressure.

use tdx_oracle::call::{Call, MemRef};
use tdx_oracle::Production;
use tdx_oracle::{Oracle, Verdict};

fn enter() -> Call {
    Call::VpEnter {
        vm: 1,
        invalidate: 0,
        state: MemRef::Slot(0),
        pending: false,
        vapic_missing: false,
        guest_state: 0,
    }
}

#[test]
fn canaries_survive_a_correct_implementation() {
    let mut oracle = Oracle::new(Production, 7);
    for _ in 0..4 {
        let out = oracle.run_call(&enter()).unwrap_or_else(|f| panic!("{f}"));
        assert!(out.checks.contains(Verdict::Clobbers));
    }
}

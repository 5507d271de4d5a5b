//! A method an implementation under test does not define is not provided: the call is
//! reported so, no TDCALL is made, and the simulated TD is left as it was
//! (`Wrappers::TDCALL_DEFAULTS`).

use tdx_oracle::call::{Kind, MemRef, Program};
use tdx_oracle::{Call, FlightRecord, Oracle, Wrappers, NOT_PROVIDED};

/// Says it provides these calls and defines none of their methods.
struct Forgetful;

impl Wrappers for Forgetful {
    const NAME: &'static str = "forgetful";

    fn provides(&self, kind: Kind) -> bool {
        matches!(
            kind,
            Kind::VpInfo | Kind::VmcallHlt | Kind::Accept | Kind::VmcallFatal | Kind::RtmrExtend
        )
    }
}

#[test]
fn a_method_not_defined_makes_no_tdcall() {
    let program = Program(vec![
        Call::VpInfo,
        Call::VmcallHlt { blocked: false },
        Call::Accept {
            page: tdx_oracle::call::PageRef::Region(0),
            level: 0,
            busy: false,
            interrupts: 0,
        },
        Call::RtmrExtend {
            data: MemRef::Slot(0),
            index: 0,
            value: [7; 48],
            busy: false,
        },
        Call::VmcallFatal {
            code: 1,
            data: None,
            message: [0; 64],
            len: 0,
            resumes: 0,
        },
    ]);
    let mut outcomes = Vec::new();
    let mut oracle = Oracle::new(Forgetful, 3);
    // Every TDCALL the trap handler answers is counted here.
    let recorder: *mut FlightRecord = Box::into_raw(Box::default());
    // SAFETY: `recorder` is a live FlightRecord, read below only after the program ran, and
    // replaced by null before it is freed.
    unsafe { oracle.set_flight_recorder(recorder) };
    let result = oracle.run_program(&program, |c, o| outcomes.push((c.kind(), *o)));
    // SAFETY: stops the recording; `recorder` is then ours alone.
    unsafe { oracle.set_flight_recorder(core::ptr::null_mut()) };
    // SAFETY: made by Box::into_raw above and no longer referred to by the oracle.
    let record = unsafe { Box::from_raw(recorder) };
    result.unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(record.count, 0, "a TDCALL was made: {record:x?}");
    assert_eq!(outcomes.len(), program.0.len());
    for (kind, o) in outcomes {
        assert_eq!(o.not_run, Some(NOT_PROVIDED), "{kind:?}: {o:?}");
        assert_eq!(o.tdcalls, 0, "{kind:?} made a TDCALL: {o:?}");
        assert!(o.checks.is_empty(), "{kind:?}: {o:?}");
    }
}

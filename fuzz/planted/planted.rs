//! Not a fuzz target of the suite: the benchmark `cargo bench -p tdx-proptests --bench
//! time_to_detect` runs it to time how fast libFuzzer finds each planted bug. `TDX_PLANTED=<i>`
//! selects `tdx_planted::PLANTED[i]`: inputs decode as for that bug's fuzz target and run
//! through the planted wrapper on every module version; a failed check panics, as in the real
//! targets.
#![no_main]

use std::cell::RefCell;

use libfuzzer_sys::fuzz_target;
use tdx_oracle::call::{Program, Target};
use tdx_planted::{planted_runner, Runner, PLANTED};

thread_local! {
    static PLANT: RefCell<Option<(Target, Runner)>> = const { RefCell::new(None) };
}

/// The bug `TDX_PLANTED` names; a usage message and exit status 2 without one (run before
/// libFuzzer starts, so it is not reported as a crash).
fn plant() -> (Target, Runner) {
    let index = std::env::var("TDX_PLANTED")
        .ok()
        .and_then(|v| v.parse::<usize>().ok());
    match index.and_then(|i| Some((PLANTED.get(i)?.2, planted_runner(i)?))) {
        Some(p) => p,
        None => {
            eprintln!(
                "planted: set TDX_PLANTED to an index of tdx_planted::PLANTED (0 to {})",
                PLANTED.len() - 1
            );
            std::process::exit(2);
        }
    }
}

fuzz_target!(
    init: {
        let p = plant();
        PLANT.with(|slot| *slot.borrow_mut() = Some(p));
    },
    |data: &[u8]| {
        PLANT.with(|p| {
            let mut p = p.borrow_mut();
            let (target, run) = p.as_mut().expect("set by init");
            let program = Program::decode(*target, data);
            if let Err(f) = run(&program) {
                panic!("{f}\n  program: {program:?}");
            }
        })
    }
);

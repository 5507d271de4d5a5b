//! The body of every fuzz target: decode an input for a target, run it through the production
//! wrappers against a fresh simulated TD on every modelled module version, and panic with the
//! oracle's diagnostic on failure.

use std::cell::RefCell;

use crate::call::{Program, Target};
use crate::wrappers::Production;
use crate::Oracle;

use tdx_model::ModuleVersion;

thread_local! {
    static ORACLE: RefCell<Option<Oracle<Production>>> = const { RefCell::new(None) };
}

/// Runs one fuzzer input (see [`crate::call`] for the encoding). Panics on any failed check.
pub fn run_input(target: Target, data: &[u8]) {
    let program = Program::decode(target, data);
    if let Err(f) = run_program(&program) {
        panic!("{f}\n  program: {program:?}");
    }
}

/// Runs a program on this thread's oracle (created on first use) once per modelled module
/// version ([`ModuleVersion::ALL`]), each time against a fresh simulated TD; the first failure
/// (which names its version).
pub fn run_program(program: &Program) -> Result<(), crate::Failure> {
    ORACLE.with(|o| {
        let mut o = o.borrow_mut();
        let o = o.get_or_insert_with(|| Oracle::new(Production, 0x7d_c411));
        ModuleVersion::ALL.iter().try_for_each(|v| {
            o.set_version(*v);
            o.run_program(program, |_, _| {})
        })
    })
}

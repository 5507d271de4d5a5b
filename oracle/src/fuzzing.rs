//! The body of every fuzz target: decode an input for a target, run it through the production
//! wrappers against a fresh simulated TD on every modelled module version, and panic with the
//! oracle's diagnostic on failure.
//!
//! With `TDX_FUZZ_STATS=1` in its environment, a fuzz target prints at exit how many inputs,
//! calls and TDCALLs it ran and the time spent in them (one `tdx-fuzz-stats:` line on stderr),
//! which is how `scripts/fuzz-rate.sh` measures calls per second inside libFuzzer.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Once;
use std::time::Instant;

use crate::call::{Program, Target};
use crate::wrappers::Production;
use crate::Oracle;

thread_local! {
    static ORACLE: RefCell<Option<Oracle<Production>>> = const { RefCell::new(None) };
}

/// What [`run_input`] ran in this process: inputs, calls (each program once per module
/// version, `SetVmm` included, as the campaign counts), completed TDCALLs, nanoseconds in
/// [`run_program`].
static INPUTS: AtomicU64 = AtomicU64::new(0);
static CALLS: AtomicU64 = AtomicU64::new(0);
static TDCALLS: AtomicU64 = AtomicU64::new(0);
static NANOS: AtomicU64 = AtomicU64::new(0);
static STATS_AT_EXIT: Once = Once::new();

/// What this process's fuzz inputs ran so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Inputs run.
    pub inputs: u64,
    /// Calls run, over every module version.
    pub calls: u64,
    /// TDCALLs completed.
    pub tdcalls: u64,
    /// Nanoseconds spent running programs (decoding excluded).
    pub nanos: u64,
}

/// The counts of this process's [`run_input`] calls so far.
pub fn stats() -> Stats {
    Stats {
        inputs: INPUTS.load(Relaxed),
        calls: CALLS.load(Relaxed),
        tdcalls: TDCALLS.load(Relaxed),
        nanos: NANOS.load(Relaxed),
    }
}

extern "C" fn print_stats() {
    use std::io::Write;
    let s = stats();
    // Never a panic here (a closed stderr): it would abort inside an `extern "C"` function.
    let _ = writeln!(
        std::io::stderr(),
        "tdx-fuzz-stats: inputs {} calls {} tdcalls {} seconds-in-programs {:.3}",
        s.inputs,
        s.calls,
        s.tdcalls,
        s.nanos as f64 / 1e9
    );
}

/// Runs one fuzzer input (see [`crate::call`] for the encoding). Panics on any failed check.
pub fn run_input(target: Target, data: &[u8]) {
    STATS_AT_EXIT.call_once(|| {
        if std::env::var_os("TDX_FUZZ_STATS").is_some_and(|v| v == "1") {
            // SAFETY: registers a function without arguments that only reads atomics and
            // writes to stderr; libFuzzer ends a run by calling `exit`, which runs it.
            unsafe { libc::atexit(print_stats) };
        }
    });
    let program = Program::decode(target, data);
    INPUTS.fetch_add(1, Relaxed);
    if let Err(f) = run_program(&program) {
        panic!("{f}\n  program: {program:?}");
    }
}

/// Runs a program on this thread's oracle (created on first use) on every modelled module
/// version ([`Oracle::run_program_on_every_version`]); the first failure.
pub fn run_program(program: &Program) -> Result<(), crate::Failure> {
    let start = Instant::now();
    let mut tdcalls = 0u64;
    let mut calls = 0u64;
    let result = ORACLE.with(|o| {
        let mut o = o.borrow_mut();
        let o = o.get_or_insert_with(|| Oracle::new(Production, 0x7d_c411));
        o.run_program_on_every_version(program, |_, out| {
            calls += 1;
            tdcalls += out.tdcalls as u64;
        })
    });
    CALLS.fetch_add(calls, Relaxed);
    TDCALLS.fetch_add(tdcalls, Relaxed);
    NANOS.fetch_add(start.elapsed().as_nanos() as u64, Relaxed);
    result
}

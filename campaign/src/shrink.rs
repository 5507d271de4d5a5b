//! Shrinking a failing program to the fewest calls that still fail the same way.
//!
//! A failure is replayed from a fixed oracle seed ([`REPLAY_SEED`]) on the module version it
//! ran on: the program as found first (a failure that does not replay that way is left as it
//! is), then with one call removed at a time, keeping each removal after which the program
//! still fails with the same [`crate::signature`]. The replays run in a child process: a
//! candidate may crash the implementation, which must not end the campaign. What comes back is
//! the shrunk program, which `Oracle::new_on(implementation, REPLAY_SEED, version)` replays
//! exactly ([`reproducer`]).

use std::io::Read;
use std::os::fd::FromRawFd;
use std::time::{Duration, Instant};

use tdx_model::ModuleVersion;
use tdx_oracle::call::{Program, Target};
use tdx_oracle::wrappers::Wrappers;
use tdx_oracle::Oracle;

/// The oracle seed a shrunk program replays from.
pub const REPLAY_SEED: u64 = 1;

/// Whether `program`, replayed from [`REPLAY_SEED`] on `version`, fails with `signature`.
fn fails_as<W: Wrappers>(
    oracle: &mut Oracle<W>,
    program: &Program,
    version: ModuleVersion,
    signature: &str,
) -> bool {
    oracle.set_version(version);
    oracle.set_seed(REPLAY_SEED);
    oracle
        .run_program(program, |_, _| {})
        .is_err_and(|f| crate::signature(&f) == signature)
}

/// The greedy removal loop (run in the child): `None` if the program does not fail so when
/// replayed; stops removing at `deadline`.
fn shrink_here<W: Wrappers>(
    oracle: &mut Oracle<W>,
    program: &Program,
    version: ModuleVersion,
    signature: &str,
    deadline: Instant,
) -> Option<Program> {
    if !fails_as(oracle, program, version, signature) {
        return None;
    }
    let mut calls = program.0.clone();
    let mut i = 0;
    while i < calls.len() && Instant::now() < deadline {
        let mut fewer = calls.clone();
        fewer.remove(i);
        if fails_as(oracle, &Program(fewer.clone()), version, signature) {
            calls = fewer;
        } else {
            i += 1;
        }
    }
    Some(Program(calls))
}

/// `program`, whose failure on `version` has `signature`, shrunk in a child process within
/// `budget`: `None` when the failure does not replay from [`REPLAY_SEED`], the child dies, or
/// the result cannot be encoded. The oracle's own state is not changed (the child has a copy).
pub fn shrink<W: Wrappers>(
    oracle: &mut Oracle<W>,
    program: &Program,
    version: ModuleVersion,
    signature: &str,
    budget: Duration,
) -> Option<Program> {
    let mut fds = [0; 2];
    // SAFETY: pipe(2) into a two-element array.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        return None;
    }
    let deadline = Instant::now() + budget;
    // SAFETY: fork(2) from the campaign's single thread. The child replays programs on its
    // copy of the oracle, writes the result to the pipe and ends with _exit; the parent only
    // reads the pipe and waits.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        // SAFETY: closes the two descriptors pipe(2) returned.
        unsafe {
            libc::close(fds[0]);
            libc::close(fds[1]);
        }
        return None;
    }
    if pid == 0 {
        // SAFETY: the child's end of the pipe: close the read side; a hung replay is ended by
        // the alarm.
        unsafe {
            libc::close(fds[0]);
            libc::alarm(budget.as_secs() as u32 + 5);
        }
        // A panic (the oracle's, or the implementation's) must not unwind into the campaign's
        // code in this copy of the process: it ends the child with nothing written.
        let bytes = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            shrink_here(oracle, program, version, signature, deadline)
                .and_then(|p| p.encode(Target::All))
                .unwrap_or_default()
        }))
        .unwrap_or_default();
        let mut at = 0;
        while at < bytes.len() {
            // SAFETY: writes initialised bytes to the pipe's write end.
            let n = unsafe { libc::write(fds[1], bytes[at..].as_ptr().cast(), bytes.len() - at) };
            if n <= 0 {
                break;
            }
            at += n as usize;
        }
        // SAFETY: ends the child without running the parent's destructors or atexit hooks.
        unsafe { libc::_exit(0) };
    }
    // SAFETY: the parent's end: close the write side, so that the read sees EOF when the child
    // ends; the read side is owned by the File from here on.
    let mut pipe = unsafe {
        libc::close(fds[1]);
        std::fs::File::from_raw_fd(fds[0])
    };
    let mut bytes = Vec::new();
    let read = pipe.read_to_end(&mut bytes);
    let mut st = 0;
    // SAFETY: waits for the child forked above, again if a signal interrupts the wait.
    while unsafe { libc::waitpid(pid, &mut st, 0) } < 0 {
        if std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            return None;
        }
    }
    let clean = read.is_ok() && libc::WIFEXITED(st) && libc::WEXITSTATUS(st) == 0;
    (clean && !bytes.is_empty()).then(|| Program::decode(Target::All, &bytes))
}

/// A Rust test body that replays `program` (encoded for [`Target::All`], bytes in hex) on
/// `version` with the implementation `implementation` (a Rust expression) and expects it to
/// fail.
pub fn reproducer(implementation: &str, program: &Program, version: ModuleVersion) -> String {
    let Some(bytes) = program.encode(Target::All) else {
        return format!("// {program:?} cannot be encoded as a fuzz input\n");
    };
    let hex: Vec<String> = bytes.iter().map(|b| format!("{b:#04x}")).collect();
    let mut lines = String::new();
    for chunk in hex.chunks(12) {
        lines.push_str(&format!("        {},\n", chunk.join(", ")));
    }
    format!(
        "#[test]\nfn reproducer() {{\n    // {}\n    let program = tdx_oracle::Program::decode(\n        tdx_oracle::Target::All,\n        &[\n{lines}        ],\n    );\n    let failure = tdx_oracle::Oracle::new_on({implementation}, {REPLAY_SEED}, tdx_oracle::ModuleVersion::{version:?})\n        .run_program(&program, |_, _| {{}})\n        .expect_err(\"the failure replays\");\n    println!(\"{{failure}}\");\n}}\n",
        tdx_oracle::hex_text(program)
    )
}

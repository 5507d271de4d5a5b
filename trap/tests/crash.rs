//! Faults that are not TDCALLs still crash with their own signal, and go to the handler that
//! was installed before the trap backend.

use std::os::unix::process::ExitStatusExt;
use std::process::Command;

use tdx_model::TdConfig;
use tdx_trap::Session;

const MODE: &str = "TDX_TRAP_CRASH_MODE";

extern "C" fn exit_42(_: libc::c_int) {
    // SAFETY: _exit is async-signal-safe.
    unsafe { libc::_exit(42) }
}

/// The child side: does what MODE says; only runs when spawned by `crashes`.
#[test]
fn child() {
    let Ok(mode) = std::env::var(MODE) else {
        return;
    };
    if mode == "chained" {
        // SAFETY: installs a plain handler before the trap backend's.
        unsafe { libc::signal(libc::SIGSEGV, exit_42 as *const () as libc::sighandler_t) };
    }
    let session = (mode != "tdcall_no_session").then(|| Session::new(TdConfig::default(), 1));
    tdx_trap::install();
    match mode.as_str() {
        "null" | "chained" => {
            // SAFETY: deliberately faults.
            unsafe { std::ptr::null_mut::<u64>().write_volatile(1) };
        }
        "ud2" => {
            // SAFETY: deliberately raises #UD.
            unsafe { core::arch::asm!("ud2") };
        }
        "tdcall_no_session" => {
            let _ = tdcall::tdg_vp_info();
        }
        _ => unreachable!(),
    }
    drop(session);
    // Reaching here means the fault was swallowed.
    std::process::exit(3);
}

fn run_child(mode: &str) -> std::process::ExitStatus {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child", "--test-threads=1", "--nocapture"])
        .env(MODE, mode)
        .output()
        .unwrap()
        .status
}

#[test]
fn crashes() {
    let st = run_child("null");
    assert_eq!(st.signal(), Some(libc::SIGSEGV), "null write: {st:?}");
    let st = run_child("ud2");
    assert_eq!(st.signal(), Some(libc::SIGILL), "ud2: {st:?}");
    let st = run_child("tdcall_no_session");
    assert!(
        matches!(st.signal(), Some(libc::SIGSEGV) | Some(libc::SIGILL)),
        "TDCALL outside a session: {st:?}"
    );
    let st = run_child("chained");
    assert_eq!(st.code(), Some(42), "previous handler: {st:?}");
}

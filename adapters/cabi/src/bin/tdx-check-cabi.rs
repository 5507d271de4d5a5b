//! `tdx-check-cabi [SECONDS_PER_TARGET] [SEED] [--json]`: the C/assembly implementation this
//! crate was built with (`build.rs`: this crate's own `c/`, or the files `TDX_CABI_INPUTS`
//! names, as `tdx-check c` sets it) against this workspace's wrappers, in the styles whose
//! entry points it defines. Prints which entry points were found, then the comparison
//! (`tdx_campaign::cli`); exit status 1 when a style has a failure.

use tdx_adapter_cabi::{ffi, Edk2Ffec, Edk2Style, LinuxContractMask, LinuxStyle};
use tdx_campaign::cli::{print_comparison, run_named, Args};
use tdx_oracle::call::Kind;
use tdx_oracle::{Production, Wrappers};

/// Whether `w` provides a call (choosing the VMM is not one).
fn provides_a_call<W: Wrappers>(w: &W) -> bool {
    Kind::ALL
        .iter()
        .any(|&k| k != Kind::SetVmm && w.provides(k))
}

fn main() {
    let args = Args::from_env("tdx-check-cabi [SECONDS_PER_TARGET] [SEED] [--json]");
    let defined = ffi::entry_points().defined();
    let found: Vec<&str> = defined.iter().filter(|d| d.1).map(|d| d.0).collect();
    let missing: Vec<&str> = defined.iter().filter(|d| !d.1).map(|d| d.0).collect();
    eprintln!("entry points defined: {}", found.join(", "));
    eprintln!(
        "not defined (their calls are not provided): {}",
        missing.join(", ")
    );
    let mut reports = vec![run_named(Production, &args)];
    let before = reports.len();
    if provides_a_call(&LinuxStyle) {
        reports.push(run_named(LinuxStyle, &args));
    }
    // The contract-mask variant issues its TDVMCALLs through __tdcall_saved_ret: without it,
    // it would only repeat the Linux style's column.
    if ffi::entry_points().tdcall_saved_ret.is_some() && provides_a_call(&LinuxContractMask) {
        reports.push(run_named(LinuxContractMask, &args));
    }
    if provides_a_call(&Edk2Style) {
        reports.push(run_named(Edk2Style, &args));
    }
    if provides_a_call(&Edk2Ffec) {
        reports.push(run_named(Edk2Ffec, &args));
    }
    if reports.len() == before {
        eprintln!(
            "no entry point of include/tdx_oracle_abi.h is defined: nothing to check \
             (__tdcall, __tdcall_ret, __tdcall_saved_ret, __tdx_hypercall, TdCall, TdVmCall)"
        );
        std::process::exit(2);
    }
    std::process::exit(print_comparison(&reports, &args));
}

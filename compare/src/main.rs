//! `tdx-compare [SECONDS_PER_TARGET] [SEED] [--json]`: this workspace's wrappers and the
//! implementations adapted in this repository (td-shim's crate, C/assembly in the Linux and
//! EDK2 styles) through the same generators and verdicts, one table — leaf / sub-function ×
//! implementation → calls made, verdict — and every distinct failure of each failing cell
//! (`tdx_campaign::signature`), counted, shrunk, with a test that replays it. With `--json`,
//! the same as one JSON document on stdout (`tdx_campaign::comparison_json`). Policy
//! differences are shown as such, not as failures; the findings are written up in
//! `docs/findings/`. An implementation outside this repository is checked with `tdx-check`
//! instead, in its own binary (README, "Bring your own wrappers").

use tdx_adapter_cabi::{Edk2Style, LinuxStyle};
use tdx_adapter_tdshim::TdShim;
use tdx_campaign::cli::{print_comparison, run_named, Args};
use tdx_oracle::Production;

fn main() {
    let args = Args::from_env("tdx-compare [SECONDS_PER_TARGET] [SEED] [--json]");
    let mut reports = vec![run_named(Production, &args)];
    // td-shim makes a hidden TDG.VP.INFO on first use: make it outside any checked call.
    let warm = tdx_trap::Session::new(tdx_oracle::world_config(), args.seed);
    tdx_adapter_tdshim::warm_up();
    drop(warm);
    reports.push(run_named(TdShim, &args));
    reports.push(run_named(LinuxStyle, &args));
    reports.push(run_named(Edk2Style, &args));
    // The implementations here have known findings (docs/findings/): the table is the result,
    // not the exit status.
    let _ = print_comparison(&reports, &args);
    if !args.json {
        println!("\nFindings (bugs and policy) with reproducers: docs/findings/.");
    }
}

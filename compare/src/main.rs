//! `tdx-compare [SECONDS_PER_TARGET] [SEED] [--json]`: every implementation through the same generators
//! and verdicts, one table — leaf / sub-function × implementation → calls made, verdict — and
//! every distinct failure of each failing cell (`tdx_campaign::signature`), counted, with its
//! first case. With `--json`, the same as one JSON document on stdout
//! (`tdx_campaign::comparison_json`). Policy differences (e.g. a TDVMCALL exposing a
//! fixed, zero-filled register set) are shown as such, not as failures; the findings are
//! written up in `docs/findings/`.

use std::time::Duration;

use tdx_adapter_cabi::{Edk2Style, LinuxStyle};
use tdx_adapter_tdshim::TdShim;
use tdx_campaign::{comparison, run, CampaignReport};
use tdx_oracle::{Production, Wrappers};

fn main() {
    let all: Vec<String> = std::env::args().skip(1).collect();
    let json = all.iter().any(|a| a == "--json");
    let mut args = all.into_iter().filter(|a| a != "--json");
    let secs: f64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(0.5);
    let seed: u64 = args
        .next()
        .and_then(|a| match a.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(hex, 16).ok(),
            None => a.parse().ok(),
        })
        .unwrap_or(0x5eed_c0de);
    let per_target = Duration::from_secs_f64(secs);
    let mut reports: Vec<(&str, CampaignReport)> = Vec::new();
    eprintln!("{}", Production::NAME);
    reports.push((Production::NAME, run(Production, seed, per_target)));
    eprintln!("{}", TdShim::NAME);
    // td-shim makes a hidden TDG.VP.INFO on first use: make it outside any checked call.
    let warm = tdx_trap::Session::new(tdx_oracle::world_config(), seed);
    tdx_adapter_tdshim::warm_up();
    drop(warm);
    reports.push((TdShim::NAME, run(TdShim, seed, per_target)));
    eprintln!("{}", LinuxStyle::NAME);
    reports.push((LinuxStyle::NAME, run(LinuxStyle, seed, per_target)));
    eprintln!("{}", Edk2Style::NAME);
    reports.push((Edk2Style::NAME, run(Edk2Style, seed, per_target)));
    let refs: Vec<(&str, &CampaignReport)> = reports.iter().map(|(n, r)| (*n, r)).collect();
    if json {
        print!("{}", tdx_campaign::comparison_json(&refs));
        return;
    }
    for (name, r) in &refs {
        print!("{name}: {}", tdx_campaign::versions_line(r));
    }
    print!("{}", comparison(&refs));
    println!("\nFindings (bugs and policy) with reproducers: docs/findings/.");
}

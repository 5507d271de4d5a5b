//! The differential campaign over td-shim's `tdx-tdcall` 0.2.1: every fuzz target for a fixed
//! time, then the per-leaf table and the first failures.
//!
//! `cargo run --release --manifest-path adapters/tdshim/Cargo.toml -- [seconds per target] [seed]`

use std::time::Duration;

use tdx_adapter_tdshim::{warm_up, TdShim};
use tdx_campaign as campaign;

fn main() {
    let mut args = std::env::args().skip(1);
    let secs: f64 = args
        .next()
        .map_or(1.0, |s| s.parse().expect("seconds per target"));
    let seed: u64 = args.next().map_or(0x7d5_5111, |s| s.parse().expect("seed"));
    {
        let _session = tdx_trap::Session::new(tdx_oracle::world_config(), seed);
        warm_up();
    }
    let report = campaign::run(TdShim, seed, Duration::from_secs_f64(secs));
    println!(
        "{} programs in {:.1}s, {} failed checks\n",
        report.programs,
        report.elapsed.as_secs_f64(),
        report.failed_checks()
    );
    print!("{}", campaign::table(&report));
    for (f, p) in &report.failures {
        println!("\n{f}  program: {p:?}");
    }
}

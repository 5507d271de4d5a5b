//! The main job: a differential campaign over every leaf, with a progress bar and a per-leaf
//! table, then the reach table (`tdx_oracle::reach`). Exit status 1 if any check failed or a
//! listed status was not reached.
//!
//! Usage: `tdx-campaign [--jobs N] [--target NAME]... [SECONDS_PER_TARGET] [SEED]` (defaults:
//! every core, every phase, 3 s, a fixed seed). With N threads the phases are shared among them
//! (`tdx_campaign::run_parallel`); `--target` keeps the phases of the fuzz targets it names
//! (`all`: the mixed programs).

use std::time::Duration;

use tdx_campaign::{phases, run_parallel_on, table};
use tdx_oracle::Production;

fn main() {
    let mut jobs = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut positional = Vec::new();
    let mut only = Vec::new();
    let mut all = std::env::args().skip(1);
    while let Some(a) = all.next() {
        if a == "--jobs" || a == "-j" {
            match all.next().map(|n| n.parse::<usize>()) {
                Some(Ok(n)) if n > 0 => jobs = n,
                _ => {
                    eprintln!("tdx-campaign: --jobs takes a number of threads (1 or more)");
                    std::process::exit(2);
                }
            }
        } else if a == "--target" || a == "-t" {
            let name = all.next().unwrap_or_default();
            match phases().into_iter().find(|t| t.name() == name) {
                Some(t) if only.contains(&t) => {}
                Some(t) => only.push(t),
                None => {
                    let names: Vec<&str> = phases().iter().map(|t| t.name()).collect();
                    eprintln!(
                        "tdx-campaign: --target takes a fuzz target's name or all, not {name:?}: {}",
                        names.join(", ")
                    );
                    std::process::exit(2);
                }
            }
        } else {
            positional.push(a);
        }
    }
    let mut args = positional.into_iter();
    let secs: f64 = match args.next().map(|a| a.parse()) {
        None => 3.0,
        Some(Ok(s)) => s,
        Some(Err(e)) => {
            eprintln!("tdx-campaign: SECONDS_PER_TARGET: {e}");
            std::process::exit(2);
        }
    };
    let seed: u64 = match args.next().map(|a| a.parse()) {
        None => 0x5eed_7dc0,
        Some(Ok(s)) => s,
        Some(Err(e)) => {
            eprintln!("tdx-campaign: SEED: {e}");
            std::process::exit(2);
        }
    };
    println!("Differential campaign: tdcall wrappers vs tdx-model through the trap backend");
    let what = if only.is_empty() {
        "per fuzz target and mixed programs".to_string()
    } else {
        let names: Vec<&str> = only.iter().map(|t| t.name()).collect();
        format!("for each of {}", names.join(", "))
    };
    println!("({secs} s {what}, seed {seed}, {jobs} threads)");
    let phases = if only.is_empty() { phases() } else { only };
    let per_target = Duration::from_secs_f64(secs);
    let report = run_parallel_on(Production, seed, per_target, jobs, &phases);
    println!();
    print!("{}", table(&report));
    let calls: u64 = report.leaves.values().map(|l| l.stats.calls).sum();
    let tdcalls: u64 = report.leaves.values().map(|l| l.stats.tdcalls).sum();
    println!(
        "\n{} programs, {calls} calls ({tdcalls} TDCALLs) in {:.1} s; {} failed checks",
        report.programs,
        report.elapsed.as_secs_f64(),
        report.failed_checks()
    );
    let in_calls: f64 = report.leaves.values().map(|l| l.time.as_secs_f64()).sum();
    println!(
        "{in_calls:.1} s in calls (summed over threads); calls run in a child process per \
         phase, and the process died in {} of them",
        report.crashes
    );
    for (f, program) in &report.failures {
        println!("\n{f}  program: {}", tdx_oracle::hex_text(program));
    }
    if let Some((f, program)) = &report.first_crash {
        println!(
            "\nthe first call the process died in:\n{f}  program: {}",
            tdx_oracle::hex_text(program)
        );
    }
    // What the seeds plus a fixed set of generated programs reach, against what the model says
    // each leaf and sub-function can answer.
    let gaps = match tdx_oracle::reach::collect(Production, 60) {
        Ok(reach) => {
            println!();
            print!("{}", tdx_oracle::reach::table(&reach));
            tdx_oracle::reach::gaps(&reach)
        }
        Err(f) => vec![format!("the reach run failed a check: {f}")],
    };
    for g in &gaps {
        println!("reach gap: {g}");
    }
    if report.failed_checks() > 0 || !gaps.is_empty() {
        std::process::exit(1);
    }
}

//! Time to detect: for each planted bug of `tdx_planted::PLANTED`, libFuzzer runs the bug's fuzz
//! target with the planted wrapper in place of the production one (`fuzz/planted/planted.rs`,
//! built as `cargo fuzz run` builds, AddressSanitizer), from the target's seeds (`corpora/`)
//! and from an empty corpus, with several libFuzzer seeds; it prints the median seconds and
//! executions to the first failed check, and the verdict that failed. Prints figures; asserts
//! nothing.
//!
//! `cargo bench -p tdx-proptests --bench time_to_detect [-- RUNS [CAP_SECONDS]]` (defaults 3
//! runs, 30 s each at most). Needs cargo-fuzz.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use tdx_planted::PLANTED;

/// One libFuzzer run: seconds and executions to the first failure and its verdict, or `None`
/// when it ran out of time.
struct Run {
    seconds: f64,
    found: Option<(u64, String)>,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn run_once(bin: &Path, index: usize, corpus: Option<&Path>, seed: u32, cap: u32) -> Run {
    let scratch =
        std::env::temp_dir().join(format!("tdx-ttd-{}-{index}-{seed}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(scratch.join("corpus")).expect("scratch folder");
    let mut cmd = Command::new(bin);
    cmd.env("TDX_PLANTED", index.to_string())
        .arg(format!("-seed={seed}"))
        .arg(format!("-max_total_time={cap}"))
        .arg(format!("-artifact_prefix={}/", scratch.display()))
        .arg("-print_final_stats=1")
        .arg(scratch.join("corpus"));
    if let Some(c) = corpus {
        cmd.arg(c);
    }
    let start = Instant::now();
    let out = cmd.output().expect("run the planted fuzz target");
    let seconds = start.elapsed().as_secs_f64();
    let _ = std::fs::remove_dir_all(&scratch);
    let log = String::from_utf8_lossy(&out.stderr);
    let verdict = log.lines().find_map(|l| {
        l.split_once(" check failed for ")
            .map(|(v, _)| v.trim().to_string())
    });
    let execs = log
        .lines()
        .find_map(|l| l.strip_prefix("stat::number_of_executed_units:"))
        .and_then(|n| n.trim().parse().ok());
    Run {
        seconds,
        found: match (out.status.success(), verdict, execs) {
            (false, Some(v), Some(n)) => Some((n, v)),
            (false, _, _) => panic!("the planted fuzz target failed without a verdict:\n{log}"),
            _ => None,
        },
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// `k/n found, median s, median execs` of one start; the verdicts found.
fn summary(runs: &[Run], cap: u32) -> (String, Vec<String>, f64) {
    let found: Vec<&Run> = runs.iter().filter(|r| r.found.is_some()).collect();
    let mut verdicts: Vec<String> = found
        .iter()
        .map(|r| r.found.as_ref().unwrap().1.clone())
        .collect();
    verdicts.sort();
    verdicts.dedup();
    // A run that found nothing counts as the cap: the median is then a lower bound.
    let secs = median(
        runs.iter()
            .map(|r| {
                if r.found.is_some() {
                    r.seconds
                } else {
                    f64::from(cap)
                }
            })
            .collect(),
    );
    // Likewise infinitely many executions.
    let execs = median(
        runs.iter()
            .map(|r| r.found.as_ref().map_or(f64::INFINITY, |(n, _)| *n as f64))
            .collect(),
    );
    let cell = if found.len() * 2 > runs.len() {
        format!("{}/{} {secs:>6.2} s {execs:>8.0}", found.len(), runs.len())
    } else {
        format!(
            "{}/{} {:>6} s {:>8}",
            found.len(),
            runs.len(),
            format!(">{cap}"),
            "—"
        )
    };
    (cell, verdicts, secs)
}

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let runs: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(3).max(1);
    let cap: u32 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(30)
        .max(1);
    let fuzz = root().join("fuzz");
    let status = Command::new("cargo")
        .args(["fuzz", "build", "-O", "planted"])
        .current_dir(&fuzz)
        .status()
        .expect("cargo fuzz (cargo install cargo-fuzz --locked)");
    assert!(status.success(), "cargo fuzz build -O planted failed");
    let bin = fuzz.join("target/x86_64-unknown-linux-gnu/release/planted");
    println!(
        "time to detect: libFuzzer (AddressSanitizer) on each planted bug's fuzz target, {runs} \
         libFuzzer seeds, at most {cap} s each; found/runs, median s and executions to the first \
         failure (wall time, process start included)"
    );
    println!(
        "{:<58} {:<30} {:<10} {:<28} {:<28} verdict",
        "planted bug", "fuzz target", "expected", "from the seeds", "from an empty corpus"
    );
    let mut under_5 = 0;
    for (i, (name, verdict, target)) in PLANTED.iter().enumerate() {
        let corpus = root().join("corpora").join(target.name());
        let seeded: Vec<Run> = (1..=runs)
            .map(|s| run_once(&bin, i, Some(&corpus), s, cap))
            .collect();
        let empty: Vec<Run> = (1..=runs)
            .map(|s| run_once(&bin, i, None, s, cap))
            .collect();
        let (from_seeds, mut verdicts, secs) = summary(&seeded, cap);
        let (from_empty, more, _) = summary(&empty, cap);
        verdicts.extend(more);
        verdicts.sort();
        verdicts.dedup();
        if secs < 5.0 && seeded.iter().filter(|r| r.found.is_some()).count() * 2 > seeded.len() {
            under_5 += 1;
        }
        println!(
            "{:<58} {:<30} {:<10} {from_seeds:<28} {from_empty:<28} {}",
            name.trim_start_matches("planted: "),
            target.name(),
            format!("{verdict:?}"),
            verdicts.join(", ")
        );
    }
    println!(
        "\n{under_5} of {} planted bugs found in under 5 s (median) from the seeds",
        PLANTED.len()
    );
}

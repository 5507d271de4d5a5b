//! Time to detect: for each planted bug of `tdx_planted::PLANTED`, libFuzzer runs the bug's fuzz
//! target with the planted wrapper in place of the production one (`fuzz/planted/planted.rs`,
//! built as `cargo fuzz run` builds, AddressSanitizer), from the target's seeds (`corpora/`)
//! and from an empty corpus, with several libFuzzer seeds; it prints the median seconds and
//! executions to the first detection, and how many of the runs from the seeds caught the bug
//! while replaying a seed rather than by fuzzing. Prints figures; asserts nothing.
//!
//! A detection is a failed check with the bug's verdict. A missing clobber shows where the
//! compiler kept a live value in the register: as a clobber, as the VMM's value used afterwards
//! (hygiene), or as a crash when that value was a pointer; all three count for a clobber bug.
//! A run that fails with another verdict is not a detection (its verdict is printed with `!`).
//!
//! `cargo bench -p tdx-proptests --bench time_to_detect [-- RUNS [CAP_SECONDS]]` (defaults 3
//! runs, 30 s each at most). Needs cargo-fuzz.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use tdx_oracle::Verdict;
use tdx_planted::PLANTED;

/// Executions to a failure, as far as libFuzzer said.
#[derive(Clone, Copy)]
enum Execs {
    /// Its final count.
    Exactly(u64),
    /// At least this many: its last status line before a sanitizer ended the process.
    AtLeast(u64),
    /// Nothing said: the process died replaying the seeds, before libFuzzer's INITED line.
    DiedOnTheSeeds,
}

/// How one libFuzzer run ended.
enum Ended {
    /// Out of time, no failure.
    Clean,
    /// A failure: its verdict (`crash` for a process a signal killed, `panic` for a panic
    /// that is not a failed check) and the executions so far.
    Failed { verdict: String, execs: Execs },
}

struct Run {
    seconds: f64,
    ended: Ended,
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
    // A failed check panics with its verdict; another panic (an abort, reported by libFuzzer
    // as a deadly signal too) is not a detection; a sanitizer's report is a crash.
    let verdict = log
        .lines()
        .find_map(|l| {
            l.split_once(" check failed for ")
                .map(|(v, _)| v.trim().to_string())
        })
        .or_else(|| {
            log.lines()
                .find(|l| l.contains("panicked at"))
                .map(|_| "panic".to_string())
        })
        .or_else(|| {
            log.lines()
                .find(|l| l.contains("ERROR: AddressSanitizer") || l.contains("deadly signal"))
                .map(|_| "crash".to_string())
        });
    // libFuzzer prints its final stats after a panic; a sanitizer's report ends the process
    // first: then the last status line's count is a lower bound.
    let final_count = log
        .lines()
        .find_map(|l| l.strip_prefix("stat::number_of_executed_units:"))
        .and_then(|n| n.trim().parse().ok());
    let last_status = log
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix('#')?.split_whitespace().next()?.parse().ok());
    let execs = match (final_count, last_status) {
        (Some(n), _) => Execs::Exactly(n),
        (None, Some(n)) => Execs::AtLeast(n),
        (None, None) => Execs::DiedOnTheSeeds,
    };
    let ended = match (out.status.success(), verdict) {
        (true, _) => Ended::Clean,
        (false, Some(verdict)) => Ended::Failed { verdict, execs },
        (false, None) => panic!("the planted fuzz target failed without a verdict:\n{log}"),
    };
    Run { seconds, ended }
}

/// The verdicts that detect a bug planted to fail with `expected`.
fn detects(expected: Verdict, verdict: &str) -> bool {
    verdict == format!("{expected:?}")
        || (expected == Verdict::Clobbers && (verdict == "Hygiene" || verdict == "crash"))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// One start's cell: detections/runs, median seconds and executions (a run without a
/// detection counts as the cap and as infinitely many executions, so a median over more than
/// half of them is shown as `>cap`), and the runs that caught the bug replaying a seed.
struct Cell {
    text: String,
    median_seconds: f64,
    detected: usize,
    by_seed: usize,
}

fn cell(runs: &[Run], expected: Verdict, cap: u32, seeds: usize) -> Cell {
    let detection = |r: &Run| match &r.ended {
        Ended::Failed { verdict, execs } if detects(expected, verdict) => Some(*execs),
        _ => None,
    };
    let detected = runs.iter().filter(|r| detection(r).is_some()).count();
    let seconds = median(
        runs.iter()
            .map(|r| detection(r).map_or(f64::from(cap), |_| r.seconds))
            .collect(),
    );
    // A lower bound or an unknown count marks the median's cell `≥` or `?`.
    let mut counts: Vec<(f64, &str)> = runs
        .iter()
        .map(|r| match detection(r) {
            Some(Execs::Exactly(n)) => (n as f64, ""),
            Some(Execs::AtLeast(n)) => (n as f64, "≥"),
            Some(Execs::DiedOnTheSeeds) => (0.0, "?"),
            None => (f64::INFINITY, ""),
        })
        .collect();
    counts.sort_by(|a, b| a.0.total_cmp(&b.0));
    let execs = match counts[(counts.len() - 1) / 2] {
        (_, "?") => "?".to_string(),
        (n, mark) => format!("{mark}{n:.0}"),
    };
    // libFuzzer runs the empty input first, then each seed file once.
    let by_seed = runs
        .iter()
        .filter(|r| match detection(r) {
            Some(Execs::Exactly(n)) => n as usize <= seeds + 1,
            Some(Execs::DiedOnTheSeeds) => true,
            _ => false,
        })
        .count();
    let text = if detected * 2 > runs.len() {
        format!(
            "{detected}/{} {seconds:>6.2} s {execs:>8} {by_seed}",
            runs.len()
        )
    } else {
        format!(
            "{detected}/{} {:>8} {:>8} {by_seed}",
            runs.len(),
            format!(">{cap} s"),
            "—"
        )
    };
    Cell {
        text,
        median_seconds: seconds,
        detected,
        by_seed,
    }
}

/// The verdicts the runs ended with, `!` marking one that is not a detection.
fn verdicts(runs: &[Run], expected: Verdict) -> Vec<String> {
    let mut v: Vec<String> = runs
        .iter()
        .filter_map(|r| match &r.ended {
            Ended::Failed { verdict, .. } if detects(expected, verdict) => Some(verdict.clone()),
            Ended::Failed { verdict, .. } => Some(format!("{verdict}!")),
            Ended::Clean => None,
        })
        .collect();
    v.sort();
    v.dedup();
    v
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
         libFuzzer seeds, at most {cap} s each. Per start: runs that detected the bug / runs, \
         median wall seconds (process start included) and executions to the detection, runs \
         that detected it replaying a seed."
    );
    println!(
        "{:<56} {:<36} {:<9} {:<28} {:<28} verdicts",
        "planted bug", "fuzz target", "expected", "from the seeds", "from an empty corpus"
    );
    let (mut under_5, mut replayed, mut by_fuzzing) = (0, 0, 0);
    for (i, (name, expected, target)) in PLANTED.iter().enumerate() {
        let corpus = root().join("corpora").join(target.name());
        let seeds = std::fs::read_dir(&corpus).map_or(0, |d| d.count());
        let seeded: Vec<Run> = (1..=runs)
            .map(|s| run_once(&bin, i, Some(&corpus), s, cap))
            .collect();
        let empty: Vec<Run> = (1..=runs)
            .map(|s| run_once(&bin, i, None, s, cap))
            .collect();
        let from_seeds = cell(&seeded, *expected, cap, seeds);
        let from_empty = cell(&empty, *expected, cap, 0);
        if from_seeds.detected * 2 > seeded.len() && from_seeds.median_seconds < 5.0 {
            under_5 += 1;
            if from_seeds.by_seed * 2 > seeded.len() {
                replayed += 1;
            }
        }
        if from_empty.detected * 2 > empty.len() {
            by_fuzzing += 1;
        }
        let mut seen = verdicts(&seeded, *expected);
        seen.extend(verdicts(&empty, *expected));
        seen.sort();
        seen.dedup();
        println!(
            "{:<56} {:<36} {:<9} {:<28} {:<28} {}",
            name.trim_start_matches("planted: "),
            target.name(),
            format!("{expected:?}"),
            from_seeds.text,
            from_empty.text,
            seen.join(", ")
        );
    }
    println!(
        "\nfrom the seeds: {under_5} of {} planted bugs detected in under 5 s (median), {replayed} \
         of them by replaying a seed; from an empty corpus: {by_fuzzing} detected within {cap} s \
         (median)",
        PLANTED.len()
    );
}

//! The differential campaign: every leaf, generated programs, every verdict, one table.
//!
//! A verdict is counted for a call only when its check ran on that call ([`Outcome::checks`]);
//! a check that never ran for a leaf shows as "—".
//!
//! [`Outcome::checks`]: tdx_oracle::Outcome::checks
#![cfg(all(target_arch = "x86_64", target_os = "linux"))]
#![deny(unsafe_op_in_unsafe_fn, missing_docs)]
#![warn(clippy::undocumented_unsafe_blocks)]

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use tdx_model::ModuleVersion;
use tdx_oracle::call::{Program, Target};
use tdx_oracle::wrappers::Wrappers;
use tdx_oracle::{no_guest_effect, Failure, LeafStats, Oracle, Verdict};

/// Per-leaf results of a campaign.
#[derive(Clone, Debug, Default)]
pub struct LeafReport {
    /// Calls, TDCALLs and statuses.
    pub stats: LeafStats,
    /// Checks passed per verdict.
    pub passed: BTreeMap<Verdict, u64>,
    /// Checks failed per verdict.
    pub failed: BTreeMap<Verdict, u64>,
    /// Time spent in this leaf's calls.
    pub time: Duration,
    /// Every distinct failure of this leaf, by [`signature`]. A common failure no longer hides
    /// a rarer one.
    pub signatures: BTreeMap<String, Signature>,
}

/// One distinct failure of a leaf.
#[derive(Clone, Debug)]
pub struct Signature {
    /// Programs that failed so.
    pub programs: u64,
    /// The first of them: its failure and program.
    pub failure: Failure,
    /// Its program.
    pub program: Program,
    /// It ended the process (a crash or leakage found by containment): not replayed.
    pub crashed: bool,
    /// The program shrunk to the fewest calls that still fail so, replayed from
    /// [`shrink::REPLAY_SEED`] ([`shrink::shrink`]); `None` when it did not replay that way.
    pub shrunk: Option<Program>,
}

/// What a campaign found.
#[derive(Clone, Debug, Default)]
pub struct CampaignReport {
    /// By leaf (spec name).
    pub leaves: BTreeMap<&'static str, LeafReport>,
    /// The first failures, with their programs.
    pub failures: Vec<(Failure, Program)>,
    /// Programs run.
    pub programs: u64,
    /// Programs run per module version (programs rotate over [`ModuleVersion::ALL`]).
    pub programs_per_version: BTreeMap<ModuleVersion, u64>,
    /// Wall time.
    pub elapsed: Duration,
    /// Programs the process died in (each a failure of the call it died in).
    pub crashes: u64,
    /// The first of them, with its program.
    pub first_crash: Option<(Failure, Program)>,
}

impl CampaignReport {
    /// Total failed checks.
    pub fn failed_checks(&self) -> u64 {
        self.leaves.values().flat_map(|l| l.failed.values()).sum()
    }

    /// Adds `other`'s counts to this report: calls, statuses, policies, passed and failed
    /// checks and time per leaf; signatures by name (programs summed, the first kept); the
    /// first failures up to five; programs, per version, and crashes. Elapsed time is the
    /// caller's.
    pub fn merge(&mut self, other: CampaignReport) {
        fn add<K: Ord>(into: &mut BTreeMap<K, u64>, from: BTreeMap<K, u64>) {
            for (k, v) in from {
                *into.entry(k).or_default() += v;
            }
        }
        for (leaf, l) in other.leaves {
            let mine = self.leaves.entry(leaf).or_default();
            mine.stats.calls += l.stats.calls;
            mine.stats.tdcalls += l.stats.tdcalls;
            add(&mut mine.stats.statuses, l.stats.statuses);
            add(&mut mine.stats.policy, l.stats.policy);
            add(&mut mine.passed, l.passed);
            add(&mut mine.failed, l.failed);
            mine.time += l.time;
            for (sig, s) in l.signatures {
                match mine.signatures.get_mut(&sig) {
                    Some(m) => m.programs += s.programs,
                    None => {
                        mine.signatures.insert(sig, s);
                    }
                }
            }
        }
        for f in other.failures {
            if self.failures.len() < 5 {
                self.failures.push(f);
            }
        }
        self.programs += other.programs;
        add(&mut self.programs_per_version, other.programs_per_version);
        self.crashes += other.crashes;
        if self.first_crash.is_none() {
            self.first_crash = other.first_crash;
        }
    }
}

pub mod cli;
mod contain;
pub mod shrink;

fn xorshift(s: &mut u64) -> u64 {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    *s
}

/// Runs generated programs for every fuzz target and then mixed programs, `per_target` of
/// time each, and reports per leaf. Successive programs run on successive module versions
/// ([`ModuleVersion::ALL`], each a fresh simulated TD). Each phase runs in a child process
/// (`contain`): a call the process dies in is a `Crash` verdict (or `Leakage`, for a TDVMCALL
/// that showed the VMM registers outside its contract), and the campaign goes on. Draws a
/// progress bar on stderr.
pub fn run<W: Wrappers>(wrappers: W, seed: u64, per_target: Duration) -> CampaignReport {
    run_on(wrappers, seed, per_target, &phases())
}

/// The campaign's phases: every fuzz target, then the mixed programs ([`Target::All`]).
pub fn phases() -> Vec<Target> {
    Target::FUZZ.iter().copied().chain([Target::All]).collect()
}

/// [`run`] over the phases `phases` only (e.g. one fuzz target's, to compare its rate with the
/// fuzz target's).
pub fn run_on<W: Wrappers>(
    wrappers: W,
    seed: u64,
    per_target: Duration,
    phases: &[Target],
) -> CampaignReport {
    let mut oracle = Oracle::new(wrappers, seed);
    let start = Instant::now();
    let mut report = run_phases(&mut oracle, phases, seed, per_target, true);
    shrink_all(&mut oracle, &mut report);
    report.elapsed = start.elapsed();
    report
}

/// [`run`] on `jobs` threads: the phases are dealt round-robin to the threads, each with its
/// own oracle and simulated TD (the trap state is per thread), its own child processes and the
/// seed `seed` mixed with its index (thread 0 has `seed`); the per-leaf tables are merged
/// ([`CampaignReport::merge`]) and the signatures shrunk once. Wall time: about
/// `per_target` × phases / `jobs`. `jobs` ≤ 1 is [`run`]. One line on stderr per thread that
/// ends, instead of the progress bar.
pub fn run_parallel<W: Wrappers + Clone + Send>(
    wrappers: W,
    seed: u64,
    per_target: Duration,
    jobs: usize,
) -> CampaignReport {
    run_parallel_on(wrappers, seed, per_target, jobs, &phases())
}

/// [`run_parallel`] over the phases `phases` only.
pub fn run_parallel_on<W: Wrappers + Clone + Send>(
    wrappers: W,
    seed: u64,
    per_target: Duration,
    jobs: usize,
    phases: &[Target],
) -> CampaignReport {
    // No more threads than phases; calls run in process (`TDX_CAMPAIGN_IN_PROCESS`) on one.
    let in_process = std::env::var_os("TDX_CAMPAIGN_IN_PROCESS").is_some_and(|v| v == "1");
    let jobs = if in_process {
        1
    } else {
        jobs.min(phases.len())
    };
    if jobs <= 1 {
        return run_on(wrappers, seed, per_target, phases);
    }
    let start = Instant::now();
    let parts: Vec<CampaignReport> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..jobs)
            .map(|j| {
                let w = wrappers.clone();
                let mine: Vec<Target> = phases.iter().copied().skip(j).step_by(jobs).collect();
                scope.spawn(move || {
                    let job_seed = seed ^ (j as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
                    let mut oracle = Oracle::new(w, job_seed);
                    let r = run_phases(&mut oracle, &mine, job_seed, per_target, false);
                    eprintln!(
                        "job {j}: {} phases, {} programs, {} failed checks, {:.1} s",
                        mine.len(),
                        r.programs,
                        r.failed_checks(),
                        start.elapsed().as_secs_f64()
                    );
                    r
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    let mut report = CampaignReport::default();
    for p in parts {
        report.merge(p);
    }
    let mut oracle = Oracle::new(wrappers, seed);
    shrink_all(&mut oracle, &mut report);
    report.elapsed = start.elapsed();
    report
}

/// The phases `phases` of a campaign on `oracle`, `per_target` each, generator seeded from
/// `seed`; a progress bar on stderr when `progress`.
fn run_phases<W: Wrappers>(
    oracle: &mut Oracle<W>,
    phases: &[Target],
    seed: u64,
    per_target: Duration,
    progress: bool,
) -> CampaignReport {
    let mut report = CampaignReport::default();
    let mut rng = seed | 1;
    let total = per_target * phases.len() as u32;
    let start = Instant::now();
    let tty = std::io::stderr().is_terminal();
    let mut last_draw = Instant::now() - Duration::from_secs(1);
    let shared = contain::Shared::new();
    let mut programs = 0u64;
    for (i, target) in phases.iter().enumerate() {
        let phase_start = Instant::now();
        let mut finished = |f: contain::Finished, oracle: &Oracle<W>| {
            record(oracle, f, &mut report);
            if progress && last_draw.elapsed() > Duration::from_millis(if tty { 100 } else { 5000 })
            {
                last_draw = Instant::now();
                let done = (i as f64
                    + phase_start.elapsed().as_secs_f64() / per_target.as_secs_f64())
                    / phases.len() as f64;
                draw(
                    tty,
                    done.min(1.0),
                    target.name(),
                    &report,
                    start.elapsed(),
                    total,
                );
            }
        };
        contain::run_phase(
            oracle,
            &shared,
            *target,
            &mut rng,
            &mut programs,
            phase_start + per_target,
            &mut finished,
        );
    }
    if progress {
        draw(tty, 1.0, "done", &report, start.elapsed(), total);
        if tty {
            eprintln!();
        }
    }
    report.elapsed = start.elapsed();
    report
}

/// What tells one failure from another of the same kind: the verdict, the leaf and the detail
/// with every number replaced by `#`, so that failures differing only in the values of their
/// inputs count as one. A number is a word (a run of letters, digits and `_`) that starts with
/// a digit (`0x1f`, `4096`) or is a value printed in hex without `0x`: all hex digits, and
/// either at least four with a decimal digit among them (`45a2e1`) or at least eight
/// (`ffffffffffffffff`, `bfebfbff`). Names stay (`R10`, `Size4K`, `B8`, `TDX_OPERAND_BUSY`); a
/// short all-letter value (`ff`) stays too, and splits a signature.
pub fn signature(f: &Failure) -> String {
    fn is_number(w: &str) -> bool {
        let hex = w.chars().all(|c| c.is_ascii_hexdigit());
        w.starts_with(|c: char| c.is_ascii_digit())
            || (hex && w.len() >= 8)
            || (hex && w.len() >= 4 && w.chars().any(|c| c.is_ascii_digit()))
    }
    let mut detail = String::with_capacity(f.detail.len());
    let mut word = String::new();
    for c in f.detail.chars().chain(core::iter::once('\0')) {
        if c.is_alphanumeric() || c == '_' {
            word.push(c);
            continue;
        }
        if !word.is_empty() {
            detail.push_str(if is_number(&word) { "#" } else { &word });
            word.clear();
        }
        if c != '\0' {
            detail.push(c);
        }
    }
    format!("{:?} {}: {detail}", f.verdict, f.leaf)
}

/// Most signatures a campaign shrinks, and the time each may take.
const SHRINK_MAX: usize = 64;
const SHRINK_BUDGET: Duration = Duration::from_secs(5);

/// Shrinks the first program of every signature that did not end its process
/// ([`shrink::shrink`]), most frequent first, at most [`SHRINK_MAX`].
fn shrink_all<W: Wrappers>(oracle: &mut Oracle<W>, report: &mut CampaignReport) {
    let mut todo: Vec<(u64, &'static str, String)> = report
        .leaves
        .iter()
        .flat_map(|(leaf, l)| {
            l.signatures
                .iter()
                .filter(|(_, s)| !s.crashed)
                .map(|(sig, s)| (s.programs, *leaf, sig.clone()))
        })
        .collect();
    todo.sort_by_key(|t| std::cmp::Reverse(t.0));
    for (_, leaf, sig) in todo.into_iter().take(SHRINK_MAX) {
        let s = &report.leaves[leaf].signatures[&sig];
        let (program, version) = (s.program.clone(), s.failure.module);
        let shrunk = shrink::shrink(oracle, &program, version, &sig, SHRINK_BUDGET);
        if let Some(s) = report
            .leaves
            .get_mut(leaf)
            .and_then(|l| l.signatures.get_mut(&sig))
        {
            s.shrunk = shrunk;
        }
    }
}

/// Folds one finished program into the report.
fn record<W: Wrappers>(oracle: &Oracle<W>, f: contain::Finished, report: &mut CampaignReport) {
    report.programs += 1;
    *report.programs_per_version.entry(f.version).or_default() += 1;
    for (out, time) in &f.outcomes {
        let l = report.leaves.entry(out.leaf).or_default();
        l.stats.add(out);
        l.time += *time;
        for v in out.verdicts() {
            *l.passed.entry(v).or_default() += 1;
        }
    }
    let Some(failure) = f.failure else {
        return;
    };
    let l = report.leaves.entry(failure.leaf).or_default();
    if let Some(p) = oracle.wrappers.policy(&failure) {
        // A documented difference of policy: reported as such, not as a failure.
        l.stats.calls += 1;
        *l.stats.policy.entry(p).or_default() += 1;
        return;
    }
    if f.crashed {
        report.crashes += 1;
        if report.first_crash.is_none() {
            report.first_crash = Some((failure.clone(), f.program.clone()));
        }
    }
    *l.failed.entry(failure.verdict).or_default() += 1;
    l.signatures
        .entry(signature(&failure))
        .or_insert_with(|| Signature {
            programs: 0,
            failure: failure.clone(),
            program: f.program.clone(),
            crashed: f.crashed,
            shrunk: None,
        })
        .programs += 1;
    if report.failures.len() < 5 {
        report.failures.push((failure, f.program));
    }
}

fn draw(
    tty: bool,
    done: f64,
    phase: &str,
    report: &CampaignReport,
    elapsed: Duration,
    total: Duration,
) {
    let calls: u64 = report.leaves.values().map(|l| l.stats.calls).sum();
    let width = 30;
    let filled = (done * width as f64) as usize;
    let bar: String = "#".repeat(filled) + &"-".repeat(width - filled);
    let line = format!(
        "[{bar}] {:>3}% {:<16} {calls} calls, {} failed checks, {:.0}s/{:.0}s",
        (done * 100.0) as u32,
        phase,
        report.failed_checks(),
        elapsed.as_secs_f64(),
        total.as_secs_f64()
    );
    let mut err = std::io::stderr();
    if tty {
        let _ = write!(err, "\r{line}");
    } else {
        let _ = writeln!(err, "{line}");
    }
    let _ = err.flush();
}

/// How a verdict reads in a table: "—" when its check never ran for the leaf, the number of
/// calls it passed, or the number of failures.
pub fn verdict_cell(l: &LeafReport, v: Verdict) -> String {
    let p = l.passed.get(&v).copied().unwrap_or(0);
    match l.failed.get(&v).copied().unwrap_or(0) {
        0 if p == 0 => "—".to_string(),
        0 => format!("{p} ok"),
        f => format!("{f} FAIL"),
    }
}

/// The report as a table: leaf, calls, TDCALLs, each verdict, calls/s, statuses seen; first a
/// line naming the module versions the programs ran on.
pub fn table(report: &CampaignReport) -> String {
    let mut s = versions_line(report);
    s.push_str(&format!("{:<38} {:>8} {:>8}", "leaf", "calls", "TDCALLs"));
    for v in Verdict::ALL {
        s.push_str(&format!(" {:>10}", v.name()));
    }
    s.push_str(&format!(" {:>9}  statuses seen\n", "calls/s"));
    for (name, l) in &report.leaves {
        let rate = l.stats.calls as f64 / l.time.as_secs_f64().max(1e-9);
        let mut by_count: Vec<(&String, &u64)> = l.stats.statuses.iter().collect();
        by_count.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let mut statuses: Vec<String> = by_count
            .iter()
            .take(6)
            .map(|(n, c)| format!("{} {c}", n.trim_start_matches("TDX_")))
            .collect();
        if by_count.len() > 6 {
            statuses.push(format!("+{} more", by_count.len() - 6));
        }
        s.push_str(&format!(
            "{:<38} {:>8} {:>8}",
            name, l.stats.calls, l.stats.tdcalls
        ));
        for v in Verdict::ALL {
            // Right-aligned by characters: "—" is one character but three bytes.
            let mut cell = verdict_cell(l, v);
            if v == Verdict::Semantics && cell == "—" && no_guest_effect(name).is_some() {
                cell = "n/a".to_string();
            }
            let pad = 10usize.saturating_sub(cell.chars().count());
            s.push_str(&format!(" {}{cell}", " ".repeat(pad)));
        }
        s.push_str(&format!(" {:>9.0}  {}\n", rate, statuses.join(", ")));
    }
    s
}

/// "module versions: 1.5.05 (n programs), …".
pub fn versions_line(report: &CampaignReport) -> String {
    let each: Vec<String> = report
        .programs_per_version
        .iter()
        .map(|(v, n)| format!("{v} ({n} programs)"))
        .collect();
    format!("module versions: {}\n", each.join(", "))
}

/// What a comparison cell says about one implementation's leaf.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CellState {
    /// No call made: the implementation does not provide it.
    NotProvided,
    /// Calls made, but no check could run on any of them: not a pass.
    NoneChecked,
    /// Every check passed; some calls differ by a documented policy.
    PassPolicy,
    /// Every check passed.
    Pass,
    /// A check failed (the first failed verdict, in the verdicts' order).
    Fail(Verdict),
}

/// One cell of the comparison: calls made (failed ones included) and the state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cell {
    /// Calls made.
    pub calls: u64,
    /// What the checks said.
    pub state: CellState,
}

/// The comparison cell of one implementation's leaf report.
pub fn cell(l: &LeafReport) -> Cell {
    let not_provided = l
        .stats
        .statuses
        .get(tdx_oracle::NOT_PROVIDED)
        .copied()
        .unwrap_or(0);
    let failed: u64 = l.failed.values().sum();
    let calls = l.stats.calls - not_provided + failed;
    let checked: u64 = l.passed.values().sum();
    let state = match l.failed.keys().next() {
        Some(v) => CellState::Fail(*v),
        None if calls == 0 => CellState::NotProvided,
        None if checked == 0 => CellState::NoneChecked,
        None if !l.stats.policy.is_empty() => CellState::PassPolicy,
        None => CellState::Pass,
    };
    Cell { calls, state }
}

/// The comparison of several implementations: per leaf, per implementation, the calls made and
/// the verdict; then per failing cell every distinct failure ([`signature`]), counted, with its
/// first case and, where it replays, the shrunk program as a Rust test. Calls an implementation
/// does not provide are shown as such, not as failures.
pub fn comparison(reports: &[(&str, &CampaignReport)]) -> String {
    let mut leaves: Vec<&'static str> = reports
        .iter()
        .flat_map(|(_, r)| r.leaves.keys().copied())
        .collect();
    leaves.sort_unstable();
    leaves.dedup();
    // Choosing the VMM is a step of the program, not a call to compare.
    let vmm_choice = tdx_oracle::kind_name(tdx_oracle::call::Kind::SetVmm);
    leaves.retain(|l| *l != vmm_choice);
    let mut s = String::new();
    s.push_str(&format!("{:<38}", "leaf / sub-function"));
    for (name, _) in reports {
        s.push_str(&format!(" {:>28}", name));
    }
    s.push('\n');
    for leaf in leaves {
        s.push_str(&format!("{leaf:<38}"));
        for (_, r) in reports {
            let cell = match r.leaves.get(leaf).map(cell) {
                None => "-".to_string(),
                Some(Cell {
                    state: CellState::NotProvided,
                    ..
                }) => "not provided".to_string(),
                Some(Cell { calls, state }) => match state {
                    // Calls made, but no check could run on any of them: not a pass.
                    CellState::NoneChecked => format!("{calls} calls, none checked"),
                    CellState::PassPolicy => format!("{calls} calls, pass (policy)"),
                    CellState::Pass => format!("{calls} calls, pass"),
                    CellState::Fail(v) => format!("{calls} calls, FAIL {v:?}"),
                    CellState::NotProvided => unreachable!("matched above"),
                },
            };
            s.push_str(&format!(" {cell:>28}"));
        }
        s.push('\n');
    }
    for (name, r) in reports {
        for (leaf, l) in &r.leaves {
            for (p, n) in &l.stats.policy {
                s.push_str(&format!("\n{name}, {leaf}: policy, {n} calls: {p}\n"));
            }
            if l.signatures.is_empty() {
                continue;
            }
            // Every distinct failure, most frequent first, each with its first case.
            let mut sigs: Vec<_> = l.signatures.iter().collect();
            sigs.sort_by(|a, b| b.1.programs.cmp(&a.1.programs).then(a.0.cmp(b.0)));
            s.push_str(&format!(
                "\n{name}, {leaf}: {} distinct failures\n",
                sigs.len()
            ));
            for (sig, g) in sigs {
                let (n, f, p) = (g.programs, &g.failure, &g.program);
                s.push_str(&format!(
                    "  {n} program(s): {sig}\n{f}  program: {}\n",
                    tdx_oracle::hex_text(p)
                ));
                match &g.shrunk {
                    Some(small) => s.push_str(&format!(
                        "  shrunk to {} of {} calls, a test that replays it:\n{}",
                        small.0.len(),
                        p.0.len(),
                        shrink::reproducer(
                            &format!("IMPLEMENTATION /* {name} */"),
                            small,
                            f.module
                        )
                    )),
                    None if g.crashed => s.push_str("  (ended its process: not replayed here)\n"),
                    None => s.push_str(
                        "  (not shrunk: it did not replay from a fresh oracle, cannot be encoded, \
                         or its replay ended its process or timed out)\n",
                    ),
                }
            }
        }
    }
    s
}

/// A JSON string literal of `s`.
fn json_str(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// The comparison as one JSON document for CI systems: per implementation the programs run
/// per module version; per leaf and implementation the cell ([`cell`]), the policy differences
/// with their counts and every distinct failure ([`signature`]) with its count and first case
/// (verdict, module version, call, detail, register table, program).
pub fn comparison_json(reports: &[(&str, &CampaignReport)]) -> String {
    let mut impls = Vec::new();
    for (name, r) in reports {
        let versions: Vec<String> = r
            .programs_per_version
            .iter()
            .map(|(v, n)| format!("{}:{n}", json_str(v.name())))
            .collect();
        let mut leaves = Vec::new();
        for (leaf, l) in &r.leaves {
            let c = cell(l);
            let state = match c.state {
                CellState::NotProvided => "not provided".to_string(),
                CellState::NoneChecked => "none checked".to_string(),
                CellState::PassPolicy => "pass (policy)".to_string(),
                CellState::Pass => "pass".to_string(),
                CellState::Fail(v) => format!("fail {v:?}"),
            };
            let policies: Vec<String> = l
                .stats
                .policy
                .iter()
                .map(|(p, n)| format!("{{\"policy\":{},\"calls\":{n}}}", json_str(p)))
                .collect();
            let failures: Vec<String> = l
                .signatures
                .iter()
                .map(|(sig, g)| {
                    let (n, f, p) = (g.programs, &g.failure, &g.program);
                    let shrunk = g
                        .shrunk
                        .as_ref()
                        .map_or("null".to_string(), |s| json_str(&tdx_oracle::hex_text(s)));
                    format!(
                        "{{\"signature\":{},\"programs\":{n},\"verdict\":{},\"module\":{},\"call\":{},\"detail\":{},\"table\":{},\"program\":{},\"shrunk\":{shrunk}}}",
                        json_str(sig),
                        json_str(&format!("{:?}", f.verdict)),
                        json_str(f.module.name()),
                        json_str(&f.call),
                        json_str(&f.detail),
                        json_str(&f.table),
                        json_str(&tdx_oracle::hex_text(p))
                    )
                })
                .collect();
            leaves.push(format!(
                "{{\"leaf\":{},\"calls\":{},\"state\":{},\"policies\":[{}],\"failures\":[{}]}}",
                json_str(leaf),
                c.calls,
                json_str(&state),
                policies.join(","),
                failures.join(",")
            ));
        }
        impls.push(format!(
            "{{\"implementation\":{},\"programs\":{},\"module_versions\":{{{}}},\"leaves\":[{}]}}",
            json_str(name),
            r.programs,
            versions.join(","),
            leaves.join(",")
        ));
    }
    format!("{{\"implementations\":[{}]}}\n", impls.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(detail: &str) -> Failure {
        Failure {
            verdict: Verdict::Decoding,
            leaf: "TDG.VP.INFO",
            call: String::new(),
            detail: detail.to_string(),
            table: String::new(),
            module: tdx_model::ModuleVersion::NEWEST,
            differs: Vec::new(),
        }
    }

    #[test]
    fn signatures_ignore_values_not_names() {
        let a = signature(&failure("R10 is 0x1f, want 4096 (TDX_OPERAND_INVALID)"));
        let b = signature(&failure("R10 is 0x2a_00, want 12 (TDX_OPERAND_INVALID)"));
        assert_eq!(a, b);
        assert_eq!(
            a,
            "Decoding TDG.VP.INFO: R10 is #, want # (TDX_OPERAND_INVALID)"
        );
        // Values printed in hex without `0x` are numbers too; names with digits are not.
        let h1 = signature(&failure(
            "data: Some(45a28953419614e1) != 0xe1, size B8, R10",
        ));
        let h2 = signature(&failure(
            "data: Some(ab4b5fa24c5487d4) != 0x4, size B8, R10",
        ));
        assert_eq!(h1, h2);
        assert!(h1.ends_with("data: Some(#) != #, size B8, R10"), "{h1}");
        assert_ne!(
            h1,
            signature(&failure("data: Some(dead) != 0x4, size B8, R10"))
        );
        assert_eq!(
            h1,
            signature(&failure(
                "data: Some(ffffffffffffffff) != 0x0, size B8, R10"
            ))
        );
        let c = signature(&failure("R11 is 0x1f, want 4096 (TDX_OPERAND_INVALID)"));
        assert_ne!(a, c);
        let d = signature(&failure("R10 is 0x1f, want 4096 (TDX_OPERAND_BUSY)"));
        assert_ne!(a, d);
    }

    /// A minimal JSON checker: one value, consumed whole.
    fn json_value(b: &[u8], mut i: usize) -> Option<usize> {
        let ws = |b: &[u8], mut i: usize| {
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            i
        };
        i = ws(b, i);
        match *b.get(i)? {
            b'{' | b'[' => {
                let close = if b[i] == b'{' { b'}' } else { b']' };
                let object = close == b'}';
                i = ws(b, i + 1);
                if b.get(i) == Some(&close) {
                    return Some(i + 1);
                }
                loop {
                    if object {
                        i = json_value(b, i)
                            .filter(|_| b[ws(b, i)] == b'"')
                            .map(|j| ws(b, j))?;
                        (b.get(i) == Some(&b':')).then_some(())?;
                        i += 1;
                    }
                    i = ws(b, json_value(b, i)?);
                    match *b.get(i)? {
                        b',' => i += 1,
                        c if c == close => return Some(i + 1),
                        _ => return None,
                    }
                }
            }
            b'"' => {
                i += 1;
                loop {
                    match *b.get(i)? {
                        b'"' => return Some(i + 1),
                        b'\\' => i += 2,
                        c if c < 0x20 => return None,
                        _ => i += 1,
                    }
                }
            }
            b'-' | b'0'..=b'9' => {
                while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'-') {
                    i += 1;
                }
                Some(i)
            }
            _ => None,
        }
    }

    #[test]
    fn comparison_json_is_one_json_document() {
        let mut report = CampaignReport::default();
        report
            .programs_per_version
            .insert(tdx_model::ModuleVersion::V1_5_05, 3);
        let l = report.leaves.entry("TDG.VP.INFO").or_default();
        l.stats.calls = 5;
        *l.failed.entry(Verdict::Decoding).or_default() += 1;
        let f = failure("wrapper returned \"Err\"\n\tthen\\ 0x1f");
        l.signatures.insert(
            signature(&f),
            Signature {
                programs: 2,
                failure: f,
                program: Program(Vec::new()),
                crashed: false,
                shrunk: Some(Program(Vec::new())),
            },
        );
        let json = comparison_json(&[("impl \"A\"", &report)]);
        let end = json_value(json.as_bytes(), 0).expect("valid JSON");
        assert_eq!(json[end..].trim(), "");
        assert!(json.contains("\"state\":\"fail Decoding\""), "{json}");
        assert!(json.contains("\"programs\":2"), "{json}");
        assert!(json.contains(r#"\"Err\"\n\tthen\\ 0x1f"#), "{json}");
        assert!(json.contains("\"1.5.05\":3"), "{json}");
        assert_eq!(
            json_value(b"{\"a\":[1,\"x\"],}", 0),
            None,
            "the checker can fail"
        );
    }
}

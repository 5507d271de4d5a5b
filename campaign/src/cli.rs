//! The command line shared by every binary that checks one or more implementations:
//! `tdx-compare`, the C check (`tdx-check-cabi`) and an outside crate made from
//! `templates/wrappers/`.
//!
//! Usage: `[SECONDS_PER_TARGET] [SEED] [--json]` (defaults 0.5 s and a fixed seed; the seed in
//! decimal or `0x` hex). Exit status of [`print_comparison`] (`tdx-check-cabi`, [`check`]; not
//! `tdx-compare`, whose table of known findings is its result): 0 when no implementation under
//! test has a failure, 1 when one has (policy differences it declares are not failures), 2 on
//! bad arguments or when an implementation under test had no call checked at all.

use std::time::Duration;

use tdx_oracle::{Production, Wrappers};

use crate::{comparison, comparison_json, run, versions_line, CampaignReport};

/// The parsed arguments.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Args {
    /// Time per fuzz target and for the mixed programs.
    pub per_target: Duration,
    /// The campaign's seed.
    pub seed: u64,
    /// Print the comparison as one JSON document ([`comparison_json`]) instead of tables.
    pub json: bool,
}

/// Bad command-line input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArgsError {
    /// SECONDS_PER_TARGET is not a finite, positive number.
    Seconds(String),
    /// SEED is not a decimal or `0x` hexadecimal u64.
    Seed(String),
    /// More arguments than the usage takes.
    Extra(String),
}

impl core::fmt::Display for ArgsError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Seconds(a) => write!(
                f,
                "SECONDS_PER_TARGET: not a positive number of seconds: {a:?}"
            ),
            Self::Seed(a) => write!(f, "SEED: not a decimal or 0x-hex u64: {a:?}"),
            Self::Extra(a) => write!(f, "unexpected argument {a:?}"),
        }
    }
}

/// The default seed of a comparison.
pub const DEFAULT_SEED: u64 = 0x5eed_c0de;

impl Args {
    /// Parses `[SECONDS_PER_TARGET] [SEED] [--json]` (`--json` anywhere).
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Self, ArgsError> {
        let mut json = false;
        let mut rest = Vec::new();
        for a in args {
            if a == "--json" {
                json = true;
            } else {
                rest.push(a);
            }
        }
        let mut rest = rest.into_iter();
        let per_target = match rest.next() {
            None => Duration::from_millis(500),
            Some(a) => a
                .parse::<f64>()
                .ok()
                .and_then(|s| Duration::try_from_secs_f64(s).ok())
                .filter(|d| !d.is_zero())
                .ok_or(ArgsError::Seconds(a))?,
        };
        let seed = match rest.next() {
            None => DEFAULT_SEED,
            Some(a) => match a.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16).ok(),
                None => a.parse().ok(),
            }
            .ok_or(ArgsError::Seed(a))?,
        };
        if let Some(a) = rest.next() {
            return Err(ArgsError::Extra(a));
        }
        Ok(Self {
            per_target,
            seed,
            json,
        })
    }

    /// [`Args::parse`] of the process's arguments; on an error prints it with `usage` and
    /// exits with status 2.
    pub fn from_env(usage: &str) -> Self {
        match Self::parse(std::env::args().skip(1)) {
            Ok(a) => a,
            Err(e) => {
                eprintln!("{e}\nusage: {usage}");
                std::process::exit(2);
            }
        }
    }
}

/// One implementation's campaign, with its name on stderr first (the progress bar follows).
pub fn run_named<W: Wrappers>(wrappers: W, args: &Args) -> (&'static str, CampaignReport) {
    eprintln!("{}", W::NAME);
    (W::NAME, run(wrappers, args.seed, args.per_target))
}

/// Whether a report has a failure (a failed check or a call the process died in); policy
/// differences the implementation declares are not failures.
pub fn has_failures(r: &CampaignReport) -> bool {
    r.leaves.values().any(|l| !l.signatures.is_empty()) || r.crashes > 0
}

/// Calls of a report on which at least one check ran.
fn checked_calls(r: &CampaignReport) -> u64 {
    r.leaves
        .values()
        .map(|l| l.passed.values().sum::<u64>() + l.failed.values().sum::<u64>())
        .sum()
}

/// Prints the comparison (tables, or JSON with `args.json`) and returns the exit status: 1
/// when an implementation under test (every report but the first, the reference column) has a
/// failure, 2 when one had no check run at all (nothing it provides was reached: a pass would
/// claim what was not checked).
pub fn print_comparison(reports: &[(&str, CampaignReport)], args: &Args) -> i32 {
    let refs: Vec<(&str, &CampaignReport)> = reports.iter().map(|(n, r)| (*n, r)).collect();
    if args.json {
        print!("{}", comparison_json(&refs));
    } else {
        for (name, r) in &refs {
            print!("{name}: {}", versions_line(r));
        }
        print!("{}", comparison(&refs));
    }
    let under_test = refs.iter().skip(1);
    let unchecked: Vec<&str> = under_test
        .clone()
        .filter(|(_, r)| checked_calls(r) == 0)
        .map(|(n, _)| *n)
        .collect();
    let failing: Vec<&str> = under_test
        .filter(|(_, r)| has_failures(r))
        .map(|(n, _)| *n)
        .collect();
    if !failing.is_empty() {
        eprintln!("failures in: {}", failing.join(", "));
        1
    } else if !unchecked.is_empty() {
        eprintln!(
            "no call checked for: {} (does `provides` name any call it implements?)",
            unchecked.join(", ")
        );
        2
    } else {
        0
    }
}

/// The whole command for one implementation: runs [`Production`] (the reference column) and
/// `wrappers` through the same generators and verdicts, prints the comparison and exits with
/// [`print_comparison`]'s status. An outside crate's `main` is this one call.
pub fn check<W: Wrappers>(wrappers: W) -> ! {
    let args = Args::from_env("[SECONDS_PER_TARGET] [SEED] [--json]");
    let reports = vec![run_named(Production, &args), run_named(wrappers, &args)];
    std::process::exit(print_comparison(&reports, &args))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(a: &[&str]) -> Result<Args, ArgsError> {
        Args::parse(a.iter().map(|s| s.to_string()))
    }

    #[test]
    fn arguments() {
        assert_eq!(
            parse(&[]),
            Ok(Args {
                per_target: Duration::from_millis(500),
                seed: DEFAULT_SEED,
                json: false
            })
        );
        assert_eq!(
            parse(&["0.25", "0x1f", "--json"]),
            Ok(Args {
                per_target: Duration::from_millis(250),
                seed: 31,
                json: true
            })
        );
        assert_eq!(parse(&["--json", "2", "7"]).map(|a| a.seed), Ok(7));
        assert_eq!(parse(&["x"]), Err(ArgsError::Seconds("x".into())));
        assert_eq!(parse(&["-1"]), Err(ArgsError::Seconds("-1".into())));
        assert_eq!(parse(&["0"]), Err(ArgsError::Seconds("0".into())));
        assert_eq!(parse(&["1", "0xg"]), Err(ArgsError::Seed("0xg".into())));
        assert_eq!(parse(&["1", "2", "3"]), Err(ArgsError::Extra("3".into())));
    }
}

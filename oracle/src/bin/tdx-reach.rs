//! What a fuzz corpus reaches: each input of a target's corpus (a folder or files, e.g. the
//! fuzzer's own corpus after a campaign) runs through the production wrappers on every modelled
//! module version, and per leaf or sub-function the statuses and range-helper branches reached
//! are printed against what the model says it can answer (`tdx_model::reach`): `ok`,
//! `MISSING`, or `—` with the reason the model gives for not reaching it. A leaf the corpus
//! never called is not listed.
//!
//! Usage: `tdx-reach TARGET PATH...`. Exit status 0; 1 when an input fails a check (printed);
//! 2 on bad arguments or an unreadable path.

use std::path::{Path, PathBuf};

use tdx_model::reach::{NOT_REACHED, STATUSES};
use tdx_model::ModuleVersion;
use tdx_oracle::call::{Program, Target};
use tdx_oracle::reach::{branch_label, is, reached, record, Reach, HELPER_BRANCHES};
use tdx_oracle::{Oracle, Production};

fn usage(why: &str) -> ! {
    eprintln!("tdx-reach: {why}\nusage: tdx-reach TARGET PATH...  (TARGET: a fuzz target's name)");
    std::process::exit(2);
}

/// The files of `paths` (a folder's files, not recursively), sorted.
fn inputs(paths: &[String]) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for p in paths {
        let p = Path::new(p);
        if p.is_dir() {
            let entries =
                std::fs::read_dir(p).unwrap_or_else(|e| usage(&format!("{}: {e}", p.display())));
            let mut v: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.is_file())
                .collect();
            v.sort();
            files.extend(v);
        } else if p.is_file() {
            files.push(p.to_path_buf());
        } else {
            usage(&format!("{}: not a file or folder", p.display()));
        }
    }
    files
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((name, paths)) = args.split_first() else {
        usage("no TARGET");
    };
    let Some(target) = Target::FUZZ.into_iter().find(|t| t.name() == name) else {
        usage(&format!("{name:?} is not a fuzz target"));
    };
    if paths.is_empty() {
        usage("no corpus PATH");
    }
    let files = inputs(paths);
    let mut oracle = Oracle::new(Production, 0x7d_c411);
    let mut reach = Reach::new();
    let mut calls = 0u64;
    for f in &files {
        let bytes = std::fs::read(f).unwrap_or_else(|e| usage(&format!("{}: {e}", f.display())));
        let program = Program::decode(target, &bytes);
        let run = oracle.run_program_on_every_version(&program, |_, out| {
            calls += 1;
            record(&mut reach, out);
        });
        if let Err(failure) = run {
            println!("{}: {failure}", f.display());
            std::process::exit(1);
        }
    }
    println!(
        "{}: {} inputs, {calls} calls on {} module versions",
        target.name(),
        files.len(),
        ModuleVersion::ALL.len()
    );
    for (leaf, labels) in &reach {
        println!("{leaf}");
        let listed = STATUSES.iter().find(|(l, _)| l == leaf).map(|(_, s)| *s);
        for status in listed.unwrap_or(&[]) {
            let why = NOT_REACHED
                .iter()
                .find(|(l, s, _)| l == leaf && s == status)
                .map(|(_, _, why)| *why);
            match (reached(&reach, leaf, status), why) {
                (true, None) => println!("  ok       {status}"),
                (true, Some(_)) => {
                    println!("  ok       {status} (though the model lists it as not reachable)")
                }
                (false, None) => println!("  MISSING  {status}"),
                (false, Some(why)) => println!("  —        {status} ({why})"),
            }
        }
        for (_, b) in HELPER_BRANCHES.iter().filter(|(h, _)| h == leaf) {
            let got = labels.contains(&branch_label(b));
            println!("  {}  branch: {b}", if got { "ok     " } else { "MISSING" });
        }
        // What the model does not list as a status of this leaf: refusals, calls not made.
        for l in labels.iter().filter(|l| {
            !l.starts_with("branch: ") && !listed.is_some_and(|s| s.iter().any(|s| is(l, s)))
        }) {
            println!("  also     {l}");
        }
    }
}

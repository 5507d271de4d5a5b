//! The C implementations through the oracle: deterministic pseudo-random programs per target,
//! every failure collected per leaf; passes when each one is a known finding (verdict + leaf +
//! a check of its detail + the write-up), fails on anything else.
//!
//! `cargo test --manifest-path adapters/cabi/Cargo.toml --test oracle`; the per-leaf table of a
//! longer campaign: `... --test oracle -- --ignored --nocapture campaign_table`.

use std::collections::BTreeMap;
use std::time::Duration;

use tdx_adapter_cabi::{Edk2Ffec, Edk2Style, LinuxContractMask, LinuxStyle};
use tdx_trap::call::{Program, Target};
use tdx_trap::oracle::Verdict;
use tdx_trap::{campaign, Failure, Oracle, Wrappers};

/// Programs per target.
const PROGRAMS: usize = 300;
const SEED: u64 = 0x7dc0_11ab_1e5e_ed01;

/// A failure the adapters are known to produce, and why.
struct Known {
    /// `Wrappers::NAME` of the implementation.
    implementation: &'static str,
    verdict: Verdict,
    /// `Failure::leaf`.
    leaf: &'static str,
    /// Write-up.
    link: &'static str,
    /// What the failure must look like to be this finding.
    matches: fn(&Failure) -> bool,
}

const POLICY: &str = "docs/findings/cabi-policy.md";
const FFEC: &str = "docs/findings/edk2-tdvmcall-rbp.md";

/// The registers of a TDVMCALL register table marked exposed beyond the contract, with their
/// value at the TDCALL.
fn extra_exposed(f: &Failure) -> Vec<(String, u64)> {
    f.table
        .lines()
        .filter(|l| l.ends_with("EXPOSED, not in the contract"))
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            let reg = w.next()?.to_string();
            let v = u64::from_str_radix(w.next()?.trim_start_matches("0x"), 16).ok()?;
            Some((reg, v))
        })
        .collect()
}

/// Mask 0xFFCC: the leakage verdict fails on the mask alone; every register exposed beyond the
/// contract holds zero (Linux's designated initializer, EDK2's XORs), so no guest value leaks.
fn wide_mask_zero_filled(f: &Failure) -> bool {
    let extra = extra_exposed(f);
    f.detail.starts_with("RCX 0xffcc exposes")
        && !extra.is_empty()
        && extra.iter().all(|(_, v)| *v == 0)
}

/// The value of `reg` at the TDCALL in a register table.
fn at_tdcall(f: &Failure, reg: &str) -> Option<u64> {
    f.table.lines().find_map(|l| {
        let mut w = l.split_whitespace();
        if !w.next()?.eq_ignore_ascii_case(reg) {
            return None;
        }
        u64::from_str_radix(w.next()?.trim_start_matches("0x"), 16).ok()
    })
}

/// The same mask, seen by `convert_range`'s per-record check (an encoding verdict there): the
/// record is a well-formed MapGPA but for RCX, and the extra registers hold zero.
fn convert_wide_mask(f: &Failure) -> bool {
    f.detail.starts_with("a MapGPA outside")
        && f.table.contains("contract: MapGPA (RCX 0x3c00)")
        && at_tdcall(f, "RCX") == Some(0xffcc)
        && at_tdcall(f, "R11") == Some(0x10001)
        && extra_exposed(f).iter().all(|(_, v)| *v == 0)
}

/// Mask 0xFFEC: RBP selected (and zero).
fn rbp_selected(f: &Failure) -> bool {
    let extra = extra_exposed(f);
    f.detail.starts_with("RCX 0xffec exposes")
        && extra.iter().any(|(r, _)| r.eq_ignore_ascii_case("rbp"))
        && extra.iter().all(|(_, v)| *v == 0)
}

const KNOWN: &[Known] = &[
    // Linux: __tdx_hypercall() exposes 0xFFCC whatever the sub-function.
    Known {
        implementation: LinuxStyle::NAME,
        verdict: Verdict::Leakage,
        leaf: "Instruction.CPUID",
        link: POLICY,
        matches: wide_mask_zero_filled,
    },
    Known {
        implementation: LinuxStyle::NAME,
        verdict: Verdict::Leakage,
        leaf: "Instruction.RDMSR",
        link: POLICY,
        matches: wide_mask_zero_filled,
    },
    Known {
        implementation: LinuxStyle::NAME,
        verdict: Verdict::Leakage,
        leaf: "Instruction.WRMSR",
        link: POLICY,
        matches: wide_mask_zero_filled,
    },
    Known {
        implementation: LinuxStyle::NAME,
        verdict: Verdict::Leakage,
        leaf: "Instruction.HLT",
        link: POLICY,
        matches: wide_mask_zero_filled,
    },
    Known {
        implementation: LinuxStyle::NAME,
        verdict: Verdict::Leakage,
        leaf: "MapGPA",
        link: POLICY,
        matches: wide_mask_zero_filled,
    },
    Known {
        implementation: LinuxStyle::NAME,
        verdict: Verdict::Encoding,
        leaf: "convert_range (TDG.VP.VMCALL<MapGPA>)",
        link: POLICY,
        matches: convert_wide_mask,
    },
    // EDK2 (current TdVmCall): the same 0xFFCC mask.
    Known {
        implementation: Edk2Style::NAME,
        verdict: Verdict::Leakage,
        leaf: "Instruction.RDMSR",
        link: POLICY,
        matches: wide_mask_zero_filled,
    },
    Known {
        implementation: Edk2Style::NAME,
        verdict: Verdict::Leakage,
        leaf: "Instruction.WRMSR",
        link: POLICY,
        matches: wide_mask_zero_filled,
    },
    Known {
        implementation: Edk2Style::NAME,
        verdict: Verdict::Leakage,
        leaf: "Instruction.HLT",
        link: POLICY,
        matches: wide_mask_zero_filled,
    },
    Known {
        implementation: Edk2Style::NAME,
        verdict: Verdict::Leakage,
        leaf: "Instruction.IO",
        link: POLICY,
        matches: wide_mask_zero_filled,
    },
    Known {
        implementation: Edk2Style::NAME,
        verdict: Verdict::Leakage,
        leaf: "MapGPA",
        link: POLICY,
        matches: wide_mask_zero_filled,
    },
    Known {
        implementation: Edk2Style::NAME,
        verdict: Verdict::Encoding,
        leaf: "convert_range (TDG.VP.VMCALL<MapGPA>)",
        link: POLICY,
        matches: convert_wide_mask,
    },
    // EDK2 2021-2024: RBP selected.
    Known {
        implementation: Edk2Ffec::NAME,
        verdict: Verdict::Leakage,
        leaf: "Instruction.HLT",
        link: FFEC,
        matches: rbp_selected,
    },
    Known {
        implementation: Edk2Ffec::NAME,
        verdict: Verdict::Leakage,
        leaf: "Instruction.RDMSR",
        link: FFEC,
        matches: rbp_selected,
    },
];

fn xorshift(s: &mut u64) -> u64 {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    *s
}

/// One run's failures, by (verdict, leaf): count, first failure and its program.
type Found = BTreeMap<(Verdict, &'static str), (usize, Failure, Program)>;

fn run<W: Wrappers>(w: W, targets: &[Target]) -> (Found, usize) {
    let mut oracle = Oracle::new(w, SEED);
    let mut found = Found::new();
    let mut rng = SEED;
    let mut programs = 0;
    for t in targets {
        for _ in 0..PROGRAMS {
            let len = 16 + (xorshift(&mut rng) % 240) as usize;
            let bytes: Vec<u8> = (0..len).map(|_| xorshift(&mut rng) as u8).collect();
            let p = Program::decode(*t, &bytes);
            programs += 1;
            if let Err(f) = oracle.run_program(&p, |_, _| {}) {
                found
                    .entry((f.verdict, f.leaf))
                    .and_modify(|e| e.0 += 1)
                    .or_insert((1, f, p));
            }
        }
    }
    (found, programs)
}

const LINUX_TARGETS: &[Target] = &[
    Target::LeafVpInfo,
    Target::LeafAccept,
    Target::LeafVmRd,
    Target::VmcallCpuid,
    Target::VmcallRdmsr,
    Target::VmcallWrmsr,
    Target::VmcallHlt,
    Target::VmcallMapGpa,
    Target::VmcallHostile,
];

const EDK2_TARGETS: &[Target] = &[
    Target::LeafVpInfo,
    Target::LeafAccept,
    Target::VmcallRdmsr,
    Target::VmcallWrmsr,
    Target::VmcallHlt,
    Target::VmcallIo,
    Target::VmcallMapGpa,
    Target::VmcallHostile,
];

/// Every failure must be a known finding; every known finding of this implementation must
/// show up (so the list cannot go stale).
fn judge(name: &str, found: &Found, programs: usize) {
    let mut unexpected = Vec::new();
    let mut seen = vec![false; KNOWN.len()];
    eprintln!("{name}: {programs} programs");
    for ((verdict, leaf), (count, f, p)) in found {
        let k = KNOWN.iter().position(|k| {
            k.implementation == name && k.verdict == *verdict && k.leaf == *leaf && (k.matches)(f)
        });
        match k {
            Some(i) => {
                seen[i] = true;
                eprintln!(
                    "  known    {verdict:?} {leaf}: {count} programs -> {}",
                    KNOWN[i].link
                );
            }
            None => {
                eprintln!("  UNKNOWN  {verdict:?} {leaf}: {count} programs");
                unexpected.push(format!("{f}  program: {p:?}\n"));
            }
        }
    }
    let stale: Vec<String> = KNOWN
        .iter()
        .zip(&seen)
        .filter(|(k, s)| k.implementation == name && !**s)
        .map(|(k, _)| format!("{:?} {} ({})", k.verdict, k.leaf, k.link))
        .collect();
    assert!(
        unexpected.is_empty(),
        "{name}: unexpected failures:\n{}",
        unexpected.join("\n")
    );
    assert!(
        stale.is_empty(),
        "{name}: known findings that did not reproduce: {stale:?}"
    );
}

#[test]
fn linux_style() {
    let (found, n) = run(LinuxStyle, LINUX_TARGETS);
    judge(LinuxStyle::NAME, &found, n);
}

#[test]
fn linux_style_contract_masks() {
    let (found, n) = run(LinuxContractMask, LINUX_TARGETS);
    judge(LinuxContractMask::NAME, &found, n);
}

#[test]
fn edk2_style() {
    let (found, n) = run(Edk2Style, EDK2_TARGETS);
    judge(Edk2Style::NAME, &found, n);
}

#[test]
fn edk2_ffec() {
    let (found, n) = run(Edk2Ffec, &[Target::VmcallHlt, Target::VmcallRdmsr]);
    judge(Edk2Ffec::NAME, &found, n);
}

/// The campaign of `tdx-trap` (every fuzz target, then mixed programs), per implementation,
/// with its per-leaf table. `TDX_CABI_SECONDS` sets the time per target (default 1).
#[test]
#[ignore = "about 37 s per implementation; prints the per-leaf tables"]
fn campaign_table() {
    let secs: f64 = std::env::var("TDX_CABI_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    let per = Duration::from_secs_f64(secs);
    let reports = [
        (LinuxStyle::NAME, campaign::run(LinuxStyle, SEED, per)),
        (
            LinuxContractMask::NAME,
            campaign::run(LinuxContractMask, SEED, per),
        ),
        (Edk2Style::NAME, campaign::run(Edk2Style, SEED, per)),
        (Edk2Ffec::NAME, campaign::run(Edk2Ffec, SEED, per)),
    ];
    for (name, r) in &reports {
        println!("== {name}: {} programs in {:.1?}", r.programs, r.elapsed);
        println!("{}", campaign::table(r));
    }
    let refs: Vec<(&str, &campaign::CampaignReport)> =
        reports.iter().map(|(n, r)| (*n, r)).collect();
    println!("{}", campaign::comparison(&refs));
}

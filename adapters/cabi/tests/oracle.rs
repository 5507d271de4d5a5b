//! The C implementations through the oracle: deterministic pseudo-random programs per target,
//! every failure collected per leaf; passes when each one is a known finding (verdict + leaf +
//! a check of its detail + the write-up), fails on anything else.
//!
//! `cargo test --manifest-path adapters/cabi/Cargo.toml --test oracle`; the per-leaf table of a
//! longer campaign: `... --test oracle -- --ignored --nocapture campaign_table`.

use std::collections::BTreeMap;
use std::time::Duration;

use tdx_adapter_cabi::{Edk2Ffec, Edk2Style, LinuxContractMask, LinuxStyle};
use tdx_campaign as campaign;
use tdx_oracle::call::{Program, Target};
use tdx_oracle::Verdict;
use tdx_oracle::{Failure, Oracle, Wrappers};

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
    /// Whether the deterministic run must reproduce it (false: rare, seen in campaigns; its
    /// reproducer is in `tests/findings.rs`).
    must_reproduce: bool,
}

const POLICY: &str = "docs/findings/cabi-policy.md";
const FFEC: &str = "docs/findings/edk2-tdvmcall-rbp.md";
const CPUID_STACK: &str = "docs/findings/edk2-tdvmcallcpuid-stack.md";

/// TdVmCallCpuid died after the VMM (or the module) answered with an error: its error paths
/// leave the saved Results pointer on the stack and return to a wrong address. The oracle made
/// the call in a child process (`Wrappers::may_end_process`), so the run went on.
fn cpuid_error_path(f: &Failure) -> bool {
    f.detail.contains("the process died in the call (signal")
        && (f
            .detail
            .contains("answered its TDVMCALL with an error (R10 = ")
            || f.detail.contains("the TDX module refused its TDVMCALL"))
}

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

/// MapGPA RETRY with a resume address inside the range but not page aligned: both originals
/// accept it (range check only); the model calls it untrusted.
fn unaligned_resume(f: &Failure) -> bool {
    f.detail.contains("wrapper returned Ok(Retry { resume:")
        && f.detail
            .contains("Err(Untrusted { what: \"MapGPA resume address\"")
}

/// EDK2's HLT: a halt with interrupts blocked, made with R12 = 0, and the adapter's policy says
/// so.
fn halt_r12_zero(f: &Failure) -> bool {
    f.call.contains("blocked: true") && Edk2Style.policy(f).is_some()
}

/// Mask 0xFFEC: RBP selected (and zero).
fn rbp_selected(f: &Failure) -> bool {
    let extra = extra_exposed(f);
    f.detail.starts_with("RCX 0xffec exposes")
        && extra.iter().any(|(r, _)| r.eq_ignore_ascii_case("rbp"))
        && extra.iter().all(|(_, v)| *v == 0)
}

const KNOWN: &[Known] = &[
    // Linux's __tdx_hypercall() and EDK2's current TdVmCall expose 0xFFCC whatever the
    // sub-function, zero-filled: reported as policy (`Wrappers::EXACT_MASK = false`), see
    // `wide_mask_is_policy`.
    // EDK2 2021-2024: RBP selected.
    Known {
        implementation: Edk2Ffec::NAME,
        verdict: Verdict::Leakage,
        leaf: "Instruction.HLT",
        link: FFEC,
        matches: rbp_selected,
        must_reproduce: true,
    },
    Known {
        implementation: Edk2Ffec::NAME,
        verdict: Verdict::Leakage,
        leaf: "Instruction.RDMSR",
        link: FFEC,
        matches: rbp_selected,
        must_reproduce: true,
    },
    // EDK2 halts with R12 = 0 whatever the caller's interrupt state (cabi-policy.md §4).
    Known {
        implementation: Edk2Style::NAME,
        verdict: Verdict::Encoding,
        leaf: "Instruction.HLT",
        link: POLICY,
        matches: halt_r12_zero,
        must_reproduce: true,
    },
    // OVMF's TdVmCallCpuid returns to a wrong address on its error paths.
    Known {
        implementation: Edk2Style::NAME,
        verdict: Verdict::Crash,
        leaf: "Instruction.CPUID",
        link: CPUID_STACK,
        matches: cpuid_error_path,
        must_reproduce: true,
    },
    // Both originals range-check the MapGPA resume address but not its alignment.
    Known {
        implementation: LinuxContractMask::NAME,
        verdict: Verdict::Decoding,
        leaf: "MapGPA",
        link: POLICY,
        matches: unaligned_resume,
        must_reproduce: false,
    },
    Known {
        implementation: LinuxStyle::NAME,
        verdict: Verdict::Decoding,
        leaf: "MapGPA",
        link: POLICY,
        matches: unaligned_resume,
        must_reproduce: false,
    },
    Known {
        implementation: Edk2Style::NAME,
        verdict: Verdict::Decoding,
        leaf: "MapGPA",
        link: POLICY,
        matches: unaligned_resume,
        must_reproduce: false,
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
    Target::VmcallCpuid,
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
        .filter(|(k, s)| k.implementation == name && k.must_reproduce && !**s)
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

/// The 0xFFCC mask of Linux and EDK2 is reported as policy, with every other verdict checked.
#[test]
fn wide_mask_is_policy() {
    for (name, report) in [
        (
            LinuxStyle::NAME,
            campaign::run(LinuxStyle, SEED, Duration::from_millis(200)),
        ),
        (
            Edk2Style::NAME,
            campaign::run(Edk2Style, SEED, Duration::from_millis(200)),
        ),
    ] {
        let hlt = &report.leaves["Instruction.HLT"];
        let policy = hlt
            .stats
            .policy
            .get(tdx_oracle::WIDER_MASK)
            .copied()
            .unwrap_or(0);
        assert!(
            policy > 0,
            "{name}: the wider mask is not reported as policy"
        );
        assert!(hlt.failed.is_empty(), "{name}: HLT failed {:?}", hlt.failed);
    }
}

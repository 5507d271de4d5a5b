//! The committed corpora under `corpora/` (see `corpora/README.md`).
//!
//! * the seed files are exactly the encodings of `tdx_oracle::seeds::seeds` (with
//!   `REGENERATE_CORPORA=1`, they are rewritten from it first);
//! * every file of every target's directory, seeds and fuzzer-found inputs alike, replays
//!   through the oracle without a failure;
//! * each target's seeds reach the statuses they are meant to reach.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use tdx_oracle::call::{Call, Program, Target, MAX_CALLS};
use tdx_oracle::reach::{self, Reach};
use tdx_oracle::seeds::seeds;
use tdx_oracle::{Oracle, Outcome, Production};

fn corpora_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpora")
}

fn target_dir(target: Target) -> PathBuf {
    corpora_dir().join(target.name())
}

fn is_seed_file(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "bin")
}

fn files(target: Target) -> Vec<PathBuf> {
    let dir = target_dir(target);
    let mut v: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    v.sort();
    v
}

/// Rewrites (with `REGENERATE_CORPORA=1`) or checks the seed files, once per test process.
/// Returns the problems found (empty when the corpora match the seeds).
fn seed_files_checked() -> &'static [String] {
    static CHECKED: OnceLock<Vec<String>> = OnceLock::new();
    CHECKED.get_or_init(|| {
        let regenerate = std::env::var_os("REGENERATE_CORPORA").is_some_and(|v| v == "1");
        let mut problems = Vec::new();
        for target in Target::FUZZ {
            let dir = target_dir(target);
            let seeds = seeds(target);
            let names: BTreeSet<&str> = seeds.iter().map(|(n, _)| *n).collect();
            assert_eq!(names.len(), seeds.len(), "{}: duplicate seed names", target.name());
            if regenerate {
                fs::create_dir_all(&dir).expect("create corpus directory");
                for f in files(target).into_iter().filter(|p| is_seed_file(p)) {
                    fs::remove_file(&f).expect("remove old seed file");
                }
            }
            for (name, program) in &seeds {
                assert!(
                    !program.0.is_empty() && program.0.len() <= MAX_CALLS,
                    "{}/{name}: a seed has 1 to {MAX_CALLS} calls",
                    target.name()
                );
                let bytes = program.encode(target).unwrap_or_else(|| {
                    panic!("{}/{name}: a call is not of the target's kinds", target.name())
                });
                assert_eq!(
                    &Program::decode(target, &bytes),
                    program,
                    "{}/{name}: the encoding does not decode to the seed",
                    target.name()
                );
                let path = dir.join(format!("{name}.bin"));
                if regenerate {
                    fs::write(&path, &bytes).expect("write seed file");
                    continue;
                }
                match fs::read(&path) {
                    Ok(committed) if committed == bytes => {}
                    Ok(_) => problems.push(format!("{} differs from its seed", path.display())),
                    Err(e) => problems.push(format!("{}: {e}", path.display())),
                }
            }
            if dir.is_dir() {
                for f in files(target).into_iter().filter(|p| is_seed_file(p)) {
                    let stem = f.file_stem().and_then(|s| s.to_str()).unwrap_or("");
                    if !names.contains(stem) {
                        problems.push(format!(
                            "{} is not a seed of seeds::seeds (fuzzer-found inputs must not end in .bin)",
                            f.display()
                        ));
                    }
                }
            }
        }
        problems
    })
}

#[test]
fn seed_files_match_seeds() {
    let problems = seed_files_checked();
    assert!(
        problems.is_empty(),
        "the corpora and oracle/src/seeds.rs have drifted apart (run \
         `REGENERATE_CORPORA=1 cargo test -p tdx-oracle --test corpora`):\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn every_corpus_file_replays() {
    // After a regeneration, replay the new files.
    let _ = seed_files_checked();
    let mut count = 0;
    for target in Target::FUZZ {
        let files = files(target);
        assert!(!files.is_empty(), "no corpus for {}", target.name());
        for f in files {
            let bytes = fs::read(&f).expect("read corpus file");
            let program = Program::decode(target, &bytes);
            if let Err(failure) = tdx_oracle::fuzzing::run_program(&program) {
                panic!("{}:\n{failure}\n  program: {program:?}", f.display());
            }
            count += 1;
        }
    }
    eprintln!("replayed {count} corpus files");
}

/// `leaf: status`, the status by the model's name and its details (operand or level).
fn label(out: &Outcome) -> String {
    let status = match out.status {
        None => "rejected by the typed constructor".to_string(),
        Some(raw) => tdx_oracle::reach::status_label(raw),
    };
    format!("{}: {status}", out.leaf)
}

/// What the seeds of `target` reach, as [`label`]s; for `status_decode` the status names only
/// (its calls are all one "leaf", and the details are arbitrary).
fn reached(target: Target) -> BTreeSet<String> {
    let mut o = Oracle::new(Production, 0x5eed);
    let mut got = BTreeSet::new();
    for (name, program) in seeds(target) {
        o.run_program(&program, |_: &Call, out: &Outcome| {
            got.insert(if target == Target::StatusDecode {
                let n = out
                    .status
                    .map(|s| tdx_model::status::name(s).unwrap_or("unknown"));
                n.unwrap_or("no TDCALL").to_string()
            } else {
                label(out)
            });
            for b in tdx_oracle::reach::branches_of(out) {
                got.insert(format!("{}: branch: {b}", out.leaf));
            }
        })
        .unwrap_or_else(|f| panic!("{}/{name}:\n{f}", target.name()));
    }
    got
}

fn assert_reaches(target: Target, want: &[&str]) {
    let got = reached(target);
    let want: BTreeSet<String> = want.iter().map(|s| s.to_string()).collect();
    let missing: Vec<_> = want.difference(&got).collect();
    let extra: Vec<_> = got.difference(&want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{}: the seeds do not reach {missing:#?}\nand reach, unlisted, {extra:#?}",
        target.name()
    );
}

const REJECTED: &str = "rejected by the typed constructor";

#[test]
fn leaf_accept_seeds_reach() {
    assert_reaches(
        Target::LeafAccept,
        &[
            "TDG.MEM.PAGE.ACCEPT: TDX_SUCCESS",
            "TDG.MEM.PAGE.ACCEPT: TDX_PAGE_ALREADY_ACCEPTED",
            "TDG.MEM.PAGE.ACCEPT: TDX_PAGE_ALREADY_ACCEPTED+1",
            "TDG.MEM.PAGE.ACCEPT: TDX_PAGE_SIZE_MISMATCH+1",
            "TDG.MEM.PAGE.ACCEPT: TDX_OPERAND_BUSY(RCX)",
            "TDG.MEM.PAGE.ACCEPT: TDX_OPERAND_INVALID(RCX)",
            &format!("TDG.MEM.PAGE.ACCEPT: {REJECTED}"),
            "accept_range (TDG.MEM.PAGE.ACCEPT): TDX_SUCCESS",
            "accept_range (TDG.MEM.PAGE.ACCEPT): TDX_PAGE_ALREADY_ACCEPTED+1",
            "accept_range (TDG.MEM.PAGE.ACCEPT): TDX_OPERAND_BUSY(RCX)",
            "accept_range (TDG.MEM.PAGE.ACCEPT): branch: fallback on PAGE_SIZE_MISMATCH",
            "accept_range (TDG.MEM.PAGE.ACCEPT): branch: fallback from 1 GiB on OPERAND_INVALID(RCX)",
            "accept_range (TDG.MEM.PAGE.ACCEPT): branch: skip on PAGE_ALREADY_ACCEPTED",
            "accept_range (TDG.MEM.PAGE.ACCEPT): branch: OPERAND_BUSY retried within the bound",
            "accept_range (TDG.MEM.PAGE.ACCEPT): branch: OPERAND_BUSY beyond the bound",
        ],
    );
}

/// The TDCALLs of one seed's calls.
fn tdcalls(target: Target, seed: &str) -> Vec<usize> {
    let (_, program) = seeds(target)
        .into_iter()
        .find(|(n, _)| *n == seed)
        .unwrap_or_else(|| panic!("no seed {seed}"));
    let mut o = Oracle::new(Production, 0x5eed);
    let mut v = Vec::new();
    o.run_program(&program, |_: &Call, out: &Outcome| v.push(out.tdcalls))
        .unwrap_or_else(|f| panic!("{seed}:\n{f}"));
    v
}

#[test]
fn re_executed_tdcalls() {
    // A TD exit (the honest VMM maps the page or demotes the 2 MiB leaf) or an interruption,
    // then the re-executed TDCALL completes.
    assert_eq!(tdcalls(Target::LeafAccept, "unmapped_4k_td_exit"), [2]);
    assert_eq!(
        tdcalls(Target::LeafAccept, "4k_in_pending_2m_td_exit"),
        [2, 1]
    );
    assert_eq!(tdcalls(Target::LeafAccept, "pending_2m_interrupted"), [2]);
    assert_eq!(
        tdcalls(Target::LeafReport, "interrupted_then_cached"),
        [2, 1]
    );
    assert_eq!(
        tdcalls(Target::LeafRtmrExtend, "report_interrupted_after_extend"),
        [1, 1, 2]
    );
}

#[test]
fn leaf_vp_info_seeds_reach() {
    assert_reaches(Target::LeafVpInfo, &["TDG.VP.INFO: TDX_SUCCESS"]);
}

#[test]
fn leaf_vm_rd_seeds_reach() {
    assert_reaches(
        Target::LeafVmRd,
        &[
            "TDG.VM.RD: TDX_SUCCESS",
            "TDG.VM.RD: TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT",
            "TDG.VM.RD: TDX_METADATA_FIELD_ID_INCORRECT",
            "TDG.VM.RD: TDX_METADATA_FIELD_NOT_READABLE",
            &format!("TDG.VM.RD: {REJECTED}"),
        ],
    );
}

#[test]
fn leaf_vm_wr_seeds_reach() {
    assert_reaches(
        Target::LeafVmWr,
        &[
            "TDG.VM.WR: TDX_SUCCESS",
            "TDG.VM.WR: TDX_METADATA_FIELD_NOT_WRITABLE",
            "TDG.VM.WR: TDX_METADATA_FIELD_VALUE_NOT_VALID",
            "TDG.VM.WR: TDX_METADATA_FIELD_ID_INCORRECT",
            &format!("TDG.VM.WR: {REJECTED}"),
            "TDG.VM.RD: TDX_SUCCESS",
        ],
    );
}

#[test]
fn leaf_report_seeds_reach() {
    assert_reaches(
        Target::LeafReport,
        &[
            "TDG.MR.REPORT: TDX_SUCCESS",
            "TDG.MR.REPORT: TDX_OPERAND_INVALID(RCX)",
            "TDG.MR.REPORT: TDX_OPERAND_INVALID(RDX)",
            "TDG.MR.REPORT: TDX_OPERAND_INVALID(R8)",
            "TDG.MR.REPORT: TDX_OPERAND_BUSY(RTMR)",
            &format!("TDG.MR.REPORT: {REJECTED}"),
        ],
    );
}

#[test]
fn leaf_rtmr_extend_seeds_reach() {
    assert_reaches(
        Target::LeafRtmrExtend,
        &[
            "TDG.MR.RTMR.EXTEND: TDX_SUCCESS",
            "TDG.MR.RTMR.EXTEND: TDX_OPERAND_BUSY(RTMR)",
            "TDG.MR.RTMR.EXTEND: TDX_OPERAND_INVALID(RCX)",
            &format!("TDG.MR.RTMR.EXTEND: {REJECTED}"),
            "TDG.MR.REPORT: TDX_SUCCESS",
        ],
    );
}

#[test]
fn leaf_veinfo_seeds_reach() {
    assert_reaches(
        Target::LeafVeinfo,
        &[
            "TDG.VP.VEINFO.GET: TDX_SUCCESS",
            "TDG.VP.VEINFO.GET: TDX_NO_VALID_VE_INFO",
        ],
    );
}

#[test]
fn leaf_cpuidve_seeds_reach() {
    assert_reaches(
        Target::LeafCpuidve,
        &[
            "TDG.VP.CPUIDVE.SET: TDX_SUCCESS",
            "TDG.VP.CPUIDVE.SET: TDX_OPERAND_INVALID(RCX)",
            "TDG.VM.WR: TDX_SUCCESS",
        ],
    );
}

#[test]
fn status_decode_seeds_reach() {
    // Every status the model names, and unknown ones.
    let mut want: Vec<&str> = tdx_model::status::KNOWN.iter().map(|(n, _)| *n).collect();
    want.push("unknown");
    assert_reaches(Target::StatusDecode, &want);
}

#[test]
fn leaf_mr_key_get_seeds_reach() {
    let l = "TDG.MR.KEY.GET";
    assert_reaches(
        Target::LeafMrKeyGet,
        &[
            &format!("{l}: TDX_SUCCESS"),
            &format!("{l}: TDX_OPERAND_INVALID(RAX)"),
            &format!("{l}: TDX_MR_KEY_GET_NOT_SUPPORTED"),
            &format!("{l}: TDX_OPERAND_INVALID(RCX)"),
            &format!("{l}: TDX_OPERAND_INVALID(RDX)"),
            &format!("{l}: TDX_OPERAND_INVALID(KEYNAME)"),
            &format!("{l}: TDX_OPERAND_INVALID(KEYSIZE_BITMAP)"),
            &format!("{l}: TDX_OPERAND_BUSY(RTMR)"),
            &format!("{l}: TDX_SVN_INVALID"),
            &format!("{l}: {REJECTED}"),
            "TDG.MR.RTMR.EXTEND: TDX_SUCCESS",
        ],
    );
}

#[test]
fn leaf_servtd_wr_seeds_reach_a_successful_write() {
    let got = reached(Target::LeafServtdWr);
    for want in [
        "TDG.SERVTD.WR: TDX_SUCCESS",
        "TDG.SERVTD.RD: TDX_SUCCESS",
        "TDG.SERVTD.WR: TDX_METADATA_FIELD_VALUE_NOT_VALID",
    ] {
        assert!(
            got.contains(want),
            "the seeds do not reach {want}: {got:#?}"
        );
    }
}

/// The leaves, TDVMCALL sub-functions and range helpers a target is for (outcome names).
fn owned(target: Target) -> &'static [&'static str] {
    match target {
        Target::LeafAccept => &["TDG.MEM.PAGE.ACCEPT", "accept_range (TDG.MEM.PAGE.ACCEPT)"],
        Target::LeafVpInfo => &["TDG.VP.INFO"],
        Target::LeafVmRd => &["TDG.VM.RD"],
        Target::LeafVmWr => &["TDG.VM.WR"],
        Target::LeafReport => &["TDG.MR.REPORT"],
        Target::LeafRtmrExtend => &["TDG.MR.RTMR.EXTEND"],
        Target::LeafVeinfo => &["TDG.VP.VEINFO.GET"],
        Target::LeafCpuidve => &["TDG.VP.CPUIDVE.SET"],
        Target::LeafVpRd => &["TDG.VP.RD"],
        Target::LeafVpWr => &["TDG.VP.WR"],
        Target::LeafSysRd => &["TDG.SYS.RD"],
        Target::LeafSysRdAll => &["TDG.SYS.RDALL"],
        Target::LeafServtdRd => &["TDG.SERVTD.RD"],
        Target::LeafServtdWr => &["TDG.SERVTD.WR"],
        Target::LeafVerifyReport => &["TDG.MR.VERIFYREPORT"],
        Target::LeafMrKeyGet => &["TDG.MR.KEY.GET"],
        Target::LeafPageAttrRd => &["TDG.MEM.PAGE.ATTR.RD"],
        Target::LeafPageAttrWr => &["TDG.MEM.PAGE.ATTR.WR"],
        Target::LeafVpEnter => &["TDG.VP.ENTER"],
        Target::LeafInvept => &["TDG.VP.INVEPT"],
        Target::LeafInvgla => &["TDG.VP.INVGLA"],
        Target::VmcallGetTdVmCallInfo => &["GetTdVmCallInfo"],
        Target::VmcallMapGpa => &["MapGPA", "convert_range (TDG.VP.VMCALL<MapGPA>)"],
        Target::VmcallGetQuote => &["GetQuote"],
        Target::VmcallSetupEventNotifyInterrupt => &["SetupEventNotifyInterrupt"],
        Target::VmcallService => &["Service"],
        Target::VmcallCpuid => &["Instruction.CPUID"],
        Target::VmcallHlt => &["Instruction.HLT"],
        Target::VmcallIo => &["Instruction.IO"],
        Target::VmcallRdmsr => &["Instruction.RDMSR"],
        Target::VmcallWrmsr => &["Instruction.WRMSR"],
        Target::VmcallMmio => &["#VE.RequestMMIO"],
        Target::VmcallWbinvd => &["Instruction.WBINVD"],
        // Not in the model's status lists: their own tests below.
        Target::VmcallReportFatalError
        | Target::VmcallVendor
        | Target::VmcallHostile
        | Target::StatusDecode
        | Target::All => &[],
    }
}

/// Per outcome name, every label (`tdx_oracle::reach::label`, and `branch: …`) the seeds of
/// `target` reach, run on every modelled module version as the fuzz target runs them: a label
/// counts when one version reaches it (some statuses exist on some versions only).
fn reached_on_any_version(target: Target) -> Reach {
    let mut o = Oracle::new(Production, 0x5eed);
    let mut got = Reach::new();
    for (name, program) in seeds(target) {
        o.run_program_on_every_version(&program, |_, out| reach::record(&mut got, out))
            .unwrap_or_else(|f| panic!("{}/{name}:\n{f}", target.name()));
    }
    got
}

/// Every target's seeds alone reach every status the model lists for the leaves and
/// sub-functions the target is for (`tdx_model::reach::STATUSES`, less what
/// `tdx_model::reach::NOT_REACHED` says no wrapper can reach) on one module version or
/// another, and every branch of its range helpers: the fuzzer starts from every path. Every
/// listed leaf and helper is some target's.
#[test]
fn every_target_seeds_reach_every_status_of_its_leaves() {
    use tdx_model::reach::{NOT_REACHED, STATUSES};
    let owned_somewhere = |leaf: &str| Target::FUZZ.iter().any(|t| owned(*t).contains(&leaf));
    for (leaf, _) in STATUSES {
        assert!(
            owned_somewhere(leaf),
            "{leaf}: no fuzz target is for it (fn owned)"
        );
    }
    for (helper, _) in reach::HELPER_BRANCHES {
        assert!(
            owned_somewhere(helper),
            "{helper}: no fuzz target is for it (fn owned)"
        );
    }
    let mut problems = Vec::new();
    let mut required = 0;
    for target in Target::FUZZ {
        let leaves = owned(target);
        if leaves.is_empty() {
            continue;
        }
        let got = reached_on_any_version(target);
        for leaf in leaves {
            let statuses = STATUSES.iter().find(|(l, _)| l == leaf).map(|(_, s)| *s);
            let branches: Vec<&str> = reach::HELPER_BRANCHES
                .iter()
                .filter(|(h, _)| h == leaf)
                .map(|(_, b)| *b)
                .collect();
            assert!(
                statuses.is_some() || !branches.is_empty(),
                "{}: {leaf} has neither statuses in the model's list nor helper branches",
                target.name()
            );
            for status in statuses.unwrap_or(&[]) {
                if NOT_REACHED.iter().any(|(l, s, _)| l == leaf && s == status) {
                    continue;
                }
                required += 1;
                if !reach::reached(&got, leaf, status) {
                    problems.push(format!("{}: {leaf}: {status}", target.name()));
                }
            }
            for b in branches {
                required += 1;
                if !got
                    .get(leaf)
                    .is_some_and(|ls| ls.contains(&reach::branch_label(b)))
                {
                    problems.push(format!("{}: {leaf}: branch {b}", target.name()));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "the seeds do not reach:\n  {}",
        problems.join("\n  ")
    );
    eprintln!("{required} statuses and branches reached by their targets' seeds");
}

#[test]
fn vmcall_report_fatal_error_seeds_reach() {
    let got = reached_on_any_version(Target::VmcallReportFatalError);
    let want: BTreeSet<String> = ["TDG.VP.VMCALL_SUCCESS", "TDG.VP.VMCALL_RETRY"]
        .map(String::from)
        .into();
    // RETRY: a hostile VMM resumed the TD, and the wrapper sent the report again.
    assert_eq!(got.get("ReportFatalError"), Some(&want));
}

#[test]
fn vmcall_vendor_seeds_reach() {
    let got = reached_on_any_version(Target::VmcallVendor);
    let want: BTreeSet<String> = [
        "GHCI other",
        "TDG.VP.VMCALL_SUBFUNC_UNSUPPORTED",
        "TDG.VP.VMCALL_SUCCESS",
        "not run: rejected before TDCALL",
    ]
    .map(String::from)
    .into();
    assert_eq!(got.get("KVM hypercall"), Some(&want));
}

#[test]
fn vmcall_hostile_seeds_run_every_kind_against_the_hostile_vmm() {
    let got = reached_on_any_version(Target::VmcallHostile);
    let names: BTreeSet<&str> = got.keys().copied().collect();
    let want: BTreeSet<&str> = [
        "#VE.RequestMMIO",
        "GetTdVmCallInfo",
        "Instruction.CPUID",
        "Instruction.IO",
        "Instruction.RDMSR",
        "MapGPA",
        "VMM choice",
        "convert_range (TDG.VP.VMCALL<MapGPA>)",
    ]
    .into();
    assert_eq!(names, want);
    let hostile_only: BTreeSet<String> = ["not run: hostile".to_string()].into();
    assert_eq!(got["VMM choice"], hostile_only, "an honest VMM was chosen");
    assert!(got["convert_range (TDG.VP.VMCALL<MapGPA>)"]
        .contains("branch: RETRY with a resume address outside the request"));
}

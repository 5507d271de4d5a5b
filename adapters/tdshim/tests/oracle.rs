//! td-shim's `tdx-tdcall` 0.2.1 through the oracle: deterministic pseudo-random programs for
//! every fuzz target. Every failure must be one of the documented [`KNOWN`] findings (green
//! while they are documented); any other failure fails the test.
//!
//! `TDSHIM_PROGRAMS` sets the programs per target (default 300).

use std::collections::BTreeMap;

use tdx_adapter_tdshim::{warm_up, TdShim};
use tdx_oracle::{Failure, Oracle, Program, Target, Verdict, Wrappers as _};

/// Whether a finding is a td-shim bug (a write-up of its own) or a policy/API-shape difference
/// (`docs/findings/tdshim-policy.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Bug,
    Policy,
}

/// A documented finding: which failures it accounts for.
struct Known {
    verdict: Verdict,
    /// The failure's leaf, exactly.
    leaf: &'static str,
    /// Substring of the failure's detail.
    detail: &'static str,
    /// Substring of the register table (or of the call), "" for any.
    evidence: &'static str,
    class: Class,
    writeup: &'static str,
}

const RETRY: &str = "docs/findings/tdshim-retry-reuses-outputs.md";
const VMCALL_ERR: &str = "docs/findings/tdshim-vmcall-errors-ignored.md";
const VMCALL_STATUS: &str = "docs/findings/tdshim-vmcall-status-lost.md";
const FIRST: &str = "docs/findings/tdshim-first-field-id.md";
const VP_INFO: &str = "docs/findings/tdshim-vp-info-r10.md";
const SERVTD: &str = "docs/findings/tdshim-servtd-rd-outputs.md";
const ENTER: &str = "docs/findings/tdshim-vp-enter-rsi-rdi.md";
const POLICY: &str = "docs/findings/tdshim-policy.md";
const MMIO_UB: &str = "docs/findings/tdshim-mmio-write-ub.md";
const ATTR_WR: &str = "docs/findings/tdshim-attr-wr-invalid-words.md";

const fn bug(
    verdict: Verdict,
    leaf: &'static str,
    detail: &'static str,
    evidence: &'static str,
    writeup: &'static str,
) -> Known {
    Known {
        verdict,
        leaf,
        detail,
        evidence,
        class: Class::Bug,
        writeup,
    }
}

/// The documented findings.
const KNOWN: &[Known] = &[
    // The BUSY retry loops re-issue TDCALL with td_call's *outputs*: RAX = the BUSY status is
    // taken as the leaf number (evidence: the second TDCALL's RAX).
    bug(
        Verdict::Encoding,
        "TDG.MEM.PAGE.ACCEPT",
        "expected one TDCALL",
        "RAX  0x80000200",
        RETRY,
    ),
    bug(
        Verdict::Encoding,
        "TDG.MEM.PAGE.ATTR.WR",
        "expected one TDCALL",
        "RAX  0x80000200",
        RETRY,
    ),
    // A VMM error status: td-shim issues TDVMCALL<Instruction.HLT> (R11 = 12) and returns the
    // output registers as data.
    bug(
        Verdict::Encoding,
        "Instruction.CPUID",
        "expected one TDCALL, saw 2",
        "R11  0x000000000000000c",
        VMCALL_ERR,
    ),
    bug(
        Verdict::Encoding,
        "Instruction.IO",
        "expected one TDCALL, saw 2",
        "R11  0x000000000000000c",
        VMCALL_ERR,
    ),
    bug(
        Verdict::Encoding,
        "#VE.RequestMMIO",
        "expected one TDCALL, saw 2",
        "R11  0x000000000000000c",
        VMCALL_ERR,
    ),
    // tdvmcall_mmio_write reads 8 bytes of a smaller value: the adapter does not call it.
    bug(
        Verdict::Encoding,
        "#VE.RequestMMIO",
        "no TDCALL was made and no input refused",
        "write: true",
        MMIO_UB,
    ),
    // tdvmcall_halt ignores the VMM's status.
    bug(
        Verdict::Decoding,
        "Instruction.HLT",
        "wrapper returned Ok(()); the model decodes the outputs as Err(Vmm(",
        "",
        VMCALL_ERR,
    ),
    // TdVmcallError::Other keeps no status value.
    bug(
        Verdict::Decoding,
        "Service",
        "TdVmcallError::Other",
        "",
        VMCALL_STATUS,
    ),
    bug(
        Verdict::Decoding,
        "MapGPA",
        "TdVmcallError::Other",
        "",
        VMCALL_STATUS,
    ),
    bug(
        Verdict::Decoding,
        "Instruction.HLT",
        "TdVmcallError::Other",
        "",
        VMCALL_STATUS,
    ),
    bug(
        Verdict::Decoding,
        "Instruction.RDMSR",
        "TdVmcallError::Other",
        "",
        VMCALL_STATUS,
    ),
    bug(
        Verdict::Decoding,
        "Instruction.WRMSR",
        "TdVmcallError::Other",
        "",
        VMCALL_STATUS,
    ),
    bug(
        Verdict::Decoding,
        "GetQuote",
        "TdVmcallError::Other",
        "",
        VMCALL_STATUS,
    ),
    bug(
        Verdict::Decoding,
        "SetupEventNotifyInterrupt",
        "TdVmcallError::Other",
        "",
        VMCALL_STATUS,
    ),
    bug(
        Verdict::Decoding,
        "convert_range (TDG.VP.VMCALL<MapGPA>)",
        "TdVmcallError::Other",
        "",
        VMCALL_STATUS,
    ),
    // The null field id: the information status is taken as an error, RDX dropped.
    bug(
        Verdict::Decoding,
        "TDG.VM.RD",
        "wrapper returned Err(MetadataFirstFieldIdInContext",
        "",
        FIRST,
    ),
    bug(
        Verdict::Decoding,
        "TDG.VP.RD",
        "wrapper returned Err(MetadataFirstFieldIdInContext",
        "",
        FIRST,
    ),
    bug(
        Verdict::Decoding,
        "TDG.SYS.RD",
        "wrapper returned Err(MetadataFirstFieldIdInContext",
        "",
        FIRST,
    ),
    // TdInfo has no R10 (TDG.SYS.RD available).
    bug(
        Verdict::Decoding,
        "TDG.VP.INFO",
        "sys_rd_available: true })",
        "",
        VP_INFO,
    ),
    // ServtdRWResult has no next field id; the error keeps no current UUID.
    bug(
        Verdict::Decoding,
        "TDG.SERVTD.RD",
        ", None)); the model decodes the outputs as Ok((",
        "",
        SERVTD,
    ),
    bug(
        Verdict::Decoding,
        "TDG.SERVTD.RD",
        "wrapper returned Err(Status(TargetUuidUpdated",
        "",
        SERVTD,
    ),
    // TdcallArgs has no RSI/RDI.
    bug(
        Verdict::Decoding,
        "TDG.VP.ENTER",
        "cs: 0, cs_base: 0",
        "",
        ENTER,
    ),
    // tdcall_mem_page_attr_wr returns the status alone: the words of TDX_PAGE_ATTR_INVALID
    // (RDX) are lost.
    bug(
        Verdict::Decoding,
        "TDG.MEM.PAGE.ATTR.WR",
        "wrapper returned Err(AttrWrError { status: PageAttrInvalid",
        "",
        ATTR_WR,
    ),
];

fn classify(f: &Failure) -> Option<usize> {
    KNOWN.iter().position(|k| {
        k.verdict == f.verdict
            && k.leaf == f.leaf
            && f.detail.contains(k.detail)
            && (f.table.contains(k.evidence) || f.call.contains(k.evidence))
    })
}

fn xorshift(s: &mut u64) -> u64 {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    *s
}

#[test]
fn every_failure_is_a_documented_finding() {
    let per_target: usize = std::env::var("TDSHIM_PROGRAMS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    let mut oracle = Oracle::new(TdShim, 0x7d5_5111);
    warm_up();
    let mut hits: BTreeMap<usize, usize> = BTreeMap::new();
    let mut policy_hits: BTreeMap<&str, usize> = BTreeMap::new();
    let mut rules_used = vec![false; tdx_adapter_tdshim::POLICY.len()];
    let mut unexpected: Vec<(Failure, Program)> = Vec::new();
    let mut programs = 0usize;
    for (t, target) in Target::FUZZ.iter().enumerate() {
        let mut rng = 0x9e37_79b9_7f4a_7c15u64 ^ (t as u64 + 1).wrapping_mul(0x1000_0000_01b3);
        for _ in 0..per_target {
            let len = 16 + (xorshift(&mut rng) % 480) as usize;
            let bytes: Vec<u8> = (0..len).map(|_| xorshift(&mut rng) as u8).collect();
            let program = Program::decode(*target, &bytes);
            programs += 1;
            if let Err(f) = oracle.run_program(&program, |_, _| {}) {
                if let Some(p) = TdShim.policy(&f) {
                    *policy_hits.entry(p).or_default() += 1;
                    for (i, rule) in tdx_adapter_tdshim::POLICY.iter().enumerate() {
                        if f.differs.iter().any(|d| rule.covers(f.verdict, f.leaf, d)) {
                            rules_used[i] = true;
                        }
                    }
                    continue;
                }
                match classify(&f) {
                    Some(i) => *hits.entry(i).or_default() += 1,
                    None => unexpected.push((f, program)),
                }
            }
        }
    }
    println!("{programs} programs; policy (tdx_adapter_tdshim::POLICY, {POLICY}):");
    for (p, n) in &policy_hits {
        println!("  {n:>5}  {p}");
    }
    println!("documented findings hit:");
    for (i, n) in &hits {
        let k = &KNOWN[*i];
        println!(
            "  {n:>5}  {:?} {:<9} {:<38} {:?} -> {}",
            k.class,
            format!("{:?}", k.verdict),
            k.leaf,
            k.detail,
            k.writeup
        );
    }
    let mut kinds: Vec<String> = unexpected
        .iter()
        .map(|(f, _)| {
            format!(
                "{:?} {} {}",
                f.verdict,
                f.leaf,
                &f.detail[..f.detail.len().min(70)]
            )
        })
        .collect();
    kinds.sort();
    kinds.dedup();
    for k in &kinds {
        println!("unexpected: {k}");
    }
    if let Some((f, p)) = unexpected.first() {
        panic!(
            "{} failures are not documented findings; the first:\n{f}\nprogram: {p:?}",
            unexpected.len()
        );
    }
    // A declared policy that nothing matches is stale: it would hide whatever matched it next.
    let unused: Vec<_> = tdx_adapter_tdshim::POLICY
        .iter()
        .zip(&rules_used)
        .filter(|(_, used)| !**used)
        .map(|(r, _)| (r.verdict, r.leaf, r.field))
        .collect();
    assert!(
        unused.is_empty(),
        "policy rules nothing matched: {unused:?}"
    );
}

#[test]
fn known_findings_point_to_writeups() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../");
    for k in KNOWN {
        let path = format!("{root}{}", k.writeup);
        assert!(
            std::path::Path::new(&path).exists(),
            "{} is missing",
            k.writeup
        );
        assert_eq!(
            k.class == Class::Policy,
            k.writeup == POLICY,
            "policy findings are written up in {POLICY}, bugs in their own file: {}",
            k.leaf
        );
    }
}

/// Runs a one-program reproducer on a fresh TD and checks it fails with the finding written up
/// in `writeup`; prints the failure (`-- --nocapture`).
fn reproduce(program: Program, writeup: &str) {
    let mut oracle = Oracle::new(TdShim, 1);
    warm_up();
    let f = oracle
        .run_program(&program, |_, _| {})
        .expect_err("the reproducer no longer fails: td-shim changed, update the write-up");
    println!("{f}\nprogram: {program:?}");
    let k = classify(&f).map(|i| KNOWN[i].writeup);
    assert_eq!(k, Some(writeup), "{f}");
}

mod reproducer {
    use super::*;
    use tdx_oracle::call::{FieldRef, MemRef, PageRef};
    use tdx_oracle::Call;

    #[test]
    fn retry_reuses_outputs() {
        // A 4 KiB page of block 2 (pending 4 KiB pages) whose SEPT entry is locked.
        let page = PageRef::Region((1 << 31) + 1024);
        let call = Call::Accept {
            page,
            level: 0,
            busy: true,
            interrupts: 0,
        };
        reproduce(Program(vec![call]), RETRY);
    }

    #[test]
    fn vmcall_errors_ignored() {
        let cpuid = Call::VmcallCpuid {
            leaf: 0,
            subleaf: 0,
        };
        let io = Call::VmcallIo {
            size: 1,
            port: 0x80,
            write: false,
            value: 0,
        };
        for c in [cpuid, io] {
            reproduce(
                Program(vec![
                    Call::SetVmm {
                        hostile: true,
                        seed: 2,
                    },
                    c,
                ]),
                VMCALL_ERR,
            );
        }
    }

    #[test]
    fn vmcall_status_lost() {
        let call = Call::VmcallService {
            command: MemRef::SharedSlot(0),
            response: MemRef::SharedSlot(1),
            vector: 0,
            timeout: 0,
        };
        reproduce(
            Program(vec![
                Call::SetVmm {
                    hostile: true,
                    seed: 1,
                },
                call,
            ]),
            VMCALL_STATUS,
        );
    }

    #[test]
    fn first_field_id() {
        reproduce(Program(vec![Call::VmRdFirst]), FIRST);
        reproduce(
            Program(vec![Call::VpRd {
                field: FieldRef::Known(0),
                first: true,
            }]),
            FIRST,
        );
        reproduce(
            Program(vec![Call::SysRd {
                field: FieldRef::Known(0),
                first: true,
            }]),
            FIRST,
        );
    }

    #[test]
    fn vp_info_r10() {
        reproduce(Program(vec![Call::VpInfo]), VP_INFO);
    }

    #[test]
    fn servtd_rd_outputs() {
        let next = Call::ServtdRd {
            binding: 0,
            field: FieldRef::Known(192),
            uuid: 231,
            busy: false,
        };
        let updated = Call::ServtdRd {
            binding: 0,
            field: FieldRef::Known(40),
            uuid: 70,
            busy: false,
        };
        reproduce(Program(vec![next]), SERVTD);
        reproduce(Program(vec![updated]), SERVTD);
    }

    #[test]
    fn attr_wr_invalid_words() {
        // An alias for L2 VM 1 on an accepted 4 KiB page, then an illegal one (W without R):
        // the module returns the current word.
        let wr = |attrs| Call::AttrWr {
            page: PageRef::Region((1 << 31) | (5 * 512 + 9)),
            level: 0,
            attrs,
            flags: 0xffff << 16,
            busy: false,
            l2_sept_missing: false,
        };
        reproduce(Program(vec![wr(0x8003 << 16), wr(0x8002 << 16)]), ATTR_WR);
    }

    #[test]
    fn vp_enter_rsi_rdi() {
        let call = Call::VpEnter {
            vm: 1,
            invalidate: 2,
            state: MemRef::Slot(36236),
            pending: false,
            vapic_missing: false,
            guest_state: 0,
        };
        reproduce(Program(vec![call]), ENTER);
    }
}

/// td-shim takes the RTMR digest as `&TdxDigest` and the GetQuote buffer as `&mut [u8]`: a
/// buffer outside the arena (memory this process does not have) is not passed to it, which
/// would be undefined behaviour, but reported as not made; inside it the call is made.
#[test]
fn buffers_taken_by_reference_only_in_memory() {
    use tdx_oracle::call::MemRef;
    use tdx_oracle::Call;
    let mut oracle = Oracle::new(TdShim, 1);
    warm_up();
    let outside = Program(vec![
        Call::RtmrExtend {
            data: MemRef::Raw(0x7f00_0000_0000),
            index: 2,
            value: [1; 48],
            busy: false,
        },
        Call::VmcallGetQuote {
            buffer: MemRef::SharedSlot(0),
            len: 1 << 30,
        },
    ]);
    let mut seen = Vec::new();
    oracle
        .run_program(&outside, |_, out| seen.push((out.tdcalls, out.not_run)))
        .unwrap();
    assert_eq!(
        seen,
        [
            (0, Some(tdx_oracle::BY_REFERENCE)),
            (0, Some(tdx_oracle::BY_REFERENCE))
        ]
    );
    let inside = Program(vec![Call::RtmrExtend {
        data: MemRef::Slot(0),
        index: 2,
        value: [1; 48],
        busy: false,
    }]);
    let mut made = Vec::new();
    oracle
        .run_program(&inside, |_, out| made.push((out.tdcalls, out.not_run)))
        .unwrap();
    assert_eq!(made, [(1, None)]);
}

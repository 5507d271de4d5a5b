//! The replay of a committed rehearsal log (`tests/data/rehearsal.log`, a whole serial log of
//! `scripts/selftest.sh`): it keeps the trace format stable, replays clean, and every side of the
//! replay can fail: a planted model error, planted wrappers, a forged module answer, and logs
//! that are not whole traces.

use tdx_replay::{parse, replay, replay_with, Entry, Mode, Options, Side, TraceError};

const LOG: &str = include_str!("data/rehearsal.log");

/// The committed log's `mode`, `buffers` and `td` lines: the head of a forged trace.
fn header() -> String {
    let lines: Vec<&str> = LOG
        .lines()
        .filter(|l| {
            l.starts_with("trace v1 mode")
                || l.starts_with("trace v1 buffers")
                || l.starts_with("trace v1 td ")
        })
        .collect();
    lines.join("\n")
}

#[test]
fn the_committed_trace_replays_clean() {
    let trace = parse(LOG).expect("the committed log holds a whole trace");
    assert_eq!(trace.mode, Mode::Rehearsal);
    let calls = trace
        .entries
        .iter()
        .filter(|e| matches!(e, Entry::Call(_)))
        .count();
    let report = replay(&trace, &Options::default());
    assert!(report.divergences.is_empty(), "{}", report.divergences[0]);
    // Every call went through a check that could fail, and all three kinds ran.
    assert_eq!(
        report.predicted + report.contract_only + report.vmcalls,
        calls
    );
    assert_eq!(report.vmcalls, 4, "{report:?}");
    assert!(report.predicted >= 20, "{report:?}");
    assert!(report.contract_only >= 30, "{report:?}");
    assert!(report.wrappers >= 30, "{report:?}");
    assert_eq!(
        report.model_changed, 0,
        "the model predicts as when the log was made"
    );
}

/// A trace of a 1.5.05 module replays clean against the model version the self-test selected
/// (its `td` line), and diverges against 2.0.18 where the versions differ: VEINFO.GET versions
/// 1 and 2 (absent in 1.5.05) and MAJOR_VERSION.
#[test]
fn a_trace_diverges_from_another_module_version() {
    let log = include_str!("data/rehearsal-1.5.05.log");
    let trace = parse(log).expect("trace");
    assert_eq!(trace.td.module_version, tdx_model::ModuleVersion::V1_5_05);
    assert!(replay(&trace, &Options::default()).divergences.is_empty());
    let other = parse(&log.replacen("td model 1.5.05 ", "td model 2.0.18 ", 1)).expect("trace");
    let r = replay(&other, &Options::default());
    let what: Vec<&str> = r.divergences.iter().map(|d| d.what.as_str()).collect();
    assert!(
        what.iter()
            .any(|w| w.starts_with("TDG.VP.VEINFO.GET: RAX = 0xc000010000000000")),
        "{what:?}"
    );
    assert!(
        what.iter()
            .any(|w| w.starts_with("TDG.SYS.RD: R8 = 0x1, the model answers 0x2")),
        "{what:?}"
    );
    assert!(r.divergences.iter().all(|d| d.side == Side::Model));
}

#[test]
fn a_planted_model_error_diverges_with_a_minimal_pasteable_test() {
    let trace = parse(LOG).expect("trace");
    let planted = Options {
        plant_model_bug: true,
    };
    let report = replay(&trace, &planted);
    assert!(
        !report.divergences.is_empty(),
        "the planted error was not found"
    );
    let d = &report.divergences[0];
    assert_eq!(d.side, Side::Model);
    assert!(d.what.starts_with("TDG.VP.INFO: R8 = "), "{d}");
    assert!(d.table.contains("R8   may change"), "{d}");
    // The test is the fewest calls that still diverge: here, the one VP.INFO call.
    let start = d.test.find("r\"\n").expect("raw string") + 3;
    let end = d.test.find("\",\n    )").expect("end of raw string");
    let cut = parse(&d.test[start..end]).expect("the test's trace parses");
    assert_eq!(cut.entries.len(), 1, "{}", d.test);
    let again = replay(&cut, &planted);
    assert_eq!(again.divergences.len(), 1);
    assert_eq!(again.divergences[0].what, d.what);
    assert!(replay(&cut, &Options::default()).divergences.is_empty());
}

#[test]
fn planted_wrappers_diverge() {
    let trace = parse(LOG).expect("trace");
    // TDG.VM.RD with TDG.VM.WR's leaf number: its TDCALL is not the traced one.
    let r = replay_with(&trace, &Options::default(), &tdx_planted::WrongLeafNumber);
    let d = r
        .divergences
        .iter()
        .find(|d| d.side == Side::Wrapper)
        .expect("a wrapper divergence");
    assert!(
        d.what.contains("differs from the traced one in [\"RAX\"]"),
        "{d}"
    );
    assert!(r.divergences.iter().all(|d| d.side == Side::Wrapper));
    // Its test replays through the same implementation.
    assert!(
        d.test
            .contains("tdx_replay::replay_with(&trace, &options, &tdx_planted::WrongLeafNumber)"),
        "{}",
        d.test
    );
    // TDG.MR.RTMR.EXTEND refusing RTMR 3 without a TDCALL.
    let r = replay_with(&trace, &Options::default(), &tdx_planted::RefusesValidRtmr);
    assert!(
        r.divergences
            .iter()
            .any(|d| d.what.contains("the wrapper made 0 TDCALLs, not 1")),
        "{:?}",
        r.divergences.first().map(|d| &d.what)
    );
}

/// The traced VEINFO.GET call with its answer replaced by a success whose R8 (GLA) and R9
/// (GPA) differ: a wrapper that reads the GLA from R9 decodes it wrongly.
#[test]
fn a_wrapper_that_decodes_the_wrong_register_diverges() {
    let line = LOG
        .lines()
        .find(|l| l.starts_with("trace v1 call ") && l.contains(" contract 3 0 in 3,"))
        .expect("a VEINFO.GET call");
    let words: Vec<&str> = line.split(' ').collect();
    // trace v1 call SEQ contract LEAF VERSION in INPUT out OUTPUT ...
    let mut out: Vec<String> = words[10].split(',').map(str::to_string).collect();
    out[0] = "0".into();
    out[8] = "1111000".into();
    out[9] = "2222000".into();
    let forged = format!(
        "trace v1 mode td\n{}\n{}\ntrace v1 call 1 contract 3 0 in {} out {} rflags 2 pred - ok\ntrace v1 end 1\n",
        LOG.lines().find(|l| l.starts_with("trace v1 buffers")).unwrap(),
        LOG.lines().find(|l| l.starts_with("trace v1 td ")).unwrap(),
        words[8],
        out.join(",")
    );
    let trace = parse(&forged).expect("forged trace");
    assert!(replay(&trace, &Options::default()).divergences.is_empty());
    let r = replay_with(
        &trace,
        &Options::default(),
        &tdx_planted::WrongOutputRegister,
    );
    assert_eq!(r.divergences.len(), 1);
    assert_eq!(r.divergences[0].side, Side::Wrapper);
    assert!(
        r.divergences[0].what.contains("gla: 35790848"),
        "{}",
        r.divergences[0]
    );
}

/// A register outside the contract's may-modify set that the module changed is a divergence
/// even on a call the self-test did not predict.
#[test]
fn a_preserved_register_changed_diverges() {
    let line = LOG
        .lines()
        .find(|l| l.starts_with("trace v1 call ") && l.contains(" pred - ok"))
        .expect("an unpredicted call");
    let words: Vec<&str> = line.split(' ').collect();
    let mut out: Vec<String> = words[10].split(',').map(str::to_string).collect();
    out[3] = "dead".into(); // RBX: no leaf here may change it
    let mut w: Vec<String> = words.iter().map(|s| s.to_string()).collect();
    w[10] = out.join(",");
    let header = header();
    let forged = format!("{}\n{}\ntrace v1 end 1\n", header, w.join(" "));
    let r = replay(&parse(&forged).expect("forged"), &Options::default());
    assert!(
        r.divergences
            .iter()
            .any(|d| d.side == Side::Model && d.what.contains("RBX changed")),
        "{:?}",
        r.divergences.first().map(|d| &d.what)
    );
}

#[test]
fn logs_that_are_not_whole_traces_are_refused() {
    let cut: String = LOG
        .lines()
        .filter(|l| !l.starts_with("trace v1 end"))
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(parse(&cut).unwrap_err(), TraceError::Missing("end"));
    let twice = format!(
        "{LOG}\n{}",
        LOG.lines()
            .find(|l| l.starts_with("trace v1 call"))
            .unwrap()
    );
    assert!(matches!(parse(&twice), Err(TraceError::Count { .. })));
    let v2 = LOG.replacen("trace v1 mode", "trace v2 mode", 1);
    assert!(matches!(parse(&v2), Err(TraceError::Version { .. })));
    let short = LOG.replacen(" contract 1 0 in 1,", " contract 1 0 in ", 1);
    match parse(&short) {
        Err(TraceError::Line { what, .. }) => assert!(what.contains("15 registers"), "{what}"),
        other => panic!("{other:?}"),
    }
    // Bytes that are not hex digits, a sign, a non-ASCII character: typed errors, no panic.
    for bad in ["aéb", "+1", "0g", "123"] {
        let log = LOG.replacen(
            "trace v1 buffers ",
            &format!("trace v1 mem 1000 {bad}\ntrace v1 buffers "),
            1,
        );
        assert!(matches!(parse(&log), Err(TraceError::Line { .. })), "{bad}");
    }
    let signed = LOG.replacen("trace v1 end ", "trace v1 end +", 1);
    assert!(matches!(parse(&signed), Err(TraceError::Line { .. })));
    let unknown = LOG.replacen("trace v1 mode rehearsal", "trace v1 mode vm", 1);
    assert!(matches!(parse(&unknown), Err(TraceError::Line { .. })));
    assert_eq!(
        parse("no trace here\n").unwrap_err(),
        TraceError::Missing("end")
    );
}

/// The traced GetTdVmCallInfo leaf 0 with a VMM answer the GHCI does not allow (R11 = 1), and
/// with a register the call does not expose changed: each diverges; the honest answer does not.
#[test]
fn a_vmcall_answer_the_ghci_forbids_diverges() {
    let line = LOG
        .lines()
        .find(|l| l.starts_with("trace v1 vmcall ") && l.contains(",0,10000,0,"))
        .expect("a GetTdVmCallInfo leaf 0 call");
    let words: Vec<&str> = line.split(' ').collect();
    // trace v1 vmcall SEQ in INPUT out OUTPUT rflags F ok
    let header = header();
    let forge = |reg: usize, value: &str| {
        let mut out: Vec<String> = words[7].split(',').map(str::to_string).collect();
        out[reg] = value.into();
        let mut w: Vec<String> = words.iter().map(|s| s.to_string()).collect();
        w[7] = out.join(",");
        let text = format!("{}\n{}\ntrace v1 end 1\n", header, w.join(" "));
        replay(&parse(&text).expect("forged"), &Options::default())
    };
    let honest = forge(11, "0");
    assert!(honest.divergences.is_empty(), "{}", honest.divergences[0]);
    assert_eq!(honest.vmcalls, 1);
    assert_eq!(
        honest.wrappers, 1,
        "GetTdVmCallInfo goes through its wrapper"
    );
    let r11 = forge(11, "1");
    assert!(
        r11.divergences
            .iter()
            .any(|d| d.side == Side::Model && d.what.contains("R11 = 0x1, the GHCI fixes 0x0")),
        "{:?}",
        r11.divergences.first().map(|d| &d.what)
    );
    let rbx = forge(3, "dead");
    assert!(
        rbx.divergences.iter().any(|d| d
            .what
            .contains("RBX changed but the call does not expose it")),
        "{:?}",
        rbx.divergences.first().map(|d| &d.what)
    );
}

/// A call the trace judges by another leaf's contract than its RAX names diverges, and a
/// TDG.VP.VMCALL whose RCX exposes RSP and RCX still must keep them.
#[test]
fn a_trace_that_misnames_the_contract_or_exposes_rsp_diverges() {
    let header = header();
    let one = |line: String| {
        let text = format!("{}\n{line}\ntrace v1 end 1\n", header);
        replay(&parse(&text).expect("forged"), &Options::default())
    };
    // The TDG.VM.WR refusal, said to be judged by TDG.VP.INFO's contract.
    let wr = LOG
        .lines()
        .find(|l| l.starts_with("trace v1 call ") && l.contains(" contract 8 0 in "))
        .expect("a TDG.VM.WR call");
    let r = one(wr.replacen(" contract 8 0 ", " contract 1 0 ", 1));
    assert!(
        r.divergences
            .iter()
            .any(|d| d.what.contains("judges the call by leaf 0x1's contract")),
        "{:?}",
        r.divergences.first().map(|d| &d.what)
    );
    // GetTdVmCallInfo leaf 0 with RSP and RCX selected in RCX, and both changed.
    let info = LOG
        .lines()
        .find(|l| l.starts_with("trace v1 vmcall ") && l.contains(",0,10000,0,"))
        .expect("a GetTdVmCallInfo leaf 0 call");
    let mut w: Vec<String> = info.split(' ').map(str::to_string).collect();
    let mut input: Vec<String> = w[5].split(',').map(str::to_string).collect();
    let mut out: Vec<String> = w[7].split(',').map(str::to_string).collect();
    input[1] = "7c12".into(); // RCX: R10-R14, RCX and RSP
    out[1] = "7c12".into();
    out[4] = "1000".into(); // RSP moved
    w[5] = input.join(",");
    w[7] = out.join(",");
    let r = one(w.join(" "));
    assert!(
        r.divergences.iter().any(|d| d
            .what
            .contains("RSP changed but the call does not expose it")),
        "{:?}",
        r.divergences.first().map(|d| &d.what)
    );
}

//! `tdx-replay [--plant-model-bug] LOG`: replays the self-test trace in a serial log through
//! the model and the wrappers (`tdx_replay`). Exit status: 0 no divergence, 1 divergences
//! (each printed with its register table and a pasteable test), 2 bad arguments or a log that
//! holds no complete trace.

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut options = tdx_replay::Options::default();
    let mut path = None;
    for a in std::env::args().skip(1) {
        match a.as_str() {
            "--plant-model-bug" => options.plant_model_bug = true,
            "-h" | "--help" => {
                println!("usage: tdx-replay [--plant-model-bug] LOG");
                return ExitCode::SUCCESS;
            }
            _ if path.is_none() && !a.starts_with('-') => path = Some(a),
            _ => {
                eprintln!("usage: tdx-replay [--plant-model-bug] LOG");
                return ExitCode::from(2);
            }
        }
    }
    let Some(path) = path else {
        eprintln!("usage: tdx-replay [--plant-model-bug] LOG");
        return ExitCode::from(2);
    };
    let log = match std::fs::read(&path) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(e) => {
            eprintln!("tdx-replay: {path}: {e}");
            return ExitCode::from(2);
        }
    };
    let trace = match tdx_replay::parse(&log) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("tdx-replay: {path}: {e}");
            return ExitCode::from(2);
        }
    };
    let report = tdx_replay::replay(&trace, &options);
    for d in &report.divergences {
        println!("{d}");
    }
    let no_wrapper: Vec<String> = report
        .no_wrapper
        .iter()
        .map(|(name, n)| format!("{name} {n}"))
        .collect();
    println!(
        "{path}: {:?} trace, model {}; {} calls replayed through the model, {} against the contract only, {} TDG.VP.VMCALLs against their contract and the GHCI, {} through a wrapper (no wrapper for: {}); {} predictions differ from the model's now{}",
        trace.mode,
        trace.td.module_version,
        report.predicted,
        report.contract_only,
        report.vmcalls,
        report.wrappers,
        if no_wrapper.is_empty() { "none".into() } else { no_wrapper.join(", ") },
        report.model_changed,
        if options.plant_model_bug { "; planted model error" } else { "" }
    );
    println!("{} divergences", report.divergences.len());
    if report.divergences.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

//! Which statuses the generators reach, per leaf and sub-function: what the committed seeds plus
//! a fixed set of generated programs make each call answer, on every modelled module version,
//! against what the model says the leaf can answer (`tdx_model::reach`).

use std::collections::{BTreeMap, BTreeSet};

use tdx_model::ModuleVersion;

use crate::call::{Program, Target};
use crate::seeds::seeds;
use crate::wrappers::Wrappers;
use crate::{Oracle, Outcome};

/// The name a reach table gives a non-GPR operand id, as the model's `operand` constants do.
fn operand(details: u32) -> String {
    match details {
        0 => "RAX".into(),
        1 => "RCX".into(),
        2 => "RDX".into(),
        8 => "R8".into(),
        100 => "KEYNAME".into(),
        108 => "KEYSIZE_BITMAP".into(),
        0x80 => "TDR".into(),
        0xa8 => "RTMR".into(),
        0xaa => "L2_VAPIC_GPA".into(),
        0xae => "SERVTD_BINDINGS".into(),
        d => format!("{d:#x}"),
    }
}

/// A TDX status by the model's name, with its operand (operand classes) or its details.
pub fn status_label(raw: u64) -> String {
    let name = tdx_model::status::name(raw).unwrap_or("unknown");
    let details = raw as u32;
    if name.starts_with("TDX_OPERAND_") {
        format!("{name}({})", operand(details))
    } else if details != 0 {
        format!("{name}+{details}")
    } else {
        name.to_string()
    }
}

/// What a call's outcome reached: its status by the model's name, with the operand (operand
/// classes) or details; a refusal before any TDCALL; or why no TDCALL was made.
pub fn label(out: &Outcome) -> String {
    match (out.status, out.not_run) {
        (Some(raw), _) if out.vmcall => tdx_model::vmcall::status::name(raw)
            .unwrap_or("GHCI other")
            .to_string(),
        (Some(raw), _) => status_label(raw),
        (None, Some(why)) if why == crate::REFUSED || why == crate::REFUSED_BY_TYPES => {
            "rejected by the typed constructor".into()
        }
        (None, Some(why)) => format!("not run: {why}"),
        (None, None) => "no TDCALL".into(),
    }
}

/// The branches of the range helpers the reach table asks for: (helper, branch). An outcome's
/// [`Outcome::branches`] bit `i` is entry `i`. Each is decided from what the model answered
/// (statuses in the TDCALL log, the host's lock and MapGPA stalls), not from the helper.
pub const HELPER_BRANCHES: [(&str, &str); 9] = [
    (ACCEPT_RANGE, "fallback on PAGE_SIZE_MISMATCH"),
    (ACCEPT_RANGE, "fallback from 1 GiB on OPERAND_INVALID(RCX)"),
    (ACCEPT_RANGE, "skip on PAGE_ALREADY_ACCEPTED"),
    (ACCEPT_RANGE, "OPERAND_BUSY retried within the bound"),
    (ACCEPT_RANGE, "OPERAND_BUSY beyond the bound"),
    (CONVERT_RANGE, "RETRY with progress"),
    (
        CONVERT_RANGE,
        "RETRY without progress, within the stall bound",
    ),
    (
        CONVERT_RANGE,
        "RETRY without progress, beyond the stall bound",
    ),
    (
        CONVERT_RANGE,
        "RETRY with a resume address outside the request",
    ),
];

const ACCEPT_RANGE: &str = "accept_range (TDG.MEM.PAGE.ACCEPT)";
const CONVERT_RANGE: &str = "convert_range (TDG.VP.VMCALL<MapGPA>)";

/// The bit of `HELPER_BRANCHES` entry `branch` of `helper` (panics on a name not listed).
pub fn branch(helper: &str, branch: &str) -> u16 {
    let i = HELPER_BRANCHES
        .iter()
        .position(|(h, b)| *h == helper && *b == branch)
        .unwrap_or_else(|| panic!("{helper}: no branch {branch:?}"));
    1 << i
}

/// The names of the [`HELPER_BRANCHES`] an outcome took.
pub fn branches_of(out: &Outcome) -> impl Iterator<Item = &'static str> + '_ {
    HELPER_BRANCHES
        .iter()
        .enumerate()
        .filter(|(i, _)| out.branches & (1 << i) != 0)
        .map(|(_, (_, b))| *b)
}

/// The label of a helper branch taken (`branch: <name>`).
pub fn branch_label(name: &str) -> String {
    format!("branch: {name}")
}

/// Per leaf (the outcome's name), every label reached.
pub type Reach = BTreeMap<&'static str, BTreeSet<String>>;

/// Adds what `out` reached to `reach`: its [`label`] and the helper branches it took.
pub fn record(reach: &mut Reach, out: &Outcome) {
    let labels = reach.entry(out.leaf).or_default();
    labels.insert(label(out));
    labels.extend(branches_of(out).map(branch_label));
}

/// Whether the reached label `got` is the status `status` (a label with details counts for the
/// bare name: `TDX_SUCCESS+1` is `TDX_SUCCESS`).
pub fn is(got: &str, status: &str) -> bool {
    got == status || got.strip_prefix(status).is_some_and(|r| r.starts_with('+'))
}

/// Runs the seeds of every fuzz target and `programs` generated programs per target (fixed
/// byte streams) through `wrappers` on every modelled module version, collecting the labels.
/// A failed check is returned as it is.
pub fn collect<W: Wrappers>(wrappers: W, programs: usize) -> Result<Reach, crate::Failure> {
    let mut o = Oracle::new(wrappers, 0x2eac4);
    let mut reach = Reach::new();
    for (t, target) in Target::FUZZ.iter().enumerate() {
        let mut rng = 0x9e37_79b9_7f4a_7c15u64 ^ (t as u64 + 1).wrapping_mul(0x1000_0000_01b3);
        let generated = (0..programs).map(|_| {
            let len = 16 + (xorshift(&mut rng) % 480) as usize;
            let bytes: Vec<u8> = (0..len).map(|_| xorshift(&mut rng) as u8).collect();
            Program::decode(*target, &bytes)
        });
        let all: Vec<Program> = seeds(*target)
            .into_iter()
            .map(|(_, p)| p)
            .chain(generated)
            .collect();
        for version in ModuleVersion::ALL {
            o.set_version(version);
            for p in &all {
                o.run_program(p, |_, out| record(&mut reach, out))?;
            }
        }
    }
    Ok(reach)
}

fn xorshift(s: &mut u64) -> u64 {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    *s
}

/// Whether `reach` has `label` for `leaf` (a label with details counts for the bare name).
pub fn reached(reach: &Reach, leaf: &str, label: &str) -> bool {
    reach
        .get(leaf)
        .is_some_and(|ls| ls.iter().any(|l| is(l, label)))
}

/// The reach table: per leaf and sub-function of `tdx_model::reach::STATUSES`, every status it
/// can answer, marked reached (`ok`), not reached (`MISSING`) or not reachable on purpose
/// (`—`, with the reason).
pub fn table(reach: &Reach) -> String {
    use tdx_model::reach::{NOT_REACHED, STATUSES};
    let mut s = String::from("reach (statuses per leaf and sub-function):\n");
    for (leaf, labels) in STATUSES {
        let mut cells = Vec::new();
        for l in *labels {
            let why = NOT_REACHED
                .iter()
                .find(|(f, x, _)| f == leaf && x == l)
                .map(|e| e.2);
            cells.push(match (reached(reach, leaf, l), why) {
                (true, None) => format!("{l} ok"),
                (false, None) => format!("{l} MISSING"),
                (false, Some(why)) => format!("{l} — ({why})"),
                (true, Some(_)) => format!("{l} ok, though listed as not reachable"),
            });
        }
        s.push_str(&format!("  {leaf}: {}\n", cells.join("; ")));
    }
    s.push_str("reach (branches of the range helpers):\n");
    for (helper, b) in HELPER_BRANCHES {
        let got = reach
            .get(helper)
            .is_some_and(|ls| ls.contains(&branch_label(b)));
        s.push_str(&format!(
            "  {helper}: {b} {}\n",
            if got { "ok" } else { "MISSING" }
        ));
    }
    s
}

/// Whether `label` names a status (not a refusal before TDCALL or a call not made).
fn is_status(label: &str) -> bool {
    !(label.starts_with("rejected")
        || label.starts_with("not run")
        || label == "no TDCALL"
        || label.starts_with("branch: "))
}

/// The problems of a reach: listed statuses not reached, statuses listed as not reachable that
/// were reached (a stale reason), and statuses reached that the model does not list for that
/// leaf (the list is incomplete, or the leaf answered what the model cannot).
pub fn gaps(reach: &Reach) -> Vec<String> {
    use tdx_model::reach::{NOT_REACHED, STATUSES};
    let mut g = Vec::new();
    for (helper, b) in HELPER_BRANCHES {
        if !reach
            .get(helper)
            .is_some_and(|ls| ls.contains(&branch_label(b)))
        {
            g.push(format!("{helper}: branch {b} not reached"));
        }
    }
    for (leaf, labels) in STATUSES {
        for got in reach
            .get(leaf)
            .into_iter()
            .flatten()
            .filter(|l| is_status(l))
        {
            let listed = labels.iter().any(|l| is(got, l));
            if !listed {
                g.push(format!("{leaf}: {got} reached, yet not listed"));
            }
        }
        for l in *labels {
            let excused = NOT_REACHED.iter().any(|(f, x, _)| f == leaf && x == l);
            match (reached(reach, leaf, l), excused) {
                (false, false) => g.push(format!("{leaf}: {l} not reached")),
                (true, true) => g.push(format!("{leaf}: {l} reached, yet listed as not reachable")),
                _ => {}
            }
        }
    }
    g
}

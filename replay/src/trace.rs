//! The trace format (`docs/selftest.md`, "Trace"): the lines of a serial log that start with
//! `trace v1`, everything else ignored. Numbers are hexadecimal without `0x`; registers are
//! sixteen, in `Gpr::ALL` order, comma-separated.

use std::fmt;

use tdx_model::{ModuleVersion, Regs, TdConfig};

/// Where the traced calls ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Inside a TD: the TDX module answered.
    Td,
    /// Outside a TD: the self-test's simulated TD answered.
    Rehearsal,
}

/// One traced TDCALL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallRecord {
    /// Line number in the log (1-based).
    pub line: usize,
    /// The self-test's sequence number.
    pub seq: u32,
    /// The contract the self-test judged the call by: leaf and version ((0, 0) for a
    /// TDG.VP.VMCALL, whose contract is its sub-function's: [`Self::vmcall`]).
    pub contract: (u16, u8),
    /// A TDG.VP.VMCALL (`vmcall` line): judged by the sub-function's contract (R10, R11 in).
    pub vmcall: bool,
    /// The registers at the TDCALL.
    pub input: Regs,
    /// The registers after it.
    pub out: Regs,
    /// RFLAGS after it.
    pub rflags: u64,
    /// The self-test's prediction (`None`: a raw call, checked against the contract only).
    pub pred: Option<Regs>,
    /// The self-test's verdict on the call.
    pub ok: bool,
    /// The text of the line, for a pasteable test.
    pub text: String,
}

fn regs_text(r: &Regs) -> String {
    let v: Vec<String> = r.gpr.iter().map(|x| format!("{x:x}")).collect();
    v.join(",")
}

impl CallRecord {
    /// The call's line with `pred -` (a `vmcall` line has no prediction: as it is).
    pub fn line_without_prediction(&self) -> String {
        if self.vmcall {
            return self.text.clone();
        }
        format!(
            "trace v1 call {:x} contract {:x} {:x} in {} out {} rflags {:x} pred - {}",
            self.seq,
            self.contract.0,
            self.contract.1,
            regs_text(&self.input),
            regs_text(&self.out),
            self.rflags,
            if self.ok { "ok" } else { "FAIL" }
        )
    }
}

/// A line of the trace that matters for replay, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// Guest memory as the next call finds it.
    Mem {
        /// Address.
        gpa: u64,
        /// Bytes.
        bytes: Vec<u8>,
        /// The line's text.
        text: String,
    },
    /// A TDCALL.
    Call(Box<CallRecord>),
}

/// A parsed trace.
#[derive(Clone, Debug)]
pub struct Trace {
    /// Where it ran.
    pub mode: Mode,
    /// The self-test's buffers: base address and length.
    pub buffers: (u64, u64),
    /// The configuration the prediction model was built from.
    pub td: TdConfig,
    /// Memory and calls, in order.
    pub entries: Vec<Entry>,
    /// The header lines (mode, buffers, td), for a pasteable test.
    pub header: Vec<String>,
}

/// Why a log is not a trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TraceError {
    /// A `trace` line that does not parse.
    Line {
        /// Line number (1-based).
        line: usize,
        /// What is wrong.
        what: String,
    },
    /// A trace of a version this reader does not know.
    Version {
        /// Line number (1-based).
        line: usize,
    },
    /// A line the trace needs is missing (`mode`, `buffers`, `td`, `end`).
    Missing(&'static str),
    /// The `end` line counts another number of calls than the trace holds: cut or merged.
    Count {
        /// What `end` says.
        end: u32,
        /// Call lines seen.
        calls: u32,
    },
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TraceError::Line { line, what } => write!(f, "line {line}: {what}"),
            TraceError::Version { line } => {
                write!(f, "line {line}: a trace version other than v1")
            }
            TraceError::Missing(what) => write!(f, "no `trace v1 {what}` line"),
            TraceError::Count { end, calls } => write!(
                f,
                "the trace ends after {end:#x} calls but holds {calls:#x} call lines (cut short, or two runs in one log)"
            ),
        }
    }
}

impl std::error::Error for TraceError {}

fn hex(word: Option<&str>, what: &str) -> Result<u64, String> {
    let w = word.ok_or_else(|| format!("{what} missing"))?;
    // Digits only (`from_str_radix` would also take a sign).
    if w.is_empty() || !w.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("{what} {w:?} is not a hexadecimal number"));
    }
    u64::from_str_radix(w, 16).map_err(|_| format!("{what} {w:?} does not fit 64 bits"))
}

fn regs(word: Option<&str>, what: &str) -> Result<Regs, String> {
    let w = word.ok_or_else(|| format!("{what} registers missing"))?;
    let mut r = Regs::zero();
    let mut n = 0;
    for (i, v) in w.split(',').enumerate() {
        if i >= 16 {
            return Err(format!("{what}: more than 16 registers"));
        }
        r.gpr[i] = hex(Some(v), what)?;
        n += 1;
    }
    if n != 16 {
        return Err(format!("{what}: {n} registers, not 16"));
    }
    Ok(r)
}

/// A call's sequence number (32 bits).
fn sequence(word: Option<&str>) -> Result<u32, String> {
    let n = hex(word, "sequence number")?;
    u32::try_from(n).map_err(|_| format!("sequence number {n:#x} exceeds 32 bits"))
}

/// `in REGS out REGS rflags F`, as `call` and `vmcall` lines have them.
fn registers<'a>(w: &mut impl Iterator<Item = &'a str>) -> Result<(Regs, Regs, u64), String> {
    keyword(w.next(), "in")?;
    let input = regs(w.next(), "input")?;
    keyword(w.next(), "out")?;
    let out = regs(w.next(), "output")?;
    keyword(w.next(), "rflags")?;
    Ok((input, out, hex(w.next(), "rflags")?))
}

/// The self-test's verdict on a call.
fn verdict(word: Option<&str>) -> Result<bool, String> {
    match word {
        Some("ok") => Ok(true),
        Some("FAIL") => Ok(false),
        other => Err(format!("verdict {other:?} is neither ok nor FAIL")),
    }
}

fn keyword(word: Option<&str>, want: &str) -> Result<(), String> {
    match word {
        Some(w) if w == want => Ok(()),
        other => Err(format!("expected {want:?}, found {other:?}")),
    }
}

fn version(name: &str) -> Result<ModuleVersion, String> {
    ModuleVersion::ALL
        .into_iter()
        .find(|v| v.name() == name)
        .ok_or_else(|| format!("module version {name:?} is not modelled"))
}

/// Parses the `trace v1` lines of `log` (a whole serial log; other lines are skipped).
pub fn parse(log: &str) -> Result<Trace, TraceError> {
    let mut mode = None;
    let mut buffers = None;
    let mut td = None;
    let mut end = None;
    let mut header = Vec::new();
    let mut entries = Vec::new();
    let mut calls = 0u32;
    for (i, raw) in log.lines().enumerate() {
        let line = i + 1;
        let text = raw.trim();
        let Some(rest) = text.strip_prefix("trace ") else {
            continue;
        };
        let Some(rest) = rest.strip_prefix("v1 ") else {
            return Err(TraceError::Version { line });
        };
        let err = |what: String| TraceError::Line { line, what };
        let mut w = rest.split_ascii_whitespace();
        match w.next() {
            Some("mode") => {
                mode = Some(match w.next() {
                    Some("td") => Mode::Td,
                    Some("rehearsal") => Mode::Rehearsal,
                    other => return Err(err(format!("unknown mode {other:?}"))),
                });
                header.push(text.to_string());
            }
            Some("buffers") => {
                let base = hex(w.next(), "base").map_err(err)?;
                let len = hex(w.next(), "length").map_err(err)?;
                buffers = Some((base, len));
                header.push(text.to_string());
            }
            Some("td") => {
                let mut cfg = TdConfig::default();
                keyword(w.next(), "model").map_err(err)?;
                cfg.module_version = version(w.next().unwrap_or("")).map_err(err)?;
                keyword(w.next(), "gpaw").map_err(err)?;
                cfg.gpaw_52 = match w.next() {
                    Some("48") => false,
                    Some("52") => true,
                    other => return Err(err(format!("GPAW {other:?} is neither 48 nor 52"))),
                };
                keyword(w.next(), "attributes").map_err(err)?;
                cfg.attributes = hex(w.next(), "attributes").map_err(err)?;
                keyword(w.next(), "vcpus").map_err(err)?;
                let num = hex(w.next(), "vcpus").map_err(err)?;
                let max = hex(w.next(), "max vcpus").map_err(err)?;
                keyword(w.next(), "index").map_err(err)?;
                let index = hex(w.next(), "vcpu index").map_err(err)?;
                let u32_of = |v: u64, what: &str| {
                    u32::try_from(v).map_err(|_| err(format!("{what} {v:#x} exceeds 32 bits")))
                };
                cfg.num_vcpus = u32_of(num, "vcpus")?;
                cfg.max_vcpus = u32_of(max, "max vcpus")?;
                cfg.vcpu_index = u32_of(index, "vcpu index")?;
                td = Some(cfg);
                header.push(text.to_string());
            }
            Some("mem") => {
                let gpa = hex(w.next(), "address").map_err(err)?;
                let h = w.next().ok_or_else(|| err("bytes missing".into()))?;
                let digit = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
                let bytes = h
                    .as_bytes()
                    .chunks(2)
                    .map(|p| match p {
                        [a, b] => Some(digit(*a)? << 4 | digit(*b)?),
                        _ => None,
                    })
                    .collect::<Option<Vec<u8>>>()
                    .ok_or_else(|| err("bytes are not pairs of hexadecimal digits".into()))?;
                entries.push(Entry::Mem {
                    gpa,
                    bytes,
                    text: text.to_string(),
                });
            }
            Some("call") => {
                let seq = sequence(w.next()).map_err(err)?;
                keyword(w.next(), "contract").map_err(err)?;
                let leaf = hex(w.next(), "leaf").map_err(err)?;
                let version = hex(w.next(), "version").map_err(err)?;
                let contract = match (u16::try_from(leaf), u8::try_from(version)) {
                    (Ok(l), Ok(v)) => (l, v),
                    _ => return Err(err(format!("no leaf {leaf:#x} version {version:#x}"))),
                };
                let (input, out, rflags) = registers(&mut w).map_err(err)?;
                keyword(w.next(), "pred").map_err(err)?;
                let pred = match w.next() {
                    Some("-") => None,
                    p => Some(regs(p, "prediction").map_err(err)?),
                };
                let ok = verdict(w.next()).map_err(err)?;
                entries.push(Entry::Call(Box::new(CallRecord {
                    line,
                    seq,
                    contract,
                    vmcall: false,
                    input,
                    out,
                    rflags,
                    pred,
                    ok,
                    text: text.to_string(),
                })));
                calls += 1;
            }
            Some("vmcall") => {
                let seq = sequence(w.next()).map_err(err)?;
                let (input, out, rflags) = registers(&mut w).map_err(err)?;
                let ok = verdict(w.next()).map_err(err)?;
                entries.push(Entry::Call(Box::new(CallRecord {
                    line,
                    seq,
                    contract: (0, 0),
                    vmcall: true,
                    input,
                    out,
                    rflags,
                    pred: None,
                    ok,
                    text: text.to_string(),
                })));
                calls += 1;
            }
            Some("end") => {
                let n = hex(w.next(), "call count").map_err(err)?;
                end = Some(u32::try_from(n).map_err(|_| err("call count exceeds 32 bits".into()))?);
            }
            other => return Err(err(format!("unknown trace line {other:?}"))),
        }
        if let Some(extra) = w.next() {
            return Err(err(format!("unexpected {extra:?} at the end of the line")));
        }
    }
    let end = end.ok_or(TraceError::Missing("end"))?;
    if end != calls {
        return Err(TraceError::Count { end, calls });
    }
    Ok(Trace {
        mode: mode.ok_or(TraceError::Missing("mode"))?,
        buffers: buffers.ok_or(TraceError::Missing("buffers"))?,
        td: td.ok_or(TraceError::Missing("td"))?,
        entries,
        header,
    })
}

impl Trace {
    /// The trace as text again, with only `keep` of its entries: a shorter trace that replays
    /// the same way as far as those entries go. `unpredicted`: the calls lose their
    /// predictions, so they are checked against the contract and the wrappers only.
    pub fn text_of(&self, keep: &[usize], unpredicted: bool) -> String {
        let mut s = String::new();
        for h in &self.header {
            s.push_str(h);
            s.push('\n');
        }
        let mut calls = 0u32;
        for &k in keep {
            match &self.entries[k] {
                Entry::Mem { text, .. } => s.push_str(text),
                Entry::Call(c) if unpredicted => {
                    s.push_str(&c.line_without_prediction());
                    calls += 1;
                }
                Entry::Call(c) => {
                    s.push_str(&c.text);
                    calls += 1;
                }
            }
            s.push('\n');
        }
        s.push_str(&format!("trace v1 end {calls:x}\n"));
        s
    }
}

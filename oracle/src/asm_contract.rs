//! Static check of `asm!` register operands against the model's register contracts.
//!
//! [`check_source`] reads Rust source text, finds every `asm!(...)` block (balanced
//! delimiters; comments, strings and char literals skipped) and compares what each block
//! declares with the `tdx_model` contract of the TDCALL leaf it executes:
//!
//! * every register the contract may modify must be declared written (`out`, `lateout`,
//!   `inout`, `inlateout`, `clobber_abi`) or saved and restored by the template itself (`push`
//!   before the TDCALL, the matching `pop` after it, not written outside that pair);
//! * every input register must be declared read (`in`, `inout`, `inlateout`) or set by the
//!   template before the TDCALL (`mov`, `xor r, r`, ...);
//! * every register the template names as a destination must be declared written or saved:
//!   the compiler knows nothing about it otherwise.
//!
//! A register declared written that the contract preserves is conservative and only noted.
//!
//! The leaf is RAX at the TDCALL: the `rax` operand (or the template's own `mov`/`xor` before
//! the TDCALL), a constant expression of literals and names (`TDG_VM_RD | 1 << VERSION_SHIFT`).
//! Names are resolved through the model's constants ([`tdx_model::leaf`],
//! [`tdx_model::vmcall::subfunction`]), never through `tdcall`'s. For TDG.VP.VMCALL (RAX = 0):
//! a block with constant R10/R11 is checked against that sub-function's
//! [`VmcallContract`]; otherwise it is a trampoline serving several sub-functions. A trampoline
//! block in a `match` arm (`3 => unsafe { asm!(..) }`) is `tdcall::vmcall::tdvmcall_thin`'s
//! block for that `bound` (R10 up to R9 + bound are bound, `_` takes the bounds the other arms
//! leave); it serves every sub-function exposing only R10–R15 whose highest exposed register is
//! R9 + bound (bound 2 at least), and is also checked against the leaf-level contract
//! ([`VMCALL_LEAF`]) with every register it binds selected. A trampoline block outside a match
//! arm is the fat one: it serves every sub-function exposing a register outside R10–R15.
//! A TDG.VP.VMCALL may modify RAX and the selected registers ([`VMCALL_LEAF`]'s `may_modify`
//! restricted to them: the module restores RCX, so RCX declared written is only noted).
//!
//! Limits: it reads source text, not the compiled program. Operands or template lines that
//! macros generate are not seen (the only macro understood is `tdcall!()`, read as the TDCALL
//! bytes); `cfg`-disabled blocks are checked like the others; a block whose RAX is not a
//! constant of known names is reported unidentified. The template's instruction table is small:
//! an unknown mnemonic is taken to write every register it names. Registers a trampoline's
//! const-generic `GPR_SELECT` exposes are not seen (only a literal RCX is); XMM registers are
//! out of scope.

use core::fmt;

use tdx_model::contract::{lookup, LeafContract, VMCALL_LEAF};
use tdx_model::vmcall::{subfunction, vmcall_lookup, VmcallContract, VMCALL_CONTRACTS};
use tdx_model::{leaf, Gpr, RegSet};

// ---- Lexer --------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    Ident(String),
    Punct(&'static str),
    Str(String),
    Num(String),
    /// A char or byte literal (its value is never needed).
    Char,
    Lifetime,
}

#[derive(Clone, Debug)]
struct Token {
    tok: Tok,
    line: usize,
}

impl Token {
    fn is_punct(&self, p: &str) -> bool {
        matches!(&self.tok, Tok::Punct(q) if *q == p)
    }

    fn ident(&self) -> Option<&str> {
        match &self.tok {
            Tok::Ident(s) => Some(s),
            _ => None,
        }
    }

    fn text(&self) -> String {
        match &self.tok {
            Tok::Ident(s) | Tok::Num(s) => s.clone(),
            Tok::Punct(p) => (*p).to_string(),
            Tok::Str(s) => format!("{s:?}"),
            Tok::Char => "'_'".into(),
            Tok::Lifetime => "'_".into(),
        }
    }
}

const PUNCT2: [&str; 12] = [
    "=>", "::", "<<", ">>", "->", "==", "!=", "<=", ">=", "&&", "||", "..",
];
const PUNCT1: &str = "!#$%&()*+,-./:;<=>?@[]^{|}~";

/// The interned spelling of a punctuation token (`Tok::Punct` holds `&'static str`).
fn match_punct(p: &str) -> &'static str {
    if let Some(q) = PUNCT2.iter().find(|q| **q == p) {
        return q;
    }
    match PUNCT1.find(p) {
        Some(i) if p.len() == 1 => &PUNCT1[i..i + 1],
        _ => "",
    }
}

fn is_ident_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn is_ident_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// Tokens of Rust source, without comments. Strings keep their (unescaped) contents.
fn lex(src: &str) -> Result<Vec<Token>, String> {
    let s: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line = 1;
    while i < s.len() {
        let c = s[i];
        let at = line;
        let next = s.get(i + 1).copied();
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '/' && next == Some('/') {
            while i < s.len() && s[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            // Block comments nest in Rust.
            let mut depth = 0;
            loop {
                match (s.get(i), s.get(i + 1)) {
                    (None, _) => return Err(format!("line {at}: unterminated block comment")),
                    (Some('/'), Some('*')) => {
                        depth += 1;
                        i += 2;
                    }
                    (Some('*'), Some('/')) => {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    }
                    (Some(ch), _) => {
                        line += usize::from(*ch == '\n');
                        i += 1;
                    }
                }
            }
        } else if c == '"' {
            let (text, end) = quoted(&s, i + 1, &mut line, at)?;
            out.push(Token {
                tok: Tok::Str(text),
                line: at,
            });
            i = end;
        } else if c == '\'' {
            i = char_or_lifetime(&s, i, &mut out, at);
        } else if c.is_ascii_digit() {
            let start = i;
            while i < s.len()
                && (is_ident_char(s[i])
                    || (s[i] == '.' && s.get(i + 1).is_some_and(char::is_ascii_digit)))
            {
                i += 1;
            }
            out.push(Token {
                tok: Tok::Num(s[start..i].iter().collect()),
                line: at,
            });
        } else if is_ident_start(c) {
            let start = i;
            while i < s.len() && is_ident_char(s[i]) {
                i += 1;
            }
            let word: String = s[start..i].iter().collect();
            i = ident_or_literal(&s, i, word, &mut out, &mut line, at)?;
        } else {
            let two: String = s[i..(i + 2).min(s.len())].iter().collect();
            let (p, len) = if PUNCT2.contains(&two.as_str()) {
                (match_punct(&two), 2)
            } else {
                (match_punct(&c.to_string()), 1)
            };
            if p.is_empty() {
                return Err(format!("line {at}: unexpected character {c:?}"));
            }
            out.push(Token {
                tok: Tok::Punct(p),
                line: at,
            });
            i += len;
        }
    }
    Ok(out)
}

/// A word just read at `s[..i]`: an identifier, or the prefix of a raw/byte/C string, a byte
/// literal or a raw identifier. Returns where lexing continues.
fn ident_or_literal(
    s: &[char],
    i: usize,
    word: String,
    out: &mut Vec<Token>,
    line: &mut usize,
    at: usize,
) -> Result<usize, String> {
    let next = s.get(i).copied();
    let raw_prefix = matches!(word.as_str(), "r" | "br" | "cr");
    if raw_prefix && matches!(next, Some('"' | '#')) {
        let mut hashes = 0;
        while s.get(i + hashes) == Some(&'#') {
            hashes += 1;
        }
        if s.get(i + hashes) == Some(&'"') {
            let mut j = i + hashes + 1;
            let start = j;
            loop {
                match s.get(j) {
                    None => return Err(format!("line {at}: unterminated raw string")),
                    Some('"') if (1..=hashes).all(|k| s.get(j + k) == Some(&'#')) => break,
                    Some(ch) => {
                        *line += usize::from(*ch == '\n');
                        j += 1;
                    }
                }
            }
            out.push(Token {
                tok: Tok::Str(s[start..j].iter().collect()),
                line: at,
            });
            return Ok(j + 1 + hashes);
        }
        if word == "r" && hashes == 1 && s.get(i + 1).is_some_and(|c| is_ident_start(*c)) {
            // Raw identifier `r#name`.
            let mut j = i + 1;
            while j < s.len() && is_ident_char(s[j]) {
                j += 1;
            }
            out.push(Token {
                tok: Tok::Ident(s[i + 1..j].iter().collect()),
                line: at,
            });
            return Ok(j);
        }
    }
    if matches!(word.as_str(), "b" | "c") && next == Some('"') {
        let (text, end) = quoted(s, i + 1, line, at)?;
        out.push(Token {
            tok: Tok::Str(text),
            line: at,
        });
        return Ok(end);
    }
    if word == "b" && next == Some('\'') {
        return Ok(char_or_lifetime(s, i, out, at));
    }
    out.push(Token {
        tok: Tok::Ident(word),
        line: at,
    });
    Ok(i)
}

/// The contents of a `"`-string whose body starts at `s[i]`, and the index after its closing
/// quote. Escapes are decoded as far as the templates need (`\n`, `\t`, `\\`, `\"`, line
/// continuations); others are kept as written.
fn quoted(
    s: &[char],
    mut i: usize,
    line: &mut usize,
    at: usize,
) -> Result<(String, usize), String> {
    let mut text = String::new();
    loop {
        match s.get(i) {
            None => return Err(format!("line {at}: unterminated string")),
            Some('"') => return Ok((text, i + 1)),
            Some('\\') => {
                match s.get(i + 1) {
                    Some('n') => text.push('\n'),
                    Some('t') => text.push('\t'),
                    Some('\\') => text.push('\\'),
                    Some('"') => text.push('"'),
                    Some('\'') => text.push('\''),
                    Some('0') => text.push('\0'),
                    Some('\n') => {
                        // Line continuation: the newline and the next line's indentation go.
                        *line += 1;
                        i += 2;
                        while s.get(i).is_some_and(|c| c.is_whitespace()) {
                            *line += usize::from(s[i] == '\n');
                            i += 1;
                        }
                        continue;
                    }
                    Some(other) => {
                        text.push('\\');
                        text.push(*other);
                    }
                    None => return Err(format!("line {at}: unterminated string")),
                }
                i += 2;
            }
            Some(ch) => {
                *line += usize::from(*ch == '\n');
                text.push(*ch);
                i += 1;
            }
        }
    }
}

/// A char literal (`'x'`, `'\n'`, `'\u{..}'`) or a lifetime at `s[i] == '\''`. Returns where
/// lexing continues.
fn char_or_lifetime(s: &[char], i: usize, out: &mut Vec<Token>, at: usize) -> usize {
    if s.get(i + 1) == Some(&'\\') {
        // Escaped char: the escaped character itself may be a quote, so search from i + 3.
        let mut j = i + 3;
        while j < s.len() && s[j] != '\'' {
            j += 1;
        }
        out.push(Token {
            tok: Tok::Char,
            line: at,
        });
        return j + 1;
    }
    if s.get(i + 2) == Some(&'\'') {
        out.push(Token {
            tok: Tok::Char,
            line: at,
        });
        return i + 3;
    }
    let mut j = i + 1;
    while j < s.len() && is_ident_char(s[j]) {
        j += 1;
    }
    out.push(Token {
        tok: Tok::Lifetime,
        line: at,
    });
    j
}

// ---- Registers ----------------------------------------------------------------------------

/// The GPR a register name denotes, any width (`rax`, `eax`, `ax`, `al`, `ah` → RAX; `r8`,
/// `r8d`, `r8w`, `r8b` → R8), with the width in bits. Case-insensitive.
pub fn gpr_width_of(name: &str) -> Option<(Gpr, u8)> {
    const LEGACY: [(Gpr, [&str; 5]); 8] = [
        (Gpr::Rax, ["rax", "eax", "ax", "al", "ah"]),
        (Gpr::Rcx, ["rcx", "ecx", "cx", "cl", "ch"]),
        (Gpr::Rdx, ["rdx", "edx", "dx", "dl", "dh"]),
        (Gpr::Rbx, ["rbx", "ebx", "bx", "bl", "bh"]),
        (Gpr::Rsp, ["rsp", "esp", "sp", "spl", "spl"]),
        (Gpr::Rbp, ["rbp", "ebp", "bp", "bpl", "bpl"]),
        (Gpr::Rsi, ["rsi", "esi", "si", "sil", "sil"]),
        (Gpr::Rdi, ["rdi", "edi", "di", "dil", "dil"]),
    ];
    const WIDTHS: [u8; 5] = [64, 32, 16, 8, 8];
    let n = name.trim().to_ascii_lowercase();
    for (gpr, names) in LEGACY {
        if let Some(k) = names.iter().position(|m| *m == n) {
            return Some((gpr, WIDTHS[k]));
        }
    }
    let rest = n.strip_prefix('r')?;
    let digits = rest.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let width = match &rest[digits.len()..] {
        "" => 64,
        "d" => 32,
        "w" => 16,
        "b" | "l" => 8,
        _ => return None,
    };
    let index: usize = digits.parse().ok()?;
    match index {
        8..=15 => Some((Gpr::from_index(index)?, width)),
        _ => None,
    }
}

/// The GPR a register name denotes, any width (see [`gpr_width_of`]).
pub fn gpr_of(name: &str) -> Option<Gpr> {
    gpr_width_of(name).map(|(g, _)| g)
}

/// Register names of a set, comma separated, in index order (`"RAX, R11"`; `"-"` if empty).
pub fn reg_names(set: RegSet) -> String {
    if set.is_empty() {
        return "-".into();
    }
    set.iter().map(Gpr::name).collect::<Vec<_>>().join(", ")
}

/// The registers of `R10` up to `R10 + count - 1`.
fn r10_up(count: usize) -> RegSet {
    (10..10 + count)
        .filter_map(Gpr::from_index)
        .fold(RegSet::EMPTY, RegSet::with)
}

/// The registers a `clobber_abi` names (the caller-saved GPRs of that ABI).
fn clobber_abi_regs(abi: &str) -> Option<RegSet> {
    use Gpr::*;
    match abi {
        "C" | "system" | "sysv64" => Some(RegSet::of(&[Rax, Rcx, Rdx, Rsi, Rdi, R8, R9, R10, R11])),
        "win64" | "efiapi" => Some(RegSet::of(&[Rax, Rcx, Rdx, R8, R9, R10, R11])),
        _ => None,
    }
}

// ---- Constant expressions -----------------------------------------------------------------

/// The value of a name in an operand expression, from the model: leaf numbers
/// ([`tdx_model::leaf`]), the RAX version shift (from [`leaf::rax`]) and the GHCI sub-function
/// numbers ([`tdx_model::vmcall::subfunction`]). Only the last path segment counts.
pub fn model_constant(name: &str) -> Option<u64> {
    const LEAVES: [(&str, u16); 22] = [
        ("TDG_VP_VMCALL", leaf::TDG_VP_VMCALL),
        ("TDG_VP_INFO", leaf::TDG_VP_INFO),
        ("TDG_MR_RTMR_EXTEND", leaf::TDG_MR_RTMR_EXTEND),
        ("TDG_VP_VEINFO_GET", leaf::TDG_VP_VEINFO_GET),
        ("TDG_MR_REPORT", leaf::TDG_MR_REPORT),
        ("TDG_VP_CPUIDVE_SET", leaf::TDG_VP_CPUIDVE_SET),
        ("TDG_MEM_PAGE_ACCEPT", leaf::TDG_MEM_PAGE_ACCEPT),
        ("TDG_VM_RD", leaf::TDG_VM_RD),
        ("TDG_VM_WR", leaf::TDG_VM_WR),
        ("TDG_VP_RD", leaf::TDG_VP_RD),
        ("TDG_VP_WR", leaf::TDG_VP_WR),
        ("TDG_SYS_RD", leaf::TDG_SYS_RD),
        ("TDG_SYS_RDALL", leaf::TDG_SYS_RDALL),
        ("TDG_SERVTD_RD", leaf::TDG_SERVTD_RD),
        ("TDG_SERVTD_WR", leaf::TDG_SERVTD_WR),
        ("TDG_MR_VERIFYREPORT", leaf::TDG_MR_VERIFYREPORT),
        ("TDG_MEM_PAGE_ATTR_RD", leaf::TDG_MEM_PAGE_ATTR_RD),
        ("TDG_MEM_PAGE_ATTR_WR", leaf::TDG_MEM_PAGE_ATTR_WR),
        ("TDG_VP_ENTER", leaf::TDG_VP_ENTER),
        ("TDG_VP_INVEPT", leaf::TDG_VP_INVEPT),
        ("TDG_VP_INVGLA", leaf::TDG_VP_INVGLA),
        ("TDG_MR_KEY_GET", leaf::TDG_MR_KEY_GET),
    ];
    const SUBFUNCTIONS: [(&str, u64); 13] = [
        ("GET_TD_VM_CALL_INFO", subfunction::GET_TD_VM_CALL_INFO),
        ("MAP_GPA", subfunction::MAP_GPA),
        ("GET_QUOTE", subfunction::GET_QUOTE),
        ("REPORT_FATAL_ERROR", subfunction::REPORT_FATAL_ERROR),
        (
            "SETUP_EVENT_NOTIFY_INTERRUPT",
            subfunction::SETUP_EVENT_NOTIFY_INTERRUPT,
        ),
        ("SERVICE", subfunction::SERVICE),
        ("INSTRUCTION_CPUID", subfunction::INSTRUCTION_CPUID),
        ("INSTRUCTION_HLT", subfunction::INSTRUCTION_HLT),
        ("INSTRUCTION_IO", subfunction::INSTRUCTION_IO),
        ("INSTRUCTION_RDMSR", subfunction::INSTRUCTION_RDMSR),
        ("INSTRUCTION_WRMSR", subfunction::INSTRUCTION_WRMSR),
        ("VE_REQUEST_MMIO", subfunction::VE_REQUEST_MMIO),
        ("INSTRUCTION_WBINVD", subfunction::INSTRUCTION_WBINVD),
    ];
    if name == "VERSION_SHIFT" {
        return Some(u64::from(leaf::rax(0, 1).trailing_zeros()));
    }
    LEAVES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| u64::from(*v))
        .or_else(|| {
            SUBFUNCTIONS
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| *v)
        })
}

/// An integer literal (`1u64`, `0x1_0007`, `0b11`), suffix ignored.
fn parse_int(text: &str) -> Option<u64> {
    let t = text.replace('_', "");
    let t = t.to_ascii_lowercase();
    let (digits, radix) = if let Some(h) = t.strip_prefix("0x") {
        (h, 16)
    } else if let Some(b) = t.strip_prefix("0b") {
        (b, 2)
    } else if let Some(o) = t.strip_prefix("0o") {
        (o, 8)
    } else {
        (t.as_str(), 10)
    };
    let end = digits
        .find(|c: char| !c.is_digit(radix))
        .unwrap_or(digits.len());
    let (num, suffix) = digits.split_at(end);
    let suffix_ok = suffix.is_empty()
        || matches!(
            suffix,
            "u8" | "u16" | "u32" | "u64" | "usize" | "i8" | "i16" | "i32" | "i64" | "isize"
        );
    if num.is_empty() || !suffix_ok {
        return None;
    }
    u64::from_str_radix(num, radix).ok()
}

/// Evaluates `|`, `&`, `<<`, `>>`, `+`, parentheses, `as` casts, integer literals and model
/// names ([`model_constant`]). Anything else (a variable, a call) is not constant: `None`.
struct Eval<'a> {
    toks: &'a [Token],
    pos: usize,
}

impl Eval<'_> {
    fn run(toks: &[Token]) -> Option<u64> {
        let mut e = Eval { toks, pos: 0 };
        let v = e.or()?;
        (e.pos == toks.len()).then_some(v)
    }

    fn peek(&self, p: &str) -> bool {
        self.toks.get(self.pos).is_some_and(|t| t.is_punct(p))
    }

    fn or(&mut self) -> Option<u64> {
        let mut v = self.and()?;
        while self.peek("|") {
            self.pos += 1;
            v |= self.and()?;
        }
        Some(v)
    }

    fn and(&mut self) -> Option<u64> {
        let mut v = self.shift()?;
        while self.peek("&") {
            self.pos += 1;
            v &= self.shift()?;
        }
        Some(v)
    }

    fn shift(&mut self) -> Option<u64> {
        let mut v = self.sum()?;
        loop {
            if self.peek("<<") {
                self.pos += 1;
                v = v.checked_shl(u32::try_from(self.sum()?).ok()?)?;
            } else if self.peek(">>") {
                self.pos += 1;
                v = v.checked_shr(u32::try_from(self.sum()?).ok()?)?;
            } else {
                return Some(v);
            }
        }
    }

    fn sum(&mut self) -> Option<u64> {
        let mut v = self.cast()?;
        while self.peek("+") {
            self.pos += 1;
            v = v.checked_add(self.cast()?)?;
        }
        Some(v)
    }

    fn cast(&mut self) -> Option<u64> {
        let mut v = self.primary()?;
        while self.toks.get(self.pos).and_then(Token::ident) == Some("as") {
            let ty = self.toks.get(self.pos + 1).and_then(Token::ident)?;
            v &= match ty {
                "u8" => 0xff,
                "u16" => 0xffff,
                "u32" => 0xffff_ffff,
                "u64" | "usize" => u64::MAX,
                _ => return None,
            };
            self.pos += 2;
        }
        Some(v)
    }

    fn primary(&mut self) -> Option<u64> {
        let t = self.toks.get(self.pos)?;
        self.pos += 1;
        match &t.tok {
            Tok::Num(n) => parse_int(n),
            Tok::Punct("(") => {
                let v = self.or()?;
                self.peek(")").then(|| self.pos += 1)?;
                Some(v)
            }
            Tok::Ident(first) => {
                let mut last = first.as_str();
                while self.peek("::") {
                    last = self.toks.get(self.pos + 1).and_then(Token::ident)?;
                    self.pos += 2;
                }
                model_constant(last)
            }
            _ => None,
        }
    }
}

fn tokens_text(toks: &[Token]) -> String {
    toks.iter().map(Token::text).collect::<Vec<_>>().join(" ")
}

// ---- asm! blocks --------------------------------------------------------------------------

/// How an operand uses its register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// `in`.
    In,
    /// `out` / `lateout`.
    Out,
    /// `inout` / `inlateout`.
    InOut,
    /// `const`.
    Const,
    /// `sym`.
    Sym,
}

/// One operand of an `asm!` block.
#[derive(Clone, Debug)]
pub struct Operand {
    /// `name = ...`, if named.
    pub name: Option<String>,
    /// How it is used.
    pub direction: Direction,
    /// The explicit register (`in("rax")`), or `None` for a register class or `const`/`sym`.
    pub reg: Option<Gpr>,
    /// The expression read (`in`, `inout`'s input, `const`), as text.
    pub input_text: String,
    input: Vec<Token>,
}

/// One instruction operand of a template line.
#[derive(Clone, Debug, PartialEq, Eq)]
enum AsmArg {
    Reg(Gpr, u8),
    /// A memory operand; the registers of its address.
    Mem(RegSet),
    /// `{name}` or `{name:e}`.
    Placeholder(String),
    Imm(u64),
    Other,
}

/// One line of the template, in order.
#[derive(Clone, Debug)]
enum Line {
    Tdcall,
    Instr { mnemonic: String, args: Vec<AsmArg> },
}

/// An `asm!` block as written in the source.
#[derive(Clone, Debug)]
pub struct AsmBlock {
    /// 1-based line of `asm!`.
    pub line: usize,
    /// The function the block is in (the last `fn name` before it).
    pub function: Option<String>,
    /// The `match` arm label when the block is `LABEL => unsafe { asm!(..) }`.
    pub arm: Option<String>,
    /// The operands.
    pub operands: Vec<Operand>,
    /// The `clobber_abi` names.
    pub clobber_abis: Vec<String>,
    lines: Vec<Line>,
}

/// The template's effect on registers.
#[derive(Clone, Copy, Debug, Default)]
struct TemplateEffect {
    tdcalls: usize,
    /// Destination registers (pops included).
    written: RegSet,
    /// Pushed before the TDCALL, popped after it, not written outside the pair.
    preserved: RegSet,
    /// Set before the TDCALL, with the value when it is a constant.
    set_before: [Option<Option<u64>>; 16],
}

impl AsmBlock {
    /// Registers declared read: `in`, `inout`, `inlateout`.
    pub fn declared_read(&self) -> RegSet {
        self.explicit(|d| matches!(d, Direction::In | Direction::InOut))
    }

    /// Registers declared written: `out`, `lateout`, `inout`, `inlateout`, `clobber_abi`.
    pub fn declared_written(&self) -> Result<RegSet, String> {
        let mut set = self.explicit(|d| matches!(d, Direction::Out | Direction::InOut));
        for abi in &self.clobber_abis {
            set = set.union(
                clobber_abi_regs(abi).ok_or_else(|| format!("unknown clobber_abi({abi:?})"))?,
            );
        }
        Ok(set)
    }

    /// Registers the template names, in any role.
    pub fn template_named(&self) -> RegSet {
        let mut set = RegSet::EMPTY;
        for l in &self.lines {
            if let Line::Instr { args, .. } = l {
                for a in args {
                    match a {
                        AsmArg::Reg(g, _) => set = set.with(*g),
                        AsmArg::Mem(m) => set = set.union(*m),
                        _ => {}
                    }
                }
            }
        }
        set
    }

    /// Registers the template saves before the TDCALL and restores after it (push/pop pairs),
    /// without writing them outside the pair.
    pub fn template_preserved(&self) -> RegSet {
        self.effect().preserved
    }

    /// Number of TDCALL instructions in the template.
    pub fn tdcalls(&self) -> usize {
        self.effect().tdcalls
    }

    fn explicit(&self, f: impl Fn(Direction) -> bool) -> RegSet {
        self.operands
            .iter()
            .filter(|o| f(o.direction))
            .filter_map(|o| o.reg)
            .fold(RegSet::EMPTY, RegSet::with)
    }

    fn const_operand(&self, name: &str) -> Option<u64> {
        self.operands
            .iter()
            .find(|o| o.direction == Direction::Const && o.name.as_deref() == Some(name))
            .and_then(|o| Eval::run(&o.input))
    }

    fn effect(&self) -> TemplateEffect {
        let mut e = TemplateEffect::default();
        // (register, line of the push, line of the pop): pairs around the TDCALL.
        let mut pushes: Vec<(Gpr, usize)> = Vec::new();
        let mut pairs: Vec<(Gpr, usize, usize)> = Vec::new();
        let mut writes: Vec<(Gpr, usize)> = Vec::new();
        let mut tdcall_at = None;
        for (i, l) in self.lines.iter().enumerate() {
            let (mnemonic, args) = match l {
                Line::Tdcall => {
                    e.tdcalls += 1;
                    tdcall_at.get_or_insert(i);
                    continue;
                }
                Line::Instr { mnemonic, args } => (mnemonic.as_str(), args.as_slice()),
            };
            let before = tdcall_at.is_none();
            let reg = |k: usize| match args.get(k) {
                Some(AsmArg::Reg(g, w)) => Some((*g, *w)),
                _ => None,
            };
            let mut write = |g: Gpr, value: Option<Option<u64>>| {
                writes.push((g, i));
                if before {
                    // A full-value definition, or a read-modify-write of a set register.
                    e.set_before[g.index()] = match value {
                        Some(v) => Some(v),
                        None => e.set_before[g.index()].map(|_| None),
                    };
                }
            };
            match mnemonic {
                "push" => {
                    if let Some((g, _)) = reg(0) {
                        pushes.push((g, i));
                    }
                }
                "pop" => {
                    if let Some((g, _)) = reg(0) {
                        if let Some(&(top, at)) = pushes.last() {
                            if top == g {
                                pushes.pop();
                                pairs.push((g, at, i));
                            }
                        }
                        write(g, Some(None));
                    }
                }
                "mov" | "movabs" | "movzx" | "movsx" | "movsxd" | "lea" => {
                    if let Some((g, w)) = reg(0) {
                        let value = match args.get(1) {
                            Some(AsmArg::Imm(v)) => Some(*v),
                            Some(AsmArg::Placeholder(n)) => self.const_operand(n),
                            _ => None,
                        };
                        // 32- and 64-bit writes define the whole register.
                        write(g, (w >= 32).then_some(value.filter(|_| mnemonic != "lea")));
                    }
                }
                // `xor r, r` / `sub r, r`: zero.
                "xor" | "sub" if args.len() == 2 && reg(0).is_some() && reg(0) == reg(1) => {
                    if let Some((g, w)) = reg(0) {
                        write(g, (w >= 32).then_some(Some(0)));
                    }
                }
                "cmp" | "test" | "bt" | "nop" | "pause" | "lfence" | "mfence" | "sfence" => {}
                m if m.starts_with('.') || m.starts_with('j') => {}
                "xchg" => {
                    for k in 0..2 {
                        if let Some((g, _)) = reg(k) {
                            write(g, None);
                        }
                    }
                }
                "and" | "or" | "xor" | "add" | "sub" | "adc" | "sbb" | "shl" | "shr" | "sar"
                | "rol" | "ror" | "imul" | "not" | "neg" | "inc" | "dec" | "bswap" => {
                    if let Some((g, _)) = reg(0) {
                        write(g, None);
                    }
                }
                m if m.starts_with("cmov") || m.starts_with("set") => {
                    if let Some((g, _)) = reg(0) {
                        write(g, None);
                    }
                }
                // Unknown: every register it names may be written.
                _ => {
                    for k in 0..args.len() {
                        if let Some((g, _)) = reg(k) {
                            write(g, None);
                        }
                    }
                }
            }
        }
        for (g, _) in &writes {
            e.written = e.written.with(*g);
        }
        if let Some(t) = tdcall_at {
            for (g, push, pop) in pairs {
                let outside = writes
                    .iter()
                    .any(|(w, at)| *w == g && (*at < push || *at > pop));
                if push < t && t < pop && !outside {
                    e.preserved = e.preserved.with(g);
                }
            }
        }
        e
    }

    /// The register's value at the TDCALL: set by the template before it, else the input
    /// operand's constant expression. `Err` holds the expression when it is not a constant.
    fn value_at_tdcall(&self, e: &TemplateEffect, g: Gpr) -> Result<u64, String> {
        if let Some(set) = e.set_before[g.index()] {
            return set.ok_or_else(|| "set by the template to a non-constant".to_string());
        }
        let op = self
            .operands
            .iter()
            .find(|o| o.reg == Some(g) && matches!(o.direction, Direction::In | Direction::InOut))
            .ok_or_else(|| "not an input".to_string())?;
        Eval::run(&op.input).ok_or_else(|| format!("`{}`", op.input_text))
    }
}

/// Splits at depth-0 commas.
fn split_args(toks: &[Token]) -> Vec<&[Token]> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, t) in toks.iter().enumerate() {
        match &t.tok {
            Tok::Punct("(" | "[" | "{") => depth += 1,
            Tok::Punct(")" | "]" | "}") => depth -= 1,
            Tok::Punct(",") if depth == 0 => {
                out.push(&toks[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if start < toks.len() {
        out.push(&toks[start..]);
    }
    out
}

/// Every `asm!(...)` block of a source file, in order.
pub fn scan(src: &str) -> Result<Vec<AsmBlock>, String> {
    let toks = lex(src)?;
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let is_asm =
            toks[i].ident() == Some("asm") && toks.get(i + 1).is_some_and(|t| t.is_punct("!"));
        if !is_asm {
            i += 1;
            continue;
        }
        let line = toks[i].line;
        if !toks.get(i + 2).is_some_and(|t| t.is_punct("(")) {
            return Err(format!(
                "line {line}: asm! without parentheses is not supported"
            ));
        }
        let mut depth = 0;
        let mut end = None;
        for (j, t) in toks.iter().enumerate().skip(i + 2) {
            match &t.tok {
                Tok::Punct("(" | "[" | "{") => depth += 1,
                Tok::Punct(")" | "]" | "}") => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(j);
                        break;
                    }
                }
                _ => {}
            }
        }
        let end = end.ok_or_else(|| format!("line {line}: unbalanced asm!"))?;
        let function = toks[..i]
            .windows(2)
            .rev()
            .find(|w| w[0].ident() == Some("fn"))
            .and_then(|w| w[1].ident().map(String::from));
        let arm = match i.checked_sub(4).map(|k| &toks[k..i]) {
            Some([label, arrow, unsafe_kw, brace])
                if arrow.is_punct("=>")
                    && unsafe_kw.ident() == Some("unsafe")
                    && brace.is_punct("{") =>
            {
                Some(label.text())
            }
            _ => None,
        };
        let mut block = AsmBlock {
            line,
            function,
            arm,
            operands: Vec::new(),
            clobber_abis: Vec::new(),
            lines: Vec::new(),
        };
        for arg in split_args(&toks[i + 3..end]) {
            parse_arg(&mut block, arg).map_err(|e| format!("line {line}: {e}"))?;
        }
        blocks.push(block);
        i = end + 1;
    }
    Ok(blocks)
}

fn parse_arg(block: &mut AsmBlock, arg: &[Token]) -> Result<(), String> {
    let Some(first) = arg.first() else {
        return Ok(()); // trailing comma
    };
    match (&first.tok, arg.get(1)) {
        (Tok::Str(s), _) => {
            for l in s.split(['\n', ';']) {
                if let Some(line) = parse_template_line(l) {
                    block.lines.push(line);
                }
            }
            return Ok(());
        }
        (Tok::Ident(m), Some(bang)) if bang.is_punct("!") => {
            // The only template macro understood: `tdcall!()`, the TDCALL bytes.
            return if m == "tdcall" {
                block.lines.push(Line::Tdcall);
                Ok(())
            } else {
                Err(format!("template macro {m}!() cannot be read"))
            };
        }
        _ => {}
    }
    let (name, rest) = match (first.ident(), arg.get(1)) {
        (Some(n), Some(eq)) if eq.is_punct("=") => (Some(n.to_string()), &arg[2..]),
        _ => (None, arg),
    };
    let keyword = rest.first().and_then(Token::ident).unwrap_or_default();
    let paren = |toks: &[Token]| -> Result<(Vec<Token>, usize), String> {
        // `kw( ... )` → the tokens inside and the index after `)`.
        if !toks.get(1).is_some_and(|t| t.is_punct("(")) {
            return Err(format!("`{keyword}` without parentheses"));
        }
        let close = toks
            .iter()
            .position(|t| t.is_punct(")"))
            .ok_or_else(|| format!("unclosed `{keyword}(`"))?;
        Ok((toks[2..close].to_vec(), close + 1))
    };
    let direction = match keyword {
        "in" => Direction::In,
        "out" | "lateout" => Direction::Out,
        "inout" | "inlateout" => Direction::InOut,
        "const" | "sym" => {
            let direction = if keyword == "const" {
                Direction::Const
            } else {
                Direction::Sym
            };
            block.operands.push(Operand {
                name,
                direction,
                reg: None,
                input_text: tokens_text(&rest[1..]),
                input: rest[1..].to_vec(),
            });
            return Ok(());
        }
        "options" => return Ok(()),
        "clobber_abi" => {
            let (inner, _) = paren(rest)?;
            for t in inner {
                if let Tok::Str(abi) = t.tok {
                    block.clobber_abis.push(abi);
                }
            }
            return Ok(());
        }
        _ => return Err(format!("cannot read operand `{}`", tokens_text(arg))),
    };
    let (spec, after) = paren(rest)?;
    let reg = match spec.as_slice() {
        [Token {
            tok: Tok::Str(r), ..
        }] => Some(gpr_of(r).ok_or_else(|| format!("unknown register {r:?}"))?),
        _ => None, // a register class: the compiler picks it and knows it
    };
    let expr = &rest[after..];
    let input: Vec<Token> = match direction {
        Direction::In => expr.to_vec(),
        Direction::InOut => {
            let arrow = expr.iter().position(|t| t.is_punct("=>"));
            expr[..arrow.unwrap_or(expr.len())].to_vec()
        }
        _ => Vec::new(),
    };
    block.operands.push(Operand {
        name,
        direction,
        reg,
        input_text: tokens_text(&input),
        input,
    });
    Ok(())
}

/// One template line: `None` if blank. Intel syntax (the `asm!` default).
fn parse_template_line(line: &str) -> Option<Line> {
    let l = line.split('#').next().unwrap_or_default().trim();
    // Leading labels (`1:`).
    let l = match l.find(':') {
        Some(k) if !l[..k].contains(char::is_whitespace) && !l[..k].contains('{') => {
            l[k + 1..].trim()
        }
        _ => l,
    };
    if l.is_empty() {
        return None;
    }
    let (mnemonic, rest) = l.split_once(char::is_whitespace).unwrap_or((l, ""));
    let mnemonic = mnemonic.to_ascii_lowercase();
    let mut args = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (k, c) in rest.char_indices() {
        match c {
            '[' | '{' => depth += 1,
            ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                args.push(&rest[start..k]);
                start = k + 1;
            }
            _ => {}
        }
    }
    if !rest.trim().is_empty() {
        args.push(&rest[start..]);
    }
    let words: Vec<String> = args.iter().map(|a| a.trim().to_ascii_lowercase()).collect();
    if mnemonic == "tdcall" || (mnemonic == ".byte" && words == ["0x66", "0x0f", "0x01", "0xcc"]) {
        return Some(Line::Tdcall);
    }
    let args = args.iter().map(|a| parse_asm_arg(a)).collect();
    Some(Line::Instr { mnemonic, args })
}

fn parse_asm_arg(arg: &str) -> AsmArg {
    let a = arg.trim();
    if let Some(open) = a.find('[') {
        let inner = &a[open + 1..a.rfind(']').unwrap_or(a.len())];
        let regs = inner
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter_map(gpr_of)
            .fold(RegSet::EMPTY, RegSet::with);
        return AsmArg::Mem(regs);
    }
    if let Some(inner) = a.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
        let name = inner.split(':').next().unwrap_or_default();
        return AsmArg::Placeholder(name.trim().to_string());
    }
    if let Some((g, w)) = gpr_width_of(a) {
        return AsmArg::Reg(g, w);
    }
    match parse_int(a) {
        Some(v) => AsmArg::Imm(v),
        None => AsmArg::Other,
    }
}

// ---- Contracts and the check --------------------------------------------------------------

/// What a block is expected to do, from one model contract.
#[derive(Clone, Debug)]
pub struct Expectation {
    /// The contract, e.g. `"TDG.VP.INFO (leaf 1, version 0)"`, `"TDG.VP.VMCALL<MapGPA>"`.
    pub contract: String,
    /// The model's sub-function contract, for TDG.VP.VMCALL blocks checked against one.
    pub vmcall: Option<&'static VmcallContract>,
    /// The model's leaf contract (for TDG.VP.VMCALL, [`VMCALL_LEAF`]).
    pub leaf: &'static LeafContract,
    /// Registers the TDCALL may change: RAX and, for TDG.VP.VMCALL, every selected register.
    pub may_modify: RegSet,
    /// Registers the TDCALL reads: RAX and the inputs.
    pub reads: RegSet,
    /// Remarks that do not fail the check.
    pub notes: Vec<String>,
}

impl Expectation {
    fn leaf(c: &'static LeafContract) -> Expectation {
        Expectation {
            contract: format!("{} (leaf {}, version {})", c.name, c.leaf, c.version),
            vmcall: None,
            leaf: c,
            may_modify: c.may_modify,
            reads: c.input_regs().with(Gpr::Rax),
            notes: Vec::new(),
        }
    }

    /// TDG.VP.VMCALL with `select` in GPR_SELECT: the module's contract restricted to it.
    fn vmcall_select(select: RegSet) -> Expectation {
        Expectation {
            contract: format!(
                "TDG.VP.VMCALL (GPR_SELECT within {{{}}})",
                reg_names(select)
            ),
            vmcall: None,
            leaf: &VMCALL_LEAF,
            may_modify: VMCALL_LEAF
                .may_modify
                .minus(select.complement())
                .with(Gpr::Rax),
            reads: VMCALL_LEAF.input_regs().with(Gpr::Rax),
            notes: Vec::new(),
        }
    }

    /// A sub-function: its exposed registers (and those of a literal RCX) may change.
    fn vmcall(v: &'static VmcallContract, rcx: Option<u64>) -> Expectation {
        let mut select = v.exposed;
        let mut notes = Vec::new();
        if let Some(rcx) = rcx {
            let literal = RegSet(rcx as u16);
            if literal != v.exposed {
                notes.push(format!(
                    "RCX selects {} but the contract exposes {}",
                    reg_names(literal),
                    reg_names(v.exposed)
                ));
            }
            let xmm = (rcx >> 16) & 0xffff;
            if xmm != 0 {
                notes.push(format!(
                    "RCX selects XMM registers (XMM_SELECT {xmm:#x}): not checked here"
                ));
            }
            select = select.union(literal);
        }
        Expectation {
            contract: format!("TDG.VP.VMCALL<{}>", v.name),
            vmcall: Some(v),
            leaf: &VMCALL_LEAF,
            may_modify: VMCALL_LEAF
                .may_modify
                .minus(select.complement())
                .with(Gpr::Rax),
            reads: v
                .input_regs()
                .union(VMCALL_LEAF.input_regs())
                .with(Gpr::Rax),
            notes,
        }
    }
}

/// The result of checking one block against one contract.
#[derive(Clone, Debug)]
pub struct ContractCheck {
    /// What was expected.
    pub expected: Expectation,
    /// May be modified, but neither declared written nor saved by the template.
    pub missing_written: RegSet,
    /// Read by the TDCALL, but neither declared read nor set by the template.
    pub missing_read: RegSet,
    /// Declared written although the contract preserves them (conservative: a note).
    pub conservative: RegSet,
}

impl ContractCheck {
    /// No missing register.
    pub fn passes(&self) -> bool {
        self.missing_written.is_empty() && self.missing_read.is_empty()
    }
}

/// The result of checking one block.
#[derive(Clone, Debug)]
pub struct BlockReport {
    /// The file label given to [`check_source`].
    pub file: String,
    /// The block.
    pub block: AsmBlock,
    /// The contracts it was checked against, or why it could not be identified.
    pub checks: Result<Vec<ContractCheck>, String>,
    /// Registers the template writes that are neither declared written nor saved.
    pub template_undeclared: RegSet,
}

impl BlockReport {
    /// Matched to at least one contract.
    pub fn identified(&self) -> bool {
        self.checks.as_ref().is_ok_and(|c| !c.is_empty())
    }

    /// Identified, and every check passes.
    pub fn passes(&self) -> bool {
        self.identified()
            && self.template_undeclared.is_empty()
            && self
                .checks
                .as_ref()
                .is_ok_and(|c| c.iter().all(ContractCheck::passes))
    }

    /// Every register some check finds missing as written (declared or saved).
    pub fn missing_written(&self) -> RegSet {
        let checks = self.checks.as_deref().unwrap_or_default();
        checks
            .iter()
            .fold(self.template_undeclared, |s, c| s.union(c.missing_written))
    }

    /// Every register some check finds missing as read.
    pub fn missing_read(&self) -> RegSet {
        let checks = self.checks.as_deref().unwrap_or_default();
        checks
            .iter()
            .fold(RegSet::EMPTY, |s, c| s.union(c.missing_read))
    }
}

impl fmt::Display for BlockReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = format!(
            "{}:{} ({})",
            self.file,
            self.block.line,
            self.block.function.as_deref().unwrap_or("?")
        );
        if !self.template_undeclared.is_empty() {
            writeln!(
                f,
                "{at}: FAIL: the template writes {} without declaring or saving it",
                reg_names(self.template_undeclared)
            )?;
        }
        let checks = match &self.checks {
            Err(why) => return writeln!(f, "{at}: FAIL: unidentified block: {why}"),
            Ok(c) => c,
        };
        for c in checks {
            let verdict = if c.passes() { "ok" } else { "FAIL" };
            write!(f, "{at}: {}: {verdict}", c.expected.contract)?;
            if !c.missing_written.is_empty() {
                write!(
                    f,
                    "; may be modified but not declared written: {}",
                    reg_names(c.missing_written)
                )?;
            }
            if !c.missing_read.is_empty() {
                write!(
                    f,
                    "; read but not declared read: {}",
                    reg_names(c.missing_read)
                )?;
            }
            if !c.conservative.is_empty() {
                write!(
                    f,
                    "; note: declared written, preserved by the contract: {}",
                    reg_names(c.conservative)
                )?;
            }
            for n in &c.expected.notes {
                write!(f, "; note: {n}")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

/// The bound of the thin trampoline block that serves a sub-function exposing `exposed`
/// (`tdcall::vmcall::tdvmcall_thin`: R10 up to the highest exposed register, 2 at least), or
/// `None` if it exposes a register outside R10–R15.
fn thin_bound(exposed: RegSet) -> Option<usize> {
    if !exposed.minus(r10_up(6)).is_empty() {
        return None;
    }
    let highest = exposed.iter().last().map_or(0, Gpr::index);
    Some(highest.saturating_sub(9).max(2))
}

/// The contracts a block serves.
fn identify(block: &AsmBlock, siblings: &[AsmBlock]) -> Result<Vec<Expectation>, String> {
    let e = block.effect();
    if e.tdcalls != 1 {
        return Err(format!(
            "{} TDCALLs in the template (1 expected)",
            e.tdcalls
        ));
    }
    let rax = block
        .value_at_tdcall(&e, Gpr::Rax)
        .map_err(|why| format!("RAX at the TDCALL is not a constant: {why}"))?;
    if !leaf::reserved_clear(rax) {
        return Err(format!("RAX {rax:#x} has reserved bits set"));
    }
    let (number, version) = (leaf::leaf_of(rax), leaf::version_of(rax));
    if number != leaf::TDG_VP_VMCALL {
        return lookup(number, version)
            .map(|c| vec![Expectation::leaf(c)])
            .ok_or_else(|| format!("no model contract for leaf {number} version {version}"));
    }
    let r10 = block.value_at_tdcall(&e, Gpr::R10);
    let r11 = block.value_at_tdcall(&e, Gpr::R11);
    let rcx = block.value_at_tdcall(&e, Gpr::Rcx).ok();
    match (r10, r11) {
        (Ok(r10), Ok(r11)) => {
            return vmcall_lookup(r10, r11)
                .map(|v| vec![Expectation::vmcall(v, rcx)])
                .ok_or_else(|| format!("no model contract for TDVMCALL R10 {r10} R11 {r11:#x}"));
        }
        (Ok(r10), Err(_)) if r10 != 0 => {
            return vmcall_lookup(r10, 0)
                .map(|v| vec![Expectation::vmcall(v, rcx)])
                .ok_or_else(|| "no model contract for the vendor TDVMCALL".to_string());
        }
        _ => {}
    }
    // A trampoline: R11 is a variable.
    let mut out = Vec::new();
    match &block.arm {
        Some(label) => {
            let bounds: Vec<usize> = match label.parse::<usize>() {
                Ok(b) => vec![b],
                Err(_) if label == "_" => {
                    let taken: Vec<usize> = siblings
                        .iter()
                        .filter(|s| s.function == block.function)
                        .filter_map(|s| s.arm.as_ref()?.parse().ok())
                        .collect();
                    (2..=6).filter(|b| !taken.contains(b)).collect()
                }
                Err(_) => return Err(format!("match arm `{label}` is not a bound")),
            };
            if bounds.is_empty() || bounds.iter().any(|b| !(2..=6).contains(b)) {
                return Err(format!("match arm `{label}` is not a bound in 2..=6"));
            }
            let widest = bounds.iter().copied().max().unwrap_or(6);
            out.push(Expectation::vmcall_select(r10_up(widest)));
            for v in VMCALL_CONTRACTS {
                if thin_bound(v.exposed).is_some_and(|b| bounds.contains(&b)) {
                    out.push(Expectation::vmcall(v, rcx));
                }
            }
        }
        None => {
            for v in VMCALL_CONTRACTS {
                if thin_bound(v.exposed).is_none() {
                    out.push(Expectation::vmcall(v, rcx));
                }
            }
            if out.is_empty() {
                return Err("TDVMCALL trampoline serving no modelled sub-function".into());
            }
        }
    }
    Ok(out)
}

/// Scans `src` and checks every `asm!` block; `file` labels the diagnostics.
pub fn check_source(file: &str, src: &str) -> Result<Vec<BlockReport>, String> {
    let blocks = scan(src).map_err(|e| format!("{file}: {e}"))?;
    let mut reports = Vec::new();
    for block in &blocks {
        let e = block.effect();
        let declared_written = block.declared_written();
        let written_ok = declared_written
            .clone()
            .unwrap_or_default()
            .union(e.preserved);
        let set_before = Gpr::ALL
            .into_iter()
            .filter(|g| e.set_before[g.index()].is_some())
            .fold(RegSet::EMPTY, RegSet::with);
        let read_ok = block.declared_read().union(set_before);
        let checks = declared_written.and_then(|declared| {
            identify(block, &blocks).map(|expectations| {
                expectations
                    .into_iter()
                    .map(|x| ContractCheck {
                        missing_written: x
                            .may_modify
                            .minus(written_ok)
                            .minus(RegSet::of(&[Gpr::Rsp])),
                        missing_read: x.reads.minus(read_ok),
                        conservative: declared.minus(x.may_modify),
                        expected: x,
                    })
                    .collect()
            })
        });
        reports.push(BlockReport {
            file: file.to_string(),
            block: block.clone(),
            checks,
            template_undeclared: e.written.minus(written_ok).minus(RegSet::of(&[Gpr::Rsp])),
        });
    }
    Ok(reports)
}

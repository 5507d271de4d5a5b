//! `tdx-check`: checks an implementation of the TDCALL seam that lives outside this
//! repository against the model, in a binary of its own (so no symbol of one implementation
//! can clash with another's), without editing anything here.
//!
//! ```text
//! tdx-check c [--cflags FLAGS] [--nasm-flags FLAGS] FILE... [-- SECONDS [SEED] [--json]]
//! tdx-check crate DIR [-- SECONDS [SEED] [--json]]
//! tdx-check new DIR [NAME]
//! ```
//!
//! - `c`: C sources (`.c`), GNU assembly (`.S`, `.s`), NASM sources (`.nasm`, `.asm`),
//!   objects (`.o`) or archives (`.a`) that define entry points of
//!   `adapters/cabi/include/tdx_oracle_abi.h` (Linux style, EDK2 style, any subset) are
//!   built into `tdx-check-cabi` and checked in every style they define an entry point of.
//! - `crate`: runs a Rust crate made from `templates/wrappers/` (its `main` is
//!   `tdx_campaign::cli::check`), optimized.
//! - `new`: makes such a crate in DIR, its dependencies pointing at this checkout.
//!
//! After `--`, the campaign's arguments (`tdx_campaign::cli`). Exit status: the check's (0
//! pass, 1 a failure, 2 nothing checked or bad campaign arguments), 2 for bad input here, 101
//! when the implementation or the crate does not build (cargo's), 128 + n when a signal n
//! ended the check.

use std::path::{Path, PathBuf};
use std::process::Command;

const USAGE: &str = "usage:
  tdx-check c [--cflags FLAGS] [--nasm-flags FLAGS] FILE... [-- SECONDS [SEED] [--json]]
  tdx-check crate DIR [-- SECONDS [SEED] [--json]]
  tdx-check new DIR [NAME]";

/// Input this command refuses.
#[derive(Debug, PartialEq, Eq)]
enum Error {
    Usage(&'static str),
    NoSuchFile(PathBuf),
    UnknownKind(PathBuf),
    NoManifest(PathBuf),
    Exists(PathBuf),
    Io(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Usage(what) => write!(f, "{what}\n{USAGE}"),
            Self::NoSuchFile(p) => write!(f, "{}: no such file", p.display()),
            Self::UnknownKind(p) => write!(
                f,
                "{}: not a C source (.c), assembly (.S, .s, .nasm, .asm), object (.o) or \
                 archive (.a)",
                p.display()
            ),
            Self::NoManifest(p) => write!(f, "{}: no Cargo.toml", p.display()),
            Self::Exists(p) => write!(f, "{}: exists already", p.display()),
            Self::Io(e) => write!(f, "{e}"),
        }
    }
}

/// This checkout (the driver is run from it: `cargo run -p tdx-check`).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("check/ is inside the repository")
        .to_path_buf()
}

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// The C/assembly check's build inputs.
#[derive(Debug, Default, PartialEq, Eq)]
struct CInputs {
    files: Vec<PathBuf>,
    cflags: String,
    nasmflags: String,
}

/// Splits `args` at the first `--`: (this command's, the campaign's).
fn split(args: &[String]) -> (&[String], &[String]) {
    match args.iter().position(|a| a == "--") {
        Some(i) => (&args[..i], &args[i + 1..]),
        None => (args, &[]),
    }
}

fn parse_c(args: &[String]) -> Result<CInputs, Error> {
    let mut c = CInputs::default();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--cflags" => {
                c.cflags = it
                    .next()
                    .ok_or(Error::Usage("--cflags takes FLAGS"))?
                    .clone()
            }
            "--nasm-flags" => {
                c.nasmflags = it
                    .next()
                    .ok_or(Error::Usage("--nasm-flags takes FLAGS"))?
                    .clone()
            }
            f => {
                let p = PathBuf::from(f);
                let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
                if !["c", "S", "s", "nasm", "asm", "o", "a"].contains(&ext) {
                    return Err(Error::UnknownKind(p));
                }
                let abs = p.canonicalize().map_err(|_| Error::NoSuchFile(p.clone()))?;
                if !abs.is_file() {
                    return Err(Error::NoSuchFile(p));
                }
                c.files.push(abs);
            }
        }
    }
    if c.files.is_empty() {
        return Err(Error::Usage("c: no FILE"));
    }
    Ok(c)
}

fn run_c(c: &CInputs, campaign: &[String]) -> Result<i32, Error> {
    let list: Vec<String> = c.files.iter().map(|p| p.display().to_string()).collect();
    let status = cargo()
        .current_dir(root())
        .args([
            "run",
            "--release",
            "-p",
            "tdx-adapter-cabi",
            "--bin",
            "tdx-check-cabi",
        ])
        // Its own target folder: the repository's own build of the adapter stays as it is.
        .arg("--target-dir")
        .arg(root().join("target").join("tdx-check"))
        .arg("--")
        .args(campaign)
        .env("TDX_CABI_INPUTS", list.join("\n"))
        .env("TDX_CABI_CFLAGS", &c.cflags)
        .env("TDX_CABI_NASMFLAGS", &c.nasmflags)
        .env("TDX_CABI_STAMP", stamp())
        .status()
        .map_err(|e| Error::Io(format!("cargo: {e}")))?;
    Ok(exit_code(status))
}

fn run_crate(dir: &Path, campaign: &[String]) -> Result<i32, Error> {
    let manifest = dir.join("Cargo.toml");
    if !manifest.is_file() {
        return Err(Error::NoManifest(dir.to_path_buf()));
    }
    let dir = dir
        .canonicalize()
        .map_err(|e| Error::Io(format!("{}: {e}", dir.display())))?;
    let manifest = dir.join("Cargo.toml");
    // Run from the crate's folder, so its own `.cargo/config.toml` applies, not this one's.
    let status = cargo()
        .current_dir(&dir)
        .args(["run", "--release", "--manifest-path"])
        .arg(&manifest)
        .arg("--")
        .args(campaign)
        .status()
        .map_err(|e| Error::Io(format!("cargo: {e}")))?;
    Ok(exit_code(status))
}

/// A child's exit status as ours: its code, or 128 + the signal that ended it.
fn exit_code(status: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0))
}

/// Changes on every run: the C build is redone each time, so a header or `%include` it does
/// not track never leaves a stale implementation checked.
fn stamp() -> String {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format!("{}.{}", t.as_secs(), t.subsec_nanos())
}

/// `templates/wrappers/Cargo.toml` for a crate at another place: the package named `name`, the
/// path dependencies pointing at `root` (a TOML basic string: `\` and `"` escaped).
fn manifest_for(template: &str, root: &Path, name: &str) -> String {
    let root = root
        .display()
        .to_string()
        .replace('\\', "\\\\")
        .replace('"', "\\\"");
    template
        .replace(
            "name = \"tdx-wrappers-template\"",
            &format!("name = \"{name}\""),
        )
        .replace("path = \"../../", &format!("path = \"{root}/"))
}

/// A name cargo takes for a package: ASCII letters, digits, `-` and `_`, starting with a
/// letter.
fn package_name(name: &str) -> Result<&str, Error> {
    let ok = name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(name)
    } else {
        Err(Error::Usage(
            "new: NAME is ASCII letters, digits, - and _, from a letter",
        ))
    }
}

/// Copies the template's files (not its `target/`) under `to`.
fn copy_template(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if entry.file_type()?.is_dir() {
            if entry.file_name() != "target" {
                std::fs::create_dir_all(&dst)?;
                copy_template(&src, &dst)?;
            }
        } else {
            std::fs::copy(&src, &dst)?;
        }
    }
    Ok(())
}

fn new_crate(dir: &Path, name: &str) -> Result<(), Error> {
    let name = package_name(name)?;
    // An existing empty folder (as `mktemp -d` makes) is fine; anything else is not ours.
    if dir.exists() && std::fs::read_dir(dir).map_or(true, |mut d| d.next().is_some()) {
        return Err(Error::Exists(dir.to_path_buf()));
    }
    let template = root().join("templates").join("wrappers");
    let io = |e: std::io::Error| Error::Io(e.to_string());
    std::fs::create_dir_all(dir).map_err(io)?;
    // Every file of the template, the lock file included (so the new crate resolves the
    // versions the template was built with), then its manifest made for this place.
    copy_template(&template, dir).map_err(io)?;
    let manifest = std::fs::read_to_string(template.join("Cargo.toml")).map_err(io)?;
    std::fs::write(
        dir.join("Cargo.toml"),
        manifest_for(&manifest, &root(), name),
    )
    .map_err(io)?;
    eprintln!(
        "made {}: implement your calls in src/main.rs, then `cargo run -p tdx-check -- crate {}`",
        dir.display(),
        dir.display()
    );
    Ok(())
}

fn main_result(args: &[String]) -> Result<i32, Error> {
    let (ours, campaign) = split(args);
    match ours.split_first() {
        Some((cmd, rest)) if cmd == "c" => run_c(&parse_c(rest)?, campaign),
        Some((cmd, [dir])) if cmd == "crate" => run_crate(Path::new(dir), campaign),
        Some((cmd, [dir, rest @ ..])) if cmd == "new" && rest.len() <= 1 => {
            let name = rest.first().map_or("tdx-wrappers-check", String::as_str);
            new_crate(Path::new(dir), name).map(|()| 0)
        }
        _ => Err(Error::Usage("")),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match main_result(&args) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("tdx-check: {e}");
            std::process::exit(2);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(a: &[&str]) -> Vec<String> {
        a.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn c_inputs() {
        let linux = root().join("adapters/cabi/c/linux.c");
        let linux = linux.display().to_string();
        let c = parse_c(&s(&["--cflags", "-O1 -DX", &linux, "--nasm-flags", "-DY"]))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.cflags, "-O1 -DX");
        assert_eq!(c.nasmflags, "-DY");
        assert_eq!(c.files, [PathBuf::from(&linux)]);
        assert_eq!(
            parse_c(&s(&["x.rs"])),
            Err(Error::UnknownKind("x.rs".into()))
        );
        assert_eq!(
            parse_c(&s(&["/nonexistent/tdxcall.S"])),
            Err(Error::NoSuchFile("/nonexistent/tdxcall.S".into()))
        );
        assert_eq!(parse_c(&s(&[])), Err(Error::Usage("c: no FILE")));
        assert_eq!(
            parse_c(&s(&["--cflags"])),
            Err(Error::Usage("--cflags takes FLAGS"))
        );
    }

    #[test]
    fn campaign_arguments_follow_the_separator() {
        let a = s(&["crate", "d", "--", "0.1", "--json"]);
        let (ours, campaign) = split(&a);
        assert_eq!(ours, &s(&["crate", "d"])[..]);
        assert_eq!(campaign, &s(&["0.1", "--json"])[..]);
        assert_eq!(split(&a[..2]).1.len(), 0);
    }

    #[test]
    fn bad_commands_are_refused() {
        for a in [
            &[][..],
            &["c"][..],
            &["crate"][..],
            &["new"][..],
            &["make", "x"][..],
        ] {
            assert!(matches!(main_result(&s(a)), Err(Error::Usage(_))), "{a:?}");
        }
        assert_eq!(
            main_result(&s(&["crate", "/nonexistent"])),
            Err(Error::NoManifest("/nonexistent".into()))
        );
        let here = root();
        assert_eq!(
            main_result(&s(&["new", &here.display().to_string()])),
            Err(Error::Exists(here))
        );
    }

    #[test]
    fn template_manifest_points_at_the_checkout() {
        let template = std::fs::read_to_string(root().join("templates/wrappers/Cargo.toml"))
            .expect("the template is there");
        let m = manifest_for(&template, Path::new("/src/tdx"), "mine");
        assert!(m.contains("name = \"mine\""), "{m}");
        assert!(m.contains("path = \"/src/tdx/oracle\""), "{m}");
        assert!(m.contains("path = \"/src/tdx/campaign\""), "{m}");
        assert!(!m.contains("../../"), "{m}");
        let odd = manifest_for(&template, Path::new("/src/a \"b\" c"), "mine");
        assert!(odd.contains(r#"path = "/src/a \"b\" c/oracle""#), "{odd}");
    }

    #[test]
    fn new_crates_are_checked_first() {
        assert!(package_name("my-tdx_check2").is_ok());
        for bad in ["", "2x", "a\"b", "a b", "-x"] {
            assert!(matches!(package_name(bad), Err(Error::Usage(_))), "{bad:?}");
        }
        let empty = std::env::temp_dir().join(format!("tdx-check-new-{}", std::process::id()));
        std::fs::create_dir_all(&empty).expect("a temporary folder");
        let made = new_crate(&empty, "made-here");
        let manifest = std::fs::read_to_string(empty.join("Cargo.toml"));
        let main = empty.join("src/main.rs").is_file();
        let lock = empty.join("Cargo.lock").is_file();
        let again = new_crate(&empty, "made-here");
        let _ = std::fs::remove_dir_all(&empty);
        made.unwrap_or_else(|e| panic!("{e}"));
        let manifest = manifest.expect("a manifest");
        assert!(manifest.contains("name = \"made-here\""), "{manifest}");
        assert!(main && lock);
        assert_eq!(again, Err(Error::Exists(empty)));
    }
}

//! The README's leaf table agrees with the model's contracts, the wrappers and the fuzz targets.

use std::path::Path;

use tdx_model::contract::{lookup, CONTRACTS};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

struct Row {
    leaf: u16,
    name: String,
    version: u8,
    wrappers: Vec<String>,
    modelled: bool,
    target: Option<String>,
}

fn rows() -> Vec<Row> {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let table: Vec<&str> = readme
        .lines()
        .skip_while(|l| !l.starts_with("| leaf | spec name | wrapper | modelled | fuzz target |"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .collect();
    assert!(!table.is_empty(), "README has no leaf table");
    table
        .iter()
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split('|').map(str::trim).collect();
            assert_eq!(cells.len(), 5, "row {l}");
            let (name, version) = match cells[1].split_once(" (version ") {
                Some((n, v)) => (n.to_string(), v.trim_end_matches(')').parse().unwrap()),
                None => (cells[1].to_string(), 0),
            };
            Row {
                leaf: cells[0].parse().unwrap(),
                name,
                version,
                wrappers: cells[2]
                    .split(',')
                    .map(|w| w.trim().trim_matches('`').to_string())
                    .filter(|w| w != "–")
                    .collect(),
                modelled: match cells[3] {
                    "yes" => true,
                    "no" => false,
                    other => panic!("modelled column says {other}"),
                },
                target: Some(cells[4].trim_matches('`').to_string()).filter(|t| t != "–"),
            }
        })
        .collect()
}

#[test]
fn leaf_table_matches_model_wrappers_and_fuzz_targets() {
    let rows = rows();
    let sources = [
        "tdcall/src/leaf.rs",
        "tdcall/src/leaf15.rs",
        "tdcall/src/mr_key.rs",
        "tdcall/src/accept.rs",
    ]
    .map(|p| std::fs::read_to_string(root().join(p)).unwrap())
    .join("\n");
    for r in &rows {
        let c = lookup(r.leaf, r.version);
        assert_eq!(
            c.is_some(),
            r.modelled,
            "README says {} v{} modelled = {}",
            r.name,
            r.version,
            r.modelled
        );
        if let Some(c) = c {
            assert_eq!(c.name, r.name, "leaf {} is {} in the model", r.leaf, c.name);
        }
        for w in &r.wrappers {
            let f = w.rsplit("::").next().unwrap();
            assert!(
                sources.contains(&format!("pub fn {f}("))
                    || sources.contains(&format!("pub unsafe fn {f}(")),
                "README names wrapper {w}, which tdcall does not define"
            );
        }
        if let Some(t) = &r.target {
            assert!(
                root()
                    .join("fuzz/fuzz_targets")
                    .join(format!("{t}.rs"))
                    .exists(),
                "README names fuzz target {t}, which fuzz/ does not have"
            );
        }
    }
    for c in CONTRACTS {
        assert!(
            rows.iter()
                .any(|r| r.leaf == c.leaf && r.version == c.version && r.name == c.name),
            "the model has {} v{}, the README table does not",
            c.name,
            c.version
        );
    }
}

#[test]
fn every_target_has_a_fuzz_target_and_a_corpus() {
    let dir = |d: &str| -> std::collections::BTreeSet<String> {
        std::fs::read_dir(root().join(d))
            .unwrap()
            .filter_map(|e| {
                let e = e.unwrap();
                let name = e.file_name().into_string().unwrap();
                (name != "README.md").then(|| name.trim_end_matches(".rs").to_string())
            })
            .collect()
    };
    let targets: std::collections::BTreeSet<String> = tdx_oracle::Target::FUZZ
        .iter()
        .map(|t| t.name().to_string())
        .collect();
    assert_eq!(
        dir("fuzz/fuzz_targets"),
        targets,
        "fuzz/fuzz_targets vs Target::FUZZ"
    );
    assert_eq!(dir("corpora"), targets, "corpora/ vs Target::FUZZ");
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    for t in &targets {
        assert!(
            readme.contains(&format!("`{t}`")),
            "README does not name fuzz target {t}"
        );
    }
}

#[test]
fn vmcall_table_matches_model_wrappers_and_fuzz_targets() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let rows: Vec<Vec<String>> = readme
        .lines()
        .skip_while(|l| {
            !l.starts_with("| R11 | GHCI name | wrapper | exposes (RCX) | fuzz target |")
        })
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect();
    let source = std::fs::read_to_string(root().join("tdcall/src/vmcall.rs")).unwrap();
    for c in tdx_model::vmcall::VMCALL_CONTRACTS {
        let row = rows
            .iter()
            .find(|r| r[1] == c.name)
            .unwrap_or_else(|| panic!("the model has {}, the README table does not", c.name));
        assert_eq!(
            u64::from_str_radix(row[3].trim_start_matches("0x"), 16).unwrap(),
            c.rcx(),
            "{}: README exposes {}, the model's contract {:#x}",
            c.name,
            row[3],
            c.rcx()
        );
        match c.subfunction {
            Some(sf) => assert!(
                row[0] == format!("{sf:#x}") || row[0] == sf.to_string(),
                "{}: R11 {} vs {sf:#x}",
                c.name,
                row[0]
            ),
            None => assert!(row[0].starts_with("R10"), "{}: vendor row", c.name),
        }
        for w in row[2].split(',').map(|w| w.trim().trim_matches('`')) {
            assert!(
                source.contains(&format!("pub fn {w}(")),
                "README names {w}, not in tdcall::vmcall"
            );
        }
        let t = row[4].trim_matches('`');
        assert!(
            root()
                .join("fuzz/fuzz_targets")
                .join(format!("{t}.rs"))
                .exists(),
            "README names fuzz target {t}"
        );
    }
    assert_eq!(
        rows.len(),
        tdx_model::vmcall::VMCALL_CONTRACTS.len(),
        "one row per contract"
    );
}

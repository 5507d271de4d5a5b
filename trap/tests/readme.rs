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
    let sources = ["tdcall/src/leaf.rs", "tdcall/src/accept.rs"]
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

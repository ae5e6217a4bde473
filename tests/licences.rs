//! Every crate in `Cargo.lock` is under a licence we may ship the server binary with.
//!
//! `cargo metadata --locked` lists each package with its `license` field, an SPDX
//! expression (`MIT OR Apache-2.0`, `(Apache-2.0 OR MIT) AND BSD-3-Clause`, the legacy
//! `MIT/Apache-2.0`). An expression passes when the licences it lets us choose are all in
//! [`ALLOWED`]: one alternative of an `OR` suffices, every part of an `AND` must pass, and a
//! `WITH` exception is allowed only as the whole term (`Apache-2.0 WITH LLVM-exception`).
//! A package that names only a `license-file` must be in [`LICENCE_FILE_ONLY`] with the
//! reason we may ship it. Our own crates (the workspace members) must carry the licence
//! the root `Cargo.toml` gives in `[workspace.package]`.
//!
//! To take a dependency under a licence not listed, add it to [`ALLOWED`] with why it is
//! compatible with shipping the binary (docs/security.md, "Licences"), or choose another
//! crate. `cargo metadata` reads every package in the lock file, those of other platforms
//! too, so it downloads any it has not seen (no `--offline`: CI's cargo has fetched only
//! what the Linux build needs).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// Licences a dependency may be under, each with why it is compatible with shipping the
/// server binary, in the order we prefer them when a crate offers a choice. Derived from
/// what `Cargo.lock` holds: only licences some crate needs us to rely on are listed. Those
/// that appear only as alternatives to MIT or Apache-2.0 (`0BSD`, `BSD-2-Clause`,
/// `BSL-1.0`, `Unlicense`, `LGPL-2.1-or-later`) are not.
const ALLOWED: &[(&str, &str)] = &[
    ("MIT", "permissive; keep the copyright notice"),
    (
        "Apache-2.0",
        "permissive, with a patent grant; keep the NOTICE files",
    ),
    (
        "Apache-2.0 WITH LLVM-exception",
        "Apache-2.0 whose exception only waives notice duties for compiled code (wasmtime, cranelift)",
    ),
    (
        "BSD-3-Clause",
        "permissive; keep the notice, do not use the authors' names to endorse",
    ),
    (
        "ISC",
        "permissive, equivalent to MIT (ring, rustls-webpki, untrusted, audiopus_sys)",
    ),
    (
        "Zlib",
        "permissive; altered versions must say so (foldhash)",
    ),
    (
        "Unicode-3.0",
        "Unicode's data licence: permissive, keep the notice (ICU4X, unicode-ident)",
    ),
    (
        "CDLA-Permissive-2.0",
        "a permissive data licence for the Mozilla root certificates in webpki-roots: we may \
         use and share the data, and must only make the licence text available with it",
    ),
];

/// Packages whose manifest names a `license-file` and no `license` expression, each with
/// why we may ship it. None today.
const LICENCE_FILE_ONLY: &[(&str, &str)] = &[];

/// An SPDX licence expression.
#[derive(Debug, PartialEq)]
enum Expr {
    /// One licence, with its exception if any: `MIT`, `Apache-2.0 WITH LLVM-exception`.
    Term(String),
    /// Every part applies.
    And(Vec<Expr>),
    /// Any one may be chosen.
    Or(Vec<Expr>),
}

/// Splits an expression into words and parentheses; the legacy `/` becomes `OR`.
fn tokens(expression: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    for c in expression.chars() {
        if c.is_whitespace() || matches!(c, '(' | ')' | '/') {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            match c {
                '(' | ')' => out.push(c.to_string()),
                '/' => out.push("OR".to_owned()),
                _ => {}
            }
        } else {
            word.push(c);
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// Parses `expression`: `WITH` binds tightest, then `AND`, then `OR`.
fn parse(expression: &str) -> Result<Expr, String> {
    let tokens = tokens(expression);
    let mut at = 0;
    let expr = parse_or(&tokens, &mut at)?;
    match tokens.get(at) {
        None => Ok(expr),
        Some(extra) => Err(format!("`{expression}`: unexpected `{extra}`")),
    }
}

fn parse_or(tokens: &[String], at: &mut usize) -> Result<Expr, String> {
    let mut alternatives = vec![parse_and(tokens, at)?];
    while tokens.get(*at).is_some_and(|t| t == "OR") {
        *at += 1;
        alternatives.push(parse_and(tokens, at)?);
    }
    Ok(if alternatives.len() == 1 {
        alternatives.remove(0)
    } else {
        Expr::Or(alternatives)
    })
}

fn parse_and(tokens: &[String], at: &mut usize) -> Result<Expr, String> {
    let mut parts = vec![parse_term(tokens, at)?];
    while tokens.get(*at).is_some_and(|t| t == "AND") {
        *at += 1;
        parts.push(parse_term(tokens, at)?);
    }
    Ok(if parts.len() == 1 {
        parts.remove(0)
    } else {
        Expr::And(parts)
    })
}

fn parse_term(tokens: &[String], at: &mut usize) -> Result<Expr, String> {
    let Some(token) = tokens.get(*at) else {
        return Err("the expression ends where a licence was expected".to_owned());
    };
    *at += 1;
    if token == "(" {
        let inner = parse_or(tokens, at)?;
        if tokens.get(*at).is_none_or(|t| t != ")") {
            return Err("a `(` is not closed".to_owned());
        }
        *at += 1;
        return Ok(inner);
    }
    if matches!(token.as_str(), ")" | "AND" | "OR" | "WITH") {
        return Err(format!("`{token}` where a licence was expected"));
    }
    if tokens.get(*at).is_some_and(|t| t == "WITH") {
        let Some(exception) = tokens.get(*at + 1) else {
            return Err(format!("`{token} WITH` names no exception"));
        };
        *at += 2;
        return Ok(Expr::Term(format!("{token} WITH {exception}")));
    }
    Ok(Expr::Term(token.clone()))
}

/// The allowed licences `expr` lets us ship under, or None when no choice is allowed. Of
/// an `OR`'s alternatives, the one whose least preferred licence comes earliest in
/// `allowed`.
fn chosen(expr: &Expr, allowed: &[&str]) -> Option<Vec<String>> {
    let rank = |terms: &Vec<String>| {
        terms
            .iter()
            .filter_map(|t| allowed.iter().position(|a| a == t))
            .max()
    };
    match expr {
        Expr::Term(term) => allowed.contains(&term.as_str()).then(|| vec![term.clone()]),
        Expr::Or(alternatives) => alternatives
            .iter()
            .filter_map(|a| chosen(a, allowed))
            .min_by_key(rank),
        Expr::And(parts) => {
            let mut all = Vec::new();
            for part in parts {
                all.extend(chosen(part, allowed)?);
            }
            Some(all)
        }
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .find(|dir| dir.join("Cargo.lock").is_file())
        .expect("the crate sits inside the huashu workspace")
        .to_path_buf()
}

/// The `license` of `[workspace.package]` in the root `Cargo.toml`.
fn workspace_licence(root: &Path) -> String {
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).expect("read Cargo.toml");
    let mut in_section = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_section = line == "[workspace.package]";
        } else if in_section && let Some(value) = line.strip_prefix("license") {
            let value = value.trim_start();
            if let Some(value) = value.strip_prefix('=') {
                return value.trim().trim_matches('"').to_owned();
            }
        }
    }
    panic!("the root Cargo.toml sets no `license` in [workspace.package]")
}

#[test]
fn every_crate_in_the_lock_file_is_under_a_licence_we_may_ship_with() {
    let root = workspace_root();
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(&root)
        .output()
        .expect("run cargo metadata");
    assert!(
        out.status.success(),
        "cargo metadata failed (it downloads packages it has not seen: is crates.io \
         reachable, and is Cargo.lock up to date?):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let metadata: Value = serde_json::from_slice(&out.stdout).expect("cargo metadata's JSON");
    let members: Vec<&str> = metadata["workspace_members"]
        .as_array()
        .expect("workspace_members")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let ours = workspace_licence(&root);
    let allowed: Vec<&str> = ALLOWED.iter().map(|(licence, _)| *licence).collect();

    let mut refused = Vec::new();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let (mut dependencies, mut own) = (0, 0);
    let mut file_only_seen = Vec::new();
    for package in metadata["packages"].as_array().expect("packages") {
        let name = package["name"].as_str().unwrap_or("?");
        let version = package["version"].as_str().unwrap_or("?");
        let licence = package["license"].as_str();
        if members.contains(&package["id"].as_str().unwrap_or_default()) {
            own += 1;
            if licence != Some(ours.as_str()) {
                refused.push(format!(
                    "{name} (ours) has licence {licence:?}, not the workspace's `{ours}`: \
                     set `license.workspace = true` in its Cargo.toml"
                ));
            }
            continue;
        }
        dependencies += 1;
        let Some(licence) = licence else {
            if LICENCE_FILE_ONLY.iter().any(|(listed, _)| *listed == name) {
                file_only_seen.push(name);
                *counts
                    .entry("(licence file, listed)".to_owned())
                    .or_default() += 1;
            } else {
                refused.push(format!(
                    "{name} {version} gives no `license` expression, only a licence file: \
                     read it, and list the crate in LICENCE_FILE_ONLY with why we may ship it"
                ));
            }
            continue;
        };
        match parse(licence).map(|expr| chosen(&expr, &allowed)) {
            Ok(Some(terms)) => {
                for term in terms {
                    *counts.entry(term).or_default() += 1;
                }
            }
            Ok(None) => refused.push(format!(
                "{name} {version} is under `{licence}`, which allows no licence in ALLOWED: \
                 add one with why it is compatible with shipping the server, or drop the crate"
            )),
            Err(why) => refused.push(format!("{name} {version}: cannot read its licence: {why}")),
        }
    }
    for (listed, _) in LICENCE_FILE_ONLY {
        if !file_only_seen.contains(listed) {
            refused.push(format!(
                "LICENCE_FILE_ONLY lists {listed}, which is not in the lock file without a \
                 `license` expression: remove the entry"
            ));
        }
    }

    println!(
        "{own} crates of ours under {ours}; {dependencies} dependencies, by licence relied on:"
    );
    for (licence, count) in &counts {
        println!("  {count:4}  {licence}");
    }
    let unused: Vec<&str> = allowed
        .iter()
        .copied()
        .filter(|licence| !counts.contains_key(*licence))
        .collect();
    if !unused.is_empty() {
        println!("allowed, relied on by no crate now (drop them from ALLOWED?): {unused:?}");
    }
    assert!(
        refused.is_empty(),
        "licences we may not ship with:\n  {}",
        refused.join("\n  ")
    );
    assert!(
        dependencies > 0 && own > 0,
        "cargo metadata listed no packages"
    );
}

#[test]
fn one_allowed_alternative_of_an_or_suffices() {
    let expr = parse("LGPL-2.1-or-later OR MIT").expect("parses");
    assert_eq!(chosen(&expr, &["MIT"]), Some(vec!["MIT".to_owned()]));
    assert_eq!(chosen(&expr, &["Apache-2.0"]), None);
}

#[test]
fn of_several_allowed_alternatives_the_preferred_one_is_relied_on() {
    let expr = parse("0BSD OR Apache-2.0 OR MIT").expect("parses");
    assert_eq!(
        chosen(&expr, &["MIT", "Apache-2.0", "0BSD"]),
        Some(vec!["MIT".to_owned()])
    );
}

#[test]
fn every_part_of_an_and_must_be_allowed() {
    let expr = parse("(Apache-2.0 OR MIT) AND BSD-3-Clause").expect("parses");
    assert_eq!(
        chosen(&expr, &["MIT", "BSD-3-Clause"]),
        Some(vec!["MIT".to_owned(), "BSD-3-Clause".to_owned()])
    );
    assert_eq!(chosen(&expr, &["MIT"]), None);
}

#[test]
fn an_exception_is_allowed_only_as_the_whole_term() {
    let expr = parse("Apache-2.0 WITH LLVM-exception OR GPL-3.0-only").expect("parses");
    assert_eq!(
        expr,
        Expr::Or(vec![
            Expr::Term("Apache-2.0 WITH LLVM-exception".to_owned()),
            Expr::Term("GPL-3.0-only".to_owned()),
        ])
    );
    assert_eq!(chosen(&expr, &["Apache-2.0"]), None);
    assert!(chosen(&expr, &["Apache-2.0 WITH LLVM-exception"]).is_some());
}

#[test]
fn and_binds_tighter_than_or() {
    assert_eq!(
        parse("MIT OR Apache-2.0 AND ISC").expect("parses"),
        Expr::Or(vec![
            Expr::Term("MIT".to_owned()),
            Expr::And(vec![
                Expr::Term("Apache-2.0".to_owned()),
                Expr::Term("ISC".to_owned()),
            ]),
        ])
    );
}

#[test]
fn the_legacy_slash_reads_as_or() {
    let spelled = Expr::Or(vec![
        Expr::Term("MIT".to_owned()),
        Expr::Term("Apache-2.0".to_owned()),
    ]);
    assert_eq!(parse("MIT/Apache-2.0").expect("parses"), spelled);
    assert_eq!(parse("MIT / Apache-2.0").expect("parses"), spelled);
}

#[test]
fn a_malformed_expression_is_refused_with_where_it_breaks() {
    assert!(parse("(MIT OR Apache-2.0").is_err());
    assert!(parse("MIT AND").is_err());
    assert!(parse("MIT Apache-2.0").is_err());
    assert!(parse("Apache-2.0 WITH").is_err());
    assert!(parse("").is_err());
}

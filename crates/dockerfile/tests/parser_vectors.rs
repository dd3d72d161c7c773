//! buildkit's parser test files (`frontend/dockerfile/parser/testfiles*`):
//! each `Dockerfile` must parse to the S-expression dump in `result`, and
//! every negative file must fail to parse.

use std::fs;
use std::path::Path;

use wharf_dockerfile::parser;

fn dirs(sub: &str) -> Vec<std::path::PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors/parser")
        .join(sub);
    let mut out: Vec<_> = fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    out.sort();
    out
}

#[test]
fn testfiles_dump_matches_result() {
    let mut failures = Vec::new();
    let cases = dirs("testfiles");
    assert!(cases.len() >= 30);
    for dir in &cases {
        let src = fs::read_to_string(dir.join("Dockerfile")).unwrap();
        let want = fs::read_to_string(dir.join("result")).unwrap();
        match parser::parse(&src) {
            Ok(ast) if ast.dump() + "\n" == want => {}
            Ok(ast) => failures.push(format!(
                "{}:\n--- want\n{want}--- got\n{}\n",
                dir.display(),
                ast.dump()
            )),
            Err(e) => failures.push(format!("{}: {e}", dir.display())),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn negative_testfiles_fail() {
    for dir in dirs("testfiles-negative") {
        let src = fs::read_to_string(dir.join("Dockerfile")).unwrap();
        assert!(parser::parse(&src).is_err(), "{} parsed", dir.display());
    }
}

/// buildkit's `TestParseExtractsHeredoc`: every child's heredocs.
#[test]
fn heredocs_extracted() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/parser/heredocs");
    let src = fs::read_to_string(root.join("Dockerfile")).unwrap();
    let want: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(root.join("expected.json")).unwrap()).unwrap();
    let ast = parser::parse(&src).unwrap();
    let want = want["children"].as_array().unwrap();
    assert_eq!(want.len(), 27);
    for (i, docs) in want.iter().enumerate() {
        let got = &ast.children[i + 1].heredocs;
        let want: Vec<parser::Heredoc> = serde_json::from_value(docs.clone()).unwrap();
        assert_eq!(
            got,
            &want,
            "child {} ({})",
            i + 1,
            ast.children[i + 1].original
        );
    }
}

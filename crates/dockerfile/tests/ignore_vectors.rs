//! moby/patternmatcher's test tables (`patternmatcher_test.go`,
//! `ignorefile/ignorefile_test.go`), transcribed to JSON.

use serde_json::Value;
use wharf_dockerfile::ignore::{MatchInfo, Patterns, matches_patterns, read_all};

fn load(name: &str) -> Value {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors/ignore")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap()
}

/// Patterns and path → (or-parent, using-parent-result, using-parent-results,
/// using-parent-results-without-context).
fn all_ways(patterns: &[&str], text: &str) -> [bool; 4] {
    let pm = Patterns::new(patterns).unwrap();
    let a = pm.matches(text).unwrap();

    // Go's filepath.Dir for these clean test paths.
    let parent = match text.rfind('/') {
        None => ".".to_string(),
        Some(0) => "/".to_string(),
        Some(i) => text[..i].to_string(),
    };
    let dirs: Vec<String> = if parent == "." {
        vec![]
    } else {
        parent.split('/').map(str::to_string).collect()
    };
    let mut parent_matched = false;
    for i in 0..dirs.len() {
        parent_matched = pm
            .matches_using_parent_result(&dirs[..=i].join("/"), parent_matched)
            .unwrap();
    }
    let b = pm
        .matches_using_parent_result(text, parent_matched)
        .unwrap();

    let mut info = MatchInfo::default();
    for i in 0..dirs.len() {
        info = pm
            .matches_using_parent_results(&dirs[..=i].join("/"), &info)
            .unwrap()
            .1;
    }
    let c = pm.matches_using_parent_results(text, &info).unwrap().0;
    let d = pm
        .matches_using_parent_results(text, &MatchInfo::default())
        .unwrap()
        .0;
    [a, b, c, d]
}

#[test]
fn matches_table() {
    let v = load("patternmatcher.json");
    let mut n = 0;
    for c in v["matches"]["cases"].as_array().unwrap() {
        let (pat, text, want) = (s(&c[0]), s(&c[1]), c[2].as_bool().unwrap());
        assert_eq!(
            all_ways(&[pat], text),
            [want; 4],
            "pattern={pat:?} text={text:?}"
        );
        n += 1;
    }
    for c in v["multi_pattern_matches"]["cases"].as_array().unwrap() {
        let pats: Vec<&str> = c[0].as_array().unwrap().iter().map(s).collect();
        let (text, want) = (s(&c[1]), c[2].as_bool().unwrap());
        let got = all_ways(&pats, text);
        assert_eq!(
            [got[0], got[2], got[3]],
            [want; 3],
            "patterns={pats:?} text={text:?}"
        );
        n += 1;
    }
    assert_eq!(n, 72);
}

#[test]
fn match_table_from_go_filepath() {
    let v = load("patternmatcher.json");
    let cases = v["match_tests"]["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 54);
    for c in cases {
        let (pat, text, want, bad) = (
            s(&c[0]),
            s(&c[1]),
            c[2].as_bool().unwrap(),
            c[3].as_bool().unwrap(),
        );
        match matches_patterns(text, &[pat]) {
            Ok(got) => {
                assert!(!bad, "{pat:?} should be a bad pattern");
                assert_eq!(got, want, "Match({pat:?}, {text:?})");
            }
            Err(e) => {
                assert!(bad, "{pat:?}: unexpected {e}");
                assert_eq!(e.to_string(), "syntax error in pattern");
            }
        }
    }
}

#[test]
fn misc_patternmatcher_cases() {
    let m = |path: &str, pats: &[&str]| matches_patterns(path, pats);
    assert_eq!(m("fileutils.go", &["*"]), Ok(true));
    assert_eq!(m("fileutils.go", &["*.go"]), Ok(true));
    assert_eq!(m("fileutils.go", &["!fileutils.go", "*.go"]), Ok(true));
    assert_eq!(m("docs/README.md", &["docs", "!docs/README.md"]), Ok(false));
    assert_eq!(
        m("docs/README.md", &["docs/", "!docs/README.md"]),
        Ok(false)
    );
    assert_eq!(
        m("docs/README.md", &["docs/*", "!docs/README.md"]),
        Ok(false)
    );
    assert_eq!(m("fileutils.go", &["*.go", "!fileutils.go"]), Ok(false));
    assert_eq!(m(".", &["*.go"]), Ok(false));
    assert!(m("fileutils.go", &["!"]).is_err());
    assert_eq!(m("/any/path/there", &[]), Ok(false));
    assert!(m("/any/path/there", &["["]).is_err());
}

#[test]
fn ignorefile_read_all() {
    let v = load("ignorefile.json");
    let want: Vec<&str> = v["expected"].as_array().unwrap().iter().map(s).collect();
    assert_eq!(read_all(s(&v["content"])).unwrap(), want);
    assert_eq!(read_all("").unwrap(), Vec::<String>::new());
    assert_eq!(
        read_all("\u{FEFF}a\r\n  # not a comment\n#c\n/b/../c/\n").unwrap(),
        ["a", "# not a comment", "c"]
    );
}

//! Line-parser behaviour ported from buildkit's `parser_test.go` (Apache-2.0).

use super::*;

#[test]
fn line_numbers_include_continuations_and_comments() {
    let src = include_str!("../../tests/vectors/parser/testfile-line/Dockerfile");
    let ast = parse(src).unwrap();
    let lines: Vec<(usize, usize)> = ast
        .children
        .iter()
        .map(|c| (c.start_line, c.end_line))
        .collect();
    assert_eq!(lines, [(5, 5), (11, 12), (17, 31)]);
}

#[test]
fn warns_on_empty_continuation_lines() {
    let src = "\nFROM alpine:3.6\n\nRUN valid \\\n    continuation\n\nRUN something \\\n\n    following \\\n\n    more\n\nRUN another \\\n\n    thing\n\nRUN non-indented \\\n# this is a comment\n   after-comment\n\nRUN indented \\\n    # this is an indented comment\n    comment\n\t";
    let ast = parse(src).unwrap();
    assert_eq!(ast.warnings.len(), 2);
    assert!(
        ast.warnings[0]
            .short
            .contains("RUN something     following     more")
    );
    assert!(ast.warnings[1].short.contains("RUN another     thing"));
    assert_eq!(ast.children[4].next, ["non-indented    after-comment"]);
    assert_eq!(ast.children[5].next, ["indented     comment"]);
}

#[test]
fn rejects_overlong_lines() {
    let src = format!("\n\t\tFROM image\n\t\tLABEL test={}\n", "a".repeat(65536));
    assert_eq!(
        parse(&src).unwrap_err().to_string(),
        "dockerfile line greater than max allowed size of 65535"
    );
    let ok = format!("FROM {}\n", "a".repeat(65530));
    assert!(parse(&ok).is_ok());
}

#[test]
fn syntax_errors_name_their_lines() {
    let e = parse("# escape=x\nFROM a").unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid escape token 'x' does not match ` or \\"
    );
    assert_eq!(e.start_line, 1);
    let e = parse("FROM a\nENV foo\n").unwrap_err();
    assert_eq!(e.to_string(), "ENV must have two arguments");
    assert_eq!((e.start_line, e.end_line), (2, 2));
    let e = parse("FROM a\nLABEL a=b c\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "Syntax error - can't find = in \"c\". Must be of the form: name=value"
    );
    let e = parse("FROM a\nRUN [\"a\", 1]\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "when using JSON array syntax, arrays must be comprised of strings only"
    );
    let e = parse("FROM a\nRUN <<EOF\nhello\n").unwrap_err();
    assert_eq!(e.to_string(), "unterminated heredoc");
    assert_eq!((e.start_line, e.end_line), (2, 3));
    assert_eq!(
        parse("# just a comment\n\n").unwrap_err().error,
        SyntaxError::NoInstructions
    );
}

#[test]
fn directives_are_recorded_and_bom_is_skipped() {
    let ast = parse(
        "\u{FEFF}# syntax=docker/dockerfile:1\n# escape=`\n# check=skip=all\nFROM a\nRUN a `\n b\n",
    )
    .unwrap();
    let names: Vec<&str> = ast.directives.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["syntax", "escape", "check"]);
    assert_eq!(ast.escape_token, '`');
    assert_eq!(ast.children[1].next, ["a  b"]);
    // A blank line ends the directive block.
    let ast = parse("\n# escape=`\nFROM a\nRUN a \\\n b\n").unwrap();
    assert_eq!(ast.escape_token, '\\');
    assert_eq!(ast.children[1].next, ["a  b"]);
}

#[test]
fn json_heredoc_is_not_a_heredoc() {
    let ast = parse("FROM alpine\nRUN [\"<<EOF\"]\nRUN [\"<<'EOF'\"]\n").unwrap();
    assert!(ast.children.iter().all(|c| c.heredocs.is_empty()));
}

#[test]
fn onbuild_heredocs_attach_to_the_onbuild_node() {
    let ast = parse("FROM a\nONBUILD RUN <<EOF\necho hi\nEOF\n").unwrap();
    let ob = &ast.children[1];
    assert_eq!(ob.heredocs.len(), 1);
    assert_eq!(ob.heredocs[0].content, "echo hi\n");
    assert_eq!(ob.dump(), "onbuild (run \"<<EOF\")");
}

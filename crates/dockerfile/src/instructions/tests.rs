//! Cases ported from buildkit's `instructions/parse_test.go` and
//! `parse_heredoc_test.go` (Apache-2.0), plus Docker behaviour checks.

use std::time::Duration;

use super::typing::type_node;
use super::*;
use crate::parse;
use crate::parser::Node;

fn first(src: &str) -> Result<Instruction, ParseError> {
    let df = parse(&format!("FROM busybox\n{src}"))?;
    Ok(df.stages[0].instructions[0].instruction.clone())
}

fn err(src: &str) -> String {
    first(src).unwrap_err().to_string()
}

#[test]
fn exactly_one_argument() {
    for cmd in ["MAINTAINER", "WORKDIR", "USER", "STOPSIGNAL"] {
        assert_eq!(
            err(cmd),
            format!("dockerfile parse error on line 2: {cmd} requires exactly one argument")
        );
    }
}

#[test]
fn at_least_one_argument() {
    for cmd in [
        "ENV",
        "LABEL",
        "ONBUILD",
        "HEALTHCHECK",
        "EXPOSE",
        "VOLUME",
        "ARG",
    ] {
        assert_eq!(
            err(cmd),
            format!("dockerfile parse error on line 2: {cmd} requires at least one argument")
        );
    }
}

#[test]
fn no_destination() {
    for cmd in ["ADD", "COPY"] {
        assert_eq!(
            err(&format!("{cmd} arg1")),
            format!(
                "dockerfile parse error on line 2: {cmd} requires at least two arguments, but only one was provided. Destination could not be determined"
            )
        );
    }
    assert!(err("COPY\t\n\t\tquux \\\n      bar").contains("COPY requires at least two arguments"));
}

#[test]
fn blank_names_and_arity() {
    assert_eq!(
        err("ENV =x"),
        "dockerfile parse error on line 2: ENV names can not be blank"
    );
    assert_eq!(
        err("LABEL =x"),
        "dockerfile parse error on line 2: LABEL names can not be blank"
    );
    assert_eq!(
        err("ARG =x"),
        "dockerfile parse error on line 2: ARG names can not be blank"
    );
    let node = Node {
        value: "env".into(),
        next: vec!["arg1".into(), "arg2".into(), "arg3".into(), String::new()],
        ..Node::default()
    };
    assert!(matches!(
        type_node(&node),
        Err(InstructionError::TooManyArguments("ENV"))
    ));
}

#[test]
fn error_cases() {
    assert!(err("ONBUILD FROM scratch").ends_with("FROM isn't allowed as an ONBUILD trigger"));
    assert!(
        err("ONBUILD MAINTAINER me").ends_with("MAINTAINER isn't allowed as an ONBUILD trigger")
    );
    assert!(err("MAINTAINER --boo joe@example.com").ends_with("unknown flag: --boo"));
    assert!(
        err("ONBUILD ONBUILD RUN touch foobar")
            .ends_with("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed")
    );
    assert_eq!(
        err("FOO bar"),
        "dockerfile parse error on line 2: unknown instruction: FOO (did you mean FROM?)"
    );
    assert_eq!(
        err("foo bar"),
        "dockerfile parse error on line 2: unknown instruction: foo (did you mean from?)"
    );
    assert_eq!(
        err("RUNN x"),
        "dockerfile parse error on line 2: unknown instruction: RUNN (did you mean RUN?)"
    );
    assert_eq!(
        err("BADCMD x"),
        "dockerfile parse error on line 2: unknown instruction: BADCMD"
    );
    assert_eq!(
        err("COPY /foo <<EOF\nEOF"),
        "dockerfile parse error on line 2: COPY cannot accept a heredoc as a destination"
    );
    assert_eq!(
        err("SHELL sh -c"),
        "dockerfile parse error on line 2: SHELL requires the arguments to be in JSON form"
    );
    assert_eq!(
        err("SHELL []"),
        "dockerfile parse error on line 2: SHELL requires at least one argument"
    );
    assert_eq!(
        err("VOLUME [\"\"]"),
        "dockerfile parse error on line 2: VOLUME specified can not be an empty string"
    );
    assert_eq!(
        err("RUN --network=bridge x"),
        "dockerfile parse error on line 2: invalid network mode \"bridge\""
    );
    assert_eq!(
        err("RUN --security=x y"),
        "dockerfile parse error on line 2: security \"x\" is not valid"
    );
    assert_eq!(
        err("RUN --mount=type=cache,from=$X,target=/x y"),
        "dockerfile parse error on line 2: 'from' doesn't support variable expansion, define alias stage instead"
    );
    assert_eq!(
        err("COPY --chwon=1 a b"),
        "dockerfile parse error on line 2: unknown flag: --chwon (did you mean chown?)"
    );
    assert_eq!(
        err("ADD --link=maybe a b"),
        "dockerfile parse error on line 2: expecting boolean value for flag --link, not: maybe"
    );
}

#[test]
fn from_and_stages() {
    let df = parse("ARG V=1\nFROM --platform=$BUILDPLATFORM golang:${V} AS Build\nRUN x\nfrom scratch\nCOPY --from=build /a /b\n").unwrap();
    assert_eq!(df.meta_args.len(), 1);
    assert_eq!(df.stages.len(), 2);
    let s = &df.stages[0];
    assert_eq!(
        (s.name.as_deref(), s.base.as_str(), s.platform.as_deref()),
        (Some("build"), "golang:${V}", Some("$BUILDPLATFORM"))
    );
    assert_eq!(
        s.location,
        Location {
            start_line: 2,
            end_line: 2
        }
    );
    assert_eq!(df.stage_by_name("BUILD"), Some(0));
    assert_eq!(df.resolve_from("build"), Ok(FromRef::Stage(0)));
    assert_eq!(df.resolve_from("1"), Ok(FromRef::Stage(1)));
    assert_eq!(df.resolve_from("2"), Err(FromError::InvalidIndex(2)));
    assert_eq!(
        df.resolve_from("alpine"),
        Ok(FromRef::Image("alpine".into()))
    );
    assert_eq!(df.resolve_from("$X"), Err(FromError::Expansion));

    let e = |s: &str| parse(s).unwrap_err().to_string();
    assert_eq!(
        e("FROM a AS 1x"),
        "dockerfile parse error on line 1: invalid name for build stage: \"1x\", name can't start with a number or contain symbols"
    );
    assert_eq!(
        e("FROM a b"),
        "dockerfile parse error on line 1: FROM requires either one or three arguments"
    );
    assert_eq!(
        e("FROM"),
        "dockerfile parse error on line 1: FROM requires either one or three arguments"
    );
    assert_eq!(e("RUN x\nFROM a"), "no build stage in current context");
    assert_eq!(e("ARG a"), "dockerfile contains no stages to build");
    assert_eq!(parse("RUN x\nFROM a").unwrap_err().line(), 1);
}

#[test]
fn comments_detection() {
    let src = "# foo sets foo\nARG foo=bar\n\n# base defines first stage\nFROM busybox AS base\n# this is irrelevant\nARG foo\n# bar defines bar\n# baz is something else\nARG bar baz=123\n";
    let df = parse(src).unwrap();
    assert_eq!(df.stages[0].doc_comment, "defines first stage");
    let Instruction::Arg(meta) = &df.meta_args[0].instruction else {
        panic!()
    };
    assert_eq!(
        (meta[0].key.as_str(), meta[0].doc_comment.as_str()),
        ("foo", "sets foo")
    );
    let Instruction::Arg(a) = &df.stages[0].instructions[0].instruction else {
        panic!()
    };
    assert_eq!((a[0].key.as_str(), a[0].doc_comment.as_str()), ("foo", ""));
    let Instruction::Arg(b) = &df.stages[0].instructions[1].instruction else {
        panic!()
    };
    assert_eq!(b[0].doc_comment, "defines bar");
    assert_eq!(
        (
            b[1].key.as_str(),
            b[1].value.as_deref(),
            b[1].doc_comment.as_str()
        ),
        ("baz", Some("123"), "is something else")
    );
}

#[test]
fn healthcheck() {
    let Instruction::Healthcheck(h) = first("HEALTHCHECK CMD hello world").unwrap() else {
        panic!()
    };
    assert_eq!(h.test, ["CMD-SHELL", "hello world"]);
    let Instruction::Healthcheck(h) =
        first("HEALTHCHECK --interval=5s --timeout=3s --retries=3 --start-period=1m --start-interval=0s CMD [\"a\", \"b\"]").unwrap()
    else {
        panic!()
    };
    assert_eq!(h.test, ["CMD", "a", "b"]);
    assert_eq!(
        (h.interval, h.timeout, h.start_period, h.retries),
        (
            Duration::from_secs(5),
            Duration::from_secs(3),
            Duration::from_secs(60),
            3
        )
    );
    let Instruction::Healthcheck(h) = first("HEALTHCHECK --whatever NONE").unwrap() else {
        panic!()
    };
    assert_eq!(h.test, ["NONE"]);
    assert!(err("HEALTHCHECK NONE x").ends_with("HEALTHCHECK NONE takes no arguments"));
    assert!(err("HEALTHCHECK CMD").ends_with("Missing command after HEALTHCHECK CMD"));
    assert!(
        err("HEALTHCHECK CONNECT TCP 7000")
            .ends_with("Unknown type \"CONNECT\" in HEALTHCHECK (try CMD)")
    );
    assert!(
        err("HEALTHCHECK --interval=50ns CMD x")
            .ends_with("Interval \"interval\" cannot be less than 1ms")
    );
    assert!(err("HEALTHCHECK --timeout=5 CMD x").ends_with("time: missing unit in duration \"5\""));
    assert!(err("HEALTHCHECK --retries=-1 CMD x").ends_with("--retries cannot be negative (-1)"));
    assert!(
        err("HEALTHCHECK --retries=x CMD x")
            .ends_with("strconv.ParseInt: parsing \"x\": invalid syntax")
    );
}

#[test]
fn run_flags_and_forms() {
    let Instruction::Run(r) = first("RUN --mount=type=tmpfs,target=/foo/ echo hello").unwrap()
    else {
        panic!()
    };
    assert_eq!(r.flags_used, ["mount"]);
    assert_eq!(r.cmd.args.as_deref(), Some(&["echo hello".to_string()][..]));
    assert!(r.cmd.prepend_shell);
    let Instruction::Run(r) =
        first("RUN --network=none --security=insecure [\"ls\", \"/\"]").unwrap()
    else {
        panic!()
    };
    assert_eq!(
        (r.network, r.security, r.cmd.prepend_shell),
        (NetworkMode::None, Security::Insecure, false)
    );
    let Instruction::Run(r) = first("RUN <<'EOF' | python\nprint(\"hello\")\nEOF").unwrap() else {
        panic!()
    };
    assert_eq!(
        r.cmd.args.as_deref(),
        Some(&["<<'EOF' | python".to_string()][..])
    );
    assert_eq!(
        r.cmd.files,
        [InlineFile {
            name: "EOF".into(),
            data: "print(\"hello\")\n".into(),
            chomp: false
        }]
    );
    let Instruction::Run(r) = first("RUN <<-EOF\n\techo test\nEOF").unwrap() else {
        panic!()
    };
    assert_eq!(
        r.cmd.files[0],
        InlineFile {
            name: "EOF".into(),
            data: "\techo test\n".into(),
            chomp: true
        }
    );
    let Instruction::Entrypoint(e) = first("ENTRYPOINT []").unwrap() else {
        panic!()
    };
    assert_eq!(e.args, None);
    let Instruction::Cmd(c) = first("CMD []").unwrap() else {
        panic!()
    };
    assert_eq!(c.args, Some(vec![]));
}

#[test]
fn copy_heredocs() {
    let sd = |src: &str| -> SourcesAndDest {
        let Instruction::Copy(c) = first(src).unwrap() else {
            panic!()
        };
        c.files
    };
    let content = |path: &str, data: &str, expand: bool| SourceContent {
        path: path.into(),
        data: data.into(),
        expand,
    };
    assert_eq!(
        sd("COPY /foo /bar"),
        SourcesAndDest {
            dest: "/bar".into(),
            sources: vec!["/foo".into()],
            contents: vec![]
        }
    );
    assert_eq!(
        sd("COPY <<EOF /bar\nEOF").contents,
        [content("EOF", "", true)]
    );
    assert_eq!(
        sd("COPY <<EOF /bar\nTESTING\nEOF").contents,
        [content("EOF", "TESTING\n", true)]
    );
    assert_eq!(
        sd("COPY <<-EOF /bar\n\tTESTING\nEOF").contents,
        [content("EOF", "TESTING\n", true)]
    );
    assert_eq!(
        sd("COPY <<'EOF' /bar\nTESTING\nEOF").contents,
        [content("EOF", "TESTING\n", false)]
    );
    assert_eq!(
        sd("COPY <<EOF1 <<EOF2 /bar\nthis is the first file\nEOF1\nthis is the second file\nEOF2")
            .contents,
        [
            content("EOF1", "this is the first file\n", true),
            content("EOF2", "this is the second file\n", true)
        ]
    );
    let s = sd("COPY <<EOF foo.txt /bar\nthis is inline\nEOF");
    assert_eq!(
        (s.sources, s.contents),
        (
            vec!["foo.txt".to_string()],
            vec![content("EOF", "this is inline\n", true)]
        )
    );
    assert_eq!(
        sd("COPY <<EOF /quotes\n\"quotes\"\nEOF").contents,
        [content("EOF", "\"quotes\"\n", true)]
    );
}

#[test]
fn copy_and_add_flags() {
    let Instruction::Copy(c) = first("COPY --from=build --chown=1:1 --chmod=644 --link --parents --exclude=*.md --exclude=x a b /d/").unwrap() else {
        panic!()
    };
    assert_eq!(
        (
            c.from.as_str(),
            c.chown.as_str(),
            c.chmod.as_str(),
            c.link,
            c.parents
        ),
        ("build", "1:1", "644", true, true)
    );
    assert_eq!(c.exclude, ["*.md", "x"]);
    assert_eq!(c.files.sources, ["a", "b"]);
    let Instruction::Add(a) =
        first("ADD --checksum=sha256:abc --keep-git-dir=false --unpack https://x/y.tgz /d")
            .unwrap()
    else {
        panic!()
    };
    assert_eq!(
        (a.checksum.as_str(), a.keep_git_dir, a.unpack),
        ("sha256:abc", Some(false), Some(true))
    );
    let Instruction::Add(a) = first("ADD [\"a b\", \"/c d\"]").unwrap() else {
        panic!()
    };
    assert_eq!(
        (a.files.sources, a.files.dest),
        (vec!["a b".to_string()], "/c d".to_string())
    );
}

#[test]
fn env_label_arg_expose_volume() {
    let Instruction::Env(e) = first("ENV A=1 B=\"two words\"").unwrap() else {
        panic!()
    };
    assert_eq!(
        e[1],
        KeyValue {
            key: "B".into(),
            value: "\"two words\"".into(),
            no_delim: false
        }
    );
    let Instruction::Env(e) = first("ENV A two words").unwrap() else {
        panic!()
    };
    assert_eq!(
        e,
        [KeyValue {
            key: "A".into(),
            value: "two words".into(),
            no_delim: true
        }]
    );
    let Instruction::Label(l) = first("LABEL a=b c=\"d e\"").unwrap() else {
        panic!()
    };
    assert_eq!(l.len(), 2);
    let Instruction::Arg(a) = first("ARG A B=2").unwrap() else {
        panic!()
    };
    assert_eq!(
        (a[0].value.clone(), a[1].value.clone()),
        (None, Some("2".to_string()))
    );
    let Instruction::Expose(p) = first("EXPOSE 9000 5000 6000/udp").unwrap() else {
        panic!()
    };
    assert_eq!(p, ["5000", "6000/udp", "9000"]);
    let Instruction::Volume(v) = first("VOLUME /a /b").unwrap() else {
        panic!()
    };
    assert_eq!(v, ["/a", "/b"]);
    let Instruction::StopSignal(s) = first("STOPSIGNAL --ignored SIGKILL").unwrap() else {
        panic!()
    };
    assert_eq!(s, "SIGKILL");
}

#[test]
fn onbuild_expression() {
    let Instruction::Onbuild(e) = first("onbuild   RUN echo hi").unwrap() else {
        panic!()
    };
    assert_eq!(e, "RUN echo hi");
    let Instruction::Onbuild(e) = first("ONBUILD COPY <<EOF /x\nhello\nEOF").unwrap() else {
        panic!()
    };
    assert_eq!(e, "COPY <<EOF /x\nhello\nEOF");
    let t = parse_onbuild_trigger(&e).unwrap();
    let Instruction::Copy(c) = t.instruction else {
        panic!()
    };
    assert_eq!(c.files.contents[0].data, "hello\n");
    assert_eq!(
        parse_onbuild_trigger("RUN a\nRUN b").unwrap_err(),
        ParseError::TriggerNotSingle
    );
}

#[test]
fn expansion_for_the_builder() {
    use crate::shell::{EnvList, Lexer};
    let lex = Lexer::new('\\');
    let env = EnvList::from_entries(&["NAME=world", "DIR=/srv", "P=80 443/udp"]);
    let ex = |src: &str| first(src).unwrap().expand(&lex, &env).unwrap();
    assert_eq!(
        ex("ENV greeting=\"hello $NAME\""),
        Instruction::Env(vec![KeyValue {
            key: "greeting".into(),
            value: "hello world".into(),
            no_delim: false
        }])
    );
    assert_eq!(
        ex("WORKDIR ${DIR}/app"),
        Instruction::Workdir("/srv/app".into())
    );
    assert_eq!(
        ex("EXPOSE $P"),
        Instruction::Expose(vec!["80".into(), "443/udp".into()])
    );
    let Instruction::Copy(c) = ex("COPY <<EOF <<'RAW' $DIR/\n$NAME \"q\"\nEOF\n$NAME\nRAW") else {
        panic!()
    };
    assert_eq!(c.files.dest, "/srv/");
    assert_eq!(c.files.contents[0].data, "world \"q\"\n");
    assert_eq!(c.files.contents[1].data, "$NAME\n");
    assert_eq!(ex("CMD echo $NAME"), first("CMD echo $NAME").unwrap());

    let Instruction::Run(r) = first("RUN --mount=type=$T,target=$DIR x").unwrap() else {
        panic!()
    };
    let env = EnvList::from_entries(&["T=cache", "DIR=/c"]);
    let m = r.mounts(&lex, &env).unwrap();
    assert_eq!((m[0].kind, m[0].target.as_str()), (MountType::Cache, "/c"));
}

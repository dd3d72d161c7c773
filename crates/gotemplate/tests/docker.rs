//! What docker's CLI prints for `--format` strings users give it, on the JSON wharf's API
//! returns. Expected outputs follow docker/cli's `templates/templates.go`,
//! `cli/command/formatter/formatter.go` and Go's fmt.

use serde_json::{Value, json};
use wharf_gotemplate::docker::{Format, template_text};
use wharf_gotemplate::{MissingKey, Template};

fn container() -> Value {
    json!({
        "Id": "4f66ad9a0b2e6a1c4a1e9a3f5d1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d",
        "Name": "/web",
        "Args": ["-c", "echo hi && sleep 1"],
        "State": {"Status": "running", "Running": true, "Pid": 4242, "ExitCode": 0, "Health": null},
        "Config": {
            "Hostname": "4f66ad9a0b2e",
            "Env": ["PATH=/usr/bin:/bin", "FOO=bar"],
            "Cmd": ["sh", "-c", "echo <hi> & bye"],
            "Image": "alpine:3.20",
            "Labels": {"a": "1", "com.example": "yes", "maintainer": "Ann <ann@example.com>"},
            "Entrypoint": null,
        },
        "HostConfig": {"Memory": 0, "NanoCpus": 1500000000, "ShmSize": 67108864},
        "Mounts": [
            {"Type": "volume", "Source": "/var/lib/wharf/volumes/data/_data", "Destination": "/data"},
            {"Type": "bind", "Source": "/etc/hosts", "Destination": "/etc/hosts"},
        ],
        "NetworkSettings": {"Networks": {"bridge": {"IPAddress": "172.17.0.2"}}},
        "SizeRw": 123456789012i64,
        "CpuPercent": 1.5,
        "Ratio": 1e21,
    })
}

fn image() -> Value {
    json!({
        "RootFS": {"Type": "layers", "Layers": ["sha256:aaa", "sha256:bbb"]},
        "Config": {"Labels": null, "Cmd": ["/bin/sh"]},
        "Size": 7_800_000,
        "RepoTags": ["alpine:3.20", "alpine:latest"],
    })
}

fn render(format: &str, data: &Value) -> String {
    match Template::parse(format).and_then(|t| t.execute(data)) {
        Ok(s) => s,
        Err(e) => format!("ERROR: {e}"),
    }
}

#[test]
fn inspect_formats() {
    let c = container();
    let cases = [
        ("{{.Config.Env}}", "[PATH=/usr/bin:/bin FOO=bar]"),
        ("{{.State.Status}}", "running"),
        ("{{.State.Pid}}", "4242"),
        ("{{.State.Running}}", "true"),
        ("{{.SizeRw}}", "123456789012"),
        ("{{.HostConfig.NanoCpus}}", "1500000000"),
        ("{{.CpuPercent}}", "1.5"),
        ("{{.Ratio}}", "1e+21"),
        ("{{.Missing}}", "<no value>"),
        ("{{.Config.Entrypoint}}", "<nil>"),
        ("{{.State.Health}}", "<nil>"),
        (
            "{{.Config.Labels}}",
            "map[a:1 com.example:yes maintainer:Ann <ann@example.com>]",
        ),
        ("{{index .Config.Labels \"com.example\"}}", "yes"),
        ("{{index .Config.Labels \"absent\"}}", ""),
        ("{{.Config.Labels.absent}}", "<no value>"),
        ("{{join .Config.Cmd \" \"}}", "sh -c echo <hi> & bye"),
        ("{{join .Args \" \"}}", "-c echo hi && sleep 1"),
        ("{{json .Config.Cmd}}", r#"["sh","-c","echo <hi> & bye"]"#),
        (
            "{{json .Config.Labels}}",
            r#"{"a":"1","com.example":"yes","maintainer":"Ann <ann@example.com>"}"#,
        ),
        (
            "{{json .State}}",
            r#"{"Status":"running","Running":true,"Pid":4242,"ExitCode":0,"Health":null}"#,
        ),
        ("{{json .Name}}", r#""/web""#),
        ("{{json .Missing}}", "null"),
        (
            "{{range $k, $v := .Config.Labels}}{{$k}}={{$v}} {{end}}",
            "a=1 com.example=yes maintainer=Ann <ann@example.com> ",
        ),
        (
            "{{range .Mounts}}{{.Source}}:{{.Destination}} {{end}}",
            "/var/lib/wharf/volumes/data/_data:/data /etc/hosts:/etc/hosts ",
        ),
        (
            "{{range $i, $m := .Mounts}}{{if $i}},{{end}}{{$m.Type}}{{end}}",
            "volume,bind",
        ),
        ("{{(index .Mounts 1).Source}}", "/etc/hosts"),
        (
            "{{if eq .State.Status \"running\"}}up{{else}}down{{end}}",
            "up",
        ),
        (
            "{{if and .State.Running (eq .State.ExitCode 0)}}ok{{end}}",
            "ok",
        ),
        ("{{if gt .SizeRw 1000000}}big{{end}}", "big"),
        (
            "{{.NetworkSettings.Networks.bridge.IPAddress}}",
            "172.17.0.2",
        ),
        (
            "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
            "172.17.0.2",
        ),
        (
            "{{with .State.Health}}{{.Status}}{{else}}no healthcheck{{end}}",
            "no healthcheck",
        ),
        (
            "{{len .Mounts}} {{len .Config.Env}} {{len .Config.Entrypoint}}",
            "2 2 0",
        ),
        (
            "{{lower .State.Status}} {{upper .State.Status}} {{title \"hello world\"}}",
            "running RUNNING Hello World",
        ),
        ("{{split .Config.Image \":\"}}", "[alpine 3.20]"),
        ("{{index (split .Config.Image \":\") 1}}", "3.20"),
        ("{{truncate .Id 12}}", "4f66ad9a0b2e"),
        ("[{{pad .State.Status 2 1}}]", "[  running ]"),
        ("[{{pad \"\" 2 1}}]", "[]"),
        ("{{slice .Id 0 12}}", "4f66ad9a0b2e"),
        (
            "{{printf \"%s:%d\" .State.Status .State.Pid}}",
            "running:4242",
        ),
        ("{{println .Name}}", "/web\n"),
        ("{{.Name | printf \"%q\"}}", "\"/web\""),
        (
            "{{range .Config.Env}}{{println .}}{{end}}",
            "PATH=/usr/bin:/bin\nFOO=bar\n",
        ),
        (
            "{{- range .Config.Env }}\n{{ . }}\n{{- end }}",
            "\nPATH=/usr/bin:/bin\nFOO=bar",
        ),
    ];
    for (format, want) in cases {
        assert_eq!(render(format, &c), want, "{format}");
    }
    let img = image();
    assert_eq!(
        render("{{.RootFS.Layers}}", &img),
        "[sha256:aaa sha256:bbb]"
    );
    assert_eq!(
        render("{{range .RootFS.Layers}}{{println .}}{{end}}", &img),
        "sha256:aaa\nsha256:bbb\n"
    );
    assert_eq!(
        render("{{index .Config.Labels \"x\"}}", &img),
        "",
        "index of a null map"
    );
    assert_eq!(
        render("{{join .RepoTags \", \"}}", &img),
        "alpine:3.20, alpine:latest"
    );
    assert_eq!(render("{{.Size}}", &img), "7800000");
    assert_eq!(render("{{json .}}", &json!("a<b>&c")), r#""a<b>&c""#);
}

#[test]
fn inspect_errors() {
    let c = container();
    assert_eq!(
        render("{{.State.Health.Status}}", &c),
        r#"ERROR: template: :1:8: executing "" at <.State.Health.Status>: nil pointer evaluating interface {}.Status"#
    );
    assert_eq!(
        render("{{join .Name \",\"}}", &c),
        r#"ERROR: template: :1:2: executing "" at <join .Name ",">: error calling join: expected slice, got string"#
    );
    assert_eq!(
        render("{{truncate .Id -1}}", &c),
        r#"ERROR: template: :1:2: executing "" at <truncate .Id -1>: error calling truncate: runtime error: slice bounds out of range [:-1]"#
    );
    let strict = Template::parse("{{.State.Stauts}}")
        .unwrap()
        .with_missing_key(MissingKey::Error);
    assert_eq!(
        strict.execute(&c).unwrap_err().to_string(),
        r#"template: :1:8: executing "" at <.State.Stauts>: map has no entry for key "Stauts""#
    );
    assert_eq!(
        Template::parse("{{.State.Stauts}}")
            .unwrap()
            .execute(&c)
            .unwrap(),
        "<no value>"
    );
}

#[test]
fn format_strings_are_preprocessed_like_docker() {
    assert_eq!(
        template_text("table {{.ID}}\\t{{.Names}}"),
        "{{.ID}}\t{{.Names}}"
    );
    assert_eq!(template_text("  {{.ID}}\\n  "), "{{.ID}}\n");
    assert_eq!(template_text("json"), "{{json .}}");
    assert_eq!(template_text("table"), "");
    assert_eq!(template_text("{{.ID}}\t{{.Names}}"), "{{.ID}}\t{{.Names}}");
    assert!(Format::parse("table {{.ID}}").unwrap().is_table());
    assert!(!Format::parse("{{.ID}}").unwrap().is_table());
}

#[test]
fn list_formats_render_rows() {
    let rows = [
        json!({"Repository": "alpine", "Tag": "3.20", "ID": "a1b2c3", "Size": "7.8MB"}),
        json!({"Repository": "busybox", "Tag": "latest", "ID": "d4e5f6", "Size": "4.3MB"}),
    ];
    let f = Format::parse("{{.Repository}}:{{.Tag}}").unwrap();
    assert_eq!(
        f.render(&json!({}), &rows).unwrap(),
        "alpine:3.20\nbusybox:latest\n"
    );
    // `json` encodes the row as given; docker's rows are maps, so callers pass them with sorted
    // keys (wharf's CLI does).
    let f = Format::parse("json").unwrap();
    assert_eq!(
        f.render(&json!({}), &rows[..1]).unwrap(),
        "{\"Repository\":\"alpine\",\"Tag\":\"3.20\",\"ID\":\"a1b2c3\",\"Size\":\"7.8MB\"}\n"
    );
}

#[test]
fn tables_align_like_docker() {
    let header =
        json!({"ID": "CONTAINER ID", "Names": "NAMES", "Image": "IMAGE", "Labels": "LABELS"});
    let rows = [
        json!({"ID": "4f66ad9a0b2e", "Names": "web", "Image": "nginx:latest", "Labels": {"tier": "front"}}),
        json!({"ID": "9c1e", "Names": "db-primary", "Image": "postgres:16", "Labels": {}}),
    ];
    let f = Format::parse("table {{.ID}}\\t{{.Image}}\\t{{.Names}}").unwrap();
    assert_eq!(
        f.render(&header, &rows).unwrap(),
        "CONTAINER ID   IMAGE          NAMES\n\
         4f66ad9a0b2e   nginx:latest   web\n\
         9c1e           postgres:16    db-primary\n"
    );
    // Columns narrower than docker's minimum width of 10 are padded to it.
    let f = Format::parse("table {{.Names}}\\t{{.ID}}").unwrap();
    assert_eq!(
        f.render(
            &json!({"Names": "NAMES", "ID": "ID"}),
            &[json!({"Names": "a", "ID": "1"})]
        )
        .unwrap(),
        "NAMES     ID\na         1\n"
    );
    // No rows: docker still prints the header.
    assert_eq!(
        f.render(&json!({"Names": "NAMES", "ID": "ID"}), &[])
            .unwrap(),
        "NAMES     ID\n"
    );
    // Header functions keep column titles intact.
    let f = Format::parse("table {{lower .Names}}\\t{{json .Labels}}").unwrap();
    assert_eq!(
        f.render(&header, &rows).unwrap(),
        "NAMES        LABELS\nweb          {\"tier\":\"front\"}\ndb-primary   {}\n"
    );
    // A header that fails to render is cut short, and the rows still print.
    let f = Format::parse("table {{.ID}}\\t{{.Labels.tier}}").unwrap();
    assert_eq!(
        f.render(&header, &rows).unwrap(),
        "CONTAINER ID   \n4f66ad9a0b2e   front\n9c1e           <no value>\n"
    );
    // Wide characters take two columns.
    let f = Format::parse("table {{.Names}}\\t{{.ID}}").unwrap();
    let rows = [
        json!({"Names": "日本語の名前", "ID": "1"}),
        json!({"Names": "x", "ID": "2"}),
    ];
    assert_eq!(
        f.render(&json!({"Names": "NAMES", "ID": "ID"}), &rows)
            .unwrap(),
        "NAMES          ID\n日本語の名前   1\nx              2\n"
    );
}

/// docker/cli's formatter tests expect these messages.
#[test]
fn errors_carry_dockers_prefix() {
    assert_eq!(
        Format::parse("{{foo}}").unwrap_err().to_string(),
        "template parsing error: template: :1: function \"foo\" not defined"
    );
    assert_eq!(
        Format::parse("{{.ID").unwrap_err().to_string(),
        "template parsing error: template: :1: unclosed action"
    );
    assert_eq!(
        Format::parse("table {{.ID}").unwrap_err().to_string(),
        "template parsing error: template: :1: bad character U+007D '}'"
    );
    let f = Format::parse("{{nil}}").unwrap();
    assert_eq!(
        f.render(&json!({}), &[json!({})]).unwrap_err().to_string(),
        "template parsing error: template: :1:2: executing \"\" at <nil>: nil is not a command"
    );
    // One failing row fails the whole listing.
    let f = Format::parse("{{.ID | printf}}").unwrap();
    assert!(
        f.render(&json!({}), &[json!({"ID": "a"}), json!({"ID": 3})])
            .is_err()
    );
}

#[test]
fn two_thousand_rows_render_quickly() {
    let f =
        Format::parse("table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t{{.CreatedSince}}\\t{{.Size}}")
            .unwrap();
    let header = json!({"Repository": "REPOSITORY", "Tag": "TAG", "ID": "IMAGE ID",
        "CreatedSince": "CREATED", "Size": "SIZE"});
    let rows: Vec<Value> = (0..2000)
        .map(|i| json!({"Repository": format!("registry.example.com/team/app-{i}"), "Tag": format!("v{i}"),
            "ID": format!("{i:012x}"), "CreatedSince": "2 weeks ago", "Size": "123MB"}))
        .collect();
    let start = std::time::Instant::now();
    let out = f.render(&header, &rows).unwrap();
    let elapsed = start.elapsed();
    assert_eq!(out.lines().count(), 2001);
    let head = format!(
        "{:<37}{:<10}{:<15}{:<14}SIZE\n",
        "REPOSITORY", "TAG", "IMAGE ID", "CREATED"
    );
    assert!(out.starts_with(&head), "{}", &out[..200]);
    // Generous bound so that unoptimised test builds on a loaded machine pass; release builds
    // take a few milliseconds.
    assert!(elapsed.as_millis() < 2000, "2000 rows took {elapsed:?}");
}

//! Decode what dockerd 20.10 answered and re-encode it: every field dockerd writes that wharf
//! models comes back with the same value and null-ness.

use wharf_api::container::{ContainerInspect, ContainerSummary};

fn strip(v: &mut serde_json::Value, keys: &[&str]) {
    if let Some(o) = v.as_object_mut() {
        for k in keys {
            o.remove(*k);
        }
    }
}

#[test]
fn inspect_of_a_running_container_round_trips() {
    let raw = include_str!("data/dockerd-20.10-inspect-running.json");
    let parsed: ContainerInspect = serde_json::from_str(raw).unwrap();
    let mut want: serde_json::Value = serde_json::from_str(raw).unwrap();
    // Fields API 1.44+ dropped.
    strip(
        &mut want["HostConfig"],
        &["KernelMemory", "KernelMemoryTCP"],
    );
    for (_, ep) in want["NetworkSettings"]["Networks"].as_object_mut().unwrap() {
        ep.as_object_mut()
            .unwrap()
            .insert("DNSNames".into(), serde_json::Value::Null);
    }
    let got = serde_json::to_value(&parsed).unwrap();
    assert_eq!(got["State"], want["State"]);
    assert_eq!(got["HostConfig"], want["HostConfig"]);
    assert_eq!(got["Config"], want["Config"]);
    assert_eq!(got["NetworkSettings"], want["NetworkSettings"]);
    assert_eq!(got, want);
}

#[test]
fn ps_rows_round_trip() {
    let raw = include_str!("data/dockerd-20.10-ps.json");
    let parsed: Vec<ContainerSummary> = serde_json::from_str(raw).unwrap();
    let mut want: serde_json::Value = serde_json::from_str(raw).unwrap();
    for row in want.as_array_mut().unwrap() {
        for (_, ep) in row["NetworkSettings"]["Networks"].as_object_mut().unwrap() {
            ep.as_object_mut()
                .unwrap()
                .insert("DNSNames".into(), serde_json::Value::Null);
        }
    }
    assert_eq!(serde_json::to_value(&parsed).unwrap(), want);
}

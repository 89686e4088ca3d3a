//! The streaming reader's tests: records, envelopes, pages, documents and errors.
use super::*;

fn run(text: &str, keys: &[&str]) -> (Vec<(String, Value)>, Result<Envelope, StreamError>) {
    let mut got = Vec::new();
    let r = stream(text.as_bytes(), keys, &[], &mut |p, v| got.push((p, v)));
    (got, r)
}

#[test]
fn one_object_where_records_were_expected_is_one_record() {
    // An API's response for one record by id: `{"data": {…}}`. It was read as no
    // record at all, and nothing said so.
    let (got, env) = run(r#"{"data": {"id": "x", "n": 1}, "took": 0.1}"#, &["data"]);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, "$.data");
    assert_eq!(got[0].1["id"], "x");
    assert_eq!(env.unwrap()["took"], 0.1);
    let (got, _) = run(r#"{"data": null}"#, &["data"]);
    assert!(got.is_empty());
}

#[test]
fn bare_arrays_and_envelopes() {
    let (got, env) = run(r#"[{"a":1},{"a":2}]"#, &[]);
    assert_eq!(
        got.iter().map(|g| g.0.as_str()).collect::<Vec<_>>(),
        ["$[0]", "$[1]"]
    );
    assert!(env.unwrap().is_empty());
    let (got, env) = run(
        r#"{"more":false,"incidents":[{"id":"X"}],"time_zone":"UTC"}"#,
        &["incidents"],
    );
    assert_eq!(got[0].0, "$.incidents[0]");
    let env = env.unwrap();
    assert_eq!(env["time_zone"], "UTC");
    assert_eq!(env["more"], false);
}

#[test]
fn truncation_keeps_what_came_before_and_says_where() {
    let (got, r) = run(
        "\u{feff}{\"incidents\":[{\"id\":\"A\"},{\"id\":\"B\"},{\"id\":\"C",
        &["incidents"],
    );
    assert_eq!(got.len(), 2);
    let e = r.unwrap_err();
    assert_eq!(e.path, "$.incidents[2]");
    assert_eq!(e.elements, 2);
    assert!(
        e.message
            .starts_with("expected more JSON, found the end of the file"),
        "{}",
        e.message
    );
}

/// `stream_file` as one thread reads a file: what the parallel reading must match.
fn one_thread(path: &std::path::Path, keys: &[&str]) -> String {
    let mut got = Vec::new();
    let file = std::fs::File::open(path).unwrap();
    let r = stream(file, keys, &[], &mut |p, v| got.push((p, v)));
    let outcome = match r {
        Ok(env) => format!("ok {env:?}"),
        Err(e) if e.elements == 0 && e.path == "$" => format!("err {}: {}", e.path, e.message),
        Err(e) => format!("cut {}: {}", e.path, e.message),
    };
    format!("{got:?} {outcome}")
}

/// What `stream_file` read: the records, then each reject (a cut's message as the
/// one-thread reading words it, without the unread count).
fn parallel(path: &std::path::Path, keys: &[&str]) -> String {
    let mut got = Vec::new();
    let outcome = match stream_file(path, keys, &mut |p, v| got.push((p, v))) {
        Ok((env, items)) if items.is_empty() => format!("ok {env:?}"),
        Ok((_, items)) => items
            .iter()
            .map(|i| match i {
                crate::record::Item::Reject(r) if r.unread.is_some() => format!(
                    "cut {}: {}",
                    r.location,
                    r.reason.split("; reading stopped here").next().unwrap()
                ),
                crate::record::Item::Reject(r) => {
                    format!("reject {}: {}", r.location, r.reason)
                }
                other => panic!("{other:?}"),
            })
            .collect::<Vec<_>>()
            .join(" | "),
        Err(e) => format!("err {}: {}", e.location, e.message),
    };
    format!("{got:?} {outcome}")
}

#[test]
fn files_read_on_every_core_read_as_on_one() {
    let dir = tempfile::tempdir().unwrap();
    let record = |i: usize| format!("{{\"id\":{i},\"t\":\"{}\\n\"}}", "x".repeat(700));
    let many = |n: usize| (0..n).map(record).collect::<Vec<_>>().join(",\n");
    let big = many(3000); // about 2 MiB: several batches, on two threads
    let documents = [
        format!("{{\"more\":true,\"incidents\":[{big}],\"time_zone\":\"UTC\"}}"),
        format!("[{big}]"),
        // Cut off in the third batch, and before any record.
        format!("[{}, {{\"id\": 1", many(2900)),
        "{\"incidents\": [".to_string(),
        "not json".to_string(),
        format!("{{\"incidents\": [{}], \"x\": tru}}", many(1600)),
        format!("{{\"incidents\": [{}], \"x\": 1}} trailing", many(1600)),
        format!("{{\"incidents\": 7, \"alerts\": [{}]}}", many(1600)),
        "[{\"id\": 1}, 2, \"three\", null, [4]]".to_string(),
        // JSON Lines, whole and cut off; pages one document after another.
        (0..3000).map(record).collect::<Vec<_>>().join("\n"),
        format!(
            "{}\n{{\"id\": 1",
            (0..2900).map(record).collect::<Vec<_>>().join("\n")
        ),
        format!(
            "{{\"incidents\":[{}],\"more\":true}}\n{{\"incidents\":[{}],\"more\":false}}",
            many(1500),
            many(1500)
        ),
    ];
    for (i, text) in documents.iter().enumerate() {
        let path = dir.path().join(format!("{i}.json"));
        std::fs::write(&path, text).unwrap();
        let keys = ["incidents", "alerts"];
        let want = one_thread(&path, &keys);
        let got = parallel(&path, &keys);
        assert!(
            got == want,
            "document {i}: {} vs {}",
            &got[got.len().saturating_sub(300)..],
            &want[want.len().saturating_sub(300)..]
        );
    }
}

#[test]
fn a_record_that_does_not_parse_is_rejected_and_reading_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let record = |i: usize| format!("{{\"id\":{i},\"t\":\"{}\"}}", "x".repeat(700));
    let many = |n: usize, from: usize| (from..from + n).map(record).collect::<Vec<_>>().join(",\n");
    // Each fault in the second batch of a bare array and of an envelope's array.
    for bad in [
        "{\"id\": tru}",
        "{\"id\": \"\\x\"}",
        "{\"id\": \"\u{0}\"}",
        "{\"id\": 1e400}",
        "{\"id\": \"\\ud800\"}",
        &format!("{{\"d\": {}{}}}", "[".repeat(200), "]".repeat(200)),
    ] {
        for envelope in [false, true] {
            let body = format!("{}, {bad}, {}", many(1500, 0), many(1500, 1500));
            let text = if envelope {
                format!("{{\"incidents\": [{body}], \"more\": false}}")
            } else {
                format!("[{body}]")
            };
            let path = dir.path().join("f.json");
            std::fs::write(&path, text).unwrap();
            let mut got = 0;
            let (_, items) = stream_file(&path, &["incidents"], &mut |_, _| got += 1).unwrap();
            assert_eq!(got, 3000, "{bad}");
            assert_eq!(items.len(), 1, "{bad}: {items:?}");
            let crate::record::Item::Reject(r) = &items[0] else {
                panic!("{items:?}")
            };
            let at = if envelope {
                "$.incidents[1500]"
            } else {
                "$[1500]"
            };
            assert_eq!(r.location, at, "{bad}");
            assert!(r.reason.ends_with("the record is skipped"), "{}", r.reason);
            assert_eq!(r.unread, None);
        }
    }
    // Invalid UTF-8 inside a string.
    let mut bytes = format!("[{}, {{\"id\": \"", many(1500, 0)).into_bytes();
    bytes.extend([0xff, 0xfe]);
    bytes.extend(format!("\"}}, {}]", many(10, 1500)).into_bytes());
    let path = dir.path().join("utf8.json");
    std::fs::write(&path, bytes).unwrap();
    let mut got = 0;
    let (_, items) = stream_file(&path, &[], &mut |_, _| got += 1).unwrap();
    assert_eq!((got, items.len()), (1510, 1));
    // A record that breaks the document after a skipped one: reading stops there,
    // and the reject says how much was not read.
    let text = format!(
        "[{}, {{\"id\": tru}}, {} {}]",
        many(10, 0),
        record(10),
        many(5, 11)
    );
    std::fs::write(&path, &text).unwrap();
    let mut got = 0;
    let (_, items) = stream_file(&path, &[], &mut |_, _| got += 1).unwrap();
    assert_eq!(got, 11);
    let crate::record::Item::Reject(cut) = &items[1] else {
        panic!("{items:?}")
    };
    assert_eq!(cut.location, "$[12]");
    // From the first byte the splitter could not place: the next record's.
    let unread = text.len() - text.find(&many(5, 11)).unwrap();
    assert_eq!(cut.unread, Some(unread as u64), "{}", cut.reason);
}

#[test]
fn deep_nesting_is_refused() {
    let deep = format!("[{}{}]", "[".repeat(1000), "]".repeat(1000));
    let (_, r) = run(&deep, &[]);
    assert!(r.unwrap_err().message.contains("recursion limit"));
}

#[test]
fn snake_or_camel_case() {
    let v: Value = serde_json::json!({"startedAt": "x", "role_assignments": [1], "severity": {"slugName": "s"}});
    let e = Either(&v);
    assert_eq!(e.str_at("started_at"), Some("x"));
    assert_eq!(e.array_at("role_assignments").len(), 1);
    assert_eq!(e.str_at("severity.slug_name"), Some("s"));
    assert_eq!(e.str_at("missing_key"), None);
}

#[test]
fn dotted_paths() {
    let v: Value = serde_json::json!({"service": {"summary": "api"}, "n": "12", "e": ""});
    assert_eq!(v.str_at("service.summary"), Some("api"));
    assert_eq!(v.i64_at("n"), Some(12));
    assert_eq!(v.str_at("e"), None);
    assert!(v.array_at("missing").is_empty());
}

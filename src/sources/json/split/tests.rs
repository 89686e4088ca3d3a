//! The splitter's tests: records, envelopes, documents and what it leaves alone.
use super::*;

/// Every record and the envelope, or where the splitter gave up.
fn split(text: &str, keys: &[&str]) -> (Vec<(String, String)>, Envelope, bool) {
    // A tiny reader: blocks end everywhere, inside strings and escapes too.
    struct Trickle<'a>(&'a [u8]);
    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.len().min(out.len()).min(3);
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
    let mut s = Split::new(Trickle(text.as_bytes()), keys);
    let mut records = Vec::new();
    while let Some(b) = s.next_batch() {
        for (path, bytes) in b.records() {
            records.push((path, String::from_utf8(bytes.to_vec()).unwrap()));
        }
    }
    (records, s.envelope, s.broken)
}

#[test]
fn records_and_envelopes() {
    let (records, env, broken) = split(
        "\u{feff} {\"more\": false, \"incidents\" : [ {\"id\":\"A\\\"]}\"} ,\n\
         {\"id\":[1,{\"x\":\"]\"}]}, 7, \"s\", null ], \"log_entries\": null,\
         \"time_zone\": \"UTC\"} \n",
        &["incidents", "log_entries", "alerts"],
    );
    assert!(!broken);
    assert_eq!(
        records,
        [
            ("$.incidents[0]", r#"{"id":"A\"]}"}"#),
            ("$.incidents[1]", r#"{"id":[1,{"x":"]"}]}"#),
            ("$.incidents[2]", "7"),
            ("$.incidents[3]", r#""s""#),
            ("$.incidents[4]", "null"),
        ]
        .map(|(p, r)| (p.to_string(), r.to_string()))
    );
    assert_eq!(env.len(), 2);
    assert_eq!(env["more"], false);
    assert_eq!(env["time_zone"], "UTC");
    let (records, _, broken) = split("[[1], [], {}]", &[]);
    assert!(!broken);
    assert_eq!(records.len(), 3);
    assert_eq!(records[2], ("$[2]".to_string(), "{}".to_string()));
    let (records, env, broken) = split("[]", &[]);
    assert!(records.is_empty() && env.is_empty() && !broken);
    // One object where records were expected is left to the streaming parser, which
    // reads it as one record (see json.rs).
    let (_, _, broken) = split(r#"{"data": {"id": "x"}, "took": 1}"#, &["data"]);
    assert!(broken);
}

#[test]
fn documents_one_after_another() {
    let keys = &["log_entries", "incidents"];
    // JSON Lines of incidents that hold their log entries: each line is a record,
    // whatever it holds (an `id` of its own), and so is a line without records.
    let (records, env, broken) = split(
        "{\"log_entries\":[{\"id\":\"L1\"}],\"id\":\"Q1\"}\n\
         {\"id\":\"Q2\",\"log_entries\":[]}\n{\"title\":\"x\"}\n",
        keys,
    );
    assert!(!broken && env.is_empty());
    let paths: Vec<&str> = records.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths, ["$", "document 2: $", "document 3: $"]);
    assert_eq!(records[0].1, r#"{"log_entries":[{"id":"L1"}],"id":"Q1"}"#);
    assert_eq!(records[2].1, r#"{"title":"x"}"#);
    // Pages written one after another: their records, and the envelopes merged.
    let (records, env, broken) = split(
        "{\"log_entries\":[{\"id\":\"L1\"},{\"id\":\"L2\"}],\"more\":true}\n\
         {\"log_entries\":[{\"id\":\"L3\"}],\"more\":false} [{\"id\":\"L4\"}]",
        keys,
    );
    assert!(!broken);
    let paths: Vec<&str> = records.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "$.log_entries[0]",
            "$.log_entries[1]",
            "document 2: $.log_entries[0]",
            "document 3: $[0]"
        ]
    );
    assert_eq!(env["more"], false);
    // A lone object without an id is the envelope; with one, a record.
    let (records, env, _) = split("{\"more\":false}", keys);
    assert!(records.is_empty() && env["more"] == false);
    let (records, _, _) = split("{\"id\":\"Q1\",\"incidents\":[1]}", keys);
    assert_eq!(
        records,
        [(
            "$".to_string(),
            r#"{"id":"Q1","incidents":[1]}"#.to_string()
        )]
    );
    // An `id` nested deeper, or as a value, makes no record.
    let (records, _, _) = split("{\"x\":{\"id\":1},\"y\":\"id\",\"incidents\":[2]}", keys);
    assert_eq!(records, [("$.incidents[0]".to_string(), "2".to_string())]);
}

#[test]
fn an_id_past_the_look_ahead_is_said_to_be_misread() {
    let big = format!("[\"{}\"]", "x".repeat(LOOKAHEAD));
    let text = format!("{{\"incidents\":{big},\"id\":\"Q1\"}}\n{{\"id\":\"Q2\"}}");
    let mut s = Split::new(text.as_bytes(), &["incidents"]);
    let mut paths = Vec::new();
    while let Some(b) = s.next_batch() {
        paths.extend(b.records().map(|(p, _)| p));
    }
    assert!(!s.broken);
    assert_eq!(paths, ["$.incidents[0]", "document 2: $"]);
    assert_eq!(s.misread, ["$"]);
}

#[test]
fn what_it_cannot_follow_it_leaves() {
    for text in [
        "",
        "   ",
        "nope",
        "[{\"a\":1}",
        "[{\"a\":1} {\"b\":2}]",
        "[{\"a\":1}] x",
        "{\"incidents\": 7}",
        "{\"incidents\": [1], }",
        "{\"incidents\": nul}",
        "{\"alerts\": {\"a\": tru}}",
        "{\"x\": tru}",
        "[\"unterminated",
    ] {
        let (_, _, broken) = split(text, &["incidents"]);
        assert!(broken, "{text:?}");
    }
    // Depth is no reason to stop: a record too deep to parse is refused on its own.
    let deep = format!("[{}{}]", "[".repeat(1000), "]".repeat(1000));
    assert!(!split(&deep, &[]).2);
}

#[test]
fn batches_hold_about_a_megabyte_of_one_array() {
    let record = format!("{{\"t\":\"{}\"}}", "x".repeat(1000));
    let text = format!(
        "{{\"a\":[{}],\"b\":[{}]}}",
        vec![record.as_str(); 2500].join(","),
        record
    );
    let mut s = Split::new(text.as_bytes(), &["a", "b"]);
    let mut sizes = Vec::new();
    while let Some(b) = s.next_batch() {
        sizes.push((b.prefix.clone(), b.first, b.ends.len()));
    }
    assert!(!s.broken);
    // 1,008 bytes a record: 1,041 records pass a mebibyte.
    assert_eq!(
        sizes,
        [
            ("$.a".to_string(), 0, 1041),
            ("$.a".to_string(), 1041, 1041),
            ("$.a".to_string(), 2082, 418),
            ("$.b".to_string(), 0, 1)
        ]
    );
}

//! The writer's own tests: row and frame hashes and keys agree, sealed tables, rows set
//! in runs, frozen chunks, the merge of runs.

use super::*;
use crate::record::{Record, RowOf};
use crate::schema::{cell, col, tables};
use crate::store::strings;

#[test]
fn locations_read_back_as_pushed() {
    let mut l = Locations::default();
    let texts: Vec<String> = (0..40)
        .map(|i| format!("inc-1-é/2024-01-{:02}.json[{i}]", i / 7))
        .chain(["x".to_string(), "".to_string(), "x".to_string()])
        // Past a block of 64, and a location longer than the 64 KiB kept of one.
        .chain((0..100).map(|i| format!("big.zip: c/2024-02-01.json[{i}]")))
        .collect();
    let numbers: Vec<u32> = texts.iter().map(|t| l.push(t)).collect();
    for (t, n) in texts.iter().zip(&numbers) {
        assert_eq!(&l.get(*n), t);
    }
    let last = texts.len() - 1;
    assert_eq!(l.push(&texts[last]), numbers[last], "a repeat is one entry");
    assert_eq!(
        numbers[42],
        numbers[41] + 1,
        "a repeat of an earlier one is not"
    );
    let long = "é".repeat(40_000);
    let n = l.push(&long);
    assert_eq!(
        l.get(n),
        "é".repeat(32_767),
        "cut at a character within 64 KiB"
    );
    assert_eq!(l.get(numbers[140]), texts[140]);
}

/// Rows of values and the same rows stored as a frame hash alike (the writer
/// compares one with the other to tell a duplicate from a change).
#[test]
fn values_and_frames_hash_alike() {
    let rows = [
        message("m1", "C1").with(cell::AT, Value::Ts(1_700_000_000_000_000)),
        message("m2", "C1").with(cell::IS_BOT, Value::Bool(true)),
        Row::of(tables::Messages).with(cell::MESSAGE_ID, Value::text("m3")),
    ];
    let values: Vec<Vec<Value>> = rows.iter().map(|r| r.values.clone()).collect();
    let df = rows_to_frame(Table::Messages, values.iter()).unwrap();
    let from_values: Vec<u64> = values
        .iter()
        .map(|v| value_hash(Table::Messages, v))
        .collect();
    assert_eq!(frame_hashes(Table::Messages, &df).unwrap(), from_values);
    let people = Row::of(tables::People)
        .with(cell::PERSON_ID, Value::text("p"))
        .with(cell::ALIASES, Value::List(vec!["a".into(), "b".into()]));
    let df = rows_to_frame(Table::People, std::iter::once(&people.values)).unwrap();
    assert_eq!(
        frame_hashes(Table::People, &df).unwrap(),
        vec![value_hash(Table::People, &people.values)]
    );
    assert_ne!(from_values[0], from_values[1]);
}

#[test]
fn rows_and_frames_key_alike() {
    // One text key (hashed without building it), a null one, and a two-cell key.
    let rows: [Row; 3] = [
        message("slack:C1:1736478630.905399", "C1").into(),
        Row::of(tables::Messages).into(),
        Row::of(tables::IngestRuns)
            .with(cell::RUN_ID, Value::Int(7))
            .with(cell::FILE, Value::text("a.json"))
            .into(),
    ];
    for row in &rows {
        let df = rows_to_frame(row.table, std::iter::once(&row.values)).unwrap();
        let stored = frame_key_hashes(&df, row.table).unwrap();
        assert_eq!(row_key_hash(row), stored[0], "{row:?}");
        assert_eq!(row_key_hash(row), key_hash(&row.key()), "{row:?}");
    }
    assert_ne!(row_key_hash(&rows[0]), row_key_hash(&rows[1]));
}

fn message(id: &str, channel: &str) -> RowOf<tables::Messages> {
    Row::of(tables::Messages)
        .with(cell::MESSAGE_ID, Value::text(id))
        .with(cell::CHANNEL_ID, Value::text(channel))
        .with(cell::SOURCE, Value::text("slack"))
}

fn column(df: &DataFrame, name: &str) -> Vec<Option<String>> {
    strings(df, name).unwrap()
}

/// A sealed table is written at once and committed with the others; a run that
/// ends without committing leaves no file of it behind.
#[test]
fn sealed_tables_are_written_early_and_committed_or_removed() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::at(dir.path());
    let lock = store.lock().unwrap();
    let files = || -> Vec<String> {
        let mut all: Vec<String> = walkdir::WalkDir::new(dir.path())
            .into_iter()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_file() && e.path().to_string_lossy().contains("messages"))
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        all.sort();
        all
    };
    let mut w = Writer::new(&store, &lock);
    w.begin_file();
    w.put(message("m1", "C1"), "f").unwrap();
    w.seal(Table::Messages).unwrap();
    assert!(
        w.put(message("m2", "C1"), "f").is_err(),
        "sealed: no more changes"
    );
    drop(w);
    assert!(files().is_empty(), "{:?}", files());

    let mut w = Writer::new(&store, &lock);
    w.begin_file();
    w.put(message("m1", "C1"), "f").unwrap();
    w.seal(Table::Messages).unwrap();
    assert!(w.commit().unwrap());
    assert_eq!(files(), ["messages.parquet"]);
    assert_eq!(store.read(Table::Messages).unwrap().height(), 1);
}

/// A writer that freezes and spills every two rows, its first file begun: the paths
/// of a large export, on a few rows.
fn tiny_writer<'s>(store: &'s Store, lock: &'s Lock) -> Writer<'s> {
    let mut w = Writer::new(store, lock);
    w.chunk = 2;
    w.spill = 2;
    w.begin_file();
    w
}

/// A row set in a run is compared as set: the run is brought up to date first.
#[test]
fn rows_set_in_runs_compare_as_set() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::at(dir.path());
    let lock = store.lock().unwrap();
    let mut w = tiny_writer(&store, &lock);
    for i in 1..=5 {
        let m = message(&format!("m{i}"), "C1");
        assert_eq!(w.put(m, "f").unwrap(), Outcome::Ingested);
    }
    let mut in_c1 = TextMap::default();
    in_c1.insert("slack", "C1", Some("i1"));
    let set = [col::SOURCE, col::CHANNEL_ID];
    w.set_text_by(Table::Messages, col::INCIDENT_ID, set, in_c1)
        .unwrap();
    assert!(!w.state(Table::Messages).unwrap().run_patches.is_empty());
    let m1 = message("m1", "C1").with(cell::INCIDENT_ID, Value::text("i1"));
    assert_eq!(w.put(m1, "g").unwrap(), Outcome::Duplicate);
    assert!(w.state(Table::Messages).unwrap().run_patches.is_empty());
    assert_eq!(
        w.put(message("m2", "C1"), "g").unwrap(),
        Outcome::Ingested,
        "without the incident, m2 is a change"
    );
    let df = w.rows(Table::Messages).unwrap();
    assert_eq!(
        column(&df, col::INCIDENT_ID),
        [Some("i1"), None, Some("i1"), Some("i1"), Some("i1")]
            .map(|x| x.map(str::to_string))
            .to_vec()
    );
}

fn outcome(applied: Applied) -> Option<Outcome> {
    match applied {
        Applied::Stored(rows) => Some(Applied::outcome(&rows)),
        _ => None,
    }
}

/// Rows frozen into chunks are found, replaced, removed and set like open ones.
#[test]
fn rows_in_frozen_chunks_behave_like_open_ones() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::at(dir.path());
    let lock = store.lock().unwrap();
    let mut w = tiny_writer(&store, &lock);
    for i in 1..=5 {
        let rec = Record::new(
            format!("f.json[{i}]"),
            vec![message(&format!("m{i}"), "C1").into()],
        );
        assert_eq!(outcome(w.apply(rec).unwrap()), Some(Outcome::Ingested));
    }
    let conflict = Record::new("f.json[6]", vec![message("m1", "C9").into()]);
    assert_eq!(
        match w.apply(conflict).unwrap() {
            Applied::Rejected(reason, _) => Some(reason),
            _ => None,
        },
        Some(Rejection::new(
            Problem::Conflict,
            "duplicate key message_id=m1 with different content within this file \
             (first at f.json[1])"
        ))
    );
    let same = Record::new("f.json[7]", vec![message("m2", "C1").into()]);
    assert_eq!(outcome(w.apply(same).unwrap()), Some(Outcome::Duplicate));
    w.begin_file();
    assert_eq!(w.put(message("m3", "C2"), "g").unwrap(), Outcome::Ingested);
    w.remove(&message("m4", "C1")).unwrap();
    let mut in_c1 = TextMap::default();
    in_c1.insert("slack", "C1", Some("i1"));
    let set = [col::SOURCE, col::CHANNEL_ID];
    w.set_text_by(Table::Messages, col::INCIDENT_ID, set, in_c1.clone())
        .unwrap();
    // Set again (the runs' rows are then patched twice when read): the same.
    w.set_text_by(Table::Messages, col::INCIDENT_ID, set, in_c1)
        .unwrap();
    assert!(
        !w.state(Table::Messages).unwrap().run_patches.is_empty(),
        "rows in runs are patched as they are read"
    );
    let df = w.rows(Table::Messages).unwrap();
    let s = |v: &[Option<&str>]| -> Vec<Option<String>> {
        v.iter().map(|x| x.map(str::to_string)).collect()
    };
    assert_eq!(
        column(&df, col::MESSAGE_ID),
        s(&[Some("m1"), Some("m2"), Some("m3"), Some("m5")])
    );
    assert_eq!(
        column(&df, col::CHANNEL_ID),
        s(&[Some("C1"), Some("C1"), Some("C2"), Some("C1")])
    );
    assert_eq!(
        column(&df, col::INCIDENT_ID),
        s(&[Some("i1"), Some("i1"), None, Some("i1")])
    );
    assert!(w.commit().unwrap());

    // The stored rows are indexed again by the next writer.
    let mut w = Writer::new(&store, &lock);
    w.begin_file();
    let m2 = message("m2", "C1").with(cell::INCIDENT_ID, Value::text("i1"));
    assert_eq!(w.put(m2, "h").unwrap(), Outcome::Duplicate);
    assert_eq!(w.put(message("m4", "C1"), "h").unwrap(), Outcome::Ingested);
    assert_eq!(w.rows(Table::Messages).unwrap().height(), 5);
}

/// The merge of runs slices long stretches of one run and gathers interleaved rows: the
/// stored table is in key order either way, each row with its own cells, removed rows
/// left out.
#[test]
fn runs_merge_in_key_order_in_stretches_and_interleaved() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::at(dir.path());
    let lock = store.lock().unwrap();
    let mut w = Writer::new(&store, &lock);
    w.chunk = 50;
    w.spill = 200;
    w.begin_file();
    let id = |i: usize| format!("m{i:04}");
    // A run of the odd rows below 200 then 200..300, and one of the even rows below 200
    // then 300..400: merged one by one, then in a stretch. Then 400..700 in order, runs
    // that follow each other; then 700..1000 odd before even.
    let odd = |r: std::ops::Range<usize>| r.filter(|i| i % 2 == 1);
    let even = |r: std::ops::Range<usize>| r.filter(|i| i % 2 == 0);
    let order = odd(0..200)
        .chain(200..300)
        .chain(even(0..200))
        .chain(300..700)
        .chain(odd(700..1000))
        .chain(even(700..1000));
    for i in order {
        let channel = format!("C{}", i % 7);
        assert_eq!(
            w.put(message(&id(i), &channel), "f").unwrap(),
            Outcome::Ingested
        );
    }
    assert!(w.state(Table::Messages).unwrap().runs.len() >= 4);
    w.remove(&message(&id(150), "C3")).unwrap();
    w.remove(&message(&id(801), "C3")).unwrap();
    assert!(w.commit().unwrap());
    let df = store.read(Table::Messages).unwrap();
    let kept: Vec<usize> = (0..1000).filter(|&i| i != 150 && i != 801).collect();
    assert_eq!(
        column(&df, col::MESSAGE_ID),
        kept.iter().map(|&i| Some(id(i))).collect::<Vec<_>>()
    );
    assert_eq!(
        column(&df, col::CHANNEL_ID),
        kept.iter()
            .map(|&i| Some(format!("C{}", i % 7)))
            .collect::<Vec<_>>()
    );
}

//! The canonical form's JSON Lines files: one object per line, keys named as the CSV
//! header would be; a line over the record limit, not UTF-8 or not one object is a
//! reject, and keys the table lacks are warned about once.

use super::*;

pub(super) fn read_jsonl(
    reader: impl BufRead,
    cells: &Cells,
    emit: &mut dyn FnMut(Item),
) -> Result<Vec<String>, FileError> {
    let mut unknown = BTreeSet::new();
    let mut saw_line = false;
    let mut header_checked = false;
    let max = crate::sources::json::max_record();
    let mut reader = reader;
    let mut line = Vec::new();
    for n in 0u64.. {
        let Some(size) = read_line_capped(&mut reader, &mut line, max)? else {
            break;
        };
        let location = crate::record::line_at(n + 1);
        let (text, object) = match line_object(&line, size, max) {
            Ok(None) => continue,
            Ok(Some(read)) => read,
            Err(why) => {
                saw_line = true;
                // The excerpt, made only for a reject: none of a line too long to read.
                let shown = if size > max as u64 {
                    String::new()
                } else {
                    String::from_utf8_lossy(&line)
                        .trim_end_matches('\r')
                        .to_string()
                };
                emit(Item::Reject(Reject::new(location, why, &shown)));
                continue;
            }
        };
        saw_line = true;
        if !header_checked {
            let keys: Vec<String> = object.keys().cloned().collect();
            map_header(cells.table, &keys)?;
            header_checked = true;
        }
        emit(match line_cells(cells.table, &object, &mut unknown) {
            Ok(values) => cells.item(location, &values, &|| text.to_string()),
            Err(why) => Item::Reject(Reject::new(location, why, text)),
        });
    }
    if !saw_line {
        return Err(FileError::new(
            Fault::Layout,
            "line 1",
            "the file is empty: expected one JSON object per line",
        ));
    }
    let unknown: Vec<String> = unknown.into_iter().collect();
    Ok(ignoring("key(s)", &unknown, cells.table)
        .into_iter()
        .collect())
}

/// A line read as JSON Lines: its text (without a `\r`) and its object.
type Line<'a> = (&'a str, serde_json::Map<String, serde_json::Value>);

/// One line of a JSON Lines file as its text and object (its UTF-8 checked once):
/// `None` for a blank line, a rejection for a line over the record limit, not UTF-8, or
/// not one JSON object.
fn line_object(line: &[u8], size: u64, max: usize) -> Result<Option<Line<'_>>, Rejection> {
    if size > max as u64 {
        return Err(Rejection::too_large(format!(
            "the line has {size} bytes, more than the {} MiB one record may have \
             ([limits] max_record_mib); it is skipped without being read",
            max >> 20
        )));
    }
    let text = std::str::from_utf8(line)
        .map_err(|_| Rejection::syntax("expected UTF-8 text, found invalid bytes"))?
        .trim_end_matches('\r');
    if text.trim().is_empty() {
        return Ok(None);
    }
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(o)) => Ok(Some((text, o))),
        Ok(other) => Err(Rejection::syntax(format!(
            "expected a JSON object, found {}",
            json_kind(&other)
        ))),
        Err(e) => Err(Rejection::syntax(format!(
            "expected a JSON object, found invalid JSON ({e})"
        ))),
    }
}

/// A JSON Lines object's values as the table's cells (as text, a list joined with `;`),
/// noting keys the table does not have; a nested object is a rejection.
fn line_cells(
    table: Table,
    object: &serde_json::Map<String, serde_json::Value>,
    unknown: &mut BTreeSet<String>,
) -> Result<Vec<(&'static str, String)>, Rejection> {
    let mut values = Vec::new();
    for (k, v) in object {
        let Some(column) = column_for(table, k) else {
            unknown.insert(k.clone());
            continue;
        };
        let s = match v {
            serde_json::Value::Null => String::new(),
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Bool(b) => b.to_string(),
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Array(a) if a.iter().all(|x| x.is_string()) => a
                .iter()
                .filter_map(|x| x.as_str())
                .collect::<Vec<_>>()
                .join(";"),
            other => {
                return Err(Rejection::invalid(format!(
                    "$.{k}: expected a string, number or boolean, found {}",
                    json_kind(other)
                )))
            }
        };
        values.push((column, s));
    }
    Ok(values)
}

/// Reads the next line (without its `\n`) into `line`, keeping at most `max` bytes of
/// it: returns its whole size (more than `max`: the line was too long, and `line` holds
/// none of it), or `None` at the end of the input.
fn read_line_capped(
    reader: &mut impl BufRead,
    line: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<Option<u64>> {
    line.clear();
    let mut size = 0u64;
    let mut any = false;
    loop {
        let (done, used) = {
            let buf = reader.fill_buf()?;
            if buf.is_empty() {
                break;
            }
            any = true;
            let (part, done) = match memchr::memchr(b'\n', buf) {
                Some(k) => (&buf[..k], Some(k + 1)),
                None => (buf, None),
            };
            size += part.len() as u64;
            if size <= max as u64 {
                line.extend_from_slice(part);
            } else {
                line.clear();
            }
            (done.is_some(), done.unwrap_or(buf.len()))
        };
        reader.consume(used);
        if done {
            break;
        }
    }
    Ok(any.then_some(size))
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

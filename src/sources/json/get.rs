//! Reading a record's fields leniently: dotted paths, numbers written as strings,
//! timestamps with the path in the error, snake_case or camelCase keys.

use crate::record::Rejection;
use serde_json::Value;

/// Helpers to read fields of a record leniently.
pub trait Get {
    /// The value at a dotted path (`service.summary`), if present and not null.
    fn at(&self, path: &str) -> Option<&Value>;
    fn str_at(&self, path: &str) -> Option<&str> {
        self.at(path)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    }
    fn i64_at(&self, path: &str) -> Option<i64> {
        let v = self.at(path)?;
        v.as_i64().or_else(|| v.as_str()?.trim().parse().ok())
    }
    /// An ISO-8601 timestamp at a path: `None` when absent, an error naming the path when
    /// it does not parse.
    fn ts_at(&self, path: &str) -> Result<Option<i64>, Rejection> {
        self.str_at(path)
            .map(|s| {
                crate::time::parse_timestamp(s, None)
                    .map_err(|e| Rejection::invalid(format!("{path}: {e}")))
            })
            .transpose()
    }
    fn array_at(&self, path: &str) -> &[Value] {
        self.at(path)
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }
}

impl Get for Value {
    fn at(&self, path: &str) -> Option<&Value> {
        let mut v = self;
        for part in path.split('.') {
            v = v.get(part)?;
        }
        (!v.is_null()).then_some(v)
    }
}

/// A record whose field names may be snake_case or camelCase (`started_at` or
/// `startedAt`), for formats whose wire names are not verified: paths are written
/// snake_case and each part is tried both ways.
pub struct Either<'a>(pub &'a Value);

impl<'a> Either<'a> {
    /// The value at a snake_case path, with the record's own lifetime.
    pub fn get(&self, path: &str) -> Option<&'a Value> {
        let mut v = self.0;
        for part in path.split('.') {
            v = match v.get(part) {
                Some(x) => x,
                None => v.get(camel(part))?,
            };
        }
        (!v.is_null()).then_some(v)
    }

    /// The array at a snake_case path (empty when absent), with the record's lifetime.
    pub fn list(&self, path: &str) -> &'a [Value] {
        self.get(path)
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }
}

impl Get for Either<'_> {
    fn at(&self, path: &str) -> Option<&Value> {
        self.get(path)
    }
}

/// `started_at` → `startedAt`.
fn camel(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

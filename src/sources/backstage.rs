//! Backstage software-catalog descriptors (`catalog-info.yaml`): one or several YAML
//! documents per file, each an entity.
//!
//! A `kind: Component` entity is a service: `metadata.name` its name, `spec.owner` its
//! team (a `group:` prefix and a `namespace/` dropped), `spec.system` its product area,
//! and its tier from the annotation or label named by `[catalog] tier_key`. A component
//! without an owner (or owned by a user rather than a group) still ingests, without a
//! team, and the file's warnings name it: its incidents count under no team. Other kinds
//! (System, Group, API, Resource, …) are not services: they are counted as skipped.

use super::{Context, Fault, FileError, Input, Source};
use crate::record::{Item, Record, Reject, Rejection, Row, Value};
use crate::schema::{cell, tables};
use yaml_rust2::{Yaml, YamlLoader};

pub struct Backstage;

pub const SOURCE: &str = "backstage";

/// Largest descriptor file read (catalog files are small; a huge one is not a catalog).
const MAX_BYTES: u64 = 64 << 20;

/// How many times its own node count a file's aliases may expand it to.
const MAX_EXPANSION: u64 = 16;

/// Counts a YAML stream's nodes as written and as loading would copy them (an alias
/// counts the whole node it names), without building any of them.
#[derive(Default)]
struct Expansion {
    nodes: u64,
    /// Open collections: (anchor, expanded size so far).
    open: Vec<(usize, u64)>,
    /// Expanded size of each anchored node.
    anchored: std::collections::HashMap<usize, u64>,
    expanded: u64,
}

impl Expansion {
    fn count(text: &str) -> Result<(u64, u64), yaml_rust2::ScanError> {
        let mut e = Expansion::default();
        yaml_rust2::parser::Parser::new_from_str(text).load(&mut e, true)?;
        Ok((e.nodes, e.expanded))
    }

    /// A finished node of `size` (anchored as `anchor` when non-zero).
    fn node(&mut self, anchor: usize, size: u64) {
        if anchor != 0 {
            self.anchored.insert(anchor, size);
        }
        match self.open.last_mut() {
            Some((_, parent)) => *parent = parent.saturating_add(size),
            None => self.expanded = self.expanded.saturating_add(size),
        }
    }
}

impl yaml_rust2::parser::EventReceiver for Expansion {
    fn on_event(&mut self, ev: yaml_rust2::parser::Event) {
        use yaml_rust2::parser::Event;
        match ev {
            Event::Scalar(_, _, anchor, _) => {
                self.nodes += 1;
                self.node(anchor, 1);
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                self.nodes += 1;
                self.open.push((anchor, 1));
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((anchor, size)) = self.open.pop() {
                    self.node(anchor, size);
                }
            }
            Event::Alias(anchor) => {
                self.nodes += 1;
                let size = self.anchored.get(&anchor).copied().unwrap_or(1);
                self.node(0, size);
            }
            _ => {}
        }
    }
}

impl Source for Backstage {
    fn name(&self) -> &'static str {
        SOURCE
    }

    fn role(&self) -> super::Role {
        super::Role::Catalog
    }

    fn describe(&self) -> &'static str {
        "Backstage catalog-info.yaml (Component entities as services)"
    }

    fn detect(&self, input: &Input) -> bool {
        let name = input.file_name();
        let head = input.text_head();
        (name.ends_with(".yaml") || name.ends_with(".yml"))
            && (head.contains("backstage.io/") || head.contains("kind: Component"))
    }

    fn read(
        &self,
        input: &Input,
        ctx: &Context,
        emit: &mut dyn FnMut(Item),
    ) -> Result<Vec<String>, FileError> {
        let size = std::fs::metadata(&input.path)?.len();
        if size > MAX_BYTES {
            return Err(FileError::new(
                Fault::Refused,
                "file",
                format!("{size} bytes: a catalog descriptor is expected to be under {MAX_BYTES}"),
            ));
        }
        let text = std::fs::read_to_string(&input.path).map_err(|e| {
            FileError::new(Fault::Syntax, "file", format!("expected UTF-8 YAML: {e}"))
        })?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        let invalid = |e: yaml_rust2::ScanError| {
            let m = e.marker();
            FileError::new(
                Fault::Syntax,
                format!("line {} column {}", m.line(), m.col() + 1),
                format!("invalid YAML: {}", e.info()),
            )
        };
        // Loading copies every alias's node: count what that would make first, so that a
        // few hundred bytes of nested aliases cannot ask for gigabytes.
        let (nodes, expanded) = Expansion::count(text).map_err(invalid)?;
        if expanded > nodes.saturating_mul(MAX_EXPANSION) + 10_000 {
            return Err(FileError::new(
                Fault::Refused,
                "file",
                format!(
                    "its aliases would expand {nodes} YAML nodes into {expanded}: \
                     more than {MAX_EXPANSION} times, refused as an alias bomb"
                ),
            ));
        }
        let docs = YamlLoader::load_from_str(text).map_err(invalid)?;
        let tier_key = ctx.config.catalog.tier_key.as_str();
        let mut warnings = Vec::new();
        for (i, doc) in docs.iter().enumerate() {
            let location = format!("document {}", i + 1);
            let kind = doc["kind"].as_str().unwrap_or("");
            if !kind.is_empty() && !kind.eq_ignore_ascii_case("component") {
                emit(Item::skip(location, "a catalog entity other than a Component (System, Group, API, Resource, …): only Components are services"));
                continue;
            }
            match component(doc, tier_key) {
                Ok((row, warning)) => {
                    warnings.extend(warning);
                    emit(Item::Record(Record::new(location, vec![row])));
                }
                Err(reason) => emit(Item::Reject(Reject::new(location, reason, &describe(doc)))),
            }
        }
        Ok(warnings)
    }
}

fn describe(doc: &Yaml) -> String {
    format!(
        "kind: {} name: {}",
        doc["kind"].as_str().unwrap_or("?"),
        doc["metadata"]["name"].as_str().unwrap_or("?")
    )
}

/// A reference `[kind:][namespace/]name` as its bare name, with its kind if given.
fn entity_ref(r: &str) -> (Option<&str>, &str) {
    let (kind, rest) = match r.split_once(':') {
        Some((k, rest)) => (Some(k), rest),
        None => (None, r),
    };
    (kind, rest.rsplit('/').next().unwrap_or(rest))
}

/// A text value (YAML reads `tier: 1` as a number).
fn text(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(s) if !s.is_empty() => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Real(r) => Some(r.clone()),
        _ => None,
    }
}

fn component(doc: &Yaml, tier_key: &str) -> Result<(Row, Option<String>), Rejection> {
    let kind = doc["kind"].as_str().unwrap_or("");
    if kind.is_empty() {
        return Err(Rejection::unexpected(
            "not a catalog entity: expected a document with 'kind: Component'",
        ));
    }
    let name = doc["metadata"]["name"]
        .as_str()
        .filter(|n| !n.is_empty())
        .ok_or(Rejection::missing("a Component without 'metadata.name'"))?;
    let owner = doc["spec"]["owner"].as_str().map(entity_ref);
    let (team, warning) = match owner {
        None => (
            None,
            Some(format!("component '{name}' has no spec.owner: its incidents count under no team")),
        ),
        Some((Some(k), who)) if k.eq_ignore_ascii_case("user") => (
            None,
            Some(format!(
                "component '{name}' is owned by user '{who}', not a group: its incidents count under no team"
            )),
        ),
        Some((_, team)) => (Some(team.to_string()), None),
    };
    let system = doc["spec"]["system"].as_str().map(|s| entity_ref(s).1);
    let metadata = &doc["metadata"];
    let tier =
        text(&metadata["annotations"][tier_key]).or_else(|| text(&metadata["labels"][tier_key]));
    Ok((
        Row::of(tables::Services)
            .with(cell::SERVICE, Value::text(name))
            .with(cell::TEAM, Value::opt_text(team))
            .with(cell::TIER, Value::opt_text(tier))
            .with(cell::PRODUCT_AREA, Value::opt_text(system))
            .into(),
        warning,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_lose_kind_and_namespace() {
        assert_eq!(
            entity_ref("group:payments/checkout-team"),
            (Some("group"), "checkout-team")
        );
        assert_eq!(entity_ref("platform"), (None, "platform"));
        assert_eq!(entity_ref("user:default/jdoe"), (Some("user"), "jdoe"));
    }

    #[test]
    fn aliases_count_the_nodes_they_copy() {
        // Written: the mapping, a, the list and its 2 items, b, the alias: 7 nodes.
        // Loaded: the alias copies the list's 3, so 9.
        assert_eq!(Expansion::count("a: &x [1, 2]\nb: *x\n").unwrap(), (7, 9));
        // Two documents, no aliases: a mapping, a and 1; a mapping, b, the list and 2.
        assert_eq!(Expansion::count("a: 1\n---\nb: [2]\n").unwrap(), (7, 7));
    }
}

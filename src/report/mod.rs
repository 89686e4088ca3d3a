//! Narrative reports: the executive report in HTML (one self-contained file: inline SVG
//! and CSS, a print stylesheet, no script, nothing fetched) and Markdown (charts as SVG
//! files beside it).
//!
//! A report renders an [`Analysis`] (metrics of the period and the previous one, the
//! findings ranked, the chart series): it draws the charts from the series and renders
//! minijinja templates from `report-templates/`
//! (compiled in; `--templates DIR` overrides them file by file). Auto-escaping is on for
//! HTML, so text from exports (service names, titles) is data, never markup or template
//! source. Executive reports name no individual.

pub mod charts;
pub mod team;

use crate::analysis::{Analysis, Series};
use crate::config::Config;
use crate::findings::{self, ChartKind, Finding};
use crate::metrics::Data;
use crate::schema::col;
use crate::words::count;
use anyhow::{anyhow, bail, Context as _, Result};
use serde::Serialize;
use std::path::Path;

/// The templates the binary carries, by name.
const TEMPLATES: &[(&str, &str)] = &[
    (
        "base.html",
        include_str!("../../report-templates/base.html"),
    ),
    (
        "exec.html",
        include_str!("../../report-templates/exec.html"),
    ),
    ("exec.md", include_str!("../../report-templates/exec.md")),
    (
        "style.css",
        include_str!("../../report-templates/style.css"),
    ),
    (
        "team.html",
        include_str!("../../report-templates/team.html"),
    ),
    ("team.md", include_str!("../../report-templates/team.md")),
];

/// Short definitions for the appendix (the long form is the metric definitions).
const DEFINITIONS: &[(&str, &str)] = &[
    ("Incident in the period", "declared (else started) within the period; drills, tests and maintenance windows are excluded and counted."),
    ("Retro coverage", "share of resolved incidents of the severities the policy names (default SEV1–3) whose retro was held by the as-of time."),
    ("Time to retro", "hours from resolution to the retro; retros still owed are censored at the as-of time (Kaplan–Meier)."),
    ("Action-item completion", "done ÷ (all − dropped); done within 30/60 days is a Kaplan–Meier estimate with open items censored."),
    ("Hotspot", "incidents touching a service; its change against the previous period (of equal length) is an exact binomial test, Holm-adjusted across the services compared."),
    ("Calling a change", "with fewer than 20 observations over both periods no change is claimed; otherwise p < 0.01 is strong evidence, p < 0.05 some, and above that the difference could be chance, stated with the smallest difference the samples would show. Shares are compared by Fisher's exact test."),
    ("Participation", "a person acknowledged a page, was assigned, held a role, or posted in the incident's channel; bots never count."),
    ("Off-hours / sleep hours", "outside 08:00–18:00 Monday–Friday / between 22:00 and 08:00, in the responder's own time zone."),
    ("Night without rest", "a night with incident work in the person's sleep hours whose last stint was followed by more work within the recovery hours (default 12). A stint is a person's activity in one incident; a gap over 30 minutes starts a new one."),
    ("Phases", "medians with a bootstrap interval; a change is only called one when Mann–Whitney p < 0.05 with at least 20 incidents on each side."),
];

/// What a report is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Html,
    Md,
}

/// A rendered report: the main file's text and the chart files that go beside it
/// (Markdown only).
pub struct Rendered {
    pub text: String,
    pub charts: Vec<(String, String)>,
}

#[derive(Serialize)]
struct Chart {
    id: ChartKind,
    title: String,
    caption: String,
    svg: String,
    file: String,
}

#[derive(Serialize)]
struct FindingView<'a> {
    #[serde(flatten)]
    finding: &'a Finding,
    chart: Option<Chart>,
}

#[derive(Serialize)]
struct Source {
    file: String,
    source: String,
    sha256: String,
    rows_read: i64,
}

/// Renders the executive report of an analysis. `chart_prefix` is the file stem charts
/// get beside a Markdown report.
pub fn exec(
    a: &Analysis,
    format: Format,
    templates: Option<&Path>,
    chart_prefix: &str,
) -> Result<Rendered> {
    let (m, config) = (&a.metrics, a.ctx.config);
    let mut views = Vec::new();
    for f in a.shown() {
        let chart = match f.chart {
            Some(id) => Some(chart(id, &a.series, chart_prefix)?),
            None => None,
        };
        views.push(FindingView { finding: f, chart });
    }
    let overview = chart(ChartKind::Monthly, &a.series, chart_prefix)?;
    let phases_chart = chart(ChartKind::Phases, &a.series, chart_prefix)?;
    crate::timing::lap("report: charts");
    let (headline, rest) = match views.split_first() {
        Some((h, r)) => (Some(h), r),
        None => (None, &[][..]),
    };
    let decisions: Vec<&String> = views
        .iter()
        .filter_map(|v| v.finding.decision.as_ref())
        .collect();
    // What did not change, and what did: the phases, then in one line each the
    // findings there is no room to chart whose comparison shows a real change (their
    // sentence carries it), and status-update cadence whatever it shows; the others
    // are in metrics.json.
    let unchanged = findings::phases_context(m);
    let changed: Vec<String> = a.findings[views.len()..]
        .iter()
        .filter(|f| {
            f.family == findings::Family::Comms
                || f.comparison.as_ref().and_then(|c| c.rose()).is_some()
        })
        .map(|f| f.sentence.clone())
        .collect();
    use minijinja::Value as V;
    let definitions: Vec<V> = DEFINITIONS
        .iter()
        .map(|(t, d)| minijinja::context! { term => *t, text => *d })
        .collect();
    let context = minijinja::context! {
        title => titled(config, "Incident review", "incident review", &a.label),
        opening => opening(m),
        followed => ser(&a.followed),
        followed_when => a.followed.since.clone().unwrap_or_else(|| "last period".into()),
        period => ser(&m.period),
        as_of_date => m.period.as_of[..10].to_string(),
        incidents => ser(&m.incidents),
        headline => ser(headline),
        findings => ser(rest),
        unchanged => unchanged,
        changed => changed,
        unmeasured => a.coverage.unmeasured(),
        overview => ser(&overview),
        phases_chart => ser(&phases_chart),
        decisions => ser(&decisions),
        quality => ser(&m.data_quality),
        quality_lines => quality_lines(&m.data_quality, &m.period.as_of[..10]),
        span => incident_span(a.ctx.data),
        definitions => definitions,
        sources => ser(sources(a.ctx.data)?),
        version => env!("CARGO_PKG_VERSION"),
        config_hash => config.hash.clone().unwrap_or_else(|| "defaults".into()),
        style => template_text("style.css", templates)?,
    };
    let name = match format {
        Format::Html => "exec.html",
        Format::Md => "exec.md",
    };
    let text = render(name, templates, context)?;
    crate::timing::lap("report: render");
    let charts = match format {
        Format::Md => views
            .iter()
            .filter_map(|v| v.chart.as_ref())
            .chain([&overview, &phases_chart])
            .map(|c| (c.file.clone(), c.svg.clone()))
            .collect(),
        Format::Html => Vec::new(),
    };
    Ok(Rendered { text, charts })
}

/// Renders a team's report from the analysis of its period.
pub fn team(
    a: &Analysis,
    team_name: &str,
    format: Format,
    templates: Option<&Path>,
    pseudonymise: bool,
    chart_prefix: &str,
) -> Result<Rendered> {
    let (ctx, m, config, label) = (&a.ctx, &a.metrics, a.ctx.config, a.label.as_str());
    let known = team::teams(ctx);
    // As written, else the one team that differs only in case.
    let team_name = match known.iter().find(|t| *t == team_name) {
        Some(t) => t.as_str(),
        None => match known
            .iter()
            .filter(|t| t.to_lowercase() == team_name.to_lowercase())
            .collect::<Vec<_>>()[..]
        {
            [one] => one.as_str(),
            _ => {
                // A suggestion only when it is a likely typo, not any team at all.
                let nearest =
                    crate::words::did_you_mean(team_name, known.iter().map(String::as_str));
                return Err(anyhow!(
                    "no team '{team_name}' in the store; {nearest}teams: {}",
                    known.join(", ")
                ));
            }
        },
    };
    let view = team::view(ctx, m, team_name, pseudonymise);
    // The team's services, this period and the last, as the executive report draws
    // every service.
    let owned: std::collections::HashSet<&str> =
        view.hotspots.iter().map(|h| h.service.as_str()).collect();
    // The team's own first six services, whatever their rank among all services.
    let rows = crate::analysis::hotspot_bars(m.hotspots.iter().filter(|h| {
        h.key
            .values()
            .next()
            .is_some_and(|s| owned.contains(s.as_str()))
    }));
    let chart = (!rows.is_empty())
        .then(|| -> Result<Chart> {
            Ok(Chart {
                id: ChartKind::Hotspots,
                title: "The team's services, this period and the last".into(),
                caption: "This period's incidents stacked by severity, the previous period's count in grey beneath, by severity-weighted score.".into(),
                svg: charts::hotspots(&rows, "incidents in the period").map_err(|e| anyhow!(e))?,
                file: format!("{chart_prefix}-hotspots.svg"),
            })
        })
        .transpose()?;
    let context = minijinja::context! {
        title => titled(
            config,
            &format!("Team report: {team_name}"),
            &format!("{team_name} team report"),
            label
        ),
        period => ser(&m.period),
        as_of_date => m.period.as_of[..10].to_string(),
        team => ser(&view),
        recovery_hours => crate::findings::trim(m.recovery.recovery_hours, 1),
        recurrence_days => crate::findings::trim(m.recurrence.days, 0),
        chart => ser(&chart),
        version => env!("CARGO_PKG_VERSION"),
        style => template_text("style.css", templates)?,
    };
    let name = match format {
        Format::Html => "team.html",
        Format::Md => "team.md",
    };
    let charts = match (format, &chart) {
        (Format::Md, Some(c)) => vec![(c.file.clone(), c.svg.clone())],
        _ => Vec::new(),
    };
    Ok(Rendered {
        text: render(name, templates, context)?,
        charts,
    })
}

/// Renders one template, escaped for what it writes: HTML for `.html`, Markdown for
/// `.md` (every value, since names and titles come from exports).
fn render(name: &str, templates: Option<&Path>, context: minijinja::Value) -> Result<String> {
    use minijinja::AutoEscape;
    const MARKDOWN: AutoEscape = AutoEscape::Custom(std::borrow::Cow::Borrowed("markdown"));
    let mut env = minijinja::Environment::new();
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") {
            AutoEscape::Html
        } else if name.ends_with(".md") {
            MARKDOWN
        } else {
            AutoEscape::None
        }
    });
    env.set_formatter(|out, state, value| {
        if *state.auto_escape() == MARKDOWN {
            let text = value.to_string();
            out.write_str(&if value.is_safe() {
                text
            } else {
                markdown(&text)
            })?;
            Ok(())
        } else {
            minijinja::escape_formatter(out, state, value)
        }
    });
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .keep_trailing_newline(true)
            .build()
            .map_err(|e| anyhow!("template syntax: {e}"))?,
    );
    // Every template, so that one can extend another (base.html).
    for (t, _) in TEMPLATES {
        env.add_template_owned(t.to_string(), template_text(t, templates)?)
            .map_err(|e| anyhow!("template {t}: {e}"))?;
    }
    env.get_template(name)
        .and_then(|t| t.render(context))
        .map_err(|e| anyhow!("template {name}: {e:#}"))
}

/// A template's text: from `--templates DIR` when it holds a file of that name (only the
/// known names are looked up, so no path from outside reaches the file system), else
/// the one compiled in.
/// Checks a `--templates` folder before any work: it must exist and hold at least one
/// of the templates it would override (else the built-in ones would be used silently).
pub fn check_templates(dir: &Path) -> Result<()> {
    let names = || TEMPLATES.iter().map(|(n, _)| *n);
    if !dir.is_dir() {
        bail!(
            "--templates {}: no such folder (it overrides the built-in templates file by file: {})",
            dir.display(),
            names().collect::<Vec<_>>().join(", ")
        );
    }
    if !names().any(|n| dir.join(n).is_file()) {
        bail!(
            "--templates {}: the folder holds none of the templates ({}): nothing would be overridden",
            dir.display(),
            names().collect::<Vec<_>>().join(", ")
        );
    }
    Ok(())
}

fn template_text(name: &str, dir: Option<&Path>) -> Result<String> {
    if let Some(dir) = dir {
        let p = dir.join(name);
        if p.is_file() {
            return std::fs::read_to_string(&p)
                .with_context(|| format!("cannot read template {}", p.display()));
        }
    }
    TEMPLATES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| t.to_string())
        .ok_or_else(|| anyhow!("no template {name}"))
}

/// A chart of the analysis's series: this period, with the previous one where it shows
/// both.
fn chart(id: ChartKind, series: &Series, prefix: &str) -> Result<Chart> {
    let before =
        |c: &[(f64, f64)]| -> Option<Vec<(f64, f64)>> { (!c.is_empty()).then(|| c.to_vec()) };
    let (title, caption, svg) = match id {
        ChartKind::Hotspots => (
            "Incidents per service, this period and the last",
            "This period's incidents stacked by severity, the previous period's count in grey beneath; services ranked by severity-weighted score. Look for a bar long and dark (SEV1–2), and longer than its grey one.",
            charts::hotspots(&series.hotspots, "incidents in the period"),
        ),
        ChartKind::Retro => (
            "Retros held, by days after resolution",
            "Share of incidents needing a retro that had one, by days after resolution (Kaplan–Meier; retros still owed count as not yet held), this period in blue and the previous one in grey. Look at where the lines cross the dashed line of five working days (about seven days).",
            charts::survival(
                &series.retro.now,
                before(&series.retro.before).as_deref(),
                &[(7.0, "5 working days")],
                "days after resolution",
                "retros held",
                30.0,
            ),
        ),
        ChartKind::ActionItems => (
            "Action items done, by days after they were written",
            "Share of the period's follow-ups done, by age (Kaplan–Meier; open items count as not yet done, dropped ones are left out), this period in blue and the previous one in grey. Look at the dashed lines at 30 and 60 days.",
            charts::survival(
                &series.action_items.now,
                before(&series.action_items.before).as_deref(),
                &[(30.0, "30 days"), (60.0, "60 days")],
                "days after the item was written",
                "items done",
                90.0,
            ),
        ),
        ChartKind::Monthly => (
            "Incidents per month, by severity",
            "The previous period, then this one (shaded), by month of declaration (UTC); drills and maintenance left out.",
            charts::monthly(&series.months.0, series.months.1),
        ),
        ChartKind::Phases => (
            "Time to acknowledge, mitigate and resolve",
            "One dot per incident on a log scale, this period (blue) beside the previous one (grey); the bars are medians. Durations are heavy-tailed: read the medians and the spread, not the longest few.",
            charts::phases(&series.phases),
        ),
        ChartKind::Lorenz => {
            let (now, then) = &series.participation;
            (
                "How participation is spread across people",
                "This period in blue, the previous one in grey. The further a curve bows below the diagonal, the more responding rests on a few people.",
                charts::lorenz(now, (!then.is_empty()).then_some(&then[..])),
            )
        }
        ChartKind::Recovery => (
            "Nights of incident work, and those without rest",
            "Nights with incident work in someone's sleep hours, and those followed by more work within the recovery hours; this period blue, the previous grey.",
            charts::paired(&series.recovery, "nights"),
        ),
        ChartKind::Themes => (
            "Incidents per theme, this period and the last",
            "Incidents with each theme (an incident may have several), this period in blue and the previous one in grey beneath; incidents without a recorded theme are not shown.",
            charts::paired(&series.themes, "incidents"),
        ),
        ChartKind::Changes => (
            "Deployments followed by an incident, per service",
            "Production deployments credited with an incident (one that started within the window after it, or that its source links to it), for the four services with most, this period in blue and the previous one in grey beneath.",
            charts::paired(&series.changes, "deployments followed by an incident"),
        ),
        ChartKind::Declarers => (
            "Who declares incidents, this period and the last",
            "Incidents declared by people of each function (where the declarer's function is known), this period in blue and the previous one in grey beneath.",
            charts::paired(&series.declarers, "incidents declared"),
        ),
    };
    Ok(Chart {
        id,
        title: title.to_string(),
        caption: caption.to_string(),
        svg: svg.map_err(|e| anyhow!(e))?,
        file: format!("{prefix}-{}.svg", id.name()),
    })
}

/// The line under the title: how many incidents, over which dates, judged when, and
/// how many were left out.
fn opening(m: &crate::metrics::Metrics) -> String {
    let i = &m.incidents;
    let left_out = match i.excluded {
        0 => String::new(),
        n => format!(
            "; {} left out",
            count(
                n as u64,
                "drill, test or maintenance window",
                "drills, tests and maintenance windows"
            )
        ),
    };
    format!(
        "{} declared from {} to before {}, judged as of {}{left_out}.",
        count(i.count as u64, "incident", "incidents"),
        &m.period.from[..10],
        &m.period.to[..10],
        &m.period.as_of[..10]
    )
}

/// A report's title: `plain, label` (`Incident review, Q3 2026 (1 Jul – 30 Sep)`), or
/// with the organisation's name set, `Acme: after_name, label`.
fn titled(config: &Config, plain: &str, after_name: &str, label: &str) -> String {
    match config.report.organisation.trim() {
        "" => format!("{plain}, {label}"),
        org => format!("{org}: {after_name}, {label}"),
    }
}

/// What a report is about: everyone (executive) or one team.
pub enum Subject<'a> {
    Exec,
    Team { name: &'a str, pseudonymise: bool },
}

/// Renders a report of an analysis to `out`, with its chart files beside it (Markdown).
pub fn write(
    a: &Analysis,
    subject: Subject,
    format: Format,
    templates: Option<&std::path::Path>,
    out: &std::path::Path,
) -> Result<()> {
    let stem = out
        .file_stem()
        .map_or("report".into(), |s| s.to_string_lossy().into_owned());
    let rendered = match subject {
        Subject::Exec => exec(a, format, templates, &stem)?,
        Subject::Team { name, pseudonymise } => {
            team(a, name, format, templates, pseudonymise, &stem)?
        }
    };
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    crate::output::write_atomic(out, rendered.text)?;
    let dir = out.parent().unwrap_or(std::path::Path::new(""));
    for (name, svg) in rendered.charts {
        let p = dir.join(name);
        crate::output::write_atomic(&p, svg)?;
    }
    Ok(())
}

/// Writes the executive report and every team's report of one analysis, in HTML and
/// Markdown, into `dir` (`exec.html`, `exec.md`, `teams/<team>.html|md`, charts beside
/// the Markdown). Returns the teams and the main files written, in order.
pub fn write_set(a: &Analysis, dir: &Path) -> Result<(Vec<String>, Vec<std::path::PathBuf>)> {
    let mut written = Vec::new();
    for (format, ext) in [(Format::Html, "html"), (Format::Md, "md")] {
        let path = dir.join(format!("exec.{ext}"));
        write(a, Subject::Exec, format, None, &path)?;
        written.push(path);
    }
    let teams = team::teams(&a.ctx);
    for name in &teams {
        for (format, ext) in [(Format::Html, "html"), (Format::Md, "md")] {
            let path = dir.join("teams").join(format!("{}.{ext}", file_stem(name)));
            let subject = Subject::Team {
                name,
                pseudonymise: false,
            };
            write(a, subject, format, None, &path)?;
            written.push(path);
        }
    }
    Ok((teams, written))
}

/// A team report's file stem. Team names come from exports, so anything but letters,
/// digits, `-` and `_` becomes `-` (a team named `../../x` must not write outside the
/// folder), and a name that had to change gets a short hash of itself, so that two teams
/// never share a file.
pub fn file_stem(name: &str) -> String {
    /// Bytes of the readable part: with the hash, well under the 255 bytes a file
    /// name may have on every common file system.
    const MAX: usize = 80;
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if safe == name && !safe.is_empty() && safe.len() <= MAX {
        return safe;
    }
    let mut end = MAX.min(safe.len());
    while !safe.is_char_boundary(end) {
        end -= 1;
    }
    use sha2::Digest;
    let hash = format!("{:x}", sha2::Sha256::digest(name.as_bytes()));
    format!("{}-{}", safe[..end].trim_matches('-'), &hash[..8])
        .trim_start_matches('-')
        .to_string()
}

/// Text for a Markdown document, read as the text it is: the characters that make links,
/// images, emphasis, code, tables, raw HTML or entities are backslash-escaped (which
/// CommonMark defines for every ASCII punctuation character), and line breaks and other
/// control characters become spaces, so that no value starts a heading, a list or a
/// table row of its own.
pub fn markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        // An underscore inside a word (snake_case) cannot open or close emphasis.
        let inside_word = || {
            i > 0
                && chars[i - 1].is_alphanumeric()
                && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric())
        };
        match c {
            '_' if inside_word() => out.push(c),
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '!' | '~' | '&' | '#' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The dates of the store's first and last incident (UTC), for a period without any.
pub fn incident_span(data: &Data) -> Option<(String, String)> {
    let anchors = data.incidents.iter().map(|i| i.anchor);
    let (from, to) = (anchors.clone().min()?, anchors.max()?);
    let day = |t: i64| crate::time::format_micros(t)[..10].to_string();
    Some((day(from), day(to)))
}

/// The data-quality box in words: what was read, then only what is wrong or missing
/// (a run of zeros tells a reader nothing).
fn quality_lines(q: &crate::metrics::quality::DataQuality, as_of: &str) -> Vec<String> {
    let mut read = format!(
        "{}: {} read, {} used",
        count(q.sources.len() as u64, "source", "sources"),
        count(q.rows_read, "record", "records"),
        crate::words::thousands(q.rows_ingested)
    );
    if q.rows_skipped > 0 {
        read += &format!(
            ", {} skipped as not incident data (such as pull requests in an issues export)",
            crate::words::thousands(q.rows_skipped)
        );
    }
    if q.rows_rejected > 0 {
        read += &format!(
            ", {} rejected (listed in the store's rejects table)",
            crate::words::thousands(q.rows_rejected)
        );
    }
    let mut lines = vec![read + "."];
    let u = |n: usize| n as u64;
    let problems = [
        (q.incidents_without_severity > 0).then(|| {
            count(u(q.incidents_without_severity), "incident", "incidents") + " without a severity"
        }),
        (q.incidents_without_resolution > 0).then(|| {
            count(u(q.incidents_without_resolution), "incident", "incidents")
                + &format!(" not resolved by {as_of}")
        }),
        (q.unmatched_people > 0).then(|| {
            count(
                u(q.unmatched_people),
                "person reference",
                "person references",
            ) + " not matched to the roster"
        }),
        (q.services_not_in_catalog > 0).then(|| {
            count(u(q.services_not_in_catalog), "service", "services") + " missing from the catalog"
        }),
        (q.negative_durations > 0).then(|| {
            count(
                u(q.negative_durations),
                "negative duration",
                "negative durations",
            ) + " left out"
        }),
        q.dangling_links.filter(|n| *n > 0).map(|n| {
            count(
                u(n),
                "incident channel or ticket",
                "incident channels or tickets",
            ) + " linked to no incident"
        }),
        q.ambiguous_links
            .filter(|n| *n > 0)
            .map(|n| count(u(n), "link", "links") + " matching several incidents"),
        q.dangling_links.is_none().then(|| {
            "links not checked: the store was written before incidentlens kept what linking \
             found; ingest again (any export, or --force) to check them"
                .to_string()
        }),
        (q.unmerged_links > 0).then(|| {
            format!(
                "{} {}",
                count(u(q.unmerged_links), "link", "links"),
                crate::metrics::quality::NOT_MERGED
            )
        }),
        (q.records_pending > 0).then(|| {
            count(u(q.records_pending), "record waits", "records wait")
                + " for an incident no export has brought"
        }),
    ];
    let problems: Vec<String> = problems.into_iter().flatten().collect();
    if problems.is_empty() {
        lines.push(
            "Nothing is missing: every incident has a severity and a resolution, every person \
             and service is matched, every link resolves."
                .into(),
        );
    } else {
        lines.push(format!("To know: {}.", problems.join("; ")));
    }
    if !q.fallbacks.is_empty() {
        let used: Vec<String> = q
            .fallbacks
            .iter()
            .map(|(what, n)| format!("{what} ({})", count(u(*n), "incident", "incidents")))
            .collect();
        lines.push(format!(
            "Taken from a documented fallback: {}.",
            used.join("; ")
        ));
    }
    lines
}

/// A serde value as a template value.
fn ser<T: Serialize>(x: T) -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(x))
}

fn sources(data: &Data) -> Result<Vec<Source>> {
    let runs = &data.runs;
    let file = runs.column(col::FILE)?.str()?.clone();
    let source = runs.column(col::SOURCE)?.str()?.clone();
    let sha = runs.column(col::SHA256)?.str()?.clone();
    let read = runs.column(col::ROWS_READ)?.i64()?.clone();
    let mut out: Vec<Source> = (0..runs.height())
        .map(|i| Source {
            file: file.get(i).unwrap_or("").to_string(),
            source: source.get(i).unwrap_or("").to_string(),
            sha256: sha.get(i).unwrap_or("").to_string(),
            rows_read: read.get(i).unwrap_or(0),
        })
        .collect();
    out.sort_by(|a, b| (&a.file, &a.sha256).cmp(&(&b.file, &b.sha256)));
    out.dedup_by(|a, b| a.file == b.file && a.sha256 == b.sha256);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::file_stem;

    #[test]
    fn team_file_names_stay_in_their_folder() {
        assert_eq!(file_stem("payments"), "payments");
        assert_eq!(file_stem("data-platform_2"), "data-platform_2");
        let evil = file_stem("../../etc/passwd");
        assert!(evil.starts_with("etc-passwd-"), "{evil}");
        assert!(!evil.contains('/') && !evil.contains(".."));
        assert_ne!(file_stem("a/b"), file_stem("a b"));
        assert!(!file_stem("..").is_empty());
        // Markdown: markup characters escaped, an underscore inside a word kept.
        assert_eq!(
            super::markdown("_a_ snake_case *b* [l](u) <i>\n# h|x"),
            r"\_a\_ snake_case \*b\* \[l\](u) \<i\> \# h\|x"
        );
        // A long name is cut to 80 bytes (on a character boundary) and told apart by
        // its hash.
        let long = "é".repeat(150);
        let stem = file_stem(&long);
        assert_eq!(stem.len(), 80 + 1 + 8, "{stem}");
        assert!(stem.starts_with(&"é".repeat(40)));
        assert_ne!(stem, file_stem(&"é".repeat(151)));
    }
}

//! Report charts, drawn with plotters into SVG strings that the HTML inlines and the
//! Markdown links to. Colours are the Okabe–Ito palette (safe for colour-blind
//! readers); every chart has axis labels with units. plotters escapes label text.

use plotters::prelude::*;

/// Okabe–Ito: vermillion, orange, yellow, sky blue, blue, grey (for unknown).
const SEVERITY_COLOURS: [RGBColor; 6] = [
    RGBColor(213, 94, 0),
    RGBColor(230, 159, 0),
    RGBColor(240, 228, 66),
    RGBColor(86, 180, 233),
    RGBColor(0, 114, 178),
    RGBColor(153, 153, 153),
];
const BLUE: RGBColor = RGBColor(0, 114, 178);
const GREY: RGBColor = RGBColor(153, 153, 153);
/// A chart beside its finding's text: half the page's width on screen and in print.
const SIZE: (u32, u32) = (480, 240);
/// A chart across the page (the months overview).
const WIDE: u32 = 720;
const FONT: &str = "sans-serif";
/// Every label's size as plotters takes it (it writes `size / 1.24` SVG units): 18 is
/// 14.5 units, and a half-page chart prints at about 0.54 of its size on A4 (258 pt for
/// 480 units), so labels print at 7.8 pt, over the 7 pt floor the print test checks.
const TEXT: u32 = 18;
/// Room a legend entry takes: a swatch and a label such as `unknown`.
const LEGEND_ENTRY: i32 = 84;

type Result<T> = std::result::Result<T, String>;

fn err<E: std::fmt::Debug>(e: E) -> String {
    format!("chart: {e:?}")
}

/// A legend entry: its label, its colour, and where it goes.
type LegendEntry = (String, RGBColor, (i32, i32));

/// The legend of the severities that occur in `counts`, and a grey "previous period"
/// entry when asked.
fn severity_legend(counts: &[[usize; 6]], previous: bool) -> Vec<(String, RGBColor)> {
    let labels = ["SEV1", "SEV2", "SEV3", "SEV4", "SEV5", "unknown"];
    let mut entries: Vec<(String, RGBColor)> = (0..6)
        .filter(|&k| counts.iter().any(|c| c[k] > 0))
        .map(|k| (labels[k].to_string(), SEVERITY_COLOURS[k]))
        .collect();
    if previous {
        entries.push(("previous period".into(), GREY));
    }
    entries
}

/// Legend entries laid out in rows across `width`: their positions, and the height the
/// rows take.
fn legend_entries(entries: Vec<(String, RGBColor)>, width: i32) -> (Vec<LegendEntry>, i32) {
    let mut placed = Vec::new();
    let (mut x, mut y) = (8, 4);
    for (label, colour) in entries {
        let room = LEGEND_ENTRY.max(22 + 9 * label.chars().count() as i32);
        if x + room > width && x > 8 {
            (x, y) = (8, y + TEXT as i32 + 6);
        }
        placed.push((label, colour, (x, y)));
        x += room;
    }
    (placed, y + TEXT as i32 + 8)
}

/// Draws legend entries placed by [`legend_entries`].
fn draw_legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    entries: &[LegendEntry],
) -> Result<()> {
    for (label, colour, (x, y)) in entries {
        root.draw(&Rectangle::new(
            [(*x, *y + 2), (*x + 12, *y + 14)],
            colour.filled(),
        ))
        .map_err(err)?;
        root.draw(&Text::new(
            label.clone(),
            (*x + 16, *y),
            (FONT, TEXT).into_font(),
        ))
        .map_err(err)?;
    }
    Ok(())
}

/// Horizontal bars, one per group (most first): this period's stacked by severity, and
/// beneath each a thin grey bar of the same group's count in the previous period.
pub fn hotspots(rows: &[(String, [usize; 6], usize)], unit: &str) -> Result<String> {
    let counts: Vec<[usize; 6]> = rows.iter().map(|(_, c, _)| *c).collect();
    bars(rows, unit, severity_legend(&counts, true))
}

/// Horizontal bars, one per group: this period's count in blue, and beneath each a thin
/// grey bar of the previous period's.
pub fn paired(rows: &[(String, usize, usize)], unit: &str) -> Result<String> {
    // Blue is the palette's fifth colour: the count goes in that slot.
    let rows: Vec<(String, [usize; 6], usize)> = rows
        .iter()
        .map(|(name, now, before)| (name.clone(), [0, 0, 0, 0, *now, 0], *before))
        .collect();
    let legend = vec![
        ("this period".into(), BLUE),
        ("previous period".into(), GREY),
    ];
    bars(&rows, unit, legend)
}

/// The bars of [`hotspots`] and [`paired`], with the legend given.
fn bars(
    rows: &[(String, [usize; 6], usize)],
    unit: &str,
    legend: Vec<(String, RGBColor)>,
) -> Result<String> {
    let mut svg = String::new();
    {
        let n = rows.len().max(1);
        let max = rows
            .iter()
            .map(|(_, c, before)| c.iter().sum::<usize>().max(*before))
            .max()
            .unwrap_or(1)
            .max(1);
        let (legend, legend_height) = legend_entries(legend, SIZE.0 as i32);
        let root = SVGBackend::with_string(
            &mut svg,
            (SIZE.0, 56 + legend_height as u32 + 28 * n as u32),
        )
        .into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        // Names beyond 20 characters are cut, so that the bars keep their room.
        let names: Vec<String> = rows
            .iter()
            .map(|(s, _, _)| {
                if s.chars().count() > 20 {
                    s.chars().take(19).chain(['…']).collect()
                } else {
                    s.clone()
                }
            })
            .collect();
        let longest = names.iter().map(|s| s.chars().count()).max().unwrap_or(4) as u32;
        // Bar i is centred on y = n - 1 - i, so every integer tick names one bar.
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .margin_top(legend_height)
            .x_label_area_size(44)
            .y_label_area_size(16 + 9 * longest)
            .build_cartesian_2d(0.0..(max as f64 * 1.08), -0.5..(n as f64 - 0.5))
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .light_line_style(WHITE)
            .y_labels(n)
            .y_label_formatter(&|y| {
                let i = n as i64 - 1 - y.round() as i64;
                if (y - y.round()).abs() > 1e-6 || i < 0 {
                    return String::new();
                }
                names.get(i as usize).cloned().unwrap_or_default()
            })
            .x_desc(unit)
            .x_label_formatter(&count_label)
            .label_style((FONT, TEXT))
            .axis_desc_style((FONT, TEXT))
            .draw()
            .map_err(err)?;
        for (i, (_, counts, before)) in rows.iter().enumerate() {
            let y = (n - 1 - i) as f64;
            let mut x = 0.0;
            for (k, c) in counts.iter().enumerate() {
                if *c == 0 {
                    continue;
                }
                let w = *c as f64;
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(x, y - 0.05), (x + w, y + 0.38)],
                        SEVERITY_COLOURS[k].filled(),
                    )))
                    .map_err(err)?;
                x += w;
            }
            if *before > 0 {
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(0.0, y - 0.36), (*before as f64, y - 0.14)],
                        GREY.filled(),
                    )))
                    .map_err(err)?;
            }
        }
        // Legend, drawn by hand above the plot so that it covers no bar.
        draw_legend(&root, &legend)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// A Kaplan–Meier curve drawn as the share done (rising steps): this period's in blue,
/// the previous period's in grey when given, and dashed reference lines at `marks`
/// (the days a caption asks the reader to look at), each labelled.
pub fn survival(
    steps: &[(f64, f64)],
    previous: Option<&[(f64, f64)]>,
    marks: &[(f64, &str)],
    x_desc: &str,
    y_desc: &str,
    horizon: f64,
) -> Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let last = |s: &[(f64, f64)]| s.last().map_or(1.0, |x| x.0);
        let x_max = horizon
            .max(last(steps))
            .max(previous.map_or(0.0, last))
            .max(1.0);
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(0.0..x_max, 0.0..100.0)
            .map_err(err)?;
        chart
            .configure_mesh()
            .light_line_style(WHITE)
            .x_label_formatter(&|v| format!("{v:.0}"))
            .x_desc(x_desc)
            .y_desc(y_desc)
            .y_label_formatter(&|v| format!("{v:.0}%"))
            .label_style((FONT, TEXT))
            .axis_desc_style((FONT, TEXT))
            .draw()
            .map_err(err)?;
        for (x, label) in marks.iter().filter(|(x, _)| *x <= x_max) {
            // Dashes: short segments up the axis.
            let dashes = (0..20).map(|k| {
                let y = k as f64 * 5.0;
                PathElement::new(vec![(*x, y), (*x, y + 2.5)], GREY.stroke_width(1))
            });
            chart.draw_series(dashes).map_err(err)?;
            chart
                .draw_series(std::iter::once(Text::new(
                    label.to_string(),
                    (*x, 97.0),
                    (FONT, TEXT).into_font(),
                )))
                .map_err(err)?;
        }
        // A step function: flat until each event, then up.
        let points = |steps: &[(f64, f64)]| {
            let mut points = vec![(0.0, 0.0)];
            let mut done = 0.0;
            for (t, s) in steps {
                points.push((*t, done));
                done = (1.0 - s) * 100.0;
                points.push((*t, done));
            }
            points.push((x_max, done));
            points
        };
        if let Some(previous) = previous {
            chart
                .draw_series(LineSeries::new(points(previous), GREY.stroke_width(2)))
                .map_err(err)?
                .label("previous period")
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], GREY.stroke_width(2)));
        }
        chart
            .draw_series(LineSeries::new(points(steps), BLUE.stroke_width(3)))
            .map_err(err)?
            .label("this period")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], BLUE.stroke_width(3)));
        if previous.is_some() {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::LowerRight)
                .background_style(WHITE.mix(0.9))
                .border_style(GREY)
                .label_font((FONT, TEXT))
                .draw()
                .map_err(err)?;
        }
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// The Lorenz curve of participations per person, against the line of equality: this
/// period's in blue, the previous period's in grey when given.
pub fn lorenz(counts: &[f64], previous: Option<&[f64]>) -> Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(0.0..100.0, 0.0..100.0)
            .map_err(err)?;
        chart
            .configure_mesh()
            .light_line_style(WHITE)
            .x_desc("people, fewest first (% of responders)")
            .y_desc("% of participations")
            .x_label_formatter(&|v| format!("{v:.0}%"))
            .y_label_formatter(&|v| format!("{v:.0}%"))
            .label_style((FONT, TEXT))
            .axis_desc_style((FONT, TEXT))
            .draw()
            .map_err(err)?;
        let curve = |counts: &[f64]| {
            let mut sorted = counts.to_vec();
            sorted.sort_by(f64::total_cmp);
            let total: f64 = sorted.iter().sum::<f64>().max(1.0);
            let n = sorted.len().max(1) as f64;
            let mut points = vec![(0.0, 0.0)];
            let mut cum = 0.0;
            for (i, c) in sorted.iter().enumerate() {
                cum += c;
                points.push(((i + 1) as f64 / n * 100.0, cum / total * 100.0));
            }
            points
        };
        chart
            .draw_series(LineSeries::new(
                vec![(0.0, 0.0), (100.0, 100.0)],
                GREY.mix(0.6).stroke_width(1),
            ))
            .map_err(err)?;
        if let Some(previous) = previous.filter(|p| !p.is_empty()) {
            chart
                .draw_series(LineSeries::new(curve(previous), GREY.stroke_width(2)))
                .map_err(err)?
                .label("previous period")
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], GREY.stroke_width(2)));
        }
        chart
            .draw_series(LineSeries::new(curve(counts), BLUE.stroke_width(3)))
            .map_err(err)?
            .label("this period")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], BLUE.stroke_width(3)));
        if previous.is_some_and(|p| !p.is_empty()) {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperLeft)
                .background_style(WHITE.mix(0.9))
                .border_style(GREY)
                .label_font((FONT, TEXT))
                .draw()
                .map_err(err)?;
        }
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// Vertical bars per month, stacked by severity.
pub fn monthly(months: &[(String, [usize; 6])], current_from: usize) -> Result<String> {
    let mut svg = String::new();
    {
        let counts: Vec<[usize; 6]> = months.iter().map(|(_, c)| *c).collect();
        let (legend, legend_height) = legend_entries(severity_legend(&counts, false), WIDE as i32);
        let root = SVGBackend::with_string(&mut svg, (WIDE, 200 + legend_height as u32))
            .into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let n = months.len().max(1);
        // At most twelve month labels: a longer span names every second (third, …).
        let every = n.div_ceil(12);
        let max = months
            .iter()
            .map(|(_, c)| c.iter().sum::<usize>())
            .max()
            .unwrap_or(1)
            .max(1);
        let labels: Vec<String> = months.iter().map(|(m, _)| m.clone()).collect();
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .margin_top(legend_height)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(-0.5..(n as f64 - 0.5), 0.0..(max as f64 * 1.15))
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(WHITE)
            .x_labels(n)
            .x_label_formatter(&|x| {
                if (x - x.round()).abs() > 1e-6 || !(x.round() as usize).is_multiple_of(every) {
                    return String::new();
                }
                labels.get(x.round() as usize).cloned().unwrap_or_default()
            })
            .y_label_formatter(&count_label)
            .y_desc("incidents")
            .label_style((FONT, TEXT))
            .axis_desc_style((FONT, TEXT))
            .draw()
            .map_err(err)?;
        // This period's months on a light ground, each period named above its months.
        let top = max as f64 * 1.15;
        if current_from < months.len() {
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(current_from as f64 - 0.5, 0.0), (n as f64 - 0.5, top)],
                    RGBColor(232, 240, 248).filled(),
                )))
                .map_err(err)?;
        }
        for (label, at) in [
            ("previous period", (current_from as f64 - 1.0) / 2.0),
            ("this period", (current_from + n - 1) as f64 / 2.0),
        ] {
            if (label == "this period" && current_from < n)
                || (label != "this period" && current_from > 0)
            {
                chart
                    .draw_series(std::iter::once(Text::new(
                        label.to_string(),
                        (at - 0.4, top * 0.98),
                        (FONT, TEXT).into_font(),
                    )))
                    .map_err(err)?;
            }
        }
        for (i, (_, counts)) in months.iter().enumerate() {
            let x = i as f64;
            let mut y = 0.0;
            for (k, c) in counts.iter().enumerate() {
                if *c == 0 {
                    continue;
                }
                let h = *c as f64;
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(x - 0.3, y), (x + 0.3, y + h)],
                        SEVERITY_COLOURS[k].filled(),
                    )))
                    .map_err(err)?;
                y += h;
            }
        }
        draw_legend(&root, &legend)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// Phase durations on a log axis: for each phase, the previous period's incidents (grey)
/// above this period's (blue), one dot each, a bar at each median.
pub fn phases(rows: &[(&str, Vec<f64>, Vec<f64>)]) -> Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (SIZE.0, 70 + 56 * rows.len() as u32))
            .into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let all = rows
            .iter()
            .flat_map(|(_, a, b)| a.iter().chain(b))
            .copied()
            .filter(|v| *v > 0.0);
        let (lo, hi) = all.fold((f64::MAX, f64::MIN), |(l, h), v| (l.min(v), h.max(v)));
        let (lo, hi) = if lo > hi {
            (1.0, 100.0)
        } else {
            ((lo / 1.5).max(0.1), hi * 1.5)
        };
        let n = rows.len() * 2;
        let names: Vec<String> = rows
            .iter()
            .flat_map(|(name, _, _)| [name.to_string(), "previous".to_string()])
            .collect();
        let longest = names.iter().map(|s| s.chars().count()).max().unwrap_or(8) as u32;
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(44)
            .y_label_area_size(16 + 9 * longest)
            .build_cartesian_2d(
                (lo..hi).log_scale().with_key_points(log_ticks(lo, hi)),
                -0.5..(n as f64 - 0.5),
            )
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .light_line_style(WHITE)
            .y_labels(n)
            .y_label_formatter(&|y| {
                let i = n as i64 - 1 - y.round() as i64;
                if (y - y.round()).abs() > 1e-6 || i < 0 {
                    return String::new();
                }
                names.get(i as usize).cloned().unwrap_or_default()
            })
            .x_label_formatter(&|v| crate::findings::trim(*v, 1))
            .x_desc("minutes (log scale)")
            .label_style((FONT, TEXT))
            .axis_desc_style((FONT, TEXT))
            .draw()
            .map_err(err)?;
        for (r, (_, current, previous)) in rows.iter().enumerate() {
            for (k, (sample, colour)) in [(current, BLUE), (previous, GREY)].into_iter().enumerate()
            {
                let y = (n - 1 - (2 * r + k)) as f64;
                let dots = sample
                    .iter()
                    .filter(|v| **v > 0.0)
                    .enumerate()
                    .map(|(j, v)| {
                        // A small deterministic jitter so that equal values stay visible.
                        let dy = ((j % 7) as f64 - 3.0) * 0.06;
                        Circle::new((*v, y + dy), 3, colour.mix(0.6).filled())
                    });
                chart.draw_series(dots).map_err(err)?;
                if let Some(m) = crate::stats::median(sample).filter(|m| *m > 0.0) {
                    chart
                        .draw_series(std::iter::once(PathElement::new(
                            vec![(m, y - 0.35), (m, y + 0.35)],
                            BLACK.stroke_width(3),
                        )))
                        .map_err(err)?;
                }
            }
        }
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// The ticks of a log axis from `lo` to `hi`: the values 1, 2 and 5 times a power of ten
/// within it (the ticks between, 30 or 70, would run into each other), or, when it holds
/// none of those, its two ends rounded to two significant digits.
fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let ticks: Vec<f64> = (lo.log10().floor() as i32..=hi.log10().ceil() as i32)
        .flat_map(|e| [1.0, 2.0, 5.0].map(|k| k * 10f64.powi(e)))
        .filter(|x| *x >= lo && *x <= hi)
        .collect();
    if !ticks.is_empty() {
        return ticks;
    }
    let round = |x: f64| {
        let unit = 10f64.powf(x.log10().floor() - 1.0);
        (x / unit).round() * unit
    };
    vec![round(lo), round(hi)]
}

/// A tick on a count axis: whole numbers only (with few incidents, plotters places
/// ticks at halves, which would print as repeated integers).
fn count_label(v: &f64) -> String {
    if (v - v.round()).abs() > 1e-9 {
        String::new()
    } else {
        format!("{v:.0}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_axis_ticks_at_one_two_five() {
        assert_eq!(log_ticks(3.0, 180.0), [5.0, 10.0, 20.0, 50.0, 100.0]);
        assert_eq!(log_ticks(0.1, 1.0), [0.1, 0.2, 0.5, 1.0]);
        // A narrow range between 2 and 5: its ends.
        assert_eq!(log_ticks(2.23, 4.87), [2.2, 4.9]);
    }

    #[test]
    fn charts_are_svg_with_escaped_labels() {
        let svg = hotspots(
            &[("<script>x</script>".into(), [1, 2, 0, 0, 0, 1], 2)],
            "incidents",
        )
        .unwrap();
        // The previous period's bar, and a legend of the severities that occur.
        assert!(svg.contains("previous period"));
        assert!(svg.contains("SEV1") && svg.contains("unknown") && !svg.contains("SEV5"));
        assert!(svg.starts_with("<svg"));
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;"));
        assert!(survival(
            &[(10.0, 0.5), (20.0, 0.25)],
            None,
            &[],
            "days",
            "% done",
            30.0
        )
        .unwrap()
        .contains("<polyline"));
        // Both periods and a labelled reference line.
        let both = survival(
            &[(10.0, 0.5)],
            Some(&[(5.0, 0.2)]),
            &[(7.0, "5 working days")],
            "days",
            "% done",
            30.0,
        )
        .unwrap();
        // The monthly chart names both periods and shades this one's months.
        let m = monthly(
            &[
                ("2026-05".into(), [0, 1, 0, 0, 0, 0]),
                ("2026-06".into(), [0; 6]),
                ("2026-07".into(), [1, 0, 0, 0, 0, 0]),
            ],
            2,
        )
        .unwrap();
        assert!(m.contains("previous period") && m.contains("this period"));
        assert!(m.contains("2026-06"), "an empty month keeps its place");
        assert!(m.contains("fill=\"#E8F0F8\""), "this period's ground");
        for label in ["5 working days", "previous period", "this period"] {
            assert!(both.contains(label), "{label}");
        }
        // Grey for the previous period's curve, blue for this one's.
        assert!(both.contains("stroke=\"#999999\" stroke-width=\"2\""));
        assert!(both.contains("stroke=\"#0072B2\" stroke-width=\"3\""));
        assert!(lorenz(&[1.0, 2.0, 7.0], None)
            .unwrap()
            .contains("<polyline"));
        let both = lorenz(&[1.0, 2.0, 7.0], Some(&[3.0, 3.0])).unwrap();
        assert!(both.contains("previous period") && both.contains("this period"));
        // No label under 14 SVG units (7 pt when printed half a page wide).
        for svg in [&svg, &both, &m] {
            for size in svg.split("font-size=\"").skip(1) {
                let size: f64 = size.split('"').next().unwrap().parse().unwrap();
                assert!(size >= 14.0, "font-size {size}");
            }
        }
    }
}

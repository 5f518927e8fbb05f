//! `engram figures`: PNG figures from the output directory of `engram run` (rates.csv,
//! assemblies.pat, weight_structure.csv, recall.csv, summary.json). Headless: plotters draws
//! into an RGB buffer with a font compiled into the binary (DejaVu Sans, assets/fonts), and the
//! `image` crate encodes the PNG, so nothing is needed from the system at run time.
//!
//! A figure whose input file is missing is skipped with a note; the others are still drawn.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Once;

use clap::Args;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::error::{Error, Result};
use crate::io::{atomic, pat};
use crate::sim::pattern::Pattern;

#[derive(Args, Debug)]
pub struct FiguresArgs {
    /// Output directory of `engram run` to read.
    #[arg(long)]
    pub dir: PathBuf,
    /// Where to write the PNGs (default: DIR/figures).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

const FONT: &str = "sans-serif";
const W: u32 = 1000;
const H: u32 = 560;
/// Colours of assemblies 0, 1, 2, … (then repeating) and of "rest".
const ASSEMBLY_COLORS: [RGBColor; 6] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
];

fn assembly_color(k: usize) -> RGBColor {
    ASSEMBLY_COLORS[k % ASSEMBLY_COLORS.len()]
}

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bytes are a valid TrueType font compiled in; failure would be a build defect and
        // shows up as missing text (plotters then reports an unavailable font per figure).
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, crate::assets::DEJAVU_SANS);
    });
}

fn draw_err<E: std::fmt::Debug>(what: &str) -> impl Fn(E) -> Error + '_ {
    move |e| Error::Invalid(format!("drawing {what}: {e:?}"))
}

/// Draws into an RGB buffer of W×H and writes it as PNG.
fn render(path: &Path, f: impl FnOnce(&DrawingArea<BitMapBackend, Shift>) -> Result<()>) -> Result<()> {
    register_font();
    let mut buf = vec![0u8; (W * H * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (W, H)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err("background"))?;
        f(&root)?;
        root.present().map_err(draw_err("figure"))?;
    }
    let img = image::RgbImage::from_raw(W, H, buf).ok_or_else(|| Error::Invalid("image buffer size".into()))?;
    let mut png = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| Error::Invalid(format!("{}: PNG encoding: {e}", path.display())))?;
    atomic::atomic_write(path, |w| w.write_all(&png))
}

/// A CSV file as header and rows of fields (no quoting: the files `run` writes have none).
struct Csv {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Csv {
    fn read(path: &Path) -> Result<Option<Csv>> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(path, e)),
        };
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let header: Vec<String> = lines.next().unwrap_or("").split(',').map(|s| s.trim().to_string()).collect();
        let rows = lines.map(|l| l.split(',').map(|s| s.trim().to_string()).collect()).collect();
        Ok(Some(Csv { header, rows }))
    }

    fn col(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// Field `c` of row `r` as a number (NaN if missing or not a number).
    fn num(&self, r: usize, c: usize) -> f64 {
        self.rows[r].get(c).and_then(|s| s.parse().ok()).unwrap_or(f64::NAN)
    }

    fn text(&self, r: usize, c: usize) -> &str {
        self.rows[r].get(c).map_or("", |s| s.as_str())
    }
}

/// `engram figures`.
pub fn figures(a: &FiguresArgs) -> Result<()> {
    let out = a.out.clone().unwrap_or_else(|| a.dir.join("figures"));
    std::fs::create_dir_all(&out).map_err(|e| Error::io(&out, e))?;
    let assemblies = match pat::read_pat(&a.dir.join("assemblies.pat"), u32::MAX as usize) {
        Ok(p) => Some(p),
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    let names: Vec<String> = assemblies.iter().flatten().map(|p| p.name.clone()).collect();
    let mut written = Vec::new();
    let mut skipped = Vec::new();
    let mut note = |name: &str, done: bool| {
        if done { written.push(out.join(name)) } else { skipped.push(name.to_string()) }
    };

    let rates = Csv::read(&a.dir.join("rates.csv"))?;
    if let Some(r) = &rates {
        rates_figure(&out.join("rates.png"), r, &names)?;
    }
    note("rates.png", rates.is_some());

    if let Some(asm) = &assemblies {
        sizes_figure(&out.join("assembly_sizes.png"), asm)?;
    }
    note("assembly_sizes.png", assemblies.is_some());

    let ws = Csv::read(&a.dir.join("weight_structure.csv"))?;
    let summary: Option<serde_json::Value> =
        std::fs::read_to_string(a.dir.join("summary.json")).ok().and_then(|t| serde_json::from_str(&t).ok());
    let init_t = summary.as_ref().and_then(|s| s["weight_structure_end_of_init"]["t_s"].as_f64());
    let mut drew_matrix = false;
    let mut drew_time = false;
    if let Some(ws) = &ws {
        drew_matrix = weight_matrix_figure(&out.join("weight_blocks.png"), ws, init_t)?;
        drew_time = weight_time_figure(&out.join("weights_over_time.png"), ws)?;
    }
    note("weight_blocks.png", drew_matrix);
    note("weights_over_time.png", drew_time);

    let recall = Csv::read(&a.dir.join("recall.csv"))?;
    let mut drew_recall = false;
    if let Some(r) = &recall {
        drew_recall = recall_figure(&out.join("recall.png"), r, &names)?;
    }
    note("recall.png", drew_recall);

    for p in &written {
        println!("{}", p.display());
    }
    if !skipped.is_empty() {
        eprintln!("note: not drawn (input missing or empty in {}): {}", a.dir.display(), skipped.join(", "));
    }
    Ok(())
}

/// E, I rates and every assembly's member rate over time (100 ms bins, smoothed over 1 s so a
/// long run stays readable).
fn rates_figure(path: &Path, csv: &Csv, names: &[String]) -> Result<()> {
    let t_col = csv.col("t_s").ok_or_else(|| Error::Invalid("rates.csv: no t_s column".into()))?;
    let mut series: Vec<(String, usize, RGBColor)> = Vec::new();
    for (k, h) in csv.header.iter().enumerate() {
        if let Some(idx) =
            h.strip_prefix("assembly").and_then(|s| s.strip_suffix("_hz")).and_then(|s| s.parse::<usize>().ok())
        {
            let label = names.get(idx).cloned().unwrap_or_else(|| format!("assembly {idx}"));
            series.push((label, k, assembly_color(idx)));
        }
    }
    if let Some(c) = csv.col("e_hz") {
        series.push(("E population".into(), c, BLACK));
    }
    let t: Vec<f64> = (0..csv.rows.len()).map(|r| csv.num(r, t_col)).collect();
    let smooth = 10; // 10 bins of 100 ms
    let smoothed = |c: usize| -> Vec<(f64, f64)> {
        (0..csv.rows.len() / smooth)
            .filter_map(|b| {
                let vals: Vec<f64> =
                    (b * smooth..(b + 1) * smooth).map(|r| csv.num(r, c)).filter(|v| v.is_finite()).collect();
                (!vals.is_empty()).then(|| (t[(b + 1) * smooth - 1], vals.iter().sum::<f64>() / vals.len() as f64))
            })
            .collect()
    };
    let lines: Vec<Line> =
        series.into_iter().map(|(name, c, colour)| Line { name, points: smoothed(c), colour, width: 1 }).collect();
    let t_max = t.iter().copied().filter(|v| v.is_finite()).fold(1e-3, f64::max);
    let y_max = lines.iter().flat_map(|l| l.points.iter().map(|p| p.1)).fold(1.0, f64::max) * 1.05;
    render(path, |root| {
        let title = "Population and assembly rates (1 s means)";
        line_chart(root, title, "rate [Hz]", (t_max, y_max), &lines, SeriesLabelPosition::UpperRight)
    })
}

/// One curve of a [`line_chart`].
struct Line {
    name: String,
    points: Vec<(f64, f64)>,
    colour: RGBColor,
    width: u32,
}

/// Curves over time [s] on [0, t_max] × [0, y_max], with a legend.
fn line_chart(
    root: &DrawingArea<BitMapBackend, Shift>,
    title: &str,
    y_desc: &str,
    (t_max, y_max): (f64, f64),
    lines: &[Line],
    legend: SeriesLabelPosition,
) -> Result<()> {
    let e = draw_err(title);
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FONT, 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..t_max, 0.0..y_max)
        .map_err(&e)?;
    chart.configure_mesh().x_desc("time [s]").y_desc(y_desc).label_style((FONT, 14)).draw().map_err(&e)?;
    for l in lines {
        let style = l.colour.stroke_width(l.width);
        chart
            .draw_series(LineSeries::new(l.points.iter().copied(), style))
            .map_err(&e)?
            .label(l.name.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], style.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(legend)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font((FONT, 14))
        .draw()
        .map_err(&e)?;
    Ok(())
}

/// Bars of named values with the value written above each bar.
fn bar_chart(
    root: &DrawingArea<BitMapBackend, Shift>,
    title: &str,
    y_desc: &str,
    bars: &[(String, f64, RGBColor)],
    y_max: f64,
    fmt: &dyn Fn(f64) -> String,
) -> Result<()> {
    let e = draw_err(title);
    let n = bars.len();
    let labels: Vec<String> = bars.iter().map(|b| b.0.clone()).collect();
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FONT, 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d((0..n.max(1) - 1).into_segmented(), 0.0..y_max)
        .map_err(&e)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n.max(1))
        .x_label_formatter(&|v| match v {
            SegmentValue::CenterOf(k) => labels.get(*k).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .y_desc(y_desc)
        .label_style((FONT, 15))
        .draw()
        .map_err(&e)?;
    chart
        .draw_series(bars.iter().enumerate().map(|(k, (_, v, col))| {
            let mut r = Rectangle::new([(SegmentValue::Exact(k), 0.0), (SegmentValue::Exact(k + 1), *v)], col.filled());
            r.set_margin(0, 0, 18, 18);
            r
        }))
        .map_err(&e)?;
    chart
        .draw_series(bars.iter().enumerate().map(|(k, (_, v, _))| {
            let style = TextStyle::from((FONT, 15).into_font()).pos(text_anchor(VPos::Bottom));
            Text::new(fmt(*v), (SegmentValue::CenterOf(k), *v + y_max * 0.01), style)
        }))
        .map_err(&e)?;
    Ok(())
}

fn sizes_figure(path: &Path, assemblies: &[Pattern]) -> Result<()> {
    let bars: Vec<(String, f64, RGBColor)> =
        assemblies.iter().enumerate().map(|(k, p)| (p.name.clone(), p.len() as f64, assembly_color(k))).collect();
    let y_max = bars.iter().map(|b| b.1).fold(1.0, f64::max) * 1.15;
    render(path, |root| bar_chart(root, "Assembly sizes (E neurons)", "neurons", &bars, y_max, &|v| format!("{v:.0}")))
}

/// Group names in file order, and mean w by (from, to).
type GroupMatrix = (Vec<String>, BTreeMap<(String, String), f64>);

/// The E→E rows of weight_structure.csv at time `t`: (groups, matrix by (from, to)).
fn ee_at(csv: &Csv, t: f64) -> Option<GroupMatrix> {
    let (ct, cp, cf, cto, cw) =
        (csv.col("t_s")?, csv.col("projection")?, csv.col("from")?, csv.col("to")?, csv.col("mean_w")?);
    let mut groups: Vec<String> = Vec::new();
    let mut m = BTreeMap::new();
    for r in 0..csv.rows.len() {
        if csv.text(r, cp) != "ee" || (csv.num(r, ct) - t).abs() > 1e-6 {
            continue;
        }
        let (f, to) = (csv.text(r, cf).to_string(), csv.text(r, cto).to_string());
        if !groups.contains(&f) {
            groups.push(f.clone());
        }
        m.insert((f, to), csv.num(r, cw));
    }
    (!m.is_empty()).then_some((groups, m))
}

/// Heatmap of the mean E→E weight between groups at the end of phase 1 (or at the last time
/// in the file if phase 1's end is not known), numbers in the cells. Row = presynaptic.
fn weight_matrix_figure(path: &Path, csv: &Csv, init_t: Option<f64>) -> Result<bool> {
    let Some(ct) = csv.col("t_s") else { return Ok(false) };
    let last_t = (0..csv.rows.len()).map(|r| csv.num(r, ct)).filter(|v| v.is_finite()).fold(f64::NAN, f64::max);
    let t = init_t.unwrap_or(last_t);
    let Some((groups, m)) = ee_at(csv, t).or_else(|| ee_at(csv, last_t)) else { return Ok(false) };
    // Integer ranges are inclusive as plotters axes: 0..g-1 gives g segments.
    let g = groups.len();
    let v_max = m.values().copied().filter(|v| v.is_finite()).fold(1e-9, f64::max);
    let title = format!(
        "Mean E\u{2192}E weight between assemblies at t = {t:.0} s{}",
        if init_t.is_some() { " (end of phase 1)" } else { "" }
    );
    render(path, |root| {
        let e = draw_err("weight blocks");
        let (plot, bar) = root.split_horizontally(W - 130);
        let mut chart = ChartBuilder::on(&plot)
            .caption(&title, (FONT, 20))
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(90)
            .build_cartesian_2d((0..g - 1).into_segmented(), (0..g - 1).into_segmented())
            .map_err(&e)?;
        let label = |v: &SegmentValue<usize>, flip: bool| match v {
            SegmentValue::CenterOf(k) if *k < g => groups[if flip { g - 1 - *k } else { *k }].clone(),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(g)
            .y_labels(g)
            .x_label_formatter(&|v| label(v, false))
            .y_label_formatter(&|v| label(v, true))
            .x_desc("to (postsynaptic)")
            .y_desc("from (presynaptic)")
            .label_style((FONT, 15))
            .draw()
            .map_err(&e)?;
        let cell = |a: usize, b: usize| m.get(&(groups[a].clone(), groups[b].clone())).copied().unwrap_or(f64::NAN);
        chart
            .draw_series((0..g).flat_map(|a| (0..g).map(move |b| (a, b))).map(|(a, b)| {
                let y = g - 1 - a;
                Rectangle::new(
                    [
                        (SegmentValue::Exact(b), SegmentValue::Exact(y)),
                        (SegmentValue::Exact(b + 1), SegmentValue::Exact(y + 1)),
                    ],
                    viridis_rgb(cell(a, b) / v_max).filled(),
                )
            }))
            .map_err(&e)?;
        chart
            .draw_series((0..g).flat_map(|a| (0..g).map(move |b| (a, b))).map(|(a, b)| {
                let v = cell(a, b);
                let ink: &'static RGBColor = if v / v_max > 0.6 { &BLACK } else { &WHITE };
                let style = TextStyle::from((FONT, 16).into_font()).color(ink).pos(text_anchor(VPos::Center));
                Text::new(format!("{v:.3}"), (SegmentValue::CenterOf(b), SegmentValue::CenterOf(g - 1 - a)), style)
            }))
            .map_err(&e)?;
        colour_bar(&bar, v_max, "w [g_L]")
    })?;
    Ok(true)
}

/// Horizontally centred text anchored at `v`.
fn text_anchor(v: VPos) -> Pos {
    Pos::new(HPos::Center, v)
}

/// A vertical viridis bar from 0 to `v_max` with a few tick labels.
fn colour_bar(area: &DrawingArea<BitMapBackend, Shift>, v_max: f64, label: &str) -> Result<()> {
    let e = draw_err("colour bar");
    let mut chart = ChartBuilder::on(area)
        .margin_top(60)
        .margin_bottom(57)
        .margin_right(10)
        .y_label_area_size(55)
        .caption(label, (FONT, 15))
        .build_cartesian_2d(0.0..1.0, 0.0..v_max)
        .map_err(&e)?;
    chart.configure_mesh().disable_mesh().disable_x_axis().y_labels(6).label_style((FONT, 13)).draw().map_err(&e)?;
    let steps = 100;
    chart
        .draw_series((0..steps).map(|k| {
            let (lo, hi) = (k as f64 / steps as f64 * v_max, (k + 1) as f64 / steps as f64 * v_max);
            Rectangle::new([(0.0, lo), (1.0, hi)], viridis_rgb((k as f64 + 0.5) / steps as f64).filled())
        }))
        .map_err(&e)?;
    Ok(())
}

/// The project's viridis scale (src/app/colormap.rs) as a plotters colour.
fn viridis_rgb(t: f64) -> RGBColor {
    let c = crate::app::colormap::viridis(t as f32);
    RGBColor(c.r(), c.g(), c.b())
}

/// Mean within-assembly and between-assembly E→E weight (equal weight per block) over time.
fn weight_time_figure(path: &Path, csv: &Csv) -> Result<bool> {
    let (Some(ct), Some(cp), Some(cf), Some(cto), Some(cw)) =
        (csv.col("t_s"), csv.col("projection"), csv.col("from"), csv.col("to"), csv.col("mean_w"))
    else {
        return Ok(false);
    };
    // t → (within sum, n, between sum, n, rest→rest)
    let mut by_t: BTreeMap<i64, [f64; 5]> = BTreeMap::new();
    for r in 0..csv.rows.len() {
        if csv.text(r, cp) != "ee" {
            continue;
        }
        let t = csv.num(r, ct);
        let w = csv.num(r, cw);
        if !t.is_finite() || !w.is_finite() {
            continue;
        }
        let e = by_t.entry((t * 10.0).round() as i64).or_insert([0.0, 0.0, 0.0, 0.0, f64::NAN]);
        let (f, to) = (csv.text(r, cf), csv.text(r, cto));
        match (f == "rest", to == "rest", f == to) {
            (true, true, _) => e[4] = w,
            (false, false, true) => {
                e[0] += w;
                e[1] += 1.0;
            }
            (false, false, false) => {
                e[2] += w;
                e[3] += 1.0;
            }
            _ => {}
        }
    }
    let pts = |i: usize, n: usize| -> Vec<(f64, f64)> {
        by_t.iter().filter(|(_, e)| e[n] > 0.0).map(|(t, e)| (*t as f64 / 10.0, e[i] / e[n])).collect()
    };
    let within = pts(0, 1);
    let between = pts(2, 3);
    let rest: Vec<(f64, f64)> =
        by_t.iter().filter(|(_, e)| e[4].is_finite()).map(|(t, e)| (*t as f64 / 10.0, e[4])).collect();
    if within.is_empty() && rest.is_empty() {
        return Ok(false);
    }
    let t_max = by_t.keys().last().map_or(1.0, |t| *t as f64 / 10.0).max(1e-3);
    let y_max = within.iter().chain(&between).chain(&rest).map(|p| p.1).fold(0.1, f64::max) * 1.1;
    let lines: Vec<Line> = [
        ("within an assembly", within, assembly_color(3)),
        ("between assemblies", between, assembly_color(0)),
        ("rest \u{2192} rest", rest, BLACK),
    ]
    .into_iter()
    .map(|(name, points, colour)| Line { name: name.into(), points, colour, width: 2 })
    .collect();
    render(path, |root| {
        let title = "Mean E\u{2192}E weight within and between assemblies";
        line_chart(root, title, "mean w [g_L]", (t_max, y_max), &lines, SeriesLabelPosition::UpperLeft)
    })?;
    Ok(true)
}

/// Recall rate per shape (cues cut from it that recalled its assembly) and the false-recall
/// rate of the "other" cues, over the scored (complete) cues of recall.csv. Shapes in the order
/// and colours of the assemblies (`names`), then any other parent in order of appearance.
fn recall_figure(path: &Path, csv: &Csv, names: &[String]) -> Result<bool> {
    let (Some(cp), Some(cc), Some(cr)) = (csv.col("parent"), csv.col("complete"), csv.col("recalled")) else {
        return Ok(false);
    };
    let mut groups: Vec<String> = names.to_vec();
    let mut counts: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for r in 0..csv.rows.len() {
        if csv.text(r, cc) != "1" {
            continue;
        }
        let parent = csv.text(r, cp).to_string();
        let recalled = csv.text(r, cr);
        let hit = if parent == "none" { recalled != "none" } else { recalled == parent };
        let key = if parent == "none" { "other (false)".to_string() } else { parent };
        if !groups.contains(&key) && key != "other (false)" {
            groups.push(key.clone());
        }
        let c = counts.entry(key).or_default();
        c.0 += 1;
        c.1 += hit as usize;
    }
    if counts.is_empty() {
        return Ok(false);
    }
    groups.push("other (false)".into());
    let bars: Vec<(String, f64, RGBColor)> = groups
        .iter()
        .enumerate()
        .filter_map(|(k, g)| {
            // Shapes without a scored cue are left out (their bar would read as 0 %).
            let (n, hit) = counts.get(g)?;
            let col = if g == "other (false)" { RGBColor(0x7f, 0x7f, 0x7f) } else { assembly_color(k) };
            Some((format!("{g} (n={n})"), *hit as f64 / *n as f64, col))
        })
        .collect();
    render(path, |root| {
        bar_chart(root, "Recall per shape; false recalls after other cues", "fraction of cues", &bars, 1.1, &|v| {
            format!("{:.0} %", v * 100.0)
        })
    })?;
    Ok(true)
}

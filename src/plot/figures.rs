//! The figures: Moran scatterplot, Moran's I by period, dot-and-whisker intervals.

use super::{check_drawable, padded_range, render, DrawResult, Figure, FigureOptions, Fonts};
use crate::error::{Error, Result};
use crate::esda::{local_moran, moran, Cluster, MoranOptions, MoranTable};
use crate::weights::Weights;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Colours of successive series (colour-blind friendly, Okabe–Ito).
const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
    RGBColor(240, 228, 66),
];

/// GeoDa's LISA cluster colours: High-High red, Low-Low blue, Low-High light blue, High-Low
/// light red, not significant light grey.
pub fn lisa_colour(c: Cluster) -> RGBColor {
    match c {
        Cluster::HighHigh => RGBColor(255, 0, 0),
        Cluster::LowLow => RGBColor(0, 0, 255),
        Cluster::LowHigh => RGBColor(167, 173, 249),
        Cluster::HighLow => RGBColor(244, 173, 168),
        Cluster::NotSignificant => RGBColor(238, 238, 238),
    }
}

/// Colour the Moran scatterplot's points by LISA cluster ([`crate::esda::lisa_cluster`]).
#[derive(Debug, Clone, PartialEq)]
pub struct LisaColouring {
    /// Permutations and seed of the local Moran (without permutations the normal p is used).
    pub options: MoranOptions,
    /// Significance level (0.05 in GeoDa and esda).
    pub alpha: f64,
}

/// LISA clusters of the scatterplot's points and the rule that made them.
struct Clusters {
    of: Vec<Cluster>,
    /// Lines of the legend's note (the significance rule).
    rule: Vec<String>,
}

/// Moran scatterplot data.
struct Scatter {
    z: Vec<f64>,
    lag: Vec<f64>,
    slope: f64,
    intercept: f64,
    title: String,
    xlabel: String,
    ylabel: String,
    size: (u32, u32),
    fonts: Fonts,
    clusters: Option<Clusters>,
}

/// Writes the Moran scatterplot of `x` (one value per unit, order of `w.ids()`) to `path`
/// (`.svg` or `.png`): standardised z = (x − x̄)/sd (divisor N) against its spatial lag Wz, the
/// OLS line of Wz on z (slope z'Wz/z'z, which equals Moran's I when W is row-standardised),
/// dashed lines at 0, and I in the title. With `lisa`, points are coloured by LISA cluster
/// (GeoDa colours, [`lisa_colour`]) with a legend of the counts.
///
/// Refuses NaN, ±∞ or |x| > 1e300, a constant x, and a Moran's I that is not finite.
pub fn plot_moran(
    x: &[f64],
    w: &Weights,
    path: &str,
    opts: &FigureOptions,
    lisa: Option<&LisaColouring>,
) -> Result<()> {
    let ids = w.ids();
    let unit = |i: usize| format!("the value of unit '{}'", ids.get(i).map_or("?", |s| s.as_str()));
    check_drawable("plot_moran", x, unit)?;
    let size = opts.size("plot_moran", (720, 620))?;
    let fonts = opts.fonts()?;
    let m = moran(x, w, &MoranOptions::default())?;
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let sd = (x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
    let z: Vec<f64> = x.iter().map(|v| (v - mean) / sd).collect();
    let lag = w.lag(&z);
    if !m.i.is_finite() || !sd.is_finite() || z.iter().chain(&lag).any(|v| !v.is_finite()) {
        return Err(Error::invalid(format!(
            "plot_moran: Moran's I is {} (the values overflow when squared); rescale the variable \
             (divide by a power of ten or take logs)",
            m.i
        )));
    }
    let slope = z.iter().zip(&lag).map(|(a, b)| a * b).sum::<f64>() / z.iter().map(|a| a * a).sum::<f64>();
    let intercept = lag.iter().sum::<f64>() / n;
    let title = match opts.title() {
        None => format!("Moran scatterplot (I = {:.4})", m.i),
        Some(t) => format!("{t} (Moran's I = {:.4})", m.i),
    };
    let clusters = match lisa {
        None => None,
        Some(l) => {
            let lm = local_moran(x, w, &l.options)?;
            let rule = match l.options.permutations.filter(|&d| d > 0) {
                Some(d) => vec![
                    format!("significant: p_sim < {}", l.alpha),
                    format!("({d} permutations)"),
                ],
                None => vec![format!("significant: p < {}", l.alpha), "(normal approximation)".into()],
            };
            Some(Clusters {
                of: lm.clusters(crate::esda::check_alpha(l.alpha, "plot_moran")?),
                rule,
            })
        }
    };
    render(
        &Scatter {
            z,
            lag,
            slope,
            intercept,
            title,
            xlabel: opts.xlabel.clone().unwrap_or_else(|| "standardised value z".into()),
            ylabel: opts.ylabel.clone().unwrap_or_else(|| "spatial lag W·z".into()),
            size,
            fonts,
            clusters,
        },
        path,
    )
}

/// Width of the LISA legend panel right of the scatterplot, in pixels.
const LISA_LEGEND_W: u32 = 210;

impl Figure for Scatter {
    fn size(&self) -> (u32, u32) {
        match self.clusters {
            // The legend panel widens the default figure, keeping the plot square-ish.
            Some(_) if self.size == (720, 620) => (720 + LISA_LEGEND_W, 620),
            _ => self.size,
        }
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let f = &self.fonts;
        let (x0, x1) = padded_range(self.z.iter().copied(), &[0.0], 0.08);
        let (y0, y1) = padded_range(self.lag.iter().copied(), &[0.0], 0.08);
        // With LISA colours: the title over the whole figure, the legend in a panel at the right.
        let (area, legend) = match &self.clusters {
            None => (root.clone(), None),
            Some(_) => {
                let titled = root.titled(&self.title, (f.family(&self.title), 20))?;
                let (w, _) = titled.dim_in_pixel();
                let (plot, legend) = titled.split_horizontally(w.saturating_sub(LISA_LEGEND_W));
                (plot, Some(legend))
            }
        };
        let mut builder = ChartBuilder::on(&area);
        if legend.is_none() {
            builder.caption(&self.title, (f.family(&self.title), 20));
        }
        let mut chart = builder
            .margin(15)
            .x_label_area_size(50)
            .y_label_area_size(65)
            .build_cartesian_2d(x0..x1, y0..y1)?;
        let desc_font = f.family_all([self.xlabel.as_str(), self.ylabel.as_str()]);
        chart
            .configure_mesh()
            .x_desc(&self.xlabel)
            .y_desc(&self.ylabel)
            .x_label_formatter(&|v| tick_label(*v))
            .y_label_formatter(&|v| tick_label(*v))
            .label_style((super::fonts::LATIN, 14))
            .axis_desc_style((desc_font, 16))
            .max_light_lines(2)
            .light_line_style(RGBColor(238, 238, 238))
            .draw()?;
        let grey = RGBColor(120, 120, 120);
        chart.draw_series(DashedLineSeries::new(
            vec![(0.0, y0), (0.0, y1)],
            6,
            4,
            grey.stroke_width(1),
        ))?;
        chart.draw_series(DashedLineSeries::new(
            vec![(x0, 0.0), (x1, 0.0)],
            6,
            4,
            grey.stroke_width(1),
        ))?;
        let edge = RGBColor(90, 90, 90);
        let marker = |c: RGBColor| {
            move |p: (f64, f64)| {
                EmptyElement::at(p) + Circle::new((0, 0), 5, c.filled()) + Circle::new((0, 0), 5, edge.stroke_width(1))
            }
        };
        match (&self.clusters, legend) {
            (Some(cl), Some(legend)) => {
                // Not significant first, so that the clusters are drawn on top.
                for c in [
                    Cluster::NotSignificant,
                    Cluster::HighHigh,
                    Cluster::LowLow,
                    Cluster::LowHigh,
                    Cluster::HighLow,
                ] {
                    let pts = (0..self.z.len())
                        .filter(|&i| cl.of[i] == c)
                        .map(|i| (self.z[i], self.lag[i]));
                    chart.draw_series(pts.map(marker(lisa_colour(c))))?;
                }
                let label = (super::fonts::LATIN, 14).into_font();
                let mut y = 40;
                legend.draw(&Text::new(
                    "LISA cluster",
                    (12, y),
                    label.clone().style(FontStyle::Bold),
                ))?;
                for c in Cluster::ALL {
                    y += 24;
                    let count = cl.of.iter().filter(|&&k| k == c).count();
                    legend.draw(
                        &(EmptyElement::at((20, y + 7))
                            + Circle::new((0, 0), 6, lisa_colour(c).filled())
                            + Circle::new((0, 0), 6, edge.stroke_width(1))),
                    )?;
                    legend.draw(&Text::new(format!("{} ({count})", c.label()), (34, y), label.clone()))?;
                }
                for (k, line) in cl.rule.iter().enumerate() {
                    let at = (12, y + 32 + 17 * k as i32);
                    legend.draw(&Text::new(line.as_str(), at, (super::fonts::LATIN, 12).into_font()))?;
                }
            }
            _ => {
                let blue = PALETTE[0];
                chart.draw_series(
                    self.z
                        .iter()
                        .zip(&self.lag)
                        .map(|(&a, &b)| Circle::new((a, b), 4, blue.mix(0.55).filled())),
                )?;
            }
        }
        let line = |x: f64| self.intercept + self.slope * x;
        chart.draw_series(LineSeries::new(
            vec![(x0, line(x0)), (x1, line(x1))],
            PALETTE[1].stroke_width(2),
        ))?;
        Ok(())
    }
}

/// Moran's I by period data.
struct Series<'a> {
    table: &'a MoranTable,
    periods: Vec<String>,
    title: String,
    xlabel: String,
    ylabel: String,
    size: (u32, u32),
    fonts: Fonts,
}

/// Writes Moran's I by period (one line per variable) to `path` (`.svg` or `.png`). Markers are
/// filled where the two-sided normal p < 0.05 and hollow otherwise. Refuses a table whose I is
/// not finite in some row.
pub fn plot_moran_series(table: &MoranTable, path: &str, opts: &FigureOptions) -> Result<()> {
    if table.rows.is_empty() {
        return Err(Error::invalid("plot_moran_series: the Moran table has no rows"));
    }
    let is: Vec<f64> = table.rows.iter().map(|m| m.i).collect();
    check_drawable("plot_moran_series", &is, |k| {
        let m = &table.rows[k];
        format!(
            "Moran's I of '{}' in period {}",
            m.variable.as_deref().unwrap_or("?"),
            m.period.as_deref().unwrap_or("?")
        )
    })?;
    render(
        &Series {
            table,
            periods: table.periods(),
            title: opts.title().unwrap_or("Global Moran's I by period").to_string(),
            xlabel: opts
                .xlabel
                .clone()
                .unwrap_or_else(|| "period   (filled markers: p < 0.05, normality, two-sided)".into()),
            ylabel: opts.ylabel.clone().unwrap_or_else(|| "Moran's I".into()),
            size: opts.size("plot_moran_series", (900, 520))?,
            fonts: opts.fonts()?,
        },
        path,
    )
}

impl Figure for Series<'_> {
    fn size(&self) -> (u32, u32) {
        self.size
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let t = self.periods.len();
        let (y0, y1) = padded_range(self.table.rows.iter().map(|m| m.i), &[0.0], 0.08);
        // Headroom above the data for the legend (about 22 px per entry on a ~390 px plot).
        let legend = (22.0 * self.table.variables.len() as f64 + 20.0) / 390.0;
        let y1 = y1 + (y1 - y0) * legend / (1.0 - legend);
        let periods = &self.periods;
        // Thin the period labels so that they never overlap (about 48 px per label).
        let step = (t * 48).div_ceil(780).max(1);
        let fmt = move |v: &SegmentValue<usize>| match v {
            SegmentValue::CenterOf(i) | SegmentValue::Exact(i) if i % step == 0 => {
                periods.get(*i).cloned().unwrap_or_default()
            }
            _ => String::new(),
        };
        let f = &self.fonts;
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (f.family(&self.title), 20))
            .margin(15)
            .x_label_area_size(55)
            .y_label_area_size(65)
            .build_cartesian_2d((0..t.saturating_sub(1)).into_segmented(), y0..y1)?;
        chart
            .configure_mesh()
            .x_labels(t + 1)
            .x_label_formatter(&fmt)
            .x_desc(&self.xlabel)
            .y_desc(&self.ylabel)
            .label_style((f.family_all(self.periods.iter().map(String::as_str)), 14))
            .axis_desc_style((f.family_all([self.xlabel.as_str(), self.ylabel.as_str()]), 16))
            .max_light_lines(2)
            .light_line_style(RGBColor(238, 238, 238))
            .draw()?;
        chart.draw_series(DashedLineSeries::new(
            vec![(SegmentValue::Exact(0), 0.0), (SegmentValue::Last, 0.0)],
            6,
            4,
            RGBColor(120, 120, 120).stroke_width(1),
        ))?;
        for (k, var) in self.table.variables.iter().enumerate() {
            let colour = PALETTE[k % PALETTE.len()];
            let pts: Vec<(SegmentValue<usize>, f64, bool)> = self
                .table
                .rows
                .iter()
                .filter(|m| m.variable.as_deref() == Some(var.as_str()))
                .filter_map(|m| {
                    let p = self.periods.iter().position(|s| Some(s) == m.period.as_ref())?;
                    Some((SegmentValue::CenterOf(p), m.i, m.p_normal < 0.05))
                })
                .collect();
            chart
                .draw_series(LineSeries::new(
                    pts.iter().map(|(x, y, _)| (x.clone(), *y)),
                    colour.stroke_width(2),
                ))?
                .label(var.as_str())
                .legend(move |(x, y)| {
                    EmptyElement::at((x, y))
                        + PathElement::new(vec![(-12, 0), (12, 0)], colour.stroke_width(2))
                        + Circle::new((0, 0), 4, colour.filled())
                });
            chart.draw_series(pts.iter().map(|(x, y, sig)| {
                let style = if *sig { colour.filled() } else { WHITE.filled() };
                EmptyElement::at((x.clone(), *y))
                    + Circle::new((0, 0), 5, style)
                    + Circle::new((0, 0), 5, colour.stroke_width(2))
            }))?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(160, 160, 160))
            .label_font((f.family_all(self.table.variables.iter().map(String::as_str)), 14))
            .draw()?;
        Ok(())
    }
}

/// One row of a dot-and-whisker panel: (label, estimate, lo, hi).
pub type IntervalRow = (String, f64, f64, f64);
/// One panel: (group title, rows).
pub type IntervalPanel = (String, Vec<IntervalRow>);

/// A tick label without spurious signs or trailing zeros ("-0.0" → "0", "0.250" → "0.25").
fn tick_label(v: f64) -> String {
    if v.abs() < 1e-12 {
        return "0".into();
    }
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

/// Dot-and-whisker data.
struct Intervals<'a> {
    panels: &'a [IntervalPanel],
    title: String,
    xlabel: Option<String>,
    ylabel: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
    fonts: Fonts,
}

/// Writes a dot-and-whisker chart to `path` (`.svg` or `.png`): one panel per group, each row
/// an estimate (dot) with its interval lo–hi (whisker), on a common horizontal scale with a
/// dashed line at 0. `panels` holds (group title, rows of (label, estimate, lo, hi)); a NaN
/// is not drawn, ±∞ or |v| > 1e300 is refused.
pub fn plot_intervals(panels: &[IntervalPanel], path: &str, opts: &FigureOptions) -> Result<()> {
    if panels.is_empty() || panels.iter().all(|(_, rows)| rows.is_empty()) {
        return Err(Error::invalid("plot_intervals: nothing to draw (no panel has rows)"));
    }
    let cells: Vec<(String, f64)> = panels
        .iter()
        .flat_map(|(g, rows)| {
            rows.iter().flat_map(move |(name, e, lo, hi)| {
                [("estimate", e), ("lower bound", lo), ("upper bound", hi)]
                    .map(|(k, v)| (format!("panel '{g}', row '{name}': the {k}"), *v))
            })
        })
        .filter(|(_, v)| !v.is_nan())
        .collect();
    if cells.is_empty() {
        return Err(Error::invalid(
            "plot_intervals: nothing to draw (every estimate and bound is NaN)",
        ));
    }
    let values: Vec<f64> = cells.iter().map(|c| c.1).collect();
    check_drawable("plot_intervals", &values, |k| cells[k].0.clone())?;
    // Checks the width and height; the default size depends on the panels.
    opts.size("plot_intervals", (600, 400))?;
    for (g, rows) in panels {
        if let Some((name, e, lo, hi)) = rows
            .iter()
            .find(|(_, e, lo, hi)| lo > hi || (e.is_finite() && (e < lo || e > hi)))
        {
            return Err(Error::invalid(format!(
                "plot_intervals: panel '{g}', row '{name}': the interval [{lo}, {hi}] must satisfy lo ≤ estimate ({e}) ≤ hi"
            )));
        }
    }
    render(
        &Intervals {
            panels,
            title: opts.title().unwrap_or_default().to_string(),
            xlabel: opts.xlabel.clone(),
            ylabel: opts.ylabel.clone(),
            width: opts.width,
            height: opts.height,
            fonts: opts.fonts()?,
        },
        path,
    )
}

impl Intervals<'_> {
    fn max_rows(&self) -> usize {
        self.panels.iter().map(|(_, r)| r.len()).max().unwrap_or(1).max(1)
    }
    fn label_width(&self) -> u32 {
        let chars = self
            .panels
            .iter()
            .flat_map(|(_, r)| r.iter().map(|(l, ..)| l.chars().count()))
            .max()
            .unwrap_or(4);
        (chars as u32 * 9 + 16).clamp(40, 280)
    }
}

impl Figure for Intervals<'_> {
    fn size(&self) -> (u32, u32) {
        let k = self.panels.len() as u32;
        let width = (self.label_width() + 280 * k + 40).max(600);
        let height = 130 + 34 * self.max_rows() as u32 + if self.xlabel.is_some() { 30 } else { 0 };
        (self.width.unwrap_or(width), self.height.unwrap_or(height))
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let f = &self.fonts;
        let root = if self.title.trim().is_empty() {
            root.clone()
        } else {
            root.titled(self.title.trim(), (f.family(self.title.trim()), 20))?
        };
        let values = self
            .panels
            .iter()
            .flat_map(|(_, r)| r.iter().flat_map(|(_, e, lo, hi)| [*e, *lo, *hi]));
        let (x0, x1) = padded_range(values, &[0.0], 0.06);
        let label_w = self.label_width();
        let first_labels: Vec<&String> = self.panels[0].1.iter().map(|(l, ..)| l).collect();
        // The first panel is wider by the label area so that all plotting areas match.
        let (w, _) = root.dim_in_pixel();
        let k = self.panels.len() as u32;
        let plot_w = (w.saturating_sub(label_w + 10)) / k;
        let tick = |v: &f64| tick_label(*v);
        let mut rest = root.clone();
        for (idx, (group, rows)) in self.panels.iter().enumerate() {
            let own_labels = idx == 0 || rows.iter().map(|(l, ..)| l).collect::<Vec<_>>() != first_labels;
            let width = plot_w + if own_labels { label_w } else { 0 };
            let (area, right) = rest.split_horizontally(width.min(rest.dim_in_pixel().0));
            rest = right;
            let m = rows.len().max(1);
            let names: Vec<String> = rows.iter().rev().map(|(l, ..)| l.clone()).collect();
            let fmt = |v: &SegmentValue<usize>| match v {
                SegmentValue::CenterOf(i) | SegmentValue::Exact(i) if own_labels => {
                    names.get(*i).cloned().unwrap_or_default()
                }
                _ => String::new(),
            };
            let mut chart = ChartBuilder::on(&area)
                .caption(group, (f.family(group), 16))
                .margin(8)
                .x_label_area_size(if self.xlabel.is_some() { 65 } else { 40 })
                .y_label_area_size(if own_labels { label_w } else { 4 })
                .build_cartesian_2d(x0..x1, (0..m - 1).into_segmented())?;
            let mut mesh = chart.configure_mesh();
            if let Some(x) = &self.xlabel {
                mesh.x_desc(x.as_str());
            }
            if let (Some(y), true) = (&self.ylabel, idx == 0) {
                mesh.y_desc(y.as_str());
            }
            mesh.y_labels(m + 1)
                .y_label_formatter(&fmt)
                .x_labels(8)
                .x_label_formatter(&tick)
                .label_style((f.family_all(names.iter().map(String::as_str)), 14))
                .axis_desc_style((
                    f.family_all([
                        self.xlabel.as_deref().unwrap_or(""),
                        self.ylabel.as_deref().unwrap_or(""),
                    ]),
                    15,
                ))
                .disable_y_mesh()
                .max_light_lines(1)
                .light_line_style(RGBColor(238, 238, 238))
                .draw()?;
            chart.draw_series(DashedLineSeries::new(
                vec![(0.0, SegmentValue::Exact(0)), (0.0, SegmentValue::Last)],
                6,
                4,
                RGBColor(120, 120, 120).stroke_width(1),
            ))?;
            let colour = PALETTE[0];
            for (r, (_, e, lo, hi)) in rows.iter().rev().enumerate() {
                let y = SegmentValue::CenterOf(r);
                if lo.is_finite() && hi.is_finite() {
                    chart.draw_series(std::iter::once(PathElement::new(
                        vec![(*lo, y.clone()), (*hi, y.clone())],
                        colour.stroke_width(2),
                    )))?;
                }
                if e.is_finite() {
                    chart.draw_series(std::iter::once(Circle::new((*e, y), 5, colour.filled())))?;
                }
            }
        }
        Ok(())
    }
}

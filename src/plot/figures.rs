//! The figures: Moran scatterplot, Moran's I by period, dot-and-whisker intervals.

use super::{padded_range, render, DrawResult, Figure};
use crate::error::{Error, Result};
use crate::esda::{moran, MoranOptions, MoranTable};
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

const FONT: &str = "sans-serif";

/// Moran scatterplot data.
struct Scatter {
    z: Vec<f64>,
    lag: Vec<f64>,
    slope: f64,
    intercept: f64,
    title: String,
}

/// Writes the Moran scatterplot of `x` (one value per unit, order of `w.ids()`) to `path`
/// (`.svg` or `.png`): standardised z = (x − x̄)/sd (divisor N) against its spatial lag Wz, the
/// OLS line of Wz on z (slope z'Wz/z'z, which equals Moran's I when W is row-standardised),
/// dashed lines at 0, and I in the title.
pub fn plot_moran(x: &[f64], w: &Weights, path: &str, title: &str) -> Result<()> {
    let m = moran(x, w, &MoranOptions::default())?;
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let sd = (x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
    let z: Vec<f64> = x.iter().map(|v| (v - mean) / sd).collect();
    let lag = w.lag(&z);
    let slope = z.iter().zip(&lag).map(|(a, b)| a * b).sum::<f64>() / z.iter().map(|a| a * a).sum::<f64>();
    let intercept = lag.iter().sum::<f64>() / n;
    let title = if title.trim().is_empty() {
        format!("Moran scatterplot (I = {:.4})", m.i)
    } else {
        format!("{} (Moran's I = {:.4})", title.trim(), m.i)
    };
    render(
        &Scatter {
            z,
            lag,
            slope,
            intercept,
            title,
        },
        path,
    )
}

impl Figure for Scatter {
    fn size(&self) -> (u32, u32) {
        (720, 620)
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let (x0, x1) = padded_range(self.z.iter().copied(), &[0.0], 0.08);
        let (y0, y1) = padded_range(self.lag.iter().copied(), &[0.0], 0.08);
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FONT, 20))
            .margin(15)
            .x_label_area_size(50)
            .y_label_area_size(65)
            .build_cartesian_2d(x0..x1, y0..y1)?;
        chart
            .configure_mesh()
            .x_desc("standardised value z")
            .y_desc("spatial lag W·z")
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 16))
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
        let blue = PALETTE[0];
        chart.draw_series(
            self.z
                .iter()
                .zip(&self.lag)
                .map(|(&a, &b)| Circle::new((a, b), 4, blue.mix(0.55).filled())),
        )?;
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
}

/// Writes Moran's I by period (one line per variable) to `path` (`.svg` or `.png`). Markers are
/// filled where the two-sided normal p < 0.05 and hollow otherwise.
pub fn plot_moran_series(table: &MoranTable, path: &str) -> Result<()> {
    if table.rows.is_empty() {
        return Err(Error::invalid("plot_moran_series: the Moran table has no rows"));
    }
    render(
        &Series {
            table,
            periods: table.periods(),
        },
        path,
    )
}

impl Figure for Series<'_> {
    fn size(&self) -> (u32, u32) {
        (900, 520)
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
        let mut chart = ChartBuilder::on(root)
            .caption("Global Moran's I by period", (FONT, 20))
            .margin(15)
            .x_label_area_size(55)
            .y_label_area_size(65)
            .build_cartesian_2d((0..t.saturating_sub(1)).into_segmented(), y0..y1)?;
        chart
            .configure_mesh()
            .x_labels(t + 1)
            .x_label_formatter(&fmt)
            .x_desc("period   (filled markers: p < 0.05, normality, two-sided)")
            .y_desc("Moran's I")
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 16))
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
            .label_font((FONT, 14))
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
}

/// Writes a dot-and-whisker chart to `path` (`.svg` or `.png`): one panel per group, each row
/// an estimate (dot) with its interval lo–hi (whisker), on a common horizontal scale with a
/// dashed line at 0. `panels` holds (group title, rows of (label, estimate, lo, hi)).
pub fn plot_intervals(panels: &[IntervalPanel], path: &str, title: &str) -> Result<()> {
    if panels.is_empty() || panels.iter().all(|(_, rows)| rows.is_empty()) {
        return Err(Error::invalid("plot_intervals: nothing to draw (no panel has rows)"));
    }
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
            title: title.to_string(),
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
        (width, 130 + 34 * self.max_rows() as u32)
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let root = if self.title.trim().is_empty() {
            root.clone()
        } else {
            root.titled(self.title.trim(), (FONT, 20))?
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
                .caption(group, (FONT, 16))
                .margin(8)
                .x_label_area_size(40)
                .y_label_area_size(if own_labels { label_w } else { 4 })
                .build_cartesian_2d(x0..x1, (0..m - 1).into_segmented())?;
            chart
                .configure_mesh()
                .y_labels(m + 1)
                .y_label_formatter(&fmt)
                .x_labels(8)
                .x_label_formatter(&tick)
                .label_style((FONT, 14))
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

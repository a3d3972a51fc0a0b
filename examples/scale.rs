//! Scale benchmark: generate a k-nearest-neighbour SDM panel of given N and T with known
//! parameters ([`spillover::models::ml::synthetic`]), fit the two-way SDM by ML and compute the
//! direct/indirect/total effects with 1,000 simulated draws; print the time of each stage, the
//! peak memory (VmHWM) and the recovered parameters next to the true ones.
//!
//! ```sh
//! cargo run --release --example scale -- --n 100000 --t 10
//! /usr/bin/time -v target/release/examples/scale --n 100000 --t 10      # peak RSS, 2 cores
//! cargo run --release --example scale -- --n 2000 --t 10 --write /tmp/sc2000   # files for
//!     # examples/bench_spreg.py and `spillover run /tmp/sc2000/sdm.rhai`
//! ```
//!
//! Options: `--n N` (default 100000), `--t T` (10), `--k K` (6), `--seed S` (1), `--draws R`
//! (1000), `--lndet auto|eigen|sparse|chebyshev|monte_carlo` (auto), `--write DIR` (write
//! panel.csv, w.gal and sdm.rhai to DIR), `--threads P` (rayon threads; default all cores),
//! `--symmetric`, `--no-fit` (only generate, and write with `--write`: for the data of
//! examples/scale_peers.sh).
//!
//! Numbers are written in their shortest form that reads back to the same double (Rust's `{}`),
//! so the files hold exactly the generated values.
//!
//! The weights are the one-way k-NN relation, row-standardised, so W is not symmetric and not
//! similar to a symmetric matrix (as most k-NN and distance-band W are): the exact sparse
//! log-determinant takes the LU path. With `--symmetric` the relation is made symmetric
//! (`KnnOptions.symmetric`), W = D⁻¹C is similar to a symmetric matrix and the sparse
//! Cholesky path is taken.

use spillover::effects::{effects, input_from_fit, EffectsOptions};
use spillover::linalg::logdet::{LogDetMethod, LOGDET_METHODS};
use spillover::models::ml::synthetic::{dynamic_sdm_panel, DynamicSdmSpec, SdmSpec};
use spillover::models::ml::{fit_spatial, SpatialOptions};
use spillover::models::{Fe, ModelKind};
use std::time::Instant;

struct Args {
    n: usize,
    t: usize,
    k: usize,
    seed: u64,
    draws: usize,
    lndet: String,
    write: Option<String>,
    threads: Option<usize>,
    symmetric: bool,
    no_fit: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        n: 100_000,
        t: 10,
        k: 6,
        seed: 1,
        draws: 1000,
        lndet: "auto".into(),
        write: None,
        threads: None,
        symmetric: false,
        no_fit: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut val = || it.next().ok_or(format!("{flag} needs a value"));
        let num = |s: String| s.parse::<usize>().map_err(|e| format!("{flag} {s}: {e}"));
        match flag.as_str() {
            "--n" => a.n = num(val()?)?,
            "--t" => a.t = num(val()?)?,
            "--k" => a.k = num(val()?)?,
            "--seed" => a.seed = num(val()?)? as u64,
            "--draws" => a.draws = num(val()?)?,
            "--lndet" => a.lndet = val()?,
            "--write" => a.write = Some(val()?),
            "--threads" => a.threads = Some(num(val()?)?),
            "--symmetric" => a.symmetric = true,
            "--no-fit" => a.no_fit = true,
            "--help" | "-h" => {
                return Err(
                    "usage: scale [--n N] [--t T] [--k K] [--seed S] [--draws R] [--lndet auto] [--write DIR] \
                     [--threads P] [--symmetric] [--no-fit]"
                        .into(),
                )
            }
            other => return Err(format!("unknown option {other}; try --help")),
        }
    }
    Ok(a)
}

/// Peak resident memory of this process (VmHWM), in MiB.
fn peak_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse::<f64>().ok()))
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn write_files(dir: &str, p: &spillover::models::ml::synthetic::SyntheticPanel) -> std::io::Result<()> {
    use std::io::Write;
    std::fs::create_dir_all(dir)?;
    let d = &p.design;
    let mut f = std::io::BufWriter::new(std::fs::File::create(format!("{dir}/panel.csv"))?);
    write!(f, "id,time,y")?;
    for name in &d.names {
        write!(f, ",{name}")?;
    }
    writeln!(f)?;
    for s in 0..d.t {
        for i in 0..d.n {
            let r = s * d.n + i;
            write!(f, "{},{},{}", d.ids[i], d.times[s], d.y[r])?;
            for col in &d.x {
                write!(f, ",{}", col[r])?;
            }
            writeln!(f)?;
        }
    }
    f.flush()?;
    spillover::weights::io::save_weights(&p.w, &format!("{dir}/w.gal")).map_err(std::io::Error::other)?;
    let formula = format!("y ~ {}", d.names.join(" + "));
    std::fs::write(
        format!("{dir}/sdm.rhai"),
        format!(
            "// Two-way SDM + 1,000-draw effects on the panel written by examples/scale.rs.\n\
             let p = panel(read_csv(\"{dir}/panel.csv\"), \"id\", \"time\");\n\
             let w = read_weights(\"{dir}/w.gal\");\n\
             let m = sdm(p, \"{formula}\", w);\n\
             print(m);\n\
             print(effects(m));\n"
        ),
    )?;
    Ok(())
}

fn main() {
    let a = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    if let Some(p) = a.threads {
        rayon::ThreadPoolBuilder::new().num_threads(p).build_global().ok();
    }
    let mut spec = SdmSpec::new(a.n, a.t, a.seed);
    spec.k = a.k;
    let t0 = Instant::now();
    let dspec = DynamicSdmSpec {
        base: spec.clone(),
        tau: 0.0,
        eta: 0.0,
        burn_in: 0,
        symmetric: a.symmetric,
    };
    let panel = match dynamic_sdm_panel(&dspec) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    let t_gen = t0.elapsed().as_secs_f64();
    println!(
        "generated N = {}, T = {}, k = {} ({} k-NN, {} links, row-standardised) in {t_gen:.2} s",
        a.n,
        a.t,
        a.k,
        if a.symmetric { "symmetric" } else { "one-way" },
        panel.w.nnz()
    );
    if let Some(dir) = &a.write {
        if let Err(e) = write_files(dir, &panel) {
            eprintln!("error writing {dir}: {e}");
            std::process::exit(1);
        }
        println!("wrote {dir}/panel.csv, {dir}/w.gal, {dir}/sdm.rhai");
    }
    if a.no_fit {
        return;
    }
    let mut opts = SpatialOptions::new(Fe::TwoWays);
    opts.lndet = match LogDetMethod::ALL.into_iter().find(|m| m.name() == a.lndet) {
        Some(m) => m,
        None => {
            eprintln!("--lndet {}: valid: {}", a.lndet, LOGDET_METHODS.join(", "));
            std::process::exit(2);
        }
    };
    let t1 = Instant::now();
    let fit = match fit_spatial(&panel.design, &panel.w, ModelKind::Sdm, &opts) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("fit error: {e}");
            std::process::exit(1);
        }
    };
    let t_fit = t1.elapsed().as_secs_f64();
    let t2 = Instant::now();
    let eopts = EffectsOptions {
        draws: a.draws,
        ..EffectsOptions::default()
    };
    let fx = match input_from_fit(&fit, &panel.w).and_then(|inp| effects(&inp, &eopts)) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("effects error: {e}");
            std::process::exit(1);
        }
    };
    let t_fx = t2.elapsed().as_secs_f64();
    println!("{}", fit.model);
    println!("{fx}");
    println!("true parameters vs estimates (se):");
    let coef = |term: &str| fit.model.coefficients.iter().find(|c| c.term == term);
    let mut truth: Vec<(String, f64)> = vec![("rho".into(), spec.rho)];
    for (k, (b, th)) in spec.beta.iter().zip(&spec.theta).enumerate() {
        truth.push((format!("x{}", k + 1), *b));
        truth.push((format!("W*x{}", k + 1), *th));
    }
    for (term, v) in &truth {
        if let Some(c) = coef(term) {
            println!(
                "  {term:<6} true {v:>8.4}  estimate {:>9.5} ({:.5})",
                c.estimate, c.std_error
            );
        }
    }
    println!(
        "  sigma2 true {:>8.4}  estimate {:>9.5}",
        spec.sigma * spec.sigma,
        fit.model.sigma2
    );
    for (k, v) in &fit.model.info {
        println!("  {k}: {v}");
    }
    println!(
        "time: generate {t_gen:.2} s, fit {t_fit:.2} s, effects ({} draws, engine {}) {t_fx:.2} s; fit + effects \
         {:.2} s; peak memory {:.0} MiB",
        a.draws,
        fx.engine,
        t_fit + t_fx,
        peak_mib()
    );
}

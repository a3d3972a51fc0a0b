# Time R splm on a panel written by examples/scale.rs (not run by CI; called by
# examples/scale_peers.sh when R, splm and spdep are installed).
#
# What splm does (splm 1.6, `spml` -> `spfeml`): the two-way fixed-effects spatial lag model
# y = rho W y + X b + mu_i + xi_t + e by concentrated ML, with `method = "LU"`: a sparse LU
# factorisation of I - rho W per likelihood evaluation (spatialreg's do_ldet), the fastest
# exact setting for a W that is not symmetric (one-way k-NN; "eigen" needs all N eigenvalues,
# "Matrix" a sparse Cholesky that only exists for a symmetric(-izable) W). splm has no Durbin
# option in spml, so the Durbin terms W*x are passed as extra regressors: the same two-way SDM
# that `spillover run sdm.rhai` fits. Effects (impacts) are not computed here; spillover's
# run also computes 1,000-draw effects, so the comparison is conservative for spillover.
#
# Usage:
#   Rscript -e 'install.packages(c("splm", "spdep"))'
#   cargo run --release --example scale -- --n 2000 --t 10 --write /tmp/sc2000 --no-fit
#   /usr/bin/time -v Rscript examples/bench_splm.R /tmp/sc2000
#
# Prints the coefficients and a line
#   time: read <s> s, spml <s> s, total <s> s (N = <N>, T = <T>)

t_start <- proc.time()[["elapsed"]]
suppressPackageStartupMessages({
  library(spdep)
  library(splm)
})

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 1) {
  stop("usage: Rscript examples/bench_splm.R DIR  (DIR holds panel.csv and w.gal from examples/scale.rs)")
}
dir <- args[[1]]

# W: the GAL file (binary pattern), row-standardised as spillover's read_weights does.
nb <- spdep::read.gal(file.path(dir, "w.gal"), override.id = TRUE)
units <- attr(nb, "region.id")
lw <- spdep::nb2listw(nb, style = "W")

# The panel: ids as written (text), matched to W's units by id; periods numeric.
df <- read.csv(file.path(dir, "panel.csv"), colClasses = c(id = "character"))
if (!setequal(unique(df$id), units)) {
  stop("the ids of panel.csv and the units of w.gal differ")
}
# A factor whose levels are W's order: splm orders the rows by (time, id) on the factor codes,
# so each period's rows line up with the rows of W.
df$id <- factor(df$id, levels = units)
df <- df[order(df$time, df$id), ]
periods <- sort(unique(df$time))
n <- length(units)
nt <- nrow(df)
if (nt != n * length(periods)) stop("panel.csv is not balanced")

# Durbin terms W*x, period by period (rows of a period are in W's order after the sort).
xs <- grep("^x", names(df), value = TRUE)
for (v in xs) {
  wx <- numeric(nt)
  for (s in seq_along(periods)) {
    rows <- ((s - 1) * n + 1):(s * n)
    wx[rows] <- spdep::lag.listw(lw, df[[v]][rows])
  }
  df[[paste0("W_", v)]] <- wx
}
t_read <- proc.time()[["elapsed"]]

fm <- as.formula(paste("y ~", paste(c(xs, paste0("W_", xs)), collapse = " + ")))
m <- splm::spml(fm, data = df, index = c("id", "time"), listw = lw,
                model = "within", effect = "twoways", lag = TRUE,
                spatial.error = "none", method = "LU", quiet = TRUE)
t_fit <- proc.time()[["elapsed"]]

print(summary(m)$CoefTable)
cat(sprintf("time: read %.2f s, spml %.2f s, total %.2f s (N = %d, T = %d)\n",
            t_read - t_start, t_fit - t_read, t_fit - t_start, n, length(periods)))

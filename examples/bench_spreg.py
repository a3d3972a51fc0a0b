"""Time spreg's Panel_FE_Lag on a panel written by examples/scale.rs (not run by CI).

What spreg does (spreg 1.9, `spreg.Panel_FE_Lag`, deprecated in favour of `ML_LagFE`):
individual (unit) fixed effects only, removed by demeaning; a spatial lag model y = rho W y +
X b + e by concentrated ML (bounded Brent on (-1, 1), a sparse LU determinant per
evaluation); standard errors from the analytic information matrix with a dense N x N
inverse of I - rho W. It has no time effects, no Durbin terms and no effects inference, so
the Durbin terms W*x are passed as extra regressors (the SDM with individual effects), and
direct/indirect/total effects are not computed. `spillover` fits the two-way SDM and the
1,000-draw effects, so the comparison is conservative for spillover.

Usage:
    python3 -m venv /tmp/spreg_venv && /tmp/spreg_venv/bin/pip install spreg libpysal
    cargo run --release --example scale -- --n 2000 --t 10 --write /tmp/sc2000
    /usr/bin/time -v /tmp/spreg_venv/bin/python examples/bench_spreg.py /tmp/sc2000
    /usr/bin/time -v target/release/spillover run /tmp/sc2000/sdm.rhai
"""

import sys
import time

t_start = time.perf_counter()

import numpy as np  # noqa: E402
import libpysal  # noqa: E402
import spreg  # noqa: E402

t_import = time.perf_counter()


def main(folder):
    w = libpysal.io.open(f"{folder}/w.gal").read()
    w.transform = "r"
    data = np.genfromtxt(f"{folder}/panel.csv", delimiter=",", names=True, dtype=None, encoding="utf-8")
    n = w.n
    t = len(data) // n
    # panel.csv is stacked time-slow: rows s*n .. s*n + n - 1 are period s, units in W's order.
    ids = list(data["id"][:n])
    if ids != list(w.id_order):
        raise SystemExit("unit order of panel.csv and w.gal differ")
    y = data["y"].reshape(-1, 1)
    xs = [name for name in data.dtype.names if name.startswith("x")]
    x = np.column_stack([data[name] for name in xs])
    wx = np.vstack([w.sparse @ x[s * n:(s + 1) * n] for s in range(t)])
    xx = np.hstack([x, wx])
    names = xs + [f"W*{name}" for name in xs]
    t_read = time.perf_counter()
    m = spreg.Panel_FE_Lag(y, xx, w, name_y="y", name_x=names)
    t_fit = time.perf_counter()
    se = np.sqrt(np.diag(m.vm))
    for name, b, s in zip(m.name_x, m.betas.ravel(), se):
        print(f"{name:>10} {b: .8f} ({s:.8f})")
    print(f"sigma2 {float(np.ravel(m.sig2)[0]):.8f}  logLik {float(np.ravel(m.logll)[0]):.6f}")
    print(
        f"time: imports {t_import - t_start:.2f} s, read {t_read - t_import:.2f} s, "
        f"Panel_FE_Lag {t_fit - t_read:.2f} s, total {t_fit - t_start:.2f} s (N = {n}, T = {t})"
    )


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(sys.argv[1])

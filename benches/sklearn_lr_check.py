#!/usr/bin/env python3
"""Fit scikit-learn's LogisticRegression on exactly the matrix `lr_check --export DIR` wrote,
and compare with acctscore's weights: mean log loss, largest weight difference, fit time.

    cargo run --release --example lr_check -- accounts.csv --export /tmp/lrx
    python benches/sklearn_lr_check.py /tmp/lrx [--c 1.0] [--tol 1e-4]
"""
import argparse, time
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score

ap = argparse.ArgumentParser()
ap.add_argument("dir")
ap.add_argument("--c", type=float, default=1.0)
ap.add_argument("--tol", type=float, default=1e-4, help="sklearn's tol (its default 1e-4; 1e-10 to reach the optimum)")
a = ap.parse_args()
n_tr, n_te, d = map(int, open(f"{a.dir}/shape.txt").read().split())
X = np.fromfile(f"{a.dir}/x_train.f64", dtype="<f8").reshape(n_tr, d)
y = np.fromfile(f"{a.dir}/y_train.u8", dtype=np.uint8)
Xt = np.fromfile(f"{a.dir}/x_test.f64", dtype="<f8").reshape(n_te, d)
yt = np.fromfile(f"{a.dir}/y_test.u8", dtype=np.uint8)
ours = np.array([float(v) for v in open(f"{a.dir}/weights.txt").read().split()])
t = time.perf_counter()
m = LogisticRegression(C=a.c, solver="lbfgs", max_iter=5000, tol=a.tol).fit(X, y)
fit_s = time.perf_counter() - t
sk = np.concatenate([m.coef_.ravel(), m.intercept_])
def obj(theta):
    z = X @ theta[:-1] + theta[-1]
    ll = np.logaddexp(0, -z) * y + np.logaddexp(0, z) * (1 - y)
    return 0.5 * theta[:-1] @ theta[:-1] + a.c * ll.sum(), ll.mean()
o_sk, ll_sk = obj(sk)
o_us, ll_us = obj(ours)
print(f"sklearn_fit_seconds={fit_s:.4f} n_iter={m.n_iter_[0]}")
print(f"mean_log_loss sklearn={ll_sk:.10f} ours={ll_us:.10f} diff={ll_us - ll_sk:.3e}")
print(f"objective sklearn={o_sk:.6f} ours={o_us:.6f} rel_diff={(o_us - o_sk) / o_sk:.3e}")
print(f"max_abs_weight_diff={np.abs(sk - ours).max():.3e}")
print(f"test_auc sklearn={roc_auc_score(yt, Xt @ sk[:-1] + sk[-1]):.6f} ours={roc_auc_score(yt, Xt @ ours[:-1] + ours[-1]):.6f}")

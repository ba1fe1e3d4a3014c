"""With NUMBA_DISABLE_JIT=1 (to debug, or to measure coverage) every path runs as plain Python and agrees with the JIT."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

PROBE = """
import json, numpy as np, scipy.sparse, scratchnet_fast as sf
from scratchnet_fast import MLPClassifier, MLPRegressor
rng = np.random.default_rng(5)
X = rng.random((40, 30)); Y = np.arange(30) % 10
np.random.seed(0)
W1 = sf.gradient_descent(X, Y, 0.1, 2, verbose=False)[0]
np.random.seed(0)
P = sf.init_params(n_in=40)
Z1, A1, Z2, A2 = sf.forward_prop(*P, X)
dW1 = sf.backward_prop(Z1, A1, Z2, A2, P[0], P[2], X, Y)[0]
model = MLPClassifier(hidden_layer_sizes=(9, 5), batch_size=8, max_iter=2, random_state=0).fit(X.T, Y)
Xz = X.T.copy(); Xz[Xz < 0.95] = 0  # zeros enough that predictions skip them
weighted = MLPClassifier(hidden_layer_sizes=(9,), batch_size=8, max_iter=2, random_state=0).fit(
    X.T, Y, sample_weight=np.arange(30) % 3 + 0.5)
regressor = MLPRegressor(hidden_layer_sizes=(7,), batch_size=8, max_iter=2, random_state=0).fit(X.T, X.T[:, :2])
tanh = MLPClassifier(hidden_layer_sizes=(9, 5), activation="tanh", batch_size=8, max_iter=2, random_state=0).fit(X.T, Y)
csr = MLPClassifier(hidden_layer_sizes=(6,), batch_size=8, max_iter=2, random_state=0).fit(
    scipy.sparse.csr_array(Xz), Y)
binary = MLPClassifier(hidden_layer_sizes=(6,), batch_size=8, max_iter=2, random_state=0).fit(X.T, Y % 2)
poisson = MLPRegressor(loss="poisson", hidden_layer_sizes=(5,), batch_size=8, max_iter=2, random_state=0).fit(
    X.T, np.arange(30) % 4)
logistic = MLPRegressor(hidden_layer_sizes=(7,), activation="logistic", batch_size=30, max_iter=2, random_state=0).fit(
    X.T, X.T[:, 0])
print(json.dumps(dict(W1=W1.tolist(), A2=A2.tolist(), dW1=dW1.tolist(), loss=model.loss_curve_,
                      regression=regressor.loss_curve_, weighted=weighted.loss_curve_, tanh=tanh.loss_curve_,
                      tanh_proba=tanh.predict_proba(X.T).tolist(), tanh_few=tanh.predict_proba(X.T[:2]).tolist(),
                      logistic=logistic.loss_curve_, csr=csr.loss_curve_, binary=binary.loss_curve_,
                      binary_proba=binary.predict_proba(X.T).tolist(), binary_few=binary.predict_proba(X.T[:2]).tolist(),
                      values=regressor.predict(X.T).tolist(), poisson=poisson.loss_curve_,
                      counts=poisson.predict(X.T).tolist(),
                      proba=model.predict_proba(X.T).tolist(), few=model.predict_proba(X.T[:2]).tolist(),
                      sparse=model.predict_proba(Xz).tolist(), skips=bool(sf._network.skips_zeros(Xz)))))
"""


def results(disable_jit):
    env = dict(os.environ, NUMBA_DISABLE_JIT="1" if disable_jit else "0")
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parents[1]), env.get("PYTHONPATH", "")])
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_every_path_runs_without_the_jit_and_agrees_with_it():
    python, jitted = results(True), results(False)
    assert jitted["skips"]  # the predictions' zero-skipping path ran too
    for key in jitted:
        np.testing.assert_allclose(python[key], jitted[key], rtol=1e-10, atol=1e-12, err_msg=key)

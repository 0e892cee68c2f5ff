import numpy as np, time, sys
from scalars.datasets import ModifiedInertia
from scalars.estimators import ResidualPathwayRegressor, EquivariantMLPRegressor
from scalars.testing import equivariance_error
tr, te = ModifiedInertia(1000, seed=0), ModifiedInertia(1000, seed=1)
E = int(sys.argv[1])
rows = {
 "MLP": ResidualPathwayRegressor(**tr.estimator_params(), paths="plain", max_epochs=E, random_state=0),
 "EMLP": EquivariantMLPRegressor(**tr.estimator_params(), max_epochs=E, random_state=0),
 "RPP": ResidualPathwayRegressor(**tr.estimator_params(), max_epochs=E, random_state=0),
 "soft": ResidualPathwayRegressor(**tr.estimator_params(), paths="plain", equivariance_penalty=float(sys.argv[2]), max_epochs=E, random_state=0),
}
for k, m in rows.items():
    t=time.time(); m.fit(tr.X, tr.y); f=time.time()-t
    print(k, f, np.mean((m.predict(te.X)-te.y)**2), equivariance_error(m, te.X[:200], rng=0).mean(), flush=True)

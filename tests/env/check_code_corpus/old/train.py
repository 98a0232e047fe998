"""Homework-style script as the course videos show it (MLflow 1.x, scikit-learn 1.0 era)."""

import click
import mlflow
import numpy as np
import xgboost as xgb
from mlflow.tracking import MlflowClient
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import Lasso
from sklearn.metrics import mean_squared_error


def load_trips(n=200, seed=1):
    rng = np.random.default_rng(seed)
    trips = [
        {"PU_DO": f"{rng.integers(1, 5)}_{rng.integers(1, 5)}", "trip_distance": float(d)}
        for d in rng.uniform(0.5, 10, n)
    ]
    duration = np.array([3 * t["trip_distance"] + 2 for t in trips])
    return trips, duration


@click.command()
@click.option("--tracking_uri", required=True)
@click.option("--num_rounds", default=5)
def run(tracking_uri, num_rounds):
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_experiment("nyc-taxi-experiment")
    trips, y = load_trips()
    dv = DictVectorizer(sparse=False)
    X = dv.fit_transform(trips)
    print("features:", list(dv.get_feature_names())[:3])

    with mlflow.start_run():
        mlflow.set_tag("developer", "student")
        lr = Lasso(alpha=0.01).fit(X, y)
        rmse = mean_squared_error(y, lr.predict(X), squared=False)
        mlflow.log_metric("rmse", rmse)
        mlflow.sklearn.log_model(lr, artifact_path="models_mlflow")

        params = {"objective": "reg:linear", "max_depth": 3, "nthread": 1}
        booster = xgb.train(params, xgb.DMatrix(X, label=y), num_boost_round=num_rounds)
        mlflow.log_metric(
            "xgb_rmse", mean_squared_error(y, booster.predict(xgb.DMatrix(X)), squared=False)
        )

    client = MlflowClient(tracking_uri=tracking_uri)
    for experiment in client.list_experiments():
        print("experiment:", experiment.name)
    print("OK")


if __name__ == "__main__":
    run()

"""The same homework script, written for MLflow 3, scikit-learn 1.6+ and XGBoost 2+."""

import mlflow
import xgboost as xgb
from sklearn.metrics import root_mean_squared_error


def train(X, y, X_val, y_val, tracking_uri):
    mlflow.set_tracking_uri(tracking_uri)
    client = mlflow.MlflowClient(tracking_uri=tracking_uri)
    print([e.name for e in client.search_experiments()])
    with mlflow.start_run():
        params = {"objective": "reg:squarederror", "max_depth": 3}
        booster = xgb.train(params, xgb.DMatrix(X, label=y), num_boost_round=10)
        rmse = root_mean_squared_error(y_val, booster.predict(xgb.DMatrix(X_val)))
        mlflow.log_metric("rmse", rmse)
        mlflow.xgboost.log_model(booster, name="model")
        model = xgb.XGBRegressor(early_stopping_rounds=5, eval_metric="rmse")
        model.fit(X, y, eval_set=[(X_val, y_val)])
        mlflow.log_artifact("preprocessor.b", artifact_path="preprocessor")

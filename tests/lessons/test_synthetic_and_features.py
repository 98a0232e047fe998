"""The synthetic month looks like a TLC file and keeps the lessons' story."""

from __future__ import annotations

import pandas as pd
import pytest

from course import data, features, synthetic


def test_the_same_month_and_size_give_the_same_trips():
    first = synthetic.generate("2021-01", rows=800)
    again = synthetic.generate("2021-01", rows=800)
    february = synthetic.generate("2021-02", rows=800)

    pd.testing.assert_frame_equal(first, again)
    assert not first["trip_distance"].equals(february["trip_distance"])


def test_synthetic_trips_pass_the_same_validation_as_a_download(tmp_path):
    path = tmp_path / "green_tripdata_2021-01.parquet"
    synthetic.generate("2021-01", rows=1200).to_parquet(path)

    assert data.validate_file(path) == 1200


def test_synthetic_trips_fall_in_their_month_with_realistic_distances():
    trips = synthetic.generate("2021-02", rows=3000)

    assert trips["lpep_pickup_datetime"].min() >= pd.Timestamp("2021-02-01")
    assert trips["lpep_pickup_datetime"].max() < pd.Timestamp("2021-03-01")
    assert 1.0 < trips["trip_distance"].median() < 3.5  # most trips are short
    assert trips["trip_distance"].max() > 10  # ... with a long tail
    assert trips["PULocationID"].value_counts().index[0] in (74, 75, 41, 42)


def test_features_keep_trips_of_one_to_sixty_minutes_and_join_the_zones():
    trips = synthetic.generate("2021-01", rows=2000)

    prepared = features.prepare(trips)

    assert prepared["duration"].between(1, 60).all()
    assert 0.9 * len(trips) < len(prepared) < len(trips)  # the odd trips were dropped
    first = prepared.iloc[0]
    assert first["PU_DO"] == f"{first['PULocationID']}_{first['DOLocationID']}"


def test_linear_baseline_is_a_few_minutes_off_and_xgboost_beats_it():
    import xgboost as xgb
    from sklearn.linear_model import LinearRegression
    from sklearn.metrics import root_mean_squared_error

    train = features.prepare(synthetic.generate("2021-01", rows=3000))
    valid = features.prepare(synthetic.generate("2021-02", rows=3000))
    built = features.build(train, valid)

    linear = LinearRegression().fit(built.X_train, built.y_train)
    linear_rmse = root_mean_squared_error(built.y_val, linear.predict(built.X_val))
    booster = xgb.train(
        {"max_depth": 6, "learning_rate": 0.3, "objective": "reg:squarederror", "nthread": 1},
        xgb.DMatrix(built.X_train, label=built.y_train),
        num_boost_round=30,
    )
    boosted_rmse = root_mean_squared_error(built.y_val, booster.predict(xgb.DMatrix(built.X_val)))

    assert 3 < linear_rmse < 9
    assert boosted_rmse < linear_rmse


@pytest.mark.parametrize(
    ("month", "message"), [("2021-1", "YYYY-MM"), ("21-01", "YYYY-MM"), ("2021-13", "YYYY-MM")]
)
def test_a_badly_written_month_is_refused_with_the_expected_format(month, message):
    with pytest.raises(data.DataError, match=message):
        data.load_month(month, source="synthetic")


def test_an_unknown_source_is_refused_with_the_choices():
    with pytest.raises(data.DataError, match="auto, cache, download, synthetic"):
        data.load_month("2021-01", source="internet")


def test_cache_only_explains_how_to_fill_the_cache(tmp_path):
    with pytest.raises(data.DataError, match="course data fetch 2021-01"):
        data.load_month("2021-01", source="cache", directory=tmp_path)

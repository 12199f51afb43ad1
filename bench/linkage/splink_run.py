"""Splink (DuckDB backend) deduplication of a `puente link` input CSV -> record_id,cluster_id.

Uses only the columns that are present and non-empty. Usage: splink_run.py records.csv clusters.csv
"""
import sys
import time

import pandas as pd
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

THRESHOLD = 0.9

t0 = time.time()
src, out = sys.argv[1], sys.argv[2]
df = pd.read_csv(src, dtype=str, keep_default_na=False)
df = df.replace("", None)
present = {c for c in df.columns if df[c].notna().any()}
df = df[[c for c in df.columns if c in present]].rename(columns={"record_id": "unique_id"})
n = len(df)

comparisons = []
if "first_name" in present:
    comparisons.append(cl.NameComparison("first_name"))
if "middle_name" in present:
    comparisons.append(cl.NameComparison("middle_name"))
if "last_name_1" in present:
    comparisons.append(cl.NameComparison("last_name_1"))
if "last_name_2" in present:
    comparisons.append(cl.NameComparison("last_name_2"))
if "birth_date" in present:
    comparisons.append(
        cl.DateOfBirthComparison("birth_date", input_is_string=True, datetime_format="%Y-%m-%d",
                                 invalid_dates_as_null=True)
    )
for c in ("sex", "birth_city", "birth_state", "birth_country", "multiple_birth_flag"):
    if c in present:
        comparisons.append(cl.ExactMatch(c))
for c in ("parent1_first_name", "parent1_last_name", "parent2_first_name"):
    if c in present:
        comparisons.append(cl.JaroWinklerAtThresholds(c, [0.92, 0.8]))
if "address" in present:
    comparisons.append(cl.LevenshteinAtThresholds("address", [1, 3, 6]))
if "postal_code" in present:
    comparisons.append(cl.LevenshteinAtThresholds("postal_code", [1]))
if "state_student_id" in present and "reporting_state" in present:
    comparisons.append(cl.ExactMatch("state_student_id"))

rules = [block_on("first_name", "last_name_1")]
if "birth_date" in present:
    rules += [block_on("birth_date", "substr(first_name,1,1)"), block_on("birth_date", "substr(last_name_1,1,1)")]
if "postal_code" in present:
    rules.append(block_on("postal_code", "substr(first_name,1,1)"))

settings = SettingsCreator(
    link_type="dedupe_only",
    comparisons=comparisons,
    blocking_rules_to_generate_predictions=rules,
    retain_intermediate_calculation_columns=False,
    retain_matching_columns=False,
)
db = DuckDBAPI()
sdf = db.register(df)
linker = Linker(sdf, settings, log_level=30)
det = ["first_name", "last_name_1"] + (["birth_date"] if "birth_date" in present else [])
linker.training.estimate_probability_two_random_records_match([block_on(*det)], recall=0.7)
linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
sample = 1.0 if n <= 100_000 else 100_000 / n
em_rules = [block_on("first_name", "last_name_1")]
if "birth_date" in present:
    em_rules.append(block_on("birth_date"))
for r in em_rules:
    linker.training.estimate_parameters_using_expectation_maximisation(r, record_sample_proportion=sample)
pred = linker.inference.predict(threshold_match_probability=THRESHOLD)
clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pred, threshold_match_probability=THRESHOLD)
c = clusters.as_pandas_dataframe()[["unique_id", "cluster_id"]]
c.columns = ["record_id", "cluster_id"]
c.to_csv(out, index=False)
print(f"splink: {n} records -> {c.cluster_id.nunique()} clusters in {time.time() - t0:.1f}s", file=sys.stderr)

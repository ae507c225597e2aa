"""Placebo against three denosumab dose intervals in 200 virtual women: lumbar spine BMD bands.

Each arm is the same virtual population (the same 200 women: the same population file and
seed) given another treatment: placebo, or denosumab 60 mg SC every 3, 6 or 12 months for
10 years, from age 72 (22 years after a natural menopause; params/scenarios/placebo_pmo.toml).
The women differ in the strength of their estrogen-dependent resorption, their mechanostat and
their lumbar spine turnover (coefficients of variation 20-30 %, as
params/analyses/population_menopause.toml). The figure shows each arm's median lumbar spine
BMD change with its 5th-95th percentile band.

Run from the repository root (the tests run it, so it cannot rot):

    python docs/examples/denosumab_doses.py [OUTPUT.png]
"""

import sys

import matplotlib

matplotlib.use("Agg")  # no display needed
import matplotlib.pyplot as plt

import immunoporosis as ip

COLUMN = "bmd_lumbar_spine_change_pct"
DAYS_PER_YEAR = 365.25
TEN_YEARS = 10 * DAYS_PER_YEAR

# The population: 200 women, the same for every arm (same seed, same candidates).
POPULATION = {
    "name": "denosumab_doses",
    "description": "200 postmenopausal women at 72, placebo or denosumab every 3, 6 or 12 months",
    "scenario": "params/scenarios/placebo_pmo.toml",  # relative to the working folder
    "endpoints": "params/endpoints/bone_mass_10y.toml",
    "patients": 200,
    "seed": 7,
    "bands": [COLUMN],
    "parameter": [
        {"name": "estrogen.g_OCapo_E", "cv": 0.3},
        {"name": "estrogen.g_lymph_RANKL", "cv": 0.3},
        {"name": "mechanics.g_mech", "cv": 0.2},
        {"name": "bone.T_lumbar_spine", "cv": 0.2},
    ],
}


def denosumab(interval_days):
    """Denosumab 60 mg SC from day 0 every `interval_days` for ten years."""
    doses = int(TEN_YEARS // interval_days)  # the last dose falls before the end of the run
    return [
        {
            "drug": "denosumab",
            "dose": 60.0,
            "unit": "mg",
            "route": "SC",
            "first_day": 0.0,
            "interval_days": interval_days,
            "doses": doses,
        }
    ]


ARMS = [
    ("placebo", []),
    ("denosumab every 3 months", denosumab(DAYS_PER_YEAR / 4)),
    ("denosumab every 6 months (label)", denosumab(DAYS_PER_YEAR / 2)),
    ("denosumab every 12 months", denosumab(DAYS_PER_YEAR)),
]


def main(out="denosumab_doses.png"):
    fig, ax = plt.subplots(figsize=(7.0, 5.0), dpi=150)
    rows = []
    for label, treatments in ARMS:
        arm = ip.population(POPULATION, treatments=treatments)
        band = arm.band(COLUMN)
        years = band["t_day"] / DAYS_PER_YEAR
        (line,) = ax.plot(years, band["p50"], label=label)
        ax.fill_between(years, band["p05"], band["p95"], color=line.get_color(), alpha=0.18, linewidth=0)
        end = band.iloc[-1]
        rows.append((label, arm.accepted, end["p05"], end["p50"], end["p95"]))
    ax.axhline(0.0, color="0.5", linewidth=0.8, linestyle="--")
    ax.set_xlabel("years from the start of treatment (age 72)")
    ax.set_ylabel("lumbar spine BMD change from baseline (%)")
    ax.set_title("Denosumab 60 mg SC dose interval in 200 virtual women\n(median, 5th-95th percentile band)")
    ax.set_xlim(0, 10)
    # Below the axes, outside the data.
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, fontsize="small", frameon=False)
    fig.tight_layout()
    fig.savefig(out)
    print(f"{'arm':<34} {'women':>5}  lumbar spine BMD at 10 years (%): p05 / median / p95")
    for label, n, p05, p50, p95 in rows:
        print(f"{label:<34} {n:>5}  {p05:7.2f} / {p50:7.2f} / {p95:7.2f}")
    print(f"wrote {out}")
    return rows


if __name__ == "__main__":
    main(*sys.argv[1:2])

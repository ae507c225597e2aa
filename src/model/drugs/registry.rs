//! The drug registry: one declaration per drug. Everything else about a drug (its states and
//! columns in a run's layout, its dose routes, its parameter list, its embedded parameter file)
//! is derived from its declaration; its equations are those of its PK form (`pk.rs`) and its
//! action ([`Action`], applied in `Dosed`). The order of this list is the order of the drugs'
//! compartments and columns in a run.
//!
//! Labelled doses (the largest single dose per route) are listed in `docs/model.md`.

use super::{Action, Compartment, Drug, Pk, Route};
use crate::model::{DerivedSpec, Domain, param};

const fn compartment(
    symbol: &'static str,
    column: &'static str,
    description: &'static str,
) -> Compartment {
    Compartment {
        symbol,
        column,
        description,
    }
}

const fn route(route: &'static str, compartment: usize, labelled_mg: f64) -> Route {
    Route {
        route,
        compartment,
        labelled_mg,
    }
}

/// The drug's parameter file `params/drugs/<name>.toml`: (path, embedded text).
macro_rules! params_file {
    ($name:literal) => {
        (
            concat!("params/drugs/", $name, ".toml"),
            include_str!(concat!("../../../params/drugs/", $name, ".toml")),
        )
    };
}

/// Serum concentration columns `<name>_ng_per_mL` and `<name>_pM`.
macro_rules! concentration_columns {
    ($name:literal) => {
        [
            DerivedSpec {
                column: concat!($name, "_ng_per_mL"),
                domain: Domain::NonNegative,
                description: concat!("serum ", $name, " (ng/mL)"),
            },
            DerivedSpec {
                column: concat!($name, "_pM"),
                domain: Domain::NonNegative,
                description: concat!("serum ", $name, " (pM)"),
            },
        ]
    };
}

/// Parameters of a one-compartment drug: absorption, bioavailability, volume, clearance, molar
/// mass, then its effect parameters.
macro_rules! one_compartment_params {
    ($drug:literal $(, ($name:literal, $unit:literal))* $(,)?) => {
        &[
            param(concat!($drug, ".ka"), "1/day"),
            param(concat!($drug, ".F"), "1"),
            param(concat!($drug, ".V"), "L"),
            param(concat!($drug, ".CL"), "L/day"),
            param(concat!($drug, ".molar_mass"), "g/mol"),
            $(param(concat!($drug, ".", $name), $unit),)*
        ]
    };
}

/// Every drug, in layout order.
pub static DRUGS: &[Drug] = &[
    // Denosumab (anti-RANKL antibody; Michaelis-Menten elimination, Martinez-Reina & Pivonka 2019).
    Drug {
        name: "denosumab",
        compartments: &[
            compartment(
                "Den_depot",
                "denosumab_depot_mg",
                "denosumab in the subcutaneous depot",
            ),
            compartment(
                "Den_central",
                "denosumab_central_mg",
                "denosumab in the central compartment",
            ),
        ],
        routes: &[route("SC", 0, 120.0), route("IV", 1, 120.0)],
        pk: Pk::Denosumab,
        action: Action::RanklDecoy,
        params_file: params_file!("denosumab"),
        params: &[
            param("denosumab.ka", "1/day"),
            param("denosumab.F", "1"),
            param("denosumab.Vc", "mL/kg"),
            param("denosumab.kel", "1/day"),
            param("denosumab.Vmax", "ng/(kg day)"),
            param("denosumab.Km", "ng/mL"),
            param("denosumab.body_weight", "kg"),
            param("denosumab.molar_mass", "g/mol"),
            param("denosumab.K_A", "1/pM"),
            param("denosumab.chi", "1"),
        ],
        concentration_columns: concentration_columns!("denosumab"),
    },
    // Adalimumab (anti-TNF-alpha).
    Drug {
        name: "adalimumab",
        compartments: &[
            compartment(
                "Ada_depot",
                "adalimumab_depot_mg",
                "adalimumab in the subcutaneous depot",
            ),
            compartment(
                "Ada_central",
                "adalimumab_central_mg",
                "adalimumab in the central compartment",
            ),
        ],
        routes: &[route("SC", 0, 160.0)],
        pk: Pk::OneCompartment {
            c50: "IC50",
            max: "Imax",
        },
        action: Action::InhibitsTnf,
        params_file: params_file!("adalimumab"),
        params: one_compartment_params!("adalimumab", ("IC50", "ng/mL"), ("Imax", "1")),
        concentration_columns: concentration_columns!("adalimumab"),
    },
    // Infliximab (anti-TNF-alpha).
    Drug {
        name: "infliximab",
        compartments: &[
            compartment(
                "Ifx_depot",
                "infliximab_depot_mg",
                "infliximab in the subcutaneous depot",
            ),
            compartment(
                "Ifx_central",
                "infliximab_central_mg",
                "infliximab in the central compartment",
            ),
        ],
        routes: &[route("IV", 1, 1000.0), route("SC", 0, 120.0)],
        pk: Pk::OneCompartment {
            c50: "IC50",
            max: "Imax",
        },
        action: Action::InhibitsTnf,
        params_file: params_file!("infliximab"),
        params: one_compartment_params!("infliximab", ("IC50", "ng/mL"), ("Imax", "1")),
        concentration_columns: concentration_columns!("infliximab"),
    },
    // Secukinumab (anti-IL-17A).
    Drug {
        name: "secukinumab",
        compartments: &[
            compartment(
                "Sec_depot",
                "secukinumab_depot_mg",
                "secukinumab in the subcutaneous depot",
            ),
            compartment(
                "Sec_central",
                "secukinumab_central_mg",
                "secukinumab in the central compartment",
            ),
        ],
        routes: &[route("SC", 0, 300.0), route("IV", 1, 600.0)],
        pk: Pk::OneCompartment {
            c50: "IC50",
            max: "Imax",
        },
        action: Action::InhibitsIl17,
        params_file: params_file!("secukinumab"),
        params: one_compartment_params!("secukinumab", ("IC50", "ng/mL"), ("Imax", "1")),
        concentration_columns: concentration_columns!("secukinumab"),
    },
    // Tocilizumab (anti-IL-6 receptor).
    Drug {
        name: "tocilizumab",
        compartments: &[
            compartment(
                "Tcz_depot",
                "tocilizumab_depot_mg",
                "tocilizumab in the subcutaneous depot",
            ),
            compartment(
                "Tcz_central",
                "tocilizumab_central_mg",
                "tocilizumab in the central compartment",
            ),
        ],
        routes: &[route("IV", 1, 800.0), route("SC", 0, 162.0)],
        pk: Pk::OneCompartment {
            c50: "IC50",
            max: "Imax",
        },
        action: Action::InhibitsIl6,
        params_file: params_file!("tocilizumab"),
        params: one_compartment_params!("tocilizumab", ("IC50", "ng/mL"), ("Imax", "1")),
        concentration_columns: concentration_columns!("tocilizumab"),
    },
    // Romosozumab (anti-sclerostin).
    Drug {
        name: "romosozumab",
        compartments: &[
            compartment(
                "Romo_depot",
                "romosozumab_depot_mg",
                "romosozumab in the subcutaneous depot",
            ),
            compartment(
                "Romo_central",
                "romosozumab_central_mg",
                "romosozumab in the central compartment",
            ),
        ],
        routes: &[route("SC", 0, 210.0)],
        pk: Pk::OneCompartment {
            c50: "IC50",
            max: "Imax",
        },
        action: Action::InhibitsSclerostin,
        params_file: params_file!("romosozumab"),
        params: one_compartment_params!("romosozumab", ("IC50", "ng/mL"), ("Imax", "1")),
        concentration_columns: concentration_columns!("romosozumab"),
    },
    // Tofacitinib (JAK1/3 inhibitor).
    Drug {
        name: "tofacitinib",
        compartments: &[
            compartment(
                "Tofa_depot",
                "tofacitinib_depot_mg",
                "tofacitinib in the gut",
            ),
            compartment(
                "Tofa_central",
                "tofacitinib_central_mg",
                "tofacitinib in the central compartment",
            ),
        ],
        routes: &[route("oral", 0, 11.0)],
        pk: Pk::OneCompartment {
            c50: "IC50",
            max: "Imax",
        },
        action: Action::InhibitsJakStat,
        params_file: params_file!("tofacitinib"),
        params: one_compartment_params!("tofacitinib", ("IC50", "ng/mL"), ("Imax", "1")),
        concentration_columns: concentration_columns!("tofacitinib"),
    },
    // Baricitinib (JAK1/2 inhibitor).
    Drug {
        name: "baricitinib",
        compartments: &[
            compartment(
                "Bari_depot",
                "baricitinib_depot_mg",
                "baricitinib in the gut",
            ),
            compartment(
                "Bari_central",
                "baricitinib_central_mg",
                "baricitinib in the central compartment",
            ),
        ],
        routes: &[route("oral", 0, 4.0)],
        pk: Pk::OneCompartment {
            c50: "IC50",
            max: "Imax",
        },
        action: Action::InhibitsJakStat,
        params_file: params_file!("baricitinib"),
        params: one_compartment_params!("baricitinib", ("IC50", "ng/mL"), ("Imax", "1")),
        concentration_columns: concentration_columns!("baricitinib"),
    },
    // Abatacept (CTLA-4-Ig).
    Drug {
        name: "abatacept",
        compartments: &[
            compartment(
                "Aba_depot",
                "abatacept_depot_mg",
                "abatacept in the subcutaneous depot",
            ),
            compartment(
                "Aba_central",
                "abatacept_central_mg",
                "abatacept in the central compartment",
            ),
        ],
        routes: &[route("IV", 1, 1000.0), route("SC", 0, 125.0)],
        pk: Pk::OneCompartment {
            c50: "IC50",
            max: "Emax",
        },
        action: Action::AddsCtla4,
        params_file: params_file!("abatacept"),
        params: one_compartment_params!("abatacept", ("IC50", "ng/mL"), ("Emax", "1")),
        concentration_columns: concentration_columns!("abatacept"),
    },
    // Aldesleukin (low-dose IL-2).
    Drug {
        name: "aldesleukin",
        compartments: &[
            compartment(
                "IL2_depot",
                "aldesleukin_depot_mg",
                "aldesleukin in the subcutaneous depot",
            ),
            compartment(
                "IL2_central",
                "aldesleukin_central_mg",
                "aldesleukin in the central compartment",
            ),
        ],
        routes: &[route("SC", 0, 3.0)],
        pk: Pk::OneCompartment {
            c50: "EC50",
            max: "Emax",
        },
        action: Action::MultipliesTregDrive,
        params_file: params_file!("aldesleukin"),
        params: one_compartment_params!("aldesleukin", ("EC50", "ng/mL"), ("Emax", "1")),
        concentration_columns: concentration_columns!("aldesleukin"),
    },
    // Teriparatide (PTH 1-34): its concentration adds to the PTH of the core model.
    Drug {
        name: "teriparatide",
        compartments: &[
            compartment(
                "Teri_depot",
                "teriparatide_depot_mg",
                "teriparatide in the subcutaneous depot",
            ),
            compartment(
                "Teri_central",
                "teriparatide_central_mg",
                "teriparatide in the central compartment",
            ),
        ],
        routes: &[route("SC", 0, 0.02)],
        pk: Pk::OneCompartment { c50: "", max: "" },
        action: Action::AddsPthSource,
        params_file: params_file!("teriparatide"),
        params: one_compartment_params!("teriparatide"),
        concentration_columns: concentration_columns!("teriparatide"),
    },
    // Estradiol (hormone therapy): its concentration adds to the estrogen of the immune module.
    Drug {
        name: "estradiol",
        compartments: &[
            compartment("E2_depot", "estradiol_depot_mg", "estradiol in the gut"),
            compartment(
                "E2_central",
                "estradiol_central_mg",
                "estradiol in the central compartment",
            ),
        ],
        routes: &[route("oral", 0, 2.0)],
        pk: Pk::OneCompartment {
            c50: "C_premenopausal",
            max: "",
        },
        action: Action::AddsEstrogen,
        params_file: params_file!("estradiol"),
        params: one_compartment_params!("estradiol", ("C_premenopausal", "ng/mL")),
        concentration_columns: concentration_columns!("estradiol"),
    },
    // Alendronate (oral bisphosphonate).
    Drug {
        name: "alendronate",
        compartments: &[
            compartment(
                "Aln_depot",
                "alendronate_depot_mg",
                "alendronate in the gut",
            ),
            compartment(
                "Aln_central",
                "alendronate_central_mg",
                "alendronate in the central compartment",
            ),
            compartment(
                "Aln_bone",
                "alendronate_bone_mg",
                "alendronate bound to bone",
            ),
        ],
        routes: &[route("oral", 0, 70.0)],
        pk: Pk::Bisphosphonate { oral: true },
        action: Action::OsteoclastApoptosisFromBone,
        params_file: params_file!("alendronate"),
        params: &[
            param("alendronate.ka", "1/day"),
            param("alendronate.F", "1"),
            param("alendronate.V", "L"),
            param("alendronate.CL_renal", "L/day"),
            param("alendronate.CL_bone", "L/day"),
            param("alendronate.EC50", "mg"),
            param("alendronate.Emax", "1"),
            param("alendronate.molar_mass", "g/mol"),
        ],
        concentration_columns: concentration_columns!("alendronate"),
    },
    // Zoledronate (intravenous bisphosphonate).
    Drug {
        name: "zoledronate",
        compartments: &[
            compartment(
                "Zol_central",
                "zoledronate_central_mg",
                "zoledronate in the central compartment",
            ),
            compartment(
                "Zol_bone",
                "zoledronate_bone_mg",
                "zoledronate bound to bone",
            ),
        ],
        routes: &[route("IV", 0, 5.0)],
        pk: Pk::Bisphosphonate { oral: false },
        action: Action::OsteoclastApoptosisFromBone,
        params_file: params_file!("zoledronate"),
        params: &[
            param("zoledronate.V", "L"),
            param("zoledronate.CL_renal", "L/day"),
            param("zoledronate.CL_bone", "L/day"),
            param("zoledronate.EC50", "mg"),
            param("zoledronate.Emax", "1"),
            param("zoledronate.molar_mass", "g/mol"),
        ],
        concentration_columns: concentration_columns!("zoledronate"),
    },
];

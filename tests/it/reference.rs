//! Lemaire 2004 scenarios against an independent solution of the SBML file (libroadrunner CVODE
//! at rtol 1e-12, checked against scipy Radau; see tests/data/README.md).

use crate::util::{read_csv, root, run};

fn compare(stem: &str) -> f64 {
    let result = run(stem);
    let (columns, rows) = read_csv(&root().join("tests/data").join(format!("{stem}.csv")));
    assert_eq!(columns, ["t_day", "R_pM", "B_pM", "C_pM"]);
    let traj = &result.trajectory;
    assert_eq!(traj.len(), rows.len(), "{stem}: number of output times");
    let mut worst: f64 = 0.0;
    for (k, want) in rows.iter().enumerate() {
        let t = traj.data[0][k];
        assert!(
            (t - want[0]).abs() < 1e-9,
            "{stem}: output time {t} vs {}",
            want[0]
        );
        for (c, name) in columns.iter().enumerate().skip(1) {
            let got = traj.column(name).unwrap()[k];
            let rel = (got - want[c]).abs() / want[c].abs();
            assert!(
                rel <= 1e-6,
                "{stem}: {name} at t = {t}: got {got:e}, reference {:e}, relative {rel:e}",
                want[c]
            );
            worst = worst.max(rel);
        }
    }
    eprintln!("{stem}: max relative difference to the SBML reference {worst:.3e}");
    worst
}

#[test]
fn lemaire2004_pth_matches_the_sbml_reference() {
    compare("lemaire2004_pth");
}

#[test]
fn lemaire2004_opg_matches_the_sbml_reference() {
    compare("lemaire2004_opg");
}

#[test]
fn lemaire2004_rankl_opg_matches_the_sbml_reference() {
    compare("lemaire2004_rankl_opg");
}

#[test]
fn lemaire2004_pth_shows_the_published_catabolic_response() {
    // literature.md 1.2: at day 80 under continuous PTH, R +421 %, B +124 %, C +304 %.
    let r = run("lemaire2004_pth");
    let t = r.trajectory.column("t_day").unwrap();
    let k80 = t.iter().position(|t| (*t - 80.0).abs() < 1e-9).unwrap();
    for (name, want) in [("R_pM", 421.0), ("B_pM", 124.0), ("C_pM", 304.0)] {
        let c = r.trajectory.column(name).unwrap();
        let change = 100.0 * (c[k80] / c[0] - 1.0);
        assert!(
            (change - want).abs() < 1.0,
            "{name}: {change:.1} % vs {want} %"
        );
    }
}

#[test]
fn pivonka2008_pth_matches_the_team_resimulation() {
    // literature.md 1.3 [S]: PTH 1000 pM/day on days 20-80 -> day 80: OBp +126 %, OBa +69 %, OCa +93 %.
    let r = run("pivonka2008_pth");
    let t = r.trajectory.column("t_day").unwrap();
    let k80 = t.iter().position(|t| (*t - 80.0).abs() < 1e-9).unwrap();
    for (name, want) in [("OBp_pM", 126.0), ("OBa_pM", 69.0), ("OCa_pM", 93.0)] {
        let c = r.trajectory.column(name).unwrap();
        let change = 100.0 * (c[k80] / c[0] - 1.0);
        assert!(
            (change - want).abs() < 1.5,
            "{name}: {change:.1} % vs {want} %"
        );
    }
}

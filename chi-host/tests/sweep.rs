//! `chi sweep` and `chi report` as a user drives them: a small grid run here two at a time,
//! its report, and the SLURM array script's task running its own line (without SLURM).

use std::path::PathBuf;
use std::process::Command;

fn chi() -> Command {
    Command::new(env!("CARGO_BIN_EXE_chi"))
}

#[test]
fn a_sweep_runs_every_run_once_and_resumes_and_its_report_compares_the_agents() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sweep");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("sweep.toml");
    let runs = dir.join("runs");
    std::fs::write(
        &file,
        format!(
            "out = {:?}\nepisodes = 2\npreset = \"board\"\ntasks = [\"point-mass\"]\nagents = [\"chi\", \"sac\"]\nseeds = [0, 1]\n",
            runs.display().to_string()
        ),
    )
    .unwrap();
    let o = chi()
        .arg("sweep")
        .arg(&file)
        .args(["--jobs", "2"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let task = runs.join("point-mass/default");
    for run in ["chi-seed0", "chi-seed1", "sac-seed0", "sac-seed1"] {
        let metrics = std::fs::read_to_string(task.join(run).join("metrics.csv")).unwrap();
        assert_eq!(metrics.lines().count(), 3, "{run}: a header and 2 episodes");
    }

    let o = chi()
        .args(["report", "--last", "1", "--reps", "2000", "--runs"])
        .arg(&task)
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        md.contains("| chi | 2 |") && md.contains("| sac | 2 |"),
        "{md}"
    );
    assert!(md.contains("P(chi > sac), final return:"), "{md}");

    // The array job: task 3 runs the fourth line, which finds its run done and resumes it.
    let slurm = dir.join("slurm");
    let o = chi()
        .arg("sweep")
        .arg(&file)
        .arg("--slurm")
        .arg(&slurm)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let script = std::fs::read_to_string(slurm.join("sweep.sbatch")).unwrap();
    assert!(script.contains("#SBATCH --array=0-3\n"), "{script}");
    let o = Command::new("bash")
        .arg(slurm.join("sweep.sbatch"))
        .env("SLURM_ARRAY_TASK_ID", "3")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{said}");
    assert!(
        said.contains("resuming") && said.contains("sac-seed1"),
        "{said}"
    );
}

//! `chi sweep` and `chi report` as a user drives them: a small grid run here two at a time,
//! its report, and the SLURM array script's task running its own line (without SLURM).

use std::path::PathBuf;
use std::process::Command;

mod common;
use common::chi;

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

/// A one-node SLURM of its own (munged, slurmctld and slurmd on private sockets, ports and
/// files below `dir`), stopped when dropped. `cargo xtask setup` installs Debian's
/// slurm-wlm and munge.
struct Slurm {
    conf: PathBuf,
    pids: Vec<PathBuf>,
}

impl Slurm {
    fn start(dir: &std::path::Path) -> Self {
        let sbin = |p: &str| PathBuf::from("/usr/sbin").join(p);
        for p in ["munged", "slurmctld", "slurmd"] {
            assert!(
                sbin(p).is_file(),
                "{p} is missing: `cargo xtask setup` installs slurm-wlm and munge"
            );
        }
        std::fs::create_dir_all(dir.join("state")).unwrap();
        std::fs::create_dir_all(dir.join("spool")).unwrap();
        let key = dir.join("munge.key");
        let bytes: Vec<u8> = (0u32..1024)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        std::fs::write(&key, bytes).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        let socket = dir.join("munge.socket");
        let status = Command::new(sbin("munged"))
            .arg(format!("--key-file={}", key.display()))
            .arg(format!("--socket={}", socket.display()))
            .arg(format!("--pid-file={}", dir.join("munged.pid").display()))
            .arg(format!("--log-file={}", dir.join("munged.log").display()))
            .arg(format!("--seed-file={}", dir.join("munged.seed").display()))
            .arg("--force")
            .status()
            .unwrap();
        assert!(status.success(), "munged did not start");
        let port = || {
            std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port()
        };
        let host = String::from_utf8(Command::new("hostname").arg("-s").output().unwrap().stdout)
            .unwrap()
            .trim()
            .to_string();
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        let d = dir.display();
        let conf = dir.join("slurm.conf");
        std::fs::write(
            &conf,
            format!(
                "ClusterName=chitest\nSlurmctldHost={host}(127.0.0.1)\nSlurmctldPort={}\nSlurmdPort={}\n\
                 AuthType=auth/munge\nAuthInfo=socket={}\nCredType=cred/munge\n\
                 ProctrackType=proctrack/linuxproc\nTaskPlugin=task/none\n\
                 SelectType=select/cons_tres\nSelectTypeParameters=CR_Core\n\
                 SlurmUser=root\nSlurmdUser=root\nReturnToService=2\nMpiDefault=none\n\
                 JobAcctGatherType=jobacct_gather/none\nAccountingStorageType=accounting_storage/none\n\
                 StateSaveLocation={d}/state\nSlurmdSpoolDir={d}/spool\n\
                 SlurmctldLogFile={d}/slurmctld.log\nSlurmdLogFile={d}/slurmd.log\n\
                 SlurmctldPidFile={d}/slurmctld.pid\nSlurmdPidFile={d}/slurmd.pid\n\
                 NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory=1000 State=UNKNOWN\n\
                 PartitionName=test Nodes={host} Default=YES MaxTime=INFINITE State=UP\n",
                port(),
                port(),
                socket.display()
            ),
        )
        .unwrap();
        let slurm = Self {
            conf: conf.clone(),
            pids: ["slurmd.pid", "slurmctld.pid", "munged.pid"]
                .map(|p| dir.join(p))
                .into(),
        };
        for daemon in ["slurmctld", "slurmd"] {
            let status = Command::new(sbin(daemon))
                .arg("-f")
                .arg(&conf)
                .status()
                .unwrap();
            assert!(status.success(), "{daemon} did not start");
        }
        for _ in 0..100 {
            let o = slurm
                .client("sinfo")
                .args(["-h", "-o", "%t"])
                .output()
                .unwrap();
            if String::from_utf8_lossy(&o.stdout).trim() == "idle" {
                return slurm;
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        panic!("the SLURM node did not come up: {}", d);
    }

    fn client(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("SLURM_CONF", &self.conf);
        c
    }
}

impl Drop for Slurm {
    fn drop(&mut self) {
        for pid in &self.pids {
            if let Ok(p) = std::fs::read_to_string(pid) {
                let _ = Command::new("kill").arg(p.trim()).status();
            }
        }
    }
}

#[test]
fn a_sweep_runs_as_a_slurm_array_job_on_one_node() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sweep-slurm");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let slurm = Slurm::start(&dir.join("cluster"));
    let file = dir.join("sweep.toml");
    let runs = dir.join("runs");
    std::fs::write(
        &file,
        format!(
            "out = {:?}\nepisodes = 2\npreset = \"board\"\ntasks = [\"point-mass\"]\nagents = [\"sac\"]\nseeds = [0, 1]\n",
            runs.display().to_string()
        ),
    )
    .unwrap();
    let job = dir.join("job");
    let o = chi()
        .arg("sweep")
        .arg(&file)
        .arg("--slurm")
        .arg(&job)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = slurm
        .client("sbatch")
        .arg("--wait")
        .arg(job.join("sweep.sbatch"))
        .output()
        .unwrap();
    let logs = |i: usize| {
        std::fs::read_to_string(job.join(format!("logs/run-{i}.log"))).unwrap_or_default()
    };
    assert!(
        o.status.success(),
        "{}{}\n{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
        logs(0),
        logs(1)
    );
    for seed in 0..2 {
        let metrics = runs.join(format!("point-mass/default/sac-seed{seed}/metrics.csv"));
        let rows = std::fs::read_to_string(&metrics).unwrap_or_default();
        assert_eq!(
            rows.lines().count(),
            3,
            "{}: {}",
            metrics.display(),
            logs(seed)
        );
        assert!(
            logs(seed).contains(&format!("chi sweep task {seed}")),
            "{}",
            logs(seed)
        );
    }
}

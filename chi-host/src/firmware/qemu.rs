//! Running a firmware image in QEMU's `netduinoplus2` (STM32F405): semihosting carries the
//! defmt log and the exit code; USART1 can be bridged to a TCP socket of the host.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};

/// How the firmware's time runs in QEMU.
#[derive(Clone, Copy, Debug)]
pub enum Clock<'p> {
    /// As fast as the host goes (the tests that only check behaviour).
    Wall,
    /// Virtual time counts instructions (`-icount shift=0`: one instruction is 1 ns), so
    /// SysTick measures cost deterministically.
    Instructions,
    /// As [`Clock::Instructions`], with the cycle model loaded to cost the firmware's marks.
    Modelled(&'p super::cycles::Plugin),
}

/// The QEMU command for `elf` (on the machine it was built for) with its clock.
fn command(elf: &Path, image: &[u8], clock: Clock<'_>) -> anyhow::Result<Command> {
    let machine = super::machine::Machine::of_elf(image)?;
    if matches!(clock, Clock::Modelled(_)) && machine != super::machine::Machine::Netduinoplus2 {
        bail!("the cycle model describes the STM32F405 (netduinoplus2), not {machine}");
    }
    let mut c = Command::new("qemu-system-arm");
    c.args([
        "-cpu",
        machine.cpu(),
        "-machine",
        machine.qemu_name(),
        "-nographic",
    ])
    .args(["-monitor", "none"])
    .args(["-semihosting-config", "enable=on,target=native"]);
    if !matches!(clock, Clock::Wall) {
        c.args(["-icount", "shift=0"]);
    }
    if let Clock::Modelled(plugin) = clock {
        c.args(["-plugin", &plugin.argument()]);
    }
    // Every run shows the status LED's writes on QEMU's standard error (`Run::qemu`).
    c.args(super::led::qemu_args(machine));
    c.arg("-kernel").arg(elf);
    Ok(c)
}

fn spawn(mut c: Command) -> anyhow::Result<Child> {
    c.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| anyhow!("cannot start qemu-system-arm (`cargo xtask setup` installs it): {e}"))
}

/// Collects a pipe to its end on a thread, so the child never blocks on a full pipe.
fn drain(pipe: Option<impl Read + Send + 'static>) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut p) = pipe {
            let _ = p.read_to_end(&mut bytes);
        }
        bytes
    })
}

/// What a run logged and how it ended.
#[derive(Debug)]
pub struct Run {
    /// The defmt messages, decoded.
    pub log: Vec<String>,
    /// Exit code through semihosting (0 success, 1 failure); `None` if killed.
    pub code: Option<i32>,
    /// What QEMU itself said (a fault it could not escalate, for one).
    pub qemu: String,
}

/// Runs `elf` until it exits through semihosting; fails after `timeout`.
pub fn run(elf: &Path, clock: Clock<'_>, timeout: Duration) -> anyhow::Result<Run> {
    let image = std::fs::read(elf).with_context(|| format!("reading {}", elf.display()))?;
    let mut child = spawn(command(elf, &image, clock)?)?;
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if started.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            bail!("firmware did not exit within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let bytes = stdout
        .join()
        .map_err(|_| anyhow!("stdout reader panicked"))?;
    let errors = stderr
        .join()
        .map_err(|_| anyhow!("stderr reader panicked"))?;
    let log = super::log::decode(&image, &bytes)
        .with_context(|| format!("QEMU said: {}", String::from_utf8_lossy(&errors)))?;
    Ok(Run {
        log,
        code: status.code(),
        qemu: String::from_utf8_lossy(&errors).into_owned(),
    })
}

/// A firmware running in QEMU with USART1 connected to [`Serving::stream`]. Dropping it
/// kills QEMU.
pub struct Serving {
    child: Child,
    image: Vec<u8>,
    stdout: Option<JoinHandle<Vec<u8>>>,
    stderr: Option<JoinHandle<Vec<u8>>>,
    /// USART1 of the board.
    pub stream: TcpStream,
}

impl Serving {
    /// Starts `elf` with USART1 bridged to a socket: the host listens on a free port of
    /// 127.0.0.1 and QEMU connects to it (so no port is chosen blindly).
    pub fn start(elf: &Path, clock: Clock<'_>, timeout: Duration) -> anyhow::Result<Self> {
        let image = std::fs::read(elf).with_context(|| format!("reading {}", elf.display()))?;
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let mut c = command(elf, &image, clock)?;
        c.args(["-serial", &format!("tcp:127.0.0.1:{port}")]);
        let mut child = spawn(c)?;
        let stdout = Some(drain(child.stdout.take()));
        let stderr = Some(drain(child.stderr.take()));
        listener.set_nonblocking(true)?;
        let started = Instant::now();
        let stream = loop {
            match listener.accept() {
                Ok((stream, _)) => break stream,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if let Some(status) = child.try_wait()? {
                        let err = stderr.and_then(|h| h.join().ok()).unwrap_or_default();
                        bail!(
                            "QEMU exited ({status}) before connecting its USART: {}",
                            String::from_utf8_lossy(&err)
                        );
                    }
                    if started.elapsed() > timeout {
                        let _ = child.kill();
                        bail!("QEMU did not connect its USART within {timeout:?}");
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(e) => return Err(e.into()),
            }
        };
        stream.set_nonblocking(false)?;
        stream.set_nodelay(true)?;
        Ok(Self {
            child,
            image,
            stdout,
            stderr,
            stream,
        })
    }

    /// Stops QEMU and returns what the firmware logged and QEMU said.
    pub fn stop(mut self) -> anyhow::Result<Run> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let joined = |h: Option<JoinHandle<Vec<u8>>>| {
            h.map(|h| h.join().unwrap_or_default()).unwrap_or_default()
        };
        let bytes = joined(self.stdout.take());
        let errors = joined(self.stderr.take());
        Ok(Run {
            log: super::log::decode(&self.image, &bytes)?,
            code: None,
            qemu: String::from_utf8_lossy(&errors).into_owned(),
        })
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

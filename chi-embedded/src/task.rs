//! A task: everything the controller, the bundle and the board need to know about a plant.
//!
//! A task is written once, as one `no_std` type implementing [`Task`] (and, through its
//! supertrait [`Reward`], what the planner optimises). The bundle records which task it was
//! trained on as a [`TaskRecord`]: a stable name, the version of the task's definition and
//! its numeric parameters (the point mass's wall, say). A controller is built for a task
//! type, and [`Task::from_record`] refuses a bundle made for another task or another version,
//! so a board never optimises the wrong reward.
//!
//! Where the board can simulate the plant (no MuJoCo, no sensors), the task also carries its
//! dynamics ([`Task::SIMULATED`]), which the firmware's self-test runs in closed loop.

use serde::{Deserialize, Serialize};

use crate::dynamics::Reward;

/// Longest task name a bundle records, in bytes.
pub const NAME_LEN: usize = 24;
/// Most numeric parameters a task records.
pub const MAX_PARAMS: usize = 8;

/// A plant the controller can be built for: `S` state (observation) values, `A` actions in
/// `[-1, 1]^A`.
///
/// The reward the planner optimises is the supertrait [`Reward`] (paper Section 2: known to
/// the agent), with the termination predicate and the state's sane range beside it.
pub trait Task<const S: usize, const A: usize>: Reward<S, A> + Copy + Default {
    /// Stable identifier, recorded in bundles and runs: lower-case ASCII letters, digits and
    /// `-`, at most [`NAME_LEN`] bytes.
    const NAME: &'static str;
    /// Version of the task's definition. Bump it when the reward, the observation layout or
    /// the meaning of a parameter changes: a bundle of another version is refused.
    const VERSION: u16;
    /// Seconds between two decisions (the board's deadline for a control step).
    const CONTROL_PERIOD: f32;
    /// Decisions in an episode (the time limit; an episode may terminate earlier).
    const EPISODE_STEPS: u32;
    /// One line on what is rewarded, for `chi tasks`.
    const SUMMARY: &'static str;

    /// Names of the parameters, in the order [`Self::params`] lists them (how a training
    /// configuration names them); [`Default`] gives their default values.
    const PARAM_NAMES: &'static [&'static str] = &[];

    /// The task with the parameters a bundle recorded; an error says which is invalid.
    fn from_params(params: &[f32]) -> Result<Self, &'static str>;

    /// The parameters to record (at most [`MAX_PARAMS`]; the slice [`Self::from_params`]
    /// reads back).
    fn params(&self) -> TaskParams;

    /// Whether [`Self::initial_state`] and [`Self::transition`] simulate the plant, so the
    /// board can run an episode with no host.
    const SIMULATED: bool = false;

    /// The state an episode starts in; `seed` draws any randomness of the start.
    fn initial_state(&self, _seed: u64) -> [f32; S] {
        [0.0; S]
    }

    /// The plant's true next state (only meaningful where [`Self::SIMULATED`]).
    fn transition(&self, state: &[f32; S], _action: &[f32; A]) -> [f32; S] {
        *state
    }

    /// What a bundle records of this task.
    fn record(&self) -> TaskRecord {
        TaskRecord::new(Self::NAME, Self::VERSION, self.params().as_slice())
            .unwrap_or(TaskRecord::UNNAMED)
    }

    /// The task a bundle recorded, if it is this task at this version with valid parameters.
    fn from_record(record: &TaskRecord) -> Result<Self, TaskError> {
        if record.name() != Self::NAME {
            return Err(TaskError::Name {
                compiled: Self::NAME,
                bundle: record.name,
            });
        }
        if record.version != Self::VERSION {
            return Err(TaskError::Version {
                compiled: Self::VERSION,
                bundle: record.version,
            });
        }
        Self::from_params(record.params()).map_err(TaskError::Parameter)
    }
}

/// A task's numeric parameters: up to [`MAX_PARAMS`] values.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TaskParams {
    len: u8,
    values: [f32; MAX_PARAMS],
}

impl TaskParams {
    /// No parameters.
    pub const NONE: Self = Self {
        len: 0,
        values: [0.0; MAX_PARAMS],
    };

    /// The first [`MAX_PARAMS`] values of `values`.
    pub fn new(values: &[f32]) -> Self {
        let mut p = Self::NONE;
        for (slot, v) in p.values.iter_mut().zip(values) {
            *slot = *v;
            p.len += 1;
        }
        p
    }

    /// The values.
    pub fn as_slice(&self) -> &[f32] {
        self.values.get(..usize::from(self.len)).unwrap_or(&[])
    }
}

/// Which task a bundle was trained on: name, definition version and parameters.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TaskRecord {
    /// The name's bytes, zero-padded.
    name: [u8; NAME_LEN],
    /// [`Task::VERSION`] of the task's definition.
    pub version: u16,
    params_len: u8,
    params: [f32; MAX_PARAMS],
}

impl TaskRecord {
    /// A record that names no task (refused by [`Self::validate`]).
    const UNNAMED: Self = Self {
        name: [0; NAME_LEN],
        version: 0,
        params_len: 0,
        params: [0.0; MAX_PARAMS],
    };

    /// A record, if the name and parameters are valid.
    pub fn new(name: &str, version: u16, params: &[f32]) -> Result<Self, &'static str> {
        let mut r = Self::UNNAMED;
        let bytes = name.as_bytes();
        if bytes.len() > NAME_LEN || params.len() > MAX_PARAMS {
            return Err("task name longer than 24 bytes or more than 8 parameters");
        }
        for (slot, b) in r.name.iter_mut().zip(bytes) {
            *slot = *b;
        }
        for (slot, v) in r.params.iter_mut().zip(params) {
            *slot = *v;
        }
        r.version = version;
        r.params_len = params.len() as u8;
        r.validate()?;
        Ok(r)
    }

    /// The task's name (empty if the bytes are not a valid name).
    pub fn name(&self) -> &str {
        let len = self.name.iter().position(|&b| b == 0).unwrap_or(NAME_LEN);
        self.name
            .get(..len)
            .and_then(|b| core::str::from_utf8(b).ok())
            .unwrap_or("")
    }

    /// The recorded parameters.
    pub fn params(&self) -> &[f32] {
        self.params
            .get(..usize::from(self.params_len))
            .unwrap_or(&[])
    }

    /// Checks what any task needs: a name of lower-case letters, digits and `-` (zero
    /// padding after it, nothing else), at most [`MAX_PARAMS`] finite parameters and zero
    /// in the unused slots (so one task has one encoding, and one CRC).
    pub fn validate(&self) -> Result<(), &'static str> {
        let len = self.name.iter().position(|&b| b == 0).unwrap_or(NAME_LEN);
        let (name, padding) = self.name.split_at(len);
        let valid = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-';
        if name.is_empty() || !name.iter().all(valid) || padding.iter().any(|&b| b != 0) {
            return Err("task name must be lower-case letters, digits and '-'");
        }
        let Some((used, unused)) = self.params.split_at_checked(usize::from(self.params_len))
        else {
            return Err("task records more than 8 parameters");
        };
        if !used.iter().all(|v| v.is_finite()) {
            return Err("task parameters must be finite");
        }
        if unused.iter().any(|v| v.to_bits() != 0) {
            return Err("task parameter slots past the count must be zero");
        }
        Ok(())
    }
}

/// Why a bundle's task is not the compiled one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TaskError {
    /// Another task.
    Name {
        /// The task the controller is built for.
        compiled: &'static str,
        /// The bundle's task name, zero-padded.
        bundle: [u8; NAME_LEN],
    },
    /// The same task at another version of its definition.
    Version {
        /// The controller's version.
        compiled: u16,
        /// The bundle's.
        bundle: u16,
    },
    /// The task refused the recorded parameters.
    Parameter(&'static str),
}

impl core::fmt::Display for TaskError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Name { compiled, bundle } => {
                let len = bundle.iter().position(|&b| b == 0).unwrap_or(NAME_LEN);
                let name = bundle
                    .get(..len)
                    .and_then(|b| core::str::from_utf8(b).ok())
                    .unwrap_or("?");
                write!(
                    f,
                    "bundle was trained on task '{name}', this controller is built for '{compiled}'"
                )
            }
            Self::Version { compiled, bundle } => write!(
                f,
                "bundle was trained on version {bundle} of the task, this controller has version {compiled}"
            ),
            Self::Parameter(what) => write!(f, "bundle's task parameters refused: {what}"),
        }
    }
}

impl core::error::Error for TaskError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_round_trips_name_version_and_params() {
        let r = TaskRecord::new("point-mass", 3, &[0.5, 0.4, 0.1]).unwrap();
        assert_eq!(r.name(), "point-mass");
        assert_eq!(r.version, 3);
        assert_eq!(r.params(), &[0.5, 0.4, 0.1]);
        let mut buf = [0u8; 128];
        let bytes = postcard::to_slice(&r, &mut buf).unwrap();
        let back: TaskRecord = postcard::from_bytes(bytes).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn invalid_records_are_refused() {
        assert!(TaskRecord::new("", 1, &[]).is_err());
        assert!(TaskRecord::new("Point Mass", 1, &[]).is_err());
        assert!(TaskRecord::new("a-name-longer-than-24-bytes", 1, &[]).is_err());
        assert!(TaskRecord::new("x", 1, &[0.0; 9]).is_err());
        assert!(TaskRecord::new("x", 1, &[f32::NAN]).is_err());
        let mut r = TaskRecord::new("x", 1, &[1.0]).unwrap();
        r.params[3] = 2.0;
        assert!(r.validate().is_err(), "a value past the count");
        let mut r = TaskRecord::new("x", 1, &[]).unwrap();
        r.name[5] = b'y';
        assert!(r.validate().is_err(), "bytes after the padding");
        r.params_len = 9;
        r.name[5] = 0;
        assert!(r.validate().is_err(), "a count past the slots");
    }
}

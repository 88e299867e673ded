//! Checkpoint tensors in safetensors files: named f32 (weights, optimiser moments) and f64
//! (counters) arrays with their shapes. The format candle wrote, so checkpoints of earlier
//! builds still load; a file that is not one, or lacks a tensor, is an error that names it.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use safetensors::{Dtype, SafeTensors, tensor::TensorView};

/// One tensor to write.
pub struct Named<'a> {
    /// Its name in the file.
    pub name: String,
    /// Its shape.
    pub shape: Vec<usize>,
    /// Its values, row-major.
    pub values: Values<'a>,
}

/// The values of a tensor.
pub enum Values<'a> {
    /// Single precision.
    F32(&'a [f32]),
    /// Double precision.
    F64(&'a [f64]),
}

/// Writes `tensors` to `path` (through a temporary file and a rename, so a failed write
/// leaves no half a file).
pub fn write(path: &Path, tensors: &[Named]) -> Result<()> {
    let bytes: Vec<(String, Vec<usize>, Dtype, Vec<u8>)> = tensors
        .iter()
        .map(|t| {
            let (dtype, data) = match t.values {
                Values::F32(v) => (Dtype::F32, v.iter().flat_map(|x| x.to_le_bytes()).collect()),
                Values::F64(v) => (Dtype::F64, v.iter().flat_map(|x| x.to_le_bytes()).collect()),
            };
            (t.name.clone(), t.shape.clone(), dtype, data)
        })
        .collect();
    let views = bytes
        .iter()
        .map(|(name, shape, dtype, data)| {
            TensorView::new(*dtype, shape.clone(), data)
                .map(|v| (name.as_str(), v))
                .with_context(|| format!("tensor '{name}' for {}", path.display()))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    safetensors::serialize_to_file(views, None, &tmp)
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
}

/// The tensors of one file.
pub struct TensorFile {
    path: std::path::PathBuf,
    tensors: HashMap<String, (Vec<usize>, Dtype, Vec<u8>)>,
}

impl TensorFile {
    /// Reads `path`.
    pub fn read(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        Self::parse(&bytes, path)
    }

    /// Decodes the bytes of a file read from `path` (named in every error).
    pub fn parse(bytes: &[u8], path: &Path) -> Result<Self> {
        let file = SafeTensors::deserialize(bytes)
            .with_context(|| format!("{} is not a safetensors file", path.display()))?;
        let tensors = file
            .tensors()
            .into_iter()
            .map(|(name, view)| {
                (
                    name,
                    (view.shape().to_vec(), view.dtype(), view.data().to_vec()),
                )
            })
            .collect();
        Ok(Self {
            path: path.to_path_buf(),
            tensors,
        })
    }

    fn get(&self, name: &str, dtype: Dtype) -> Result<(&[usize], &[u8])> {
        let (shape, found, data) = self
            .tensors
            .get(name)
            .with_context(|| format!("{} has no tensor '{name}'", self.path.display()))?;
        if *found != dtype {
            bail!(
                "{}: '{name}' is {found:?}, expected {dtype:?}",
                self.path.display()
            );
        }
        Ok((shape, data))
    }

    /// The f32 tensor `name`, which must have `shape`.
    pub fn f32s(&self, name: &str, shape: &[usize]) -> Result<Vec<f32>> {
        let (found, data) = self.get(name, Dtype::F32)?;
        if found != shape {
            bail!(
                "{}: '{name}' is {found:?}, expected {shape:?}",
                self.path.display()
            );
        }
        Ok(data
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect())
    }

    /// The f32 tensor `name` of `len` values, whatever its shape (optimiser moments, which
    /// candle's optimiser stored in its variables' shapes).
    pub fn f32s_flat(&self, name: &str, len: usize) -> Result<Vec<f32>> {
        let (shape, _) = self.get(name, Dtype::F32)?;
        let shape = shape.to_vec();
        if shape.iter().product::<usize>() != len {
            bail!(
                "{}: '{name}' is {shape:?}, expected {len} values",
                self.path.display()
            );
        }
        self.f32s(name, &shape)
    }

    /// The first value of the f64 tensor `name` (a counter).
    pub fn f64_scalar(&self, name: &str) -> Result<f64> {
        let (_, data) = self.get(name, Dtype::F64)?;
        let Some(b) = data.first_chunk::<8>() else {
            bail!("{}: '{name}' is empty", self.path.display());
        };
        Ok(f64::from_le_bytes(*b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_what_does_not_match() {
        let dir = std::env::temp_dir().join(format!("chi-tensor-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.safetensors");
        let w = [1.0f32, -2.5, 3.25, 0.0, 7.0, -0.125];
        write(
            &path,
            &[
                Named {
                    name: "w".into(),
                    shape: vec![2, 3],
                    values: Values::F32(&w),
                },
                Named {
                    name: "step".into(),
                    shape: vec![1],
                    values: Values::F64(&[42.0]),
                },
            ],
        )
        .unwrap();
        let f = TensorFile::read(&path).unwrap();
        assert_eq!(f.f32s("w", &[2, 3]).unwrap(), w);
        assert_eq!(f.f32s_flat("w", 6).unwrap(), w);
        assert_eq!(f.f64_scalar("step").unwrap(), 42.0);
        assert!(
            f.f32s("w", &[3, 2])
                .unwrap_err()
                .to_string()
                .contains("expected [3, 2]")
        );
        assert!(
            f.f32s("v", &[1])
                .unwrap_err()
                .to_string()
                .contains("no tensor 'v'")
        );
        assert!(f.f64_scalar("w").is_err());
        // A truncated file is refused, not read as zeros.
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 5]).unwrap();
        assert!(TensorFile::read(&path).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A checkpoint candle wrote (the format of runs made before chi trained on its own
    /// networks) reads the same.
    #[test]
    fn reads_what_candle_wrote() {
        use candle_core::{Device, Tensor};
        let dir = std::env::temp_dir().join(format!("chi-tensor-candle-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("c.safetensors");
        let mut map = HashMap::new();
        let w = [0.5f32, 1.5, -2.0, 4.0];
        map.insert(
            "m0".to_string(),
            Tensor::from_slice(&w, (2, 2), &Device::Cpu).unwrap(),
        );
        map.insert(
            "step".to_string(),
            Tensor::new(&[9.0f64], &Device::Cpu).unwrap(),
        );
        candle_core::safetensors::save(&map, &path).unwrap();
        let f = TensorFile::read(&path).unwrap();
        assert_eq!(f.f32s("m0", &[2, 2]).unwrap(), w);
        assert_eq!(f.f32s_flat("m0", 4).unwrap(), w);
        assert_eq!(f.f64_scalar("step").unwrap(), 9.0);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

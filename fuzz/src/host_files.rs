//! chi-host's readers of what a run directory holds: config.toml (and a `--config` file),
//! run.toml, the checkpoint's tensor files and replay buffers. The first byte picks the
//! reader, the rest is the file.

use std::path::Path;

use chi_host::config::TrainConfig;
use chi_host::replay::ReplayBuffer;
use chi_host::tensor_file::TensorFile;

const READERS: u8 = 4;

/// One file's bytes through one of chi-host's readers. What a reader accepts must write back
/// to what reads as the same thing again.
pub fn host_files(data: &[u8]) {
    let Some((which, file)) = data.split_first() else {
        return;
    };
    let path = Path::new("run/file");
    match which % READERS {
        0 => config(file, path),
        1 => tensors(file, path),
        2 => replay(file, path),
        _ => identity(file),
    }
}

fn config(file: &[u8], path: &Path) {
    let Ok(text) = std::str::from_utf8(file) else {
        return;
    };
    if let Ok(c) = TrainConfig::default().with_text(text, path) {
        let written = toml::to_string(&c).expect("a config that read writes");
        let again = TrainConfig::default()
            .with_text(&written, path)
            .expect("a written config reads");
        assert_eq!(toml::to_string(&again).ok(), Some(written));
    }
    let _ = chi_host::config::first_difference(text, "episodes = 1");
}

fn tensors(file: &[u8], path: &Path) {
    if let Ok(t) = TensorFile::parse(file, path) {
        for name in ["l0.weight", "m0", "step"] {
            let _ = t.f32s(name, &[4, 2]);
            let _ = t.f32s_flat(name, 8);
            let _ = t.f64_scalar(name);
        }
    }
}

fn replay(file: &[u8], path: &Path) {
    for (s, a, capacity) in [(2, 2, 1000), (3, 1, 7)] {
        if let Ok(b) = ReplayBuffer::decode(file, s, a, capacity, path) {
            let again = ReplayBuffer::decode(&b.encode(), s, a, capacity, path)
                .expect("a written buffer reads");
            assert_eq!(again.encode(), b.encode());
        }
    }
}

fn identity(file: &[u8]) {
    if let Ok(text) = std::str::from_utf8(file)
        && let Ok(table) = toml::from_str::<toml::Table>(text)
    {
        let _ = chi_host::world::recorded(&table);
    }
}

/// One valid file for each reader.
pub fn seeds() -> Vec<Vec<u8>> {
    let with = |which: u8, bytes: &[u8]| [&[which], bytes].concat();
    let config = toml::to_string(&TrainConfig::default()).unwrap_or_default();
    let mut replay = ReplayBuffer::new(2, 2, 1000);
    for i in 0..3 {
        let x = i as f32;
        replay.push(&[x, -x], &[0.5, x], x, &[x + 1.0, 0.0], i == 2);
    }
    let tensors = {
        let dir = std::env::temp_dir().join(format!("chi-fuzz-seed-{}", std::process::id()));
        let path = dir.join("t.safetensors");
        let net = chi_host::mlp::Mlp::seeded(&[2, 4, 2], &mut chi_embedded::rng::ChiRng::new(1));
        let bytes = std::fs::create_dir_all(&dir)
            .ok()
            .and_then(|()| chi_host::mlp::save(&path, &[("l", &net)]).ok())
            .and_then(|()| std::fs::read(&path).ok())
            .unwrap_or_default();
        let _ = std::fs::remove_dir_all(&dir);
        bytes
    };
    vec![
        with(0, config.as_bytes()),
        with(0, b"episodes = 3\n[sac]\nbatch = 16\n"),
        with(1, &tensors),
        with(2, &replay.encode()),
        with(3, b"agent = \"chi\"\nseed = 1\nenv = \"pendulum\"\n"),
    ]
}

//! Where a span's modelled cycles go: the cycle model's profile by address, attributed to
//! source functions through the firmware's debug information. The release build inlines
//! nearly everything into the controller's step, so each address is charged to the
//! innermost function of its inline chain that is chi's own (or libm's), not to a helper of
//! `core` inlined into it.

use std::collections::HashMap;
use std::path::Path;

use addr2line::fallible_iterator::FallibleIterator;
use anyhow::{Context, anyhow};

use super::cycles::Site;

/// One function's share of a profiled span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionCost {
    /// The function, demangled, generic parameters left out.
    pub function: String,
    /// Modelled cycles charged to its instructions.
    pub cycles: u64,
    /// Its instructions executed.
    pub instructions: u64,
}

/// The profile's cycles by function, most expensive first.
pub fn by_function(elf: &Path, sites: &[Site]) -> anyhow::Result<Vec<FunctionCost>> {
    let loader = addr2line::Loader::new(elf)
        .map_err(|e| anyhow!("reading the debug information of {}: {e}", elf.display()))?;
    let mut costs: HashMap<String, (u64, u64)> = HashMap::new();
    for site in sites {
        let names: Vec<String> = loader
            .find_frames(site.address)
            .map_err(|e| anyhow!("{e}"))
            .and_then(|frames| {
                frames
                    .filter_map(|f| {
                        Ok(f.function
                            .and_then(|n| n.demangle().ok().map(|d| d.into_owned())))
                    })
                    .collect()
                    .map_err(|e| anyhow!("{e}"))
            })
            .with_context(|| format!("looking up {:#x}", site.address))?;
        let name = names
            .iter()
            .find(|n| ours(n))
            .or(names.first())
            .map_or_else(|| format!("{:#x}", site.address), |n| without_generics(n));
        let entry = costs.entry(name).or_default();
        entry.0 += site.cycles;
        entry.1 += site.executions;
    }
    let mut out: Vec<FunctionCost> = costs
        .into_iter()
        .map(|(function, (cycles, instructions))| FunctionCost {
            function,
            cycles,
            instructions,
        })
        .collect();
    out.sort_by(|a, b| b.cycles.cmp(&a.cycles).then(a.function.cmp(&b.function)));
    Ok(out)
}

/// Whether a function is one of chi's (the library, the firmware, a task) or libm's.
fn ours(name: &str) -> bool {
    let path = name.trim_start_matches('<');
    ["chi_embedded::", "firmware::", "libm::"]
        .iter()
        .any(|p| path.starts_with(p))
}

/// `a::b<T, 3>::c<U>` as `a::b::c`, `<a::B<T> as a::Tr>::f` as `a::B::f`: the generic
/// arguments make one line of every instantiation, which the table does not need.
fn without_generics(name: &str) -> String {
    if let Some(inner) = name.strip_prefix('<') {
        let mut depth = 1usize;
        for (i, c) in inner.char_indices() {
            match c {
                '<' => depth += 1,
                '>' => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                let self_type = inner[..i].split(" as ").next().unwrap_or_default();
                return without_generics(self_type) + &without_generics(&inner[i + 1..]);
            }
        }
    }
    let mut out = String::with_capacity(name.len());
    let mut depth = 0usize;
    for c in name.chars() {
        match c {
            '<' => depth += 1,
            '>' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_arguments_are_left_out_and_ours_is_chis() {
        assert_eq!(
            without_generics("chi_embedded::nn::m4::dot4_i8<32>"),
            "chi_embedded::nn::m4::dot4_i8"
        );
        assert_eq!(without_generics("a::B<C<D>, 3>::f<E>"), "a::B::f");
        assert_eq!(
            without_generics(
                "<chi_embedded::ensemble::Ensemble<2, 4> as chi_embedded::dynamics::Dynamics<2, 2>>::predict"
            ),
            "chi_embedded::ensemble::Ensemble::predict"
        );
        assert!(ours("chi_embedded::rng::ChiRng::gaussian"));
        assert!(ours("<chi_embedded::ensemble::Ensemble as x>::predict"));
        assert!(ours("libm::math::expf::expf"));
        assert!(!ours("core::num::<impl f32>::mul_add"));
    }
}

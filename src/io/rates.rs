//! Population and assembly rates as CSV (`rates.csv` of `engram run`, and the window's export).

use std::path::Path;

use crate::Result;
use crate::sim::monitor::RateBin;

/// Header of the fixed columns; one `assembly{k}_hz` column per assembly follows.
pub const RATES_HEADER: &str = "t_s,e_hz,i_hz,input_hz";

/// Writes 100 ms rate bins atomically: `t_s,e_hz,i_hz,input_hz`, then as many `assembly{k}_hz`
/// columns as the bin with the most assemblies has (empty where a bin has fewer).
pub fn save_rates_csv<'a, I>(path: &Path, bins: I) -> Result<()>
where
    I: IntoIterator<Item = &'a RateBin>,
    I::IntoIter: Clone,
{
    let bins = bins.into_iter();
    super::atomic::atomic_write(path, |w| {
        let n_asm = bins.clone().map(|b| b.assemblies_hz.len()).max().unwrap_or(0);
        write!(w, "{RATES_HEADER}")?;
        for k in 0..n_asm {
            write!(w, ",assembly{k}_hz")?;
        }
        writeln!(w)?;
        for b in bins {
            write!(w, "{:.1},{:.4},{:.4},{:.4}", b.t_s, b.e_hz, b.i_hz, b.input_hz)?;
            for k in 0..n_asm {
                match b.assemblies_hz.get(k) {
                    Some(r) => write!(w, ",{r:.4}")?,
                    None => write!(w, ",")?,
                }
            }
            writeln!(w)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::atomic::tests::TestDir;

    #[test]
    fn columns_follow_the_bin_with_most_assemblies() {
        let dir = TestDir::new("rates-csv");
        let path = dir.0.join("rates.csv");
        let bin = |t_s: f64, a: Vec<f64>| RateBin { t_s, e_hz: 1.5, i_hz: 3.0, input_hz: 5.0, assemblies_hz: a };
        let bins = [bin(0.1, vec![]), bin(0.2, vec![10.0, 2.25])];
        save_rates_csv(&path, &bins).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "t_s,e_hz,i_hz,input_hz,assembly0_hz,assembly1_hz\n0.1,1.5000,3.0000,5.0000,,\n\
             0.2,1.5000,3.0000,5.0000,10.0000,2.2500\n"
        );
    }
}
